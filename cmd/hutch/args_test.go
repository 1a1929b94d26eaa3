package main

import (
	"errors"
	"io"
	"slices"
	"testing"
)

// --help is honoured anywhere before "--" in commands whose words mix
// names and options, and "--" ends the options everywhere.
func TestParseWords(t *testing.T) {
	var json bool
	mk := func(interspersed bool) *command {
		return &command{name: "t", interspersed: interspersed,
			options: []option{flag([]string{"--json"}, "", func() { json = true })}}
	}
	tests := []struct {
		interspersed bool
		args         []string
		rest         []string
		help, json   bool
	}{
		{true, []string{"NAME", "--help"}, nil, true, false},
		{true, []string{"NAME", "-h", "x"}, nil, true, false},
		{true, []string{"a", "--json", "b"}, []string{"a", "b"}, false, true},
		{true, []string{"--", "--help", "--json"}, []string{"--help", "--json"}, false, false},
		{true, []string{"a", "--", "-x"}, []string{"a", "-x"}, false, false},
		// Options end at the first word that is not one: what follows is
		// the command's own (hutch run ls --help).
		{false, []string{"--json", "ls", "--help"}, []string{"ls", "--help"}, false, true},
		{false, []string{"--", "--help"}, []string{"--help"}, false, false},
	}
	for _, tt := range tests {
		json = false
		rest, err := mk(tt.interspersed).parse(tt.args, io.Discard)
		if help := errors.Is(err, errHelp); help != tt.help || (!help && err != nil) {
			t.Errorf("%q: error %v, want help %t", tt.args, err, tt.help)
			continue
		}
		if !slices.Equal(rest, tt.rest) || json != tt.json {
			t.Errorf("%q: rest %q json %t, want %q %t", tt.args, rest, json, tt.rest, tt.json)
		}
	}
}

// The commands that take names take --help after them.
func TestNamedCommandsTakeHelpAfterNames(t *testing.T) {
	for _, name := range []string{"ps", "inspect", "stop", "kill", "logs", "doctor"} {
		if _, err := commands[name].parse([]string{"NAME", "--help"}, io.Discard); !errors.Is(err, errHelp) {
			t.Errorf("hutch %s NAME --help: %v", name, err)
		}
	}
	for name, c := range profileSubcommands {
		if _, err := c.parse([]string{"NAME", "--help"}, io.Discard); !errors.Is(err, errHelp) {
			t.Errorf("hutch profile %s NAME --help: %v", name, err)
		}
	}
}
