package main

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// attempts are system calls the tests expect a sandbox to refuse (or
// allow), each made with arguments that would succeed, or fail with a
// distinctive errno, without a filter.
var attempts = map[string]func() error{
	"io_uring_setup": func() error {
		var params [120]byte
		return raw(unix.SYS_IO_URING_SETUP, 1, uintptr(unsafe.Pointer(&params[0])))
	},
	"perf_event_open": func() error {
		attr := unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CPU_CLOCK, Size: uint32(unsafe.Sizeof(unix.PerfEventAttr{}))}
		attr.Bits = unix.PerfBitDisabled | unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv
		_, err := unix.PerfEventOpen(&attr, 0, -1, -1, 0)
		return err
	},
	"userfaultfd": func() error { return raw(unix.SYS_USERFAULTFD, unix.O_CLOEXEC) },
	"keyctl": func() error {
		_, err := unix.KeyctlInt(unix.KEYCTL_GET_KEYRING_ID, unix.KEY_SPEC_SESSION_KEYRING, 0, 0, 0)
		return err
	},
	"add_key": func() error {
		_, err := unix.AddKey("user", "hutch-probe", []byte("x"), unix.KEY_SPEC_PROCESS_KEYRING)
		return err
	},
	"bpf": func() error {
		// BPF_MAP_CREATE of a tiny array map.
		attr := [5]uint32{2, 4, 4, 1, 0}
		return raw(unix.SYS_BPF, 0, uintptr(unsafe.Pointer(&attr[0])), unsafe.Sizeof(attr))
	},
	"ptrace-init":   func() error { return unix.PtraceAttach(1) },
	"ptrace-parent": func() error { return unix.PtraceAttach(os.Getppid()) },
	"unshare-user":  func() error { return unix.Unshare(unix.CLONE_NEWUSER) },
	"unshare-net":   func() error { return unix.Unshare(unix.CLONE_NEWNET) },
	"clone3":        func() error { return raw(unix.SYS_CLONE3, 0, 0) },
	"mount":         func() error { return unix.Mount("none", "/tmp", "tmpfs", 0, "") },
	"umount":        func() error { return unix.Unmount("/proc", unix.MNT_DETACH) },
	"socket-vsock":  func() error { return socket(unix.AF_VSOCK, unix.SOCK_STREAM) },
	"socket-packet": func() error { return socket(unix.AF_PACKET, unix.SOCK_RAW) },
	"socket-inet":   func() error { return socket(unix.AF_INET, unix.SOCK_STREAM) },
	"socket-unix":   func() error { return socket(unix.AF_UNIX, unix.SOCK_STREAM) },
	"personality-read-implies-exec": func() error {
		_, _, e := unix.Syscall(unix.SYS_PERSONALITY, 0x0400000, 0, 0)
		if e != 0 {
			return e
		}
		return nil
	},
	"getpid": func() error { return raw(unix.SYS_GETPID) },
	// kcmp of the process's own stdin with itself: 0 where allowed.
	"kcmp": func() error {
		return raw(unix.SYS_KCMP, uintptr(os.Getpid()), uintptr(os.Getpid()), 0 /* KCMP_FILE */, 0, 0)
	},
	"getrandom": func() error {
		var b [8]byte
		return raw(unix.SYS_GETRANDOM, uintptr(unsafe.Pointer(&b[0])), 8, 0)
	},
}

func raw(nr uintptr, args ...uintptr) error {
	var a [6]uintptr
	copy(a[:], args)
	_, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	if e != 0 {
		return e
	}
	return nil
}

func socket(domain, typ int) error {
	fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

// syscallErrno prints "name ERRNO" for each named attempt.
func syscallErrno(names []string) {
	for _, name := range names {
		attempt, ok := attempts[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "probe: unknown attempt %q\n", name)
			os.Exit(2)
		}
		fmt.Println(name, errnoName(attempt()))
	}
}
