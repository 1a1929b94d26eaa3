package sandbox

import (
	"strings"
	"testing"
)

func TestUsernsFindings(t *testing.T) {
	tests := []struct {
		name     string
		sysctls  map[string]string
		exe      string
		problems []string // one substring per finding, in order
		fix      []string // substrings of the last finding's fix
	}{
		{"nothing restricts", map[string]string{"/proc/sys/user/max_user_namespaces": "15000"}, "/usr/bin/hutch", nil, nil},
		{"Debian's switch", map[string]string{"/proc/sys/kernel/unprivileged_userns_clone": "0"}, "/usr/bin/hutch",
			[]string{"unprivileged_userns_clone is 0"}, []string{"sysctl -w kernel.unprivileged_userns_clone=1"}},
		{"no user namespaces allowed", map[string]string{"/proc/sys/user/max_user_namespaces": "0"}, "/usr/bin/hutch",
			[]string{"max_user_namespaces is 0"}, []string{"sysctl -w user.max_user_namespaces=15000"}},
		{"AppArmor, a plain path", map[string]string{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1"}, "/usr/local/bin/hutch",
			[]string{"AppArmor restricts"},
			[]string{"profile hutch /usr/local/bin/hutch flags=(unconfined) {", "userns,", "> /etc/apparmor.d/hutch && apparmor_parser -r /etc/apparmor.d/hutch", "apparmor_restrict_unprivileged_userns=0"}},
		{"AppArmor, a path that needs quoting", map[string]string{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1"}, "/home/a b/it's/hutch",
			[]string{"AppArmor restricts"}, []string{"flags=(unconfined) and the rule 'userns,'", "apparmor_restrict_unprivileged_userns=0"}},
		{"AppArmor off", map[string]string{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "0"}, "/usr/bin/hutch", nil, nil},
		{"two at once", map[string]string{"/proc/sys/kernel/unprivileged_userns_clone": "0", "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1"}, "/usr/bin/hutch",
			[]string{"unprivileged_userns_clone", "AppArmor"}, []string{"profile hutch /usr/bin/hutch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read := func(path string) (string, bool) { v, ok := tt.sysctls[path]; return v, ok }
			got := usernsFindings(read, tt.exe)
			if len(got) != len(tt.problems) {
				t.Fatalf("findings %v, want %d", got, len(tt.problems))
			}
			for i, want := range tt.problems {
				if !strings.Contains(got[i].Problem, want) {
					t.Errorf("finding %d: %q, want it to say %q", i, got[i].Problem, want)
				}
			}
			for _, want := range tt.fix {
				if fix := got[len(got)-1].Fix; !strings.Contains(fix, want) {
					t.Errorf("fix %q, want it to say %q", fix, want)
				}
			}
		})
	}
}
