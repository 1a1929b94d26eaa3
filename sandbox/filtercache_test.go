package sandbox

import (
	"encoding/binary"
	"testing"

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
