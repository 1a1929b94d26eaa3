package sandbox

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// Landlock is the second wall behind the mounts: even where a mount makes
// a path visible, the app may only use it as the rules below say, and a
// mistake in building the root (or a file descriptor that leads out of
// it) does not turn into access. The rules follow the mounts, so a
// profile author writes none:
//
//   - ro-bind, proc, dev's device nodes, dir, symlink, file and the
//     rootfs folder: read and execute;
//   - bind, tmpfs (not read-only) and a writable rootfs: everything but
//     creating device nodes;
//   - dev: the device rights (read, write, ioctl) on /dev, everything on
//     its /dev/shm;
//   - the root itself: listing it;
//   - landlock.read and landlock.write in the profile add paths; a mount's
//     own landlock = "none" | "ro" | "rw" replaces what its type gives.
//
// Landlock rules grant access beneath a directory and add up along the
// path, so a writable bind inside a read-only one is writable, and the
// mount's own read-only flag still refuses what the rule would allow.
// Rules belong to inodes, not to paths: two binds of one host directory
// share whatever either is granted.

// Filesystem rights by the ABI version that introduced them.
const (
	llReadRights = ll.AccessFSExecute | ll.AccessFSReadFile | ll.AccessFSReadDir
	llABI1Rights = llReadRights | ll.AccessFSWriteFile | ll.AccessFSRemoveDir | ll.AccessFSRemoveFile |
		ll.AccessFSMakeChar | ll.AccessFSMakeDir | ll.AccessFSMakeReg | ll.AccessFSMakeSock |
		ll.AccessFSMakeFifo | ll.AccessFSMakeBlock | ll.AccessFSMakeSym
	llDevRights = ll.AccessFSMakeChar | ll.AccessFSMakeBlock
)

// llHandled returns every filesystem right the kernel's ABI knows, so
// that each one is refused unless a rule grants it.
func llHandled(abi int) uint64 {
	rights := uint64(llABI1Rights)
	if abi >= 2 {
		rights |= ll.AccessFSRefer
	}
	if abi >= 3 {
		rights |= ll.AccessFSTruncate
	}
	if abi >= 5 {
		rights |= ll.AccessFSIoctlDev
	}
	return rights
}

// llRule grants rights beneath a path inside the sandbox.
type llRule struct {
	path   string
	rights uint64
}

// landlockRules derives the rules from the spec, in mount order. The
// rights are the full sets; enforceLandlock masks them to the ABI.
func landlockRules(spec *Spec) []llRule {
	all := ^uint64(0) &^ llDevRights
	device := uint64(llReadRights | ll.AccessFSWriteFile | ll.AccessFSTruncate | ll.AccessFSIoctlDev)
	var rules []llRule
	policy := spec.Security.Landlock
	if !spec.NewShares(NSMount) {
		// The host's mounts are the app's: without mounts to follow, only
		// the profile's explicit paths limit it, and with none the whole
		// tree stays as usable as the host made it.
		if len(policy.Read) == 0 && len(policy.Write) == 0 {
			return []llRule{{"/", all}}
		}
	} else if spec.Root != "" {
		r := uint64(llReadRights)
		if spec.RootWritable {
			r = all
		}
		rules = append(rules, llRule{"/", r})
	} else {
		rules = append(rules, llRule{"/", ll.AccessFSReadDir})
	}
	for _, m := range spec.Mounts {
		if !spec.NewShares(NSMount) {
			break
		}
		var r uint64
		switch m.Type {
		case Bind:
			r = all
		case DevBind:
			r = all | device
		case Tmpfs:
			r = all
			if m.ReadOnly {
				r = llReadRights
			}
		case Dev:
			rules = append(rules, llRule{m.Target, device}, llRule{path.Join(m.Target, "shm"), all}, llRule{path.Join(m.Target, "pts"), device})
			continue
		case Proc:
			// Writes to /proc/self (oom_score_adj, comm, fd) are normal
			// work; sysctls are read-only by mount.
			r = llReadRights | ll.AccessFSWriteFile | ll.AccessFSTruncate
		case Mqueue:
			r = all
		case Symlink:
			continue // a link grants nothing; its target's rule applies
		default: // ro-bind, dir, file
			r = llReadRights
		}
		switch m.Landlock {
		case LandlockAccessNone:
			r = 0
		case LandlockAccessRO:
			r = llReadRights
		case LandlockAccessRW:
			r = all
		}
		rules = append(rules, llRule{m.Target, r})
	}
	for _, p := range policy.Read {
		rules = append(rules, llRule{p, llReadRights})
	}
	for _, p := range policy.Write {
		rules = append(rules, llRule{p, all})
	}
	return rules
}

// checkLandlockNone refuses a mount with landlock = "none" beneath a path
// whose rule lets the app read files: Landlock rules only add rights
// along a path, so the mount would inherit that read access whatever its
// own rule says (a "none" ~/.ssh under the home's tmpfs stayed readable).
func checkLandlockNone(spec *Spec) error {
	if spec.Security.Landlock.Mode == LandlockOff || !slices.ContainsFunc(spec.Mounts, func(m Mount) bool { return m.Landlock == LandlockAccessNone }) {
		return nil
	}
	rules := landlockRules(spec)
	for i, m := range spec.Mounts {
		if m.Landlock != LandlockAccessNone {
			continue
		}
		target := path.Clean(m.Target)
		for _, r := range rules {
			above := path.Clean(r.path)
			if r.rights&ll.AccessFSReadFile == 0 || above == target || !(above == "/" || strings.HasPrefix(target, above+"/")) {
				continue
			}
			return fmt.Errorf("mount %d (%s %s): landlock = \"none\" cannot hold beneath %s, which the app may read: Landlock rules only add rights along a path; mount it elsewhere", i+1, m.Type, m.Target, above)
		}
	}
	return nil
}

// errLandlockMissing marks a kernel, or a place, without Landlock.
var errLandlockMissing = errors.New("Landlock is unavailable")

// landlockMissing says why Landlock cannot be used, from the errno of the
// ABI query, and what to do about it.
func landlockMissing(err error) error {
	switch {
	case errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("%w: this kernel lacks it (Linux 5.13 or later built with CONFIG_SECURITY_LANDLOCK has it)", errLandlockMissing)
	case errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("%w: the kernel has it but it is off; add landlock to the lsm= boot parameter", errLandlockMissing)
	case err != nil:
		// EPERM: a seccomp filter or a security module around hutch, such
		// as an enclosing sandbox, refuses the call.
		return fmt.Errorf("%w: landlock_create_ruleset: %w (a seccomp filter or security policy around hutch refuses it)", errLandlockMissing, err)
	}
	return errLandlockMissing
}

// enforceLandlock restricts the calling thread, and so everything forked
// from it afterwards, to the spec's rules. The init calls it on its main
// thread, where the app and exec'd processes are forked; the init's other
// threads run only the Go runtime. On ABI 6 and later the domain is also
// scoped: no abstract unix socket and no signal reaches outside it.
func enforceLandlock(spec *Spec) error {
	mode := spec.Security.Landlock.Mode
	if mode == LandlockOff {
		return nil
	}
	abi, err := ll.LandlockGetABIVersion()
	if err != nil || abi < 1 {
		if mode == LandlockRequired {
			return errorf("landlock is required by the profile, but %w; or set landlock.mode = \"best-effort\"", landlockMissing(err))
		}
		return nil
	}
	handled := llHandled(abi)
	attr := ll.RulesetAttr{HandledAccessFS: handled}
	if abi >= 6 {
		attr.Scoped = ll.ScopeAbstractUnixSocket | ll.ScopeSignal
	}
	ruleset, err := ll.LandlockCreateRuleset(&attr, 0)
	if err != nil {
		return errorf("landlock: create ruleset: %w", err)
	}
	defer unix.Close(ruleset)
	for _, r := range landlockRules(spec) {
		rights := r.rights & handled
		if rights == 0 {
			continue
		}
		fd, err := unix.Open(r.path, unix.O_PATH|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			continue // an optional mount that was not there
		}
		if err != nil {
			// Skipped, the rule's access would be silently missing.
			return errorf("landlock: open %s for its rule: %w", r.path, err)
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			// Only file rights apply to a file.
			rights &= ll.AccessFSExecute | ll.AccessFSReadFile | ll.AccessFSWriteFile | ll.AccessFSTruncate | ll.AccessFSIoctlDev
		}
		err = ll.LandlockAddPathBeneathRule(ruleset, &ll.PathBeneathAttr{AllowedAccess: rights, ParentFd: fd}, 0)
		unix.Close(fd)
		if err != nil {
			return errorf("landlock: rule for %s: %w", r.path, err)
		}
	}
	if err := ll.LandlockRestrictSelf(ruleset, 0); err != nil {
		return errorf("landlock: enforce: %w", err)
	}
	return nil
}

func (r llRule) String() string { return fmt.Sprintf("%s %#x", r.path, r.rights) }
