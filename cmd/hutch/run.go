package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/profiles"
	"github.com/hutch-sandbox/hutch/sandbox"
	"github.com/hutch-sandbox/hutch/sandbox/early"
)

// runFlags collects what the run options say; the layer holds the options
// that describe the sandbox, in the order given, on top of the profiles.
type runFlags struct {
	profiles []string
	layer    profiles.Profile
	clearEnv bool
	keepFDs  []int
	name     string
	detach   bool
	statusFD int
	// profileDirs are where profiles were looked up, and where a run
	// without XDG_CONFIG_HOME looks, for protectedPaths.
	profileDirs []string

	// loadVars gives the variables that paths on the command line expand,
	// as profiles' do (profiles.VarsFromEnv); vars caches them.
	loadVars func() (profiles.Vars, error)
	vars     profiles.Vars
}

func init() { register(newRunCommand(&runFlags{statusFD: -1, loadVars: profiles.VarsFromEnv})) }

// newRunCommand makes the run command, whose options fill f. Each option
// checks its value as it is parsed, with the rules a profile's value
// passes, so that a mistake is named by its option.
func newRunCommand(f *runFlags) *command {
	mount := func(t sandbox.MountType, optional bool) func([]string) error {
		return func(v []string) error {
			m := sandbox.Mount{Type: t, Optional: optional}
			var err error
			if len(v) == 2 {
				if m.Source, err = f.hostPath(v[0]); err != nil {
					return f.dropOptional(optional, "source", v[0], err)
				}
			}
			if m.Target, err = f.mountTarget(t, v[len(v)-1]); err != nil {
				return f.dropOptional(optional, "target", v[len(v)-1], err)
			}
			f.layer.AddMount(m)
			return nil
		}
	}
	share := func(kind sandbox.Kind, s sandbox.Share) option {
		name := string(kind)
		if kind == sandbox.NSMount {
			name = "mount"
		}
		verb := map[sandbox.Share]string{sandbox.New: "unshare", sandbox.Host: "share"}[s]
		help := "give the sandbox its own " + name + " namespace"
		if s == sandbox.Host {
			help = "stay in the host's " + name + " namespace"
		}
		return flag([]string{"--" + verb + "-" + name}, help, func() { f.layer.SetNamespace(kind, s) })
	}
	joinWith := func(kind sandbox.Kind) option {
		return value([]string{"--share-" + string(kind) + "-with"}, []string{"NAME"}, "join the "+string(kind)+" namespace of the running sandbox NAME",
			func(v []string) error {
				if err := sandbox.ValidName(v[0]); err != nil {
					return err
				}
				f.layer.SetNamespace(kind, sandbox.JoinSandbox(v[0]))
				return nil
			})
	}
	opts := []option{
		value([]string{"--profile", "-p"}, []string{"NAME|FILE"}, "use a profile (repeatable; later ones layer on earlier ones; default: default)",
			func(v []string) error {
				if err := profiles.CheckProfileArg(v[0]); err != nil {
					return err
				}
				f.profiles = append(f.profiles, v[0])
				return nil
			}),
		value([]string{"--bind"}, []string{"SRC", "DST"}, "bind the host path SRC at DST, read-write", mount(sandbox.Bind, false)),
		value([]string{"--bind-try"}, []string{"SRC", "DST"}, "like --bind, skipped when SRC does not exist", mount(sandbox.Bind, true)),
		value([]string{"--ro-bind"}, []string{"SRC", "DST"}, "bind SRC at DST read-only, submounts included", mount(sandbox.ROBind, false)),
		value([]string{"--ro-bind-try"}, []string{"SRC", "DST"}, "like --ro-bind, skipped when SRC does not exist", mount(sandbox.ROBind, true)),
		value([]string{"--dev-bind"}, []string{"SRC", "DST"}, "bind SRC at DST with device nodes usable", mount(sandbox.DevBind, false)),
		value([]string{"--dev-bind-try"}, []string{"SRC", "DST"}, "like --dev-bind, skipped when SRC does not exist", mount(sandbox.DevBind, true)),
		value([]string{"--tmpfs"}, []string{"DST"}, "mount an empty tmpfs at DST", mount(sandbox.Tmpfs, false)),
		value([]string{"--dir"}, []string{"DST"}, "create the directory DST", mount(sandbox.Dir, false)),
		value([]string{"--symlink"}, []string{"TARGET", "DST"}, "create DST as a symbolic link to TARGET", func(v []string) error {
			text, err := f.expand(v[0])
			if err != nil {
				return fmt.Errorf("link text %q: %w", v[0], err)
			}
			if err := profiles.CheckSymlinkText(text); err != nil {
				return err
			}
			dst, err := f.mountTarget(sandbox.Symlink, v[1])
			if err != nil {
				return pathErr("target", v[1], err)
			}
			f.layer.AddMount(sandbox.Mount{Type: sandbox.Symlink, Source: text, Target: dst})
			return nil
		}),
		value([]string{"--hostname"}, []string{"NAME"}, "set the sandbox's hostname", func(v []string) error {
			if v[0] == "" {
				// A new uts namespace starts with the host's name.
				return errors.New("an empty name would leave the host's name in the sandbox; give one, or --share-uts")
			}
			if err := profiles.CheckHostname(v[0]); err != nil {
				return err
			}
			f.layer.SetHostname(v[0])
			return nil
		}),
	}
	for _, kind := range sandbox.ConfigurableKinds {
		opts = append(opts, share(kind, sandbox.Host), share(kind, sandbox.New))
	}
	opts = append(opts,
		joinWith(sandbox.NSNet), joinWith(sandbox.NSIPC), joinWith(sandbox.NSUTS),
		value([]string{"--uid"}, []string{"UID"}, "run the app as UID inside (default: your own)", func(v []string) error {
			n, err := parseID(v[0])
			f.layer.SetUID(n)
			return err
		}),
		value([]string{"--gid"}, []string{"GID"}, "run the app as GID inside (default: your own)", func(v []string) error {
			n, err := parseID(v[0])
			f.layer.SetGID(n)
			return err
		}),
		value([]string{"--setenv"}, []string{"VAR", "VALUE"}, "set an environment variable", func(v []string) error {
			if err := profiles.CheckEnvName(v[0]); err != nil {
				return err
			}
			f.layer.SetEnv(v[0], v[1])
			return nil
		}),
		value([]string{"--unsetenv"}, []string{"VAR"}, "remove an environment variable (or those a pattern like LC_* matches)", func(v []string) error {
			if err := profiles.CheckEnvPattern(v[0]); err != nil {
				return err
			}
			f.layer.UnsetEnv(v[0])
			return nil
		}),
		value([]string{"--keepenv"}, []string{"VAR"}, "keep a variable (or pattern like LC_*) of yours", func(v []string) error {
			if err := profiles.CheckEnvPattern(v[0]); err != nil {
				return err
			}
			f.layer.KeepEnv(v[0])
			return nil
		}),
		flag([]string{"--clearenv"}, "start from an empty environment: only variables set by profiles or --setenv, and --keepenv ones, remain", func() { f.clearEnv = true }),
		value([]string{"--chdir"}, []string{"DIR"}, "the app's working directory (default: yours when visible, else /)", func(v []string) error {
			dir, err := f.expand(v[0])
			if err == nil {
				dir, err = profiles.CleanPath(dir)
			}
			if err != nil {
				return pathErr("", v[0], err)
			}
			f.layer.SetCwd(dir)
			return nil
		}),
		flag([]string{"--as-pid-1"}, "exec the app as the sandbox's PID 1 instead of under hutch's init", func() { f.layer.Process.AsPID1 = new(true) }),
		flag([]string{"--share-session"}, "keep the app in your terminal's session (interactive programs)", func() { f.layer.Process.NewSession = new(false) }),
		flag([]string{"--new-session"}, "put the app in a session of its own, without a terminal", func() { f.layer.Process.NewSession = new(true) }),
		flag([]string{"--no-die-with-parent"}, "let the sandbox outlive hutch", func() { f.layer.Process.DieWithParent = new(false) }),
		value([]string{"--keep-fd"}, []string{"FD"}, "pass your descriptor FD to the app under the same number", func(v []string) error {
			fd, err := strconv.Atoi(v[0])
			if err != nil || fd < 3 {
				return fmt.Errorf("%q is not a descriptor number above 2", v[0])
			}
			if err := inheritedFD(fd); err != nil {
				return err
			}
			f.keepFDs = append(f.keepFDs, fd)
			return nil
		}),
		value([]string{"--monotonic-offset"}, []string{"DURATION"}, "shift CLOCK_MONOTONIC inside (e.g. 10d, -1h30m)", func(v []string) error {
			d, err := profiles.ParseDuration(v[0])
			f.layer.SetMonotonicOffset(d)
			return err
		}),
		value([]string{"--boottime-offset"}, []string{"DURATION"}, "shift CLOCK_BOOTTIME (and /proc/uptime) inside (e.g. 10d)", func(v []string) error {
			d, err := profiles.ParseDuration(v[0])
			f.layer.SetBoottimeOffset(d)
			return err
		}),
		value([]string{"--rootfs"}, []string{"DIR"}, "use the host folder DIR as the sandbox's / (read-only)", func(v []string) error {
			dir, err := f.hostPath(v[0])
			if err != nil {
				return pathErr("", v[0], err)
			}
			f.layer.Root = new(dir)
			return nil
		}),
		flag([]string{"--rootfs-writable"}, "make the --rootfs folder writable", func() { f.layer.RootWritable = new(true) }),
		value([]string{"--cap-add"}, []string{"CAP"}, "keep a capability (e.g. CAP_NET_BIND_SERVICE)", func(v []string) error {
			c, err := profiles.CheckCapability(v[0])
			if err != nil {
				return err
			}
			f.layer.AddCapability(c)
			return nil
		}),
		value([]string{"--seccomp"}, []string{"default|none"}, "the system call filter", func(v []string) error {
			if err := profiles.CheckSeccompProfile(v[0]); err != nil {
				return err
			}
			f.layer.Seccomp.Profile = new(v[0])
			return nil
		}),
		value([]string{"--name", "-n"}, []string{"NAME"}, "name the sandbox, so exec, ps, inspect and stop can find it", func(v []string) error {
			f.name = v[0]
			return sandbox.ValidName(v[0])
		}),
		flag([]string{"--detach", "-d"}, "start a named sandbox in the background and print its name", func() { f.detach = true }),
		value([]string{"--json-status-fd"}, []string{"FD"}, "write JSON status lines to FD: pids and namespace ids, then the exit code", func(v []string) error {
			fd, err := strconv.Atoi(v[0])
			if err != nil || fd < 0 {
				return fmt.Errorf("%q is not a descriptor number", v[0])
			}
			if err := inheritedFD(fd); err != nil {
				return err
			}
			f.statusFD = fd
			return nil
		}),
	)
	c := &command{
		name:    "run",
		usage:   "[OPTIONS] [--] [CMD [ARGS...]]",
		summary: "run a command in a new sandbox",
		details: `Options layer over the profiles in the order given. With no profile, the
embedded 'default' profile applies: every namespace new, the system
directories read-only, a private /tmp and home, no network, no capabilities.
With no command, the profile's process.command runs. Options end at '--' or
at the first word that is not an option.

Paths given to options expand ${HOME}, ${UID}, ${PWD} and the other
variables of profiles ($$ is a literal $); host paths may be relative to
the current directory, paths inside the sandbox must be absolute.

Exit status: the app's own, 128+N if a signal N killed it, 125 if hutch
failed, 126 if the command cannot be executed, 127 if it was not found.`,
		options: opts,
	}
	c.run = func(args []string) int {
		rest, code, ok := parseOrExit(c, args)
		if !ok {
			return code
		}
		return f.run(rest)
	}
	return c
}

// getVars loads the variables once.
func (f *runFlags) getVars() (profiles.Vars, error) {
	if f.vars == nil {
		v, err := f.loadVars()
		if err != nil {
			return nil, err
		}
		f.vars = v
	}
	return f.vars, nil
}

// expand expands the variables in a value given on the command line.
func (f *runFlags) expand(s string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	v, err := f.getVars()
	if err != nil {
		return "", err
	}
	return v.Expand(s)
}

// hostPath expands a host path and makes it absolute and clean: a
// relative one from the current directory, as bubblewrap takes it; an
// absolute one must have no "..", as in profiles.
func (f *runFlags) hostPath(p string) (string, error) {
	p, err := f.expand(p)
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", fmt.Errorf("empty path")
	}
	if !filepath.IsAbs(p) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("%q: %w", p, err)
		}
		return abs, nil
	}
	return profiles.CleanPath(p)
}

// mountTarget expands and checks a path inside the sandbox, and cleans
// it: a trailing slash is dropped.
func (f *runFlags) mountTarget(t sandbox.MountType, p string) (string, error) {
	p, err := f.expand(p)
	if err != nil {
		return "", err
	}
	return profiles.CleanMountTarget(t, p)
}

// dropOptional skips a -try mount whose path names an unset variable, as
// a profile's optional mount is dropped, and words any other error.
func (f *runFlags) dropOptional(optional bool, what, given string, err error) error {
	if optional && errors.Is(err, profiles.ErrUnsetVar) {
		return nil
	}
	return pathErr(what, given, err)
}

// pathErr words a path's error for its option: "target "x" is not an
// absolute path", or "target "${NOPE}": unknown variable ..." when the
// error does not quote the path itself.
func pathErr(what, given string, err error) error {
	prefix := what
	if prefix != "" {
		prefix += " "
	}
	if strings.HasPrefix(err.Error(), `"`) {
		return fmt.Errorf("%s%w", prefix, err)
	}
	return fmt.Errorf("%s%q: %w", prefix, given, err)
}

// inheritedFD checks that hutch's caller passed the descriptor fd: it is
// open and not close-on-exec. Every descriptor hutch opens itself is
// close-on-exec, and none inherited through exec can be.
//
// A direct child (see package early) has already closed every descriptor
// its constructor did not read as kept from the command line, which it
// scans without knowing each option's arguments: a value like "--" or
// "-p" can mislead it. Such a child gives way to the usual start, whose
// descriptors are all still open.
func inheritedFD(fd int) error {
	if early.DirectChild() && !slices.Contains(early.KeptFDs(), fd) {
		early.FallBack()
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC != 0 {
		return fmt.Errorf("descriptor %d is not open", fd)
	}
	return nil
}

func (f *runFlags) run(args []string) int {
	spec, resolved, err := f.spec(args)
	if err != nil {
		return fail(err)
	}
	cwd, _ := os.Getwd()
	opts := sandbox.Options{
		Environ:   os.Environ(),
		Cwd:       cwd,
		Protected: protectedPaths(resolved, f.profileDirs),
		Detach:    f.detach,
	}
	if f.statusFD >= 0 {
		opts.Status = os.NewFile(uintptr(f.statusFD), "status")
	}
	// Before the first word of output: a start that falls back begins
	// again from the command line.
	sandbox.ClaimDirectStart(spec, opts)
	if spec.Security.Seccomp.Base == "none" {
		fmt.Fprintln(os.Stderr, "hutch: warning: the system call filter is off (seccomp none)")
	}
	s, err := sandbox.Start(spec, opts)
	if err != nil {
		return fail(err)
	}
	if f.detach {
		fmt.Println(spec.Name)
		return 0
	}
	code, err := s.Wait()
	if err != nil {
		return fail(err)
	}
	return code
}

// spec resolves the profiles and the flag layer into a sandbox spec.
func (f *runFlags) spec(args []string) (*sandbox.Spec, *profiles.Resolved, error) {
	if len(args) > 0 && args[0] == "" {
		return nil, nil, errors.New("run: the program name is empty")
	}
	vars, err := f.getVars()
	if err != nil {
		return nil, nil, err
	}
	loader := profiles.NewLoader(vars)
	f.profileDirs = loader.Dirs
	if home := vars["HOME"]; home != "" {
		// Where a run without XDG_CONFIG_HOME looks: a sandbox of a run
		// with another one must not plant profiles there either.
		if d := filepath.Join(home, ".config", "hutch", "profiles"); !slices.Contains(f.profileDirs, d) {
			f.profileDirs = append(slices.Clip(f.profileDirs), d)
		}
	}
	names := f.profiles
	if len(names) == 0 && f.layer.Root != nil {
		// A rootfs brings its own system: the default profile's host binds
		// would cover it, so --rootfs alone means the minimal rootfs profile.
		names = []string{"rootfs"}
	}
	resolved, err := loader.Resolve(names, &f.layer)
	if err != nil {
		return nil, nil, err
	}
	if f.layer.RootWritable != nil && resolved.Profile.Root == nil {
		return nil, nil, errors.New("run: --rootfs-writable: no --rootfs (nor a profile's root) to make writable")
	}
	if slices.Contains(resolved.Sources, "builtin:rootfs.toml") && resolved.Profile.Root == nil {
		// Its mounts are only the rootfs's own mount points: without a
		// root the app would find nothing on an empty tmpfs.
		return nil, nil, errors.New("run: the rootfs profile needs a rootfs folder: give --rootfs DIR (or root in a profile)")
	}
	// Before the spec's own checks, which refuse a bind of / after other
	// mounts without saying what running from / did.
	if err := checkBroadBinds(resolved.Profile.Mounts, f.layer.Mounts, vars["HOME"]); err != nil {
		return nil, nil, err
	}
	spec, err := resolved.Spec(args, sandbox.CurrentCaller(false))
	if err != nil {
		return nil, nil, err
	}
	if f.clearEnv {
		// The profiles' keep lists go; the command line's own --keepenv
		// stays, wherever it was given.
		spec.Process.Env.Clear = true
		spec.Process.Env.Keep = slices.Clone(f.layer.Env.Keep)
	}
	spec.Process.KeepFDs = f.keepFDs
	spec.Name = f.name
	return spec, resolved, nil
}

// checkBroadBinds refuses a profile's writable bind of / or of the home
// directory, which the untrusted and test profiles make of the current
// directory when hutch runs from there: the app would write the host's
// /tmp, see every process's /proc, or append to ~/.bashrc, and nothing
// would say so. The same bind given on the command line is the caller's
// explicit wish and passes.
//
// Paths are compared with their symbolic links resolved: the working
// directory may be a link to / or to the home, and the home itself a link.
// A directory above the home counts as the home.
func checkBroadBinds(mounts, fromCLI []sandbox.Mount, home string) error {
	homeResolved := false
	for _, m := range mounts {
		if m.Type != sandbox.Bind && m.Type != sandbox.DevBind {
			continue
		}
		if !homeResolved {
			// Only for a writable bind: the default profile has none,
			// and every start would pay for the walk.
			if resolved, err := filepath.EvalSymlinks(home); err == nil && home != "" {
				home = resolved
			}
			homeResolved = true
		}
		source, err := filepath.EvalSymlinks(m.Source)
		if err != nil {
			continue // a missing source fails the start on its own
		}
		coversHome := home != "" && (source == home || strings.HasPrefix(home, source+"/"))
		if source != "/" && !coversHome {
			continue
		}
		if slices.ContainsFunc(fromCLI, func(c sandbox.Mount) bool { return c.Source == m.Source && c.Target == m.Target }) {
			continue
		}
		what := "the whole host file system"
		if source != "/" {
			what = "your whole home, ~/.bashrc included"
		}
		return fmt.Errorf("run: the profile binds %s read-write at %s, which gives the sandbox %s; run it from a project directory, or bind that on the command line (--bind) if you mean it", m.Source, m.Target, what)
	}
	return nil
}

// protectedPaths are the host files a sandbox must never be able to
// change: hutch's binary, the profile files in use and the user's profile
// directory, where a planted NAME.toml would shadow a built-in in every
// later run. (The system's is root's.) The user's is made when missing:
// only a path that exists can be protected, and a sandbox given ~/.config
// could otherwise make it and plant one.
func protectedPaths(r *profiles.Resolved, profileDirs []string) []string {
	var paths []string
	if exe, err := os.Executable(); err == nil {
		paths = append(paths, exe)
	}
	for _, d := range profileDirs {
		if d != profiles.SystemDir {
			// A failure (a read-only home) leaves nothing to plant into.
			os.MkdirAll(d, 0o700)
			paths = append(paths, d)
		}
	}
	return append(paths, r.Files()...)
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 1<<32-1 {
		return 0, fmt.Errorf("%q is not a user or group id", s)
	}
	return uint32(n), nil
}

func ptr[T any](v T) *T { return &v }
