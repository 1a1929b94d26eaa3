package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLookPathIn(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tool"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cmd, dir string
		path     string // "" for an error
		err      string
	}{
		{cmd: "./tool", dir: dir, path: dir + "/./tool"},
		{cmd: "./nosuch", dir: "/", err: "./nosuch: command not found"},
		{cmd: "sub/../tool", dir: dir, err: "sub/../tool: command not found"},
		{cmd: "./tool", dir: dir + "/", path: dir + "/./tool"},
		{cmd: "./data", dir: dir, err: "./data: cannot execute: permission denied"},
		{cmd: "/nosuch/tool", dir: dir, err: "/nosuch/tool: command not found"},
		{cmd: "sh", dir: "/", path: "/usr/bin/sh"},
	} {
		got, err := lookPathIn(tc.cmd, []string{"PATH=/usr/bin:/bin"}, tc.dir)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("lookPathIn(%q, %q): %v, want error %q", tc.cmd, tc.dir, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.path {
			t.Errorf("lookPathIn(%q, %q) = %q, %v; want %q", tc.cmd, tc.dir, got, err, tc.path)
		}
	}
}
