package tests

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var allKinds = []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}

func TestNamespacesAreNewByDefault(t *testing.T) {
	c := newCaller(t)
	host := hostNamespaces(t)
	got := fields(c.mustRun(probe("ns")...).stdout)
	for _, kind := range allKinds {
		if got[kind] == "" || got[kind] == host[kind] {
			t.Errorf("%s namespace: inside %q, host %q; want a new one", kind, got[kind], host[kind])
		}
	}
}

func TestSharedNamespacesEqualTheHosts(t *testing.T) {
	host := hostNamespaces(t)
	for _, shared := range []string{"net", "ipc", "uts", "pid", "cgroup", "time", "mnt"} {
		t.Run(shared, func(t *testing.T) {
			c := newCaller(t)
			args := []string{"--share-" + shared}
			if shared == "mnt" {
				// With the host's mount namespace nothing can be mounted,
				// so the probe runs from where it is.
				args = []string{"--profile", c.profile("bare.toml", "[namespaces]\nmount = false\n"), "--", probeBin, "ns"}
			} else {
				args = append(args, probe("ns")...)
			}
			got := fields(c.mustRun(args...).stdout)
			for _, kind := range allKinds {
				same := got[kind] == host[kind]
				if want := kind == shared; same != want {
					t.Errorf("%s namespace: inside %s, host %s; want shared=%v", kind, got[kind], host[kind], want)
				}
			}
		})
	}
}

// profile writes a profile file into the caller's work dir and returns
// its path.
func (c *caller) profile(name, text string) string {
	p := filepath.Join(c.work, name)
	c.writeFile(p, text, 0o644)
	return p
}

func TestIdentity(t *testing.T) {
	hostUID, hostGID := "65534", "65534"
	if runAs == nil {
		hostUID, hostGID = strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid())
	}
	tests := []struct {
		name     string
		flags    []string
		uid, gid string
	}{
		{"caller's own ids", nil, hostUID, hostGID},
		{"root inside", []string{"--uid", "0", "--gid", "0"}, "0", "0"},
		{"chosen ids", []string{"--uid", "1000", "--gid", "100"}, "1000", "100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCaller(t)
			args := append(tt.flags, "--", "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; cat /proc/self/setgroups")
			out := lines(c.mustRun(args...).stdout)
			want := []string{tt.uid, tt.gid, tt.uid + " " + hostUID + " 1", tt.gid + " " + hostGID + " 1", "deny"}
			if len(out) != len(want) {
				t.Fatalf("got %q, want %q", out, want)
			}
			for i := range want {
				if strings.Join(strings.Fields(out[i]), " ") != want[i] {
					t.Errorf("line %d: got %q, want %q", i, out[i], want[i])
				}
			}
		})
	}
}

func TestProcShowsOnlySandboxProcesses(t *testing.T) {
	c := newCaller(t)
	out := c.mustRun("sh", "-c", "for p in /proc/[0-9]*; do echo ${p#/proc/} $(cat $p/comm); done").stdout
	seen := map[string]bool{}
	for _, l := range lines(out) {
		pid, comm, _ := strings.Cut(l, " ")
		seen[comm] = true
		if n, _ := strconv.Atoi(pid); n > 1000 {
			t.Errorf("pid %s (%s) looks like a host pid", pid, comm)
		}
	}
	for comm := range seen {
		if !slices.Contains([]string{"hutch-init", "sh", "cat"}, comm) {
			t.Errorf("process %q visible inside; want only the init, sh and cat:\n%s", comm, out)
		}
	}
	if !seen["hutch-init"] {
		t.Errorf("the init is not PID 1's comm:\n%s", out)
	}
}

func TestDevIsMinimal(t *testing.T) {
	c := newCaller(t)
	got := lines(c.mustRun("ls", "-A", "/dev").stdout)
	want := []string{"fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"}
	if !slices.Equal(got, want) {
		t.Errorf("/dev holds %q, want %q", got, want)
	}
}

func TestDevRejectsNewFiles(t *testing.T) {
	c := newCaller(t)
	r := c.run("sh", "-c", "touch /dev/new")
	if r.code == 0 || !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("creating /dev/new: %s", r)
	}
	r = c.mustRun("sh", "-c", "echo x > /dev/null; head -c 3 /dev/zero | od -An -tx1")
	if strings.TrimSpace(r.stdout) != "00 00 00" {
		t.Errorf("/dev/zero gave %q", r.stdout)
	}
	// What the profile or command line mounts on /dev afterwards is its
	// own: sealing the minimal /dev must not make it read-only.
	r = c.run("--tmpfs", "/dev", "--", "sh", "-c", "touch /dev/new && echo made")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "made" {
		t.Errorf("a tmpfs on /dev, then creating /dev/new: %s", r)
	}
}

// TestDevTakesLaterBinds dev-binds a directory at /dev/dri, as the gpu
// profile fragment binds the GPU's render nodes: its mount point must be
// made in /dev, which stays read-only for the app.
func TestDevTakesLaterBinds(t *testing.T) {
	c := newCaller(t)
	dri := filepath.Join(c.work, "dri")
	if err := os.Mkdir(dri, 0o755); err != nil {
		t.Fatal(err)
	}
	c.own(dri)
	c.writeFile(filepath.Join(dri, "renderD128"), "", 0o644)
	r := c.run("--dev-bind", dri, "/dev/dri", "--", "sh", "-c", "ls /dev/dri; touch /dev/new")
	if strings.TrimSpace(r.stdout) != "renderD128" || !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("a dev-bind at /dev/dri, then creating /dev/new: %s", r)
	}
}

func TestReadOnlyBindCoversSubmounts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root on the host to make a submount under the bound directory")
	}
	c := newCaller(t)
	dir := filepath.Join(c.work, "data")
	sub := filepath.Join(dir, "sub")
	os.MkdirAll(sub, 0o777)
	os.Chmod(dir, 0o777)
	if err := unix.Mount("tmpfs", sub, "tmpfs", 0, "mode=1777"); err != nil {
		t.Fatalf("mount submount: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(sub, unix.MNT_DETACH) })
	r := c.run("--ro-bind", dir, "/data", "--", "sh", "-c", "touch /data/a; echo $?; touch /data/sub/b; echo $?")
	if got := lines(r.stdout); !slices.Equal(got, []string{"1", "1"}) {
		t.Errorf("writes into a read-only bind and its submount: %s", r)
	}
	if strings.Count(r.stderr, "Read-only file system") != 2 {
		t.Errorf("want two EROFS failures: %s", r)
	}
	// A read-write bind takes the write through to the host.
	c.mustRun("--bind", dir, "/data", "--", "touch", "/data/sub/rw")
	if _, err := os.Stat(filepath.Join(sub, "rw")); err != nil {
		t.Errorf("write through a read-write bind did not reach the host: %v", err)
	}
}

func TestTmpfsSizeIsHonoured(t *testing.T) {
	c := newCaller(t)
	p := c.profile("small.toml", `extends = ["default"]
[[mount]]
type = "tmpfs"
target = "/small"
size = "1M"
`)
	r := c.run("--profile", p, "--", "sh", "-c", "dd if=/dev/zero of=/small/f bs=1024 count=512 2>/dev/null && echo half-ok; dd if=/dev/zero of=/small/g bs=1024 count=1024")
	if !strings.Contains(r.stdout, "half-ok") || !strings.Contains(r.stderr, "No space left on device") {
		t.Errorf("a 1M tmpfs: %s", r)
	}
}

// TestMachineIDIsPrivate checks that the host's /etc/machine-id, which
// the default profile's bind of /etc would show, is covered by a random id
// of each sandbox's own, well formed, unless a profile keeps the host's.
func TestMachineIDIsPrivate(t *testing.T) {
	host, err := os.ReadFile("/etc/machine-id")
	if err != nil {
		t.Skipf("the host has no /etc/machine-id to hide: %v", err)
	}
	c := newCaller(t)
	wellFormed := regexp.MustCompile(`^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}\n$`)
	first := c.mustRun("--", "cat", "/etc/machine-id").stdout
	second := c.mustRun("--", "cat", "/etc/machine-id").stdout
	if first == string(host) || !wellFormed.MatchString(first) || first == second {
		t.Errorf("machine ids inside: %q then %q, host's %q; want a fresh random version 4 id each time", first, second, host)
	}
	p := c.profile("host-id.toml", "extends = [\"default\"]\nmachine_id = \"host\"\n")
	if got := c.mustRun("-p", p, "--", "cat", "/etc/machine-id").stdout; got != string(host) {
		t.Errorf("machine_id = \"host\": got %q, want the host's %q", got, host)
	}
}

func TestHostnameIsTheSandboxs(t *testing.T) {
	before, _ := os.Hostname()
	c := newCaller(t)
	if got := strings.TrimSpace(c.mustRun("hostname").stdout); got != "hutch" {
		t.Errorf("default hostname %q, want hutch", got)
	}
	if got := strings.TrimSpace(c.mustRun("--hostname", "box", "--", "hostname").stdout); got != "box" {
		t.Errorf("hostname %q, want box", got)
	}
	if after, _ := os.Hostname(); after != before {
		t.Errorf("the host's hostname changed from %q to %q", before, after)
	}
}

func TestClockOffsetsShowInUptime(t *testing.T) {
	c := newCaller(t)
	p := c.profile("clock.toml", "extends = [\"default\"]\n[time]\nboottime_offset = \"240h\"\nmonotonic_offset = \"48h\"\n")
	out := c.mustRun("--profile", p, "--", "cat", "/proc/uptime").stdout
	inside, err := strconv.ParseFloat(strings.Fields(out)[0], 64)
	if err != nil {
		t.Fatalf("uptime %q: %v", out, err)
	}
	var host unix.Sysinfo_t
	unix.Sysinfo(&host)
	shift := inside - float64(host.Uptime)
	if shift < 240*3600-60 || shift > 240*3600+60 {
		t.Errorf("uptime inside %.0fs, host %ds: shifted by %.0fs, want 240h", inside, host.Uptime, shift)
	}
}

// TestClockOffsetsOutOfRange asks for offsets the kernel refuses, one too
// far back and one too far ahead: each error says which bound it hit.
func TestClockOffsetsOutOfRange(t *testing.T) {
	c := newCaller(t)
	for offset, says := range map[string]string{
		"-2000000h": "may not take a clock below zero",
		"2000000h":  "past the kernel's bound",
	} {
		r := c.run("--monotonic-offset", offset, "--", "true")
		if r.code != 125 || !strings.Contains(r.stderr, says) {
			t.Errorf("--monotonic-offset %s: want 125 and %q\n%s", offset, says, r)
		}
	}
}

func TestExitCodes(t *testing.T) {
	c := newCaller(t)
	c.writeFile(filepath.Join(c.work, "notexec"), "#!/bin/sh\necho hi\n", 0o644)
	bad := c.profile("bad.toml", "extends = [\"default\"]\nhostname = 3\n")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"success", []string{"true"}, 0},
		{"app status", []string{"sh", "-c", "exit 42"}, 42},
		{"killed by SIGKILL", []string{"sh", "-c", "kill -9 $$"}, 137},
		{"killed by SIGTERM", []string{"sh", "-c", "kill -TERM $$"}, 143},
		{"bad profile", []string{"--profile", bad, "--", "true"}, 125},
		{"unknown option", []string{"--no-such-option", "true"}, 125},
		{"not executable", []string{"--ro-bind", filepath.Join(c.work, "notexec"), "/notexec", "--", "/notexec"}, 126},
		{"a directory", []string{"/usr"}, 126},
		{"not found", []string{"no-such-command-anywhere"}, 127},
		{"not found by path", []string{"/no/such/file"}, 127},
		{"a path through a file", []string{"/etc/passwd/x"}, 127},
		{"a symbolic link loop", []string{"--symlink", "/loop", "/loop", "--", "/loop"}, 127},
		{"a path too long", []string{"/" + strings.Repeat("x", 5000)}, 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.run(tt.args...)
			if r.code != tt.want {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.want, r)
			}
			if tt.want < 125 || tt.want > 127 {
				return
			}
			if !strings.HasPrefix(r.stderr, "hutch: ") {
				t.Errorf("error not reported as 'hutch: ...': %q", r.stderr)
			}
			if strings.Count(r.stderr, "hutch: ") != 1 {
				t.Errorf("error reported more than once: %q", r.stderr)
			}
		})
	}
}

func TestOrphansAreReaped(t *testing.T) {
	c := newCaller(t)
	// The subshell exits at once; its sleep becomes an orphan of PID 1
	// and exits a little later. Without a reaper it stays a zombie.
	out := c.mustRun("sh", "-c", "( sleep 0.1 & ); sleep 0.6; cat /proc/[0-9]*/stat").stdout
	for _, l := range lines(out) {
		// pid (comm) state ...
		i := strings.LastIndex(l, ")")
		if i > 0 && len(l) > i+2 && l[i+2] == 'Z' {
			t.Errorf("zombie left inside: %s", l)
		}
	}
}

// startHutch starts hutch run and returns once the app printed "ready".
func (c *caller) startHutch(args ...string) (*exec.Cmd, *bufio.Reader) {
	c.t.Helper()
	cmd, out, _ := c.startHutchWithInput(args...)
	return cmd, out
}

// startHutchWithInput is startHutch with a pipe to the app's stdin.
func (c *caller) startHutchWithInput(args ...string) (*exec.Cmd, *bufio.Reader, *os.File) {
	c.t.Helper()
	cmd := c.command(context.Background(), append([]string{"run"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stdin = stdinR
	c.t.Cleanup(func() { stdinW.Close() })
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	stdinR.Close()
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		c.t.Fatalf("waiting for ready: %q %v", line, err)
	}
	return cmd, r, stdinW
}

func TestSIGTERMReachesTheApp(t *testing.T) {
	c := newCaller(t)
	cmd, out := c.startHutch("sh", "-c", `trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done`)
	cmd.Process.Signal(syscall.SIGTERM)
	rest, _ := out.ReadString(0)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 7 || !strings.Contains(rest, "got-term") {
		t.Errorf("after SIGTERM: exit %d (%v), output %q; want 7 and got-term", code, err, rest)
	}
}

// processesWith lists host pids whose command line contains marker.
func processesWith(marker string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(cmdline), marker) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestSIGKILLToHutchEndsTheSandbox(t *testing.T) {
	c := newCaller(t)
	marker := "1000." + strconv.Itoa(os.Getpid())
	cmd, _ := c.startHutch("sh", "-c", "sleep "+marker+" & sleep "+marker+"1 & echo ready; wait")
	waitFor(t, "the sandbox's processes", 5*time.Second, func() bool { return len(processesWith(marker)) >= 2 })
	cmd.Process.Kill()
	cmd.Wait()
	waitFor(t, "every sandbox process to end", 5*time.Second, func() bool { return len(processesWith(marker)) == 0 })
}

func TestInheritedDescriptorsAreClosed(t *testing.T) {
	c := newCaller(t)
	withLeaks := c.leakingFDs()
	r := c.runWith(withLeaks, probe("fds")...)
	var fds []string
	for _, l := range lines(r.stdout) {
		fds = append(fds, strings.Fields(l)[0])
	}
	if r.code != 0 || !slices.Equal(fds, []string{"0", "1", "2"}) {
		t.Errorf("descriptors inside: %v\n%s", fds, r)
	}
	r = c.runWith(withLeaks, append([]string{"--keep-fd", "7"}, probe("fds")...)...)
	if !strings.Contains(r.stdout, "7 ") || strings.Contains(r.stdout, "\n6 ") {
		t.Errorf("--keep-fd 7 should pass fd 7 and only it:\n%s", r)
	}
}

// openPTY opens a pseudo-terminal pair on the host.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here (%v): the TIOCSTI test needs one", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if runAs != nil {
		s.Chown(int(runAs.Uid), int(runAs.Gid))
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

func TestTIOCSTIIsRefused(t *testing.T) {
	c := newCaller(t)
	_, slave := openPTY(t)
	// The terminal is hutch's controlling terminal, as in an interactive
	// shell; the app must not be able to push input into it.
	onTTY := func(cmd *exec.Cmd) {
		cmd.Stdin = slave
		cmd.SysProcAttr.Setsid = true
		cmd.SysProcAttr.Setctty = true
		cmd.SysProcAttr.Ctty = 0
	}
	r := c.runWith(onTTY, probe("tiocsti")...)
	if got := strings.TrimSpace(r.stdout); got != "EPERM" {
		t.Errorf("TIOCSTI from the app: %s", r)
	}
}

// TestTerminalHasAName checks that an app whose stdio is a terminal finds
// it by name, as /dev/console (ttyname() and tty(1) work), in every start,
// and that without a terminal /dev has no console.
func TestTerminalHasAName(t *testing.T) {
	for _, start := range initStarts {
		t.Run(start.name, func(t *testing.T) {
			c := newCaller(t)
			c.extraEnv = start.env
			_, slave := openPTY(t)
			onTTY := func(cmd *exec.Cmd) { cmd.Stdin = slave }
			script := `tty; ls /dev | grep -x console; echo hi > /dev/console && echo wrote; grep -c . /proc/self/mountinfo >/dev/null`
			r := c.runWith(onTTY, "--", "sh", "-c", script)
			if got := lines(r.stdout); r.code != 0 || len(got) != 3 || got[0] != "/dev/console" || got[1] != "console" || got[2] != "wrote" {
				t.Errorf("stdin on a terminal: %s\nwant tty to print /dev/console, and the console writable", r)
			}
			r = c.run("--", "sh", "-c", "tty; ls /dev | grep -x console")
			if r.code == 0 || !strings.HasPrefix(r.stdout, "not a tty") {
				t.Errorf("stdio on no terminal: %s\nwant 'not a tty' and no /dev/console", r)
			}
		})
	}
}

func TestEnvironmentPolicy(t *testing.T) {
	c := newCaller(t)
	c.extraEnv = []string{"SECRET_TOKEN=hunter2", "TERM=xterm"}
	env := c.mustRun("--setenv", "FOO", "bar", "--unsetenv", "LANG", "--", "env").stdout
	for _, want := range []string{"FOO=bar", "TERM=xterm", "HOME=" + c.home} {
		if !strings.Contains(env, want+"\n") {
			t.Errorf("environment lacks %s:\n%s", want, env)
		}
	}
	for _, unwanted := range []string{"SECRET_TOKEN", "LANG="} {
		if strings.Contains(env, unwanted) {
			t.Errorf("environment has %s:\n%s", unwanted, env)
		}
	}
	// --clearenv drops the caller's variables, the kept ones included;
	// what profiles and flags set remains (the default profile sets PATH).
	env = c.mustRun("--clearenv", "--setenv", "ONLY", "1", "--", "/usr/bin/env").stdout
	got := lines(env)
	slices.Sort(got)
	if !slices.Equal(got, []string{"HOME=" + c.home, "ONLY=1", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/go/bin"}) {
		t.Errorf("--clearenv left %q", got)
	}
	// The command line's own --keepenv stays, before or after it.
	for _, args := range [][]string{{"--clearenv", "--keepenv", "TERM"}, {"--keepenv", "TERM", "--clearenv"}} {
		env = c.mustRun(append(args, "--", "/usr/bin/env")...).stdout
		if !strings.Contains(env, "TERM=xterm\n") || strings.Contains(env, "LANG=") {
			t.Errorf("%v left:\n%s", args, env)
		}
	}
}

// TestHomeWithoutHOME runs hutch from an environment without HOME, as
// cron, systemd units and env -i give: the app's HOME is the home the
// sandbox made, at the caller's home from the passwd file, and writable.
func TestHomeWithoutHOME(t *testing.T) {
	c := newCaller(t)
	home := passwdHome(t, os.Getuid())
	if runAs != nil {
		home = passwdHome(t, int(runAs.Uid))
	}
	withoutHOME := func(cmd *exec.Cmd) {
		cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool { return strings.HasPrefix(kv, "HOME=") })
	}
	r := c.runWith(withoutHOME, "sh", "-c", `echo "$HOME"; touch "$HOME/x" && echo writable`)
	if r.code != 0 || r.stdout != home+"\nwritable\n" {
		t.Errorf("without HOME: want HOME %s inside, writable:\n%s", home, r)
	}
}

// passwdHome returns uid's home directory from /etc/passwd.
func passwdHome(t *testing.T, uid int) string {
	t.Helper()
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines(string(data)) {
		f := strings.Split(l, ":")
		if len(f) >= 6 && f[2] == strconv.Itoa(uid) {
			return f[5]
		}
	}
	t.Skipf("uid %d has no entry in /etc/passwd", uid)
	return ""
}

func TestWorkingDirectory(t *testing.T) {
	c := newCaller(t)
	if got := strings.TrimSpace(c.mustRun("pwd").stdout); got != "/" {
		t.Errorf("cwd %q; the caller's cwd is not visible, want /", got)
	}
	if got := strings.TrimSpace(c.mustRun("--bind", c.work, c.work, "--", "pwd").stdout); got != c.work {
		t.Errorf("cwd %q; the caller's cwd is bound, want %s", got, c.work)
	}
	if got := strings.TrimSpace(c.mustRun("--chdir", "/usr", "--", "pwd").stdout); got != "/usr" {
		t.Errorf("--chdir /usr gave %q", got)
	}
	r := c.run("--chdir", "/no/such/dir", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "/no/such/dir") {
		t.Errorf("--chdir to a missing dir: %s", r)
	}
}

func TestBadProfileRunsNothing(t *testing.T) {
	c := newCaller(t)
	bad := c.profile("bad.toml", "extends = [\"default\"]\n\n[namespaces]\nnett = true\n")
	marker := filepath.Join(c.work, "ran")
	r := c.run("--profile", bad, "--bind", c.work, c.work, "--", "touch", marker)
	if r.code != 125 || !strings.Contains(r.stderr, "bad.toml:4:1") || !strings.Contains(r.stderr, "nett") {
		t.Errorf("bad profile: %s", r)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the command ran despite the bad profile")
	}
}

func TestMissingBindSourceIsNamed(t *testing.T) {
	c := newCaller(t)
	r := c.run("--bind", "/no/such/source", "/x", "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "/no/such/source") {
		t.Errorf("missing bind source: %s", r)
	}
	c.mustRun("--bind-try", "/no/such/source", "/x", "--", "true")
}

func TestMountTargetsStayInsideTheRoot(t *testing.T) {
	c := newCaller(t)
	dir := filepath.Join(c.work, "d")
	os.Mkdir(dir, 0o755)
	c.own(dir)
	// Symlinks that point out of the bound directory, absolute and relative.
	for name, target := range map[string]string{"abs": "/tmp", "rel": "../../../../../../../../tmp"} {
		link := filepath.Join(dir, name)
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		c.own(link)
	}
	escape := "hutch-escape-" + strconv.Itoa(os.Getpid())
	r := c.mustRun("--ro-bind", dir, "/d", "--dir", "/d/abs/"+escape+"-a", "--dir", "/d/rel/"+escape+"-r", "--", "ls", "/tmp")
	for _, suffix := range []string{"-a", "-r"} {
		if !strings.Contains(r.stdout, escape+suffix) {
			t.Errorf("the target through a symlink should land in the sandbox's /tmp: %s", r)
		}
		if _, err := os.Stat(filepath.Join("/tmp", escape+suffix)); err == nil {
			os.Remove(filepath.Join("/tmp", escape+suffix))
			t.Errorf("a mount target followed a symlink out of the new root onto the host")
		}
	}
}

// Mount points are made as the source asks, with every missing parent,
// under a tmpfs and under a directory that exists already.
func TestMountPointsAreCreated(t *testing.T) {
	c := newCaller(t)
	file := filepath.Join(c.work, "file.txt")
	c.writeFile(file, "content\n", 0o644)
	r := c.mustRun(
		"--dir", "/deep/d1/d2",
		"--tmpfs", "/deep/t1/t2",
		"--ro-bind", file, "/deep/f1/f2/file.txt",
		"--ro-bind", file, "/tmp/file.txt",
		"--ro-bind", c.work, "/tmp/w1/w2",
		"--", "sh", "-c", `for p in /deep/d1/d2 /deep/t1/t2 /deep/f1/f2/file.txt /tmp/file.txt /tmp/w1/w2; do echo "$p $(stat -c %F "$p")"; done; cat /deep/f1/f2/file.txt`)
	got := fields(r.stdout)
	for _, tc := range []struct{ path, kind string }{
		{"/deep/d1/d2", "directory"},
		{"/deep/t1/t2", "directory"},
		{"/deep/f1/f2/file.txt", "regular file"},
		{"/tmp/file.txt", "regular file"},
		{"/tmp/w1/w2", "directory"},
	} {
		if got[tc.path] != tc.kind {
			t.Errorf("%s is %q, want %q: %s", tc.path, got[tc.path], tc.kind, r)
		}
	}
	if !strings.Contains(r.stdout, "content") {
		t.Errorf("the file bound into new parents does not show its content: %s", r)
	}
}

func TestHostMountsDoNotPropagateIn(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root on the host to mount something after the sandbox starts")
	}
	c := newCaller(t)
	dir := filepath.Join(c.work, "d")
	os.MkdirAll(filepath.Join(dir, "m"), 0o755)
	cmd, out, in := c.startHutchWithInput("--ro-bind", dir, "/d", "--", "sh", "-c", "echo ready; read x; ls -A /d/m; echo done")
	if err := unix.Mount("tmpfs", filepath.Join(dir, "m"), "tmpfs", 0, ""); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(filepath.Join(dir, "m"), unix.MNT_DETACH)
	if err := os.WriteFile(filepath.Join(dir, "m", "late"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	in.WriteString("go\n")
	rest, _ := out.ReadString(0)
	cmd.Wait()
	if strings.TrimSpace(rest) != "done" {
		t.Errorf("a mount made on the host after start is visible inside: %q", rest)
	}
}

func TestOldRootLeavesNoTrace(t *testing.T) {
	c := newCaller(t)
	r := c.mustRun("sh", "-c", "ls -A /; cat /proc/self/mountinfo")
	for _, trace := range []string{"oldroot", "newroot", "files"} {
		if strings.Contains(r.stdout, trace) {
			t.Errorf("%q visible inside:\n%s", trace, r.stdout)
		}
	}
}

func TestCapabilitiesAreDropped(t *testing.T) {
	for _, uid := range []string{"0", "1000"} {
		c := newCaller(t)
		status := c.mustRun("--uid", uid, "--", "cat", "/proc/self/status").stdout
		for _, want := range []string{"CapInh:\t0000000000000000", "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000", "NoNewPrivs:\t1"} {
			if !strings.Contains(status, want+"\n") {
				t.Errorf("uid %s: /proc/self/status lacks %q", uid, want)
			}
		}
	}
}

func TestAppAsPID1(t *testing.T) {
	c := newCaller(t)
	if got := strings.TrimSpace(c.mustRun("sh", "-c", "echo $$").stdout); got == "1" {
		t.Errorf("the app is PID 1 without --as-pid-1")
	}
	if got := strings.TrimSpace(c.mustRun("--as-pid-1", "--", "sh", "-c", "echo $$").stdout); got != "1" {
		t.Errorf("--as-pid-1: the app's pid is %s", got)
	}
	if r := c.run("--as-pid-1", "--", "sh", "-c", "exit 3"); r.code != 3 {
		t.Errorf("--as-pid-1 exit status: %s", r)
	}
}

// TestClosedStdio starts hutch with some of its standard descriptors
// closed. The app must run, and find each closed one closed or on
// /dev/null (a Go program reopens closed stdio on /dev/null at start):
// never one of hutch's own descriptors that took the free number.
func TestClosedStdio(t *testing.T) {
	for _, tt := range []struct {
		name   string
		closed []int
	}{
		{"stdin", []int{0}},
		{"stdout", []int{1}},
		{"stderr", []int{2}},
		{"all three", []int{0, 1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCaller(t)
			var redirs []string
			for _, fd := range tt.closed {
				redirs = append(redirs, fmt.Sprintf("%d>&-", fd))
			}
			closeStdio := func(cmd *exec.Cmd) {
				cmd.Stdin = strings.NewReader("") // a pipe, like the other two
				// The shell closes them, then becomes hutch.
				cmd.Args = append([]string{"sh", "-c", `exec "$0" "$@" ` + strings.Join(redirs, " "), cmd.Path}, cmd.Args[1:]...)
				cmd.Path = "/bin/sh"
			}
			list := filepath.Join(c.work, "fds.txt")
			r := c.runWith(closeStdio, "--bind", c.work, c.work, "--ro-bind", probeBin, "/probe", "--", "/probe", "fds", list)
			if r.code != 0 {
				t.Fatalf("with %v closed: %s", tt.closed, r)
			}
			data, err := os.ReadFile(list)
			if err != nil {
				t.Fatalf("the probe wrote no list: %v\n%s", err, r)
			}
			seen := map[int]bool{}
			for _, line := range lines(string(data)) {
				fd, target, _ := strings.Cut(line, " ")
				n, err := strconv.Atoi(fd)
				if err != nil {
					t.Fatalf("list line %q", line)
				}
				seen[n] = true
				switch {
				case n > 2:
					t.Errorf("fd %d is open inside, on %s", n, target)
				case slices.Contains(tt.closed, n) && target != "/dev/null":
					t.Errorf("fd %d, closed for hutch, is open inside on %s", n, target)
				case !slices.Contains(tt.closed, n) && !strings.HasPrefix(target, "pipe:"):
					t.Errorf("fd %d, the caller's pipe, is on %s inside", n, target)
				}
			}
			for fd := range 3 {
				if !slices.Contains(tt.closed, fd) && !seen[fd] {
					t.Errorf("fd %d, the caller's pipe, is not open inside", fd)
				}
			}
		})
	}
}

// TestHostnameResolves checks that the sandbox's hostname is the one
// /etc/hostname and /etc/hosts tell, and that it resolves, as test suites
// that call gethostbyname(gethostname()) need; with the host's network
// shared, the host's entries stay.
func TestHostnameResolves(t *testing.T) {
	c := newCaller(t)
	for _, tc := range []struct {
		name  string
		args  []string
		hosts string // a line /etc/hosts must hold
	}{
		{"own network", []string{"--hostname", "sbx"}, "127.0.0.1\tlocalhost"},
		{"host's network", []string{"--hostname", "sbx", "--share-net"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.mustRun(append(tc.args, "--", "sh", "-c", "cat /etc/hostname; getent hosts $(hostname); cat /etc/hosts")...)
			out := lines(r.stdout)
			if len(out) < 2 || out[0] != "sbx" || !strings.HasSuffix(out[1], "sbx") || !strings.HasPrefix(out[1], "127.0.1.1") {
				t.Errorf("hostname and its address inside: %q", out)
			}
			if tc.hosts != "" && !slices.Contains(out, tc.hosts) {
				t.Errorf("/etc/hosts lacks %q: %q", tc.hosts, out)
			}
			if host, _ := os.Hostname(); host != "sbx" && tc.hosts != "" && strings.Contains(r.stdout, host) {
				t.Errorf("the host's name %q shows inside: %q", host, out)
			}
		})
	}
}

// TestFileEntriesKeepTheirOwnContent places file entries whose names
// collide where their contents are staged (x, x.3, x): each must show its
// own content and mode.
func TestFileEntriesKeepTheirOwnContent(t *testing.T) {
	c := newCaller(t)
	p := c.profile("files.toml", `extends = ["default"]
[[mount]]
type = "file"
target = "/tmp/a/x"
content = "A"
[[mount]]
type = "file"
target = "/tmp/b/x.3"
content = "B"
mode = "0600"
[[mount]]
type = "file"
target = "/tmp/c/x"
content = "C"
`)
	r := c.mustRun("-p", p, "--", "sh", "-c", `for f in /tmp/a/x /tmp/b/x.3 /tmp/c/x; do echo "$(cat $f) $(stat -c %a $f)"; done`)
	if got := strings.Fields(r.stdout); !slices.Equal(got, []string{"A", "644", "B", "600", "C", "644"}) {
		t.Errorf("contents and modes: %v\n%s", got, r)
	}
}

// TestMissingInterpreterIsNamed runs a script whose #! interpreter is not
// in the sandbox: 127, as a shell gives, but saying that the script is
// there and what it needs is not, in every start.
func TestMissingInterpreterIsNamed(t *testing.T) {
	for _, start := range initStarts {
		t.Run(start.name, func(t *testing.T) {
			c := newCaller(t)
			c.extraEnv = start.env
			script := filepath.Join(c.work, "script")
			c.writeFile(script, "#!/nonexistent/interpreter\necho ran\n", 0o755)
			for _, pid1 := range [][]string{nil, {"--as-pid-1"}} {
				r := c.run(append(append(pid1, "--bind", c.work, c.work, "--"), script)...)
				if r.code != 127 || !strings.Contains(r.stderr, "cannot execute: required file not found (the interpreter its #! line names") {
					t.Errorf("%v: %s", pid1, r)
				}
			}
		})
	}
}
