package sandbox

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/idmap"
)

// SandboxProcess is a process of a sandbox.
type SandboxProcess struct {
	PID        int    `json:"pid"`         // on the host
	SandboxPID int    `json:"sandbox_pid"` // in the sandbox's pid namespace
	UID        uint32 `json:"uid"`         // inside
	Command    string `json:"command"`
}

// Processes lists the sandbox's processes, as runc ps does: every host
// process in the sandbox's pid namespace, or, where the pid namespace is
// the host's, in its user namespace.
func (r *Record) Processes() ([]SandboxProcess, error) {
	if !r.alive() {
		return nil, fmt.Errorf("sandbox %s is not running (%s)", r.Name, r.Status)
	}
	kind, link := NSPID, "pid"
	if r.Spec != nil && !r.Spec.NewShares(NSPID) {
		kind, link = NSUser, "user"
	}
	want := r.Namespaces[kind]
	initLevels := len(nsPIDs(r.InitPID))
	uidMap := readMap(r.InitPID, "uid_map")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var procs []SandboxProcess
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+e.Name()+"/ns/"+link, &st) != nil || st.Ino != want {
			continue
		}
		p := SandboxProcess{PID: pid, SandboxPID: pid}
		if ids := nsPIDs(pid); initLevels > 0 && len(ids) >= initLevels {
			p.SandboxPID = ids[initLevels-1]
		}
		if uid, ok := statusUID(pid); ok {
			if inner, ok := uidMap.ToInner(uid); ok {
				uid = inner
			}
			p.UID = uid
		}
		p.Command = commandLine(pid)
		procs = append(procs, p)
	}
	return procs, nil
}

// nsPIDs reads the NSpid line: the pid in each pid namespace, outermost first.
func nsPIDs(pid int) []int {
	var ids []int
	forStatusLine(pid, "NSpid:", func(f []string) {
		for _, s := range f {
			n, _ := strconv.Atoi(s)
			ids = append(ids, n)
		}
	})
	return ids
}

func statusUID(pid int) (uint32, bool) {
	var uid uint64
	ok := false
	forStatusLine(pid, "Uid:", func(f []string) {
		if len(f) > 1 {
			var err error
			uid, err = strconv.ParseUint(f[1], 10, 32)
			ok = err == nil
		}
	})
	return uint32(uid), ok
}

func forStatusLine(pid int, prefix string, fn func([]string)) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			fn(strings.Fields(rest))
			return
		}
	}
}

func commandLine(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(data) == 0 {
		comm, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		return "[" + strings.TrimSpace(string(comm)) + "]"
	}
	return strings.Join(strings.Split(string(bytes.TrimRight(data, "\x00")), "\x00"), " ")
}

func readMap(pid int, file string) idmap.Map {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + file)
	if err != nil {
		return nil
	}
	m, _ := idmap.Parse(string(data))
	return m
}

// NamespaceInfo describes one namespace of a sandbox, as lsns does.
type NamespaceInfo struct {
	Type  Kind   `json:"type"`
	Inode uint64 `json:"inode"`
	// Shared is "no", "host" or "sandbox:NAME".
	Shared string `json:"shared"`
}

// Inspection is what hutch inspect shows.
type Inspection struct {
	*Record
	Namespaces []NamespaceInfo  `json:"namespaces_detail"`
	UIDMap     string           `json:"uid_map"`
	GIDMap     string           `json:"gid_map"`
	Mounts     []string         `json:"mounts"`
	Processes  []SandboxProcess `json:"processes"`
}

// Inspect gathers a running sandbox's namespaces, maps, mounts and processes.
func (r *Record) Inspect() (*Inspection, error) {
	// Empty rather than null in JSON when the sandbox has ended.
	in := &Inspection{Record: r, Mounts: []string{}, Processes: []SandboxProcess{}}
	host, err := HostNamespaces()
	if err != nil {
		return nil, err
	}
	for _, k := range Kinds {
		ns := NamespaceInfo{Type: k, Inode: r.Namespaces[k], Shared: "no"}
		if r.Spec != nil {
			if name, ok := r.Spec.Namespaces[k].Joined(); ok {
				ns.Shared = "sandbox:" + name
			}
		}
		if ns.Inode == host[k] {
			ns.Shared = "host"
		}
		in.Namespaces = append(in.Namespaces, ns)
	}
	if !r.alive() {
		return in, nil
	}
	pid := strconv.Itoa(r.InitPID)
	uid, _ := os.ReadFile("/proc/" + pid + "/uid_map")
	gid, _ := os.ReadFile("/proc/" + pid + "/gid_map")
	in.UIDMap, in.GIDMap = normalizeMap(string(uid)), normalizeMap(string(gid))
	if data, err := os.ReadFile("/proc/" + pid + "/mountinfo"); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			in.Mounts = append(in.Mounts, describeMountinfo(l))
		}
	}
	if procs, err := r.Processes(); err == nil && procs != nil {
		in.Processes = procs
	}
	return in, nil
}

func normalizeMap(s string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		out = append(out, strings.Join(strings.Fields(l), " "))
	}
	return strings.Join(out, "\n")
}

// describeMountinfo renders a mountinfo line as "target type source (options)".
func describeMountinfo(line string) string {
	f := strings.Fields(line)
	sep := -1
	for i, s := range f {
		if s == "-" {
			sep = i
			break
		}
	}
	if len(f) < 6 || sep < 0 || len(f) < sep+3 {
		return line
	}
	root, target, opts := f[3], f[4], f[5]
	fstype, source := f[sep+1], f[sep+2]
	if root != "/" {
		source += ":" + root
	}
	return fmt.Sprintf("%s %s %s (%s)", target, fstype, source, opts)
}

// Stop ends the sandbox: SIGTERM through the init to the app, then, after
// the timeout, SIGKILL to the init and with it every process of its pid
// namespace. Every process left in the sandbox's user namespace is then
// killed as well: where the pid namespace is the host's, the init's end
// takes nothing else with it. The state is removed.
func (r *Record) Stop(timeout time.Duration) error {
	if r.Status == "starting" {
		return fmt.Errorf("sandbox %s is still starting (hutch pid %d); stop it once it runs", r.Name, r.LauncherPID)
	}
	if r.alive() {
		// Held open, the namespace keeps its inode, which no namespace
		// made meanwhile can then share: the sweep takes only the
		// sandbox's own processes, even once the init is gone.
		userNS, err := os.Open("/proc/" + strconv.Itoa(r.InitPID) + "/ns/user")
		if err != nil && r.alive() {
			return fmt.Errorf("stop %s: %w", r.Name, err)
		}
		if err == nil {
			defer userNS.Close()
		}
		if !r.alive() {
			userNS = nil // it could be another process's
		}
		if err := r.Signal(unix.SIGTERM); err != nil && r.alive() {
			return err
		}
		deadline := time.Now().Add(timeout)
		for r.alive() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if r.alive() && userNS != nil {
			// The app's processes first: the init then records the app's
			// end (137) where ps and a detached sandbox's status
			// descriptor show it, and leaves on its own.
			sweepNamespace(userNS, r.InitPID)
			for i := 0; r.alive() && i < 50; i++ {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if r.alive() {
			r.Signal(unix.SIGKILL)
			for i := 0; r.alive() && i < 250; i++ {
				time.Sleep(20 * time.Millisecond)
			}
			if r.alive() {
				return fmt.Errorf("sandbox %s did not end after SIGKILL", r.Name)
			}
		}
		if userNS != nil {
			if err := sweepNamespace(userNS); err != nil {
				return fmt.Errorf("stop %s: %w", r.Name, err)
			}
		}
	}
	if err := r.Remove(); err != nil {
		return fmt.Errorf("remove the state of %s: %w", r.Name, err)
	}
	return nil
}

// sweepNamespace kills every process of the user namespace ns but those
// listed in spare, again until none is left, since a process may fork
// while the others die.
func sweepNamespace(ns *os.File, spare ...int) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(ns.Fd()), &st); err != nil {
		return fmt.Errorf("user namespace: %w", err)
	}
	for i := 0; i < 250; i++ {
		pids := slices.DeleteFunc(processesIn("user", st.Dev, st.Ino), func(pid int) bool { return slices.Contains(spare, pid) })
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			killIfIn(pid, "user", st.Dev, st.Ino)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("processes of the sandbox survive SIGKILL")
}

// processesIn lists the host processes in the namespace of kind link
// with the given device and inode. Zombies are left out: they are dead
// already, and their parent reaps them.
func processesIn(link string, dev, ino uint64) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !inNamespace(pid, link, dev, ino) {
			continue
		}
		if _, zombie, err := processStart(pid); err == nil && !zombie {
			pids = append(pids, pid)
		}
	}
	return pids
}

func inNamespace(pid int, link string, dev, ino uint64) bool {
	var st unix.Stat_t
	err := unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/"+link, &st)
	return err == nil && st.Dev == dev && st.Ino == ino
}

// killIfIn sends SIGKILL to pid if it is in the namespace. The pidfd is
// opened before the check: if the pid then names another process, the
// one the pidfd holds has ended and the signal goes nowhere.
func killIfIn(pid int, link string, dev, ino uint64) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(pidfd)
	if inNamespace(pid, link, dev, ino) {
		unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
	}
}
