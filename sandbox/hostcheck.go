package sandbox

import (
	"fmt"
	"os"
	"strings"
)

// A HostFinding is one fact about the host that limits what hutch can do,
// with the way to fix it.
type HostFinding struct {
	Problem string
	Fix     string
}

func (f HostFinding) String() string { return f.Problem + " (" + f.Fix + ")" }

// readSysctl returns the trimmed content of a /proc/sys file and whether it
// exists.
func readSysctl(path string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// UsernsFindings explains why unprivileged user namespaces may be refused
// here. An empty result means no known restriction is set.
func UsernsFindings() []HostFinding {
	exe, _ := os.Executable()
	return usernsFindings(readSysctl, exe)
}

// usernsFindings is UsernsFindings reading sysctls through read; exe is
// the hutch binary, which an AppArmor profile must name.
func usernsFindings(read func(path string) (string, bool), exe string) []HostFinding {
	var out []HostFinding
	if v, ok := read("/proc/sys/kernel/unprivileged_userns_clone"); ok && v == "0" {
		out = append(out, HostFinding{
			Problem: "kernel.unprivileged_userns_clone is 0",
			Fix:     "as root: sysctl -w kernel.unprivileged_userns_clone=1, and set it in /etc/sysctl.d to keep it",
		})
	}
	if v, ok := read("/proc/sys/user/max_user_namespaces"); ok && v == "0" {
		out = append(out, HostFinding{
			Problem: "user.max_user_namespaces is 0",
			Fix:     "as root: sysctl -w user.max_user_namespaces=15000",
		})
	}
	if v, ok := read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"); ok && v == "1" {
		out = append(out, HostFinding{
			Problem: "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1)",
			Fix:     apparmorFix(exe),
		})
	}
	return out
}

// apparmorFix says how to let hutch create user namespaces under AppArmor's
// restriction: a profile for its binary with the userns rule, as Ubuntu
// ships for bubblewrap, written out with the binary's path so that it can
// be pasted; or lifting the restriction for every program.
func apparmorFix(exe string) string {
	const everyone = "or, for every program: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"
	plain := exe != "" && strings.IndexFunc(exe, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._+-", r))
	}) < 0
	if !plain {
		return "as root: give the hutch binary an AppArmor profile with flags=(unconfined) and the rule 'userns,' in /etc/apparmor.d and load it with apparmor_parser -r; " + everyone
	}
	return fmt.Sprintf(`as root: printf 'abi <abi/4.0>,\ninclude <tunables/global>\nprofile hutch %s flags=(unconfined) {\n  userns,\n}\n' > /etc/apparmor.d/hutch && apparmor_parser -r /etc/apparmor.d/hutch; `, exe) + everyone
}

// usernsHint turns the findings into a sentence to append to an error.
func usernsHint() string {
	findings := UsernsFindings()
	if len(findings) == 0 {
		return "the kernel refused an unprivileged user namespace; run 'hutch doctor' to see why"
	}
	parts := make([]string, len(findings))
	for i, f := range findings {
		parts[i] = f.String()
	}
	return fmt.Sprintf("user namespaces are restricted here: %s", strings.Join(parts, "; "))
}
