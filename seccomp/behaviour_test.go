package seccomp

import (
	"sort"
	"strings"
	"syscall"
	"testing"
)

// defaultExpect is what the default filter answers to each probe. "ok" is
// success; "!X" means anything but X and "*" anything at all (the call must
// get through the filter; what the kernel then says depends on privileges
// and configuration).
var defaultExpect = map[string]string{
	"getpid":                 "ok",
	"io_uring_setup":         "EPERM",
	"perf_event_open":        "EPERM",
	"userfaultfd":            "EPERM",
	"keyctl":                 "EPERM",
	"add_key":                "EPERM",
	"bpf":                    "EPERM",
	"ptrace":                 "EPERM",
	"process_vm_readv":       "EPERM",
	"unshare_user":           "EPERM",
	"unshare_time":           "EPERM",
	"clone_newns":            "EPERM",
	"clone_plain":            "EINVAL",
	"clone3":                 "ENOSYS",
	"setns":                  "EPERM",
	"mount":                  "EPERM",
	"umount2":                "EPERM",
	"fsopen":                 "EPERM",
	"open_by_handle_at":      "EPERM",
	"name_to_handle_at":      "EOPNOTSUPP",
	"modify_ldt":             "ENOSYS",
	"statmount":              "ENOSYS",
	"mseal":                  "EINVAL",
	"landlock":               "ok",
	"ioctl_tiocsti":          "EPERM",
	"ioctl_tiocsti_high":     "EPERM",
	"ioctl_tioclinux":        "EPERM",
	"ioctl_fionread":         "EBADF",
	"socket_vsock":           "EAFNOSUPPORT",
	"socket_vsock_high":      "EAFNOSUPPORT",
	"socket_packet":          "EAFNOSUPPORT",
	"socket_alg":             "EAFNOSUPPORT",
	"socket_inet":            "ok",
	"socket_inet6":           "ok",
	"socket_unix":            "ok",
	"socket_netlink":         "ok",
	"socketpair_unix":        "ok",
	"socketpair_vsock":       "EAFNOSUPPORT",
	"connect":                "EBADF",
	"personality_rie":        "EPERM",
	"personality_query":      "ok",
	"personality_query_high": "ok",
	"personality_linux32":    "ok",
	"nr_1000":                "ENOSYS",
	"x32_keyctl":             "EPERM",
	"x32_getpid":             "!EPERM",
	"threads":                "ok",
	"status":                 "NoNewPrivs:1;Seccomp:2",
}

// compatProbes are answered with an errno even under action kill.
var compatProbes = map[string]bool{
	"clone3": true, "name_to_handle_at": true, "statmount": true, "nr_1000": true,
}

func sortedProbes(m map[string]string) []string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func checkResults(t *testing.T, run helperRun, want map[string]string) {
	t.Helper()
	if run.results["install"] != "ok" {
		t.Fatalf("install: %q (stderr %s)", run.results["install"], run.stderr)
	}
	for _, name := range sortedProbes(want) {
		got, ok := run.results[name]
		w := want[name]
		switch {
		case !ok:
			t.Errorf("%s: no result (helper ended: %v, signal %v)", name, run.state, run.signaled())
		case w == "*":
		case strings.HasPrefix(w, "!"):
			if got == w[1:] {
				t.Errorf("%s = %s, want anything else", name, got)
			}
		case got != w:
			t.Errorf("%s = %s, want %s", name, got, w)
		}
	}
}

func TestDefaultFilterBehaviour(t *testing.T) {
	prog := mustCompile(t, Policy{})
	run := runHelper(t, prog, "", sortedProbes(defaultExpect)...)
	checkResults(t, run, defaultExpect)
	if run.state.ExitCode() != 0 {
		t.Errorf("helper exit: %v", run.state)
	}
}

// TestUnfilteredControl shows the probes are able to fail: without a
// filter, the kernel's answers differ from the filter's for the calls
// whose unfiltered answer does not depend on privileges.
func TestUnfilteredControl(t *testing.T) {
	run := runHelper(t, nil, "", sortedProbes(defaultExpect)...)
	t.Logf("unfiltered: %v", run.results)
	for _, name := range []string{"keyctl", "bpf", "ptrace", "unshare_user", "clone_newns", "clone3",
		"setns", "ioctl_tiocsti", "ioctl_tiocsti_high", "ioctl_tioclinux", "personality_rie",
		"x32_keyctl", "statmount", "modify_ldt", "name_to_handle_at", "userfaultfd", "perf_event_open",
		"process_vm_readv", "add_key", "io_uring_setup"} {
		if got := run.results[name]; got == defaultExpect[name] {
			t.Errorf("%s unfiltered = %s, the same as the filter's answer: the probe cannot tell them apart", name, got)
		}
	}
	if got := run.results["status"]; got != "NoNewPrivs:1;Seccomp:0" {
		t.Errorf("status unfiltered = %s", got)
	}
}

// TestKillAction checks each denied probe on its own under action kill:
// the helper must die of SIGSYS at that probe, which proves the filter,
// not the kernel, refused it (EPERM alone would be ambiguous for a caller
// without privileges). Compatibility answers stay errnos.
func TestKillAction(t *testing.T) {
	prog := mustCompile(t, Policy{Action: "kill"})
	var allowed []string
	for _, name := range sortedProbes(defaultExpect) {
		want := defaultExpect[name]
		denied := want == "EPERM" || want == "EAFNOSUPPORT" || want == "EOPNOTSUPP" || want == "ENOSYS"
		if !denied || compatProbes[name] {
			allowed = append(allowed, name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := runHelper(t, prog, "", name)
			if sig := run.signaled(); sig != syscall.SIGSYS {
				t.Errorf("%s: helper ended with %v (results %v), want SIGSYS", name, run.state, run.results)
			}
			if _, ok := run.results[name]; ok {
				t.Errorf("%s returned %s under action kill", name, run.results[name])
			}
		})
	}
	t.Run("allowed", func(t *testing.T) {
		t.Parallel()
		want := map[string]string{}
		for _, name := range allowed {
			want[name] = defaultExpect[name]
		}
		run := runHelper(t, prog, "", allowed...)
		if sig := run.signaled(); sig != 0 {
			t.Fatalf("helper killed by %v after %v", sig, run.order)
		}
		checkResults(t, run, want)
	})
}

func TestLogAction(t *testing.T) {
	prog := mustCompile(t, Policy{Action: "log"})
	run := runHelper(t, prog, "", "keyctl", "clone3", "personality_rie", "getpid")
	checkResults(t, run, map[string]string{
		"keyctl":          "EOPNOTSUPP", // the kernel's answer to a bogus operation
		"clone3":          "EINVAL",
		"personality_rie": "ok",
		"getpid":          "ok",
	})
}

func TestAllowLifts(t *testing.T) {
	cases := []struct {
		name string
		p    Policy
		want map[string]string
	}{
		{"keyctl", Policy{Allow: []string{"keyctl"}}, map[string]string{
			"keyctl": "EOPNOTSUPP", "add_key": "EPERM", "bpf": "EPERM",
		}},
		{"ptrace", Policy{Allow: []string{"ptrace"}}, map[string]string{
			"ptrace": "ESRCH", "process_vm_readv": "EPERM",
		}},
		{"io-uring group", Policy{Allow: []string{"@io-uring"}}, map[string]string{
			"io_uring_setup": "EFAULT", "keyctl": "EPERM",
		}},
		{"ioctl", Policy{Allow: []string{"ioctl"}}, map[string]string{
			"ioctl_tiocsti": "EBADF", "ioctl_tiocsti_high": "EBADF",
		}},
		{"personality", Policy{Allow: []string{"@personality"}}, map[string]string{
			"personality_rie": "ok",
		}},
		{"nested userns", Policy{NestedUserns: true}, map[string]string{
			"unshare_user": "EINVAL", // the kernel: a multi-threaded process cannot
			"clone_newns":  "EINVAL",
			"clone3":       "EINVAL",
			"setns":        "EBADF",
			"keyctl":       "EPERM", "bpf": "EPERM", "io_uring_setup": "EPERM",
			"socket_vsock": "EAFNOSUPPORT",
		}},
		// Under kill, surviving a mount call proves the filter let it
		// through, whatever the kernel then said.
		{"nested userns kill", Policy{NestedUserns: true, Action: "kill"}, map[string]string{
			"mount": "*", "umount2": "*", "fsopen": "*", "unshare_time": "*", "clone_newns": "EINVAL",
		}},
		{"deny network", Policy{Deny: []string{"@network-io"}}, map[string]string{
			"socket_inet": "EACCES", "socket_unix": "EACCES", "socketpair_unix": "EACCES",
			"connect": "EACCES", "getpid": "ok",
		}},
		{"deny network but socketpair", Policy{Deny: []string{"@network-io"}, Allow: []string{"socketpair"}}, map[string]string{
			"socket_unix": "EACCES", "socketpair_unix": "ok",
		}},
		{"deny by name", Policy{Deny: []string{"getpid"}}, map[string]string{
			"getpid": "EPERM",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			prog := mustCompile(t, c.p)
			var names []string
			for n := range c.want {
				names = append(names, n)
			}
			checkResults(t, runHelper(t, prog, "", names...), c.want)
		})
	}
}

// TestNewerThanHutch pretends hutch's table ends at 450 so that a call the
// kernel has (mseal, 462) stands in for one from a future kernel: it must
// get ENOSYS from the filter (the kernel itself says EINVAL to the bogus
// flags), unless the policy allows @unknown.
func TestNewerThanHutch(t *testing.T) {
	for _, c := range []struct {
		allow []string
		want  string
	}{{nil, "ENOSYS"}, {[]string{"@unknown"}, "EINVAL"}} {
		prog, err := compile(Policy{Allow: c.allow}, compileOptions{maxKnown: 450})
		if err != nil {
			t.Fatal(err)
		}
		checkResults(t, runHelper(t, prog, "", "mseal", "getpid", "landlock"),
			map[string]string{"mseal": c.want, "getpid": "ok", "landlock": "ok"})
	}
	// With the real table mseal is known and allowed.
	checkResults(t, runHelper(t, mustCompile(t, Policy{}), "", "mseal"), map[string]string{"mseal": "EINVAL"})
}

func TestBaseNone(t *testing.T) {
	prog := mustCompile(t, Policy{Base: "none", Deny: []string{"getpid"}})
	if prog != nil {
		t.Fatalf("Compile(base none) = %d instructions, want nil", len(prog.Filter))
	}
	if err := prog.Install(); err != nil {
		t.Fatalf("Install(nil): %v", err)
	}
	run := runHelper(t, prog, "", "keyctl", "status")
	checkResults(t, run, map[string]string{"keyctl": "EOPNOTSUPP", "status": "NoNewPrivs:1;Seccomp:0"})
}

func TestInstallNeedsNoNewPrivs(t *testing.T) {
	run := runHelper(t, mustCompile(t, Policy{}), "no-nnp", "getpid")
	if got := run.results["install"]; !strings.Contains(got, "no_new_privs") {
		t.Fatalf("install without no_new_privs: %q, want an error naming no_new_privs", got)
	}
}
