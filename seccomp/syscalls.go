package seccomp

import "golang.org/x/sys/unix"

// Architectures. The kernel reports in seccomp_data.arch which entry point a
// call came through; an x86-64 kernel runs three: native x86-64, i386 (int
// $0x80, sysenter, 32-bit syscall) and x32, which reports AUDIT_ARCH_X86_64
// but sets bit 30 of the system call number. A filter that checks only one
// of them is bypassed by calling the same function through another.
const (
	auditArchX86_64 = unix.AUDIT_ARCH_X86_64
	auditArchI386   = unix.AUDIT_ARCH_I386
	x32SyscallBit   = 0x40000000
	// x32's own numbering of the calls whose argument layout differs from
	// x86-64 (rt_sigaction, ioctl, readv, ...): 512 to 547 with bit 30 set.
	x32CompatFirst = 512
	x32CompatLast  = 547
)

// firstCommonNr is where the shared numbering starts: since Linux 5.1 every
// new system call gets the same number on every architecture (x32 adds bit
// 30), so hutch can name them itself instead of depending on how new the
// linked libseccomp's tables are (Debian 12's 2.5.4 stops around 450).
const firstCommonNr = 424

// commonSyscalls are the system calls of the shared numbering, as far as
// hutch knows them. Every one of them is routed through hutch's own BPF
// prelude, never through libseccomp, so a rule that denies one cannot be
// dropped because the library does not know the name, and the binary does
// not change with the library version. Anything numbered above the last
// entry is unknown to hutch and answered ENOSYS unless the policy allows
// @unknown (see prelude.go). Keep this list in step with the kernel's
// scripts/syscall.tbl; map_shadow_stack (453) exists only on x86-64 and
// uretprobe (335, x86-64 only, below the shared range) is not filtered.
var commonSyscalls = []struct {
	name string
	nr   uint32
}{
	{"pidfd_send_signal", 424},
	{"io_uring_setup", 425},
	{"io_uring_enter", 426},
	{"io_uring_register", 427},
	{"open_tree", 428},
	{"move_mount", 429},
	{"fsopen", 430},
	{"fsconfig", 431},
	{"fsmount", 432},
	{"fspick", 433},
	{"pidfd_open", 434},
	{"clone3", 435},
	{"close_range", 436},
	{"openat2", 437},
	{"pidfd_getfd", 438},
	{"faccessat2", 439},
	{"process_madvise", 440},
	{"epoll_pwait2", 441},
	{"mount_setattr", 442},
	{"quotactl_fd", 443},
	{"landlock_create_ruleset", 444},
	{"landlock_add_rule", 445},
	{"landlock_restrict_self", 446},
	{"memfd_secret", 447},
	{"process_mrelease", 448},
	{"futex_waitv", 449},
	{"set_mempolicy_home_node", 450},
	{"cachestat", 451},
	{"fchmodat2", 452},
	{"map_shadow_stack", 453},
	{"futex_wake", 454},
	{"futex_wait", 455},
	{"futex_requeue", 456},
	{"statmount", 457},
	{"listmount", 458},
	{"lsm_get_self_attr", 459},
	{"lsm_set_self_attr", 460},
	{"lsm_list_modules", 461},
	{"mseal", 462},
	{"setxattrat", 463},
	{"getxattrat", 464},
	{"listxattrat", 465},
	{"removexattrat", 466},
	{"open_tree_attr", 467},
	{"file_getattr", 468},
	{"file_setattr", 469},
}

// maxKnownNr is the highest system call number hutch knows.
var maxKnownNr = commonSyscalls[len(commonSyscalls)-1].nr

// commonNr returns the shared number of a system call of the common
// numbering, and whether name is one.
func commonNr(name string) (uint32, bool) {
	for _, s := range commonSyscalls {
		if s.name == name {
			return s.nr, true
		}
	}
	return 0, false
}

// Errno names used in explanations and the group table.
var errnoNames = map[unix.Errno]string{
	unix.EPERM:        "EPERM",
	unix.EACCES:       "EACCES",
	unix.ENOSYS:       "ENOSYS",
	unix.EAFNOSUPPORT: "EAFNOSUPPORT",
	unix.EOPNOTSUPP:   "EOPNOTSUPP",
	unix.EINVAL:       "EINVAL",
}

func errnoName(e unix.Errno) string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return unix.ErrnoName(e)
}
