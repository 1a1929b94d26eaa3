package idmap

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestMapString(t *testing.T) {
	tests := []struct {
		name string
		m    Map
		want string
	}{
		{"nil", nil, ""},
		{"single", Map{{Inner: 0, Outer: 1000, Count: 1}}, "0 1000 1\n"},
		{
			"ranges",
			Map{{Inner: 0, Outer: 1000, Count: 1}, {Inner: 1, Outer: 100000, Count: 65536}},
			"0 1000 1\n1 100000 65536\n",
		},
		{"max values", Map{{Inner: 0, Outer: 0, Count: math.MaxUint32}}, "0 0 4294967295\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Map
	}{
		{"single", "0 1000 1\n", Map{{0, 1000, 1}}},
		{"no trailing newline", "0 1000 1", Map{{0, 1000, 1}}},
		{
			// The kernel pads /proc/PID/uid_map with spaces.
			"kernel format",
			"         0       1000          1\n         1     100000      65536\n",
			Map{{0, 1000, 1}, {1, 100000, 65536}},
		},
		{"tabs and CRLF", "0\t1000\t1\r\n1 \t 100000  10\r\n", Map{{0, 1000, 1}, {1, 100000, 10}}},
		{"blank lines skipped", "\n\n0 1000 1\n   \n\t\n1 2000 5\n\n", Map{{0, 1000, 1}, {1, 2000, 5}}},
		{"adjacent ranges", "0 1000 10\n10 1010 10\n", Map{{0, 1000, 10}, {10, 1010, 10}}},
		{"crossed ranges", "0 2000 10\n10 1000 10\n", Map{{0, 2000, 10}, {10, 1000, 10}}},
		{"whole id space", "0 0 4294967295\n", Map{{0, 0, math.MaxUint32}}},
		{"top id", "4294967294 4294967294 1\n", Map{{math.MaxUint32 - 1, math.MaxUint32 - 1, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		want   []string // substrings of the error
		target error    // errors.Is target, if any
	}{
		{"empty", "", []string{"empty id map"}, nil},
		{"only blank lines", "\n  \n\t\n", []string{"empty id map"}, nil},
		{"two fields", "0 1000\n", []string{"line 1", `want "inner outer count"`, `"0 1000"`}, nil},
		{"four fields", "0 1000 1 1\n", []string{"line 1", `"0 1000 1 1"`}, nil},
		{"line numbers count blank lines", "0 1000 1\n\n\n5 6\n", []string{"line 4", `"5 6"`}, nil},
		{"not a number", "0 1000 1\n1 x 1\n", []string{"line 2", `"x" is not an id`}, strconv.ErrSyntax},
		{"negative", "-1 1000 1\n", []string{"line 1", `"-1" is not an id`}, strconv.ErrSyntax},
		{"beyond 32 bits", "0 4294967296 1\n", []string{"line 1", `"4294967296" is not an id`}, strconv.ErrRange},
		{"zero count", "0 1000 0\n", []string{"range 1: count is 0"}, nil},
		{"inner overflow", "4294967295 1000 1\n", []string{"range 1 (4294967295 1000 1) overflows"}, nil},
		{"outer overflow", "0 1000 1\n1 4294967290 6\n", []string{"range 2 (1 4294967290 6) overflows"}, nil},
		{"overlap inside", "0 1000 10\n5 2000 10\n", []string{"ranges 1 and 2 overlap inside (ids 0 and 5)"}, nil},
		{"overlap outside", "0 1000 10\n10 1005 10\n", []string{"ranges 1 and 2 overlap outside (ids 1000 and 1005)"}, nil},
		{"duplicate", "0 1000 1\n0 1000 1\n", []string{"ranges 1 and 2 overlap inside"}, nil},
		{"overlap with earlier range", "0 1000 1\n10 2000 10\n15 3000 1\n", []string{"ranges 2 and 3 overlap inside (ids 10 and 15)"}, nil},
		{"too many lines", manyLines(maxLines + 1), []string{"id map has 341 ranges, the kernel allows 340"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.text)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.text, m)
			}
			if m != nil {
				t.Errorf("Parse returned map %v along with error", m)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.target != nil && !errors.Is(err, tt.target) {
				t.Errorf("error %q does not wrap %v", err, tt.target)
			}
		})
	}
}

// manyLines renders n non-overlapping single-id lines.
func manyLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%d %d 1\n", i, 100000+i)
	}
	return b.String()
}

func TestParseMaxLines(t *testing.T) {
	m, err := Parse(manyLines(maxLines))
	if err != nil {
		t.Fatalf("Parse of %d lines: %v", maxLines, err)
	}
	if len(m) != maxLines {
		t.Errorf("got %d ranges, want %d", len(m), maxLines)
	}
}

func TestParseStringRoundTrip(t *testing.T) {
	maps := []Map{
		{{0, 1000, 1}},
		{{0, 1000, 1}, {1, 100000, 65536}, {65537, 300000, 10}},
		{{0, 0, math.MaxUint32}},
	}
	for _, m := range maps {
		got, err := Parse(m.String())
		if err != nil {
			t.Fatalf("Parse(%q): %v", m.String(), err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip of %v gave %v", m, got)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		m    Map
		want string // error substring; empty means valid
	}{
		{"nil", nil, "empty id map"},
		{"empty", Map{}, "empty id map"},
		{"single", Map{{0, 1000, 1}}, ""},
		{"ends at the last valid id", Map{{0, 4294901760, 65535}}, ""},
		{"outer one past the end", Map{{0, 4294901760, 65536}}, "overflows the 32-bit id space"},
		{"inner one past the end", Map{{4294901761, 0, 65535}}, "overflows the 32-bit id space"},
		{"count 0 in second range", Map{{0, 1000, 1}, {1, 2000, 0}}, "range 2: count is 0"},
		{"inner overlap by one id", Map{{0, 1000, 10}, {9, 2000, 1}}, "ranges 1 and 2 overlap inside (ids 0 and 9)"},
		{"inner overlap, later range first", Map{{5, 1000, 10}, {0, 2000, 6}}, "ranges 1 and 2 overlap inside (ids 5 and 0)"},
		{"outer overlap by one id", Map{{0, 1000, 10}, {10, 1009, 1}}, "ranges 1 and 2 overlap outside (ids 1000 and 1009)"},
		{"outer contains", Map{{0, 1000, 100}, {100, 1050, 1}}, "overlap outside"},
		{"disjoint both sides", Map{{0, 1000, 10}, {10, 1010, 10}, {100, 5, 5}}, ""},
		{"count 0 before overlap", Map{{0, 1000, 1}, {0, 1000, 0}}, "range 2: count is 0"},
		{"341 ranges", func() Map {
			m := make(Map, maxLines+1)
			for i := range m {
				m[i] = Range{uint32(i), uint32(i), 1}
			}
			return m
		}(), "341 ranges, the kernel allows 340"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate(%v): %v", tt.m, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate(%v) = %v, want error containing %q", tt.m, err, tt.want)
			}
		})
	}
}

func TestTranslate(t *testing.T) {
	m := Map{
		{Inner: 0, Outer: 1000, Count: 1},
		{Inner: 1, Outer: 100000, Count: 65536},
		{Inner: 70000, Outer: 4294967290, Count: 5},
	}
	toOuter := []struct {
		inner, outer uint32
		ok           bool
	}{
		{0, 1000, true},
		{1, 100000, true},
		{2, 100001, true},
		{65536, 165535, true},
		{65537, 0, false},
		{69999, 0, false},
		{70000, 4294967290, true},
		{70004, 4294967294, true},
		{70005, 0, false},
		{math.MaxUint32, 0, false},
	}
	for _, tt := range toOuter {
		got, ok := m.ToOuter(tt.inner)
		if got != tt.outer || ok != tt.ok {
			t.Errorf("ToOuter(%d) = %d, %v; want %d, %v", tt.inner, got, ok, tt.outer, tt.ok)
		}
	}
	toInner := []struct {
		outer, inner uint32
		ok           bool
	}{
		{1000, 0, true},
		{999, 0, false},
		{1001, 0, false},
		{100000, 1, true},
		{165535, 65536, true},
		{165536, 0, false},
		{4294967290, 70000, true},
		{4294967294, 70004, true},
		{math.MaxUint32, 0, false},
		{0, 0, false},
	}
	for _, tt := range toInner {
		got, ok := m.ToInner(tt.outer)
		if got != tt.inner || ok != tt.ok {
			t.Errorf("ToInner(%d) = %d, %v; want %d, %v", tt.outer, got, ok, tt.inner, tt.ok)
		}
	}

	// A range reaching the top of the id space must not wrap around.
	top := Map{{Inner: math.MaxUint32 - 1, Outer: math.MaxUint32 - 1, Count: 1}}
	if _, ok := top.ToOuter(0); ok {
		t.Error("ToOuter(0) found a mapping in a map of only the top id")
	}
	if _, ok := top.ToInner(0); ok {
		t.Error("ToInner(0) found a mapping in a map of only the top id")
	}
	var empty Map
	if _, ok := empty.ToOuter(0); ok {
		t.Error("ToOuter on an empty map reported a mapping")
	}
	if _, ok := empty.ToInner(0); ok {
		t.Error("ToInner on an empty map reported a mapping")
	}
}

func TestSingle(t *testing.T) {
	tests := []struct {
		name string
		m    Map
		want bool
	}{
		{"nil", nil, false},
		{"one id", Map{{0, 1000, 1}}, true},
		{"one id, not 0 inside", Map{{1000, 1000, 1}}, true},
		{"one range", Map{{0, 100000, 2}}, false},
		{"two single ids", Map{{0, 1000, 1}, {1, 2000, 1}}, false},
	}
	for _, tt := range tests {
		if got := tt.m.Single(); got != tt.want {
			t.Errorf("%s: Single(%v) = %v, want %v", tt.name, tt.m, got, tt.want)
		}
	}
}

func TestFindAccount(t *testing.T) {
	const passwd = `root:x:0:0:root:/root:/bin/bash
# a comment
+nisuser::::::
broken:x:1000
alice:x:1000:1000:Alice,,,:/home/alice:/bin/sh
bob:x:1001:1001::/home/bob:/bin/sh
`
	tests := []struct {
		uid  uint32
		want Account
		ok   bool
	}{
		{0, Account{"root", "/root"}, true},
		{1000, Account{"alice", "/home/alice"}, true},
		{1001, Account{"bob", "/home/bob"}, true},
		{1002, Account{}, false},
	}
	for _, tc := range tests {
		got, ok := findAccount(strings.NewReader(passwd), tc.uid)
		if got != tc.want || ok != tc.ok {
			t.Errorf("findAccount(%d) = %+v, %v; want %+v, %v", tc.uid, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := LookupAccount("/nonexistent/passwd", 0); ok {
		t.Error("LookupAccount on a missing file found an account")
	}
}
