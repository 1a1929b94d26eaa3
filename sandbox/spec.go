package sandbox

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/hutch-sandbox/hutch/idmap"
	"github.com/hutch-sandbox/hutch/seccomp"
)

// Kind names a namespace type as /proc/PID/ns names it.
type Kind string

// The namespace kinds hutch knows. The user namespace is always new.
const (
	NSUser   Kind = "user"
	NSMount  Kind = "mnt"
	NSPID    Kind = "pid"
	NSNet    Kind = "net"
	NSIPC    Kind = "ipc"
	NSUTS    Kind = "uts"
	NSCgroup Kind = "cgroup"
	NSTime   Kind = "time"
)

// Kinds lists every kind in the order hutch creates and reports them.
var Kinds = []Kind{NSUser, NSMount, NSPID, NSNet, NSIPC, NSUTS, NSCgroup, NSTime}

// ConfigurableKinds are the kinds a profile may share instead of creating.
var ConfigurableKinds = []Kind{NSMount, NSPID, NSNet, NSIPC, NSUTS, NSCgroup, NSTime}

// ParseKind accepts a kind by its /proc name or its common long name.
func ParseKind(s string) (Kind, error) {
	switch s {
	case "mnt", "mount":
		return NSMount, nil
	case "user", "pid", "net", "ipc", "uts", "cgroup", "time":
		return Kind(s), nil
	}
	return "", fmt.Errorf("unknown namespace kind %q (want one of mount, pid, net, ipc, uts, cgroup, time)", s)
}

// Share says where a namespace comes from.
type Share string

const (
	// New gives the sandbox a namespace of its own.
	New Share = "new"
	// Host leaves the sandbox in the caller's namespace of that kind.
	Host Share = "host"
	// joinPrefix names a running sandbox whose namespace is joined:
	// "sandbox:NAME".
	joinPrefix = "sandbox:"
)

// JoinSandbox returns the Share that joins the namespace of a named sandbox.
func JoinSandbox(name string) Share { return Share(joinPrefix + name) }

// Joined returns the sandbox name if s joins one.
func (s Share) Joined() (string, bool) {
	name, ok := strings.CutPrefix(string(s), joinPrefix)
	return name, ok && name != ""
}

// sharedWith names what the namespace of kind k, not a new one, is
// shared with.
func (s *Spec) sharedWith(k Kind) string {
	if name, ok := s.Namespaces[k].Joined(); ok {
		return "sandbox " + name
	}
	return "the host"
}

// MountType is what a Mount entry makes.
type MountType string

// The mount types of a profile.
const (
	Bind    MountType = "bind"     // read-write bind of a host path, nosuid,nodev
	ROBind  MountType = "ro-bind"  // read-only bind, submounts included
	DevBind MountType = "dev-bind" // bind that keeps device nodes usable
	Tmpfs   MountType = "tmpfs"    // fresh tmpfs, with size and mode
	Proc    MountType = "proc"     // fresh procfs of the sandbox's pid namespace
	Dev     MountType = "dev"      // minimal /dev with a private devpts and /dev/shm
	Mqueue  MountType = "mqueue"   // POSIX message queues of the sandbox's ipc namespace
	Dir     MountType = "dir"      // a directory with a mode
	Symlink MountType = "symlink"  // a symbolic link; Source is the link text
	File    MountType = "file"     // a file with inline Content
)

// MountTypes lists the valid types.
var MountTypes = []MountType{Bind, ROBind, DevBind, Tmpfs, Proc, Dev, Mqueue, Dir, Symlink, File}

// Mount is one step of building the sandbox's root, applied in order.
type Mount struct {
	Type   MountType `json:"type"`
	Source string    `json:"source,omitempty"` // host path of binds, link text of symlinks
	Target string    `json:"target"`           // absolute path inside the sandbox
	// Optional skips a bind whose source does not exist instead of failing.
	Optional bool   `json:"optional,omitempty"`
	Size     int64  `json:"size,omitempty"`     // tmpfs size in bytes; 0 is the kernel's default
	Mode     uint32 `json:"mode,omitempty"`     // permission bits of tmpfs, dir and file; 0 is the default
	Content  string `json:"content,omitempty"`  // text of a file
	ReadOnly bool   `json:"readonly,omitempty"` // for tmpfs and file
	// Landlock overrides the file access Landlock grants beneath the
	// target, which otherwise follows the mount: "none" leaves the path
	// visible but unusable, "ro" and "rw" grant reading or everything.
	Landlock string `json:"landlock,omitempty"`
}

// Per-mount Landlock overrides.
const (
	LandlockAccessNone = "none"
	LandlockAccessRO   = "ro"
	LandlockAccessRW   = "rw"
)

// IsBind reports whether the mount takes its content from the host.
func (m Mount) IsBind() bool { return m.Type == Bind || m.Type == ROBind || m.Type == DevBind }

// Env is the environment policy, applied to the caller's environment.
type Env struct {
	Clear bool              `json:"clear,omitempty"` // start from nothing but Keep
	Keep  []string          `json:"keep,omitempty"`  // names (or patterns like LC_*) kept when Clear is set
	Set   map[string]string `json:"set,omitempty"`   // values set (after Keep and Unset)
	Unset []string          `json:"unset,omitempty"` // names (or patterns) removed from the caller's
}

// Apply computes the app's environment from the caller's. Unset removes
// what the caller's environment gives, not what Set sets: a layer that
// unsets a variable after another set it drops it from Set (see
// profiles), and one that sets it after an unset pattern keeps it.
func (e Env) Apply(caller []string) []string {
	vars := map[string]string{}
	var order []string
	put := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, kv := range caller {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		if e.Clear && !matchesAny(e.Keep, k) || matchesAny(e.Unset, k) {
			continue
		}
		put(k, v)
	}
	keys := make([]string, 0, len(e.Set))
	for k := range e.Set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		put(k, e.Set[k])
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vars[k])
	}
	return out
}

// EnvNameMatches reports whether a variable name matches a name or shell
// pattern (LC_*) of Keep or Unset.
func EnvNameMatches(pattern, name string) bool { return matchesAny([]string{pattern}, name) }

// matchesAny reports whether name matches one of the names or shell
// patterns (LC_*).
func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// Rlimit is one resource limit; Soft and Hard use RLIM_INFINITY for unlimited.
type Rlimit struct {
	Resource string `json:"resource"` // nofile, nproc, as, cpu, fsize, core, ...
	Soft     uint64 `json:"soft"`
	Hard     uint64 `json:"hard"`
}

// Process describes the app.
type Process struct {
	Args []string `json:"args"`
	Env  Env      `json:"env"`
	// Cwd is the app's working directory; empty means the caller's one when
	// it exists inside the sandbox, else "/".
	Cwd string `json:"cwd,omitempty"`
	// NewSession puts the app in a session of its own without a controlling
	// terminal, so it cannot push input into the caller's terminal (TIOCSTI).
	NewSession bool `json:"new_session"`
	// DieWithParent kills the sandbox when the hutch process dies.
	DieWithParent bool `json:"die_with_parent"`
	// AsPID1 execs the app as the sandbox's PID 1 instead of under hutch's
	// reaping init.
	AsPID1 bool `json:"as_pid1,omitempty"`
	// KeepFDs are caller fds passed to the app under the same numbers.
	KeepFDs []int    `json:"keep_fds,omitempty"`
	Limits  []Rlimit `json:"limits,omitempty"`
}

// Security holds what limits the app beyond what it can see.
type Security struct {
	// Capabilities kept by the app, by name (CAP_NET_BIND_SERVICE); every
	// other capability is dropped from every set and the bounding set.
	Capabilities []string `json:"capabilities,omitempty"`
	// Seccomp is the system call policy; its NestedUserns also lifts the
	// sandbox's limit of zero nested user namespaces.
	Seccomp seccomp.Policy `json:"seccomp"`
	// Landlock restricts file access beyond the mounts.
	Landlock Landlock `json:"landlock"`
}

// Landlock modes.
const (
	LandlockBestEffort = "best-effort" // use what the kernel offers
	LandlockRequired   = "required"    // fail (125) where the kernel lacks Landlock
	LandlockOff        = "off"
)

// Landlock is the file access policy enforced by the Landlock LSM. Rules
// derive from the mounts (read-only where mounted read-only); Read and
// Write add paths inside the sandbox.
type Landlock struct {
	Mode  string   `json:"mode,omitempty"`
	Read  []string `json:"read,omitempty"`
	Write []string `json:"write,omitempty"`
}

// Spec is a fully resolved sandbox: everything hutch needs to build it and
// nothing that needs a profile to interpret. It crosses from the host side
// to the init as JSON.
type Spec struct {
	Name     string   `json:"name,omitempty"`     // named sandbox, or empty
	Profiles []string `json:"profiles,omitempty"` // the profiles it was built from, for display

	Namespaces map[Kind]Share `json:"namespaces"`
	Identity   idmap.Request  `json:"identity"`

	// Root is a host directory used as the sandbox's root; empty builds the
	// root on a fresh tmpfs.
	Root         string  `json:"root,omitempty"`
	RootWritable bool    `json:"root_writable,omitempty"`
	Mounts       []Mount `json:"mounts,omitempty"`

	Hostname   string `json:"hostname,omitempty"`
	Domainname string `json:"domainname,omitempty"`
	// HostMachineID leaves the host's /etc/machine-id visible where a bind
	// shows it; otherwise the sandbox gets a random one of its own.
	HostMachineID bool `json:"host_machine_id,omitempty"`

	MonotonicOffset time.Duration `json:"monotonic_offset,omitempty"`
	BoottimeOffset  time.Duration `json:"boottime_offset,omitempty"`

	Process  Process  `json:"process"`
	Security Security `json:"security"`
}

// NewShares reports whether kind k is new in the spec.
func (s *Spec) NewShares(k Kind) bool {
	if k == NSUser {
		return true
	}
	return s.Namespaces[k] == New || s.Namespaces[k] == ""
}

// Validate checks the spec for contradictions a profile could contain.
// Host facts (does a bind source exist) are checked at launch.
func (s *Spec) Validate() error {
	if len(s.Process.Args) == 0 || s.Process.Args[0] == "" {
		return fmt.Errorf("no command to run")
	}
	for k, v := range s.Namespaces {
		if !slices.Contains(ConfigurableKinds, k) {
			return fmt.Errorf("namespaces: %q cannot be configured", k)
		}
		if v != New && v != Host {
			name, ok := v.Joined()
			if !ok {
				return fmt.Errorf("namespaces.%s: %q is not new, host or sandbox:NAME", k, v)
			}
			if k != NSNet && k != NSIPC && k != NSUTS {
				return fmt.Errorf("namespaces.%s: only net, ipc and uts can join another sandbox (asked for %s)", k, name)
			}
		}
	}
	if s.Root != "" && !path.IsAbs(s.Root) {
		return fmt.Errorf("root %q is not an absolute path", s.Root)
	}
	if s.RootWritable && s.Root == "" {
		return fmt.Errorf("root_writable: no root (a rootfs folder) to make writable")
	}
	if !s.NewShares(NSMount) && (len(s.Mounts) > 0 || s.Root != "") {
		return fmt.Errorf("mounts and root need a new mount namespace, but it is shared with the host")
	}
	if (s.Hostname != "" || s.Domainname != "") && !s.NewShares(NSUTS) {
		return fmt.Errorf("hostname needs a new uts namespace, but it is shared with %s", s.sharedWith(NSUTS))
	}
	if (s.MonotonicOffset != 0 || s.BoottimeOffset != 0) && !s.NewShares(NSTime) {
		return fmt.Errorf("time offsets need a new time namespace, but it is shared with the host")
	}
	for i, m := range s.Mounts {
		if err := m.validate(); err != nil {
			return fmt.Errorf("mount %d (%s %s): %w", i+1, m.Type, m.Target, err)
		}
		if m.Type == Mqueue && !s.NewShares(NSIPC) {
			return fmt.Errorf("mount %d: mqueue needs a new ipc namespace", i+1)
		}
		if i > 0 && path.Clean(m.Target) == "/" {
			// As with HOME=/ (systemd's DynamicUser, some distributions'
			// nobody) and the default profile's tmpfs at ${HOME}.
			return fmt.Errorf("mount %d (%s /): a mount at / would hide the %d before it; only the first may cover / (is a variable such as HOME /?)", i+1, m.Type, i)
		}
	}
	if err := checkLandlockNone(s); err != nil {
		return err
	}
	if s.Process.Cwd != "" && !path.IsAbs(s.Process.Cwd) {
		return fmt.Errorf("cwd %q is not an absolute path", s.Process.Cwd)
	}
	for _, fd := range s.Process.KeepFDs {
		if fd < 3 {
			return fmt.Errorf("keep fd %d: stdin, stdout and stderr are always passed", fd)
		}
	}
	if err := s.Security.Seccomp.Validate(); err != nil {
		return err
	}
	if denied := s.Security.Seccomp.DeniedOutright(initSyscalls); len(denied) > 0 {
		return fmt.Errorf("seccomp: %s cannot be denied: hutch's init (PID 1) runs under the same filter and needs %s to start the app, reap and relay signals",
			strings.Join(denied, ", "), plural(len(denied), "it", "them"))
	}
	if s.Name == "" {
		return nil
	}
	if denied := s.Security.Seccomp.DeniedOutright(controlSyscalls); len(denied) > 0 {
		return fmt.Errorf("seccomp: %s cannot be denied in a named sandbox: its init runs under the same filter and serves exec requests on a unix socket with %s; run it without --name",
			strings.Join(denied, ", "), plural(len(denied), "it", "them"))
	}
	return nil
}

// initSyscalls are the calls the init (and the Go runtime under it) makes
// after the filter is loaded: waiting for and starting processes, relaying
// signals, scheduling threads. Read off strace of a named sandbox serving
// exec requests. Its messages to hutch outside carry no descriptors after
// that point and go out with write.
var initSyscalls = []string{
	"read", "write", "close", "openat", "newfstatat", "fstat", "faccessat", "faccessat2",
	"fcntl", "dup3", "pipe2", "ioctl", "chdir",
	"mmap", "munmap", "madvise", "mprotect", "brk",
	"futex", "nanosleep", "sched_yield", "getpid", "gettid", "getppid", "tgkill", "kill",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"clone", "execve", "wait4", "waitid", "exit", "exit_group", "setpgid", "setsid", "prctl",
	"epoll_create1", "epoll_ctl", "epoll_pwait",
	// Ending a sandbox that shares the host's pid namespace: the
	// user namespace's processes are found in /proc and killed by pidfd.
	"getdents64", "pidfd_open", "pidfd_send_signal",
}

// controlSyscalls are what a named sandbox's init needs on top, to serve
// exec requests on its control socket.
var controlSyscalls = []string{"accept4", "recvmsg", "sendmsg", "getsockopt"}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (m Mount) validate() error {
	if !slices.Contains(MountTypes, m.Type) {
		return fmt.Errorf("unknown type %q", m.Type)
	}
	if !path.IsAbs(m.Target) {
		return fmt.Errorf("target %q is not an absolute path", m.Target)
	}
	if path.Clean(m.Target) != m.Target {
		return fmt.Errorf("target %q is not clean (want %q)", m.Target, path.Clean(m.Target))
	}
	switch m.Type {
	case Bind, ROBind, DevBind:
		if !path.IsAbs(m.Source) {
			return fmt.Errorf("source %q is not an absolute path", m.Source)
		}
	case Symlink:
		if m.Source == "" {
			return fmt.Errorf("symlink needs a source (the link text)")
		}
	default:
		if m.Source != "" {
			return fmt.Errorf("%s takes no source", m.Type)
		}
	}
	if m.Target == "/" && m.Type != Tmpfs && !m.IsBind() {
		return fmt.Errorf("only a bind or tmpfs can be mounted on /")
	}
	if m.Size < 0 {
		return fmt.Errorf("negative size")
	}
	switch m.Landlock {
	case "", LandlockAccessNone, LandlockAccessRO, LandlockAccessRW:
	default:
		return fmt.Errorf("landlock %q is not none, ro or rw", m.Landlock)
	}
	if m.Size != 0 && m.Type != Tmpfs {
		return fmt.Errorf("size applies to tmpfs only")
	}
	if m.Mode&^0o7777 != 0 {
		return fmt.Errorf("mode %o has bits beyond 07777", m.Mode)
	}
	if m.Content != "" && m.Type != File {
		return fmt.Errorf("content applies to file only")
	}
	return nil
}
