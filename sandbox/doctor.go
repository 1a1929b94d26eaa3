package sandbox

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/idmap"
)

// CheckStatus grades one host check. Only CheckFail means the default
// profile cannot run here; CheckWarn marks something a profile may need.
type CheckStatus string

// The grades of a host check.
const (
	CheckOK   CheckStatus = "ok"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
	CheckInfo CheckStatus = "info"
)

// HostCheck is one finding of 'hutch doctor'. Fix is written for the person
// at the terminal, so it names commands rather than kernel internals.
type HostCheck struct {
	Name   string      `json:"name"`
	Status CheckStatus `json:"status"`
	Detail string      `json:"detail"`
	Fix    string      `json:"fix,omitempty"`
}

// CheckHost inspects what the kernel and the installed helpers let the
// calling user do. It tries user namespaces for real rather than trusting
// sysctls alone, because seccomp filters of an enclosing container, LSMs
// and per-kind limits refuse them without any sysctl saying so.
func CheckHost() []HostCheck {
	caller := CurrentCaller(true)
	ns := probeNamespaces(caller)
	return []HostCheck{
		checkKernel(caller),
		checkUserns(caller, ns),
		checkMaxUserns(),
		checkTimens(ns),
		checkMapHelper("newuidmap", unix.CAP_SETUID),
		checkMapHelper("newgidmap", unix.CAP_SETGID),
		checkSubIDs("subuid", idmap.DefaultFiles.SubUID, caller, caller.UID),
		checkSubIDs("subgid", idmap.DefaultFiles.SubGID, caller, caller.GID),
		checkCgroup(),
		checkLandlock(),
		checkSeccomp(),
		checkLibseccomp(),
		checkNetHelper("pasta", "passt"),
		checkNetHelper("slirp4netns", "slirp4netns"),
	}
}

func checkKernel(caller idmap.Caller) HostCheck {
	var uts unix.Utsname
	release, machine := "unknown", ""
	if err := unix.Uname(&uts); err == nil {
		release, machine = unix.ByteSliceToString(uts.Release[:]), unix.ByteSliceToString(uts.Machine[:])
	}
	who := strconv.FormatUint(uint64(caller.UID), 10)
	if caller.Name != "" {
		who += " (" + caller.Name + ")"
	}
	c := HostCheck{Name: "kernel", Status: CheckInfo, Detail: fmt.Sprintf("Linux %s %s, checked as uid %s", release, machine, who)}
	if caller.UID == 0 {
		// Root passes checks that an unprivileged user fails, so the
		// answers would mislead the person who asked.
		c.Detail += "; root passes checks that other users may fail"
		c.Fix = "run hutch doctor as the user who will run sandboxes"
	}
	return c
}

// nsProbeKinds are the kinds tried besides the user namespace, in the
// order hutch reports them.
var nsProbeKinds = []Kind{NSMount, NSPID, NSNet, NSIPC, NSUTS, NSCgroup, NSTime}

// nsCloneFlag is the clone flag of each kind. The time namespace is absent:
// clone(2) reads its bit as part of the exit signal, and clone3, which
// takes it, is refused by some container seccomp profiles; so it is
// unshared after the fork, as the launcher's init does.
var nsCloneFlag = map[Kind]uintptr{
	NSUser: unix.CLONE_NEWUSER, NSMount: unix.CLONE_NEWNS, NSPID: unix.CLONE_NEWPID, NSNet: unix.CLONE_NEWNET,
	NSIPC: unix.CLONE_NEWIPC, NSUTS: unix.CLONE_NEWUTS, NSCgroup: unix.CLONE_NEWCGROUP,
}

// nsProbe holds the kernel's answer for each kind; a nil error means the
// kind can be created inside a new user namespace.
type nsProbe struct {
	errs map[Kind]error
	// mapErr is set when the user namespace was created but mapping the
	// caller into it failed, which needs a different fix than a refusal.
	mapErr error
}

// probeNamespaces creates each kind of namespace once, each with its own
// user namespace, so that one refused kind does not hide the others.
func probeNamespaces(caller idmap.Caller) nsProbe {
	p := nsProbe{errs: map[Kind]error{}}
	if err := spawnInNamespaces(unix.CLONE_NEWUSER, 0, nil); err != nil {
		p.errs[NSUser] = err
		return p
	}
	mapped := &caller
	if err := spawnInNamespaces(unix.CLONE_NEWUSER, 0, mapped); err != nil {
		p.mapErr = err
		p.errs[NSUser] = err
		return p
	}
	p.errs[NSUser] = nil
	for _, kind := range nsProbeKinds {
		if kind == NSTime {
			p.errs[kind] = spawnInNamespaces(unix.CLONE_NEWUSER, unix.CLONE_NEWTIME, mapped)
		} else {
			p.errs[kind] = spawnInNamespaces(unix.CLONE_NEWUSER|nsCloneFlag[kind], 0, mapped)
		}
	}
	return p
}

// spawnInNamespaces runs true(1) in new namespaces and waits for it. An
// exec rather than a bare fork because Go cannot fork without exec, and
// the exec also proves the namespaces are usable, not only creatable.
func spawnInNamespaces(cloneFlags, unshareFlags uintptr, mapTo *idmap.Caller) error {
	attr := &syscall.SysProcAttr{Cloneflags: cloneFlags, Unshareflags: unshareFlags, Pdeathsig: syscall.SIGKILL}
	if mapTo != nil {
		// The single-id map any user may write for itself; setgroups must be
		// denied first, which GidMappingsEnableSetgroups=false does.
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(mapTo.UID), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(mapTo.GID), Size: 1}}
	}
	pid, err := syscall.ForkExec(trueBinary(), []string{"true"}, &syscall.ProcAttr{Env: []string{}, Sys: attr})
	if err != nil {
		return err
	}
	var ws syscall.WaitStatus
	for {
		_, err = syscall.Wait4(pid, &ws, 0, nil)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("wait for probe %d: %w", pid, err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return fmt.Errorf("probe process ended with wait status %#x", uint32(ws))
	}
	return nil
}

// trueBinary finds a program that exits 0 without touching anything.
func trueBinary() string {
	for _, p := range []string{"/usr/bin/true", "/bin/true"} {
		if unix.Access(p, unix.X_OK) == nil {
			return p
		}
	}
	if p, err := exec.LookPath("true"); err == nil {
		return p
	}
	return "/bin/true"
}

// errnoWithName renders an error with the errno's symbolic name, which is what
// people search for.
func errnoWithName(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name := unix.ErrnoName(errno); name != "" {
			return fmt.Sprintf("%v (%s)", err, name)
		}
	}
	return err.Error()
}

func checkUserns(caller idmap.Caller, p nsProbe) HostCheck {
	c := HostCheck{Name: "user namespaces"}
	findings := UsernsFindings()
	if err := p.errs[NSUser]; err != nil {
		c.Status = CheckFail
		if p.mapErr != nil {
			c.Detail = "a user namespace can be created, but mapping uid " + strconv.FormatUint(uint64(caller.UID), 10) + " into it failed: " + errnoWithName(err)
			c.Fix = "an LSM or a seccomp filter refuses writes to /proc/PID/uid_map; check the kernel log (journalctl -k)"
			return c
		}
		c.Detail = "the kernel refused to create one: " + errnoWithName(err)
		c.Fix = usernsFix(err, findings)
		if len(findings) > 0 {
			c.Detail += "; " + findingProblems(findings)
		}
		return c
	}
	var refused []string
	var fixes []string
	for _, kind := range nsProbeKinds {
		err := p.errs[kind]
		if err == nil || kind == NSTime {
			continue
		}
		refused = append(refused, fmt.Sprintf("%s: %s", kind, errnoWithName(err)))
		fixes = append(fixes, kindFix(kind, err, findings))
	}
	switch {
	case len(refused) > 0:
		c.Status = CheckFail
		c.Detail = "a user namespace works, but inside it the kernel refused " + strings.Join(refused, "; ")
		if len(findings) > 0 {
			c.Detail += "; " + findingProblems(findings)
		}
		c.Fix = strings.Join(uniqueStrings(fixes), "; ")
	case p.errs[NSTime] != nil:
		c.Status = CheckWarn
		c.Detail = "7 of 8 kinds: user, mnt, pid, net, ipc, uts, cgroup; time refused (see time namespace)"
		c.Fix = "run with --share-time until the time namespace works"
	default:
		c.Status = CheckOK
		c.Detail = "all 8 kinds: user, mnt, pid, net, ipc, uts, cgroup, time"
	}
	if len(findings) > 0 && c.Status != CheckFail {
		if caller.UID == 0 {
			// Root is exempt from these restrictions, so its success says
			// nothing about the users who will run hutch.
			c.Status = CheckWarn
			c.Detail += "; but for unprivileged users: " + findingProblems(findings)
			c.Fix = findingFixes(findings)
		} else {
			c.Detail += " (" + findingProblems(findings) + ", but this hutch is allowed)"
		}
	}
	return c
}

// usernsFix explains a refused user namespace: a known sysctl first, then
// what the errno points at.
func usernsFix(err error, findings []HostFinding) string {
	if len(findings) > 0 {
		return findingFixes(findings)
	}
	switch {
	case errors.Is(err, unix.ENOSPC):
		return "the caller has as many user namespaces as user.max_user_namespaces allows; end some sandboxes or, as root, raise it: sysctl -w user.max_user_namespaces=15000"
	case errors.Is(err, unix.EUSERS):
		return "user namespaces nest at most 32 deep; run hutch from a shallower namespace"
	case errors.Is(err, unix.EINVAL):
		return "the kernel lacks user namespaces (CONFIG_USER_NS); use a kernel built with it"
	case errors.Is(err, unix.ENOSYS):
		return "a seccomp filter of an enclosing container hides clone; run hutch outside the container or give the container a seccomp profile that allows clone with CLONE_NEWUSER"
	}
	if mode, _, ok := seccompMode(readOptionalFile("/proc/self/status")); ok && mode != "0" {
		return "hutch runs under a seccomp filter (in a container?) that may forbid CLONE_NEWUSER: run hutch outside the container, or allow user namespaces in its seccomp profile (docker/podman: --security-opt seccomp=unconfined)"
	}
	return "an LSM (SELinux, AppArmor) or kernel hardening refuses it; the kernel log says which (journalctl -k)"
}

// kindFix explains a kind refused inside a working user namespace: a
// per-kind limit, a kernel without the kind, or an LSM that lets the user
// namespace be created but withholds its capabilities (AppArmor's
// restriction does exactly that).
func kindFix(kind Kind, err error, findings []HostFinding) string {
	limit := "max_" + string(kind) + "_namespaces"
	if v, ok := readSysctl("/proc/sys/user/" + limit); (ok && v == "0") || errors.Is(err, unix.ENOSPC) {
		return fmt.Sprintf("as root: sysctl -w user.%s=15000, and set it in /etc/sysctl.d to keep it", limit)
	}
	if _, serr := os.Stat("/proc/self/ns/" + string(kind)); errors.Is(err, unix.EINVAL) && serr != nil {
		return fmt.Sprintf("the kernel lacks %s namespaces; use a kernel built with them, or share the host's with --share-%s", kind, shareFlagName(kind))
	}
	if len(findings) > 0 {
		return findingFixes(findings)
	}
	return fmt.Sprintf("an LSM refuses %s namespaces to this user (see journalctl -k), or share the host's with --share-%s", kind, shareFlagName(kind))
}

// shareFlagName is the word hutch run's --share-KIND flags use.
func shareFlagName(kind Kind) string {
	if kind == NSMount {
		return "mount"
	}
	return string(kind)
}

func findingProblems(fs []HostFinding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Problem
	}
	return strings.Join(parts, "; ")
}

func findingFixes(fs []HostFinding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Fix
	}
	return strings.Join(parts, "; ")
}

func uniqueStrings(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func checkMaxUserns() HostCheck {
	c := HostCheck{Name: "max_user_namespaces"}
	v, ok := readSysctl("/proc/sys/user/max_user_namespaces")
	if !ok {
		c.Status, c.Detail = CheckWarn, "/proc/sys/user/max_user_namespaces is missing: the kernel lacks user namespaces or /proc is not mounted"
		return c
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		c.Status, c.Detail = CheckWarn, fmt.Sprintf("unreadable value %q", v)
		return c
	}
	c.Status, c.Detail = CheckOK, fmt.Sprintf("%d per user", n)
	if n == 0 {
		c.Status = CheckFail
		c.Fix = "as root: sysctl -w user.max_user_namespaces=15000, and set it in /etc/sysctl.d to keep it"
		return c
	}
	// The other kinds have limits of their own, and a zero there refuses
	// that kind alone, which is easy to miss.
	var zero []string
	for _, kind := range nsProbeKinds {
		if v, ok := readSysctl("/proc/sys/user/max_" + string(kind) + "_namespaces"); ok && v == "0" {
			zero = append(zero, "max_"+string(kind)+"_namespaces")
		}
	}
	if len(zero) > 0 {
		c.Status = CheckWarn
		verb := " is 0"
		if len(zero) > 1 {
			verb = " are 0"
		}
		c.Detail += "; but " + strings.Join(zero, ", ") + verb
		c.Fix = "as root: sysctl -w user." + zero[0] + "=15000 (likewise for the others)"
	}
	return c
}

func checkTimens(p nsProbe) HostCheck {
	c := HostCheck{Name: "time namespace"}
	if _, err := os.Stat("/proc/self/ns/time"); err != nil {
		c.Status = CheckFail
		c.Detail = "the kernel has no time namespaces (they need Linux 5.6 and CONFIG_TIME_NS)"
		c.Fix = "run with --share-time, or set time = false under [namespaces] in your profile"
		return c
	}
	offsets := "clock offsets through /proc/PID/timens_offsets"
	if _, err := os.Stat("/proc/self/timens_offsets"); err != nil {
		offsets = "but /proc/self/timens_offsets is missing, so clock offsets cannot be set"
	}
	err, tried := p.errs[NSTime]
	switch {
	case !tried:
		c.Status = CheckWarn
		c.Detail = "supported by the kernel, " + offsets + "; not tried, since user namespaces fail"
	case err != nil:
		c.Status = CheckFail
		c.Detail = "supported by the kernel, but creating one in a user namespace failed: " + errnoWithName(err)
		c.Fix = "run with --share-time, or set time = false under [namespaces] in your profile"
	default:
		c.Status = CheckOK
		c.Detail = "works, " + offsets
	}
	return c
}

// checkMapHelper reports whether newuidmap or newgidmap can write the id
// ranges hutch asks for. Finding the binary is not enough: packaging
// grants it power either as setuid root or through a file capability, and
// a nosuid mount voids both.
func checkMapHelper(name string, needed uint) HostCheck {
	c := HostCheck{Name: name}
	path, err := exec.LookPath(name)
	if err != nil {
		c.Status = CheckWarn
		c.Detail = "not found; only profiles that map subordinate ids need it"
		c.Fix = "install it: Debian/Ubuntu: apt install uidmap; Fedora: dnf install shadow-utils; Arch: pacman -S shadow"
		return c
	}
	st, err := os.Stat(path)
	if err != nil {
		c.Status, c.Detail = CheckWarn, fmt.Sprintf("%s: %v", path, err)
		return c
	}
	var how string
	if st.Mode()&os.ModeSetuid != 0 {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Uid == 0 {
			how = "setuid root"
		}
	}
	if how == "" {
		if b, err := readXattr(path, "security.capability"); err == nil {
			if fc, err := parseFileCaps(b); err == nil && fc.Permitted&(1<<needed) != 0 {
				how = "file capability " + helperCapName(needed)
			}
		}
	}
	if how == "" {
		c.Status = CheckWarn
		c.Detail = path + " is neither setuid root nor has " + helperCapName(needed) + ", so it cannot map id ranges"
		c.Fix = fmt.Sprintf("as root: chmod u+s %s, or setcap %s=ep %s", path, strings.ToLower(helperCapName(needed)), path)
		return c
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(path, &fs); err == nil && fs.Flags&unix.ST_NOSUID != 0 {
		c.Status = CheckWarn
		c.Detail = path + " is " + how + ", but its file system is mounted nosuid, which voids it"
		c.Fix = "install " + name + " on a file system mounted without nosuid"
		return c
	}
	c.Status, c.Detail = CheckOK, path+" ("+how+")"
	return c
}

func helperCapName(c uint) string {
	switch c {
	case unix.CAP_SETUID:
		return "CAP_SETUID"
	case unix.CAP_SETGID:
		return "CAP_SETGID"
	}
	return "capability " + strconv.FormatUint(uint64(c), 10)
}

// readXattr reads one extended attribute whole.
func readXattr(path, name string) ([]byte, error) {
	buf := make([]byte, 64)
	for {
		n, err := unix.Getxattr(path, name, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*4)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("getxattr %s %s: %w", path, name, err)
		}
		return buf[:n], nil
	}
}

// fileCaps is the part of a security.capability attribute hutch looks at.
type fileCaps struct {
	Permitted uint64
	Effective bool
	RootID    uint32 // revision 3: the namespace root the caps apply under
}

// The layout of security.capability (linux/capability.h): a revision
// word, then permitted/inheritable pairs of 32-bit words, and with
// revision 3 a root uid.
const (
	vfsCapRevisionMask = 0xff000000
	vfsCapRevision1    = 0x01000000
	vfsCapRevision2    = 0x02000000
	vfsCapRevision3    = 0x03000000
	vfsCapEffective    = 0x000001
)

// parseFileCaps decodes a security.capability attribute.
func parseFileCaps(b []byte) (fileCaps, error) {
	if len(b) < 4 {
		return fileCaps{}, fmt.Errorf("file capability of %d bytes is too short", len(b))
	}
	magic := binary.LittleEndian.Uint32(b)
	fc := fileCaps{Effective: magic&vfsCapEffective != 0}
	var want int
	switch magic & vfsCapRevisionMask {
	case vfsCapRevision1:
		want = 12
	case vfsCapRevision2:
		want = 20
	case vfsCapRevision3:
		want = 24
	default:
		return fileCaps{}, fmt.Errorf("unknown file capability revision %#x", magic&vfsCapRevisionMask)
	}
	if len(b) != want {
		return fileCaps{}, fmt.Errorf("file capability revision %d is %d bytes, want %d", magic>>24, len(b), want)
	}
	fc.Permitted = uint64(binary.LittleEndian.Uint32(b[4:]))
	if want >= 20 {
		fc.Permitted |= uint64(binary.LittleEndian.Uint32(b[12:])) << 32
	}
	if want == 24 {
		fc.RootID = binary.LittleEndian.Uint32(b[20:])
	}
	return fc, nil
}

// checkSubIDs reports the caller's subordinate ranges, which profiles
// with many ids inside (package managers, chown) map through newuidmap.
// own is the caller's uid or gid, which no range may hold: the kernel
// refuses a map that names one outside id twice.
func checkSubIDs(name, path string, caller idmap.Caller, own uint32) HostCheck {
	c := HostCheck{Name: name}
	ranges, err := idmap.LookupSubIDs(path, caller.Name, caller.UID)
	if err != nil {
		who := caller.Name
		if who == "" {
			who = strconv.FormatUint(uint64(caller.UID), 10)
		}
		c.Status = CheckWarn
		// idmap's message carries its own usermod advice, which the fix
		// below would repeat.
		c.Detail = err.Error()
		if errors.Is(err, idmap.ErrNoSubIDs) {
			c.Detail = "no range for user " + who + " in " + path
		}
		c.Detail += "; only profiles that map subordinate ids need one"
		flagName := "--add-subuids"
		if name == "subgid" {
			flagName = "--add-subgids"
		}
		c.Fix = fmt.Sprintf("as root: usermod %s 100000-165535 %s (pick a range no other user has)", flagName, who)
		return c
	}
	c.Status, c.Detail = CheckOK, path+": "+subIDSummary(ranges)
	for _, r := range ranges {
		if own >= r.Start && uint64(own) < uint64(r.Start)+uint64(r.Count) {
			kind := "uid"
			if name == "subgid" {
				kind = "gid"
			}
			c.Status = CheckWarn
			c.Detail += fmt.Sprintf("; the range %d-%d holds your own %s %d, so profiles with subordinate = true fail (a map may not name it twice)", r.Start, uint64(r.Start)+uint64(r.Count)-1, kind, own)
			c.Fix = fmt.Sprintf("as root: give the user a range without %d in %s", own, path)
			break
		}
	}
	return c
}

// subIDSummary renders ranges as first-last spans and the id count, the
// way usermod takes them.
func subIDSummary(ranges []idmap.SubIDRange) string {
	var total uint64
	parts := make([]string, len(ranges))
	for i, r := range ranges {
		parts[i] = fmt.Sprintf("%d-%d", r.Start, uint64(r.Start)+uint64(r.Count)-1)
		total += uint64(r.Count)
	}
	return fmt.Sprintf("%s (%d ids)", strings.Join(parts, ", "), total)
}

// checkCgroup reports whether the caller may manage a cgroup v2 subtree,
// which per-sandbox memory, pids and CPU limits would need. hutch sets
// none yet, so what is missing is information, never a warning: nothing
// a profile asks for depends on it. On systemd hosts the user's
// user@UID.service is delegated, not the scope the shell runs in, so the
// search walks up from the caller's cgroup.
func checkCgroup() (c HostCheck) {
	c = HostCheck{Name: "cgroup v2"}
	defer func() {
		if c.Status != CheckOK {
			c.Status = CheckInfo
			c.Detail += " (hutch sets no cgroup limits yet; [limits] are rlimits)"
		}
	}()
	mnt, root, ok := cgroup2Mount(readOptionalFile("/proc/self/mountinfo"))
	if !ok {
		c.Status = CheckInfo
		c.Detail = "no cgroup2 file system is mounted (cgroup v1 only)"
		c.Fix = "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v1 is deprecated)"
		return c
	}
	procCgroup := readOptionalFile("/proc/self/cgroup")
	rel, ok := cgroupV2Path(procCgroup)
	if !ok {
		c.Status = CheckInfo
		c.Detail = "cgroup2 is mounted at " + mnt + ", but /proc/self/cgroup has no v2 entry"
		return c
	}
	rootControllers := strings.Fields(readOptionalFile(filepath.Join(mnt, "cgroup.controllers")))
	if v1 := cgroupV1Controllers(procCgroup); len(v1) > 0 {
		// Hybrid mode: a controller bound to v1 cannot be used on v2, and
		// systemd only delegates v2.
		c.Status = CheckInfo
		c.Detail = fmt.Sprintf("hybrid mode: cgroup2 at %s has controllers %s; %s are on cgroup v1", mnt, wordsOrNone(rootControllers), strings.Join(v1, " "))
		c.Fix = "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v1 is deprecated)"
		return c
	}
	own := cgroupDir(mnt, root, rel)
	dir, ok := delegatedCgroup(mnt, own)
	if !ok {
		c.Status = CheckInfo
		c.Detail = "cgroup " + rel + " and its parents are not writable by this user: no delegated subtree"
		c.Fix = "start hutch from a systemd user session, or in a delegated scope: systemd-run --user --scope -p Delegate=yes hutch ..."
		return c
	}
	available := strings.Fields(readOptionalFile(filepath.Join(dir, "cgroup.controllers")))
	enabled := strings.Fields(readOptionalFile(filepath.Join(dir, "cgroup.subtree_control")))
	c.Status = CheckOK
	c.Detail = fmt.Sprintf("delegated %s; controllers: %s; enabled for children: %s", dir, wordsOrNone(available), wordsOrNone(enabled))
	if !slices.Contains(available, "memory") || !slices.Contains(available, "pids") {
		c.Status = CheckInfo
		c.Fix = "delegate the memory and pids controllers to users (systemd: Delegate=memory pids cpu in user@.service.d)"
	}
	return c
}

func wordsOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

// delegatedCgroup returns the deepest directory from own up to the mount
// point in which the caller may create cgroups and move processes.
func delegatedCgroup(mnt, own string) (string, bool) {
	for dir := own; ; dir = filepath.Dir(dir) {
		if unix.Access(dir, unix.W_OK) == nil && unix.Access(filepath.Join(dir, "cgroup.procs"), unix.W_OK) == nil {
			return dir, true
		}
		if dir == mnt || !strings.HasPrefix(dir, mnt) || dir == "/" {
			return "", false
		}
	}
}

// cgroupDir places a path from /proc/self/cgroup under the mount. The
// mount may show a subtree only (mountinfo's root field), as in a
// container, in which case the shared prefix is dropped.
func cgroupDir(mnt, root, rel string) string {
	if root != "/" && (rel == root || strings.HasPrefix(rel, root+"/")) {
		rel = strings.TrimPrefix(rel, root)
	}
	return filepath.Join(mnt, rel)
}

// cgroupV1Controllers lists the controllers bound to v1 hierarchies in
// /proc/PID/cgroup text ("4:memory:/x"); named hierarchies without a
// controller ("1:name=systemd:/") do not count.
func cgroupV1Controllers(text string) []string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 || parts[0] == "0" || parts[1] == "" {
			continue
		}
		for ctrl := range strings.SplitSeq(parts[1], ",") {
			if ctrl != "" && !strings.HasPrefix(ctrl, "name=") {
				out = append(out, ctrl)
			}
		}
	}
	return out
}

// cgroupV2Path returns the unified hierarchy's path from /proc/PID/cgroup
// text, the "0::PATH" line.
func cgroupV2Path(text string) (string, bool) {
	for line := range strings.SplitSeq(text, "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "0::"); ok {
			return p, true
		}
	}
	return "", false
}

// cgroup2Mount finds the first cgroup2 mount in /proc/PID/mountinfo text
// and returns its mount point and the hierarchy path it shows. Hybrid
// hosts mount cgroup2 at /sys/fs/cgroup/unified, so the place is read
// rather than assumed.
func cgroup2Mount(mountinfo string) (mnt, root string, ok bool) {
	sc := bufio.NewScanner(strings.NewReader(mountinfo))
	for sc.Scan() {
		pre, post, found := strings.Cut(sc.Text(), " - ")
		if !found {
			continue
		}
		after := strings.Fields(post)
		before := strings.Fields(pre)
		if len(after) < 1 || after[0] != "cgroup2" || len(before) < 5 {
			continue
		}
		return unescapeMountinfo(before[4]), unescapeMountinfo(before[3]), true
	}
	return "", "", false
}

// unescapeMountinfo undoes the octal escapes (\040 for a space) the kernel
// writes in mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// checkLandlock reports the Landlock ABI, since each ABI adds access
// rights (truncate in 3, networking in 4, ioctl on devices in 5) and a
// best-effort sandbox silently goes without the newer ones.
func checkLandlock() HostCheck {
	abi, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	var err error
	if errno != 0 {
		err = errno
	}
	return landlockCheck(int(abi), err, readOptionalFile("/sys/kernel/security/lsm"))
}

// landlockCheck grades landlock_create_ruleset's answer; lsm is the
// content of /sys/kernel/security/lsm, empty when unreadable.
func landlockCheck(abi int, err error, lsm string) HostCheck {
	c := HostCheck{Name: "landlock"}
	switch {
	case err == nil:
		c.Status, c.Detail = CheckOK, fmt.Sprintf("ABI %d", abi)
		return c
	case errors.Is(err, unix.EOPNOTSUPP):
		c.Status = CheckWarn
		c.Detail = "built into the kernel but not enabled at boot"
		enabled := strings.TrimSpace(lsm)
		if enabled == "" {
			enabled = "<the list in /sys/kernel/security/lsm>"
		}
		c.Fix = "add landlock to the lsm= kernel parameter, e.g. lsm=landlock," + enabled + "; until then profiles with landlock mode required fail, best-effort ones run without it"
	case errors.Is(err, unix.ENOSYS):
		c.Status = CheckWarn
		c.Detail = "the kernel has no Landlock (needs Linux 5.13 and CONFIG_SECURITY_LANDLOCK), or a seccomp filter hides it"
		c.Fix = "use a kernel with Landlock; until then profiles with landlock mode required fail, best-effort ones run without it"
	default:
		c.Status = CheckWarn
		c.Detail = "landlock_create_ruleset: " + errnoWithName(err)
	}
	return c
}

// seccompActionsNeeded are the filter return actions hutch's programs use:
// errno for denials, kill_process for action "kill", log for action "log".
var seccompActionsNeeded = []string{"allow", "errno", "kill_process", "log"}

func checkSeccomp() HostCheck {
	c := HostCheck{Name: "seccomp"}
	mode, filters, ok := seccompMode(readOptionalFile("/proc/self/status"))
	if !ok {
		c.Status = CheckFail
		c.Detail = "the kernel has no seccomp (no Seccomp line in /proc/self/status)"
		c.Fix = "use a kernel built with CONFIG_SECCOMP_FILTER, or run sandboxes with --seccomp none (no system call filter)"
		return c
	}
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		c.Status = CheckFail
		c.Detail = "prctl(PR_GET_SECCOMP): " + errnoWithName(err)
		c.Fix = "use a kernel built with CONFIG_SECCOMP_FILTER, or run sandboxes with --seccomp none"
		return c
	}
	avail, haveAvail := readSysctl("/proc/sys/kernel/seccomp/actions_avail")
	c.Status = CheckOK
	c.Detail = "filters supported"
	if haveAvail {
		c.Detail += "; actions: " + avail
		if missing := missingWords(avail, seccompActionsNeeded); len(missing) > 0 {
			c.Status = CheckWarn
			c.Detail += "; missing " + strings.Join(missing, ", ")
			c.Fix = "use Linux 4.14 or later; until then profiles whose seccomp action needs a missing one fail"
		}
	}
	if mode == "2" {
		// Filters stack, so an outer one (a container's) still decides
		// first whatever hutch allows.
		c.Detail += fmt.Sprintf("; hutch itself already runs under %s seccomp filter(s), which apply inside sandboxes too", filters)
	}
	return c
}

// seccompMode reads the Seccomp and Seccomp_filters lines of
// /proc/PID/status; ok is false when the kernel has no seccomp.
func seccompMode(status string) (mode, filters string, ok bool) {
	filters = "0"
	for line := range strings.SplitSeq(status, "\n") {
		key, val, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		switch key {
		case "Seccomp":
			mode, ok = strings.TrimSpace(val), true
		case "Seccomp_filters":
			filters = strings.TrimSpace(val)
		}
	}
	return mode, filters, ok
}

// missingWords returns the words of want absent from the space-separated
// list have.
func missingWords(have string, want []string) []string {
	words := strings.Fields(have)
	var missing []string
	for _, w := range want {
		if !slices.Contains(words, w) {
			missing = append(missing, w)
		}
	}
	return missing
}

// checkLibseccomp reports the linked libseccomp, which compiles the
// filters: its syscall tables and its API level (what it found the kernel
// supports) decide which rules and actions can be expressed.
func checkLibseccomp() HostCheck {
	major, minor, micro := libseccomp.GetLibraryVersion()
	api, err := libseccomp.GetAPI()
	return libseccompCheck(major, minor, micro, api, err)
}

func libseccompCheck(major, minor, micro, api uint, apiErr error) HostCheck {
	c := HostCheck{Name: "libseccomp", Status: CheckOK}
	c.Detail = fmt.Sprintf("libseccomp %d.%d.%d", major, minor, micro)
	switch {
	case apiErr != nil:
		c.Status = CheckWarn
		c.Detail += "; API level unknown: " + apiErr.Error()
	case api < 3:
		// Level 3 is where libseccomp accepts kill_process and log.
		c.Status = CheckWarn
		c.Detail += fmt.Sprintf(", API level %d", api)
		c.Fix = "API level 3 or later (Linux 4.14, libseccomp 2.4) is needed for seccomp actions kill and log"
	default:
		c.Detail += fmt.Sprintf(", API level %d", api)
	}
	return c
}

// checkNetHelper reports a user-mode network helper, the only way a
// sandbox with its own network namespace can reach further than loopback
// without root. A missing one is information, not a fault: the default
// profile has no network at all.
func checkNetHelper(name, pkg string) HostCheck {
	c := HostCheck{Name: name}
	path, err := exec.LookPath(name)
	if err != nil {
		c.Status, c.Detail = CheckInfo, "not found"
		c.Fix = "install the " + pkg + " package for user-mode networking"
		return c
	}
	c.Status, c.Detail = CheckOK, path
	if v := helperVersion(path); v != "" {
		c.Detail += " (" + v + ")"
	}
	return c
}

// helperVersion asks a helper for its version, with a deadline so that a
// broken one cannot hang the doctor.
func helperVersion(path string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return ""
	}
	return firstNonEmptyLine(string(out))
}

func firstNonEmptyLine(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// readFileString returns a file's content, or "" when it cannot be read:
// the checks treat an unreadable file like a missing feature.
func readOptionalFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}
