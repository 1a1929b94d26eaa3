package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Module is the module path the drivers expect to be run from.
const Module = "github.com/hutch-sandbox/hutch"

// nobody is the unprivileged identity used when the driver runs as root.
const nobody = 65534

// Env is an unprivileged user's session for the benchmarks: a 0755
// directory for binaries, a home and a runtime directory the user owns.
type Env struct {
	RepoRoot   string // the module's root directory, where go build runs
	Base       string // temporary directory holding everything below
	BinDir     string // 0755, root-owned when run as root: binaries live here
	Home       string // owned by the user, 0700
	RuntimeDir string // owned by the user, 0700: XDG_RUNTIME_DIR
	scratch    string // the driver's own files (captured output), 0700
	// Cred is the identity the commands run as; nil means the driver's own
	// (it is not root).
	Cred     *syscall.Credential
	UserName string
	// Timeout bounds one command; it is killed and reported after it.
	Timeout time.Duration
	// Launcher, once BuildLauncher has run, starts every command and
	// reports its wall time and rusage (see launcher.go).
	Launcher       string
	LauncherStatic bool
}

// Setup finds the repository, makes the directories and, when running as
// root, hands the home and runtime directories to nobody.
func Setup() (*Env, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	base, err := os.MkdirTemp("", "hutch-bench-")
	if err != nil {
		return nil, err
	}
	e := &Env{
		RepoRoot:   root,
		Base:       base,
		BinDir:     filepath.Join(base, "bin"),
		Home:       filepath.Join(base, "home"),
		RuntimeDir: filepath.Join(base, "run"),
		scratch:    filepath.Join(base, "scratch"),
		Timeout:    time.Minute,
	}
	fail := func(err error) (*Env, error) {
		e.Close()
		return nil, err
	}
	// Everything on the way to a binary must be searchable by nobody; a
	// binary under root's 0700 home or MkdirTemp's 0700 directory is not
	// executable for it.
	if err := os.Chmod(base, 0o755); err != nil {
		return fail(err)
	}
	for _, d := range []struct {
		path  string
		mode  os.FileMode
		owned bool
	}{{e.BinDir, 0o755, false}, {e.Home, 0o700, true}, {e.RuntimeDir, 0o700, true}, {e.scratch, 0o700, false}} {
		if err := os.Mkdir(d.path, d.mode); err != nil {
			return fail(err)
		}
		// Mkdir is subject to the umask; the modes matter here.
		if err := os.Chmod(d.path, d.mode); err != nil {
			return fail(err)
		}
		if d.owned && os.Geteuid() == 0 {
			if err := os.Chown(d.path, nobody, nobody); err != nil {
				return fail(err)
			}
		}
	}
	if os.Geteuid() == 0 {
		e.Cred = &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
		e.UserName = "nobody"
	} else if u, err := user.Current(); err == nil {
		e.UserName = u.Username
	} else {
		e.UserName = strconv.Itoa(os.Getuid())
	}
	return e, nil
}

// Close removes the temporary directory.
func (e *Env) Close() {
	if e.Base != "" {
		os.RemoveAll(e.Base)
	}
}

// repoRoot is the directory of the go.mod of the hutch module, found
// from the working directory as the go command finds it.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module: run the benchmarks from the hutch repository")
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
			if f[1] != Module {
				return "", fmt.Errorf("%s is module %s, not %s: run the benchmarks from the hutch repository", gomod, f[1], Module)
			}
			return filepath.Dir(gomod), nil
		}
	}
	return "", fmt.Errorf("%s has no module line", gomod)
}

// Build runs "go build -o BinDir/name pkg" in the repository root with
// extra environment variables (such as CGO_ENABLED=0) and returns the
// binary's path.
func (e *Env) Build(name, pkg string, env ...string) (string, error) {
	out := filepath.Join(e.BinDir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = e.RepoRoot
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -o %s %s: %v\n%s", out, pkg, err, msg)
	}
	return out, os.Chmod(out, 0o755)
}

// Install copies a prebuilt binary into BinDir, where the unprivileged
// user can execute it.
func (e *Env) Install(name, src string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	dst := filepath.Join(e.BinDir, name)
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", err
	}
	return dst, out.Close()
}

// Hutch builds hutch from the repository, or installs the given prebuilt
// binary when path is not empty.
func (e *Env) Hutch(path string) (string, error) {
	if path != "" {
		return e.Install("hutch", path)
	}
	return e.Build("hutch", "./cmd/hutch")
}

// WriteFile writes a file into the driver's private scratch directory.
func (e *Env) WriteFile(name string, data []byte) (string, error) {
	p := filepath.Join(e.scratch, name)
	return p, os.WriteFile(p, data, 0o600)
}

// Environ is the environment the commands get: a minimal session of the
// unprivileged user.
func (e *Env) Environ() []string {
	return []string{
		"HOME=" + e.Home,
		"XDG_RUNTIME_DIR=" + e.RuntimeDir,
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		"USER=" + e.UserName,
		"LOGNAME=" + e.UserName,
	}
}

// Cmd is one command to measure.
type Cmd struct {
	Name string   // what the tables call it
	Args []string // Args[0] is an absolute path
	// ExtraFiles are passed from descriptor 3 on.
	ExtraFiles []*os.File
	// Env is added to the session's environment.
	Env []string
}

// String is the command line, for messages.
func (c Cmd) String() string { return strings.Join(c.Args, " ") }

// Result is one finished, successful run.
type Result struct {
	Wall      time.Duration // from just before fork to wait4's return
	MaxRSSKiB int64         // wait4's ru_maxrss: the largest process of the tree
	Stdout    []byte
	Stderr    []byte
}

// RunError is a command that did not exit 0.
type RunError struct {
	Cmd    Cmd
	Status string // "exit status 125", "signal: killed", ...
	Stdout []byte
	Stderr []byte
}

func (e *RunError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed: %s\n  command: %s\n", e.Cmd.Name, e.Status, e.Cmd)
	fmt.Fprintf(&b, "  stderr:\n%s", indent(e.Stderr))
	if len(bytes.TrimSpace(e.Stdout)) > 0 {
		fmt.Fprintf(&b, "  stdout:\n%s", indent(e.Stdout))
	}
	return b.String()
}

func indent(b []byte) string {
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return "    (empty)\n"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}

// Run starts the command as the unprivileged user with stdin from
// /dev/null and stdout and stderr captured in files (no pipes, so no
// goroutine of the driver competes with the command for a CPU), waits for
// it and returns its wall time and peak RSS (wait4's ru_maxrss). With a
// launcher, those are the launcher's figures for the command; without,
// the driver's own, whose ru_maxrss is at least the driver's RSS. A
// command that does not exit 0 is a *RunError carrying its output.
func (e *Env) Run(c Cmd) (Result, error) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return Result{}, err
	}
	defer devNull.Close()
	var stdout, stderr, rep *os.File
	for _, f := range []**os.File{&stdout, &stderr, &rep} {
		if *f, err = os.CreateTemp(e.scratch, "out-"); err != nil {
			return Result{}, err
		}
		defer os.Remove((*f).Name())
		defer (*f).Close()
	}

	files := []uintptr{devNull.Fd(), stdout.Fd(), stderr.Fd()}
	for _, f := range c.ExtraFiles {
		files = append(files, f.Fd())
	}
	argv := c.Args
	if e.Launcher != "" {
		argv = append([]string{e.Launcher, strconv.Itoa(len(files))}, c.Args...)
		files = append(files, rep.Fd())
	}
	attr := &syscall.ProcAttr{
		Dir:   "/",
		Env:   append(e.Environ(), c.Env...),
		Files: files,
		Sys: &syscall.SysProcAttr{
			Credential: e.Cred,
			Pdeathsig:  syscall.SIGKILL,
			// A group of its own, so that the timeout can kill the
			// launcher and the command it started.
			Setpgid: true,
		},
	}
	start := time.Now()
	pid, err := syscall.ForkExec(argv[0], argv, attr)
	if err != nil {
		return Result{}, fmt.Errorf("%s: starting %s: %w", c.Name, c, err)
	}
	// The timeout kills the group unless the child has been reaped: after
	// wait4 its pid may name another process.
	var mu sync.Mutex
	reaped, timedOut := false, false
	timer := time.AfterFunc(e.Timeout, func() {
		mu.Lock()
		defer mu.Unlock()
		if !reaped {
			timedOut = true
			syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		_, err = syscall.Wait4(pid, &ws, 0, &ru)
		if err != syscall.EINTR {
			break
		}
	}
	wall := time.Since(start)
	mu.Lock()
	reaped = true
	mu.Unlock()
	timer.Stop()
	runtime.KeepAlive(devNull)
	runtime.KeepAlive(c.ExtraFiles)
	if err != nil {
		return Result{}, fmt.Errorf("%s: wait4 for %s: %w", c.Name, c, err)
	}
	outData, _ := os.ReadFile(stdout.Name())
	errData, _ := os.ReadFile(stderr.Name())
	fail := func(ws syscall.WaitStatus, note string) error {
		status := fmt.Sprintf("exit status %d", ws.ExitStatus())
		if ws.Signaled() {
			status = "killed by signal " + ws.Signal().String()
		}
		if timedOut {
			status += fmt.Sprintf(" (after the %v timeout)", e.Timeout)
		}
		return &RunError{Cmd: c, Status: status + note, Stdout: outData, Stderr: errData}
	}
	if e.Launcher == "" {
		if !ws.Exited() || ws.ExitStatus() != 0 {
			return Result{}, fail(ws, "")
		}
		// ru_maxrss is in kilobytes on Linux. For the reaped child it is
		// the largest of the child and the descendants it reaped.
		return Result{Wall: wall, MaxRSSKiB: ru.Maxrss, Stdout: outData, Stderr: errData}, nil
	}
	repData, _ := os.ReadFile(rep.Name())
	r, perr := parseReport(repData)
	if perr != nil {
		// The launcher could not run the command, or was killed.
		return Result{}, fail(ws, " (from the launcher; it reported nothing)")
	}
	if !r.status.Exited() || r.status.ExitStatus() != 0 {
		return Result{}, fail(r.status, "")
	}
	return Result{Wall: r.wall, MaxRSSKiB: r.maxRSS, Stdout: outData, Stderr: errData}, nil
}

// Fatal prints the error and exits 1.
func Fatal(err error) {
	var re *RunError
	if errors.As(err, &re) {
		fmt.Fprint(os.Stderr, "bench: ", re.Error())
	} else {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
	os.Exit(1)
}

// Quantile returns the q-quantile (0 <= q <= 1) of xs by linear
// interpolation between the closest ranks; xs need not be sorted.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	lo := int(pos)
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	frac := pos - float64(lo)
	return s[lo] + frac*(s[lo+1]-s[lo])
}

// Median is Quantile(xs, 0.5).
func Median(xs []float64) float64 { return Quantile(xs, 0.5) }

// Machine describes where the figures were taken, for the tables'
// headers and the README: date, kernel, CPUs, Go and bubblewrap versions,
// and the user the commands ran as.
func (e *Env) Machine() string {
	kernel := "unknown"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	bwrap := "not installed"
	if out, err := exec.Command("bwrap", "--version").Output(); err == nil {
		bwrap = strings.TrimSpace(string(out))
	}
	who := e.UserName
	if e.Cred != nil {
		who = fmt.Sprintf("uid %d (nobody)", e.Cred.Uid)
	}
	return fmt.Sprintf("%s; Linux %s; %d CPUs (%s); %s; %s; run as %s",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), kernel, runtime.NumCPU(), cpu,
		runtime.Version(), bwrap, who)
}

// LookPath finds a host tool and returns its absolute path.
func LookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	return filepath.Abs(p)
}

// Main sets up the environment, runs body in it and exits through Fatal
// on any error, removing the environment either way: the common frame of
// the benchmark commands.
func Main(timeout time.Duration, body func(*Env) error) {
	env, err := Setup()
	if err != nil {
		Fatal(err)
	}
	env.Timeout = timeout
	if err := body(env); err != nil {
		env.Close()
		Fatal(err)
	}
	env.Close()
}
