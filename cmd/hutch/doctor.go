package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hutch-sandbox/hutch/sandbox"
)

func init() {
	var asJSON bool
	doctorCmd := &command{
		interspersed: true,
		name:         "doctor",
		usage:        "[--json]",
		summary:      "check what this host lets you sandbox, and how to fix what it does not",
		details: `Each check prints one line: ok, warn (a profile may need it), fail (the
default profile cannot run here) or info, and a fix where it is not ok.
Checks: the kernel; user namespaces, tried for real for each of the eight
kinds, and why they are refused (sysctls, AppArmor's restriction, seccomp
filters of a container); user.max_user_namespaces; the time namespace;
newuidmap and newgidmap and your ranges in /etc/subuid and /etc/subgid;
cgroup v2 and the subtree delegated to you; the Landlock ABI; seccomp and
the linked libseccomp's version; pasta and slirp4netns.

Run it as the user who will run sandboxes: root passes checks that others
fail. The exit status is 0 when no check failed and 1 when one did.`,
		options: []option{flag([]string{"--json"}, `print {"checks":[{"name","status","detail","fix"}]}`, func() { asJSON = true })},
	}
	doctorCmd.run = func(args []string) int {
		rest, code, ok := parseOrExit(doctorCmd, args)
		if !ok {
			return code
		}
		if len(rest) > 0 {
			return fail(fmt.Errorf("doctor: unexpected argument %q", rest[0]))
		}
		checks := sandbox.CheckHost()
		if asJSON {
			if code := printJSON(struct {
				Checks []sandbox.HostCheck `json:"checks"`
			}{checks}); code != 0 {
				return code
			}
		} else {
			printChecks(os.Stdout, checks)
		}
		for _, c := range checks {
			if c.Status == sandbox.CheckFail {
				return 1
			}
		}
		return 0
	}
	register(doctorCmd)
}

// printChecks writes one aligned line per check, with the fix on a line of
// its own beneath so that a long detail does not bury it, and a tally at
// the end so that a long report still answers "does it work?" at a glance.
func printChecks(w io.Writer, checks []sandbox.HostCheck) {
	width := 0
	for _, c := range checks {
		width = max(width, len(c.Name))
	}
	indent := strings.Repeat(" ", width+8)
	var failed, warned int
	for _, c := range checks {
		fmt.Fprintf(w, "%-*s  %-4s  %s\n", width, c.Name, c.Status, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(w, "%sfix: %s\n", indent, c.Fix)
		}
		switch c.Status {
		case sandbox.CheckFail:
			failed++
		case sandbox.CheckWarn:
			warned++
		}
	}
	switch {
	case failed > 0:
		fmt.Fprintf(w, "\n%d failed, %d warning(s): the default profile will not run here until the failures are fixed\n", failed, warned)
	case warned > 0:
		fmt.Fprintf(w, "\nno failures, %d warning(s): sandboxes run, some profile features may not\n", warned)
	default:
		fmt.Fprintln(w, "\nall checks passed")
	}
}
