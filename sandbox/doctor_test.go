package sandbox

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/idmap"
)

func TestCgroupV2Path(t *testing.T) {
	tests := []struct {
		name, text, want string
		ok               bool
	}{
		{"unified", "0::/user.slice/user-1000.slice/session-2.scope\n", "/user.slice/user-1000.slice/session-2.scope", true},
		{"root", "0::/\n", "/", true},
		{"hybrid", "9:name=systemd:/\n4:memory:/x\n0::/init.scope\n", "/init.scope", true},
		{"v1 only", "4:memory:/x\n1:name=systemd:/\n", "", false},
		{"empty", "", "", false},
		{"colons in path", "0::/a:b\n", "/a:b", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cgroupV2Path(tt.text)
			if got != tt.want || ok != tt.ok {
				t.Errorf("cgroupV2Path(%q) = %q, %v; want %q, %v", tt.text, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCgroupV1Controllers(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"unified", "0::/user.slice\n", nil},
		{"named hierarchy only", "1:name=systemd:/\n0::/\n", nil},
		{"hybrid", "9:name=systemd:/\n8:pids:/\n2:cpu,cpuacct:/\n0::/\n", []string{"pids", "cpu", "cpuacct"}},
		{"empty controller field", "12::/x\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cgroupV1Controllers(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("cgroupV1Controllers(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestCgroup2Mount(t *testing.T) {
	tests := []struct {
		name, mountinfo string
		mnt, root       string
		ok              bool
	}{
		{
			name:      "unified",
			mountinfo: "24 1 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:9 - cgroup2 cgroup2 rw,nsdelegate\n",
			mnt:       "/sys/fs/cgroup", root: "/", ok: true,
		},
		{
			name:      "hybrid",
			mountinfo: "31 30 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n40 30 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
			mnt:       "/sys/fs/cgroup/unified", root: "/", ok: true,
		},
		{
			name:      "container subtree, no optional fields",
			mountinfo: "700 690 0:26 /system.slice/c1.scope /sys/fs/cgroup ro - cgroup2 cgroup rw\n",
			mnt:       "/sys/fs/cgroup", root: "/system.slice/c1.scope", ok: true,
		},
		{
			name:      "escaped space",
			mountinfo: `50 1 0:40 / /mnt/my\040cgroups rw - cgroup2 none rw` + "\n",
			mnt:       "/mnt/my cgroups", root: "/", ok: true,
		},
		{
			name:      "v1 only",
			mountinfo: "31 30 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
		},
		{name: "garbage", mountinfo: "not a mountinfo line\n - \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mnt, root, ok := cgroup2Mount(tt.mountinfo)
			if mnt != tt.mnt || root != tt.root || ok != tt.ok {
				t.Errorf("cgroup2Mount = %q, %q, %v; want %q, %q, %v", mnt, root, ok, tt.mnt, tt.root, tt.ok)
			}
		})
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	tests := map[string]string{
		"/plain":            "/plain",
		`/a\040b`:           "/a b",
		`/tab\011and\134bs`: "/tab\tand\\bs",
		`/trailing\04`:      `/trailing\04`,
		`/not\999octal`:     `/not\999octal`,
	}
	for in, want := range tests {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCgroupDir(t *testing.T) {
	tests := []struct {
		mnt, root, rel, want string
	}{
		{"/sys/fs/cgroup", "/", "/user.slice/u.service", "/sys/fs/cgroup/user.slice/u.service"},
		{"/sys/fs/cgroup", "/", "/", "/sys/fs/cgroup"},
		{"/sys/fs/cgroup", "/system.slice/c1.scope", "/system.slice/c1.scope/app", "/sys/fs/cgroup/app"},
		{"/sys/fs/cgroup", "/system.slice/c1.scope", "/system.slice/c1.scope", "/sys/fs/cgroup"},
		// A cgroup namespace already shows paths relative to the mount.
		{"/sys/fs/cgroup", "/system.slice/c1.scope", "/app", "/sys/fs/cgroup/app"},
		{"/sys/fs/cgroup", "/sys", "/system.slice", "/sys/fs/cgroup/system.slice"},
	}
	for _, tt := range tests {
		if got := cgroupDir(tt.mnt, tt.root, tt.rel); got != tt.want {
			t.Errorf("cgroupDir(%q, %q, %q) = %q, want %q", tt.mnt, tt.root, tt.rel, got, tt.want)
		}
	}
}

// fileCapBytes builds a security.capability attribute as setcap writes it.
func fileCapBytes(revision uint32, effective bool, permitted uint64, rootID uint32) []byte {
	magic := revision
	if effective {
		magic |= vfsCapEffective
	}
	words := []uint32{magic, uint32(permitted), 0}
	if revision != vfsCapRevision1 {
		words = append(words, uint32(permitted>>32), 0)
	}
	if revision == vfsCapRevision3 {
		words = append(words, rootID)
	}
	b := make([]byte, 4*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint32(b[4*i:], w)
	}
	return b
}

func TestParseFileCaps(t *testing.T) {
	setuid := uint64(1) << unix.CAP_SETUID
	high := uint64(1) << unix.CAP_CHECKPOINT_RESTORE
	tests := []struct {
		name    string
		in      []byte
		want    fileCaps
		wantErr bool
	}{
		{"revision 1", fileCapBytes(vfsCapRevision1, true, setuid, 0), fileCaps{Permitted: setuid, Effective: true}, false},
		{"revision 2", fileCapBytes(vfsCapRevision2, true, setuid|high, 0), fileCaps{Permitted: setuid | high, Effective: true}, false},
		{"revision 2 not effective", fileCapBytes(vfsCapRevision2, false, setuid, 0), fileCaps{Permitted: setuid}, false},
		{"revision 3", fileCapBytes(vfsCapRevision3, true, setuid, 100000), fileCaps{Permitted: setuid, Effective: true, RootID: 100000}, false},
		{"too short", []byte{0, 0}, fileCaps{}, true},
		{"unknown revision", fileCapBytes(0x04000000, false, 0, 0)[:12], fileCaps{}, true},
		{"truncated revision 2", fileCapBytes(vfsCapRevision2, true, setuid, 0)[:16], fileCaps{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFileCaps(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseFileCaps: error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseFileCaps = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSeccompMode(t *testing.T) {
	tests := []struct {
		name, status  string
		mode, filters string
		ok            bool
	}{
		{"unfiltered", "Name:\tbash\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n", "0", "0", true},
		{"filtered", "Seccomp:\t2\nSeccomp_filters:\t3\n", "2", "3", true},
		{"old kernel without filter count", "Seccomp:\t2\n", "2", "0", true},
		{"no seccomp", "Name:\tbash\nState:\tR (running)\n", "", "0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mode, filters, ok := seccompMode(tt.status)
			if mode != tt.mode || filters != tt.filters || ok != tt.ok {
				t.Errorf("seccompMode = %q, %q, %v; want %q, %q, %v", mode, filters, ok, tt.mode, tt.filters, tt.ok)
			}
		})
	}
}

func TestMissingWords(t *testing.T) {
	tests := []struct {
		have string
		want []string
		miss []string
	}{
		{"kill_process kill_thread trap errno user_notif trace log allow", seccompActionsNeeded, nil},
		{"kill trap errno trace allow", seccompActionsNeeded, []string{"kill_process", "log"}},
		{"", []string{"allow"}, []string{"allow"}},
	}
	for _, tt := range tests {
		if got := missingWords(tt.have, tt.want); !slices.Equal(got, tt.miss) {
			t.Errorf("missingWords(%q) = %q, want %q", tt.have, got, tt.miss)
		}
	}
}

func TestLandlockCheck(t *testing.T) {
	tests := []struct {
		name    string
		abi     int
		err     error
		lsm     string
		status  CheckStatus
		detail  string
		fixHas  string
		withFix bool
	}{
		{"available", 6, nil, "", CheckOK, "ABI 6", "", false},
		{"disabled at boot", 0, unix.EOPNOTSUPP, "lockdown,capability,apparmor", CheckWarn, "not enabled at boot", "lsm=landlock,lockdown,capability,apparmor", true},
		{"disabled, lsm unreadable", 0, unix.EOPNOTSUPP, "", CheckWarn, "not enabled at boot", "lsm=landlock,<the list", true},
		{"no kernel support", 0, unix.ENOSYS, "", CheckWarn, "no Landlock", "use a kernel with Landlock", true},
		{"other error", 0, unix.EINVAL, "", CheckWarn, "EINVAL", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := landlockCheck(tt.abi, tt.err, tt.lsm)
			if c.Name != "landlock" || c.Status != tt.status || !strings.Contains(c.Detail, tt.detail) {
				t.Errorf("landlockCheck = %+v; want status %s and detail with %q", c, tt.status, tt.detail)
			}
			if (c.Fix != "") != tt.withFix || !strings.Contains(c.Fix, tt.fixHas) {
				t.Errorf("landlockCheck fix = %q; want fix %v containing %q", c.Fix, tt.withFix, tt.fixHas)
			}
		})
	}
}

func TestLibseccompCheck(t *testing.T) {
	tests := []struct {
		name                string
		major, minor, micro uint
		api                 uint
		err                 error
		status              CheckStatus
		detail              string
	}{
		{"current", 2, 5, 4, 6, nil, CheckOK, "libseccomp 2.5.4, API level 6"},
		{"old api", 2, 3, 3, 2, nil, CheckWarn, "libseccomp 2.3.3, API level 2"},
		{"api unknown", 2, 3, 1, 0, errors.New("API level operations are not supported"), CheckWarn, "libseccomp 2.3.1; API level unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := libseccompCheck(tt.major, tt.minor, tt.micro, tt.api, tt.err)
			if c.Status != tt.status || !strings.HasPrefix(c.Detail, tt.detail) {
				t.Errorf("libseccompCheck = %+v; want status %s, detail starting %q", c, tt.status, tt.detail)
			}
		})
	}
}

func TestSubIDSummary(t *testing.T) {
	tests := []struct {
		ranges []idmap.SubIDRange
		want   string
	}{
		{[]idmap.SubIDRange{{Start: 100000, Count: 65536}}, "100000-165535 (65536 ids)"},
		{[]idmap.SubIDRange{{Start: 100000, Count: 1000}, {Start: 300000, Count: 1}}, "100000-100999, 300000-300000 (1001 ids)"},
		{[]idmap.SubIDRange{{Start: 4294901760, Count: 65535}}, "4294901760-4294967294 (65535 ids)"},
	}
	for _, tt := range tests {
		if got := subIDSummary(tt.ranges); got != tt.want {
			t.Errorf("subIDSummary(%v) = %q, want %q", tt.ranges, got, tt.want)
		}
	}
}

func TestCheckSubIDs(t *testing.T) {
	alice := idmap.Caller{UID: 1000, GID: 1001, Name: "alice"}
	tests := []struct {
		name, file string
		own        uint32
		status     CheckStatus
		detail     string
	}{
		{"a range apart", "alice:100000:65536\n", 1000, CheckOK, "100000-165535 (65536 ids)"},
		{"own uid inside", "alice:0:65536\n", 1000, CheckWarn, "the range 0-65535 holds your own uid 1000"},
		{"own uid at the range's end", "alice:10:991\n", 1000, CheckWarn, "holds your own uid 1000"},
		{"own uid just past the end", "alice:10:990\n", 1000, CheckOK, "10-999 (990 ids)"},
		{"no range", "bob:100000:65536\n", 1000, CheckWarn, "no range for user alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "subuid")
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			c := checkSubIDs("subuid", path, alice, tt.own)
			if c.Status != tt.status || !strings.Contains(c.Detail, tt.detail) {
				t.Errorf("checkSubIDs = %+v; want status %s, detail with %q", c, tt.status, tt.detail)
			}
		})
	}
}

func TestCheckUsernsGrades(t *testing.T) {
	all := func(override map[Kind]error) nsProbe {
		p := nsProbe{errs: map[Kind]error{NSUser: nil}}
		for _, k := range nsProbeKinds {
			p.errs[k] = nil
		}
		for k, err := range override {
			p.errs[k] = err
		}
		return p
	}
	user := idmap.Caller{UID: 1000, GID: 1000, Name: "alice"}
	tests := []struct {
		name   string
		probe  nsProbe
		status CheckStatus
		detail string
	}{
		{"all kinds", all(nil), CheckOK, "all 8 kinds"},
		{"time only refused", all(map[Kind]error{NSTime: unix.EINVAL}), CheckWarn, "time refused"},
		{"mount refused", all(map[Kind]error{NSMount: unix.EPERM}), CheckFail, "refused mnt: operation not permitted (EPERM)"},
		{"user refused", nsProbe{errs: map[Kind]error{NSUser: unix.EPERM}}, CheckFail, "refused to create one"},
		{"map refused", nsProbe{errs: map[Kind]error{NSUser: unix.EPERM}, mapErr: unix.EPERM}, CheckFail, "mapping uid 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := checkUserns(user, tt.probe)
			// The host's own sysctls may add a restriction note; the grade
			// of a refusal must not depend on them.
			if tt.status == CheckFail && c.Status != CheckFail || !strings.Contains(c.Detail, tt.detail) {
				t.Errorf("checkUserns = %+v; want status %s, detail with %q", c, tt.status, tt.detail)
			}
			if tt.status != CheckFail && len(UsernsFindings()) == 0 && c.Status != tt.status {
				t.Errorf("checkUserns status = %s, want %s", c.Status, tt.status)
			}
			if c.Status != CheckOK && c.Fix == "" {
				t.Errorf("checkUserns gives no fix for %+v", c)
			}
		})
	}
}
