package tests

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// psEntry is the part of `hutch ps --json` the tests read.
type psEntry struct {
	Name       string           `json:"name"`
	InitPID    int              `json:"init_pid"`
	Status     string           `json:"status"`
	Namespaces map[string]int64 `json:"namespaces"`
	Dir        string           `json:"dir"`
}

// detach starts a named detached sandbox and registers its stop.
func (c *caller) detach(name string, args ...string) {
	c.t.Helper()
	r := c.run(append([]string{"--name", name, "--detach", "--"}, args...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != name {
		c.t.Fatalf("run --detach: %s", r)
	}
	c.t.Cleanup(func() { c.hutch("stop", "--timeout", "0", name) })
}

func (c *caller) detachWith(name string, flags []string, args ...string) {
	c.t.Helper()
	r := c.run(append(append([]string{"--name", name, "--detach"}, flags...), append([]string{"--"}, args...)...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != name {
		c.t.Fatalf("run --detach: %s", r)
	}
	c.t.Cleanup(func() { c.hutch("stop", "--timeout", "0", name) })
}

func (c *caller) ps() map[string]psEntry {
	c.t.Helper()
	r := c.hutch("ps", "--json")
	if r.code != 0 {
		c.t.Fatalf("ps --json: %s", r)
	}
	var list []psEntry
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		c.t.Fatalf("ps --json output: %v\n%s", err, r.stdout)
	}
	m := map[string]psEntry{}
	for _, e := range list {
		m[e.Name] = e
	}
	return m
}

func TestDetachedSandboxLifecycle(t *testing.T) {
	c := newCaller(t)
	marker := "1000." + strconv.Itoa(os.Getpid()) + "7"
	c.detach("web", "sh", "-c", "echo hello-from-the-app; exec sleep "+marker)
	sb, ok := c.ps()["web"]
	if !ok || sb.Status != "running" {
		t.Fatalf("ps does not list web as running: %+v", c.ps())
	}
	// The namespace ids hutch reports are the init's.
	for kind, id := range sb.Namespaces {
		link := kind
		if kind == "time" {
			link = "time_for_children"
		}
		target, err := os.Readlink("/proc/" + strconv.Itoa(sb.InitPID) + "/ns/" + link)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(target, "["+strconv.FormatInt(id, 10)+"]") {
			t.Errorf("%s: hutch says %d, /proc says %s", kind, id, target)
		}
	}
	r := c.hutch("inspect", "web")
	if r.code != 0 || !strings.Contains(r.stdout, strconv.FormatInt(sb.Namespaces["net"], 10)) || !strings.Contains(r.stdout, "/proc proc") {
		t.Errorf("inspect web: %s", r)
	}
	waitFor(t, "the app's output in the log", 5*time.Second, func() bool {
		return strings.Contains(c.hutch("logs", "web").stdout, "hello-from-the-app")
	})
	procs := c.hutch("ps", "web")
	if !strings.Contains(procs.stdout, "sleep "+marker) || !strings.Contains(procs.stdout, "hutch") {
		t.Errorf("ps web: %s", procs)
	}
	// The sandbox outlives the hutch that started it.
	if len(processesWith(marker)) != 1 {
		t.Fatalf("the detached app is not running")
	}
	if r := c.hutch("stop", "web"); r.code != 0 {
		t.Fatalf("stop: %s", r)
	}
	waitFor(t, "every sandbox process to end", 5*time.Second, func() bool { return len(processesWith(marker)) == 0 })
	if _, err := os.Stat(sb.Dir); !os.IsNotExist(err) {
		t.Errorf("stop left the state directory %s: %v", sb.Dir, err)
	}
	if _, listed := c.ps()["web"]; listed {
		t.Errorf("ps still lists web after stop")
	}
}

func TestExecJoinsTheSandbox(t *testing.T) {
	c := newCaller(t)
	c.detachWith("box", []string{"--hostname", "boxhost"}, "sleep", "1000")
	r := c.hutch("exec", "box", "--", "sh", "-c", "hostname; ps -eo args; cat /proc/self/mountinfo | wc -l; cat /proc/$(pgrep -x sleep)/mountinfo | wc -l")
	out := lines(r.stdout)
	if r.code != 0 || len(out) < 4 {
		t.Fatalf("exec: %s", r)
	}
	if out[0] != "boxhost" {
		t.Errorf("exec sees hostname %q, the sandbox's is boxhost", out[0])
	}
	if !strings.Contains(r.stdout, "sleep 1000") || !strings.Contains(r.stdout, "ps -eo args") {
		t.Errorf("exec does not share the app's pid namespace:\n%s", r.stdout)
	}
	if n := len(out); out[n-1] != out[n-2] {
		t.Errorf("exec's mounts (%s) differ from the app's (%s)", out[n-2], out[n-1])
	}
	// It shows in hutch ps NAME while it runs.
	started := make(chan result, 1)
	go func() { started <- c.hutch("exec", "box", "sleep", "2.5") }()
	waitFor(t, "the exec'd process in ps", 5*time.Second, func() bool {
		return strings.Contains(c.hutch("ps", "box").stdout, "sleep 2.5")
	})
	if r := <-started; r.code != 0 {
		t.Errorf("exec sleep: %s", r)
	}
}

func TestExecHasTheAppsRestrictions(t *testing.T) {
	c := newCaller(t)
	dir := filepath.Join(c.work, "ro")
	os.Mkdir(dir, 0o777)
	c.detachWith("locked", []string{"--ro-bind", dir, "/ro", "--ro-bind", probeBin, "/probe"}, "sleep", "1000")
	r := c.hutch("exec", "locked", "--", "sh", "-c", "touch /ro/x; cat /proc/self/status | grep -E '^(CapEff|CapBnd|NoNewPrivs)'")
	if !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("exec could write into a read-only bind: %s", r)
	}
	for _, want := range []string{"CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("exec'd process lacks %q:\n%s", want, r.stdout)
		}
	}
	r = c.hutch("exec", "locked", "/probe", "errno", "keyctl", "unshare-user", "getpid")
	if got, want := fields(r.stdout), map[string]string{"keyctl": "EPERM", "unshare-user": "EPERM", "getpid": "OK"}; !maps.Equal(got, want) {
		t.Errorf("system calls from an exec'd process: got %v, want %v (the app's filter)\n%s", got, want, r)
	}
	_, slave := openPTY(t)
	r = c.hutchWith(func(cmd *exec.Cmd) {
		cmd.Stdin = slave
		cmd.SysProcAttr.Setsid = true
		cmd.SysProcAttr.Setctty = true
	}, "exec", "locked", "/probe", "tiocsti")
	if strings.TrimSpace(r.stdout) != "EPERM" {
		t.Errorf("TIOCSTI from an exec'd process: %s", r)
	}
}

func TestExecPassesStdioAndStatus(t *testing.T) {
	c := newCaller(t)
	c.detach("io", "sleep", "1000")
	r := c.hutchWith(func(cmd *exec.Cmd) { cmd.Stdin = strings.NewReader("hello\n") },
		"exec", "io", "--", "sh", "-c", "read x; echo got $x; echo oops >&2; exit 5")
	if r.code != 5 || strings.TrimSpace(r.stdout) != "got hello" || strings.TrimSpace(r.stderr) != "oops" {
		t.Errorf("exec stdio and status: %s", r)
	}
	if r := c.hutch("exec", "io", "--", "no-such-command"); r.code != 127 {
		t.Errorf("exec of a missing command: %s", r)
	}
	if r := c.hutch("exec", "nosuchbox", "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "nosuchbox") {
		t.Errorf("exec into a missing sandbox: %s", r)
	}
}

// TestExecWorkingDirectoryAndEnv checks that an exec'd command starts
// where the app started, as runc exec starts in the container's working
// directory, unless --cwd says otherwise, and that --env takes only a
// variable's name before its "=".
// TestExecSignalsAreTheirOwn checks that the signals the caller of hutch
// run ignored stay ignored in its app, but not in what hutch exec starts
// later on behalf of someone else.
func TestExecSignalsAreTheirOwn(t *testing.T) {
	c := newCaller(t)
	r := c.runWith(ignoringSignals("HUP TERM"), "--name", "nohup", "--detach", "--", "sleep", "1000")
	if r.code != 0 {
		t.Fatalf("run --detach: %s", r)
	}
	t.Cleanup(func() { c.hutch("stop", "--timeout", "0", "nohup") })
	app := c.hutch("exec", "nohup", "--", "sh", "-c", "cat /proc/$(pgrep -x sleep)/status")
	if got := ignoredSignals(t, app.stdout); got&(1<<0|1<<14) != 1<<0|1<<14 {
		t.Errorf("the app of a caller ignoring SIGHUP and SIGTERM ignores %#x\n%s", got, app)
	}
	r = c.hutch("exec", "nohup", "--", "cat", "/proc/self/status")
	if got := ignoredSignals(t, r.stdout); got&(1<<0|1<<14) != 0 {
		t.Errorf("hutch exec's process ignores %#x, the caller of hutch run's signals\n%s", got, r)
	}
}

// ignoredSignals is the SigIgn mask of a /proc/PID/status.
func ignoredSignals(t *testing.T, status string) uint64 {
	t.Helper()
	for _, l := range lines(status) {
		if v, ok := strings.CutPrefix(l, "SigIgn:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err == nil {
				return n
			}
		}
	}
	t.Fatalf("no SigIgn in %q", status)
	return 0
}

func TestExecWorkingDirectoryAndEnv(t *testing.T) {
	c := newCaller(t)
	c.detachWith("wd", []string{"--chdir", "/usr/share"}, "sleep", "1000")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"exec", "wd", "--", "pwd"}, "/usr/share"},
		{[]string{"exec", "--cwd", "/etc", "wd", "--", "pwd"}, "/etc"},
		{[]string{"exec", "-e", "GREETING=hi there", "wd", "--", "sh", "-c", `echo "$GREETING"`}, "hi there"},
	} {
		if r := c.hutch(tc.args...); r.code != 0 || strings.TrimSpace(r.stdout) != tc.want {
			t.Errorf("%v: want %q:\n%s", tc.args, tc.want, r)
		}
	}
	for _, bad := range []string{"=x", "NOVALUE"} {
		r := c.hutch("exec", "-e", bad, "wd", "--", "true")
		if r.code != 125 || !strings.Contains(r.stderr, "-e") || !strings.Contains(r.stderr, bad) {
			t.Errorf("exec -e %q: want exit 125 naming the option and the value:\n%s", bad, r)
		}
	}
}

func TestNameClashFails(t *testing.T) {
	c := newCaller(t)
	c.detach("dup", "sleep", "1000")
	r := c.run("--name", "dup", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "already running") {
		t.Errorf("a second sandbox named dup: %s", r)
	}
	if e := c.ps()["dup"]; e.Status != "running" {
		t.Errorf("the clash disturbed the first sandbox: %+v", e)
	}
}

func TestStaleStateIsCleanedUp(t *testing.T) {
	c := newCaller(t)
	c.detach("doomed", "sleep", "1000")
	e := c.ps()["doomed"]
	if err := syscall.Kill(e.InitPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the init to go", 5*time.Second, func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(e.InitPID))
		return err != nil
	})
	if _, listed := c.ps()["doomed"]; listed {
		t.Errorf("ps lists a sandbox whose init was killed")
	}
	if _, err := os.Stat(e.Dir); !os.IsNotExist(err) {
		t.Errorf("ps left the stale state %s", e.Dir)
	}
	// The name is free again.
	c.mustRun("--name", "doomed", "--", "true")
}

func TestExitedDetachedSandboxKeepsItsLog(t *testing.T) {
	c := newCaller(t)
	c.detach("brief", "sh", "-c", "echo last words; exit 3")
	waitFor(t, "the app to exit", 5*time.Second, func() bool { return c.ps()["brief"].Status == "exited (3)" })
	if r := c.hutch("logs", "brief"); strings.TrimSpace(r.stdout) != "last words" {
		t.Errorf("logs of an exited sandbox: %s", r)
	}
	c.hutch("stop", "brief")
	if _, listed := c.ps()["brief"]; listed {
		t.Errorf("stop did not remove an exited sandbox")
	}
}

func TestShareNetWithAnotherSandbox(t *testing.T) {
	c := newCaller(t)
	c.detachWith("server", []string{"--ro-bind", probeBin, "/probe"}, "/probe", "serve", "127.0.0.1:8765", "pong")
	waitFor(t, "the server to listen", 5*time.Second, func() bool {
		return strings.Contains(c.hutch("logs", "server").stdout, "ready")
	})
	r := c.run(append([]string{"--share-net-with", "server"}, probe("dial", "127.0.0.1:8765")...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "pong" {
		t.Errorf("client sharing the server's net namespace: %s", r)
	}
	// Another client while the first still runs, and one straight after
	// the last, whose user namespace the kernel may not have freed yet:
	// each joining launcher makes a user namespace inside the server's,
	// where the server's init allowed none.
	first, _ := c.startHutch("--share-net-with", "server", "--", "sh", "-c", "echo ready; sleep 30")
	r = c.run(append([]string{"--share-net-with", "server"}, probe("dial", "127.0.0.1:8765")...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "pong" {
		t.Errorf("a second client sharing the server's net namespace: %s", r)
	}
	first.Process.Signal(syscall.SIGTERM)
	first.Wait()
	// The launcher re-executed inside the server's namespaces hands the
	// app the signals hutch's caller ignored, as every start does.
	r = c.runWith(ignoringSignals("HUP TERM TTOU"), "--share-net-with", "server", "--", "cat", "/proc/self/status")
	if r.code != 0 {
		t.Fatalf("a sandbox sharing the server's net namespace: %s", r)
	}
	want := signalState(t, withoutHutch(c, ignoringSignals("HUP TERM TTOU"), "cat", "/proc/self/status"))
	if got := signalState(t, r.stdout); got != want {
		t.Errorf("a joining sandbox's app has %s, without hutch %s\n%s", got, want, r)
	}
	// Without sharing, the server's loopback is out of reach.
	r = c.run(probe("dial", "127.0.0.1:8765")...)
	if r.code == 0 || !strings.Contains(r.stdout, "ECONNREFUSED") {
		t.Errorf("a client with its own net namespace reached the server: %s", r)
	}
}

// TestJoinErrorsNameTheCause checks joins that cannot work: each must
// say why in terms of the sandboxes involved, not blame the host.
func TestJoinErrorsNameTheCause(t *testing.T) {
	c := newCaller(t)
	c.detachWith("first", nil, "sleep", "1000")
	c.detachWith("second", []string{"--share-uts-with", "first"}, "sleep", "1000")
	c.detachWith("hostnet", []string{"--share-net"}, "sleep", "1000")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--share-uts-with", "second"}, "sandbox second shares its uts namespace with sandbox first: use --share-uts-with first"},
		{[]string{"--share-net-with", "hostnet"}, "sandbox hostnet shares the host's net namespace: use --share-net"},
		{[]string{"--share-ipc-with", "second"}, "the sandbox joined, or one whose namespaces it joined, allows no user namespaces inside"},
		{[]string{"--share-uts-with", "first", "--hostname", "x"}, "hostname needs a new uts namespace, but it is shared with sandbox first"},
	} {
		r := c.run(append(tc.args, "--", "true")...)
		if r.code != 125 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: %s\nwant exit 125 and %q", tc.args, r, tc.want)
		}
	}
}

func TestRootfsFolder(t *testing.T) {
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox is missing: the rootfs test builds its root from Debian's busybox-static (apt install busybox-static)")
	}
	if out, _ := exec.Command("file", "-L", busybox).Output(); len(out) > 0 && !strings.Contains(string(out), "static") {
		t.Skipf("%s is not static: install busybox-static", busybox)
	}
	c := newCaller(t)
	root := filepath.Join(c.work, "rootfs")
	for _, d := range []string{"bin", "proc", "dev", "tmp"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "bin", "busybox"), data, 0o755)
	for _, applet := range []string{"sh", "ls", "cat", "touch"} {
		os.Symlink("busybox", filepath.Join(root, "bin", applet))
	}
	r := c.mustRun("--rootfs", root, "--", "/bin/sh", "-c", "ls /; touch /x 2>&1; cat /proc/self/uid_map")
	got := lines(r.stdout)
	want := []string{"bin", "dev", "proc", "tmp"}
	if len(got) < 4 || strings.Join(got[:4], " ") != strings.Join(want, " ") {
		t.Errorf("ls / in the rootfs: %q, want %q", got, want)
	}
	if !strings.Contains(r.stdout, "Read-only file system") {
		t.Errorf("the rootfs is writable without --rootfs-writable:\n%s", r.stdout)
	}
}

func TestJSONStatusFD(t *testing.T) {
	c := newCaller(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r := c.runWith(func(cmd *exec.Cmd) { cmd.ExtraFiles = []*os.File{pw} }, "--json-status-fd", "3", "--", "sh", "-c", "exit 4")
	pw.Close()
	data, _ := readAll(pr)
	ls := lines(data)
	if r.code != 4 || len(ls) != 2 {
		t.Fatalf("status lines %q: %s", ls, r)
	}
	var first struct {
		InitPID    int              `json:"init_pid"`
		Namespaces map[string]int64 `json:"namespaces"`
	}
	var last struct {
		ExitCode *int `json:"exit_code"`
	}
	if json.Unmarshal([]byte(ls[0]), &first) != nil || first.InitPID == 0 || first.Namespaces["pid"] == 0 {
		t.Errorf("first status line %q", ls[0])
	}
	if json.Unmarshal([]byte(ls[1]), &last) != nil || last.ExitCode == nil || *last.ExitCode != 4 {
		t.Errorf("last status line %q", ls[1])
	}
}

func readAll(f *os.File) (string, error) {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := f.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String(), nil
		}
	}
}

// logs -f prints what the app writes after it was called and returns
// when the sandbox ends.
func TestLogsFollow(t *testing.T) {
	c := newCaller(t)
	c.detach("chatty", "sh", "-c", "echo first; sleep 0.5; echo second")
	r := c.hutch("logs", "-f", "chatty")
	if r.code != 0 || strings.Join(lines(r.stdout), " ") != "first second" {
		t.Errorf("logs -f: %s", r)
	}
}
