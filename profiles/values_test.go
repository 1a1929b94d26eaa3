package profiles

import (
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"1024", 1024, true},
		{"64K", 64 << 10, true},
		{"64k", 64 << 10, true},
		{"64M", 64 << 20, true},
		{"1G", 1 << 30, true},
		{"2T", 2 << 40, true},
		{"16777215T", 16777215 << 40, true},
		{"16777216T", 0, false}, // 2^64: overflows
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{"", 0, false},
		{"M", 0, false},
		{"1.5G", 0, false},
		{"-1", 0, false},
		{"64MB", 0, false},
		{"64 M", 0, false},
		{"0x10", 0, false},
		{"64Q", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %t", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for in, want := range map[uint64]string{0: "0", 1: "1", 1024: "1K", 1536: "1536", 64 << 20: "64M", 3 << 30: "3G", 1 << 40: "1T"} {
		if got := formatSize(in); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", in, got, want)
		}
		if back, err := parseSize(formatSize(in)); err != nil || back != in {
			t.Errorf("parseSize(formatSize(%d)) = %d, %v", in, back, err)
		}
	}
}

func TestParseMode(t *testing.T) {
	tests := []struct {
		in   string
		want uint32
		ok   bool
	}{
		{"0755", 0o755, true},
		{"755", 0o755, true},
		{"1777", 0o1777, true},
		{"0", 0, false}, // taken for no mode otherwise
		{"0000", 0, false},
		{"07777", 0o7777, true},
		{"00000755", 0o755, true},
		{"17777", 0, false},
		{"0999", 0, false},
		{"0o755", 0, false},
		{"", 0, false},
		{"-755", 0, false},
		{"rwx", 0, false},
		{"777777777777777777777777", 0, false},
	}
	for _, tt := range tests {
		got, err := parseMode(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseMode(%q) = %o, %v; want %o, ok %t", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestParseDurationMessages checks that a number too large is called
// that, not a malformed duration, which it is not.
func TestParseDurationMessages(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"106752d", "too long"},
		{"99999999999999d", "too long"},
		{"9999999999999999999h", "too long"},
		{"100000d100000d", "too long"},
		{"10days", "is not a duration"},
		{"1w", "is not a duration"},
		{"1..5d", "is not a duration"},
	} {
		_, err := parseDuration(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseDuration(%q): %v, want an error saying %q", tt.in, err, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"0s", 0, true},
		{"-72h", -72 * time.Hour, true},
		{"+240h", 240 * time.Hour, true},
		{"240h", 240 * time.Hour, true},
		{"10d", 240 * time.Hour, true},
		{"-1d12h", -36 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"1d1m1s", 24*time.Hour + time.Minute + time.Second, true},
		{"90m", 90 * time.Minute, true},
		{"1h30m0.5s", time.Hour + 30*time.Minute + 500*time.Millisecond, true},
		{"250ms", 250 * time.Millisecond, true},
		{"240h0m0s", 240 * time.Hour, true}, // what formatDuration writes
		{"106751d", 106751 * 24 * time.Hour, true},
		{"106752d", 0, false}, // beyond what a Duration holds
		{"", 0, false},
		{"-", 0, false},
		{"10", 0, false},
		{"d", 0, false},
		{"10days", 0, false},
		{"3 days", 0, false},
		{"1d-5h", 0, false},
		{"--1h", 0, false},
		{"1w", 0, false},
		{"1..5h", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok %t", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in   string
		want Limit
		ok   bool
	}{
		{"1024", Limit{1024, 1024}, true},
		{"256:512", Limit{256, 512}, true},
		{"4G", Limit{4 << 30, 4 << 30}, true},
		{"1G:2G", Limit{1 << 30, 2 << 30}, true},
		{"unlimited", Limit{Unlimited, Unlimited}, true},
		{"infinity", Limit{Unlimited, Unlimited}, true},
		{"1024:unlimited", Limit{1024, Unlimited}, true},
		{"0", Limit{0, 0}, true},
		{"512:256", Limit{}, false},
		{"unlimited:1024", Limit{}, false},
		{"", Limit{}, false},
		{"1024:", Limit{}, false},
		{":1024", Limit{}, false},
		{"1:2:3", Limit{}, false},
		{"-1", Limit{}, false},
		{"lots", Limit{}, false},
		{"Unlimited", Limit{}, false},
	}
	for _, tt := range tests {
		got, err := parseLimit(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseLimit(%q) = %v, %v; want %v, ok %t", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestLimitValues(t *testing.T) {
	// Integers and strings reach the same limits; both parse paths are
	// exercised through Parse.
	p, err := Parse("l.toml", []byte(`
[limits]
nofile = 1024
nproc = "256:512"
as = "4G"
cpu = "unlimited"
core = 0
stack = "8M:unlimited"
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Limit{
		"nofile": {1024, 1024},
		"nproc":  {256, 512},
		"as":     {4 << 30, 4 << 30},
		"cpu":    {Unlimited, Unlimited},
		"core":   {0, 0},
		"stack":  {8 << 20, Unlimited},
	}
	if len(p.Limits) != len(want) {
		t.Fatalf("limits = %v, want %v", p.Limits, want)
	}
	for k, w := range want {
		if p.Limits[k] != w {
			t.Errorf("limits.%s = %v, want %v", k, p.Limits[k], w)
		}
	}
}
