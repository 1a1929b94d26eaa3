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
	var out []HostFinding
	if v, ok := readSysctl("/proc/sys/kernel/unprivileged_userns_clone"); ok && v == "0" {
		out = append(out, HostFinding{
			Problem: "kernel.unprivileged_userns_clone is 0",
			Fix:     "as root: sysctl -w kernel.unprivileged_userns_clone=1, and set it in /etc/sysctl.d to keep it",
		})
	}
	if v, ok := readSysctl("/proc/sys/user/max_user_namespaces"); ok && v == "0" {
		out = append(out, HostFinding{
			Problem: "user.max_user_namespaces is 0",
			Fix:     "as root: sysctl -w user.max_user_namespaces=15000",
		})
	}
	if v, ok := readSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"); ok && v == "1" {
		out = append(out, HostFinding{
			Problem: "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1)",
			Fix:     "give hutch an AppArmor profile with the 'userns,' rule, or as root: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
		})
	}
	return out
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
