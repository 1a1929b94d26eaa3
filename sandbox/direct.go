package sandbox

import (
	"os"
	"slices"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/idmap"
	"github.com/hutch-sandbox/hutch/sandbox/early"
)

// A direct start (see package early) runs hutch itself as the sandbox's
// init: the process is PID 1 of new namespaces (all but time) from its
// first instruction, with its ids mapped to the caller's, and a monitor
// outside relays signals and exit status. It builds the sandbox in place
// with the same code as an init started the usual way, minus the channel.

// directSignalChannel passes on the returned channel the signals a direct
// init relays, which a handler of package early catches from package init
// on. Call it once the app runs: until then they wait in the pipe.
func directSignalChannel() (chan os.Signal, error) {
	fd, err := early.RelayedSignalFD()
	if err != nil {
		return nil, errorf("%w", err)
	}
	ch := make(chan os.Signal, 16)
	go func() {
		buf := make([]byte, 16)
		for {
			n, err := unix.Read(fd, buf)
			if err == unix.EINTR {
				continue
			}
			if err != nil || n == 0 {
				return
			}
			for _, sig := range buf[:n] {
				ch <- unix.Signal(sig)
			}
		}
	}()
	return ch, nil
}

// ClaimDirectStart ends a direct child whose spec needs the usual start;
// hutch then starts again that way. It does nothing in any other process.
// Call it once the spec is resolved and before anything is written to
// stdout or stderr: a start that falls back must leave no trace.
func ClaimDirectStart(spec *Spec, opts Options) {
	if early.DirectChild() && !directServes(spec, opts) {
		early.FallBack()
	}
}

// directServes reports whether a direct child can run spec: an anonymous
// sandbox in the foreground whose namespaces are all new (the time
// namespace aside), that joins no other sandbox, runs as the caller's own
// ids and keeps only descriptors the child kept.
func directServes(spec *Spec, opts Options) bool {
	if spec.Name != "" || opts.Detach || opts.Status != nil || opts.joined {
		return false
	}
	if cloneFlags(spec) != early.DirectFlags {
		return false // a namespace the child has new is shared
	}
	for _, k := range ConfigurableKinds {
		if _, joined := spec.Namespaces[k].Joined(); joined {
			return false
		}
	}
	caller := CurrentCaller(false)
	if id := spec.Identity; id.Subordinate || id.UID != caller.UID || id.GID != caller.GID {
		return false
	}
	kept := early.KeptFDs()
	for _, fd := range spec.Process.KeepFDs {
		if !slices.Contains(kept, fd) {
			return false
		}
	}
	return true
}

// startDirect builds the sandbox in this process and starts its app; the
// returned Sandbox's Wait serves as its init.
func startDirect(spec *Spec, opts Options) (*Sandbox, error) {
	ClaimDirectStart(spec, opts)
	if err := spec.Validate(); err != nil {
		return nil, &Error{Code: ExitSetup, Err: err}
	}
	if err := checkHostPaths(spec, opts.Protected); err != nil {
		return nil, err
	}
	plan, err := idmap.NewPlan(spec.Identity, CurrentCaller(false), idmap.DefaultFiles)
	if err != nil {
		return nil, errorf("id map: %w", err)
	}
	filter, err := compileFilter(spec.Security.Seccomp)
	if err != nil {
		return nil, errorf("%w", err)
	}
	cfg := newInitConfig(spec, opts, plan, filter)
	// As in an init started the usual way: nothing the caller passed in
	// reaches the app unless asked for.
	unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	for _, fd := range early.KeptFDs() {
		if !slices.Contains(spec.Process.KeepFDs, fd) {
			unix.Close(fd)
		}
	}
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&initName[0])), 0, 0, 0)
	if spec.Process.NewSession {
		if _, err := unix.Setsid(); err != nil {
			return nil, errorf("new session: %w", err)
		}
	}
	if !spec.Process.DieWithParent {
		unix.Prctl(unix.PR_SET_PDEATHSIG, 0, 0, 0, 0)
	}
	// The caller's files are read; building the sandbox may need the
	// capabilities over them, as an init started the usual way has them.
	if err := early.RestoreFileOverride(); err != nil {
		return nil, errorf("%w", err)
	}
	limits, err := appLimits(spec.Process.Limits)
	if err != nil {
		return nil, err
	}
	in := &inside{cfg: cfg, spec: spec, appLimits: limits}
	path, err := in.setup()
	if err != nil {
		return nil, err
	}
	if spec.Process.AsPID1 {
		early.Started(spec.Process.NewSession, true)
		in.keepFDsOpen()
		err := early.Exec(path, spec.Process.Args, cfg.Env, limits)
		return nil, execFailed(spec.Process.Args[0], path, err)
	}
	app, err := early.Spawn(path, spec.Process.Args, cfg.Env, spec.Process.NewSession, in.appFDs(), limits)
	if err != nil {
		return nil, execFailed(spec.Process.Args[0], path, err)
	}
	sigs, err := directSignalChannel()
	if err != nil {
		unix.Kill(app, unix.SIGKILL)
		return nil, err
	}
	early.Started(spec.Process.NewSession, false)
	return &Sandbox{Spec: spec, InitPID: os.Getpid(), AppPID: app, sigs: sigs, direct: in}, nil
}

// endDirect ends a direct sandbox whose app exited with code: it kills and
// reaps every process left in it, as the kernel would when this process,
// its PID 1, exits, and then hands the monitor the code. Tearing down the
// init's memory and the namespaces is then the kernel's business alone,
// off the caller's clock.
func endDirect(code int) {
	unix.Kill(-1, unix.SIGKILL)
	for {
		_, err := unix.Wait4(-1, nil, 0, nil)
		if err != nil && err != unix.EINTR {
			break
		}
	}
	early.Exited(code)
}
