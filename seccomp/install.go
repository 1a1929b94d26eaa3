package seccomp

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Install loads the program for the calling process: every thread, through
// SECCOMP_FILTER_FLAG_TSYNC, because the Go runtime has several and a
// thread without the filter would run the app's code unfiltered after a
// fork from it. Call it as the last step before exec, after setting
// no_new_privs (PR_SET_NO_NEW_PRIVS): Install refuses to run without it
// rather than rely on a capability to load the filter, so that setuid and
// file-capability binaries can never outrun it. It uses only the raw
// seccomp(2) system call, no libseccomp: the sandbox's init must not need
// the library. Install on a nil program (Base "none") does nothing.
//
// The filter is inherited across fork, clone and execve and cannot be
// removed.
func (p *Program) Install() error {
	if p == nil {
		return nil
	}
	if len(p.Filter) == 0 || len(p.Filter) > maxInsns {
		return fmt.Errorf("seccomp: cannot install a program of %d instructions", len(p.Filter))
	}
	nnp, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	if err != nil {
		return fmt.Errorf("seccomp: PR_GET_NO_NEW_PRIVS: %w", err)
	}
	if nnp != 1 {
		return errors.New("seccomp: no_new_privs is not set; set PR_SET_NO_NEW_PRIVS before installing the filter")
	}
	fprog := unix.SockFprog{Len: uint16(len(p.Filter)), Filter: &p.Filter[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(p)
	if errno != 0 {
		return fmt.Errorf("seccomp: loading the filter: %w", errno)
	}
	if r != 0 {
		// With TSYNC a positive result is the thread that could not be
		// synchronised (it has a filter of its own that ours does not
		// descend from); nothing was installed.
		return fmt.Errorf("seccomp: thread %d could not be synchronised to the filter", r)
	}
	return nil
}
