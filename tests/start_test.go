package tests

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// initStarts are the two ways hutch starts a sandbox's init: direct, where
// hutch itself, cloned into the namespaces by its C constructor, builds the
// sandbox and serves as its init (anonymous sandboxes with new mount and
// pid namespaces and the caller's ids), or re-executed once the spec is
// known (every other sandbox, and any with HUTCH_DIRECT=0).
var initStarts = []struct {
	name string
	env  []string
}{
	{"direct", nil},
	{"re-executed", []string{"HUTCH_DIRECT=0"}},
}

// TestInitStartsAreEquivalent checks that the app cannot tell how its init
// was started: the same descriptors, session, identity, restrictions and
// exit statuses either way. It also checks that each way is the one taken,
// through the init's command line, which must not show the caller's.
func TestInitStartsAreEquivalent(t *testing.T) {
	for _, start := range initStarts {
		t.Run(start.name, func(t *testing.T) {
			c := newCaller(t)
			c.extraEnv = start.env

			const marker = "hutch-caller-marker"
			r := c.mustRun("--hostname", marker, "--", "cat", "/proc/1/cmdline")
			words := strings.Split(strings.TrimRight(r.stdout, "\x00"), "\x00")
			if strings.Contains(r.stdout, marker) || strings.Contains(r.stdout, "run") {
				t.Errorf("the init's command line shows the caller's: %q", words)
			}
			rest := strings.Join(words[1:], "")
			switch start.name {
			case "direct":
				if rest != "" {
					t.Errorf("the init was not started directly: its command line is %q", words)
				}
			case "re-executed":
				if !slices.Contains(words, "__hutch_init") {
					t.Errorf("the init was not re-executed: its command line is %q", words)
				}
			}

			r = c.runWith(c.leakingFDs(), append([]string{"--keep-fd", "7"}, probe("fds")...)...)
			var fds []string
			for _, l := range lines(r.stdout) {
				fds = append(fds, strings.Fields(l)[0])
			}
			if r.code != 0 || !slices.Equal(fds, []string{"0", "1", "2", "7"}) {
				t.Errorf("descriptors inside with --keep-fd 7: %v\n%s", fds, r)
			}

			// Field 6 of stat is the session: the init's own (pid 1 inside)
			// when the app gets a new session, as by default.
			r = c.mustRun("sh", "-c", `read -r pid comm state ppid pgrp session rest < /proc/self/stat; echo "$session"`)
			if got := strings.TrimSpace(r.stdout); got != "1" {
				t.Errorf("the app's session is %s, want the init's (1)", got)
			}

			status := map[string]string{}
			for _, l := range lines(c.mustRun("--uid", "0", "--", "cat", "/proc/self/status").stdout) {
				k, v, _ := strings.Cut(l, ":")
				status[k] = strings.TrimSpace(v)
			}
			for key, want := range map[string]string{
				"Uid": "0\t0\t0\t0", "CapEff": "0000000000000000", "CapPrm": "0000000000000000",
				"CapBnd": "0000000000000000", "NoNewPrivs": "1", "Seccomp": "2",
			} {
				if status[key] != want {
					t.Errorf("%s: %q, want %q", key, status[key], want)
				}
			}

			// The app's signals are the caller's, whether the init forks
			// the app or becomes it: the mask, and what the caller
			// ignored (as nohup does) still ignored, nothing else; HUP
			// and TERM are relayed by the init, TTOU the Go runtime
			// leaves alone. The
			// caller here may ignore more than it asked: GNU make starts
			// its recipes with posix_spawn, which leaves glibc's signals
			// 32 and 33 ignored.
			for _, trap := range []string{"", "HUP TERM TTOU"} {
				prepare := func(*exec.Cmd) {}
				if trap != "" {
					prepare = ignoringSignals(trap)
				}
				want := signalState(t, withoutHutch(c, prepare, "cat", "/proc/self/status"))
				for _, pid1 := range []bool{false, true} {
					args := []string{"--", "cat", "/proc/self/status"}
					if pid1 {
						args = append([]string{"--as-pid-1"}, args...)
					}
					r := c.runWith(prepare, args...)
					if got := signalState(t, r.stdout); got != want {
						t.Errorf("as PID 1 %v, caller ignoring %q: the app's %s, without hutch %s\n%s", pid1, trap, got, want, r)
					}
				}
			}

			for _, tc := range []struct {
				args []string
				want int
			}{
				{[]string{"sh", "-c", "exit 42"}, 42},
				{[]string{"sh", "-c", "kill -9 $$"}, 137},
				{[]string{"/nonexistent/command"}, 127},
				{[]string{"/etc/hostname"}, 126},
				{[]string{"--as-pid-1", "--", "sh", "-c", `test $$ = 1 && exit 5`}, 5},
				// stdio must survive the init's own exec into the app
				{[]string{"--as-pid-1", "--", "sh", "-c", `echo $$ && exit 6`}, 6},
			} {
				if r := c.run(tc.args...); r.code != tc.want {
					t.Errorf("%v: %s\nwant exit %d", tc.args, r, tc.want)
				}
			}
		})
	}
}

// ignoringSignals returns a preparation that starts hutch from a shell
// that ignores the signals named, as nohup or a shell's empty trap leave
// them for the commands they start.
func ignoringSignals(names string) func(*exec.Cmd) {
	return func(cmd *exec.Cmd) {
		cmd.Args = append([]string{"/bin/sh", "-c", "trap '' " + names + `; exec "$0" "$@"`}, cmd.Args...)
		cmd.Path = "/bin/sh"
	}
}

// withoutHutch runs args as hutch would be run, prepared the same way,
// and returns the output.
func withoutHutch(c *caller, prepare func(*exec.Cmd), args ...string) string {
	c.t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = c.environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: runAs}
	prepare(cmd)
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("%v: %v", cmd.Args, err)
	}
	return string(out)
}

// signalState is the blocked and ignored signals of /proc/PID/status.
func signalState(t *testing.T, status string) string {
	t.Helper()
	var state []string
	for _, l := range lines(status) {
		if strings.HasPrefix(l, "SigBlk:") || strings.HasPrefix(l, "SigIgn:") {
			state = append(state, strings.Join(strings.Fields(l), " "))
		}
	}
	if len(state) != 2 {
		t.Fatalf("no SigBlk and SigIgn in %q", status)
	}
	return strings.Join(state, ", ")
}

// TestKeptFDAfterMisleadingValues keeps a descriptor named after option
// values that look like the end of the options or like -p: the direct
// start's scan of the command line in C, which does not know each
// option's arguments, must not lose it.
func TestKeptFDAfterMisleadingValues(t *testing.T) {
	for _, args := range [][]string{
		{"--setenv", "SEP", "--", "--keep-fd", "7"},
		{"--setenv", "FLAGS", "-p", "--keep-fd", "7"},
		{"--setenv", "SEP", "--", "--json-status-fd", "6", "--keep-fd", "7"},
	} {
		c := newCaller(t)
		r := c.runWith(c.leakingFDs(), append(args, "--", "sh", "-c", "test -e /proc/self/fd/7 && echo kept")...)
		if r.code != 0 || strings.TrimSpace(r.stdout) != "kept" {
			t.Errorf("%v: %s", args, r)
		}
	}
}

// initCommandLine runs a sandbox with args and returns the words of its
// init's command line.
func initCommandLine(c *caller, args ...string) []string {
	c.t.Helper()
	r := c.mustRun(append(args, "--", "cat", "/proc/1/cmdline")...)
	return strings.Split(strings.TrimRight(r.stdout, "\x00"), "\x00")
}

// TestDirectStartWithSharedNamespaces checks that a sandbox sharing one of
// the host's namespaces gets exactly that one from the host, and which
// start serves it: a direct start clones every namespace but time new
// before any thread exists, so only a shared time namespace keeps it; a
// profile that shares another one (asked on the command line or only in
// a profile) needs the usual start.
func TestDirectStartWithSharedNamespaces(t *testing.T) {
	c := newCaller(t)
	host := hostNamespaces(t)
	for _, kind := range []string{"net", "ipc", "uts", "cgroup", "time", "pid"} {
		flag := "--share-" + kind
		ns := fields(c.mustRun(append([]string{flag}, probe("ns")...)...).stdout)
		if ns[kind] != host[kind] {
			t.Errorf("%s: the %s namespace is %s, the host's is %s", flag, kind, ns[kind], host[kind])
		}
		for _, other := range []string{"net", "ipc", "uts", "cgroup", "mnt", "user"} {
			if other != kind && ns[other] == host[other] {
				t.Errorf("%s: the %s namespace is the host's", flag, other)
			}
		}
		direct := len(initCommandLine(c, flag)) == 1
		if direct != (kind == "time") {
			t.Errorf("%s: started directly: %v, want %v", flag, direct, kind == "time")
		}
	}
	p := c.profile("share-net.toml", "extends = [\"default\"]\n[namespaces]\nnet = false\n")
	if words := initCommandLine(c, "--profile", p); !slices.Contains(words, "__hutch_init") {
		t.Errorf("a profile sharing the network did not fall back to the usual start: the init's command line is %q", words)
	}
}

// TestInitThreadsShowNoHostNetwork reads the network devices every thread
// of the init sees, through /proc/1/task/TID/net, which needs no ptrace
// access: none may be the host's.
func TestInitThreadsShowNoHostNetwork(t *testing.T) {
	hostDevs, err := os.ReadFile("/proc/net/dev")
	if err != nil || !strings.Contains(string(hostDevs[strings.Index(string(hostDevs), "\n")+1:]), ":") {
		t.Fatalf("reading the host's network devices: %v", err)
	}
	var hostOnly []string
	for _, l := range lines(string(hostDevs))[2:] {
		if dev, _, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(dev) != "lo" {
			hostOnly = append(hostOnly, strings.TrimSpace(dev)+":")
		}
	}
	if len(hostOnly) == 0 {
		t.Skip("the host has no network device but lo, so a leak would not show")
	}
	for _, start := range initStarts {
		t.Run(start.name, func(t *testing.T) {
			c := newCaller(t)
			c.extraEnv = start.env
			r := c.mustRun("sh", "-c", "ls /proc/1/task | wc -l; cat /proc/1/task/*/net/dev")
			for _, dev := range hostOnly {
				if strings.Contains(r.stdout, dev) {
					t.Errorf("a thread of the init shows the host's %s\n%s", dev, r.stdout)
				}
			}
		})
	}
}

// TestDirectStartFallsBack gives hutch specs that only the resolved
// profile shows to need the usual start: the direct child must give way
// before it writes a word, so the app runs once and every message shows
// once.
func TestDirectStartFallsBack(t *testing.T) {
	c := newCaller(t)
	for _, tc := range []struct {
		name, profile string
		check         []string
		want          string
	}{
		{"another uid", "extends = [\"default\"]\n[identity]\nuid = 0\ngid = 0\n", []string{"id", "-u"}, "0"},
		{"shared pid namespace", "extends = [\"default\"]\n[namespaces]\npid = false\n", []string{"sh", "-c", "test $$ != 1 && echo shared"}, "shared"},
		// no mounts: they would need a mount namespace of its own
		{"shared mount namespace", "[namespaces]\nmount = false\n", []string{"sh", "-c", "echo once"}, "once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := c.profile("fallback.toml", tc.profile+"[seccomp]\nprofile = \"none\"\n")
			r := c.run(append([]string{"--profile", p, "--"}, tc.check...)...)
			if r.code != 0 || strings.TrimSpace(r.stdout) != tc.want {
				t.Fatalf("want exit 0 and output %q:\n%s", tc.want, r)
			}
			if n := strings.Count(r.stderr, "system call filter is off"); n != 1 {
				t.Errorf("the seccomp warning shows %d times, want once:\n%s", n, r.stderr)
			}
		})
	}
	if words := initCommandLine(c, "--profile", c.profile("uid0.toml", "extends = [\"default\"]\n[identity]\nuid = 0\n")); !slices.Contains(words, "__hutch_init") {
		t.Errorf("a profile asking for uid 0 did not fall back to the usual start: the init's command line is %q", words)
	}
	// Errors come from the direct child itself, once.
	r := c.run("--bind", "/nonexistent/source", "/x", "--", "true")
	if r.code != 125 || strings.Count(r.stderr, "/nonexistent/source") != 1 {
		t.Errorf("a missing bind source: want exit 125 and one message naming it:\n%s", r)
	}
}

// TestSignalRelayByStart sends SIGINT and then SIGTERM to hutch. With a
// session of its own the app has no terminal, so hutch relays both; with
// the terminal's session shared, the terminal sends SIGINT to the app
// itself and hutch must not relay it a second time.
func TestSignalRelayByStart(t *testing.T) {
	for _, start := range initStarts {
		for _, session := range []struct {
			name, profile, want string
		}{
			{"new session", "", "got-int got-term"},
			{"shared session", "[process]\nnew_session = false\n", "got-term"},
		} {
			t.Run(start.name+"/"+session.name, func(t *testing.T) {
				c := newCaller(t)
				c.extraEnv = start.env
				p := c.profile("session.toml", "extends = [\"default\"]\n"+session.profile)
				cmd, out := c.startHutch("--profile", p, "--", "sh", "-c",
					`trap 'echo got-int' INT; trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done`)
				cmd.Process.Signal(syscall.SIGINT)
				time.Sleep(300 * time.Millisecond) // SIGINT goes first, or not at all
				cmd.Process.Signal(syscall.SIGTERM)
				rest, _ := io.ReadAll(out)
				err := cmd.Wait()
				code := cmd.ProcessState.ExitCode()
				if got := strings.Join(strings.Fields(string(rest)), " "); got != session.want || code != 7 {
					t.Errorf("exit %d (%v), output %q; want 7 and %q", code, err, got, session.want)
				}
			})
		}
	}
}

// TestAppExitEndsTheSandbox checks that once hutch returns with the app's
// status, no process of the sandbox is left: not a background child, not
// an orphan of a subshell, not one that ignores SIGTERM and SIGHUP. A
// direct start's init reports the status before it exits itself, so it
// must kill and reap them first; the check comes straight after hutch
// returns, before the kernel would have done it.
func TestAppExitEndsTheSandbox(t *testing.T) {
	starts := append(initStarts, struct {
		name string
		env  []string
	}{"shared pid namespace", nil})
	for _, start := range starts {
		t.Run(start.name, func(t *testing.T) {
			c := newCaller(t)
			c.extraEnv = start.env
			var share []string
			if start.name == "shared pid namespace" {
				share = []string{"--share-pid", "--"}
			}
			marker := "1000." + strconv.Itoa(os.Getpid()) + strconv.Itoa(len(start.name))
			cmd, _, stdin := c.startHutchWithInput(append(share, "sh", "-c", "sleep "+marker+" & ( trap '' TERM HUP; sleep "+marker+" & ); "+
				"sleep "+marker+" </dev/null >/dev/null 2>&1 & echo ready; read -r line; exit 9")...)
			var pids []int
			waitFor(t, "the background processes", 5*time.Second, func() bool {
				pids = processesWith("sleep\x00" + marker)
				return len(pids) == 3
			})
			stdin.Close()
			cmd.Wait()
			var alive []int
			for _, pid := range pids {
				if syscall.Kill(pid, 0) != syscall.ESRCH {
					alive = append(alive, pid)
				}
			}
			if code := cmd.ProcessState.ExitCode(); code != 9 {
				t.Errorf("exit %d, want 9", code)
			}
			if len(alive) != 0 {
				t.Errorf("processes of the sandbox still there after hutch returned: %v of %v", alive, pids)
			}
		})
	}
}

// TestCtrlCReachesTheAppOnce types Ctrl-C three times on hutch's terminal.
// With a session of its own the app hears of each only through hutch's
// relay; with the terminal's session shared it is in the terminal's
// foreground group and gets the terminal's own SIGINT, which neither hutch
// nor the init may relay a second time. (Two copies that arrive before
// the app takes the first count as one, so a single Ctrl-C could hide a
// double relay; three rarely all do.)
func TestCtrlCReachesTheAppOnce(t *testing.T) {
	for _, start := range initStarts {
		for _, session := range []string{"--new-session", "--share-session"} {
			t.Run(start.name+"/"+session, func(t *testing.T) {
				c := newCaller(t)
				c.extraEnv = start.env
				master, slave := openPTY(t)
				cmd := c.command(context.Background(), append([]string{"run", session}, probe("sigint")...)...)
				cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
				cmd.SysProcAttr.Setsid = true
				cmd.SysProcAttr.Setctty = true
				cmd.SysProcAttr.Ctty = 0
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
				// A sandbox that never prints must fail the test, not hang it.
				if err := master.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
					t.Fatal(err)
				}
				out := bufio.NewReader(master)
				var got []string
				for {
					line, err := out.ReadString('\n')
					if err != nil {
						t.Fatalf("reading the terminal: %v (so far %q)", err, got)
					}
					line = strings.TrimSpace(line)
					got = append(got, line)
					if strings.HasSuffix(line, "ready") {
						go func() {
							for range 3 {
								master.Write([]byte{3}) // Ctrl-C
								time.Sleep(150 * time.Millisecond)
							}
						}()
					}
					if i := strings.Index(line, "count "); i >= 0 {
						if n := line[i+len("count "):]; n != "3" {
							t.Errorf("three Ctrl-Cs reached the app as %s SIGINTs", n)
						}
						return
					}
				}
			})
		}
	}
}

// TestCtrlZStopsTheApp checks job control with the app in a session of its
// own, where no terminal reaches it: SIGTSTP to hutch (a shell's Ctrl-Z
// reaches hutch only) stops the app and hutch, and the shell's SIGCONT to
// hutch starts both again. An app run as PID 1, for which the kernel
// drops a SIGTSTP it does not handle, stops all the same.
func TestCtrlZStopsTheApp(t *testing.T) {
	for _, start := range initStarts {
		for _, asPID1 := range []bool{false, true} {
			name := start.name + map[bool]string{false: "", true: "-as-pid-1"}[asPID1]
			t.Run(name, func(t *testing.T) {
				c := newCaller(t)
				c.extraEnv = start.env
				marker := "ctrl-z-" + strconv.Itoa(os.Getpid()) + "-" + name
				child := "1000." + strconv.Itoa(os.Getpid()) + strconv.Itoa(len(name))
				args := []string{"sh", "-c", ": " + marker + "; trap 'exit 143' TERM; echo ready; sleep " + child + " & while :; do sleep 0.05; done"}
				if asPID1 {
					args = append([]string{"--as-pid-1", "--"}, args...)
				}
				cmd, _ := c.startHutch(args...)
				var app int
				if asPID1 {
					// The app's parent is hutch, whose command line holds
					// the marker too.
					waitFor(t, "the app", 5*time.Second, func() bool {
						for _, pid := range processesWith(marker) {
							if pid != cmd.Process.Pid && strings.HasPrefix(commandOf(pid), "sh ") {
								app = pid
							}
						}
						return app != 0
					})
				} else {
					app = waitForShell(t, marker, cmd.Process.Pid)
				}
				var sleeper int
				waitFor(t, "the app's child", 5*time.Second, func() bool {
					pids := processesWith("sleep\x00" + child)
					if len(pids) == 1 {
						sleeper = pids[0]
					}
					return sleeper != 0
				})
				// The whole job stops and goes on, as a terminal's would: the
				// app's children too.
				stopped := func(pid int) bool { return processState(pid) == "T" }
				cmd.Process.Signal(syscall.SIGTSTP)
				t.Cleanup(func() {
					if t.Failed() {
						t.Logf("states: app %s, child %s, hutch %s", processState(app), processState(sleeper), processState(cmd.Process.Pid))
					}
				})
				waitFor(t, "the app, its child and hutch to stop", 5*time.Second, func() bool {
					return stopped(app) && stopped(sleeper) && stopped(cmd.Process.Pid)
				})
				cmd.Process.Signal(syscall.SIGCONT)
				waitFor(t, "the app, its child and hutch to go on", 5*time.Second, func() bool {
					return !stopped(app) && !stopped(sleeper) && !stopped(cmd.Process.Pid)
				})
				cmd.Process.Signal(syscall.SIGTERM)
				cmd.Wait()
				if code := cmd.ProcessState.ExitCode(); code != 143 {
					t.Errorf("after SIGTERM: exit %d, want 143", code)
				}
			})
		}
	}
}

// waitForShell finds the host pid of the shell whose script holds marker,
// other than launcher (hutch itself, whose command line holds it too):
// the one whose parent does not hold the marker, since a child the shell
// forks shows the script until it executes.
func waitForShell(t *testing.T, marker string, launcher int) int {
	t.Helper()
	var shell int
	waitFor(t, "the shell", 5*time.Second, func() bool {
		pids := processesWith(marker)
		for _, pid := range pids {
			if pid != launcher && processState(pid) != "" && !slices.Contains(pids, parentPID(pid)) {
				shell = pid
			}
		}
		return shell != 0
	})
	return shell
}

// parentPID is the parent of a host process, or 0 when it is gone.
func parentPID(pid int) int {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := strings.LastIndexByte(string(stat), ')')
	if err != nil || i < 0 {
		return 0
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// processState is the state letter of a host process (R, S, T, Z, ...), or
// "" when it is gone.
func processState(pid int) string {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := strings.LastIndexByte(string(stat), ')')
	if err != nil || i < 0 || len(stat) < i+3 {
		return ""
	}
	return string(stat[i+2])
}

// TestCallerFilesReadAsTheCaller shuts the caller out of a profile and a
// bind source of its own (mode 000, as chmod would): either start must
// refuse them as the caller's own open would, although a direct start's
// init holds every capability in its user namespace, where the caller's
// files are its own.
func TestCallerFilesReadAsTheCaller(t *testing.T) {
	for _, start := range initStarts {
		t.Run(start.name, func(t *testing.T) {
			c := newCaller(t)
			c.extraEnv = start.env
			p := c.profile("shut.toml", "extends = [\"default\"]\n")
			locked := filepath.Join(c.work, "locked")
			if err := os.MkdirAll(filepath.Join(locked, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			c.writeFile(filepath.Join(locked, "sub", "f"), "secret\n", 0o644)
			c.own(filepath.Join(locked, "sub"))
			c.own(locked)
			for _, f := range []string{p, locked} {
				if err := os.Chmod(f, 0); err != nil {
					t.Fatal(err)
				}
			}
			for _, args := range [][]string{
				{"--profile", p, "--", "true"},
				{"--ro-bind", filepath.Join(locked, "sub"), "/x", "--", "cat", "/x/f"},
			} {
				r := c.run(args...)
				if r.code != 125 || !strings.Contains(r.stderr, "permission denied") {
					t.Errorf("%v: want exit 125 and permission denied\n%s", args, r)
				}
			}
		})
	}
}

// TestFallBackLeavesNoZombie starts a sandbox that needs the usual start
// only its profile shows: the direct child gives way and exits, and
// hutch, which no longer waits for it on the spot, must still reap it
// once the sandbox runs.
func TestFallBackLeavesNoZombie(t *testing.T) {
	c := newCaller(t)
	p := c.profile("shares-net.toml", "extends = [\"default\"]\n[namespaces]\nnet = false\n")
	cmd, _ := c.startHutch("--profile", p, "--", "sh", "-c", "echo ready; sleep 5")
	childrenFile := fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid)
	if _, err := os.ReadFile(childrenFile); err != nil {
		t.Skipf("cannot list hutch's children (%v): needs CONFIG_PROC_CHILDREN", err)
	}
	zombies := func() (found []string) {
		children, _ := os.ReadFile(childrenFile)
		for _, f := range strings.Fields(string(children)) {
			if pid, _ := strconv.Atoi(f); processState(pid) == "Z" {
				found = append(found, f)
			}
		}
		return found
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(zombies()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if z := zombies(); len(z) > 0 {
		t.Errorf("hutch keeps zombie children %v: the direct child that fell back", z)
	}
}

// TestInitHeapOnHugePages checks that a running init, however started,
// asked for transparent huge pages on the start of its Go heap: the runtime
// faults in some 180 pages of heap before main, and at 10 µs a fault on
// the development VM that was the largest cost of a start after the
// runtime itself. The advice shows as "hg" in the mapping's VmFlags.
func TestInitHeapOnHugePages(t *testing.T) {
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage"); err != nil {
		t.Skip("kernel without transparent huge pages (no /sys/kernel/mm/transparent_hugepage)")
	}
	for _, start := range initStarts {
		t.Run(start.name, func(t *testing.T) {
			c := newCaller(t)
			c.extraEnv = start.env
			cmd, _ := c.startHutch("--", "sh", "-c", "echo ready; sleep 30")
			children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
			if err != nil {
				t.Skipf("cannot list hutch's children (%v): needs CONFIG_PROC_CHILDREN", err)
			}
			initPID, _ := strconv.Atoi(strings.TrimSpace(string(children)))
			smaps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", initPID))
			if err != nil {
				t.Fatalf("the init's mappings (pid %d): %v", initPID, err)
			}
			advised := 0
			for _, l := range lines(string(smaps)) {
				if rest, ok := strings.CutPrefix(l, "VmFlags:"); ok && slices.Contains(strings.Fields(rest), "hg") {
					advised++
				}
			}
			if advised == 0 {
				t.Errorf("no mapping of the init (pid %d) has VmFlags hg: its heap was not offered huge pages", initPID)
			}
		})
	}
}

// TestIgnoredContAndChld starts hutch from a caller that ignores SIGCONT,
// then SIGCHLD: the relayed SIGCONT must still resume the app after a
// SIGTSTP (it resumes even a process that ignores it), and hutch must see
// its init end though the kernel would reap an ignored child unseen.
func TestIgnoredContAndChld(t *testing.T) {
	for _, start := range initStarts {
		t.Run(start.name, func(t *testing.T) {
			c := newCaller(t)
			c.extraEnv = start.env
			cmd := c.command(context.Background(), "run", "--", "sh", "-c",
				"echo ready; i=0; while [ $i -lt 20 ]; do sleep 0.05; i=$((i+1)); done; echo finished")
			ignoringSignals("CONT")(cmd)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			r := bufio.NewReader(out)
			if line, _ := r.ReadString('\n'); strings.TrimSpace(line) != "ready" {
				t.Fatalf("first line %q", line)
			}
			cmd.Process.Signal(syscall.SIGTSTP)
			time.Sleep(300 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGCONT)
			done := make(chan string, 1)
			go func() { rest, _ := io.ReadAll(r); done <- string(rest) }()
			select {
			case rest := <-done:
				if strings.TrimSpace(rest) != "finished" {
					t.Errorf("after SIGTSTP and SIGCONT: %q", rest)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the app did not resume after SIGCONT")
			}

			if r := c.runWith(ignoringSignals("CHLD"), "--as-pid-1", "--", "true"); r.code != 0 {
				t.Errorf("--as-pid-1 with SIGCHLD ignored: %s", r)
			}
		})
	}
}
