package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A named sandbox keeps its state in a directory of its own under the
// state root, $XDG_RUNTIME_DIR/hutch (or /tmp/hutch-UID), mode 0700:
//
//	launcher      the pid and start time of the hutch that reserved the
//	              name, which stands for the sandbox until state.json exists
//	state.json    the record below, written once the app has started
//	control.sock  the init's socket for exec requests
//	log           a detached app's output
//	exit          the app's exit status, written by the init when it ends
//
// The sandbox never sees this directory: it is covered inside.

const (
	stateFile   = "state.json"
	controlFile = "control.sock"
	logFile     = "log"
	exitFile    = "exit"
	lockFile    = ".lock"
	launchFile  = "launcher"
)

// launcher identifies the process that reserved a name, as InitPID and
// InitStart identify an init.
type launcher struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// State is what hutch records about a named sandbox.
type State struct {
	Name string `json:"name"`
	// InitPID and InitStart identify the init on the host; the start time
	// (clock ticks since boot, /proc/PID/stat field 22) keeps a recycled
	// pid from passing for it.
	InitPID    int             `json:"init_pid"`
	InitStart  uint64          `json:"init_start"`
	AppPID     int             `json:"app_pid"` // inside the sandbox's pid namespace
	Started    time.Time       `json:"started"`
	Namespaces map[Kind]uint64 `json:"namespaces"`
	Detached   bool            `json:"detached"`
	Spec       *Spec           `json:"spec"`
}

// Record is a named sandbox's state as found on disk.
type Record struct {
	State
	Dir string `json:"dir"`
	// Status is "running", "exited (N)", or "starting" while the init
	// builds the sandbox.
	Status   string `json:"status"`
	ExitCode *int   `json:"exit_code,omitempty"`
	// LauncherPID is the hutch that is starting the sandbox, while it is.
	LauncherPID int `json:"launcher_pid,omitempty"`
	// launcher is the reservation's record, which tells a sandbox that
	// has no state.json yet from another reserved under the same name.
	launcher launcher
}

// same reports whether o is the state of the same sandbox as r: a name
// freed and taken again is another sandbox's.
func (r *Record) same(o *Record) bool {
	return r.InitPID == o.InitPID && r.InitStart == o.InitStart && r.launcher == o.launcher
}

// removeState removes the state directory dir if it still holds a
// sandbox that keep accepts. It does so under the state lock, which
// reserve holds while it frees and takes a name: whatever was loaded
// before, the check and the removal see the same state, and the state of
// a newer sandbox of that name is never removed.
func removeState(dir string, keep func(*Record) bool) error {
	unlock, err := lockRoot(filepath.Dir(dir))
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !keep(rec) {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove the state of %s: %w", rec.Name, err)
	}
	return nil
}

// removeIfDead removes the state of r if it is still r's and still dead.
func (r *Record) removeIfDead() {
	removeState(r.Dir, func(now *Record) bool { return now.Status == "dead" && r.same(now) })
}

// ValidName checks a sandbox name: it becomes a directory name.
func ValidName(name string) error {
	ok := len(name) > 0 && len(name) <= 64
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		ok = alnum || i > 0 && (c == '_' || c == '.' || c == '-')
	}
	if !ok {
		return fmt.Errorf("invalid sandbox name %q: use letters, digits, '_', '.' and '-', at most 64, starting with a letter or digit", name)
	}
	return nil
}

// joinedStateRoot is the state root the host side chose, set in the
// launcher re-executed inside another sandbox's user namespace (see
// join.go): there the effective uid is the inside one, which need not be
// the caller's, and /tmp/hutch-UID would name another directory.
var joinedStateRoot string

// StateRoots are every directory this user's hutch may keep its state
// in: the one in use first, then those a run in another environment
// takes (without XDG_RUNTIME_DIR, from cron or ssh: systemd's /run/user
// directory, or the temporary directory). Sandboxes are kept from all of
// them, since a state root a later run uses is as much hutch's as the one
// in use: its filter cache and control sockets are trusted.
func StateRoots() []string {
	roots := []string{StateRoot()}
	if joinedStateRoot != "" {
		return roots
	}
	uid := strconv.Itoa(os.Geteuid())
	for _, r := range []string{
		filepath.Join("/run/user", uid, "hutch"),
		filepath.Join(os.TempDir(), "hutch-"+uid),
		filepath.Join("/tmp", "hutch-"+uid),
	} {
		if !slices.Contains(roots, r) {
			roots = append(roots, r)
		}
	}
	return roots
}

// StateRoot is the directory of the caller's named sandboxes.
func StateRoot() string {
	if joinedStateRoot != "" {
		return joinedStateRoot
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, "hutch")
	}
	return filepath.Join(os.TempDir(), "hutch-"+strconv.Itoa(os.Geteuid()))
}

// ensurePrivateDir creates dir 0700 if missing and refuses one that is
// not a real directory owned by the caller and closed to others (a
// directory planted in /tmp by another user, say).
func ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create state directory: %w", err)
	}
	return checkPrivateDir(dir)
}

// checkPrivateDir refuses dir unless it is a real directory owned by the
// caller and closed to others.
func checkPrivateDir(dir string) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return fmt.Errorf("state directory %s: %w", dir, err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return fmt.Errorf("state directory %s is not a directory", dir)
	case int(st.Uid) != os.Geteuid():
		return fmt.Errorf("state directory %s belongs to uid %d, not to you", dir, st.Uid)
	case st.Mode&0o077 != 0:
		return fmt.Errorf("state directory %s is open to others (mode %o); make it 0700", dir, st.Mode&0o777)
	}
	return nil
}

// lockRoot serializes name reservation and clean-up among hutch processes.
func lockRoot(root string) (func(), error) {
	if err := ensurePrivateDir(root); err != nil {
		return nil, err
	}
	fd, err := unix.Open(filepath.Join(root, lockFile), unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	return func() { unix.Close(fd) }, nil
}

// reserve claims name for a new sandbox and returns its state directory.
// A live sandbox of that name is an error; a dead one's state is removed.
func reserve(name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	root := StateRoot()
	unlock, err := lockRoot(root)
	if err != nil {
		return "", err
	}
	defer unlock()
	dir := filepath.Join(root, name)
	if rec, err := load(dir); err == nil {
		switch rec.Status {
		case "running":
			return "", fmt.Errorf("a sandbox named %s is already running (init pid %d); stop it or choose another name", name, rec.InitPID)
		case "starting":
			return "", fmt.Errorf("a sandbox named %s is already starting (hutch pid %d); stop it or choose another name", name, rec.LauncherPID)
		}
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("remove the old state of %s: %w", name, err)
		}
	}
	// The directory appears with its launcher record in it, so that no
	// reader ever finds it without one: it is made under a name no sandbox
	// can have and renamed into place.
	tmp := filepath.Join(root, ".new-"+name)
	// Any such directory is a launcher's killed right here: every one is
	// made and renamed under the lock held now.
	stale, _ := filepath.Glob(filepath.Join(root, ".new-*"))
	for _, d := range stale {
		os.RemoveAll(d)
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", fmt.Errorf("create state for %s: %w", name, err)
	}
	if err := writeLauncher(tmp); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("create state for %s: %w", name, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("create state for %s: %w", name, err)
	}
	return dir, nil
}

// writeLauncher records the calling process as the one starting the
// sandbox whose state directory is dir.
func writeLauncher(dir string) error {
	pid := os.Getpid()
	start, _, err := processStart(pid)
	if err != nil {
		return fmt.Errorf("read hutch's own start time: %w", err)
	}
	data, err := json.Marshal(launcher{PID: pid, Start: start})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, launchFile), data, 0o600)
}

// launching reports whether the process that reserved dir still runs,
// and its pid.
func launching(dir string) (int, bool) {
	data, err := os.ReadFile(filepath.Join(dir, launchFile))
	if err != nil {
		return 0, false
	}
	var l launcher
	if json.Unmarshal(data, &l) != nil || l.PID <= 0 {
		return 0, false
	}
	start, zombie, err := processStart(l.PID)
	return l.PID, err == nil && start == l.Start && !zombie
}

// readLauncher reads the reservation's record; the zero launcher if none.
func readLauncher(dir string) launcher {
	var l launcher
	if data, err := os.ReadFile(filepath.Join(dir, launchFile)); err == nil {
		json.Unmarshal(data, &l)
	}
	return l
}

// Lookup finds the named sandbox. A dead sandbox without an exit record
// (its init was killed) is cleaned up and reported as not found.
func Lookup(name string) (*Record, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	dir := filepath.Join(StateRoot(), name)
	rec, err := load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no sandbox named %s", name)
	}
	if err != nil {
		return nil, err
	}
	if rec.Status == "dead" {
		rec.removeIfDead()
		return nil, fmt.Errorf("no sandbox named %s (its init is gone; the stale state was removed)", name)
	}
	return rec, nil
}

// List returns the caller's named sandboxes, sorted by name, removing the
// state of those whose init died without a trace.
func List() ([]*Record, error) {
	root := StateRoot()
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", root, err)
	}
	var recs []*Record
	for _, e := range entries {
		if !e.IsDir() || ValidName(e.Name()) != nil {
			continue
		}
		dir := filepath.Join(root, e.Name())
		rec, err := load(dir)
		if err != nil {
			continue
		}
		if rec.Status == "dead" {
			rec.removeIfDead()
			continue
		}
		recs = append(recs, rec)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Name < recs[j].Name })
	return recs, nil
}

// load reads a state directory and works out the sandbox's status.
func load(dir string) (*Record, error) {
	rec := &Record{Dir: dir}
	rec.Name = filepath.Base(dir)
	rec.launcher = readLauncher(dir)
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		if _, statErr := os.Stat(dir); statErr != nil {
			return nil, statErr
		}
		// Reserved but not yet started: starting while the hutch that
		// reserved it runs, else abandoned (that hutch was killed).
		if pid, ok := launching(dir); ok {
			rec.Status = "starting"
			rec.LauncherPID = pid
		} else {
			rec.Status = "dead"
		}
		return rec, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &rec.State); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, stateFile), err)
	}
	switch {
	case rec.alive():
		rec.Status = "running"
	default:
		if code, ok := readExit(dir); ok {
			rec.ExitCode = &code
			rec.Status = fmt.Sprintf("exited (%d)", code)
		} else {
			rec.Status = "dead"
		}
	}
	return rec, nil
}

func readExit(dir string) (int, bool) {
	data, err := os.ReadFile(filepath.Join(dir, exitFile))
	if err != nil {
		return 0, false
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(data)))
	return code, err == nil
}

// alive reports whether the recorded init still runs: same pid, same
// start time.
func (r *Record) alive() bool {
	if r.InitPID <= 0 {
		return false
	}
	start, zombie, err := processStart(r.InitPID)
	return err == nil && start == r.InitStart && !zombie
}

// Alive reports whether the sandbox's init is still running.
func (r *Record) Alive() bool { return r.alive() }

// Remove deletes the sandbox's state, unless it is running or starting
// or the name now belongs to another sandbox.
func (r *Record) Remove() error {
	return removeState(r.Dir, func(now *Record) bool {
		return r.same(now) && now.Status != "running" && now.Status != "starting"
	})
}

// LogPath is where a detached sandbox's output goes.
func (r *Record) LogPath() string { return filepath.Join(r.Dir, logFile) }

// processStart reads a process's start time from /proc/PID/stat, and
// whether it has ended but not been reaped yet.
func processStart(pid int) (start uint64, zombie bool, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	// The command name may hold spaces and parentheses; fields resume
	// after the last ')'.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, false, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state); the start time is field 22.
	if len(f) < 20 {
		return 0, false, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0] == "Z" || f[0] == "X", err
}

// namespaceIDs reads the namespace inodes of a process. The init's time
// namespace is the host's; the sandbox's is its time_for_children (the
// init calls this after unsharing it).
func namespaceIDs(proc string) (map[Kind]uint64, error) {
	ids := map[Kind]uint64{}
	for _, k := range Kinds {
		link := string(k)
		if k == NSTime {
			link = "time_for_children"
		}
		var st unix.Stat_t
		if err := unix.Stat("/proc/"+proc+"/ns/"+link, &st); err != nil {
			return nil, fmt.Errorf("namespace %s of /proc/%s: %w", k, proc, err)
		}
		ids[k] = st.Ino
	}
	return ids, nil
}

// HostNamespaces returns hutch's own namespace inodes, to tell shared
// namespaces from new ones.
func HostNamespaces() (map[Kind]uint64, error) { return namespaceIDs("self") }

// writeState records the state atomically.
func writeState(dir string, st *State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// Signal sends sig to the sandbox's init, which relays it to the app;
// SIGKILL ends the init and with it every process of its pid namespace.
func (r *Record) Signal(sig syscall.Signal) error {
	if !r.alive() {
		return fmt.Errorf("sandbox %s is not running", r.Name)
	}
	pidfd, err := unix.PidfdOpen(r.InitPID, 0)
	if err != nil {
		return fmt.Errorf("signal %s: %w", r.Name, err)
	}
	defer unix.Close(pidfd)
	// Checked again through the pidfd: the pid cannot have been recycled
	// between the check and the signal.
	if !r.alive() {
		return fmt.Errorf("sandbox %s is not running", r.Name)
	}
	if err := unix.PidfdSendSignal(pidfd, sig, nil, 0); err != nil {
		return fmt.Errorf("signal %s: %w", r.Name, err)
	}
	return nil
}
