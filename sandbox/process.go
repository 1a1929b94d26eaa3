package sandbox

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hutch-sandbox/hutch/idmap"
	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/sandbox/early"
)

// enterTimeNamespace gives the init's future children a time namespace of
// their own with the spec's clock offsets. A time namespace is entered by
// the children of the thread that unshared it (and by exec), and its
// offsets can only be written before any process is in it; so the init
// unshares it on its main thread, writes the offsets through /proc/self
// (the main thread's view) and forks the app from that same thread.
func enterTimeNamespace(spec *Spec) error {
	if unix.Gettid() != unix.Getpid() {
		return errorf("time namespace: the init is not on its main thread")
	}
	if err := unix.Unshare(unix.CLONE_NEWTIME); err != nil {
		return errorf("create time namespace: %w (needs Linux 5.6 or later; share it with --share-time)", err)
	}
	if spec.MonotonicOffset == 0 && spec.BoottimeOffset == 0 {
		return nil
	}
	text := fmt.Sprintf("monotonic %s\nboottime %s\n", offsetText(spec.MonotonicOffset), offsetText(spec.BoottimeOffset))
	if err := os.WriteFile("/proc/self/timens_offsets", []byte(text), 0); err != nil {
		why := "an offset may not take a clock below zero"
		if spec.MonotonicOffset >= 0 && spec.BoottimeOffset >= 0 {
			why = "an offset may not take a clock past the kernel's bound, about 146 years"
		}
		return errorf("set clock offsets (monotonic %v, boottime %v): %w (%s)", spec.MonotonicOffset, spec.BoottimeOffset, err, why)
	}
	return nil
}

// offsetText renders an offset as timens_offsets wants it: whole seconds
// and a non-negative nanosecond part.
func offsetText(d time.Duration) string {
	secs := int64(d / time.Second)
	nanos := int64(d % time.Second)
	if nanos < 0 {
		secs--
		nanos += int64(time.Second)
	}
	return fmt.Sprintf("%d %d", secs, nanos)
}

// loopbackUp brings up lo in a new network namespace, which starts down.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return errorf("loopback: socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return errorf("loopback: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return errorf("loopback: get flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return errorf("loopback: bring up: %w", err)
	}
	return nil
}

// Rlimits maps profile names to resources.
var Rlimits = map[string]int{
	"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU,
	"data": unix.RLIMIT_DATA, "fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS,
	"memlock": unix.RLIMIT_MEMLOCK, "msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE,
	"nofile": unix.RLIMIT_NOFILE, "nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS,
	"rtprio": unix.RLIMIT_RTPRIO, "rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING,
	"stack": unix.RLIMIT_STACK,
}

func setRlimits(limits []Rlimit) error {
	app, err := appLimits(limits)
	if err != nil {
		return err
	}
	for i, l := range app {
		want := unix.Rlimit{Cur: l.Soft, Max: l.Hard}
		if err := unix.Setrlimit(l.Resource, &want); err != nil {
			return errorf("limit %s to %d/%d: %w", limits[i].Resource, want.Cur, want.Max, err)
		}
	}
	return nil
}

// appLimits are the limits to set, each clamped to the caller's: a limit
// only ever tightens what the caller has, and where the caller's own soft
// or hard limit is lower already, it stays. (Raising a hard one would need
// CAP_SYS_RESOURCE outside, and fail.) The caller's soft RLIMIT_NOFILE is
// the one hutch started with, which the Go runtime has raised since.
func appLimits(limits []Rlimit) ([]early.Limit, error) {
	out := make([]early.Limit, 0, len(limits))
	for _, l := range limits {
		res, ok := Rlimits[l.Resource]
		if !ok {
			return nil, errorf("unknown resource limit %q", l.Resource)
		}
		var cur unix.Rlimit
		if err := unix.Getrlimit(res, &cur); err != nil {
			return nil, errorf("read limit %s: %w", l.Resource, err)
		}
		if res == unix.RLIMIT_NOFILE {
			if soft, ok := early.CallerNofileSoft(); ok {
				cur.Cur = soft
			}
		}
		out = append(out, early.Limit{Resource: res, Soft: min(l.Soft, l.Hard, cur.Cur, cur.Max), Hard: min(l.Hard, cur.Max)})
	}
	return out, nil
}

// switchIdentity checks that the init already is the app's uid and gid,
// which every id plan makes it (the app's ids are the caller's, mapped),
// and drops the caller's supplementary groups where the maps allow it:
// with subordinate ranges setgroups is allowed, and the caller's host
// groups have no business inside.
func switchIdentity(cfg *initConfig) error {
	id := cfg.Spec.Identity
	if uid, gid := uint32(unix.Geteuid()), uint32(unix.Getegid()); uid != id.UID || gid != id.GID {
		return errorf("the init is uid %d, gid %d, not the app's uid %d, gid %d: the id maps are wrong", uid, gid, id.UID, id.GID)
	}
	if cfg.Plan.Helpers {
		if err := unix.Setgroups(nil); err != nil {
			return errorf("drop supplementary groups: %w", err)
		}
	}
	return nil
}

// ParseCapability accepts CAP_NET_BIND_SERVICE, cap_net_bind_service or
// net_bind_service.
func ParseCapability(name string) (capability.Cap, error) {
	want := capName(name)
	for _, c := range capability.List() {
		if c.String() == want {
			return c, nil
		}
	}
	return 0, fmt.Errorf("unknown capability %q", name)
}

func capName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	s := string(b)
	if len(s) > 4 && s[:4] == "cap_" {
		s = s[4:]
	}
	return s
}

// dropCapabilities leaves the calling thread, and so the app forked from
// it, with only the kept capabilities, in every set: effective, permitted,
// inheritable, ambient (so a non-root app keeps them across exec) and
// bounding (so nothing can be regained).
func dropCapabilities(keepNames []string) error {
	keep := make([]capability.Cap, 0, len(keepNames))
	for _, n := range keepNames {
		c, err := ParseCapability(n)
		if err != nil {
			return errorf("%w", err)
		}
		keep = append(keep, c)
	}
	// Root in the sandbox gets no capabilities from exec (NOROOT), the
	// kept ones reach the app only as ambient ones, and none of it can be
	// undone: every bit is locked, as systemd's SecureBits= and
	// libcap's capsh --secbits do for a service that must stay unprivileged.
	bits := secbitNoRoot | secbitNoRootLocked | secbitKeepCapsLocked
	if len(keep) == 0 {
		bits |= secbitNoCapAmbientRaise | secbitNoCapAmbientRaiseLocked
	}
	if err := unix.Prctl(unix.PR_SET_SECUREBITS, uintptr(bits), 0, 0, 0); err != nil {
		return errorf("lock securebits: %w", err)
	}
	caps, err := capability.NewPid2(0)
	if err != nil {
		return errorf("capabilities: %w", err)
	}
	caps.Clear(capability.CAPS | capability.BOUNDS | capability.AMBS)
	caps.Set(capability.CAPS|capability.BOUNDING|capability.AMBIENT, keep...)
	if err := caps.Apply(capability.CAPS | capability.BOUNDS | capability.AMBS); err != nil {
		return errorf("drop capabilities: %w", err)
	}
	return nil
}

// userName returns the login name of uid, or "" if it has none.
func userName(uid uint32) string {
	a, _ := idmap.LookupAccount(idmap.PasswdFile, uid)
	return a.Name
}

// usernsLimitPath is the calling process's user namespace's limit on user
// namespaces created in it (each user namespace has its own set).
const usernsLimitPath = "/proc/sys/user/max_user_namespaces"

// writeUsernsLimit sets how many user namespaces may be created inside
// the caller's own. Only a holder of CAP_SYS_RESOURCE in that namespace
// may change it, which the app never is.
func writeUsernsLimit(n int) error {
	return os.WriteFile(usernsLimitPath, []byte(strconv.Itoa(n)), 0)
}

// readUsernsLimit is writeUsernsLimit's counterpart.
func readUsernsLimit() (int, error) {
	b, err := os.ReadFile(usernsLimitPath)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// Securebits from linux/securebits.h.
const (
	secbitNoRoot                  = 1 << 0
	secbitNoRootLocked            = 1 << 1
	secbitKeepCapsLocked          = 1 << 5
	secbitNoCapAmbientRaise       = 1 << 6
	secbitNoCapAmbientRaiseLocked = 1 << 7
)
