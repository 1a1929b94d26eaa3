package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/idmap"
	"github.com/hutch-sandbox/hutch/sandbox/early"
	"github.com/hutch-sandbox/hutch/seccomp"
)

// InitArg is the argument that makes the hutch binary act as a sandbox's
// init; cmd/hutch checks for it before anything else.
const InitArg = "__hutch_init"

// Options are the host-side choices of one launch that are not part of the
// sandbox's description.
type Options struct {
	Stdin, Stdout, Stderr *os.File
	// Environ is the caller's environment that the spec's policy filters.
	Environ []string
	// Cwd is the caller's working directory.
	Cwd string
	// Caller identifies the user; zero means the current process's ids.
	Caller *idmap.Caller
	// Protected host files stay read-only inside (the binary, profiles).
	Protected []string
	// Detach leaves a named sandbox running after hutch exits, with its
	// output in the state directory's log.
	Detach bool
	// Status, when set, receives JSON lines: one when the app has started
	// (pids and namespace ids), one with the exit code.
	Status *os.File
	// joined is set in the launcher re-executed inside a joined sandbox's
	// namespaces (see join.go), with the signals hutch's caller ignored.
	joined         bool
	ignoredSignals []unix.Signal
}

// Sandbox is a started sandbox, seen from the host.
type Sandbox struct {
	Spec       *Spec
	InitPID    int             // the init's pid on the host
	AppPID     int             // the app's pid inside the sandbox's pid namespace
	Namespaces map[Kind]uint64 // the sandbox's namespace ids
	Dir        string          // the state directory of a named sandbox

	ch       *channel
	sigs     chan os.Signal // caught since Start, relayed by Wait
	status   *os.File
	detached bool
	// proxy is set when InitPID is the launcher re-executed inside a
	// joined sandbox's namespaces, which reports on its own.
	proxy bool
	// direct is set when this process is the sandbox's init (see
	// direct.go); Wait then serves as the init.
	direct *inside
}

// Start builds the sandbox and starts its app. It returns only after the
// app has been started (or exec'd as PID 1), so every error of setup is an
// error of Start; nothing is left running or recorded when it fails.
func Start(spec *Spec, opts Options) (*Sandbox, error) {
	if early.DirectChild() {
		return startDirect(spec, opts)
	}
	if err := spec.Validate(); err != nil {
		return nil, &Error{Code: ExitSetup, Err: err}
	}
	if opts.Detach && spec.Name == "" {
		return nil, errorf("a detached sandbox needs a name (--name)")
	}
	if err := checkHostPaths(spec, opts.Protected); err != nil {
		return nil, err
	}
	if !opts.joined {
		target, kinds, err := joinTarget(spec)
		if err != nil {
			return nil, &Error{Code: ExitSetup, Err: err}
		}
		if target != nil {
			return startJoined(spec, opts, target, kinds)
		}
	}
	// Caught from here on, so one that arrives while the sandbox starts is
	// relayed to the app instead of killing hutch and, with it, the
	// sandbox; the catching overlaps with the work up to the init's start.
	signals := catchRelayed()
	caller := opts.Caller
	if caller == nil {
		c := CurrentCaller(spec.Identity.Subordinate)
		caller = &c
	}
	plan, err := idmap.NewPlan(spec.Identity, *caller, idmap.DefaultFiles)
	if err != nil {
		signal.Stop(signals.caught())
		return nil, errorf("id map: %w", err)
	}
	// Compiled on the host, where libseccomp is: the init only loads the
	// finished program.
	filter, err := compileFilter(spec.Security.Seccomp)
	if err != nil {
		signal.Stop(signals.caught())
		return nil, errorf("%w", err)
	}
	l := &launch{spec: spec, opts: opts, filter: filter, signals: signals}
	defer l.closeFiles()
	s, err := l.start(plan)
	if err != nil {
		if l.dir != "" {
			os.RemoveAll(l.dir)
		}
		return nil, err
	}
	return s, nil
}

// launch holds what one Start opens, so every failure releases it.
type launch struct {
	spec   *Spec
	opts   Options
	dir    string // state directory of a named sandbox
	filter *seccomp.Program
	files  []*os.File // opened for the init; closed once it has them
	// signals are the relayed signals, caught since Start began.
	signals *signalCatch
}

func (l *launch) closeFiles() {
	for _, f := range l.files {
		f.Close()
	}
}

func (l *launch) open(path string, flags int) (*os.File, error) {
	f, err := os.OpenFile(path, flags|os.O_CREATE, 0o600)
	if err != nil {
		return nil, errorf("%w", err)
	}
	l.files = append(l.files, f)
	return f, nil
}

// newInitConfig is what an init needs besides its descriptors, however
// it was started.
func newInitConfig(spec *Spec, opts Options, plan idmap.Plan, filter *seccomp.Program) *initConfig {
	return &initConfig{
		Spec:      spec,
		Env:       spec.Process.Env.Apply(opts.Environ),
		CallerCwd: opts.Cwd,
		Plan:      plan,
		Seccomp:   filter,
		Protected: opts.Protected,
		// Every sandbox's control socket lives there; none may reach one.
		Hidden:    StateRoots(),
		ControlFD: -1,
		ExitFD:    -1,
		StatusFD:  -1,
		// Named sandboxes record them; the status fd reports them.
		ReportNamespaces: spec.Name != "" || opts.Status != nil,
		IgnoredSignals:   callerIgnoredSignals(opts),
	}
}

// callerIgnoredSignals are the relayed signals hutch's caller ignored.
func callerIgnoredSignals(opts Options) []unix.Signal {
	if opts.joined {
		return opts.ignoredSignals
	}
	return early.CallerIgnoredSignals()
}

func (l *launch) start(plan idmap.Plan) (*Sandbox, error) {
	spec, opts := l.spec, l.opts
	cfg := newInitConfig(spec, opts, plan, l.filter)
	stdio := []*os.File{opts.Stdin, opts.Stdout, opts.Stderr}
	var extra []*os.File
	if spec.Name != "" {
		dir, err := reserve(spec.Name)
		if err != nil {
			return nil, &Error{Code: ExitSetup, Err: err}
		}
		l.dir = dir
		control, err := listenControl(dir)
		if err != nil {
			return nil, errorf("%w", err)
		}
		l.files = append(l.files, control)
		exit, err := l.open(filepath.Join(dir, exitFile), os.O_WRONLY|os.O_TRUNC)
		if err != nil {
			return nil, err
		}
		extra = append(extra, control, exit)
		if opts.Detach {
			null, err := l.open(os.DevNull, os.O_RDONLY)
			if err != nil {
				return nil, err
			}
			log, err := l.open(filepath.Join(dir, logFile), os.O_WRONLY|os.O_APPEND)
			if err != nil {
				return nil, err
			}
			stdio = []*os.File{null, log, log}
			if opts.Status != nil {
				extra = append(extra, opts.Status)
			}
		}
	}

	sigs := l.signals.caught()
	setsid := spec.Process.NewSession || opts.Detach // a detached sandbox leaves the caller's session
	dieWithParent := spec.Process.DieWithParent && !opts.Detach
	pid, parentEnd, err := l.startInit(cfg, stdio, extra, setsid, dieWithParent)
	if err != nil {
		signal.Stop(sigs)
		return nil, err
	}
	s := &Sandbox{Spec: spec, InitPID: pid, Dir: l.dir, ch: newChannel(parentEnd), sigs: sigs, status: opts.Status, detached: opts.Detach}

	if err := idmap.Write(pid, plan); err != nil {
		s.abort()
		if errors.Is(err, unix.EPERM) {
			return nil, errorf("write id maps: %w: %s", err, usernsHint())
		}
		return nil, errorf("write id maps: %w", err)
	}
	if err := s.ch.send(cfg); err != nil {
		s.abort()
		return nil, errorf("send spec to init: %w", err)
	}
	// The init has its copies now; without ours, the channel reads
	// end-of-file should the init die.
	l.closeFiles()
	l.files = nil
	if err := s.awaitStart(); err != nil {
		return nil, err
	}
	if err := s.started(); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

// startInit starts the init the usual way: hutch re-executed through
// /proc/self/exe, born into the spec's namespaces.
func (l *launch) startInit(cfg *initConfig, stdio, extra []*os.File, setsid, dieWithParent bool) (int, *os.File, error) {
	spec, opts := l.spec, l.opts
	parentEnd, childEnd, err := socketPair()
	if err != nil {
		return 0, nil, errorf("%w", err)
	}
	l.files = append(l.files, childEnd)
	files, fds := initFiles(stdio, spec.Process.KeepFDs, append([]*os.File{childEnd}, extra...))
	if len(extra) > 0 {
		cfg.ControlFD, cfg.ExitFD = fds[1], fds[2]
	}
	if len(extra) > 2 {
		cfg.StatusFD = fds[3]
	}
	// syscall rather than os: os.StartProcess probes pidfd support with an
	// extra fork on first use, a cost on every start.
	attr := &syscall.ProcAttr{
		Env:   []string{}, // the init holds no secrets of the caller
		Files: files,
		Sys: &syscall.SysProcAttr{
			Cloneflags: cloneFlags(spec),
			// The init runs with every capability of its new user namespace
			// even before its uid is mapped: the maps are written after the
			// exec, which lets newuidmap map ranges the same way as a single id.
			AmbientCaps: allCaps(),
			Setsid:      setsid,
		},
	}
	if dieWithParent {
		attr.Sys.Pdeathsig = syscall.SIGKILL
	}
	pid, err := startInitProcess(attr, fds[0], opts.joined)
	if err != nil {
		parentEnd.Close()
		var e *Error
		if errors.As(err, &e) {
			return 0, nil, err
		}
		if opts.joined && errors.Is(err, unix.ENOSPC) {
			// The host's limit is not the one hit: the sandbox joined, or
			// one it joined in turn, allows no user namespace inside.
			return 0, nil, errorf("create namespaces: %w: the sandbox joined, or one whose namespaces it joined, allows no user namespaces inside (security.nested_userns)", err)
		}
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EUSERS) {
			return 0, nil, errorf("create namespaces: %w: %s", err, usernsHint())
		}
		return 0, nil, errorf("start sandbox init: %w", err)
	}
	return pid, parentEnd, nil
}

// joinedUsernsLimit is the limit on user namespaces a launcher inside a
// joined sandbox sets for the moment it makes its own: above the number
// that may still exist below the joined one, every other sandbox that
// joined it among them, those still being torn down too (the kernel frees
// a user namespace after its last process has gone).
const joinedUsernsLimit = 1 << 20

// startInitProcess re-executes hutch as a sandbox's init in new
// namespaces. Inside a joined sandbox, whose init forbade new user
// namespaces inside its own (max_user_namespaces 0), the launcher lifts
// the limit for the moment of the clone: it holds CAP_SYS_RESOURCE there,
// and no app in that namespace can use the moment, since their seccomp
// filters deny CLONE_NEWUSER (the limit is only 0 where the filter is on).
// Two launchers joining at once may put the limit back under each other's
// clone, hence the retries.
func startInitProcess(attr *syscall.ProcAttr, channelFD int, joined bool) (int, error) {
	args := []string{"hutch", InitArg, strconv.Itoa(channelFD)}
	for attempt := 0; ; attempt++ {
		lifted := false
		if joined {
			if n, err := readUsernsLimit(); err == nil && n == 0 {
				if err := writeUsernsLimit(joinedUsernsLimit); err != nil {
					return 0, errorf("allow a user namespace in the joined sandbox: %w", err)
				}
				lifted = true
			}
		}
		pid, _, err := syscall.StartProcess("/proc/self/exe", args, attr)
		if lifted {
			writeUsernsLimit(0)
		}
		if err == nil || !joined || !errors.Is(err, unix.ENOSPC) || attempt == 4 {
			return pid, err
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
}

// started records a started sandbox: its state for a named one, its
// first status line when asked for.
func (s *Sandbox) started() error {
	if s.Dir == "" && s.status == nil {
		return nil
	}
	ids := s.Namespaces
	if s.Dir != "" {
		start, _, err := processStart(s.InitPID)
		if err != nil {
			return errorf("read the init's start time: %w", err)
		}
		st := &State{
			Name: s.Spec.Name, InitPID: s.InitPID, InitStart: start, AppPID: s.AppPID,
			Started: time.Now(), Namespaces: ids, Detached: s.detached, Spec: s.Spec,
		}
		if err := writeState(s.Dir, st); err != nil {
			return errorf("%w", err)
		}
	}
	s.writeStatus(map[string]any{"init_pid": s.InitPID, "app_pid": s.AppPID, "namespaces": ids})
	if s.detached {
		signal.Stop(s.sigs)
		s.ch.f.Close()
	}
	return nil
}

func (s *Sandbox) writeStatus(v any) {
	if s.status == nil {
		return
	}
	line, _ := json.Marshal(v)
	s.status.Write(append(line, '\n'))
}

// awaitStart reads the init's reports until the app runs.
func (s *Sandbox) awaitStart() error {
	for {
		var m initMessage
		_, err := s.ch.recv(&m)
		if err != nil {
			status := s.abort()
			if errors.Is(err, io.EOF) {
				return errorf("sandbox init exited during setup (%s)", status)
			}
			return errorf("sandbox init: %w", err)
		}
		switch m.Type {
		case msgStarted:
			s.AppPID = m.PID
			s.Namespaces = m.Namespaces
			return nil
		case msgExec:
			s.Namespaces = m.Namespaces
			// The init execs the app as PID 1; the channel closes on exec,
			// or an error report follows if the exec failed.
			var after initMessage
			if _, err := s.ch.recv(&after); errors.Is(err, io.EOF) {
				s.AppPID = 1
				return nil
			}
			if after.Type == msgError {
				s.abort()
				return &Error{Code: after.Code, Err: errors.New(after.Error)}
			}
			s.abort()
			return errorf("sandbox init: unexpected %q after exec", after.Type)
		case msgError:
			s.abort()
			code := m.Code
			if code == 0 {
				code = ExitSetup
			}
			return &Error{Code: code, Err: errors.New(m.Error)}
		default:
			s.abort()
			return errorf("sandbox init sent unknown message %q", m.Type)
		}
	}
}

// abort kills the init (and with it the sandbox's pid namespace) and reaps
// it, returning how it ended.
func (s *Sandbox) abort() string {
	signal.Stop(s.sigs)
	unix.Kill(s.InitPID, unix.SIGKILL)
	ws, err := s.wait()
	if s.ch != nil {
		s.ch.f.Close()
	}
	if err != nil {
		return err.Error()
	}
	if ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return "exit status " + strconv.Itoa(ws.ExitStatus())
}

func (s *Sandbox) wait() (syscall.WaitStatus, error) {
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(s.InitPID, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		return ws, err
	}
}

// relayedSignals are those hutch catches and passes on to the init, which
// passes them on to the app (see relaySignal).
var relayedSignals = append([]os.Signal{unix.SIGTERM, unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM, unix.SIGCONT}, terminalSignals...)

// terminalSignals are those a terminal sends to its foreground process
// group from the keyboard or on a resize.
var terminalSignals = []os.Signal{unix.SIGINT, unix.SIGQUIT, unix.SIGWINCH, unix.SIGTSTP}

// relaySignal passes a signal hutch caught on to pid, the init or the
// launcher that stands for it. With a shared session the terminal sends
// its signals to the whole foreground process group, the app included, so
// those are not passed on a second time. SIGTSTP also stops hutch itself,
// as the shell expects of its foreground job; the shell's SIGCONT is
// relayed like any other signal and starts the app again.
func relaySignal(pid int, sig os.Signal, newSession, asPID1 bool) {
	if newSession || !slices.Contains(terminalSignals, sig) {
		s := sig.(unix.Signal)
		if asPID1 && newSession && (s == unix.SIGTSTP || s == unix.SIGCONT) {
			// The kernel drops a SIGTSTP for PID 1 that PID 1 does not
			// handle; SIGSTOP it cannot refuse. Both go to the app's
			// group, its job, which as PID 1 it leads.
			if s == unix.SIGTSTP {
				s = unix.SIGSTOP
			}
			pid = -pid
		}
		unix.Kill(pid, s)
	}
	if sig == unix.SIGTSTP {
		unix.Kill(os.Getpid(), unix.SIGSTOP)
	}
}

// signalCatch is a set of signals being caught in the background.
// Enabling each one costs a round trip to the Go runtime's signal thread,
// about 0.2 ms apiece on the development machine, which the work done
// meanwhile hides.
type signalCatch struct {
	ch   chan os.Signal
	done chan struct{}
}

func catchInBackground(ch chan os.Signal, catch func(chan os.Signal)) *signalCatch {
	c := &signalCatch{ch: ch, done: make(chan struct{})}
	go func() {
		catch(ch)
		close(c.done)
	}()
	return c
}

// caught waits until every signal of the set is caught and returns the
// channel they arrive on.
func (c *signalCatch) caught() chan os.Signal {
	<-c.done
	return c.ch
}

// catchRelayed starts catching the signals hutch relays.
func catchRelayed() *signalCatch {
	return catchInBackground(make(chan os.Signal, 16), func(ch chan os.Signal) {
		signal.Notify(ch, relayedSignals...)
	})
}

// catchInitSignals starts catching the signals of an init: as PID 1 it
// receives only those it handles, SIGCHLD to reap and the rest to relay.
// They must be caught before the app exists.
func catchInitSignals() *signalCatch {
	return catchInBackground(make(chan os.Signal, 64), func(ch chan os.Signal) {
		signal.Notify(ch, initSignals...)
	})
}

// Wait relays signals to the sandbox until its init exits and returns the
// exit code hutch should leave with: the app's status, or 128+N. The
// signals stay caught, and are dropped, until the caller exits, which
// hutch does at once: undoing the handlers would cost a round trip to the
// Go runtime's signal thread per signal, about a millisecond and a half
// of every run here.
func (s *Sandbox) Wait() (int, error) {
	sigs := s.sigs
	if s.direct != nil {
		code := s.direct.loop(s.AppPID, sigs)
		endDirect(code)
		return code, nil
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case sig := <-sigs:
				relaySignal(s.InitPID, sig, s.Spec.Process.NewSession, s.Spec.Process.AsPID1)
			case <-done:
				return
			}
		}
	}()
	// The init is this process's child: until it is reaped its pid is
	// its own, and its start time still readable.
	initStart, _, startErr := processStart(s.InitPID)
	early.ReapFallenBack()
	ws, err := s.wait()
	early.ReapFallenBack()
	if s.proxy {
		// The launcher printed its own errors and exits with the app's
		// code or hutch's.
		return exitCode(ws), err
	}
	s.ch.f.Close()
	if s.Dir != "" && startErr == nil {
		// Only this sandbox's state: once its init has ended, the name
		// may already be another's.
		removeState(s.Dir, func(now *Record) bool {
			return now.InitPID == s.InitPID && now.InitStart == initStart
		})
	}
	if err != nil {
		return ExitSetup, errorf("wait for sandbox: %w", err)
	}
	code := exitCode(ws)
	s.writeStatus(map[string]any{"exit_code": code})
	return code, nil
}

func exitCode(ws syscall.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return exitSignalShift + int(ws.Signal())
	}
	return ExitSetup
}

// initFiles lays out the init's descriptors: stdio, the kept fds under
// their own numbers, then the extra files on the first free numbers,
// which it returns.
func initFiles(stdio []*os.File, keep []int, extra []*os.File) ([]uintptr, []int) {
	files := []uintptr{orStd(stdio[0], 0), orStd(stdio[1], 1), orStd(stdio[2], 2)}
	for _, fd := range keep {
		for len(files) <= fd {
			files = append(files, ^uintptr(0))
		}
		files[fd] = uintptr(fd)
	}
	var at []int
	for _, f := range extra {
		at = append(at, len(files))
		files = append(files, f.Fd())
	}
	return files, at
}

func orStd(f *os.File, std uintptr) uintptr {
	if f != nil {
		return f.Fd()
	}
	return std
}

// cloneFlags are the namespaces the init is born into. The time namespace
// is not among them: its offsets can only be set before a process enters
// it, so the init unshares it for its children.
func cloneFlags(spec *Spec) uintptr {
	flags := uintptr(unix.CLONE_NEWUSER)
	for kind, flag := range map[Kind]uintptr{
		NSMount: unix.CLONE_NEWNS, NSPID: unix.CLONE_NEWPID, NSNet: unix.CLONE_NEWNET,
		NSIPC: unix.CLONE_NEWIPC, NSUTS: unix.CLONE_NEWUTS, NSCgroup: unix.CLONE_NEWCGROUP,
	} {
		if spec.NewShares(kind) {
			flags |= flag
		}
	}
	return flags
}

func allCaps() []uintptr {
	last, err := capability.LastCap()
	if err != nil {
		last = capability.CAP_CHECKPOINT_RESTORE
	}
	caps := make([]uintptr, 0, last+1)
	for c := capability.Cap(0); c <= last; c++ {
		caps = append(caps, uintptr(c))
	}
	return caps
}

// CurrentCaller describes the user running hutch. The login name costs a
// passwd lookup and only subordinate ranges need it.
func CurrentCaller(withName bool) idmap.Caller {
	c := idmap.Caller{UID: uint32(os.Geteuid()), GID: uint32(os.Getegid())}
	if withName {
		c.Name = userName(c.UID)
	}
	return c
}

// checkHostPaths reports missing bind sources and roots before anything
// starts, naming the path; the init checks again where it matters.
//
// It also refuses a bind whose source lies in one of hutch's state roots,
// which hiding cannot cover (it hides a state root where a bind of it or
// of a directory above it shows it, not a part of it bound alone), and a
// writable bind of something inside a protected directory (a profile in
// the user's profile directory). Paths are compared with their symbolic
// links resolved.
func checkHostPaths(spec *Spec, protected []string) error {
	if spec.Root != "" {
		st, err := os.Stat(spec.Root)
		if err != nil {
			return errorf("root %s: %w", spec.Root, unwrapPath(err))
		}
		if !st.IsDir() {
			return errorf("root %s: not a directory", spec.Root)
		}
	}
	for _, m := range spec.Mounts {
		if !m.IsBind() || m.Optional {
			continue
		}
		if _, err := os.Stat(m.Source); err != nil {
			return errorf("%s source %s: %w", m.Type, m.Source, unwrapPath(err))
		}
	}
	return checkBindSources(spec, protected)
}

// checkBindSources is checkHostPaths' refusal of binds into hutch's state
// and, writable, into protected directories.
func checkBindSources(spec *Spec, protected []string) error {
	var within []string // resolved; the state roots, then protected directories
	for _, r := range StateRoots() {
		if resolved, err := filepath.EvalSymlinks(r); err == nil {
			within = append(within, resolved)
		}
	}
	states := len(within)
	for _, p := range protected {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			if resolved, err := filepath.EvalSymlinks(p); err == nil {
				within = append(within, resolved)
			}
		}
	}
	if len(within) == 0 {
		return nil
	}
	sources := []Mount{}
	for _, m := range spec.Mounts {
		if m.IsBind() {
			sources = append(sources, m)
		}
	}
	if spec.Root != "" {
		sources = append(sources, Mount{Type: Bind, Source: spec.Root, Target: "/"})
		if !spec.RootWritable {
			sources[len(sources)-1].Type = ROBind
		}
	}
	for _, m := range sources {
		source, err := filepath.EvalSymlinks(m.Source)
		if err != nil {
			continue // missing: optional, or refused above
		}
		for i, dir := range within {
			if source != dir && !strings.HasPrefix(source, dir+"/") {
				continue
			}
			if i < states {
				return errorf("%s source %s lies in hutch's state directory %s, which no sandbox may see", m.Type, m.Source, dir)
			}
			if m.Type != ROBind {
				return errorf("%s source %s lies in %s, which sandboxes may only read: bind it read-only (ro-bind)", m.Type, m.Source, dir)
			}
		}
	}
	return nil
}

// unwrapPath drops the *PathError wrapper whose text repeats the path.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
