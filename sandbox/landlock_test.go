package sandbox

import (
	"errors"
	"strings"
	"testing"

	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

func TestLandlockRules(t *testing.T) {
	all := ^uint64(0) &^ llDevRights
	read := uint64(llReadRights)
	tests := []struct {
		name  string
		spec  Spec
		want  map[string]uint64
		avoid []string // paths that must get no rule
	}{
		{
			name: "built root",
			spec: Spec{Mounts: []Mount{
				{Type: ROBind, Source: "/usr", Target: "/usr"},
				{Type: Bind, Source: "/w", Target: "/w"},
				{Type: Tmpfs, Target: "/tmp"},
				{Type: Tmpfs, Target: "/ro", ReadOnly: true},
				{Type: Symlink, Source: "usr/bin", Target: "/bin"},
			}},
			want:  map[string]uint64{"/": ll.AccessFSReadDir, "/usr": read, "/w": all, "/tmp": all, "/ro": read},
			avoid: []string{"/bin"},
		},
		{
			name: "host mount namespace",
			spec: Spec{Namespaces: map[Kind]Share{NSMount: Host}},
			want: map[string]uint64{"/": all},
		},
		{
			name:  "host mount namespace with explicit paths",
			spec:  Spec{Namespaces: map[Kind]Share{NSMount: Host}, Security: Security{Landlock: Landlock{Read: []string{"/usr"}}}},
			want:  map[string]uint64{"/usr": read},
			avoid: []string{"/"},
		},
		{
			name: "overrides",
			spec: Spec{Mounts: []Mount{
				{Type: Bind, Source: "/a", Target: "/a", Landlock: LandlockAccessRO},
				{Type: ROBind, Source: "/b", Target: "/b", Landlock: LandlockAccessNone},
				{Type: ROBind, Source: "/c", Target: "/c", Landlock: LandlockAccessRW},
			}},
			want: map[string]uint64{"/a": read, "/b": 0, "/c": all},
		},
		{
			name: "rootfs and explicit paths",
			spec: Spec{Root: "/srv/root", Security: Security{Landlock: Landlock{Read: []string{"/data"}, Write: []string{"/out"}}}},
			want: map[string]uint64{"/": read, "/data": read, "/out": all},
		},
		{
			name: "writable rootfs and dev",
			spec: Spec{Root: "/srv/root", RootWritable: true, Mounts: []Mount{{Type: Dev, Target: "/dev"}}},
			want: map[string]uint64{"/": all, "/dev/shm": all},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]uint64{}
			if tc.spec.Namespaces == nil {
				tc.spec.Namespaces = map[Kind]Share{}
			}
			for _, r := range landlockRules(&tc.spec) {
				got[r.path] = r.rights
			}
			for p, want := range tc.want {
				if r, ok := got[p]; !ok || r != want {
					t.Errorf("%s: rights %#x (present %v), want %#x", p, r, ok, want)
				}
			}
			for _, p := range tc.avoid {
				if _, ok := got[p]; ok {
					t.Errorf("%s got a rule", p)
				}
			}
			if r := got["/dev"]; tc.spec.Mounts != nil && r&llDevRights != 0 {
				t.Errorf("/dev may create device nodes: %#x", r)
			}
		})
	}
}

func TestLandlockHandledGrowsWithABI(t *testing.T) {
	for abi, want := range map[int]uint64{
		1: llABI1Rights,
		2: llABI1Rights | ll.AccessFSRefer,
		3: llABI1Rights | ll.AccessFSRefer | ll.AccessFSTruncate,
		5: llABI1Rights | ll.AccessFSRefer | ll.AccessFSTruncate | ll.AccessFSIoctlDev,
	} {
		if got := llHandled(abi); got != want {
			t.Errorf("ABI %d: handled %#x, want %#x", abi, got, want)
		}
	}
}

func TestLandlockMissingSaysWhatToDo(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{unix.ENOSYS, "CONFIG_SECURITY_LANDLOCK"},
		{unix.EOPNOTSUPP, "lsm= boot parameter"},
		{unix.EPERM, "seccomp filter or security policy around hutch"},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			err := landlockMissing(tt.err)
			if !errors.Is(err, errLandlockMissing) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("for %v: %q, want errLandlockMissing saying %q", tt.err, err, tt.want)
			}
		})
	}
}

// TestLandlockNoneOnlyWhereItHolds refuses a landlock = "none" mount
// beneath one the app may read, which Landlock's rules, adding rights
// along a path, would let it read too.
func TestLandlockNoneOnlyWhereItHolds(t *testing.T) {
	secret := func(target string) Mount {
		return Mount{Type: ROBind, Source: "/home/ann/.ssh", Target: target, Landlock: LandlockAccessNone}
	}
	tests := []struct {
		name   string
		mounts []Mount
		mode   string
		root   string
		want   string // "" for none
	}{
		{"beside the others", []Mount{{Type: Tmpfs, Target: "/home/ann"}, secret("/secret")}, "", "", ""},
		{"under the home's tmpfs", []Mount{{Type: Tmpfs, Target: "/home/ann"}, secret("/home/ann/.ssh")}, "", "",
			`mount 2 (ro-bind /home/ann/.ssh): landlock = "none" cannot hold beneath /home/ann, which the app may read`},
		{"under a writable bind", []Mount{{Type: Bind, Source: "/w", Target: "/w"}, secret("/w/inner")}, "", "",
			`mount 2 (ro-bind /w/inner): landlock = "none" cannot hold beneath /w, which the app may read`},
		{"mounted before its parent", []Mount{secret("/data/keys"), {Type: ROBind, Source: "/data", Target: "/data"}}, "", "",
			`mount 1 (ro-bind /data/keys): landlock = "none" cannot hold beneath /data, which the app may read`},
		{"under a rootfs folder", []Mount{secret("/secret")}, "", "/srv/rootfs",
			`mount 1 (ro-bind /secret): landlock = "none" cannot hold beneath /, which the app may read`},
		{"Landlock off", []Mount{{Type: Tmpfs, Target: "/home/ann"}, secret("/home/ann/.ssh")}, LandlockOff, "", ""},
	}
	for _, tc := range tests {
		spec := &Spec{Mounts: tc.mounts, Root: tc.root, Namespaces: map[Kind]Share{}}
		spec.Security.Landlock.Mode = tc.mode
		err := checkLandlockNone(spec)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
