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
