package tests

import (
	"slices"
	"strings"
	"testing"
)

// initStarts are the two ways hutch starts a sandbox's init: prespawned by
// the C constructor while hutch parses its profiles (anonymous sandboxes
// with the default namespaces), or re-executed once the spec is known
// (every other sandbox, and any with HUTCH_PRESPAWN=0).
var initStarts = []struct {
	name string
	env  []string
}{
	{"prespawned", nil},
	{"re-executed", []string{"HUTCH_PRESPAWN=0"}},
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
			case "prespawned":
				if rest != "" {
					t.Errorf("the init was not prespawned: its command line is %q", words)
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

// TestPrespawnedInitServesOnlyItsNamespaces runs sandboxes whose
// namespaces differ from the prespawned init's; hutch must discard it and
// start one with the namespaces asked for.
func TestPrespawnedInitServesOnlyItsNamespaces(t *testing.T) {
	c := newCaller(t)
	host := hostNamespaces(t)
	for _, kind := range []string{"net", "ipc", "uts", "cgroup", "pid"} {
		ns := fields(c.mustRun(append([]string{"--share-" + kind}, probe("ns")...)...).stdout)
		if ns[kind] != host[kind] {
			t.Errorf("--share-%s: the %s namespace is %s, the host's is %s", kind, kind, ns[kind], host[kind])
		}
	}
}
