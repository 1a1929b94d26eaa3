package sandbox

import (
	"os"
	"testing"
)

// TestSendWithFDsToAPeerThatHangsUp sends messages with descriptors to a
// peer that reads each one and hangs up at once, as the init does with an
// exec request it refuses. A send that completed in its first sendmsg
// must not fail on the peer's hang-up.
func TestSendWithFDsToAPeerThatHangsUp(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	for i := range 300 {
		a, b, err := socketPair()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			var req execRequest
			fds, err := newChannel(b).recv(&req)
			closeAll(fds)
			b.Close()
			done <- err
		}()
		// The peer must be able to read the whole message before the
		// sender returns from send: a small one fits the socket buffer.
		err = newChannel(a).send(execRequest{Args: []string{"no-such-command"}}, int(devNull.Fd()))
		if rerr := <-done; rerr != nil {
			t.Fatalf("round %d: peer: %v", i, rerr)
		}
		a.Close()
		if err != nil {
			t.Fatalf("round %d: send: %v", i, err)
		}
	}
}
