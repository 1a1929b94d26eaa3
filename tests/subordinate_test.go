package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
// and newgidmap. Whatever uid the app runs as (the caller's number by
// default, 0, or another), it is the caller on the host: what it writes in
// a bind belongs to the caller, and it can write the caller's own files.
// The other ids come from the ranges: chown to one works and shows on the
// host as a subordinate id.
func TestSubordinateRanges(t *testing.T) {
	withSubordinateRanges(t)
	c := newCaller(t)
	p := c.profile("sub.toml", "extends = [\"default\"]\n[identity]\nsubordinate = true\n")
	callerUID := strconv.Itoa(hutchUID())
	for i, tc := range []struct {
		args []string
		id   string
	}{
		{nil, callerUID + " " + callerUID},
		{[]string{"--uid", "0", "--gid", "0"}, "0 0"},
		{[]string{"--uid", "1000", "--gid", "1000"}, "1000 1000"},
	} {
		name := "made-" + strconv.Itoa(i)
		c.writeFile(filepath.Join(c.work, "own-"+strconv.Itoa(i)), "", 0o600)
		args := append(append([]string{"-p", p, "--bind", c.work, "/w", "--cap-add", "CAP_CHOWN"}, tc.args...), "--", "sh", "-c",
			`echo "$(id -u) $(id -g)"; wc -l < /proc/self/uid_map; grep -E '^Cap(Eff|Prm)' /proc/self/status
			echo mine >> /w/own-`+strconv.Itoa(i)+` && touch /w/`+name+` && touch /w/`+name+`.chowned && chown 7:7 /w/`+name+`.chowned && echo wrote`)
		r := c.run(args...)
		got := lines(r.stdout)
		if r.code != 0 || len(got) != 5 || got[0] != tc.id || got[1] == "1" ||
			!strings.HasSuffix(got[2], "0000000000000001") || !strings.HasSuffix(got[3], "0000000000000001") || got[4] != "wrote" {
			t.Errorf("%v: %s\nwant ids %q, more than one map line, CAP_CHOWN alone, the caller's file written", tc.args, r, tc.id)
			continue
		}
		for file, wantUID := range map[string]int{name: 0, name + ".chowned": -1} {
			fi, err := os.Stat(filepath.Join(c.work, file))
			if err != nil {
				t.Errorf("%v: %v", tc.args, err)
				continue
			}
			uid := int(fi.Sys().(*syscall.Stat_t).Uid)
			owner, _ := strconv.Atoi(callerUID)
			switch {
			case wantUID == 0 && uid != owner:
				t.Errorf("%v: %s belongs to host uid %d, want the caller's %d", tc.args, file, uid, owner)
			case wantUID == -1 && (uid < 400000 || uid >= 400000+65536):
				t.Errorf("%v: %s chowned to 7 inside belongs to host uid %d, want one of the subordinate range 400000-465535", tc.args, file, uid)
			}
		}
	}
}
