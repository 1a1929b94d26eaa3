package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ExecOptions describe a process to run in a named sandbox.
type ExecOptions struct {
	Args []string
	// Environ is the caller's environment; the sandbox's environment
	// policy filters it as it did the app's.
	Environ []string
	// Env holds variables set on top (hutch exec --env).
	Env []string
	Cwd string // inside; the app's starting directory when empty
	// TTY gives the process a terminal of the sandbox's own, relayed to
	// the caller's.
	TTY                   bool
	Stdin, Stdout, Stderr *os.File
}

// Exec runs a process inside every namespace of a running named sandbox,
// with the app's restrictions, and returns its exit code.
func Exec(rec *Record, opts ExecOptions) (int, error) {
	if !rec.alive() {
		return ExitSetup, errorf("sandbox %s is not running (%s)", rec.Name, rec.Status)
	}
	if rec.Spec != nil && rec.Spec.Process.AsPID1 {
		return ExitSetup, errorf("sandbox %s runs its app as PID 1, without hutch's init to start processes: exec needs a sandbox started without --as-pid-1", rec.Name)
	}
	if len(opts.Args) == 0 {
		return ExitSetup, errorf("exec: no command")
	}
	conn, err := dialControl(filepath.Join(rec.Dir, controlFile))
	if err != nil {
		return ExitSetup, errorf("connect to sandbox %s: %w", rec.Name, err)
	}
	ch := newChannel(conn)
	defer conn.Close()

	env := rec.Spec.Process.Env.Apply(opts.Environ)
	env = append(env, opts.Env...)
	req := execRequest{Args: opts.Args, Env: env, Cwd: opts.Cwd, TTY: opts.TTY}
	stdin, stdout, stderr := orFile(opts.Stdin, os.Stdin), orFile(opts.Stdout, os.Stdout), orFile(opts.Stderr, os.Stderr)
	var fds []int
	if opts.TTY {
		if ws, err := unix.IoctlGetWinsize(int(stdin.Fd()), unix.TIOCGWINSZ); err == nil {
			req.Rows, req.Cols = ws.Row, ws.Col
		}
	} else {
		fds = []int{int(stdin.Fd()), int(stdout.Fd()), int(stderr.Fd())}
	}
	// Signals are caught before the process exists so none is lost.
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH, unix.SIGTSTP, unix.SIGCONT)
	defer signal.Stop(sigs)

	if err := sendRequest(ch, req, rec.InitPID, fds...); err != nil {
		return ExitSetup, errorf("exec in %s: %w", rec.Name, err)
	}
	var reply execReply
	got, err := ch.recv(&reply)
	if err != nil {
		return ExitSetup, errorf("exec in %s: %w", rec.Name, err)
	}
	if reply.Type == msgError {
		closeAll(got)
		return reply.Code, &Error{Code: reply.Code, Err: errors.New(reply.Error)}
	}
	var master *os.File
	drained := make(chan struct{}) // the terminal's output is all copied
	if opts.TTY {
		if len(got) != 1 {
			closeAll(got)
			return ExitSetup, errorf("exec in %s: no terminal came back", rec.Name)
		}
		master = os.NewFile(uintptr(got[0]), "pty-master")
		defer master.Close()
		restore := rawTerminal(stdin)
		defer restore()
		go io.Copy(master, stdin)
		go func() {
			io.Copy(stdout, master)
			close(drained)
		}()
	} else {
		close(drained)
		closeAll(got)
	}

	exits := make(chan execReply, 1)
	go func() {
		var r execReply
		if _, err := ch.recv(&r); err != nil {
			r = endedEarly(rec, reply.PID)
		}
		exits <- r
	}()
	for {
		select {
		case sig := <-sigs:
			if sig == unix.SIGWINCH {
				if master != nil {
					if ws, err := unix.IoctlGetWinsize(int(stdin.Fd()), unix.TIOCGWINSZ); err == nil {
						unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
					}
				}
				continue
			}
			if sig == unix.SIGTSTP {
				// Job control (Ctrl-Z without -t): the process leads a
				// session of its own inside, an orphaned process group,
				// where the kernel discards SIGTSTP, so it gets SIGSTOP;
				// then this client stops, as the shell expects of its job.
				// The shell's SIGCONT is relayed like any other signal.
				ch.send(execSignal{Signal: int(unix.SIGSTOP)})
				unix.Kill(os.Getpid(), unix.SIGSTOP)
				continue
			}
			ch.send(execSignal{Signal: int(sig.(syscall.Signal))})
		case r := <-exits:
			// The terminal reports end of file once every holder of its
			// other end is gone; a background job may hold it longer.
			select {
			case <-drained:
			case <-time.After(time.Second):
			}
			if r.Type == msgError {
				return r.Code, &Error{Code: r.Code, Err: errors.New(r.Error)}
			}
			return r.Code, nil
		}
	}
}

// Kill sends sig to the sandbox's app, as runc kill does: any signal
// from 1 to 64, SIGSTOP and SIGKILL included. The init sends it, on a
// request through the control socket, since from the host a sandbox's
// PID 1 gets only the signals it handles, and the init relays only some.
// Where the app is PID 1 itself (--as-pid-1) it gets the signal directly.
// catches reports whether process pid has a handler for sig, from the
// SigCgt mask of its status; true when that cannot be read.
func catches(pid int, sig syscall.Signal) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return true
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "SigCgt:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err != nil || mask&(1<<(uint(sig)-1)) != 0
		}
	}
	return true
}

func (r *Record) Kill(sig syscall.Signal) error {
	if sig < 1 || sig > 64 {
		return errorf("kill: no signal %d", int(sig))
	}
	if !r.alive() {
		return errorf("sandbox %s is not running (%s)", r.Name, r.Status)
	}
	if r.Spec != nil && r.Spec.Process.AsPID1 {
		// The kernel drops a signal sent from outside to PID 1 of a pid
		// namespace that has no handler for it, SIGKILL and SIGSTOP aside.
		if sig != unix.SIGKILL && sig != unix.SIGSTOP && r.Spec.NewShares(NSPID) && !catches(r.InitPID, sig) {
			return errorf("kill %s: its app runs as PID 1 of its pid namespace and does not handle %v, which the kernel then drops; send KILL, or stop it", r.Name, unix.SignalName(sig))
		}
		return r.Signal(sig)
	}
	if r.AppPID <= 0 {
		return errorf("kill: sandbox %s has no app pid on record", r.Name)
	}
	conn, err := dialControl(filepath.Join(r.Dir, controlFile))
	if err != nil {
		return errorf("connect to sandbox %s: %w", r.Name, err)
	}
	defer conn.Close()
	ch := newChannel(conn)
	if err := sendRequest(ch, execRequest{Signal: int(sig), Target: r.AppPID}, r.InitPID); err != nil {
		return errorf("kill %s: %w", r.Name, err)
	}
	var reply execReply
	got, err := ch.recv(&reply)
	closeAll(got)
	switch {
	case err != nil:
		return errorf("kill %s: no answer from its init: %w", r.Name, err)
	case reply.Type == msgError:
		return errorf("sandbox %s: %s", r.Name, reply.Error)
	case reply.Type != msgSignaled:
		return errorf("kill %s: unexpected answer %q", r.Name, reply.Type)
	}
	return nil
}

// endedEarly is the outcome of an exec whose sandbox's init ended before
// it reported the process's exit: stopped, or its app ended. An init of
// its own pid namespace takes every process of it along with SIGKILL, and
// so do an init sharing the host's as it ends and hutch stop; that is the
// process's end. Only a process pid (a host pid, the pid namespace being
// the host's) still running in the sandbox's user namespace may live on,
// its status unknown: its init was killed.
func endedEarly(rec *Record, pid int) execReply {
	killed := execReply{Type: msgExit, Code: exitSignalShift + int(unix.SIGKILL)}
	if rec.Spec == nil || rec.Spec.NewShares(NSPID) {
		return killed
	}
	userNS, known := rec.Namespaces[NSUser]
	if link, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/user"); known && (err != nil || link != "user:["+strconv.FormatUint(userNS, 10)+"]") {
		return killed
	}
	return execReply{Type: msgError, Code: ExitSetup, Error: fmt.Sprintf("sandbox %s ended before the command did, and shares its pid namespace: the command may still run, its status is unknown", rec.Name)}
}

func orFile(f, std *os.File) *os.File {
	if f != nil {
		return f
	}
	return std
}

func dialControl(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	err = withSocketPath(path, func(p string) error { return unix.Connect(fd, &unix.SockaddrUnix{Name: p}) })
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// maxSocketPath is the longest path a unix socket address holds, its
// terminating NUL aside.
const maxSocketPath = len(unix.RawSockaddrUnix{}.Path) - 1

// withSocketPath calls fn with a path to the socket path that fits in a
// socket address: the path itself, or, when it is too long (a 64-byte
// name under a deep $XDG_RUNTIME_DIR), the same file reached through a
// descriptor of its directory, /proc/self/fd/N/NAME.
func withSocketPath(path string, fn func(string) error) error {
	if len(path) <= maxSocketPath {
		return fn(path)
	}
	dir, name := filepath.Split(path)
	dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket directory: %w", err)
	}
	defer unix.Close(dfd)
	short := "/proc/self/fd/" + strconv.Itoa(dfd) + "/" + name
	if len(short) > maxSocketPath {
		return fmt.Errorf("socket name %s is too long for a unix socket address", name)
	}
	return fn(short)
}

// listenControl creates the named sandbox's control socket.
func listenControl(dir string) (*os.File, error) {
	path := filepath.Join(dir, controlFile)
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := withSocketPath(path, func(p string) error { return unix.Bind(fd, &unix.SockaddrUnix{Name: p}) }); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// rawTerminal puts a terminal in raw mode, for relaying a pty, and returns
// the function that restores it. A non-terminal is left alone.
func rawTerminal(f *os.File) func() {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return func() {}
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	unix.IoctlSetTermios(fd, unix.TCSETS, &raw)
	return func() { unix.IoctlSetTermios(fd, unix.TCSETS, old) }
}
