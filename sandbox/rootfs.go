package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The root is built the way bubblewrap builds it, with the kernel's mount
// API for every step that takes a path inside the new root:
//
//  1. make every mount private, so nothing the host mounts later shows up;
//  2. mount a staging tmpfs and pivot into it, the host's root at /oldroot;
//  3. make /newroot (a tmpfs, or the profile's root folder) and apply each
//     mount entry in order: sources resolve inside /oldroot, targets inside
//     /newroot, both with openat2(RESOLVE_IN_ROOT), so no symlink leads out;
//     binds are cloned with open_tree, flagged with mount_setattr while still
//     detached (read-only covers every submount) and attached by move_mount;
//  4. make the root tmpfs read-only and pivot into /newroot with the staging
//     tmpfs and the host's root stacked below, then detach them both.

// resolveInRoot keeps every lookup inside the root directory fd, treating
// absolute symlinks as relative to it, and refuses /proc magic links.
const resolveInRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// stagingBases are tried in order for the staging tmpfs; any directory
// works because the mount is private to the sandbox.
var stagingBases = []string{"/tmp", "/run", "/mnt", "/var/tmp", "/dev"}

type rootBuilder struct {
	cfg     *initConfig
	spec    *Spec
	oldRoot int // the host's root, O_PATH
	newRoot int // the root being built, O_PATH
	files   int // staged file contents so far
	// devs are the minimal /dev mounts made, each held by its mount's fd
	// and made read-only once every mount is in place: the fd, not the
	// path, which a later mount on the same path would cover.
	devs []devMount
	// sources maps each bind's target inside to its host source's
	// attributes, for exposures; filled on first use.
	sources map[string]unix.Stat_t
}

func buildRoot(cfg *initConfig) error {
	spec := cfg.Spec
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		// Not the host's limits on user namespaces, which the sandbox's
		// own already passed: inside it, something around hutch refuses
		// mounting.
		return errorf("make mounts private: %w (mounting is refused inside the sandbox's user namespace: an enclosing sandbox's Landlock domain or seccomp filter, or a security module such as AppArmor; 'hutch doctor' run from the same place tells more)", err)
	}
	base, err := mountStaging()
	if err != nil {
		return err
	}
	if err := unix.Chdir(base); err != nil {
		return errorf("chdir %s: %w", base, err)
	}
	for _, dir := range []string{"newroot", "oldroot", "files"} {
		if err := unix.Mkdir(dir, 0o700); err != nil {
			return errorf("staging: mkdir %s: %w", dir, err)
		}
	}
	if err := unix.PivotRoot(".", "oldroot"); err != nil {
		return errorf("pivot_root into staging: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return errorf("chdir /: %w", err)
	}
	b := &rootBuilder{cfg: cfg, spec: spec, oldRoot: -1, newRoot: -1}
	defer b.close()
	if b.oldRoot, err = unix.Open("/oldroot", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
		return errorf("open old root: %w", err)
	}
	if err := b.makeNewRoot(); err != nil {
		return err
	}
	for i, m := range spec.Mounts {
		if err := b.apply(m); err != nil {
			return errorf("mount %d (%s %s): %w", i+1, m.Type, m.Target, err)
		}
	}
	if err := b.nameHost(); err != nil {
		return err
	}
	if err := b.hideMachineID(); err != nil {
		return err
	}
	if err := b.hideAndProtect(); err != nil {
		return err
	}
	// Sealed only now, so that later mounts (the GPU's /dev/dri) could
	// make their mount points in /dev.
	for _, dev := range b.devs {
		if err := b.setattr(dev.fd, unix.MOUNT_ATTR_RDONLY, false); err != nil {
			return errorf("make %s read-only: %w", dev.target, err)
		}
	}
	if spec.Root == "" {
		// Nothing may create files in the sandbox's / itself.
		if err := b.setattr(b.newRoot, unix.MOUNT_ATTR_RDONLY, false); err != nil {
			return errorf("make / read-only: %w", err)
		}
	}
	return enterNewRoot()
}

// mountStaging mounts the private tmpfs the new root is assembled in.
func mountStaging() (string, error) {
	for _, base := range stagingBases {
		var st unix.Stat_t
		if unix.Lstat(base, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		if err := unix.Mount("hutch", base, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0700"); err != nil {
			return "", errorf("mount staging tmpfs on %s: %w", base, err)
		}
		return base, nil
	}
	return "", errorf("no directory to stage the root in (tried %s)", strings.Join(stagingBases, ", "))
}

// enterNewRoot pivots into /newroot and detaches the staging tmpfs with
// the host's root under it, leaving no trace of either.
func enterNewRoot() error {
	if err := unix.Chdir("/newroot"); err != nil {
		return errorf("chdir newroot: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return errorf("pivot_root into the new root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return errorf("detach the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return errorf("chdir /: %w", err)
	}
	return nil
}

// devMount is a minimal /dev made, by its target and its mount's fd.
type devMount struct {
	target string
	fd     int
}

func (b *rootBuilder) close() {
	for _, fd := range []int{b.oldRoot, b.newRoot} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	for _, dev := range b.devs {
		unix.Close(dev.fd)
	}
}

// makeNewRoot mounts the sandbox's root at /newroot: a tmpfs, or the
// profile's root folder, read-only unless it asks otherwise.
func (b *rootBuilder) makeNewRoot() error {
	if b.spec.Root == "" {
		fd, err := newFS("tmpfs", map[string]string{"mode": "0755"}, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV)
		if err != nil {
			return errorf("root tmpfs: %w", err)
		}
		defer unix.Close(fd)
		if err := attachAtPath(fd, "/newroot"); err != nil {
			return errorf("root tmpfs: %w", err)
		}
	} else {
		attr := uint64(unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV)
		if !b.spec.RootWritable {
			attr |= unix.MOUNT_ATTR_RDONLY
		}
		tree, _, err := b.cloneSource(b.spec.Root, attr)
		if err != nil {
			return errorf("root %s: %w", b.spec.Root, err)
		}
		defer unix.Close(tree)
		if err := attachAtPath(tree, "/newroot"); err != nil {
			return errorf("root %s: %w", b.spec.Root, err)
		}
	}
	return b.reopenNewRoot()
}

// reopenNewRoot refreshes the fd of the new root after something was
// mounted on top of it: an fd keeps pointing at the mount below.
func (b *rootBuilder) reopenNewRoot() error {
	if b.newRoot >= 0 {
		unix.Close(b.newRoot)
	}
	fd, err := unix.Open("/newroot", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return errorf("open new root: %w", err)
	}
	b.newRoot = fd
	return nil
}

func (b *rootBuilder) apply(m Mount) error {
	var err error
	switch m.Type {
	case Bind, ROBind, DevBind:
		err = b.bind(m)
	case Tmpfs:
		err = b.tmpfs(m)
	case Proc:
		err = b.proc(m.Target)
	case Dev:
		err = b.dev(m.Target)
	case Mqueue:
		err = b.mountFS("mqueue", nil, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC, m.Target)
	case Dir:
		err = b.dir(m)
	case Symlink:
		err = b.symlink(m.Source, m.Target)
	case File:
		err = b.file(m)
	default:
		err = fmt.Errorf("unknown mount type %q", m.Type)
	}
	if err == nil && m.Target == "/" {
		err = b.reopenNewRoot()
	}
	return err
}

func bindAttr(m Mount) uint64 {
	var attr uint64
	switch m.Type {
	case ROBind:
		attr = unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV
	case DevBind:
		attr = unix.MOUNT_ATTR_NOSUID
	default:
		attr = unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV
	}
	// Landlock governs opening, writing and moving files, not their
	// metadata: chmod, chown, utimes and xattrs pass whatever the rules.
	// A bind whose Landlock access is read-only or none is mounted
	// read-only, so those fail too.
	if m.Landlock == LandlockAccessRO || m.Landlock == LandlockAccessNone {
		attr |= unix.MOUNT_ATTR_RDONLY
	}
	return attr
}

func (b *rootBuilder) bind(m Mount) error {
	tree, isDir, err := b.cloneSource(m.Source, bindAttr(m))
	if err != nil {
		if m.Optional && errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("source %s: %w", m.Source, err)
	}
	defer unix.Close(tree)
	return b.attach(tree, m.Target, isDir)
}

// cloneSource makes a detached recursive copy of a host path's mounts with
// the given attributes set on every mount in it, submounts included.
func (b *rootBuilder) cloneSource(hostPath string, attr uint64) (tree int, isDir bool, err error) {
	src, err := unix.Openat2(b.oldRoot, hostPath, &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolveInRoot})
	if err != nil {
		return -1, false, err
	}
	defer unix.Close(src)
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return -1, false, err
	}
	tree, err = b.cloneTree(src, attr)
	return tree, st.Mode&unix.S_IFMT == unix.S_IFDIR, err
}

// cloneTree makes a detached recursive copy of the mounts at the open
// path src, with the given attributes set on every one.
func (b *rootBuilder) cloneTree(src int, attr uint64) (int, error) {
	tree, err := unix.OpenTree(src, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|unix.AT_RECURSIVE)
	if err != nil {
		return -1, fmt.Errorf("clone mount: %w", err)
	}
	if err := b.setattr(tree, attr, true); err != nil {
		unix.Close(tree)
		return -1, err
	}
	return tree, nil
}

func (b *rootBuilder) setattr(fd int, attr uint64, recursive bool) error {
	flags := uint(unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(fd, "", flags, &unix.MountAttr{Attr_set: attr}); err != nil {
		return fmt.Errorf("set mount attributes: %w", err)
	}
	return nil
}

// attach moves a detached mount onto target inside the new root, creating
// the mount point as a directory or an empty file to match the source.
func (b *rootBuilder) attach(tree int, target string, isDir bool) error {
	dst, err := b.ensureTarget(target, isDir)
	if err != nil {
		return err
	}
	defer unix.Close(dst)
	return attachAt(tree, dst, target)
}

// attachAt moves a detached mount onto the mount point dst, which is
// target inside the new root.
func attachAt(tree, dst int, target string) error {
	if err := unix.MoveMount(tree, "", dst, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach at %s: %w", target, err)
	}
	return nil
}

// attachAtPath moves a detached mount onto a path of the staging area.
func attachAtPath(tree int, p string) error {
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, p, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach at %s: %w", p, err)
	}
	return nil
}

// newFS creates a detached mount of a fresh filesystem.
func newFS(fstype string, options map[string]string, attr int) (int, error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(fsfd)
	for k, v := range options {
		if v == "" {
			err = unix.FsconfigSetFlag(fsfd, k)
		} else {
			err = unix.FsconfigSetString(fsfd, k, v)
		}
		if err != nil {
			return -1, fmt.Errorf("%s option %s=%s: %w", fstype, k, v, err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, fmt.Errorf("create %s: %w", fstype, err)
	}
	fd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, attr)
	if err != nil {
		return -1, fmt.Errorf("fsmount %s: %w", fstype, err)
	}
	return fd, nil
}

func (b *rootBuilder) mountFS(fstype string, options map[string]string, attr int, target string) error {
	fd, err := newFS(fstype, options, attr)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return b.attach(fd, target, true)
}

func (b *rootBuilder) tmpfs(m Mount) error {
	mode := m.Mode
	if mode == 0 {
		mode = 0o755
	}
	opts := map[string]string{
		"mode": "0" + strconv.FormatUint(uint64(mode), 8),
		// Owned by the app's ids, whoever the init is.
		"uid": strconv.FormatUint(uint64(b.spec.Identity.UID), 10),
		"gid": strconv.FormatUint(uint64(b.spec.Identity.GID), 10),
	}
	if m.Size > 0 {
		opts["size"] = strconv.FormatInt(m.Size, 10)
	}
	attr := unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV
	if m.ReadOnly {
		attr |= unix.MOUNT_ATTR_RDONLY
	}
	return b.mountFS("tmpfs", opts, attr, m.Target)
}

// proc mounts a fresh procfs of the sandbox's pid namespace, or, when the
// pid namespace is the host's (where a new procfs is refused), a read-only
// copy of the host's.
func (b *rootBuilder) proc(target string) error {
	if !b.spec.NewShares(NSPID) {
		tree, _, err := b.cloneSource("/proc", unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
		if err != nil {
			return fmt.Errorf("bind the host's /proc: %w", err)
		}
		defer unix.Close(tree)
		if err := b.attach(tree, target, true); err != nil {
			return err
		}
		return b.maskProc(target)
	}
	err := b.mountFS("proc", nil, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC, target)
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("%w (the kernel refuses a new procfs while the host's /proc has parts hidden by other mounts, as in some containers)", err)
	}
	if err != nil {
		return err
	}
	return b.maskProc(target)
}

// Kernel interfaces under /proc that tell an app about the host or act on
// it. Most already refuse a user that is root only in its own user
// namespace; masking them as Docker and runc do also covers kernels where
// one of them is readable, and keeps their contents out of reach of a
// future bug.
var (
	procMaskedFiles = []string{
		"kcore", "keys", "key-users", "timer_list", "timer_stats",
		"sched_debug", "latency_stats", "sysrq-trigger", "kallsyms",
		"kpagecount", "kpageflags", "kpagecgroup", "pagetypeinfo", "vmallocinfo",
	}
	procMaskedDirs   = []string{"acpi", "asound", "scsi", "driver", "tty/driver"}
	procReadOnlyDirs = []string{"sys", "bus", "fs", "irq", "sysvipc"}
)

// maskProc hides procMaskedFiles behind the host's /dev/null and
// procMaskedDirs behind empty read-only tmpfs, and makes procReadOnlyDirs
// (sysctls among them) read-only. An app that may create user namespaces
// of its own is left a /proc without overmounts: the kernel refuses a new
// procfs inside (mount_too_revealing) where any proc mount is partly
// hidden, and the apps that need nested namespaces (bubblewrap, Chromium's
// sandbox) mount one.
func (b *rootBuilder) maskProc(target string) error {
	if b.spec.Security.Seccomp.NestedUserns {
		return nil
	}
	// Each entry is opened once: a missing one is not on this kernel, and
	// the open path is the mount point.
	for _, dir := range procReadOnlyDirs {
		p := path.Join(target, dir)
		fd, err := b.open(p)
		if err != nil {
			continue
		}
		err = cover(fd, p, func() (int, error) {
			return b.cloneTree(fd, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
		})
		if err != nil {
			return fmt.Errorf("read-only %s: %w", p, err)
		}
	}
	devNull, err := unix.Openat2(b.oldRoot, "/dev/null", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolveInRoot})
	if err != nil {
		return fmt.Errorf("open the host's /dev/null: %w", err)
	}
	defer unix.Close(devNull)
	for _, file := range procMaskedFiles {
		p := path.Join(target, file)
		fd, err := b.open(p)
		if err != nil {
			continue
		}
		err = cover(fd, p, func() (int, error) {
			return b.cloneTree(devNull, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC)
		})
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	for _, dir := range procMaskedDirs {
		p := path.Join(target, dir)
		fd, err := b.open(p)
		if err != nil {
			continue
		}
		err = cover(fd, p, func() (int, error) {
			return newFS("tmpfs", map[string]string{"mode": "0555", "size": "4k"}, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
		})
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	return nil
}

// cover mounts what newTree makes onto the open mount point dst, which is
// p inside the new root, and closes dst.
func cover(dst int, p string, newTree func() (int, error)) error {
	defer unix.Close(dst)
	tree, err := newTree()
	if err != nil {
		return err
	}
	defer unix.Close(tree)
	return attachAt(tree, dst, p)
}

// devNodes are the host device nodes a minimal /dev holds.
var devNodes = []string{"null", "zero", "full", "random", "urandom", "tty"}

// devLinks are the symbolic links of a minimal /dev.
var devLinks = [][2]string{
	{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
}

// dev builds a minimal /dev: a tmpfs holding binds of the safe host device
// nodes, a private devpts instance, a /dev/shm tmpfs and the usual links,
// made read-only once the root is built. The sandbox cannot create device
// nodes of its own.
func (b *rootBuilder) dev(target string) error {
	fd, err := newFS("tmpfs", map[string]string{"mode": "0755"}, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return err
	}
	if err := b.attach(fd, target, true); err != nil {
		unix.Close(fd)
		return err
	}
	// Kept open: attached, the fd stands for the mount itself.
	b.devs = append(b.devs, devMount{target, fd})
	for _, name := range devNodes {
		tree, _, err := b.cloneSource("/dev/"+name, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC)
		if err != nil {
			if name == "tty" && errors.Is(err, unix.ENOENT) {
				continue
			}
			return fmt.Errorf("device /dev/%s: %w", name, err)
		}
		err = b.attach(tree, path.Join(target, name), false)
		unix.Close(tree)
		if err != nil {
			return err
		}
	}
	pts := map[string]string{"newinstance": "", "ptmxmode": "0666", "mode": "0620"}
	if err := b.mountFS("devpts", pts, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC, path.Join(target, "pts")); err != nil {
		return err
	}
	shm := Mount{Type: Tmpfs, Target: path.Join(target, "shm"), Mode: 0o1777}
	if err := b.tmpfs(shm); err != nil {
		return err
	}
	for _, l := range devLinks {
		if err := b.symlink(l[1], path.Join(target, l[0])); err != nil {
			return err
		}
	}
	return b.console(target)
}

// console binds the terminal the app's stdio is on, if any, at
// target/console, as bubblewrap does. The app holds that terminal open
// already, so this grants nothing new; with a name for it inside, ttyname()
// and tty(1) work, which search the private /dev/pts in vain otherwise. A
// terminal that the host's root does not reach (one of another mount
// namespace) gets no name.
func (b *rootBuilder) console(target string) error {
	for fd := range 3 {
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
			continue
		}
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
			continue
		}
		// The host's /proc names the terminal as the host sees it.
		name, err := os.Readlink("/oldroot/proc/self/fd/" + strconv.Itoa(fd))
		if err != nil || !path.IsAbs(name) {
			continue
		}
		src, err := unix.Openat2(b.oldRoot, name, &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolveInRoot})
		if err != nil {
			continue
		}
		var found unix.Stat_t
		if unix.Fstat(src, &found) != nil || found.Dev != st.Dev || found.Ino != st.Ino || found.Rdev != st.Rdev {
			unix.Close(src)
			continue
		}
		tree, err := b.cloneTree(src, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC)
		unix.Close(src)
		if err != nil {
			return fmt.Errorf("terminal %s as console: %w", name, err)
		}
		defer unix.Close(tree)
		return b.attach(tree, path.Join(target, "console"), false)
	}
	return nil
}

func (b *rootBuilder) dir(m Mount) error {
	fd, err := b.mkdirAll(m.Target)
	if err != nil {
		return err
	}
	unix.Close(fd)
	if m.Mode == 0 {
		return nil
	}
	dirFD, err := unix.Openat2(b.newRoot, m.Target, &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: resolveInRoot})
	if err != nil {
		return fmt.Errorf("open %s: %w", m.Target, err)
	}
	defer unix.Close(dirFD)
	if err := unix.Fchmod(dirFD, m.Mode); err != nil {
		return fmt.Errorf("chmod %s: %w", m.Target, err)
	}
	return nil
}

func (b *rootBuilder) symlink(linkText, target string) error {
	parent, err := b.mkdirAll(path.Dir(target))
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	name := path.Base(target)
	err = unix.Symlinkat(linkText, parent, name)
	if errors.Is(err, unix.EEXIST) {
		buf := make([]byte, unix.PathMax)
		n, rerr := unix.Readlinkat(parent, name, buf)
		if rerr == nil && string(buf[:n]) == linkText {
			return nil
		}
		return fmt.Errorf("symlink %s: something else exists there", target)
	}
	if err != nil {
		return fmt.Errorf("symlink %s: %w", target, err)
	}
	return nil
}

// file stages the content on the staging tmpfs and binds it at the
// target, so a file can be placed even inside a read-only bind.
func (b *rootBuilder) file(m Mount) error {
	// The contents live on a tmpfs of their own, each under its target's
	// own name: mountinfo shows a file mount's path in its filesystem, and
	// "/hostname" mounted on /etc/hostname gives nothing of the staging
	// away, where "/files/1" of the staging tmpfs did.
	if b.files == 0 {
		if err := unix.Mount("tmpfs", "/files", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
			return fmt.Errorf("mount a tmpfs for file contents: %w", err)
		}
	}
	b.files++
	// A free name: a.N may be taken by a file whose own name is a.N.
	staged := "/files/" + path.Base(m.Target)
	for n := b.files; ; n++ {
		if _, err := os.Lstat(staged); err != nil {
			break
		}
		staged = "/files/" + path.Base(m.Target) + "." + strconv.Itoa(n)
	}
	mode := m.Mode
	if mode == 0 {
		mode = 0o644
	}
	if err := os.WriteFile(staged, []byte(m.Content), os.FileMode(mode)); err != nil {
		return fmt.Errorf("stage content: %w", err)
	}
	if err := os.Chmod(staged, os.FileMode(mode)); err != nil {
		return fmt.Errorf("stage content: %w", err)
	}
	tree, err := unix.OpenTree(unix.AT_FDCWD, staged, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return fmt.Errorf("clone staged file: %w", err)
	}
	defer unix.Close(tree)
	attr := uint64(unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV)
	if m.ReadOnly {
		attr |= unix.MOUNT_ATTR_RDONLY
	}
	if err := b.setattr(tree, attr, false); err != nil {
		return err
	}
	return b.attach(tree, m.Target, false)
}

// nameHost makes the host's /etc/hostname and /etc/hosts, where a bind
// shows them, tell the sandbox's hostname instead: the host's name would
// tell the app where it runs, and test suites resolve their own hostname
// (gethostbyname(gethostname())) and fail when it does not resolve. With
// a network of its own the sandbox gets a hosts file of loopback names
// only, as containers do; sharing the host's, it keeps the host's entries
// and gains its own name.
func (b *rootBuilder) nameHost() error {
	name := b.spec.Hostname
	if name == "" || !b.spec.NewShares(NSUTS) {
		return nil
	}
	if b.hostFileShows("/etc/hostname") {
		if err := b.file(Mount{Type: File, Target: "/etc/hostname", Content: name + "\n", Mode: 0o644, ReadOnly: true}); err != nil {
			return errorf("/etc/hostname: %w", err)
		}
	}
	if !b.hostFileShows("/etc/hosts") {
		return nil
	}
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	if !b.spec.NewShares(NSNet) {
		fd, err := unix.Openat2(b.oldRoot, "/etc/hosts", &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: resolveInRoot})
		if err != nil {
			return errorf("read /etc/hosts: %w", err)
		}
		f := os.NewFile(uintptr(fd), "/etc/hosts")
		host, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return errorf("read /etc/hosts: %w", err)
		}
		hosts = string(host)
		if hosts != "" && !strings.HasSuffix(hosts, "\n") {
			hosts += "\n"
		}
	}
	hosts += "127.0.1.1\t" + name + "\n"
	if err := b.file(Mount{Type: File, Target: "/etc/hosts", Content: hosts, Mode: 0o644, ReadOnly: true}); err != nil {
		return errorf("/etc/hosts: %w", err)
	}
	return nil
}

// machineIDFiles are where the host's machine id may show: systemd's file
// and D-Bus's older copy.
var machineIDFiles = []string{"/etc/machine-id", "/var/lib/dbus/machine-id"}

// hideMachineID covers the host's machine id, where a bind shows it, with
// a random one of the sandbox's own, unless the spec keeps the host's.
// The id identifies the host for good, and machine-id(5) asks that it be
// kept from untrusted code; one per sandbox also keeps two runs of an app
// from telling they ran on the same machine.
func (b *rootBuilder) hideMachineID() error {
	if b.spec.HostMachineID {
		return nil
	}
	id := ""
	for _, p := range machineIDFiles {
		if !b.hostFileShows(p) {
			continue
		}
		if id == "" {
			var err error
			if id, err = randomMachineID(); err != nil {
				return errorf("%s: %w", p, err)
			}
		}
		if err := b.file(Mount{Type: File, Target: p, Content: id, Mode: 0o444, ReadOnly: true}); err != nil {
			return errorf("%s: %w", p, err)
		}
	}
	return nil
}

// randomMachineID makes an id as systemd does for a new machine: 128
// random bits marked as a version 4 UUID, in 32 hex digits and a newline.
func randomMachineID() (string, error) {
	var id [16]byte
	if _, err := unix.Getrandom(id[:], 0); err != nil {
		return "", fmt.Errorf("random machine id: %w", err)
	}
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return fmt.Sprintf("%x\n", id[:]), nil
}

// hostFileShows reports whether the host's file p is what p is inside.
func (b *rootBuilder) hostFileShows(p string) bool {
	inside, err := b.stat(b.newRoot, p)
	if err != nil {
		return false
	}
	host, err := b.stat(b.oldRoot, p)
	return err == nil && inside.Dev == host.Dev && inside.Ino == host.Ino
}

// hideAndProtect covers hutch's own state with an empty read-only tmpfs
// and makes hutch's binary and profiles read-only wherever the sandbox
// can reach them: at their host paths, and under every bind whose source
// holds them, wherever it is mounted.
func (b *rootBuilder) hideAndProtect() error {
	for _, p := range b.cfg.Hidden {
		if err := b.claim(p); err != nil {
			return errorf("hide %s: %w", p, err)
		}
		for _, at := range b.exposures(p) {
			if err := b.tmpfs(Mount{Type: Tmpfs, Target: at, Mode: 0o500, ReadOnly: true}); err != nil {
				return errorf("hide %s at %s: %w", p, at, err)
			}
			// Covered, the directory cannot be renamed, but its parent
			// could be, and a new directory of the same name made where
			// hutch on the host looks for its state.
			if err := b.pinAbove(at); err != nil {
				return errorf("hide %s at %s: %w", p, at, err)
			}
		}
	}
	for _, p := range b.cfg.Protected {
		for _, at := range b.exposures(p) {
			if err := b.protect(p, at); err != nil {
				return errorf("protect %s at %s: %w", p, at, err)
			}
		}
	}
	return nil
}

// claim makes the hidden directory p on the host, 0700, if it is missing
// and its parent shows inside: the app could make it otherwise, and a
// later hutch would take what the app left there (a forged filter in its
// cache) for its own state. Made, it is hidden like one that existed.
func (b *rootBuilder) claim(p string) error {
	if _, err := b.stat(b.oldRoot, p); !errors.Is(err, unix.ENOENT) {
		return nil
	}
	dir := path.Dir(p)
	if len(b.exposures(dir)) == 0 {
		return nil
	}
	parent, err := unix.Openat2(b.oldRoot, dir, &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: resolveInRoot})
	if err != nil {
		return err
	}
	defer unix.Close(parent)
	// Should the init be refused (a read-only file system), the app,
	// with fewer rights than the init, would be too.
	unix.Mkdirat(parent, path.Base(p), 0o700)
	return nil
}

// exposures lists where the host path p shows inside: the same path, and
// for each bind (or the rootfs folder) whose host source is p or one of
// its directories, the matching path under its target. Sources are
// matched by inode, so a source reached through a symbolic link counts.
// Only paths that lead to p's own inode are returned.
func (b *rootBuilder) exposures(p string) []string {
	host, err := b.stat(b.oldRoot, p)
	if err != nil {
		return nil
	}
	// The inodes of p's directories, each with the rest of the path.
	type ancestor struct {
		dev, ino uint64
		rest     string
	}
	var ancestors []ancestor
	for dir := p; ; dir = path.Dir(dir) {
		if st, err := b.stat(b.oldRoot, dir); err == nil {
			rest := strings.TrimPrefix(p[len(dir):], "/")
			ancestors = append(ancestors, ancestor{st.Dev, st.Ino, rest})
		}
		if dir == "/" {
			break
		}
	}
	candidates := []string{p}
	for target, st := range b.bindSources() {
		for _, a := range ancestors {
			if a.dev == st.Dev && a.ino == st.Ino {
				candidates = append(candidates, path.Join(target, a.rest))
			}
		}
	}
	var found []string
	for _, at := range candidates {
		if st, err := b.stat(b.newRoot, at); err == nil && st.Dev == host.Dev && st.Ino == host.Ino && !slices.Contains(found, at) {
			found = append(found, at)
		}
	}
	return found
}

// bindSources maps the target of each bind, and / for a rootfs folder, to
// the attributes of its host source.
func (b *rootBuilder) bindSources() map[string]unix.Stat_t {
	if b.sources != nil {
		return b.sources
	}
	b.sources = map[string]unix.Stat_t{}
	add := func(target, source string) {
		if st, err := b.stat(b.oldRoot, source); err == nil {
			b.sources[target] = st
		}
	}
	for _, m := range b.spec.Mounts {
		if m.Type == Bind || m.Type == ROBind || m.Type == DevBind {
			add(m.Target, m.Source)
		}
	}
	if b.spec.Root != "" {
		add("/", b.spec.Root)
	}
	return b.sources
}

// stat resolves p inside the tree at root and returns its attributes.
func (b *rootBuilder) stat(root int, p string) (unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := unix.Openat2(root, p, &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolveInRoot})
	if err != nil {
		return st, err
	}
	defer unix.Close(fd)
	return st, unix.Fstat(fd, &st)
}

// protect makes the host file p, found inside at at, read-only there. On
// a writable mount it also pins every directory between at and the root
// of that mount: each becomes a mount point of its own, still writable,
// which no one inside can rename or remove (EBUSY). Otherwise the app
// could move the directory aside and put its own program where the host
// runs hutch from next.
func (b *rootBuilder) protect(p, at string) error {
	inside, err := b.open(at)
	if err != nil {
		return nil
	}
	defer unix.Close(inside)
	var st unix.Stat_t
	if err := unix.Fstat(inside, &st); err != nil {
		return err
	}
	tree, err := unix.OpenTree(inside, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH)
	if err != nil {
		return err
	}
	defer unix.Close(tree)
	if err := b.setattr(tree, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV, false); err != nil {
		return err
	}
	if err := b.attach(tree, at, st.Mode&unix.S_IFMT == unix.S_IFDIR); err != nil {
		return err
	}
	return b.pinAbove(at)
}

// pinAbove pins every directory between at and the root of the writable
// mount it lies on: each becomes a mount point of its own, still
// writable, which no one inside can rename or remove (EBUSY). The walk up
// stops at the root of a mount (it cannot be renamed already, and neither
// can what lies above it on that mount's behalf) or at a read-only mount.
// The pins go top down: each clones the tree below its directory, which
// bottom up would hold every pin made before, doubling the mounts at each
// level (a file 17 directories deep took more than the kernel's 100,000).
func (b *rootBuilder) pinAbove(at string) error {
	var dirs []string
	for dir := path.Dir(at); dir != "/"; dir = path.Dir(dir) {
		pinnable, err := b.pinnable(dir)
		if err != nil {
			return fmt.Errorf("pin %s: %w", dir, err)
		}
		if !pinnable {
			break
		}
		dirs = append(dirs, dir)
	}
	for _, dir := range slices.Backward(dirs) {
		if err := b.pin(dir); err != nil {
			return fmt.Errorf("pin %s: %w", dir, err)
		}
	}
	return nil
}

// pinnable reports whether dir could be renamed: it is not the root of a
// mount and lies on a writable one.
func (b *rootBuilder) pinnable(dir string) (bool, error) {
	fd, err := b.open(dir)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	parent, err := b.open(path.Dir(dir))
	if err != nil {
		return false, err
	}
	defer unix.Close(parent)
	var own, above unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID, &own); err != nil {
		return false, err
	}
	if err := unix.Statx(parent, "", unix.AT_EMPTY_PATH, unix.STATX_MNT_ID, &above); err != nil {
		return false, err
	}
	if own.Mnt_id != above.Mnt_id {
		return false, nil
	}
	var fs unix.Statfs_t
	if err := unix.Fstatfs(fd, &fs); err != nil {
		return false, err
	}
	return fs.Flags&unix.ST_RDONLY == 0, nil
}

// pin bind-mounts the directory dir onto itself, the mounts below it
// included.
func (b *rootBuilder) pin(dir string) error {
	fd, err := b.open(dir)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	tree, err := unix.OpenTree(fd, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH|unix.AT_RECURSIVE)
	if err != nil {
		return err
	}
	defer unix.Close(tree)
	return unix.MoveMount(tree, "", fd, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
}

// open resolves p inside the new root.
func (b *rootBuilder) open(p string) (int, error) {
	return unix.Openat2(b.newRoot, p, &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: resolveInRoot})
}

// ensureTarget returns an O_PATH fd of target inside the new root,
// creating it (and its parents) when missing.
func (b *rootBuilder) ensureTarget(target string, isDir bool) (int, error) {
	fd, err := b.open(target)
	if err == nil {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return -1, err
		}
		if gotDir := st.Mode&unix.S_IFMT == unix.S_IFDIR; gotDir != isDir {
			unix.Close(fd)
			if isDir {
				return -1, fmt.Errorf("mount point %s is a file but the source is a directory", target)
			}
			return -1, fmt.Errorf("mount point %s is a directory but the source is a file", target)
		}
		return fd, nil
	}
	if !errors.Is(err, unix.ENOENT) {
		return -1, fmt.Errorf("mount point %s: %w", target, err)
	}
	if isDir {
		return b.mkdirMissing(target, true)
	}
	parent, err := b.mkdirAll(path.Dir(target))
	if err != nil {
		return -1, err
	}
	defer unix.Close(parent)
	f, err := unix.Openat(parent, path.Base(target), unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o644)
	if err == nil {
		return f, nil // the file just made: a mount point as good as an O_PATH fd
	}
	if !errors.Is(err, unix.EEXIST) {
		return -1, createError(target, err)
	}
	return b.open(target)
}

// mkdirAll creates dir and its missing parents inside the new root and
// returns an O_PATH fd of it. Each step resolves from the root again, so a
// symlink met on the way is followed only within the root; the fd of the
// last directory found serves to create the next.
func (b *rootBuilder) mkdirAll(dir string) (int, error) {
	fd, err := b.open(dir)
	if err == nil {
		return fd, nil
	}
	if !errors.Is(err, unix.ENOENT) {
		return -1, fmt.Errorf("mount point %s: %w", dir, err)
	}
	return b.mkdirMissing(dir, false)
}

// mkdirMissing is mkdirAll for a dir known to be missing. With covered,
// dir is a mount point: what is mounted there hides its own mode.
func (b *rootBuilder) mkdirMissing(dir string, covered bool) (int, error) {
	parts := strings.Split(strings.Trim(path.Clean(dir), "/"), "/")
	// Walk down from the root while the path exists; dir itself is known
	// to be missing.
	parent, cur, i := -1, "/", 0
	for ; i < len(parts)-1; i++ {
		fd, err := b.open(path.Join(cur, parts[i]))
		if errors.Is(err, unix.ENOENT) {
			break
		}
		if err != nil {
			closeIfOpen(parent)
			return -1, fmt.Errorf("mount point %s: %w", path.Join(cur, parts[i]), err)
		}
		closeIfOpen(parent)
		parent, cur = fd, path.Join(cur, parts[i])
	}
	for ; i < len(parts); i++ {
		at := parent
		if at < 0 {
			at = b.newRoot
		}
		next := path.Join(cur, parts[i])
		// A mount point mirrors the permissions of the host's directory at
		// the same path: a bind of $XDG_RUNTIME_DIR/wayland-0 must not
		// leave the runtime directory 0755 inside, where the XDG spec
		// (and Qt, which checks) wants 0700.
		mode := uint32(0o755)
		if i < len(parts)-1 || !covered {
			if st, err := b.stat(b.oldRoot, next); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
				mode = st.Mode & 0o777
			}
		}
		err := unix.Mkdirat(at, parts[i], mode)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			closeIfOpen(parent)
			return -1, createError(next, err)
		}
		fd, err := b.open(next)
		closeIfOpen(parent)
		if err != nil {
			return -1, fmt.Errorf("mount point %s: %w (a dangling symlink?)", next, err)
		}
		parent, cur = fd, next
	}
	return parent, nil
}

func closeIfOpen(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}

func createError(p string, err error) error {
	if errors.Is(err, unix.EROFS) {
		return fmt.Errorf("cannot create mount point %s: it lies on a read-only mount; add a dir or tmpfs entry for its parent before this one", p)
	}
	return fmt.Errorf("create mount point %s: %w", p, err)
}
