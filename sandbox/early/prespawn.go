package early

/*
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

// PRESPAWN_FLAGS are the namespaces of a prespawned init: those of the
// default profile. The time namespace is not among them; the init
// unshares it for its children, as a normally started one does.
#define PRESPAWN_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | \
	CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

// In the hutch process: the helper that forks the prespawned init, and
// the host end of the init's channel, on which the helper reports the
// init's pid; or 0 and -1.
static int prespawn_helper = 0;
static int prespawn_host_fd = -1;
// In the prespawned init: its end of the channel, or -1.
static int prespawn_init_fd = -1;

// wipe overwrites the strings of a NULL-terminated vector with zeros: the
// prespawned init's command line and environment are the caller's, and
// neither is its business nor anything the sandbox should find in
// /proc/1. Go reads its os.Args and environment from these very strings,
// which then read as empty.
static void wipe(char **v) {
	for (; v && *v; v++)
		memset(*v, 0, strlen(*v));
}

// hutch_prespawn starts the init of "hutch run" at once, in parallel with
// the Go runtime of hutch itself: the namespaces are created and the init's
// runtime started while hutch parses its profiles, which takes the longest
// step off the critical path of startup. hutch uses the init when the
// resolved profile asks for exactly these namespaces and discards it
// otherwise. Any failure here only means hutch starts its init the usual
// way, which reports the error properly.
//
// Creating the namespaces takes milliseconds (a network namespace above
// all), so hutch does not wait for it: a plain fork makes a helper, and
// the helper clones the init as hutch's own child (CLONE_PARENT), reports
// its pid on the channel and exits.
__attribute__((constructor)) static void hutch_prespawn(int argc, char **argv, char **envp) {
	if (argc < 2 || strcmp(argv[1], "run") != 0)
		return;
	const char *knob = getenv("HUTCH_PRESPAWN");
	if (knob && strcmp(knob, "0") == 0)
		return;
	// Options that rule the prespawned init out save the work: a named
	// sandbox never uses one, and a shared namespace is not among its own.
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--name") == 0 || strncmp(a, "--name=", 7) == 0 || strcmp(a, "-n") == 0 ||
		    strcmp(a, "--detach") == 0 || strcmp(a, "-d") == 0 || strncmp(a, "--share-", 8) == 0)
			return;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return;
	if (sv[0] < 3 || sv[1] < 3) {
		// hutch was started with stdio closed: the channel would pose as
		// the app's stdin or stdout.
		close(sv[0]);
		close(sv[1]);
		return;
	}
	pid_t helper = fork();
	if (helper < 0) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (helper > 0) {
		close(sv[1]);
		prespawn_helper = helper;
		prespawn_host_fd = sv[0];
		return;
	}
	close(sv[0]);
	// A fork with namespace flags: the init continues on a copy of this
	// stack, returns from the constructor and starts its own Go runtime.
	long pid = syscall(SYS_clone, CLONE_PARENT | PRESPAWN_FLAGS | SIGCHLD, NULL, NULL, NULL, 0L);
	if (pid != 0) {
		int report = pid > 0 ? (int)pid : -errno;
		ssize_t n = write(sv[1], &report, sizeof report);
		_exit(n == sizeof report ? 0 : 1);
	}
	// The death of hutch's main thread kills the init; should hutch have
	// died already, the init reads end-of-file on its channel and exits.
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	// Nothing of the caller's descriptors but stdio stays open: hutch
	// sends the ones the sandbox gets along with its spec.
	if (sv[1] > 3)
		syscall(SYS_close_range, 3, sv[1] - 1, 0);
	syscall(SYS_close_range, sv[1] + 1, ~0U, 0);
	wipe(argv + 1);
	wipe(envp);
	prespawn_init_fd = sv[1];
}

static int prespawned_helper(void) { return prespawn_helper; }
static int prespawned_host_fd(void) { return prespawn_host_fd; }
static int prespawned_init_fd(void) { return prespawn_init_fd; }
static void forget_prespawned(void) { prespawn_helper = 0; prespawn_host_fd = -1; }
*/
import "C"

import (
	"encoding/binary"
	"io"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// PrespawnFlags are the clone flags of a prespawned init.
const PrespawnFlags = uintptr(C.PRESPAWN_FLAGS)

// Prespawned is an init started before hutch's Go runtime, waiting on its
// channel for a spec.
type Prespawned struct {
	PID     int
	Channel *os.File
}

var takeOnce sync.Mutex

// TakePrespawned hands over this process's prespawned init, once; it
// returns nil when there is none (another command than run, the kernel
// refused the namespaces, HUTCH_PRESPAWN=0, or it was taken already).
func TakePrespawned() *Prespawned {
	takeOnce.Lock()
	defer takeOnce.Unlock()
	helper := int(C.prespawned_helper())
	if helper == 0 {
		return nil
	}
	ch := os.NewFile(uintptr(C.prespawned_host_fd()), "hutch-prespawn")
	C.forget_prespawned()
	var report [4]byte
	_, err := io.ReadFull(ch, report[:])
	reap(helper)
	pid := int(int32(binary.NativeEndian.Uint32(report[:])))
	if err != nil || pid <= 0 {
		ch.Close()
		return nil
	}
	return &Prespawned{PID: pid, Channel: ch}
}

func reap(pid int) {
	for {
		_, err := unix.Wait4(pid, nil, 0, nil)
		if err != syscall.EINTR {
			return
		}
	}
}

// Discard ends a prespawned init that is not used and reaps it.
func (p *Prespawned) Discard() {
	p.Channel.Close()
	unix.Kill(p.PID, unix.SIGKILL)
	reap(p.PID)
}

// InitChannel reports whether this process is a prespawned init, and if
// so the descriptor of its channel to hutch.
func InitChannel() (int, bool) {
	fd := int(C.prespawned_init_fd())
	return fd, fd >= 0
}
