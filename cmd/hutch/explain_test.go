package main

import (
	"testing"

	"github.com/hutch-sandbox/hutch/sandbox"
)

// TestDescribeMountSaysWhatTheAppGets checks the explanation of mounts
// whose own settings change what their type gives.
func TestDescribeMountSaysWhatTheAppGets(t *testing.T) {
	tests := []struct {
		m    sandbox.Mount
		want string
	}{
		{sandbox.Mount{Type: sandbox.Bind, Source: "/w", Target: "/w"}, "/w  read-write from the host's /w"},
		{sandbox.Mount{Type: sandbox.Bind, Source: "/w", Target: "/w", Landlock: sandbox.LandlockAccessRO}, "/w  read-only from the host's /w"},
		{sandbox.Mount{Type: sandbox.Bind, Source: "/w", Target: "/w", Landlock: sandbox.LandlockAccessNone}, "/w  unreadable (Landlock), read-only from the host's /w"},
		{sandbox.Mount{Type: sandbox.ROBind, Source: "/k", Target: "/k", Landlock: sandbox.LandlockAccessNone}, "/k  unreadable (Landlock), read-only from the host's /k"},
		{sandbox.Mount{Type: sandbox.ROBind, Source: "/k", Target: "/k", Optional: true}, "/k  read-only from the host's /k (if it exists)"},
		{sandbox.Mount{Type: sandbox.Tmpfs, Target: "/t", ReadOnly: true, Size: 4096}, "/t  empty read-only tmpfs, 4096 bytes"},
		{sandbox.Mount{Type: sandbox.Tmpfs, Target: "/t"}, "/t  empty tmpfs"},
	}
	for _, tc := range tests {
		if got := describeMount(tc.m); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.m, got, tc.want)
		}
	}
}

func TestEnvChanges(t *testing.T) {
	tests := []struct {
		env  sandbox.Env
		want string
	}{
		{sandbox.Env{}, ""},
		{sandbox.Env{Set: map[string]string{"A": "1", "B": "2"}}, "set 2 variable(s)"},
		{sandbox.Env{Unset: []string{"X", "LC_*"}}, "unset X LC_*"},
		{sandbox.Env{Set: map[string]string{"A": "1"}, Unset: []string{"X"}}, "set 1 variable(s), unset X"},
	}
	for _, tc := range tests {
		if got := envChanges(tc.env); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.env, got, tc.want)
		}
	}
}
