package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeLauncherRecord fakes a reservation by the process pid started at start.
func writeLauncherRecord(t *testing.T, dir string, pid int, start uint64) {
	t.Helper()
	data, _ := json.Marshal(launcher{PID: pid, Start: start})
	if err := os.WriteFile(filepath.Join(dir, launchFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func ownStart(t *testing.T) uint64 {
	t.Helper()
	start, _, err := processStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	return start
}

// A reserved name without state.json is starting while the hutch that
// reserved it runs, however young or old the directory is.
func TestLoadReservedState(t *testing.T) {
	self := os.Getpid()
	for _, tc := range []struct {
		name   string
		write  func(t *testing.T, dir string)
		status string
	}{
		{"launcher alive", func(t *testing.T, dir string) { writeLauncherRecord(t, dir, self, ownStart(t)) }, "starting"},
		{"pid recycled", func(t *testing.T, dir string) { writeLauncherRecord(t, dir, self, ownStart(t)+1) }, "dead"},
		{"launcher gone", func(t *testing.T, dir string) { writeLauncherRecord(t, dir, 1<<22+1, 1) }, "dead"},
		{"no launcher record", func(t *testing.T, dir string) {}, "dead"},
		{"garbled record", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, launchFile), []byte("{"), 0o600)
		}, "dead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "box")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			tc.write(t, dir)
			rec, err := load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Status != tc.status {
				t.Errorf("status %q, want %q", rec.Status, tc.status)
			}
		})
	}
}

func TestReserveRecordsTheLauncher(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	dir, err := reserve("r1")
	if err != nil {
		t.Fatal(err)
	}
	if pid, ok := launching(dir); !ok || pid != os.Getpid() {
		t.Errorf("launching(%s) = %d, %v; want this process", dir, pid, ok)
	}
	// While this process lives the name is taken.
	if _, err := reserve("r1"); err == nil || !strings.Contains(err.Error(), "starting") {
		t.Errorf("second reserve: %v, want an error that says it is starting", err)
	}
	// A launcher that is gone leaves the name free at once, and one killed
	// between making and renaming its directory leaves nothing behind
	// once another name is reserved.
	writeLauncherRecord(t, dir, 1<<22+1, 1)
	if err := os.Mkdir(filepath.Join(StateRoot(), ".new-killed"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := reserve("r1"); err != nil {
		t.Errorf("reserve after the launcher died: %v", err)
	}
	entries, _ := os.ReadDir(StateRoot())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".new-") {
			t.Errorf("reserve left %s behind", e.Name())
		}
	}
}

// writeStateRecord fakes a started sandbox whose init is pid, started at
// start; exit, unless negative, is its recorded exit status.
func writeStateRecord(t *testing.T, dir string, pid int, start uint64, exit int) {
	t.Helper()
	if err := writeState(dir, &State{Name: filepath.Base(dir), InitPID: pid, InitStart: start}); err != nil {
		t.Fatal(err)
	}
	if exit >= 0 {
		os.WriteFile(filepath.Join(dir, exitFile), []byte(strconv.Itoa(exit)+"\n"), 0o600)
	}
}

// The state of a sandbox is removed only while it is still that
// sandbox's: between the look and the removal, the name may have been
// freed and taken by another.
func TestRemoveSparesANewerSandbox(t *testing.T) {
	const gone = 1<<22 + 1 // above any pid_max
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, dir string) // the state as loaded
		after  func(t *testing.T, dir string) // the state at removal; nil: unchanged
		remove func(r *Record) error
		kept   bool
	}{
		{
			name:   "exited, unchanged",
			before: func(t *testing.T, dir string) { writeStateRecord(t, dir, gone, 5, 3) },
			remove: (*Record).Remove,
		},
		{
			name:   "exited, then another sandbox runs",
			before: func(t *testing.T, dir string) { writeStateRecord(t, dir, gone, 5, 3) },
			after: func(t *testing.T, dir string) {
				os.Remove(filepath.Join(dir, exitFile))
				writeStateRecord(t, dir, os.Getpid(), ownStart(t), -1)
			},
			remove: (*Record).Remove,
			kept:   true,
		},
		{
			name:   "exited, then another sandbox starts",
			before: func(t *testing.T, dir string) { writeStateRecord(t, dir, gone, 5, 3) },
			after: func(t *testing.T, dir string) {
				os.RemoveAll(dir)
				os.Mkdir(dir, 0o700)
				writeLauncherRecord(t, dir, os.Getpid(), ownStart(t))
			},
			remove: (*Record).Remove,
			kept:   true,
		},
		{
			name:   "dead, unchanged",
			before: func(t *testing.T, dir string) { writeStateRecord(t, dir, gone, 5, -1) },
			remove: func(r *Record) error { r.removeIfDead(); return nil },
		},
		{
			name:   "dead, then another sandbox runs",
			before: func(t *testing.T, dir string) { writeStateRecord(t, dir, gone, 5, -1) },
			after:  func(t *testing.T, dir string) { writeStateRecord(t, dir, os.Getpid(), ownStart(t), -1) },
			remove: func(r *Record) error { r.removeIfDead(); return nil },
			kept:   true,
		},
		{
			name: "abandoned reservation, then taken again",
			before: func(t *testing.T, dir string) {
				writeLauncherRecord(t, dir, gone, 1)
			},
			after: func(t *testing.T, dir string) {
				writeLauncherRecord(t, dir, gone, 2) // dead too, but another
			},
			remove: func(r *Record) error { r.removeIfDead(); return nil },
			kept:   true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			os.Chmod(root, 0o700)
			dir := filepath.Join(root, "box")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			tc.before(t, dir)
			rec, err := load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tc.after != nil {
				tc.after(t, dir)
			}
			if err := tc.remove(rec); err != nil {
				t.Fatal(err)
			}
			_, err = os.Stat(dir)
			if kept := err == nil; kept != tc.kept {
				t.Errorf("state kept: %v, want %v", kept, tc.kept)
			}
		})
	}
}
