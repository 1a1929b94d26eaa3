package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
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
	// A launcher that is gone leaves the name free at once.
	writeLauncherRecord(t, dir, 1<<22+1, 1)
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
