package tests

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// withSubordinateRanges gives the unprivileged test user a range of
// subordinate ids in /etc/subuid and /etc/subgid for the test, and puts
// the files back afterwards. It skips, saying why, where that cannot be.
func withSubordinateRanges(t *testing.T) {
	t.Helper()
	if runAs == nil {
		t.Skip("needs root to give the test user subordinate ids in /etc/subuid and /etc/subgid")
	}
	for _, helper := range []string{"newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(helper); err != nil {
			t.Skipf("needs %s (Debian's uidmap package)", helper)
		}
	}
	entry := strconv.Itoa(int(runAs.Uid)) + ":400000:65536\n"
	for _, file := range []string{"/etc/subuid", "/etc/subgid"} {
		old, err := os.ReadFile(file)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		existed := err == nil
		if err := os.WriteFile(file, append(old, entry...), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if existed {
				os.WriteFile(file, old, 0o644)
			} else {
				os.Remove(file)
			}
		})
	}
}

// TestSubordinateRanges maps ranges of subordinate ids through newuidmap
// and newgidmap, with the app as uid 0 inside and as another uid: a uid
// other than 0 is reached from the init's 0, which must keep what it needs
// to drop its capabilities after the change.
func TestSubordinateRanges(t *testing.T) {
	withSubordinateRanges(t)
	c := newCaller(t)
	p := c.profile("sub.toml", "extends = [\"default\"]\n[identity]\nsubordinate = true\n")
	for _, tc := range []struct {
		args []string
		id   string
	}{
		{[]string{"--uid", "0", "--gid", "0"}, "0 0"},
		{[]string{"--uid", "1000", "--gid", "1000"}, "1000 1000"},
	} {
		r := c.run(append(append([]string{"-p", p}, tc.args...), "--", "sh", "-c",
			`echo "$(id -u) $(id -g)"; wc -l < /proc/self/uid_map; grep -E '^Cap(Eff|Prm)' /proc/self/status`)...)
		got := lines(r.stdout)
		if r.code != 0 || len(got) != 4 || got[0] != tc.id || got[1] == "1" ||
			!strings.HasSuffix(got[2], "0000000000000000") || !strings.HasSuffix(got[3], "0000000000000000") {
			t.Errorf("%v: %s\nwant ids %q, more than one map line, no capabilities", tc.args, r, tc.id)
		}
	}
}
