package sandbox

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/sandbox/early"
)

// TestDirectInitRelaysTheInitSignals keeps the signals the C constructor
// catches for a direct init equal to those an init started the usual way
// relays: a signal missing there would kill a direct init instead of
// reaching the app.
func TestDirectInitRelaysTheInitSignals(t *testing.T) {
	var want []int
	for _, sig := range relayedInitSignals {
		want = append(want, int(sig.(unix.Signal)))
	}
	var got []int
	for _, sig := range early.InitRelayedSignals() {
		got = append(got, int(sig))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("sandbox/early/direct.go catches %v, the init relays %v", got, want)
	}
}
