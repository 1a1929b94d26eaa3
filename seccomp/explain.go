package seccomp

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Explain describes in words what a policy denies and how: per group the
// calls and their errno (or kill/log), the argument rules, the answer for
// numbers newer than hutch, and what the profile lifted.
func Explain(p Policy) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	if p.Base == "none" {
		b.WriteString("seccomp: no filter (base \"none\"): every system call is allowed")
		if len(p.Allow)+len(p.Deny) > 0 || p.NestedUserns {
			b.WriteString("; allow, deny and nested_userns are ignored")
		}
		b.WriteString(".\n")
		return b.String(), nil
	}
	rs := resolve(p)
	c := compiler{action: p.Action}

	b.WriteString("seccomp: default filter on x86-64, i386 (int $0x80) and x32; other architectures are killed.\n")
	switch p.Action {
	case "kill":
		b.WriteString("Action kill: a denied call kills the process (SIGSYS), except the compatibility answers marked \"compat\", which stay errnos so that programs fall back.\n")
	case "log":
		b.WriteString("Action log: nothing is enforced; calls the filter would deny are allowed and logged by the kernel.\n")
	default:
		b.WriteString("A denied call fails with the errno shown.\n")
	}

	// Collect rules by origin, in group table order, then names.
	type line struct{ origin, text string }
	var plain, args []line
	byOrigin := map[string][]rule{}
	for _, name := range rs.names() {
		for _, r := range rs.rules[name] {
			byOrigin[r.origin] = append(byOrigin[r.origin], r)
		}
	}
	var origins []string
	for _, g := range groups {
		if _, ok := byOrigin[g.Name]; ok {
			origins = append(origins, g.Name)
		}
	}
	if _, ok := byOrigin[""]; ok {
		origins = append(origins, "")
	}
	for _, o := range origins {
		label := o
		if o == "" {
			label = "deny (by name)"
		}
		// Outright denials, grouped by what they answer.
		var answers []string
		calls := map[string][]string{}
		for _, r := range byOrigin[o] {
			if r.args != nil {
				args = append(args, line{label, fmt.Sprintf("%s: %s -> %s", r.syscall, r.args.Doc, c.describe(r))})
				continue
			}
			a := c.describe(r)
			if _, ok := calls[a]; !ok {
				answers = append(answers, a)
			}
			calls[a] = append(calls[a], r.syscall+absentNote(r.syscall))
		}
		sort.Strings(answers)
		var parts []string
		for _, a := range answers {
			parts = append(parts, strings.Join(calls[a], " ")+" -> "+a)
		}
		if len(parts) > 0 {
			plain = append(plain, line{label, strings.Join(parts, "; ")})
		}
	}
	width := 0
	for _, l := range append(slices.Clone(plain), args...) {
		width = max(width, len(l.origin))
	}
	if len(plain) > 0 {
		b.WriteString("\nDenied:\n")
		for _, l := range plain {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, l.origin, l.text)
		}
	}
	if len(args) > 0 {
		b.WriteString("\nDenied for some arguments only:\n")
		for _, l := range args {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, l.origin, l.text)
		}
	}
	if len(rs.rules["socketcall"]) == 0 && (len(rs.rules["socket"]) > 0 || len(rs.rules["socketpair"]) > 0) {
		b.WriteString("  (i386: socketcall is allowed, so socket family checks are off for 32-bit programs)\n")
	}

	b.WriteString("\nNewer than hutch: system call numbers above ")
	fmt.Fprintf(&b, "%d (%s) ", maxKnownNr, commonSyscalls[len(commonSyscalls)-1].name)
	if rs.allowUnknown {
		b.WriteString("are allowed (allow = [\"@unknown\"]).\n")
	} else {
		fmt.Fprintf(&b, "-> %s [@unknown]\n", c.describe(rule{errno: unix.ENOSYS, compat: true}))
	}
	if len(rs.lifted) > 0 {
		b.WriteString("\nAllowed by the profile: " + strings.Join(rs.lifted, ", ") + "\n")
	}
	return b.String(), nil
}

// describe renders what a denial does under the policy's action.
func (c compiler) describe(r rule) string {
	switch {
	case c.action == "log":
		return "log"
	case c.action == "kill" && !r.compat:
		return "kill"
	case c.action == "kill" || r.compat:
		return errnoName(r.errno) + " (compat)"
	}
	return errnoName(r.errno)
}

// absentNote marks calls that exist on none of the architectures filtered
// here (listed for profiles shared with other machines).
func absentNote(name string) string {
	if _, ok := commonNr(name); ok || existsOn(name, []libseccomp.ScmpArch{libseccomp.ArchAMD64, libseccomp.ArchX86, libseccomp.ArchX32}) {
		return ""
	}
	return "(n/a)"
}
