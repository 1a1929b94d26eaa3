package seccomp

import (
	"sort"

	"golang.org/x/sys/unix"
)

// A Group is a named set of system call rules, written @name in a profile.
// Most members deny a call outright; some deny it only for certain argument
// values (clone with a namespace flag, ioctl TIOCSTI, ...). Each group picks
// the errno that programs handle best for its calls; a member may override
// it.
type Group struct {
	Name string
	// Doc says what the group is for and why it is denied (or offered).
	Doc string
	// Errno is what a denied member returns with Policy.Action "errno".
	Errno unix.Errno
	// Default is true for the groups the default filter is made of.
	Default bool
	// Members are the system calls, with argument rules where they have one.
	Members []Member
}

// A Member is one system call of a group.
type Member struct {
	Syscall string
	// Errno overrides the group's errno when non-zero.
	Errno unix.Errno
	// Args, if set, limits the denial to certain argument values.
	Args *ArgRule
	// Compat marks an answer given so that programs fall back to an older
	// interface (clone3 -> clone, statmount -> /proc/self/mountinfo). It
	// stays an errno with Policy.Action "kill": killing a program for
	// probing a new interface would turn a fallback into a crash.
	Compat bool
}

// An ArgRule denies a call depending on one argument. Exactly one of
// MatchAny and AllowOnly is set. Comparisons look at the low 32 bits only,
// as the kernel does for these int and unsigned int arguments, so a value
// with high bits set cannot slip past a rule the kernel would then apply.
type ArgRule struct {
	// Arg is the argument index (0-based).
	Arg int
	// MatchAny denies the call when (arg & Mask) == Value for any entry.
	MatchAny []Masked
	// AllowOnly denies the call unless the argument is one of these.
	AllowOnly []Named
	// Doc describes the rule for Explain.
	Doc string
}

// Masked is one (arg & Mask) == Value test.
type Masked struct {
	Mask, Value uint64
	Name        string
}

// Named is an argument value with its symbolic name.
type Named struct {
	Value uint64
	Name  string
}

const low32 = 0xffffffff

// Namespace flags. CLONE_NEWTIME (0x80) is only a namespace flag for
// unshare: in clone's flags the low byte is the exit signal (CSIGNAL), so
// clone cannot create a time namespace and 0x80 there means signal 128.
var cloneNSFlags = []Masked{
	{unix.CLONE_NEWNS, unix.CLONE_NEWNS, "CLONE_NEWNS"},
	{unix.CLONE_NEWCGROUP, unix.CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
	{unix.CLONE_NEWUTS, unix.CLONE_NEWUTS, "CLONE_NEWUTS"},
	{unix.CLONE_NEWIPC, unix.CLONE_NEWIPC, "CLONE_NEWIPC"},
	{unix.CLONE_NEWUSER, unix.CLONE_NEWUSER, "CLONE_NEWUSER"},
	{unix.CLONE_NEWPID, unix.CLONE_NEWPID, "CLONE_NEWPID"},
	{unix.CLONE_NEWNET, unix.CLONE_NEWNET, "CLONE_NEWNET"},
}

var unshareNSFlags = append(append([]Masked(nil), cloneNSFlags...),
	Masked{unix.CLONE_NEWTIME, unix.CLONE_NEWTIME, "CLONE_NEWTIME"})

// allowedFamilies are the socket address families a program in the default
// sandbox may create. Everything else (AF_VSOCK, AF_PACKET, AF_BLUETOOTH,
// AF_ALG, AF_TIPC, AF_RDS, AF_CAN, AF_XDP, ...) is rarely needed by an
// application and is where much of the kernel's socket-level exploit history
// lives; module autoloading makes even unused families reachable.
var allowedFamilies = []Named{
	{unix.AF_UNIX, "AF_UNIX"},
	{unix.AF_INET, "AF_INET"},
	{unix.AF_INET6, "AF_INET6"},
	{unix.AF_NETLINK, "AF_NETLINK"},
}

// socketcall(2) sub-calls that create sockets (linux/net.h SYS_SOCKET,
// SYS_SOCKETPAIR). The family is behind a pointer there, out of the
// filter's reach.
const (
	sysSocket     = 1
	sysSocketpair = 8
)

// harmlessPersonas are the personality(2) values the default filter lets
// through: PER_LINUX, PER_LINUX32 (setarch i686, uname -m reporting i686),
// UNAME26 (old build scripts), UNAME26|PER_LINUX32, and 0xffffffff, which
// only queries. Flags such as READ_IMPLIES_EXEC (every readable mapping
// executable) or ADDR_NO_RANDOMIZE weaken the program's own exploit
// mitigations, and the other execution domains are kernel code nobody
// needs.
var harmlessPersonas = []Named{
	{0, "PER_LINUX"},
	{0x0008, "PER_LINUX32"},
	{0x20000, "UNAME26"},
	{0x20008, "UNAME26|PER_LINUX32"},
	{0xffffffff, "0xffffffff (query)"},
}

// Terminal ioctls. TIOCSTI pushes characters into a terminal's input queue
// and TIOCLINUX can paste the console selection: both let a sandboxed
// program type commands into the shell that started it (CVE-2016-7545,
// CVE-2017-5226 in bubblewrap). TIOCSETD attaches a line discipline
// (n_hdlc, n_gsm: CVE-2017-2636, CVE-2023-6546) that no application needs.
// The request is an unsigned int in the kernel, so only its low 32 bits
// are compared: TIOCSTI|0xdeadbeef00000000 is still TIOCSTI.
var ttyIoctls = []Masked{
	{low32, unix.TIOCSTI, "TIOCSTI"},
	{low32, unix.TIOCLINUX, "TIOCLINUX"},
	{low32, unix.TIOCSETD, "TIOCSETD"},
}

// groups is the group table. The default filter is the union of the groups
// marked Default; see DefaultGroups. A system call belongs to at most one
// default group.
var groups = []Group{
	{
		Name: "@mount", Errno: unix.EPERM, Default: true,
		Doc: "Mounting and changing the root, old and new mount API: the sandbox's view of the file system is fixed by hutch. " +
			"listmount and statmount only read, but are new kernel code; ENOSYS sends libmount back to /proc/self/mountinfo.",
		Members: []Member{
			{Syscall: "mount"}, {Syscall: "umount"}, {Syscall: "umount2"},
			{Syscall: "pivot_root"}, {Syscall: "chroot"},
			{Syscall: "fsopen"}, {Syscall: "fsconfig"}, {Syscall: "fsmount"}, {Syscall: "fspick"},
			{Syscall: "open_tree"}, {Syscall: "open_tree_attr"}, {Syscall: "move_mount"},
			{Syscall: "mount_setattr"},
			{Syscall: "listmount", Errno: unix.ENOSYS, Compat: true},
			{Syscall: "statmount", Errno: unix.ENOSYS, Compat: true},
		},
	},
	{
		Name: "@namespaces", Errno: unix.EPERM, Default: true,
		Doc: "Creating or joining namespaces: a nested user namespace gives the program every capability over new " +
			"namespaces and with it the kernel code behind them (nf_tables, overlayfs, ...), the usual first step of a " +
			"container escape. clone3 gets ENOSYS because its flags live in memory the filter cannot read; glibc and " +
			"musl then fall back to clone, whose flags are checked. Policy.NestedUserns lifts this group and @mount.",
		Members: []Member{
			{Syscall: "clone", Args: &ArgRule{Arg: 0, MatchAny: cloneNSFlags, Doc: "flags with a CLONE_NEW* bit (mask 0x7e020000)"}},
			{Syscall: "unshare", Args: &ArgRule{Arg: 0, MatchAny: unshareNSFlags, Doc: "flags with a CLONE_NEW* bit, CLONE_NEWTIME included (mask 0x7e020080)"}},
			{Syscall: "setns"},
			{Syscall: "clone3", Errno: unix.ENOSYS, Compat: true},
		},
	},
	{
		Name: "@keyring", Errno: unix.EPERM, Default: true,
		Doc: "Kernel keyrings are not namespaced: keys of the same user outside the sandbox would be reachable.",
		Members: []Member{
			{Syscall: "add_key"}, {Syscall: "keyctl"}, {Syscall: "request_key"},
		},
	},
	{
		Name: "@debug", Errno: unix.EPERM, Default: true,
		Doc: "Reading or changing other processes and profiling the kernel: ptrace, cross-process memory access, " +
			"fd theft (pidfd_getfd), kcmp, perf_event_open. allow = [\"ptrace\"] for a debugger.",
		Members: []Member{
			{Syscall: "ptrace"}, {Syscall: "process_vm_readv"}, {Syscall: "process_vm_writev"},
			{Syscall: "kcmp"}, {Syscall: "pidfd_getfd"}, {Syscall: "perf_event_open"},
		},
	},
	{
		Name: "@privileged", Errno: unix.EPERM, Default: true,
		Doc: "Calls that need a capability hutch never grants, denied before the kernel's own checks run: " +
			"open_by_handle_at (the \"shocker\" container escape), accounting, the kernel log, quotas, fanotify, vhangup. " +
			"name_to_handle_at answers EOPNOTSUPP, as on a file system without handles, so callers fall back.",
		Members: []Member{
			{Syscall: "open_by_handle_at"},
			{Syscall: "name_to_handle_at", Errno: unix.EOPNOTSUPP, Compat: true},
			{Syscall: "acct"}, {Syscall: "syslog"},
			{Syscall: "quotactl"}, {Syscall: "quotactl_fd"},
			{Syscall: "fanotify_init"}, {Syscall: "vhangup"},
		},
	},
	{
		Name: "@bpf", Errno: unix.EPERM, Default: true,
		Doc: "bpf(2): even unprivileged socket filters exercise the verifier, a steady source of kernel exploits.",
		Members: []Member{
			{Syscall: "bpf"},
		},
	},
	{
		Name: "@io-uring", Errno: unix.EPERM, Default: true,
		Doc: "io_uring: a second system call interface that seccomp cannot see into, and a long CVE list. " +
			"EPERM is what the kernel says with kernel.io_uring_disabled; liburing users fall back to read/write/epoll.",
		Members: []Member{
			{Syscall: "io_uring_setup"}, {Syscall: "io_uring_enter"}, {Syscall: "io_uring_register"},
		},
	},
	{
		Name: "@userfaultfd", Errno: unix.EPERM, Default: true,
		Doc: "userfaultfd lets a program stall the kernel at a page fault of its choosing, the standard way to win kernel races.",
		Members: []Member{
			{Syscall: "userfaultfd"},
		},
	},
	{
		Name: "@module", Errno: unix.EPERM, Default: true,
		Doc: "Loading and unloading kernel modules.",
		Members: []Member{
			{Syscall: "init_module"}, {Syscall: "finit_module"}, {Syscall: "delete_module"},
		},
	},
	{
		Name: "@reboot", Errno: unix.EPERM, Default: true,
		Doc: "Rebooting and loading a new kernel.",
		Members: []Member{
			{Syscall: "reboot"}, {Syscall: "kexec_load"}, {Syscall: "kexec_file_load"},
		},
	},
	{
		Name: "@swap", Errno: unix.EPERM, Default: true,
		Doc: "Enabling and disabling swap.",
		Members: []Member{
			{Syscall: "swapon"}, {Syscall: "swapoff"},
		},
	},
	{
		Name: "@clock", Errno: unix.EPERM, Default: true,
		Doc: "Setting or slewing the system clock (the time namespace only offsets monotonic and boottime). " +
			"Includes i386's stime and the time64 variants.",
		Members: []Member{
			{Syscall: "clock_settime"}, {Syscall: "clock_settime64"},
			{Syscall: "clock_adjtime"}, {Syscall: "clock_adjtime64"},
			{Syscall: "settimeofday"}, {Syscall: "adjtimex"}, {Syscall: "stime"},
		},
	},
	{
		Name: "@raw-io", Errno: unix.EPERM, Default: true,
		Doc: "Raw I/O port access.",
		Members: []Member{
			{Syscall: "ioperm"}, {Syscall: "iopl"},
		},
	},
	{
		Name: "@cpu-emulation", Errno: unix.ENOSYS, Default: true,
		Doc: "Local descriptor tables and virtual 8086 mode: old-binary emulation with a history of kernel bugs. " +
			"ENOSYS, as on kernels built without CONFIG_MODIFY_LDT_SYSCALL; Wine needs allow = [\"@cpu-emulation\"] for 16-bit code.",
		Members: []Member{
			{Syscall: "modify_ldt"}, {Syscall: "vm86"}, {Syscall: "vm86old"},
		},
	},
	{
		Name: "@numa", Errno: unix.EPERM, Default: true,
		Doc: "Changing NUMA memory placement and moving pages (of other processes too): kernel memory-management " +
			"code with CVEs and no use in a sandbox. get_mempolicy stays allowed.",
		Members: []Member{
			{Syscall: "mbind"}, {Syscall: "migrate_pages"}, {Syscall: "move_pages"},
			{Syscall: "set_mempolicy"}, {Syscall: "set_mempolicy_home_node"},
		},
	},
	{
		Name: "@obsolete", Errno: unix.ENOSYS, Default: true,
		Doc: "System calls that are gone or unused for decades; ENOSYS, as on kernels that dropped them.",
		Members: []Member{
			{Syscall: "_sysctl"}, {Syscall: "afs_syscall"}, {Syscall: "bdflush"}, {Syscall: "break"},
			{Syscall: "create_module"}, {Syscall: "ftime"}, {Syscall: "get_kernel_syms"}, {Syscall: "getpmsg"},
			{Syscall: "gtty"}, {Syscall: "idle"}, {Syscall: "lock"}, {Syscall: "lookup_dcookie"}, {Syscall: "mpx"},
			{Syscall: "nfsservctl"}, {Syscall: "prof"}, {Syscall: "profil"}, {Syscall: "putpmsg"},
			{Syscall: "query_module"}, {Syscall: "security"}, {Syscall: "sgetmask"}, {Syscall: "ssetmask"},
			{Syscall: "stty"}, {Syscall: "sysfs"}, {Syscall: "tuxcall"}, {Syscall: "ulimit"}, {Syscall: "uselib"},
			{Syscall: "ustat"}, {Syscall: "vserver"},
		},
	},
	{
		Name: "@socket-family", Errno: unix.EAFNOSUPPORT, Default: true,
		Doc: "Sockets other than AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK fail with EAFNOSUPPORT, as if the kernel " +
			"lacked the family. On i386, socketcall(SYS_SOCKET/SYS_SOCKETPAIR) hides the family behind a pointer, so it " +
			"is refused the same way; 32-bit glibc and musl create sockets only through socketcall and do not fall back, " +
			"so 32-bit programs that need sockets need allow = [\"socketcall\"], which turns the family check off for i386 only.",
		Members: []Member{
			{Syscall: "socket", Args: &ArgRule{Arg: 0, AllowOnly: allowedFamilies, Doc: "family other than AF_UNIX, AF_INET, AF_INET6, AF_NETLINK"}},
			{Syscall: "socketpair", Args: &ArgRule{Arg: 0, AllowOnly: allowedFamilies, Doc: "family other than AF_UNIX, AF_INET, AF_INET6, AF_NETLINK"}},
			{Syscall: "socketcall", Args: &ArgRule{Arg: 0, MatchAny: []Masked{
				{low32, sysSocket, "SYS_SOCKET"}, {low32, sysSocketpair, "SYS_SOCKETPAIR"},
			}, Doc: "SYS_SOCKET or SYS_SOCKETPAIR (i386; the family is out of reach there)"}},
		},
	},
	{
		Name: "@tty-ioctl", Errno: unix.EPERM, Default: true,
		Doc: "Terminal ioctls that type into the terminal hutch was started from (TIOCSTI, TIOCLINUX) or attach line " +
			"disciplines (TIOCSETD).",
		Members: []Member{
			{Syscall: "ioctl", Args: &ArgRule{Arg: 1, MatchAny: ttyIoctls, Doc: "request (low 32 bits) TIOCSTI, TIOCLINUX or TIOCSETD"}},
		},
	},
	{
		Name: "@personality", Errno: unix.EPERM, Default: true,
		Doc: "Execution domains and personality flags other than the harmless ones.",
		Members: []Member{
			{Syscall: "personality", Args: &ArgRule{Arg: 0, AllowOnly: harmlessPersonas, Doc: "anything but PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, 0xffffffff (query)"}},
		},
	},

	// Groups offered to profiles, not part of the default filter.
	{
		Name: "@network-io", Errno: unix.EACCES,
		Doc: "Sockets and everything done with them. EACCES, the errno socket(2) documents for a denied socket " +
			"type and the one Linux security modules use, so programs report \"permission denied\" instead of " +
			"retrying. Note that the default profile already gives the sandbox an empty network namespace.",
		Members: []Member{
			{Syscall: "socket"}, {Syscall: "socketpair"}, {Syscall: "socketcall"},
			{Syscall: "connect"}, {Syscall: "bind"}, {Syscall: "listen"},
			{Syscall: "accept"}, {Syscall: "accept4"},
			{Syscall: "send"}, {Syscall: "sendto"}, {Syscall: "sendmsg"}, {Syscall: "sendmmsg"},
			{Syscall: "recv"}, {Syscall: "recvfrom"}, {Syscall: "recvmsg"}, {Syscall: "recvmmsg"},
			{Syscall: "shutdown"}, {Syscall: "getsockopt"}, {Syscall: "setsockopt"},
			{Syscall: "getsockname"}, {Syscall: "getpeername"},
		},
	},
	{
		Name: "@process", Errno: unix.EPERM,
		Doc: "Creating processes and threads, executing programs, signalling other processes. Narrower than " +
			"systemd's @process (which also holds arch_prctl, prctl and wait4, without which nothing starts); " +
			"deny = [\"@process\"] suits a program that must never run anything else. Go and glibc programs need " +
			"clone for threads.",
		Members: []Member{
			{Syscall: "clone"}, {Syscall: "clone3"}, {Syscall: "fork"}, {Syscall: "vfork"},
			{Syscall: "execve"}, {Syscall: "execveat"},
			{Syscall: "kill"}, {Syscall: "tkill"}, {Syscall: "tgkill"},
			{Syscall: "rt_sigqueueinfo"}, {Syscall: "rt_tgsigqueueinfo"},
			{Syscall: "pidfd_open"}, {Syscall: "pidfd_send_signal"},
		},
	},
}

// unknownGroup is the pseudo-group of system call numbers above the highest
// one hutch knows (maxKnownNr). They get ENOSYS, so a future kernel's new
// interfaces stay closed until hutch is taught about them while programs,
// which must cope with older kernels, fall back. allow = ["@unknown"] lets
// them through.
const unknownGroup = "@unknown"

// nestedGroups are lifted by Policy.NestedUserns: a program that builds its
// own sandbox (bubblewrap, Chromium, Firefox, podman) needs to create
// namespaces and mount inside its own user namespace.
var nestedGroups = []string{"@namespaces", "@mount"}

// groupByName returns the group called name.
func groupByName(name string) *Group {
	for i := range groups {
		if groups[i].Name == name {
			return &groups[i]
		}
	}
	return nil
}

// Groups returns every @group with its system calls, for `hutch profile
// explain` and the documentation. @unknown stands for the numbers above the
// highest one hutch knows and has no names.
func Groups() map[string][]string {
	m := make(map[string][]string, len(groups)+1)
	for _, g := range groups {
		var names []string
		for _, mem := range g.Members {
			names = append(names, mem.Syscall)
		}
		sort.Strings(names)
		m[g.Name] = names
	}
	m[unknownGroup] = []string{}
	return m
}

// GroupTable returns the groups with their errnos, argument rules and
// documentation, in table order. The slices are copies.
func GroupTable() []Group {
	out := make([]Group, len(groups))
	for i, g := range groups {
		g.Members = append([]Member(nil), g.Members...)
		out[i] = g
	}
	return out
}

// DefaultGroups returns the names of the groups the default filter denies.
// Numbers above hutch's table (@unknown) are denied as well.
func DefaultGroups() []string {
	var names []string
	for _, g := range groups {
		if g.Default {
			names = append(names, g.Name)
		}
	}
	return names
}

// memberErrno returns the errno a member answers with.
func (g *Group) memberErrno(m Member) unix.Errno {
	if m.Errno != 0 {
		return m.Errno
	}
	return g.Errno
}

// plainErrno is the errno a system call gets when a profile denies it by
// name: what it answers in the first group that denies it outright
// (clone3 keeps ENOSYS so libcs still fall back, socket gets EACCES from
// @network-io), else EPERM.
func plainErrno(name string) (unix.Errno, bool) {
	for i := range groups {
		g := &groups[i]
		for _, m := range g.Members {
			if m.Syscall == name && m.Args == nil {
				return g.memberErrno(m), m.Compat
			}
		}
	}
	return unix.EPERM, false
}
