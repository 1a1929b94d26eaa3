package main

import (
	"slices"
	"testing"

	"github.com/hutch-sandbox/hutch/idmap"
	"github.com/hutch-sandbox/hutch/profiles"
	"github.com/hutch-sandbox/hutch/sandbox"
	"github.com/hutch-sandbox/hutch/sandbox/early"
)

// TestHostSharingProfilesListed keeps the C constructor's list of built-in
// profiles that share a namespace with the host (it rules a direct start
// out for them, rather than let the child start and give way) equal to
// what the built-ins resolve to.
func TestHostSharingProfilesListed(t *testing.T) {
	vars := profiles.Vars{"HOME": "/home/ann", "USER": "ann", "UID": "1000", "GID": "1000", "PWD": "/home/ann/src",
		"XDG_RUNTIME_DIR": "/run/user/1000", "DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}
	var sharing []string
	for _, name := range profiles.BuiltinNames() {
		resolved, err := profiles.NewLoader(vars).Resolve([]string{name}, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		spec, err := resolved.Spec([]string{"true"}, idmap.Caller{UID: 1000, GID: 1000, Name: "ann"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, k := range []sandbox.Kind{sandbox.NSNet, sandbox.NSIPC, sandbox.NSUTS, sandbox.NSCgroup, sandbox.NSMount, sandbox.NSPID} {
			if !spec.NewShares(k) {
				sharing = append(sharing, name)
				break
			}
		}
	}
	listed := early.HostSharingProfiles()
	slices.Sort(listed)
	if !slices.Equal(sharing, listed) {
		t.Errorf("built-ins sharing a namespace with the host: %v; the constructor lists %v (sandbox/early/direct.go)", sharing, listed)
	}
}
