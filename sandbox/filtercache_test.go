package sandbox

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hutch-sandbox/hutch/seccomp"
)

func TestDecodeCacheEntry(t *testing.T) {
	prog, err := seccomp.Compile(seccomp.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := prog.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("the policy's key")
	entry := func(key []byte, body []byte) []byte {
		return append(append(binary.AppendUvarint(nil, uint64(len(key))), key...), body...)
	}
	tests := []struct {
		name  string
		entry []byte
		ok    bool
	}{
		{"its own key", entry(key, raw), true},
		{"another key of the same length", entry([]byte("another's policy"), raw), false},
		{"a longer key with this one as prefix", entry(append(key, 'x'), raw), false},
		{"a shorter key", entry(key[:4], raw), false},
		{"no program", entry(key, nil), false},
		{"a program cut short", entry(key, raw[:len(raw)-3]), false},
		{"cut inside the key", entry(key, raw)[:5], false},
		{"empty", nil, false},
		{"a length beyond the file", binary.AppendUvarint(nil, 1<<40), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeCacheEntry(tt.entry, key)
			if (got != nil) != tt.ok {
				t.Fatalf("decoded: %v, want %v", got != nil, tt.ok)
			}
			if got != nil && len(got.Filter) != len(prog.Filter) {
				t.Errorf("decoded %d instructions, want %d", len(got.Filter), len(prog.Filter))
			}
		})
	}
}

func TestPruneCache(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	write := func(name string, age time.Duration) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	// Entry i was written i minutes ago.
	for i := range 10 {
		write(fmt.Sprintf("seccomp-%02d.bpf", i), time.Duration(i)*time.Minute)
	}
	write("unrelated.txt", 48*time.Hour)
	write("seccomp-notes.txt", 48*time.Hour)
	write(".tmp-old", 2*time.Hour)
	write(".tmp-recent", time.Minute)

	pruneCache(dir, 4, now)

	var left []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{".tmp-recent", "seccomp-00.bpf", "seccomp-01.bpf", "seccomp-02.bpf", "seccomp-03.bpf", "seccomp-notes.txt", "unrelated.txt"}
	if !slices.Equal(left, want) {
		t.Errorf("left after pruning to 4:\n got %q\nwant %q", left, want)
	}

	pruneCache(dir, 4, now)
	if again, _ := os.ReadDir(dir); len(again) != len(want) {
		t.Errorf("a second pruning removed more: %d files left, want %d", len(again), len(want))
	}
}
