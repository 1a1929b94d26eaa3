package main

import (
	"fmt"
	"strings"

	"github.com/hutch-sandbox/hutch/profiles"
	"github.com/hutch-sandbox/hutch/sandbox"
	"github.com/hutch-sandbox/hutch/seccomp"
)

// explainProfiles prints, in words, what a sandbox built from the profiles
// would see and what it would be denied.
func explainProfiles(loader *profiles.Loader, names []string) int {
	r, err := loader.Resolve(names)
	if err != nil {
		return fail(err)
	}
	spec, err := r.Spec([]string{"CMD"}, sandbox.CurrentCaller(false))
	if err != nil {
		return fail(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Profiles: %s\n", strings.Join(r.Names, ", "))
	fmt.Fprintf(&b, "\nNamespaces (the user namespace is always new and owns the others):\n")
	for _, k := range sandbox.ConfigurableKinds {
		share := spec.Namespaces[k]
		if share == "" {
			share = sandbox.New
		}
		what := map[sandbox.Share]string{sandbox.New: "new", sandbox.Host: "shared with the host"}[share]
		if name, ok := share.Joined(); ok {
			what = "joined from the running sandbox " + name
		}
		fmt.Fprintf(&b, "  %-7s %s\n", k, what)
	}
	fmt.Fprintf(&b, "\nIdentity: uid %d, gid %d inside", spec.Identity.UID, spec.Identity.GID)
	if spec.Identity.Subordinate {
		b.WriteString(" (you on the host); every other id maps to your subordinate ranges, from 0 up")
	}
	b.WriteString("\n\nFile system, built in this order on an empty read-only root:\n")
	if spec.Root != "" {
		rw := "read-only"
		if spec.RootWritable {
			rw = "writable"
		}
		fmt.Fprintf(&b, "  /  is the host folder %s (%s)\n", spec.Root, rw)
	}
	for _, m := range spec.Mounts {
		b.WriteString("  " + describeMount(m) + "\n")
	}
	if !spec.NewShares(sandbox.NSNet) {
		b.WriteString("\nNetwork: the host's network namespace: everything the host reaches\n")
	} else if _, joined := spec.Namespaces[sandbox.NSNet].Joined(); joined {
		b.WriteString("\nNetwork: another sandbox's network namespace\n")
	} else {
		b.WriteString("\nNetwork: none but a private loopback\n")
	}
	if spec.Hostname != "" {
		fmt.Fprintf(&b, "Hostname: %s\n", spec.Hostname)
	}
	if spec.HostMachineID {
		b.WriteString("Machine id: the host's, where a bind shows /etc/machine-id\n")
	} else {
		b.WriteString("Machine id: a random one of its own in /etc/machine-id\n")
	}
	if spec.MonotonicOffset != 0 || spec.BoottimeOffset != 0 {
		fmt.Fprintf(&b, "Clocks: monotonic %+v, boottime %+v\n", spec.MonotonicOffset, spec.BoottimeOffset)
	}
	env := spec.Process.Env
	if env.Clear {
		fmt.Fprintf(&b, "Environment: cleared but for %s\n", strings.Join(env.Keep, " "))
	} else {
		b.WriteString("Environment: yours\n")
	}
	if changes := envChanges(env); changes != "" {
		fmt.Fprintf(&b, "  %s\n", changes)
	}
	for _, l := range spec.Process.Limits {
		fmt.Fprintf(&b, "Limit: %s %s\n", l.Resource, limitText(l))
	}
	caps := "none"
	if len(spec.Security.Capabilities) > 0 {
		caps = strings.Join(spec.Security.Capabilities, " ")
	}
	fmt.Fprintf(&b, "\nCapabilities kept: %s (no_new_privs is always set)\n", caps)
	sc, err := seccomp.Explain(spec.Security.Seccomp)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(&b, "\nSystem calls:\n%s\n", indent(sc))
	fmt.Fprintf(&b, "\nLandlock: %s\n", orDefault(spec.Security.Landlock.Mode, sandbox.LandlockBestEffort))
	fmt.Print(b.String())
	return 0
}

func describeMount(m sandbox.Mount) string {
	opt := ""
	if m.Optional {
		opt = " (if it exists)"
	}
	// landlock = "none" or "ro" makes a mount read-only too, and none
	// also refuses reading its files.
	access := "read-write"
	switch m.Landlock {
	case sandbox.LandlockAccessRO:
		access = "read-only"
	case sandbox.LandlockAccessNone:
		access = "unreadable (Landlock), read-only"
	}
	switch m.Type {
	case sandbox.Bind:
		return fmt.Sprintf("%s  %s from the host's %s%s", m.Target, access, m.Source, opt)
	case sandbox.ROBind:
		if m.Landlock == sandbox.LandlockAccessNone {
			return fmt.Sprintf("%s  %s from the host's %s%s", m.Target, access, m.Source, opt)
		}
		return fmt.Sprintf("%s  read-only from the host's %s%s", m.Target, m.Source, opt)
	case sandbox.DevBind:
		return fmt.Sprintf("%s  from the host's %s, devices usable%s", m.Target, m.Source, opt)
	case sandbox.Tmpfs:
		size := ""
		if m.Size > 0 {
			size = fmt.Sprintf(", %d bytes", m.Size)
		}
		if m.ReadOnly {
			return fmt.Sprintf("%s  empty read-only tmpfs%s", m.Target, size)
		}
		return fmt.Sprintf("%s  empty tmpfs%s", m.Target, size)
	case sandbox.Proc:
		return m.Target + "  the sandbox's own processes"
	case sandbox.Dev:
		return m.Target + "  null zero full random urandom tty, private pts and shm"
	case sandbox.Mqueue:
		return m.Target + "  the sandbox's own message queues"
	case sandbox.Dir:
		return m.Target + "  directory"
	case sandbox.Symlink:
		return fmt.Sprintf("%s -> %s", m.Target, m.Source)
	case sandbox.File:
		return fmt.Sprintf("%s  file of %d bytes", m.Target, len(m.Content))
	}
	return m.Target
}

// envChanges says what the profiles set and unset in the environment,
// or nothing.
func envChanges(env sandbox.Env) string {
	var changes []string
	if len(env.Set) > 0 {
		changes = append(changes, fmt.Sprintf("set %d variable(s)", len(env.Set)))
	}
	if len(env.Unset) > 0 {
		changes = append(changes, "unset "+strings.Join(env.Unset, " "))
	}
	return strings.Join(changes, ", ")
}

func limitText(l sandbox.Rlimit) string {
	v := func(n uint64) string {
		if n == ^uint64(0) {
			return "unlimited"
		}
		return fmt.Sprint(n)
	}
	if l.Soft == l.Hard {
		return v(l.Soft)
	}
	return v(l.Soft) + " (hard " + v(l.Hard) + ")"
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
