package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/hutch-sandbox/hutch/profiles"
)

func TestPrintProfileList(t *testing.T) {
	tests := []struct {
		name string
		info profiles.Info
		want string // the line printed, spaces squeezed
	}{
		{"loads", profiles.Info{Name: "web", Source: "/u/web.toml", Description: "a browser"},
			"web /u/web.toml a browser"},
		{"shadowed", profiles.Info{Name: "shell", Source: "builtin:shell.toml", Description: "a shell", Shadowed: true},
			"shell builtin:shell.toml (shadowed) a shell"},
		{"broken", profiles.Info{Name: "loop", Source: "/u/loop.toml", Description: "loops",
			Err: errors.New("/u/loop.toml:1:12: extends[1]: extends cycle: loop -> loop")},
			"loop /u/loop.toml BROKEN: /u/loop.toml:1:12: extends[1]: extends cycle: loop -> loop"},
		{"several errors", profiles.Info{Name: "bad", Source: "/u/bad.toml",
			Err: errors.New("/u/bad.toml:1:1: a: unknown key\n/u/bad.toml:2:1: b: unknown key")},
			"bad /u/bad.toml BROKEN: /u/bad.toml:1:1: a: unknown key (and more)"},
	}
	for _, tt := range tests {
		var b strings.Builder
		printProfileList(&b, []profiles.Info{tt.info})
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if len(lines) != 2 {
			t.Errorf("%s: want a header and one line, got %q", tt.name, b.String())
			continue
		}
		if got := strings.Join(strings.Fields(lines[1]), " "); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
