package tests

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// execOnTTY runs "hutch exec -t args..." with a new pseudo-terminal as its
// controlling terminal and stdio, as from an interactive shell, and
// returns what the terminal showed and the exit status.
func (c *caller) execOnTTY(args ...string) (string, int) {
	c.t.Helper()
	master, slave := openPTY(c.t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := c.command(ctx, append([]string{"exec", "-t"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr.Setsid = true
	cmd.SysProcAttr.Setctty = true
	cmd.SysProcAttr.Ctty = 0
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	// The test holds the terminal too, so the master never reports end of
	// file: lines are read as they come and collected once hutch is done.
	got := make(chan string, 64)
	go func() {
		r := bufio.NewReader(master)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				got <- line
			}
			if err != nil {
				return
			}
		}
	}()
	cmd.Wait()
	var out strings.Builder
	for {
		select {
		case l := <-got:
			out.WriteString(l)
			continue
		case <-time.After(300 * time.Millisecond):
		}
		break
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// exec -t gives the process a terminal of the sandbox's own, passes its
// exit status through, and leaves the sandbox's app alone.
func TestExecWithTerminal(t *testing.T) {
	c := newCaller(t)
	c.detach("tty", "sleep", "1000")
	out, code := c.execOnTTY("tty", "--", "sh", "-c", "tty; exit 7")
	if code != 7 || !strings.Contains(out, "/dev/pts/") {
		t.Errorf("exec -t: exit %d, want 7, and a /dev/pts path from tty:\n%s", code, out)
	}
	time.Sleep(200 * time.Millisecond)
	if st := c.ps()["tty"].Status; st != "running" {
		t.Errorf("after exec -t the sandbox is %q, want running", st)
	}
	// A second one works as well: the first left no terminal behind.
	if out, code := c.execOnTTY("tty", "--", "sh", "-c", "tty"); code != 0 || !strings.Contains(out, "/dev/pts/") {
		t.Errorf("second exec -t: exit %d:\n%s", code, out)
	}
}

// hutch kill delivers any signal to the app, as runc kill does: those the
// init does not relay, SIGSTOP to the app rather than the init, and
// SIGSEGV without harm to the init.
func TestKillReachesTheApp(t *testing.T) {
	c := newCaller(t)
	marker := "kill-" + strconv.Itoa(os.Getpid())
	sigs := []string{"PIPE", "USR1", "TSTP", "TTIN", "URG", "PWR", "34", "HUP"}
	script := ": " + marker + "; for s in " + strings.Join(sigs, " ") + `; do trap "echo got $s" $s; done; echo ready; while :; do sleep 0.05; done`
	c.detach("k", "sh", "-c", script)
	waitFor(t, "the app to start", 5*time.Second, func() bool { return strings.Contains(c.hutch("logs", "k").stdout, "ready") })
	for _, sig := range []string{"PIPE", "sigusr1", "TSTP", "TTIN", "URG", "PWR", "RTMIN", "1"} {
		if r := c.hutch("kill", "k", sig); r.code != 0 {
			t.Errorf("kill k %s: %s", sig, r)
		}
	}
	waitFor(t, "every signal to reach the app", 5*time.Second, func() bool {
		log := c.hutch("logs", "k").stdout
		for _, s := range sigs {
			if !strings.Contains(log, "got "+s+"\n") {
				return false
			}
		}
		return true
	})

	var app int
	for _, pid := range processesWith(marker) {
		if strings.HasPrefix(commandOf(pid), "sh ") {
			app = pid
		}
	}
	if app == 0 {
		t.Fatalf("no app among %v", processesWith(marker))
	}
	init := c.ps()["k"].InitPID
	if r := c.hutch("kill", "k", "STOP"); r.code != 0 {
		t.Fatalf("kill k STOP: %s", r)
	}
	waitFor(t, "the app to stop", 5*time.Second, func() bool { return processState(app) == "T" })
	if st := processState(init); st == "T" {
		t.Errorf("kill STOP stopped the init")
	}
	if r := c.hutch("kill", "k", "CONT"); r.code != 0 {
		t.Fatalf("kill k CONT: %s", r)
	}
	waitFor(t, "the app to go on", 5*time.Second, func() bool { return processState(app) != "T" })

	for _, bad := range []string{"0", "65", "NOSUCH", "RTMAX-40"} {
		if r := c.hutch("kill", "k", bad); r.code != 125 || !strings.HasPrefix(r.stderr, "hutch: ") {
			t.Errorf("kill k %s: %s", bad, r)
		}
	}
	// kill(1)'s dashed signal needs a name: the 9 of -9 is not one.
	for _, bad := range [][]string{{"kill", "-9"}, {"kill", "-KILL", "k", "TERM"}} {
		if r := c.hutch(bad...); r.code != 125 || !strings.Contains(r.stderr, "want NAME") {
			t.Errorf("%v: %s", bad, r)
		}
	}

	// SIGSEGV ends the app, not the init: the sandbox records the status.
	if r := c.hutch("kill", "k", "SEGV"); r.code != 0 {
		t.Fatalf("kill k SEGV: %s", r)
	}
	waitFor(t, "the app to die of SIGSEGV", 5*time.Second, func() bool { return c.ps()["k"].Status == "exited (139)" })
	if r := c.hutch("kill", "k", "TERM"); r.code != 125 || !strings.Contains(r.stderr, "not running") {
		t.Errorf("kill of an exited sandbox: %s", r)
	}
	if r := c.hutch("stop", "k"); r.code != 0 {
		t.Errorf("stop after SIGSEGV: %s", r)
	}
}

// With --as-pid-1 there is no init: the app, PID 1, gets the signal
// directly, and gets it only when it handles it; kill refuses to send one
// it does not.
func TestKillAsPID1(t *testing.T) {
	c := newCaller(t)
	marker := "pid1-" + strconv.Itoa(os.Getpid())
	c.detachWith("p1", []string{"--as-pid-1"}, "sh", "-c", ": "+marker+`; trap "exit 3" USR2; echo ready; while :; do sleep 0.05; done`)
	waitFor(t, "the app to start", 5*time.Second, func() bool { return strings.Contains(c.hutch("logs", "p1").stdout, "ready") })
	// One it does not handle would be dropped: kill says so.
	if r := c.hutch("kill", "p1", "USR1"); r.code != 125 || !strings.Contains(r.stderr, "does not handle SIGUSR1, which the kernel then drops") {
		t.Errorf("kill p1 USR1: %s", r)
	}
	// As kill(1) takes it: the signal first, with a dash.
	if r := c.hutch("kill", "-USR2", "p1"); r.code != 0 {
		t.Fatalf("kill -USR2 p1: %s", r)
	}
	// Nothing records the exit status of an app that is PID 1.
	waitFor(t, "the app to exit", 5*time.Second, func() bool { return len(processesWith(marker)) == 0 })
}

// commandOf is a host process's command line, words joined by spaces.
func commandOf(pid int) string {
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.ReplaceAll(strings.TrimRight(string(data), "\x00"), "\x00", " ")
}

// A hutch killed while it starts a named sandbox leaves the name free at
// once, whatever the moment it died.
func TestLauncherKilledDuringStartFreesTheName(t *testing.T) {
	c := newCaller(t)
	marker := "1000." + strconv.Itoa(os.Getpid()) + "3"
	for delay := time.Duration(0); delay <= 60*time.Millisecond; delay += 4 * time.Millisecond {
		cmd := c.command(context.Background(), "run", "--name", "sk", "--", "sleep", marker)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Kill()
		cmd.Wait()
		// An init that had started dies of its parent's death, which
		// takes the kernel a moment: the name may be taken that long,
		// not the minute a reservation without a launcher used to be.
		deadline := time.Now().Add(2 * time.Second)
		for {
			r := c.run("--name", "sk", "--", "true")
			if r.code == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run after the launcher was killed %v into its start: %s", delay, r)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor(t, "every sandbox process to end", 5*time.Second, func() bool { return len(processesWith(marker)) == 0 })
}

// A foreground hutch whose sandbox ended removes that sandbox's state
// only: by the time it gets to it, the name may be another's.
func TestForegroundLauncherKeepsANewerSandboxsState(t *testing.T) {
	c := newCaller(t)
	marker := "1." + strconv.Itoa(os.Getpid()) + "4"
	old := c.command(context.Background(), "run", "--name", "fr", "--", "sleep", marker)
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { old.Process.Kill(); old.Wait() })
	waitFor(t, "the first sandbox to run", 5*time.Second, func() bool { return c.ps()["fr"].Status == "running" })
	// Held up until its sandbox has ended and another took the name.
	old.Process.Signal(syscall.SIGSTOP)
	waitFor(t, "the first app to end", 10*time.Second, func() bool { return c.ps()["fr"].Status != "running" })
	c.detach("fr", "sleep", "1000")
	newer := c.ps()["fr"]
	old.Process.Signal(syscall.SIGCONT)
	if err := old.Wait(); err != nil {
		t.Errorf("the first hutch: %v", err)
	}
	if now, ok := c.ps()["fr"]; !ok || now.Status != "running" || now.InitPID != newer.InitPID {
		t.Errorf("after the first hutch ended, ps says %+v, want the second sandbox (init %d) running", now, newer.InitPID)
	}
	if r := c.hutch("exec", "fr", "true"); r.code != 0 {
		t.Errorf("exec into the second sandbox: %s", r)
	}
}

// stop ends every process of the sandbox, also where its pid namespace is
// the host's and the init's end takes nothing with it.
func TestStopWithSharedPIDNamespace(t *testing.T) {
	c := newCaller(t)
	marker := "1000." + strconv.Itoa(os.Getpid()) + "5"
	c.detachWith("sp", []string{"--share-pid"}, "sh", "-c", "sleep "+marker+"1 & exec sleep "+marker+"2")
	exec := c.command(context.Background(), "exec", "sp", "sleep", marker+"3")
	if err := exec.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Process.Kill(); exec.Wait() })
	waitFor(t, "the sandbox's three sleeps", 5*time.Second, func() bool { return len(sleepsWith(marker)) == 3 })
	if r := c.hutch("stop", "sp"); r.code != 0 {
		t.Fatalf("stop: %s", r)
	}
	waitFor(t, "every sandbox process to end", 5*time.Second, func() bool {
		for _, pid := range processesWith(marker) {
			if st := processState(pid); st != "" && st != "Z" {
				return false
			}
		}
		return true
	})
}

// sleepsWith lists the sleep processes whose arguments hold marker.
func sleepsWith(marker string) []int {
	var pids []int
	for _, pid := range processesWith(marker) {
		if strings.HasPrefix(commandOf(pid), "sleep ") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Without XDG_RUNTIME_DIR the state lives in $TMPDIR/hutch-UID, UID the
// caller's, also for a sandbox that joins another whose user namespace
// maps the caller to another uid.
func TestJoinedStateWithoutRuntimeDir(t *testing.T) {
	c := newCaller(t)
	tmp := filepath.Join(c.base, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	c.own(tmp)
	noRuntimeDir := func(cmd *exec.Cmd) {
		var env []string
		for _, kv := range cmd.Env {
			if !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "TMPDIR="+tmp)
	}
	hutch := func(args ...string) result { return c.hutchWith(noRuntimeDir, args...) }
	t.Cleanup(func() { hutch("stop", "--timeout", "0", "jsrv", "jcli") })
	for _, args := range [][]string{
		{"run", "--name", "jsrv", "-d", "--uid", "0", "--gid", "0", "--", "sleep", "1000"},
		{"run", "--name", "jcli", "-d", "--share-net-with", "jsrv", "--", "sleep", "1000"},
	} {
		if r := hutch(args...); r.code != 0 {
			t.Fatalf("hutch %v: %s", args, r)
		}
	}
	uid := os.Geteuid()
	if runAs != nil {
		uid = int(runAs.Uid)
	}
	entries, _ := os.ReadDir(tmp)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := "hutch-" + strconv.Itoa(uid); len(names) != 1 || names[0] != want {
		t.Errorf("state directories in $TMPDIR: %v, want only %s", names, want)
	}
	if r := hutch("ps"); !strings.Contains(r.stdout, "jcli") {
		t.Errorf("ps does not list the joined sandbox: %s", r)
	}
	if r := hutch("stop", "jcli", "jsrv"); r.code != 0 {
		t.Errorf("stop: %s", r)
	}
}

// Options may follow the sandbox's name; extra words are an error.
func TestNamedCommandsOptionsAfterTheName(t *testing.T) {
	c := newCaller(t)
	c.detach("ij", "sleep", "1000")
	r := c.hutch("ps", "ij", "--json")
	var procs []struct {
		Command string `json:"command"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &procs) != nil || len(procs) == 0 {
		t.Errorf("ps ij --json: %s", r)
	}
	r = c.hutch("inspect", "ij", "--json")
	var in struct {
		Name string `json:"name"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &in) != nil || in.Name != "ij" {
		t.Errorf("inspect ij --json: %s", r)
	}
	for _, args := range [][]string{
		{"ps", "ij", "extra"},
		{"ps", "ij", "--json", "extra"},
		{"inspect", "ij", "extra"},
		{"inspect"},
		{"logs", "ij", "extra"},
	} {
		if r := c.hutch(args...); r.code != 125 || !strings.HasPrefix(r.stderr, "hutch: "+args[0]+": ") || r.stdout != "" {
			t.Errorf("hutch %v: %s", args, r)
		}
	}
}

// inspect --json of an ended sandbox gives empty lists, not null.
func TestInspectExitedSandboxJSON(t *testing.T) {
	c := newCaller(t)
	c.detach("gone", "sh", "-c", "exit 2")
	waitFor(t, "the app to exit", 5*time.Second, func() bool { return c.ps()["gone"].Status == "exited (2)" })
	r := c.hutch("inspect", "--json", "gone")
	var in map[string]json.RawMessage
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &in) != nil {
		t.Fatalf("inspect --json gone: %s", r)
	}
	for _, key := range []string{"mounts", "processes"} {
		if got := string(in[key]); got != "[]" {
			t.Errorf("%s: %s, want []", key, got)
		}
	}
}

// A name of the longest kind under a deep $XDG_RUNTIME_DIR makes a control
// socket path longer than a socket address holds; the sandbox works all
// the same.
func TestLongStatePath(t *testing.T) {
	c := newCaller(t)
	deep := c.runtimeDir
	for i := 0; len(deep) < 120; i++ {
		deep = filepath.Join(deep, "deeper-and-deeper-"+strconv.Itoa(i))
		if err := os.Mkdir(deep, 0o700); err != nil {
			t.Fatal(err)
		}
		c.own(deep)
	}
	c.runtimeDir = deep
	name := strings.Repeat("n", 64)
	c.detach(name, "sleep", "1000")
	if r := c.hutch("exec", name, "echo", "in"); r.code != 0 || strings.TrimSpace(r.stdout) != "in" {
		t.Errorf("exec: %s", r)
	}
	if r := c.hutch("kill", name, "USR1"); r.code != 0 {
		t.Errorf("kill: %s", r)
	}
	waitFor(t, "the app to die of SIGUSR1", 5*time.Second, func() bool { return c.ps()[name].Status == "exited (138)" })
}

// An exec'd process that ends with its sandbox, killed by the kernel with
// the init, reports 128+SIGKILL, as a killed command does.
func TestExecEndsWithTheSandbox(t *testing.T) {
	// With the host's pid namespace the init takes the process along too,
	// as it ends and as stop sweeps the sandbox.
	for i, flags := range [][]string{nil, {"--share-pid"}} {
		t.Run(strings.Join(append([]string{"pid"}, flags...), " "), func(t *testing.T) {
			c := newCaller(t)
			marker := "1000." + strconv.Itoa(os.Getpid()) + "6" + strconv.Itoa(i)
			c.detachWith("ew", flags, "sleep", "1000")
			done := make(chan result, 1)
			go func() { done <- c.hutch("exec", "ew", "sleep", marker) }()
			waitFor(t, "the exec'd process", 5*time.Second, func() bool { return len(sleepsWith(marker)) == 1 })
			if r := c.hutch("stop", "ew"); r.code != 0 {
				t.Fatalf("stop: %s", r)
			}
			if r := <-done; r.code != 137 || r.stderr != "" {
				t.Errorf("exec in a stopped sandbox: %s, want exit 137 and no message", r)
			}
		})
	}
}

// TestDetachedStatusFD gives a detached sandbox a --json-status-fd: hutch
// leaves at once, so the init itself must write the exit code line when
// the app ends, after hutch's start line.
func TestDetachedStatusFD(t *testing.T) {
	c := newCaller(t)
	statusFile := filepath.Join(c.work, "status")
	f, err := os.Create(statusFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c.own(statusFile)
	r := c.runWith(func(cmd *exec.Cmd) { cmd.ExtraFiles = []*os.File{f} },
		"--name", "st", "--detach", "--json-status-fd", "3", "--", "sh", "-c", "sleep 0.2; exit 7")
	if r.code != 0 {
		t.Fatalf("run --detach: %s", r)
	}
	t.Cleanup(func() { c.hutch("stop", "--timeout", "0", "st") })
	var lines []string
	waitFor(t, "the exit code line", 10*time.Second, func() bool {
		b, _ := os.ReadFile(statusFile)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		return len(lines) == 2
	})
	if !strings.Contains(lines[0], `"init_pid"`) || lines[1] != `{"exit_code":7}` {
		t.Errorf("status lines: %q", lines)
	}

	// An app that ignores SIGTERM, killed by stop after its grace period:
	// the exit line still comes.
	f.Truncate(0)
	f.Seek(0, 0)
	r = c.runWith(func(cmd *exec.Cmd) { cmd.ExtraFiles = []*os.File{f} },
		"--name", "deaf", "--detach", "--json-status-fd", "3", "--", "sh", "-c", `trap "" TERM; echo ready; sleep 100`)
	if r.code != 0 {
		t.Fatalf("run --detach: %s", r)
	}
	t.Cleanup(func() { c.hutch("stop", "--timeout", "0", "deaf") })
	waitFor(t, "the app to trap SIGTERM", 10*time.Second, func() bool {
		return strings.Contains(c.hutch("logs", "deaf").stdout, "ready")
	})
	if r := c.hutch("stop", "--timeout", "0.2", "deaf"); r.code != 0 {
		t.Fatalf("stop: %s", r)
	}
	b, _ := os.ReadFile(statusFile)
	if lines = strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || lines[1] != `{"exit_code":137}` {
		t.Errorf("status lines after stop: %q", lines)
	}
}

// TestExecCtrlZStopsTheJob sends SIGTSTP, as a shell's Ctrl-Z does, to
// hutch exec without -t: the exec'd process leads a session of its own
// inside, where the kernel discards SIGTSTP, so hutch must stop it
// another way, stop itself, and start both again on SIGCONT.
func TestExecCtrlZStopsTheJob(t *testing.T) {
	c := newCaller(t)
	c.detach("jobs", "sleep", "1000")
	marker := "exec-ctrl-z-" + strconv.Itoa(os.Getpid())
	cmd := c.command(context.Background(), "exec", "jobs", "--", "sh", "-c", ": "+marker+"; while :; do sleep 0.05; done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	job := waitForShell(t, marker, cmd.Process.Pid)
	stopped := func(pid int) bool { return processState(pid) == "T" }
	cmd.Process.Signal(syscall.SIGTSTP)
	waitFor(t, "the exec'd process and hutch exec to stop", 5*time.Second, func() bool { return stopped(job) && stopped(cmd.Process.Pid) })
	cmd.Process.Signal(syscall.SIGCONT)
	waitFor(t, "both to go on", 5*time.Second, func() bool { return !stopped(job) && !stopped(cmd.Process.Pid) })
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 143 {
		t.Errorf("after SIGTERM: exit %d, want 143", code)
	}
}

// TestControlSocketWantsProof talks to a named sandbox's control socket
// directly, as another sandbox could if it ever reached it: a request
// without a pidfd of the init, or with someone else's, is refused, and
// the command does not run.
func TestControlSocketWantsProof(t *testing.T) {
	c := newCaller(t)
	c.detach("proof", "sleep", "1000")
	sock := filepath.Join(c.runtimeDir, "hutch", "proof", "control.sock")
	own, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		t.Skipf("pidfd_open: %v (needs Linux 5.3)", err)
	}
	defer unix.Close(own)
	marker := filepath.Join(c.work, "ran")
	for name, proof := range map[string][]int{"no proof": nil, "another process's pidfd": {own}} {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Connect(fd, &unix.SockaddrUnix{Name: sock}); err != nil {
			unix.Close(fd)
			t.Fatalf("connect %s: %v", sock, err)
		}
		// A request that is served keeps the connection open while its
		// command runs; the refusal closes it at once.
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5})
		body, _ := json.Marshal(map[string]any{"args": []string{"/bin/touch", marker}, "env": []string{}, "proof": proof != nil})
		frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
		if err := unix.Sendmsg(fd, append(frame, body...), unix.UnixRights(append([]int{0, 1, 2}, proof...)...), nil, 0); err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(os.NewFile(uintptr(fd), "control"))
		if !strings.Contains(string(reply), "does not prove it comes from the host") {
			t.Errorf("%s: the init answered %q", name, reply)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a request without proof ran its command")
	}
}
