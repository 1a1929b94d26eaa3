package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/sandbox/early"
)

// RunInit is the sandbox's init: it runs in the re-executed hutch binary,
// inside the new namespaces, as PID 1 of the new pid namespace. It never
// returns. cmd/hutch must call it before doing anything else, on the main
// thread (the time namespace is per thread and the app is forked from it).
func RunInit(args []string) {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "hutch: the sandbox init is started by hutch run, not by hand")
		os.Exit(ExitSetup)
	}
	fd, err := strconv.Atoi(args[0])
	if err != nil || fd < 3 {
		fmt.Fprintln(os.Stderr, "hutch: bad init channel")
		os.Exit(ExitSetup)
	}
	os.Exit(runInit(fd))
}

func runInit(fd int) int {
	// Nothing the host passed in survives into the app unless asked for:
	// every inherited descriptor becomes close-on-exec; the kept ones are
	// passed on explicitly when the app starts.
	unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	// Exec'd through /proc/self/exe the init would be called "exe" in ps.
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&initName[0])), 0, 0, 0)
	ch := newChannel(os.NewFile(uintptr(fd), "hutch-sync"))

	signals := catchInitSignals()

	var cfg initConfig
	passed, err := ch.recv(&cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hutch: init: read spec: %v\n", err)
		return ExitSetup
	}
	if len(passed) > 0 {
		closeAll(passed)
		in := &inside{cfg: &cfg, ch: ch}
		return in.fail(errorf("init: unexpected descriptors with the spec"))
	}
	in := &inside{cfg: &cfg, spec: cfg.Spec, ch: ch}
	path, err := in.setup()
	if err != nil {
		return in.fail(err)
	}
	// Once they are caught: catching one the caller ignored would undo
	// the ignoring.
	sigs := signals.caught()
	ignoreCallerIgnored(cfg.IgnoredSignals)
	if in.spec.Process.AsPID1 {
		return in.execAsPID1(path)
	}
	app, err := in.startApp(path)
	if err != nil {
		return in.fail(err)
	}
	if in.cfg.ControlFD >= 0 {
		// The processes hutch exec starts are not the caller's of hutch
		// run: they get the signals it ignored at their default again.
		catchAgain(sigs, cfg.IgnoredSignals)
	}
	if err := ch.send(initMessage{Type: msgStarted, PID: app, Namespaces: in.namespaces}); err != nil {
		unix.Kill(app, unix.SIGKILL)
	}
	ch.f.Close()
	code := in.loop(app, sigs)
	if !in.spec.NewShares(NSPID) {
		// The kernel ends the rest of a sandbox with the init of its pid
		// namespace; in the host's, nothing would.
		endUserNamespace()
	}
	in.recordExit(code)
	return code
}

// endUserNamespace kills every other process of the init's user namespace,
// the whole sandbox when it shares the host's pid namespace, and reaps
// those that were its children, orphans included: the init is their
// subreaper.
func endUserNamespace() {
	if ns, err := os.Open("/proc/self/ns/user"); err == nil {
		sweepNamespace(ns, os.Getpid())
		ns.Close()
	}
	for {
		if _, err := unix.Wait4(-1, nil, 0, nil); err != nil && err != unix.EINTR {
			return
		}
	}
}

var initName = []byte("hutch-init\x00")

// ignoreCallerIgnored ignores, in an init started the usual way, the
// relayed signals hutch's caller ignored: it has nothing to relay to an
// app that ignores them, and the app, which keeps ignored signals across
// its exec, starts with them ignored as it would without hutch. (A direct
// init does the same in package early.)
func ignoreCallerIgnored(sigs []unix.Signal) {
	for _, sig := range sigs {
		// A SIGCONT must still reach the app, which it resumes even
		// ignored: it stays caught, and the app gets it at its default.
		if sig != unix.SIGCONT {
			signal.Ignore(sig)
		}
	}
}

// catchAgain catches, on ch, signals ignored so far.
func catchAgain(ch chan os.Signal, sigs []unix.Signal) {
	for _, sig := range sigs {
		signal.Notify(ch, sig)
	}
}

// relayedInitSignals are those an init relays to its app.
var relayedInitSignals = relayedSignals

// initSignals are caught by an init started the usual way: SIGCHLD to
// reap, the rest to relay.
var initSignals = append([]os.Signal{unix.SIGCHLD}, relayedInitSignals...)

// inside is the init's working state.
type inside struct {
	cfg        *initConfig
	spec       *Spec
	ch         *channel
	namespaces map[Kind]uint64 // reported when the host asks
	// appLimits, set by a direct init, are the limits its spawn gives the
	// app; nil when the init takes them itself.
	appLimits []early.Limit
}

// fail reports a setup error to the host and returns the exit code.
func (in *inside) fail(err error) int {
	code := ExitSetup
	var e *Error
	if errors.As(err, &e) {
		code = e.Code
	}
	if sendErr := in.ch.send(initMessage{Type: msgError, Code: code, Error: err.Error()}); sendErr != nil {
		fmt.Fprintf(os.Stderr, "hutch: %v\n", err)
	}
	return code
}

// setup builds everything the app will see and then takes away what it
// must not have, in the order the kernel allows. It returns the resolved
// path of the command.
func (in *inside) setup() (string, error) {
	spec := in.spec
	if spec.NewShares(NSTime) {
		if err := enterTimeNamespace(spec); err != nil {
			return "", err
		}
	}
	if in.cfg.ReportNamespaces {
		ids, err := namespaceIDs("self")
		if err != nil {
			return "", errorf("%w", err)
		}
		in.namespaces = ids
	}
	if !spec.Security.Seccomp.NestedUserns {
		// Defence in depth behind the seccomp rule: this user namespace may
		// have no children, whatever system call creates them.
		if err := writeUsernsLimit(0); err != nil {
			return "", errorf("disable nested user namespaces: %w", err)
		}
	}
	if spec.NewShares(NSMount) {
		if err := buildRoot(in.cfg); err != nil {
			return "", err
		}
	}
	if spec.NewShares(NSUTS) {
		if spec.Hostname != "" {
			if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
				return "", errorf("set hostname %q: %w", spec.Hostname, err)
			}
		}
		if spec.Domainname != "" {
			if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
				return "", errorf("set domainname %q: %w", spec.Domainname, err)
			}
		}
	}
	if spec.NewShares(NSNet) {
		if err := loopbackUp(); err != nil {
			return "", err
		}
	}
	if err := in.chdir(); err != nil {
		return "", err
	}
	// Reap orphans even when the pid namespace is shared with the host.
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	if err := in.restrict(); err != nil {
		return "", err
	}
	// A direct init sets the limits in the app's child alone (see
	// early.Spawn); one started the usual way, which forks through Go,
	// takes them itself, after Landlock, whose rules need descriptors.
	if in.appLimits == nil {
		if err := setRlimits(spec.Process.Limits); err != nil {
			return "", err
		}
	}
	// Looked up last, with the app's own credentials, so the answer is the
	// one the exec will give.
	return lookPath(spec.Process.Args[0], in.cfg.Env)
}

// restrict takes away what the app must not have. Order matters: ids
// change while CAP_SETUID remains, capabilities go next, no_new_privs last.
func (in *inside) restrict() error {
	if err := switchIdentity(in.cfg); err != nil {
		return err
	}
	if err := dropCapabilities(in.spec.Security.Capabilities); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return errorf("set no_new_privs: %w", err)
	}
	// A non-dumpable init cannot be ptraced or have its memory read by
	// anything in the sandbox, even with the same uid.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return errorf("set non-dumpable: %w", err)
	}
	if err := enforceLandlock(in.spec); err != nil {
		return err
	}
	// Last: the filter also binds the init, and every call above may be
	// one it denies.
	if err := in.cfg.Seccomp.Install(); err != nil {
		return errorf("%w", err)
	}
	return nil
}

// chdir enters the app's working directory: the one asked for, or the
// caller's own when the sandbox shows it, or /.
func (in *inside) chdir() error {
	if cwd := in.spec.Process.Cwd; cwd != "" {
		if err := unix.Chdir(cwd); err != nil {
			return errorf("chdir %s: %w", cwd, err)
		}
		return nil
	}
	if c := in.cfg.CallerCwd; c != "" && unix.Chdir(c) == nil {
		return nil
	}
	if err := unix.Chdir("/"); err != nil {
		return errorf("chdir /: %w", err)
	}
	return nil
}

// appFiles maps the app's descriptors: stdio and the kept fds under their
// own numbers; every other slot is closed.
func (in *inside) appFiles() []uintptr {
	files := []uintptr{0, 1, 2}
	for _, fd := range in.spec.Process.KeepFDs {
		for len(files) <= fd {
			files = append(files, ^uintptr(0))
		}
		files[fd] = uintptr(fd)
	}
	return files
}

// appFDs are the descriptors the app keeps: stdio and the kept fds.
func (in *inside) appFDs() []int {
	return append([]int{0, 1, 2}, in.spec.Process.KeepFDs...)
}

// keepFDsOpen clears close-on-exec on the kept descriptors, for an exec
// that replaces this process by the app.
func (in *inside) keepFDsOpen() {
	for _, fd := range in.spec.Process.KeepFDs {
		unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0)
	}
}

// startApp forks the app from the main thread, so it enters the time
// namespace, in a process group of its own inside the init's session.
func (in *inside) startApp(path string) (int, error) {
	attr := &syscall.ProcAttr{
		Env:   in.cfg.Env,
		Files: in.appFiles(),
		Sys: &syscall.SysProcAttr{
			Setpgid:   in.spec.Process.NewSession,
			Pdeathsig: syscall.SIGKILL,
		},
	}
	pid, err := syscall.ForkExec(path, in.spec.Process.Args, attr)
	if err != nil {
		return 0, execFailed(in.spec.Process.Args[0], path, err)
	}
	return pid, nil
}

// execAsPID1 replaces the init by the app.
func (in *inside) execAsPID1(path string) int {
	if err := in.ch.send(initMessage{Type: msgExec, Namespaces: in.namespaces}); err != nil {
		return ExitSetup
	}
	return in.fail(in.execApp(path))
}

// execApp replaces this process by the app, with the kept descriptors
// open across the exec; it returns only the error of a failed exec.
func (in *inside) execApp(path string) error {
	in.keepFDsOpen()
	err := unix.Exec(path, in.spec.Process.Args, in.cfg.Env)
	return execFailed(in.spec.Process.Args[0], path, err)
}

// loop is the init's life after the app started: it relays signals to
// the app, reaps every orphan the pid namespace hands to its init, and
// serves exec requests of a named sandbox. It returns the app's exit code.
// It runs on the main thread, where every fork must happen.
func (in *inside) loop(app int, sigs chan os.Signal) int {
	if in.cfg.ControlFD < 0 {
		return in.reapUntil(app, sigs)
	}
	var requests chan *session
	events := make(chan sessionEvent, 16)
	sessions := map[int]*session{}
	if in.cfg.ControlFD >= 0 {
		requests = make(chan *session)
		go serveControl(in.cfg.ControlFD, in.spec.NewShares(NSPID), requests)
	}
	for {
		select {
		case sig := <-sigs:
			if sig != unix.SIGCHLD {
				in.relay(app, sig)
				continue
			}
			for {
				var ws unix.WaitStatus
				pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
				if err == unix.EINTR {
					continue
				}
				if pid <= 0 || err != nil {
					break
				}
				if pid == app {
					return exitCode(syscall.WaitStatus(ws))
				}
				if s := sessions[pid]; s != nil {
					s.finish(exitCode(syscall.WaitStatus(ws)))
					delete(sessions, pid)
				}
			}
		case s := <-requests:
			if err := s.start(); err != nil {
				s.fail(err)
				continue
			}
			sessions[s.pid] = s
			go s.relay(events)
		case ev := <-events:
			if sessions[ev.s.pid] != ev.s {
				continue // finished meanwhile; the pid may be someone else's now
			}
			if ev.signal == 0 {
				// The client is gone: its process goes too, as with a
				// hung-up terminal, but unconditionally.
				unix.Kill(-ev.s.pid, unix.SIGKILL)
				continue
			}
			unix.Kill(jobTarget(ev.s.pid, ev.signal), ev.signal)
		}
	}
}

// reapUntil is the loop of an init that serves no exec requests: it
// waits for children in the kernel rather than for SIGCHLD, which reaches
// this goroutine through the runtime's signal thread and a channel, two
// thread wake-ups of some 0.1 ms each on the development VM between the
// app's exit and hutch's. Signals are relayed beside it.
func (in *inside) reapUntil(app int, sigs chan os.Signal) int {
	go func() {
		for sig := range sigs {
			if sig != unix.SIGCHLD {
				in.relay(app, sig)
			}
		}
	}()
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if pid == app {
			return exitCode(syscall.WaitStatus(ws))
		}
		if err != nil && err != unix.EINTR {
			return ExitSetup // no children left, the app among them: cannot happen
		}
	}
}

// relay passes a signal the init received on to the app, except, when
// the app shares the caller's session, those the terminal sends its
// foreground process group: the app is in that group and has its own
// copy, and a second one from the init would make one Ctrl-C two.
// hutch outside does not relay those either, so in a shared session the
// init only ever gets them from the terminal. Unlike hutch, the init
// does not stop itself on SIGTSTP: nothing waits on it to.
func (in *inside) relay(app int, sig os.Signal) {
	if !in.spec.Process.NewSession {
		if !slices.Contains(terminalSignals, sig) {
			unix.Kill(app, sig.(unix.Signal))
		}
		return
	}
	unix.Kill(jobTarget(app, sig), sig.(unix.Signal))
}

// jobTarget is where a relayed signal goes: the process pid, or for the
// job-control signals its whole process group, as a terminal stops and
// continues a job, children included. pid leads a group of its own: an
// app with a session of its own, an exec'd process.
func jobTarget(pid int, sig os.Signal) int {
	switch sig {
	case unix.SIGTSTP, unix.SIGSTOP, unix.SIGCONT:
		return -pid
	}
	return pid
}

// recordExit leaves the app's exit status where hutch ps finds it, and
// on a detached sandbox's status descriptor.
func (in *inside) recordExit(code int) {
	if in.cfg.ExitFD >= 0 {
		unix.Write(in.cfg.ExitFD, []byte(strconv.Itoa(code)+"\n"))
	}
	if in.cfg.StatusFD >= 0 {
		unix.Write(in.cfg.StatusFD, []byte(`{"exit_code":`+strconv.Itoa(code)+"}\n"))
	}
}

// execError classifies a failed exec by the shell's convention.
// execFailed is execError for an exec of the resolved path that failed:
// ENOENT for a file that is there means what it runs it with is not, the
// interpreter its #! line names or its ELF loader, which a sandbox that
// binds only part of the host makes common.
func execFailed(cmd, path string, err error) *Error {
	var st unix.Stat_t
	if errors.Is(err, unix.ENOENT) && unix.Stat(path, &st) == nil {
		return &Error{Code: ExitNotFound, Err: fmt.Errorf("%s: cannot execute: required file not found (the interpreter its #! line names, or its ELF loader, is not in the sandbox)", cmd)}
	}
	return execError(cmd, err)
}

func execError(cmd string, err error) *Error {
	switch {
	case errors.Is(err, unix.ENOENT):
		return &Error{Code: ExitNotFound, Err: fmt.Errorf("%s: command not found", cmd)}
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.ENAMETOOLONG):
		// The path leads to no file, as a shell says with 127.
		return &Error{Code: ExitNotFound, Err: fmt.Errorf("%s: not found: %w", cmd, err)}
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.ENOEXEC), errors.Is(err, unix.EISDIR), errors.Is(err, unix.EPERM),
		errors.Is(err, unix.ETXTBSY), errors.Is(err, unix.E2BIG), errors.Is(err, unix.ELIBBAD), errors.Is(err, unix.ENOMEM):
		return &Error{Code: ExitCannotExec, Err: fmt.Errorf("%s: cannot execute: %w", cmd, err)}
	}
	return &Error{Code: ExitSetup, Err: fmt.Errorf("exec %s: %w", cmd, err)}
}

// lookPath finds cmd as a shell would, in the sandbox's view and with the
// app's PATH.
func lookPath(cmd string, env []string) (string, error) {
	if strings.Contains(cmd, "/") {
		return cmd, checkExecutable(cmd, cmd)
	}
	pathVar := "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathVar = v
		}
	}
	var denied error
	for _, dir := range filepath.SplitList(pathVar) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, cmd)
		err := checkExecutable(cmd, p)
		if err == nil {
			return p, nil
		}
		var e *Error
		if errors.As(err, &e) && e.Code == ExitCannotExec && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", denied
	}
	return "", &Error{Code: ExitNotFound, Err: fmt.Errorf("%s: command not found", cmd)}
}

func checkExecutable(cmd, p string) error {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return execError(cmd, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return execError(cmd, unix.EISDIR)
	}
	if err := unix.Access(p, unix.X_OK); err != nil {
		return execError(cmd, err)
	}
	return nil
}
