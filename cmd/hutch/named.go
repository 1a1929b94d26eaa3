package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/profiles"
	"github.com/hutch-sandbox/hutch/sandbox"
)

func init() {
	var ex struct {
		tty bool
		cwd string
		env []string
	}
	execCmd := &command{
		name:    "exec",
		usage:   "[OPTIONS] NAME [--] CMD [ARGS...]",
		summary: "run a command inside a running named sandbox",
		details: `The command runs in every namespace of the sandbox, as the same user, with
the same capabilities dropped, no_new_privs, seccomp filter, Landlock rules
and environment policy as its app; it shows in 'hutch ps NAME'. Its exit
status is hutch's.`,
		options: []option{
			flag([]string{"--tty", "-t"}, "give the command a terminal (when you have one)", func() { ex.tty = true }),
			value([]string{"--cwd", "-w"}, []string{"DIR"}, "working directory inside (default: the app's at its start)", func(v []string) error { ex.cwd = v[0]; return nil }),
			value([]string{"--env", "-e"}, []string{"VAR=VALUE"}, "set a variable for the command", func(v []string) error {
				name, _, ok := strings.Cut(v[0], "=")
				if !ok || name == "" {
					return fmt.Errorf("want VAR=VALUE, got %q", v[0])
				}
				if err := profiles.CheckEnvName(name); err != nil {
					return fmt.Errorf("%q: %w", v[0], err)
				}
				ex.env = append(ex.env, v[0])
				return nil
			}),
		},
	}
	execCmd.run = func(args []string) int {
		rest, code, ok := parseOrExit(execCmd, args)
		if !ok {
			return code
		}
		if len(rest) == 0 {
			return fail(fmt.Errorf("exec: name a sandbox"))
		}
		name := rest[0]
		// Options may also follow the name, before the command.
		cmd, code, ok := parseOrExit(execCmd, rest[1:])
		if !ok {
			return code
		}
		if len(cmd) == 0 {
			return fail(fmt.Errorf("exec: no command to run in %s", name))
		}
		rec, err := sandbox.Lookup(name)
		if err != nil {
			return fail(err)
		}
		tty := ex.tty && isTerminal(os.Stdin)
		code, err = sandbox.Exec(rec, sandbox.ExecOptions{Args: cmd, Environ: os.Environ(), Env: ex.env, Cwd: ex.cwd, TTY: tty})
		if err != nil {
			return fail(err)
		}
		return code
	}
	register(execCmd)

	var psJSON bool
	psCmd := &command{
		interspersed: true,
		name:         "ps",
		usage:        "[--json] [NAME]",
		summary:      "list named sandboxes, or the processes in one",
		options:      []option{flag([]string{"--json"}, "print JSON", func() { psJSON = true })},
	}
	psCmd.run = func(args []string) int {
		rest, code, ok := parseOrExit(psCmd, args)
		if !ok {
			return code
		}
		switch len(rest) {
		case 0:
			return listSandboxes(psJSON)
		case 1:
			return listProcesses(rest[0], psJSON)
		}
		return fail(fmt.Errorf("ps: unexpected argument %q", rest[1]))
	}
	register(psCmd)

	var inspectJSON bool
	inspectCmd := &command{
		interspersed: true,
		name:         "inspect",
		usage:        "[--json] NAME",
		summary:      "show a named sandbox's namespaces, id maps, mounts and profile",
		options:      []option{flag([]string{"--json"}, "print JSON", func() { inspectJSON = true })},
	}
	inspectCmd.run = func(args []string) int {
		rest, code, ok := parseOrExit(inspectCmd, args)
		if !ok {
			return code
		}
		if len(rest) != 1 {
			return fail(fmt.Errorf("inspect: name one sandbox"))
		}
		return inspect(rest[0], inspectJSON)
	}
	register(inspectCmd)

	timeout := 10 * time.Second
	stopCmd := &command{
		interspersed: true,
		name:         "stop",
		usage:        "[--timeout SECONDS] NAME...",
		summary:      "stop named sandboxes: SIGTERM to the app, SIGKILL to all after a grace period",
		options: []option{value([]string{"--timeout", "-t"}, []string{"SECONDS"}, "grace period before SIGKILL (default 10)", func(v []string) error {
			secs, err := strconv.ParseFloat(v[0], 64)
			// NaN and Inf parse, and a day is more than anyone means.
			if err != nil || !(secs >= 0 && secs <= 86400) {
				return fmt.Errorf("%q is not a number of seconds from 0 to 86400", v[0])
			}
			timeout = time.Duration(secs * float64(time.Second))
			return nil
		})},
	}
	stopCmd.run = func(args []string) int {
		rest, code, ok := parseOrExit(stopCmd, args)
		if !ok {
			return code
		}
		if len(rest) == 0 {
			return fail(fmt.Errorf("stop: name a sandbox"))
		}
		status := 0
		for _, name := range rest {
			if err := stop(name, timeout); err != nil {
				status = fail(err)
			}
		}
		return status
	}
	register(stopCmd)

	killCmd := &command{
		interspersed: true,
		name:         "kill",
		usage:        "[-SIGNAL] NAME [SIGNAL]",
		summary:      "send a signal (default SIGTERM) to a named sandbox's app",
		details:      "SIGNAL is a name (TERM, SIGUSR1, RTMIN+2) or a number, and may come first as kill(1) takes it: hutch kill -9 NAME.",
	}
	killCmd.run = func(args []string) int {
		// kill(1)'s -9 and -KILL, before the options are parsed.
		var dashed []string
		args = slices.DeleteFunc(slices.Clone(args), func(a string) bool {
			if len(a) < 2 || a[0] != '-' || a[1] == '-' || a == "-h" {
				return false
			}
			if _, err := parseSignal(a[1:]); err != nil {
				return false
			}
			dashed = append(dashed, a[1:])
			return true
		})
		rest, code, ok := parseOrExit(killCmd, args)
		if !ok {
			return code
		}
		// -9 with no name must not take the 9 for one (a sandbox named 9).
		if len(dashed) > 0 && len(rest) != 1 {
			return fail(fmt.Errorf("kill: want NAME with -%s, the signal once", dashed[0]))
		}
		rest = append(rest, dashed...)
		if len(rest) < 1 || len(rest) > 2 {
			return fail(fmt.Errorf("kill: want NAME [SIGNAL], the signal once"))
		}
		sig := unix.SIGTERM
		if len(rest) == 2 {
			var err error
			if sig, err = parseSignal(rest[1]); err != nil {
				return fail(err)
			}
		}
		rec, err := sandbox.Lookup(rest[0])
		if err != nil {
			return fail(err)
		}
		if err := rec.Kill(sig); err != nil {
			return fail(err)
		}
		return 0
	}
	register(killCmd)

	var follow bool
	logsCmd := &command{
		interspersed: true,
		name:         "logs",
		usage:        "[-f] NAME",
		summary:      "print what a detached sandbox's app wrote",
		options:      []option{flag([]string{"--follow", "-f"}, "keep printing until the sandbox ends", func() { follow = true })},
	}
	logsCmd.run = func(args []string) int {
		rest, code, ok := parseOrExit(logsCmd, args)
		if !ok {
			return code
		}
		if len(rest) != 1 {
			return fail(fmt.Errorf("logs: name one sandbox"))
		}
		return logs(rest[0], follow)
	}
	register(logsCmd)
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Real-time signals as the C library numbers them: glibc and musl keep
// 32 and 33 for themselves, so SIGRTMIN is 34, as kill(1) and runc say.
const (
	sigRTMin = 34
	sigRTMax = 64
)

// parseSignal accepts a number from 1 to 64, a name with or without SIG
// in any case (TERM, sigusr1), and RTMIN, RTMIN+N, RTMAX and RTMAX-N.
func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("kill: signal %d out of range (1 to 64)", n)
		}
		return syscall.Signal(n), nil
	}
	name := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	for _, rt := range []struct {
		prefix string
		base   int
		sign   int
	}{{"RTMIN", sigRTMin, 1}, {"RTMAX", sigRTMax, -1}} {
		rest, ok := strings.CutPrefix(name, rt.prefix)
		if !ok {
			continue
		}
		n := 0
		if rest != "" {
			op := "+"
			if rt.sign < 0 {
				op = "-"
			}
			digits, ok := strings.CutPrefix(rest, op)
			var err error
			if n, err = strconv.Atoi(digits); !ok || err != nil || n < 0 || digits[0] == '+' || digits[0] == '-' {
				return 0, fmt.Errorf("kill: unknown signal %q (want %s or %s%sN)", s, rt.prefix, rt.prefix, op)
			}
		}
		sig := rt.base + rt.sign*n
		if sig < sigRTMin || sig > sigRTMax {
			return 0, fmt.Errorf("kill: signal %q out of range (RTMIN is %d, RTMAX %d)", s, sigRTMin, sigRTMax)
		}
		return syscall.Signal(sig), nil
	}
	if name != "" {
		if sig := unix.SignalNum("SIG" + name); sig != 0 {
			return sig, nil
		}
	}
	return 0, fmt.Errorf("kill: unknown signal %q", s)
}

func printJSON(v any) int {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fail(err)
	}
	return 0
}

func listSandboxes(asJSON bool) int {
	recs, err := sandbox.List()
	if err != nil {
		return fail(err)
	}
	if asJSON {
		if recs == nil {
			recs = []*sandbox.Record{}
		}
		return printJSON(recs)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tPID\tSTATUS\tUPTIME\tCOMMAND\tPROFILES")
	for _, r := range recs {
		fmt.Fprintln(w, psRow(r))
	}
	w.Flush()
	return 0
}

// psRow is a sandbox's line in hutch ps, tab-separated. A sandbox still
// starting has no init yet: its pid shows as -.
func psRow(r *sandbox.Record) string {
	pid, uptime, cmd, profs := "-", "-", "", ""
	if r.InitPID > 0 {
		pid = strconv.Itoa(r.InitPID)
	}
	if r.Status == "running" {
		uptime = time.Since(r.Started).Truncate(time.Second).String()
	}
	if r.Spec != nil {
		cmd = strings.Join(r.Spec.Process.Args, " ")
		profs = strings.Join(r.Spec.Profiles, ",")
	}
	return strings.Join([]string{r.Name, pid, r.Status, uptime, cmd, profs}, "\t")
}

func listProcesses(name string, asJSON bool) int {
	rec, err := sandbox.Lookup(name)
	if err != nil {
		return fail(err)
	}
	procs, err := rec.Processes()
	if err != nil {
		return fail(err)
	}
	if asJSON {
		if procs == nil {
			procs = []sandbox.SandboxProcess{}
		}
		return printJSON(procs)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PID\tSPID\tUID\tCOMMAND")
	for _, p := range procs {
		fmt.Fprintf(w, "%d\t%d\t%d\t%s\n", p.PID, p.SandboxPID, p.UID, p.Command)
	}
	w.Flush()
	return 0
}

func inspect(name string, asJSON bool) int {
	rec, err := sandbox.Lookup(name)
	if err != nil {
		return fail(err)
	}
	if rec.Status == "starting" {
		return fail(fmt.Errorf("sandbox %s is still starting (hutch pid %d): it has no init, namespaces or mounts to show yet", rec.Name, rec.LauncherPID))
	}
	info, err := rec.Inspect()
	if err != nil {
		return fail(err)
	}
	if asJSON {
		return printJSON(info)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "Name:\t%s\nStatus:\t%s\nInit pid:\t%d\n", rec.Name, rec.Status, rec.InitPID)
	if rec.Spec != nil {
		fmt.Fprintf(w, "Command:\t%s\nProfiles:\t%s\n", strings.Join(rec.Spec.Process.Args, " "), strings.Join(rec.Spec.Profiles, ", "))
	}
	fmt.Fprintf(w, "Started:\t%s\n", rec.Started.Format(time.RFC3339))
	w.Flush()
	fmt.Println("\nNamespaces:")
	w = tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  TYPE\tINODE\tSHARED")
	for _, ns := range info.Namespaces {
		fmt.Fprintf(w, "  %s\t%d\t%s\n", ns.Type, ns.Inode, ns.Shared)
	}
	w.Flush()
	fmt.Printf("\nUID map:\n%s\nGID map:\n%s\n", indent(info.UIDMap), indent(info.GIDMap))
	fmt.Println("\nMounts:")
	for _, m := range info.Mounts {
		fmt.Println("  " + m)
	}
	return 0
}

func stop(name string, timeout time.Duration) error {
	rec, err := sandbox.Lookup(name)
	if err != nil {
		return err
	}
	if err := rec.Stop(timeout); err != nil {
		return err
	}
	return nil
}

func logs(name string, follow bool) int {
	rec, err := sandbox.Lookup(name)
	if err != nil {
		return fail(err)
	}
	f, err := os.Open(rec.LogPath())
	if err != nil {
		return fail(fmt.Errorf("%s has no log: only a detached sandbox keeps one (%w)", name, err))
	}
	defer f.Close()
	for {
		if _, err := io.Copy(os.Stdout, f); err != nil {
			return fail(err)
		}
		if !follow || !rec.Alive() {
			// One more pass catches what was written just before the end.
			io.Copy(os.Stdout, f)
			return 0
		}
		time.Sleep(100 * time.Millisecond)
	}
}
