package seccomp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The behavioural tests never install a filter in the test process: the
// test binary re-executes itself with helperEnv set, and the copy (the
// helper) reads a compiled Program as JSON from stdin, exactly as the
// sandbox's init will, sets no_new_privs, installs it, runs the probes
// named in probesEnv and prints one "name result" line per probe. A probe
// that kills the helper (action kill) ends the output there.
const (
	helperEnv = "HUTCH_SECCOMP_TEST_HELPER"
	probesEnv = "HUTCH_SECCOMP_TEST_PROBES"
	execEnv   = "HUTCH_SECCOMP_TEST_EXEC" // helper execs this program after installing
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		helperMain(mode)
		return
	}
	os.Exit(m.Run())
}

func helperMain(mode string) {
	// no_new_privs belongs to a thread: set on one and checked by Install
	// on another, it reads unset (a rare failure of TestKillAction).
	runtime.LockOSThread()
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "helper: "+format+"\n", args...)
		os.Exit(2)
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	var prog *Program
	if err := json.Unmarshal(in, &prog); err != nil {
		fail("decoding program: %v", err)
	}
	if mode != "no-nnp" {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			fail("no_new_privs: %v", err)
		}
	}
	if err := prog.Install(); err != nil {
		fmt.Printf("install %v\n", err)
		os.Exit(0)
	}
	fmt.Println("install ok")
	if path := os.Getenv(execEnv); path != "" {
		err := syscall.Exec(path, []string{path}, os.Environ())
		fail("exec %s: %v", path, err)
	}
	for _, name := range strings.Split(os.Getenv(probesEnv), ",") {
		if name == "" {
			continue
		}
		p, ok := probes[name]
		if !ok {
			fail("unknown probe %q", name)
		}
		fmt.Printf("%s %s\n", name, p())
	}
	os.Exit(0)
}

// result renders a raw system call's outcome: "ok" or the errno's name.
func result(r uintptr, e unix.Errno) string {
	if e != 0 {
		return errnoName(e)
	}
	return "ok"
}

// okFD closes a descriptor a probe got and reports success.
func okFD(r uintptr, e unix.Errno) string {
	if e == 0 {
		unix.Close(int(r))
	}
	return result(r, e)
}

func sys(nr uintptr, args ...uintptr) (uintptr, unix.Errno) {
	var a [6]uintptr
	copy(a[:], args)
	r, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	return r, e
}

func cstr(s string) uintptr {
	b := append([]byte(s), 0)
	return uintptr(unsafe.Pointer(&b[0]))
}

// noSuchPid is above any pid_max, so a ptrace that gets through the filter
// fails with ESRCH instead of stopping a real process.
const noSuchPid = 0x3ffffff0

// probes are the system calls the helper can make. Arguments are chosen so
// that a call the filter lets through fails harmlessly in the kernel with
// an errno different from the filter's (EBADF for fd -1, ENOENT for a path
// that does not exist, ...), so every expectation can fail.
var probes = map[string]func() string{
	"getpid":         func() string { return result(sys(unix.SYS_GETPID)) },
	"io_uring_setup": func() string { return okFD(sys(425, 1, 0)) },
	"perf_event_open": func() string {
		return okFD(sys(unix.SYS_PERF_EVENT_OPEN, 0, 0, ^uintptr(0), ^uintptr(0), 0))
	},
	"userfaultfd": func() string { return okFD(sys(unix.SYS_USERFAULTFD, 0xdead0000)) },
	"keyctl":      func() string { return result(sys(unix.SYS_KEYCTL, 0xdead)) },
	"add_key":     func() string { return result(sys(unix.SYS_ADD_KEY, 0, 0, 0, 0, 0)) },
	"bpf":         func() string { return result(sys(unix.SYS_BPF, 0xdead, 0, 0)) },
	"ptrace":      func() string { return result(sys(unix.SYS_PTRACE, unix.PTRACE_ATTACH, noSuchPid)) },
	"process_vm_readv": func() string {
		return result(sys(unix.SYS_PROCESS_VM_READV, noSuchPid, 0, 0, 0, 0, 0))
	},
	// A Go process has several threads, so the kernel itself refuses
	// unshare(CLONE_NEWUSER) with EINVAL: the filter's EPERM is distinct.
	"unshare_user": func() string { return result(sys(unix.SYS_UNSHARE, unix.CLONE_NEWUSER)) },
	"unshare_time": func() string { return result(sys(unix.SYS_UNSHARE, unix.CLONE_NEWTIME)) },
	// CLONE_NEWNS with CLONE_FS is invalid, so the kernel answers EINVAL
	// without creating anything.
	"clone_newns": func() string { return result(sys(unix.SYS_CLONE, unix.CLONE_NEWNS|unix.CLONE_FS)) },
	// CLONE_SIGHAND without CLONE_VM is invalid too: a clone without
	// namespace flags reaches the kernel. 0x80 in clone is the exit signal,
	// not CLONE_NEWTIME.
	"clone_plain": func() string { return result(sys(unix.SYS_CLONE, unix.CLONE_SIGHAND|0x80)) },
	"clone3":      func() string { return result(sys(435, 0, 0)) },
	"setns":       func() string { return result(sys(unix.SYS_SETNS, ^uintptr(0), 0)) },
	"mount": func() string {
		return result(sys(unix.SYS_MOUNT, cstr("none"), cstr("/nonexistent/hutch-test"), cstr("tmpfs"), 0, 0))
	},
	"umount2": func() string { return result(sys(unix.SYS_UMOUNT2, cstr("/nonexistent/hutch-test"), 0)) },
	"fsopen":  func() string { return okFD(sys(430, cstr("hutch-no-such-fs"), 0)) },
	"open_by_handle_at": func() string {
		return okFD(sys(unix.SYS_OPEN_BY_HANDLE_AT, ^uintptr(0), 0, 0))
	},
	"name_to_handle_at": func() string {
		return result(sys(unix.SYS_NAME_TO_HANDLE_AT, ^uintptr(0), 0, 0, 0, 0))
	},
	// Reading zero bytes of the LDT succeeds; an unknown function would
	// answer ENOSYS itself.
	"modify_ldt": func() string { return result(sys(unix.SYS_MODIFY_LDT, 0, 0, 0)) },
	"statmount":  func() string { return result(sys(457, 0, 0, 0, 0)) },
	"mseal":      func() string { return result(sys(462, 0, 0, 0xdead)) },
	"landlock": func() string {
		return result(sys(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION))
	},
	"ioctl_tiocsti":      func() string { return result(sys(unix.SYS_IOCTL, ^uintptr(0), unix.TIOCSTI, 0)) },
	"ioctl_tiocsti_high": func() string { return result(sys(unix.SYS_IOCTL, ^uintptr(0), unix.TIOCSTI|0xdeadbeef00000000, 0)) },
	"ioctl_tioclinux":    func() string { return result(sys(unix.SYS_IOCTL, ^uintptr(0), unix.TIOCLINUX, 0)) },
	"ioctl_fionread":     func() string { return result(sys(unix.SYS_IOCTL, ^uintptr(0), unix.TIOCINQ, 0)) },
	"socket_vsock":       func() string { return okFD(sys(unix.SYS_SOCKET, unix.AF_VSOCK, unix.SOCK_STREAM, 0)) },
	"socket_vsock_high":  func() string { return okFD(sys(unix.SYS_SOCKET, unix.AF_VSOCK|1<<32, unix.SOCK_STREAM, 0)) },
	"socket_packet":      func() string { return okFD(sys(unix.SYS_SOCKET, unix.AF_PACKET, unix.SOCK_RAW, 0)) },
	"socket_alg":         func() string { return okFD(sys(unix.SYS_SOCKET, unix.AF_ALG, unix.SOCK_SEQPACKET, 0)) },
	"socket_inet":        func() string { return okFD(sys(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_DGRAM, 0)) },
	"socket_inet6":       func() string { return okFD(sys(unix.SYS_SOCKET, unix.AF_INET6, unix.SOCK_DGRAM, 0)) },
	"socket_unix":        func() string { return okFD(sys(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM, 0)) },
	"socket_netlink":     func() string { return okFD(sys(unix.SYS_SOCKET, unix.AF_NETLINK, unix.SOCK_RAW, 0)) },
	"socketpair_unix": func() string {
		var fds [2]int32
		r, e := sys(unix.SYS_SOCKETPAIR, unix.AF_UNIX, unix.SOCK_STREAM, 0, uintptr(unsafe.Pointer(&fds)))
		if e == 0 {
			unix.Close(int(fds[0]))
			unix.Close(int(fds[1]))
		}
		return result(r, e)
	},
	"socketpair_vsock": func() string {
		var fds [2]int32
		return result(sys(unix.SYS_SOCKETPAIR, unix.AF_VSOCK, unix.SOCK_STREAM, 0, uintptr(unsafe.Pointer(&fds))))
	},
	"connect": func() string { return result(sys(unix.SYS_CONNECT, ^uintptr(0), 0, 0)) },
	"personality_rie": func() string {
		return result(sys(unix.SYS_PERSONALITY, 0x0400000)) // READ_IMPLIES_EXEC
	},
	"personality_query":      func() string { return result(sys(unix.SYS_PERSONALITY, 0xffffffff)) },
	"personality_query_high": func() string { return result(sys(unix.SYS_PERSONALITY, ^uintptr(0))) },
	"personality_linux32": func() string {
		r, e := sys(unix.SYS_PERSONALITY, 0x0008)
		sys(unix.SYS_PERSONALITY, 0)
		return result(r, e)
	},
	"nr_1000": func() string { return result(sys(1000)) },
	// x32 entry point: the same number with bit 30 from a 64-bit process.
	// On kernels without x32 the kernel answers ENOSYS after the filter.
	"x32_keyctl": func() string { return result(sys(x32SyscallBit|unix.SYS_KEYCTL, 0xdead)) },
	"x32_getpid": func() string { return result(sys(x32SyscallBit | unix.SYS_GETPID)) },
	"threads":    probeThreads,
	"status": func() string {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return err.Error()
		}
		var out []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "NoNewPrivs:") || strings.HasPrefix(l, "Seccomp:") {
				out = append(out, strings.Join(strings.Fields(l), ""))
			}
		}
		return strings.Join(out, ";")
	},
}

// probeThreads checks that the filter covers every thread (TSYNC) and that
// the runtime can still start new ones: eight goroutines locked to their
// own OS threads each make a call and read their own seccomp status, then
// every task of the process is checked.
func probeThreads() string {
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // the thread dies with the goroutine: the runtime starts new ones
			if _, e := sys(unix.SYS_GETPID); e != 0 {
				errs <- "getpid: " + errnoName(e)
			}
			b, err := os.ReadFile("/proc/thread-self/status")
			if err != nil || !bytes.Contains(b, []byte("Seccomp:\t2")) {
				errs <- fmt.Sprintf("new thread without the filter (%v)", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		return e
	}
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil || len(tasks) < 2 {
		return fmt.Sprintf("tasks: %v %d", err, len(tasks))
	}
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread exited
		}
		if !bytes.Contains(b, []byte("Seccomp:\t2")) {
			return "unfiltered thread " + t
		}
	}
	return "ok"
}

// helperRun is what a helper did.
type helperRun struct {
	results map[string]string
	order   []string
	state   *os.ProcessState
	stderr  string
}

// runHelper starts the helper with a program (nil: no filter) and probes.
func runHelper(t *testing.T, prog *Program, mode string, probeNames ...string) helperRun {
	t.Helper()
	return runHelperEnv(t, prog, mode, nil, probeNames...)
}

func runHelperEnv(t *testing.T, prog *Program, mode string, env []string, probeNames ...string) helperRun {
	t.Helper()
	js, err := json.Marshal(prog)
	if err != nil {
		t.Fatal(err)
	}
	if mode == "" {
		mode = "probe"
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, probesEnv+"="+strings.Join(probeNames, ","))
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = bytes.NewReader(js)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("helper: %v", err)
	}
	run := helperRun{results: map[string]string{}, state: cmd.ProcessState, stderr: stderr.String()}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		name, res, _ := strings.Cut(sc.Text(), " ")
		run.results[name] = res
		run.order = append(run.order, name)
	}
	if run.state.ExitCode() == 2 {
		t.Fatalf("helper failed: %s", run.stderr)
	}
	return run
}

// signaled returns the signal that ended the helper, if any.
func (r helperRun) signaled() syscall.Signal {
	if ws, ok := r.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return 0
}

func mustCompile(t testing.TB, p Policy) *Program {
	t.Helper()
	prog, err := Compile(p)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", p, err)
	}
	return prog
}
