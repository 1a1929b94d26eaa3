package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A named sandbox's init listens on a unix socket in the state directory
// for exec requests. The init forks each requested process itself, from
// its main thread, so the process is born inside every namespace (the time
// namespace included) with exactly the restrictions the app has: no
// capabilities, no_new_privs, the seccomp filter and the Landlock domain
// are all inherited from the init. No setns is needed anywhere, which a
// multi-threaded Go program could not do for the user and mount namespaces.

// execRequest asks the init to start a process. Without a terminal the
// client's stdin, stdout and stderr travel with it as SCM_RIGHTS.
type execRequest struct {
	Args []string `json:"args"`
	Env  []string `json:"env"`
	Cwd  string   `json:"cwd,omitempty"`
	TTY  bool     `json:"tty,omitempty"`
	Rows uint16   `json:"rows,omitempty"`
	Cols uint16   `json:"cols,omitempty"`
	// Signal, when set, asks for no process: the init sends that signal
	// to Target, the app's pid in the init's pid namespace, and replies
	// with msgSignaled (hutch kill). Only the init can reach the app
	// with every signal: from the host, a sandbox's PID 1 gets only those
	// it handles, and stopping it would not stop the app.
	Signal int `json:"signal,omitempty"`
	Target int `json:"target,omitempty"`
	// Proof says that the last descriptor passed is a pidfd of the init,
	// which only a process that sees the init's pid can open (see
	// fromHost).
	Proof bool `json:"proof,omitempty"`
}

// Replies to exec and signal requests besides msgStarted and msgError.
const (
	msgExit     = "exit"     // the process ended; Code is its status
	msgSignaled = "signaled" // a signal request was carried out
)

// errServed is what start returns for a request it answered in full,
// without starting a process: fail then only ends the session.
var errServed = errors.New("request served")

// execReply reports on a requested process: started (with the pty master
// when a terminal was asked for), error, or exit.
type execReply struct {
	Type  string `json:"type"`
	PID   int    `json:"pid,omitempty"`
	Code  int    `json:"code"`
	Error string `json:"error,omitempty"`
}

// execSignal is the client's one message after the start: relay a signal.
type execSignal struct {
	Signal int `json:"signal"`
}

// session is one exec connection as the init's main loop sees it.
type session struct {
	ch  *channel
	req execRequest
	fds []int
	pid int
}

// sessionEvent reaches the main loop from a session's reader.
type sessionEvent struct {
	s      *session
	signal syscall.Signal // 0: the client hung up
}

// serveControl accepts exec requests and hands them to the main loop.
func serveControl(fd int, pidNSIsNew bool, requests chan<- *session) {
	for {
		conn, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
		if err != nil {
			if err == unix.EINTR || err == unix.ECONNABORTED {
				continue
			}
			return
		}
		go readRequest(conn, pidNSIsNew, requests)
	}
}

func readRequest(conn int, pidNSIsNew bool, requests chan<- *session) {
	// A peer inside the sandbox's own pid namespace has a pid there; one
	// on the host has none (0). The socket is hidden inside, and this
	// turns away anything in the sandbox that reaches it anyway.
	cred, err := unix.GetsockoptUcred(conn, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil || (pidNSIsNew && cred.Pid != 0) {
		unix.Close(conn)
		return
	}
	s := &session{ch: newChannel(os.NewFile(uintptr(conn), "hutch-exec"))}
	fds, err := s.ch.recv(&s.req)
	if err != nil {
		s.ch.f.Close()
		return
	}
	if s.fds, err = fromHost(s.req, fds); err != nil {
		closeAll(s.fds)
		s.fail(err)
		s.ch.f.Close()
		return
	}
	requests <- s
}

// fromHost checks the proof a request carries that it comes from hutch on
// the host rather than from another sandbox that reached the socket: a
// pidfd of this init, which only a process that sees the init's pid can
// open, and no sandbox with a pid namespace of its own does. (SO_PEERCRED
// cannot tell: a peer in a sibling pid namespace has no pid here, as the
// host's has none.) The kernel shows whose pidfd it is in fdinfo, as a
// pid in the reader's pid namespace. It returns the other descriptors.
func fromHost(req execRequest, fds []int) ([]int, error) {
	refused := errorf("exec: the request does not prove it comes from the host")
	if !req.Proof || len(fds) == 0 {
		return fds, refused
	}
	proof, rest := fds[len(fds)-1], fds[:len(fds)-1]
	info, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(proof))
	unix.Close(proof)
	if err != nil {
		return rest, refused
	}
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "Pid:"); ok {
			if pid, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && pid == os.Getpid() {
				return rest, nil
			}
		}
	}
	return rest, refused
}

// sendRequest sends a control request to the init whose host pid is
// initPID, with its proof appended to the descriptors.
func sendRequest(ch *channel, req execRequest, initPID int, fds ...int) error {
	pidfd, err := unix.PidfdOpen(initPID, 0)
	if err != nil {
		return fmt.Errorf("open the init's pidfd: %w", err)
	}
	defer unix.Close(pidfd)
	req.Proof = true
	return ch.send(req, append(fds, pidfd)...)
}

// start forks the requested process; it runs on the init's main thread.
func (s *session) start() error {
	defer closeAll(s.fds)
	req := s.req
	if req.Signal != 0 {
		return s.signal()
	}
	if len(req.Args) == 0 {
		return errorf("exec: no command")
	}
	attr := &syscall.ProcAttr{Env: req.Env, Sys: &syscall.SysProcAttr{Setsid: true}}
	cwd := req.Cwd
	if cwd == "" {
		// The app's working directory at its start, where the init has
		// stayed since, as runc exec starts in the container's; / if it
		// has been removed since.
		cwd = "/"
		if wd, err := unix.Getwd(); err == nil && path.IsAbs(wd) {
			cwd = wd
		}
	}
	var st unix.Stat_t
	if err := unix.Stat(cwd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return errorf("exec: working directory %s: %v", cwd, orNotDir(err))
	}
	attr.Dir = cwd
	var master, slave int = -1, -1
	if req.TTY {
		var err error
		master, slave, err = openPTY(req.Rows, req.Cols)
		if err != nil {
			return err
		}
		defer unix.Close(slave)
		attr.Files = []uintptr{uintptr(slave), uintptr(slave), uintptr(slave)}
		attr.Sys.Setctty = true
		attr.Sys.Ctty = 0
	} else {
		if len(s.fds) != 3 {
			return errorf("exec: want 3 descriptors with the request, got %d", len(s.fds))
		}
		attr.Files = []uintptr{uintptr(s.fds[0]), uintptr(s.fds[1]), uintptr(s.fds[2])}
	}
	path, err := lookPathIn(req.Args[0], req.Env, cwd)
	if err == nil {
		s.pid, err = syscall.ForkExec(path, req.Args, attr)
		if err != nil {
			err = execFailed(req.Args[0], path, err)
		}
	}
	if err != nil {
		if master >= 0 {
			unix.Close(master)
		}
		return err
	}
	var pass []int
	if master >= 0 {
		pass = []int{master}
		defer unix.Close(master)
	}
	return s.ch.send(execReply{Type: msgStarted, PID: s.pid}, pass...)
}

// signal carries out a signal request. It runs on the init's main
// thread, which reaps the app: while the init serves requests the app
// has not been reaped, so its pid cannot belong to another process.
func (s *session) signal() error {
	sig, target := s.req.Signal, s.req.Target
	if sig < 1 || sig > 64 {
		return errorf("kill: no signal %d", sig)
	}
	// Never 0 or -1, which would reach every process of a group or all
	// the init may signal, nor the init itself.
	if target <= 0 || target == os.Getpid() {
		return errorf("kill: bad target pid %d", target)
	}
	if err := unix.Kill(target, syscall.Signal(sig)); err != nil {
		return errorf("kill: signal %d to the app (pid %d): %w", sig, target, err)
	}
	if err := s.ch.send(execReply{Type: msgSignaled}); err != nil {
		return errorf("kill: reply: %w", err)
	}
	return errServed
}

// fail reports an error to the client and ends the session.
func (s *session) fail(err error) {
	if errors.Is(err, errServed) {
		s.ch.f.Close()
		return
	}
	code := ExitSetup
	var e *Error
	if errors.As(err, &e) {
		code = e.Code
	}
	s.ch.send(execReply{Type: msgError, Code: code, Error: err.Error()})
	s.ch.f.Close()
}

// finish reports the process's exit status and ends the session.
func (s *session) finish(code int) {
	s.ch.send(execReply{Type: msgExit, Code: code})
	s.ch.f.Close()
}

// relay reads the client's signal requests until it hangs up.
func (s *session) relay(events chan<- sessionEvent) {
	for {
		var m execSignal
		if _, err := s.ch.recv(&m); err != nil {
			events <- sessionEvent{s: s}
			return
		}
		if m.Signal > 0 && m.Signal < 65 {
			events <- sessionEvent{s: s, signal: syscall.Signal(m.Signal)}
		}
	}
}

// openPTY opens a terminal pair in the sandbox's own devpts.
func openPTY(rows, cols uint16) (master, slave int, err error) {
	master, err = unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, -1, errorf("exec -t: open /dev/ptmx: %w (the sandbox needs a /dev mount for terminals)", err)
	}
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(master)
		return -1, -1, errorf("exec -t: unlock pty: %w", err)
	}
	slave, err = openPTYPeer(master)
	if err != nil {
		unix.Close(master)
		return -1, -1, errorf("exec -t: open pty peer: %w", err)
	}
	if rows > 0 && cols > 0 {
		unix.IoctlSetWinsize(master, unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
	}
	return master, slave, nil
}

// openPTYPeer opens the terminal of a pty master. TIOCGPTPEER takes the
// open flags as its argument, and O_NOCTTY matters: the init is a session
// leader without a controlling terminal, so without it the peer would
// become the init's own, the process's TIOCSCTTY would then fail with
// EPERM, and the init would get SIGHUP when the master closed.
func openPTYPeer(master int) (int, error) {
	fd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

func orNotDir(err error) error {
	if err == nil {
		return unix.ENOTDIR
	}
	return err
}

// lookPathIn resolves a command like lookPath, with relative paths taken
// from dir; errors name the command as given.
func lookPathIn(cmd string, env []string, dir string) (string, error) {
	if len(cmd) > 0 && cmd[0] != '/' && containsSlash(cmd) {
		// Not cleaned: "sub/../x" needs sub, as for execve.
		p := strings.TrimSuffix(dir, "/") + "/" + cmd
		return p, checkExecutable(cmd, p)
	}
	return lookPath(cmd, env)
}

func containsSlash(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return true
		}
	}
	return false
}
