package main

import (
	"syscall"
	"testing"
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
