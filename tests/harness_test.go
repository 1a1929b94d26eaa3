package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The end-to-end tests build the real hutch binary and run it as an
// unprivileged user: uid 65534 (nobody) when the tests run as root, the
// current user otherwise. Everything is checked from inside the sandbox.

var (
	binDir   string // 0755 directory holding hutch and probe
	hutchBin string
	probeBin string
	// probe32Bin is the probe built for i386, where the kernel runs it.
	probe32Bin string
	// runAs is the unprivileged identity the tests run hutch as; nil means
	// the tests already run unprivileged.
	runAs *syscall.Credential
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "hutch-e2e-bin-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	// A binary under a 0700 home is not executable by nobody.
	if err := os.Chmod(dir, 0o755); err != nil {
		return 0, err
	}
	binDir = dir
	hutchBin = filepath.Join(dir, "hutch")
	probeBin = filepath.Join(dir, "probe")
	probe32Bin = filepath.Join(dir, "probe32")
	if out, err := exec.Command("go", "build", "-o", hutchBin, "../cmd/hutch").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build hutch: %v\n%s", err, out)
	}
	probe := exec.Command("go", "build", "-o", probeBin, "./probe")
	probe.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := probe.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build probe: %v\n%s", err, out)
	}
	// The same probe for i386: Go's 386 port enters the kernel through int
	// 0x80, the compat entry point a filter must cover as well.
	probe32 := exec.Command("go", "build", "-o", probe32Bin, "./probe")
	probe32.Env = append(os.Environ(), "CGO_ENABLED=0", "GOARCH=386")
	if out, err := probe32.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build probe for i386: %v\n%s", err, out)
	}
	if os.Geteuid() == 0 {
		runAs = &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}
	}
	return m.Run(), nil
}

// caller is an unprivileged user's session: a home, a runtime dir and a
// working directory of its own.
type caller struct {
	t          *testing.T
	base       string
	home       string
	runtimeDir string
	work       string
	extraEnv   []string
}

// newCaller prepares directories owned by the unprivileged user.
func newCaller(t *testing.T) *caller {
	t.Helper()
	base, err := os.MkdirTemp("", "hutch-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	c := &caller{t: t, base: base, home: filepath.Join(base, "home"), runtimeDir: filepath.Join(base, "run"), work: filepath.Join(base, "work")}
	os.Chmod(base, 0o755)
	for _, d := range []string{c.home, c.runtimeDir, c.work} {
		mode := os.FileMode(0o755)
		if d == c.runtimeDir {
			mode = 0o700
		}
		if err := os.Mkdir(d, mode); err != nil {
			t.Fatal(err)
		}
		c.own(d)
	}
	return c
}

// hutchUID is the uid the tests run hutch as.
func hutchUID() int {
	if runAs != nil {
		return int(runAs.Uid)
	}
	return os.Getuid()
}

// own hands a path to the unprivileged user.
func (c *caller) own(p string) {
	c.t.Helper()
	if runAs == nil {
		return
	}
	if err := os.Lchown(p, int(runAs.Uid), int(runAs.Gid)); err != nil {
		c.t.Fatal(err)
	}
}

// writeFile creates a file owned by the caller.
func (c *caller) writeFile(p, content string, mode os.FileMode) {
	c.t.Helper()
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		c.t.Fatal(err)
	}
	c.own(p)
}

func (c *caller) environ() []string {
	env := []string{
		"HOME=" + c.home,
		"XDG_RUNTIME_DIR=" + c.runtimeDir,
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		"USER=tester",
	}
	return append(env, c.extraEnv...)
}

// command makes an exec.Cmd of hutch running as the unprivileged user.
func (c *caller) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, hutchBin, args...)
	cmd.Dir = c.work
	cmd.Env = c.environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: runAs}
	return cmd
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs "hutch run args..." and waits, failing the test after a minute.
func (c *caller) run(args ...string) result {
	c.t.Helper()
	return c.hutchWith(nil, append([]string{"run"}, args...)...)
}

// runWith is run with a chance to adjust the command first.
func (c *caller) runWith(prepare func(*exec.Cmd), args ...string) result {
	c.t.Helper()
	return c.hutchWith(prepare, append([]string{"run"}, args...)...)
}

// hutch runs any hutch subcommand.
func (c *caller) hutch(args ...string) result {
	c.t.Helper()
	return c.hutchWith(nil, args...)
}

func (c *caller) hutchWith(prepare func(*exec.Cmd), args ...string) result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := c.command(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if prepare != nil {
		prepare(cmd)
	}
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errOut.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		r.code = exitErr.ExitCode()
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			c.t.Fatalf("hutch %v was killed by %v\n%s", args, ws.Signal(), r)
		}
	default:
		c.t.Fatalf("hutch %v: %v", args, err)
	}
	return r
}

// leakingFDs returns a preparation that hands hutch five descriptors it
// did not ask for, fds 3 to 7, each open on a host directory, the way a
// careless caller leaks them.
func (c *caller) leakingFDs() func(*exec.Cmd) {
	c.t.Helper()
	leaks := make([]*os.File, 5)
	for i := range leaks {
		f, err := os.Open(c.work)
		if err != nil {
			c.t.Fatal(err)
		}
		c.t.Cleanup(func() { f.Close() })
		leaks[i] = f
	}
	return func(cmd *exec.Cmd) { cmd.ExtraFiles = leaks }
}

// mustRun runs hutch and requires exit status 0.
func (c *caller) mustRun(args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("hutch %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// probe returns args that bind the probe binary into the sandbox and run
// it with the given check.
func probe(args ...string) []string {
	return append([]string{"--ro-bind", probeBin, "/probe", "--", "/probe"}, args...)
}

// lines splits output into trimmed non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// fields parses "key value" lines into a map.
func fields(s string) map[string]string {
	m := map[string]string{}
	for _, l := range lines(s) {
		k, v, _ := strings.Cut(l, " ")
		m[k] = strings.TrimSpace(v)
	}
	return m
}

// hostNamespaces returns the test process's own namespace inodes, which
// are the host's: the unprivileged user shares them.
func hostNamespaces(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, kind := range []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"} {
		link, err := os.Readlink("/proc/self/ns/" + kind)
		if err != nil {
			t.Fatal(err)
		}
		m[kind] = strings.TrimSuffix(strings.SplitN(link, "[", 2)[1], "]")
	}
	return m
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
