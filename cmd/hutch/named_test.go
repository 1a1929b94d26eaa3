package main

import (
	"syscall"
	"testing"

	"github.com/hutch-sandbox/hutch/sandbox"
)

func TestParseSignal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want syscall.Signal // 0: an error
	}{
		{"TERM", syscall.SIGTERM},
		{"sigkill", syscall.SIGKILL},
		{"SIGSTOP", syscall.SIGSTOP},
		{"pipe", syscall.SIGPIPE},
		{"PWR", syscall.SIGPWR},
		{"9", 9},
		{"34", 34},
		{"64", 64},
		{"RTMIN", 34},
		{"rtmin+3", 37},
		{"SIGRTMIN+30", 64},
		{"RTMAX", 64},
		{"RTMAX-2", 62},
		{"sigrtmax-30", 34},
		{"0", 0},
		{"65", 0},
		{"-1", 0},
		{"RTMIN+31", 0},
		{"RTMAX-31", 0},
		{"RTMIN-1", 0},
		{"RTMAX+1", 0},
		{"RTMIN+", 0},
		{"RTMIN++1", 0},
		{"RTMIN+x", 0},
		{"NOSUCH", 0},
		{"SIG", 0},
		{"", 0},
	} {
		got, err := parseSignal(tc.in)
		if tc.want == 0 {
			if err == nil {
				t.Errorf("parseSignal(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSignal(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// TestPSRow shows a sandbox still starting, which has no init yet, with
// no pid rather than 0.
func TestPSRow(t *testing.T) {
	starting := &sandbox.Record{State: sandbox.State{Name: "box"}, Status: "starting"}
	if got, want := psRow(starting), "box\t-\tstarting\t-\t\t"; got != want {
		t.Errorf("starting: %q, want %q", got, want)
	}
	running := &sandbox.Record{State: sandbox.State{Name: "box", InitPID: 42, Spec: &sandbox.Spec{Process: sandbox.Process{Args: []string{"sleep", "1"}}, Profiles: []string{"default"}}}, Status: "exited (0)"}
	if got, want := psRow(running), "box\t42\texited (0)\t-\tsleep 1\tdefault"; got != want {
		t.Errorf("exited: %q, want %q", got, want)
	}
}
