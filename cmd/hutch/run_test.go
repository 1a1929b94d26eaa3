package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/profiles"
	"github.com/hutch-sandbox/hutch/sandbox"
)

// testVars are a session's variables; XDG_CONFIG_HOME points at an empty
// directory so that only the built-in profiles are found.
func testVars(t *testing.T) profiles.Vars {
	return profiles.Vars{
		"HOME": "/home/ann", "UID": "1000", "GID": "1000", "USER": "ann",
		"PWD": "/home/ann/src", "XDG_CONFIG_HOME": t.TempDir(),
		"XDG_DATA_HOME": "/home/ann/.local/share", "XDG_CACHE_HOME": "/home/ann/.cache",
	}
}

// parseRun parses run options into fresh flags.
func parseRun(t *testing.T, args ...string) (*runFlags, []string, error) {
	t.Helper()
	vars := testVars(t)
	f := &runFlags{statusFD: -1, loadVars: func() (profiles.Vars, error) { return vars, nil }}
	rest, err := newRunCommand(f).parse(args, io.Discard)
	return f, rest, err
}

// inheritedPipe returns the read end of a pipe opened without
// close-on-exec, as a descriptor hutch's caller passes it.
func inheritedPipe(t *testing.T) int {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0]
}

// closedFD returns a descriptor number that is not open.
func closedFD(t *testing.T) int {
	t.Helper()
	for fd := 900; fd < 1000; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return fd
		}
	}
	t.Fatal("no closed descriptor between 900 and 1000")
	return 0
}

// Bad values are refused as their option is parsed, naming the option,
// with the rules profiles apply to the same values.
func TestRunOptionErrors(t *testing.T) {
	closed := strconv.Itoa(closedFD(t))
	cloexec, err := os.Open(os.DevNull) // Go opens it close-on-exec: hutch's own
	if err != nil {
		t.Fatal(err)
	}
	defer cloexec.Close()
	long := strings.Repeat("h", 65)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bind", "/usr", "x"}, `run: --bind: target "x" is not an absolute path`},
		{[]string{"--ro-bind", "/usr", "/a/../b"}, `run: --ro-bind: target "/a/../b" contains ".."`},
		{[]string{"--ro-bind", "/usr/../etc", "/b"}, `run: --ro-bind: source "/usr/../etc" contains ".."`},
		{[]string{"--bind", "", "/b"}, `run: --bind: source "": empty path`},
		{[]string{"--dir", "/"}, `run: --dir: target "/": only a bind or tmpfs can be mounted on /`},
		{[]string{"--tmpfs", "${NOPE}/x"}, `run: --tmpfs: target "${NOPE}/x": unknown variable ${NOPE} (known: ` + strings.Join(profiles.VarNames, ", ") + ")"},
		{[]string{"--ro-bind", "${XDG_RUNTIME_DIR}/bus", "/bus"}, `run: --ro-bind: source "${XDG_RUNTIME_DIR}/bus": ${XDG_RUNTIME_DIR} is not set`},
		{[]string{"--ro-bind", "$HOME", "/h"}, `run: --ro-bind: source "$HOME": a "$" must start ${NAME} or be doubled as $$`},
		{[]string{"--symlink", "", "/t"}, `run: --symlink: a symlink needs the link text`},
		{[]string{"--symlink", "/x", "t"}, `run: --symlink: target "t" is not an absolute path`},
		{[]string{"--seccomp", "bogus"}, `run: --seccomp: "bogus" is not one of default, none`},
		{[]string{"--cap-add", "CAP_BOGUS"}, `run: --cap-add: unknown capability "CAP_BOGUS"`},
		{[]string{"--chdir", "rel"}, `run: --chdir: "rel" is not an absolute path`},
		{[]string{"--rootfs", "/srv/../x"}, `run: --rootfs: "/srv/../x" contains ".."`},
		{[]string{"--setenv", "A=B", "x"}, `run: --setenv: "A=B" is not a variable name`},
		{[]string{"--setenv", "", "x"}, `run: --setenv: "" is not a variable name`},
		{[]string{"--keepenv", "["}, `run: --keepenv: "[" is not a valid pattern: syntax error in pattern`},
		{[]string{"--unsetenv", ""}, `run: --unsetenv: "" is not a variable name`},
		{[]string{"--hostname", long}, `run: --hostname: "` + long + `" is longer than 64 bytes`},
		{[]string{"--hostname", ""}, `run: --hostname: an empty name would leave the host's name in the sandbox; give one, or --share-uts`},
		{[]string{"--monotonic-offset", "2w"}, `run: --monotonic-offset: "2w" is not a duration (want Go syntax plus d for days, like "-72h", "10d" or "1d12h")`},
		{[]string{"--share-net-with", "a/b"}, `run: --share-net-with: ` + sandbox.ValidName("a/b").Error()},
		{[]string{"--json-status-fd", closed}, `run: --json-status-fd: descriptor ` + closed + ` is not open`},
		{[]string{"--keep-fd", closed}, `run: --keep-fd: descriptor ` + closed + ` is not open`},
		{[]string{"--keep-fd", strconv.Itoa(int(cloexec.Fd()))}, `run: --keep-fd: descriptor ` + strconv.Itoa(int(cloexec.Fd())) + ` is not open`},
	}
	for _, tt := range tests {
		_, _, err := parseRun(t, append(tt.args, "--", "/bin/true")...)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: error\n got %v\nwant %s", tt.args, err, tt.want)
		}
	}
}

// Good values land in the layer cleaned and expanded.
func TestRunOptionValues(t *testing.T) {
	fd := inheritedPipe(t)
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	f, rest, err := parseRun(t,
		"--bind", "/usr", "/tmp/x/", // a trailing slash, as bubblewrap takes it
		"--ro-bind", "${HOME}/Documents", "${HOME}/Documents",
		"--ro-bind-try", "${XDG_RUNTIME_DIR}/bus", "/bus", // unset: dropped, as in a profile
		"--bind", "rel", "/rel",
		"--dev-bind-try", "/dev/dri", "/dev/dri",
		"--tmpfs", "//run//",
		"--symlink", "usr/lib", "/lib/",
		"--chdir", "${HOME}/src/",
		"--cap-add", "net_bind_service",
		"--keep-fd", strconv.Itoa(fd),
		"--json-status-fd", strconv.Itoa(fd),
		"--setenv", "A", "B=C$",
		"--monotonic-offset", "10d",
		"--boottime-offset", "-1d12h",
		"--", "/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	want := []sandbox.Mount{
		{Type: sandbox.Bind, Source: "/usr", Target: "/tmp/x"},
		{Type: sandbox.ROBind, Source: "/home/ann/Documents", Target: "/home/ann/Documents"},
		{Type: sandbox.Bind, Source: filepath.Join(cwd, "rel"), Target: "/rel"},
		{Type: sandbox.DevBind, Source: "/dev/dri", Target: "/dev/dri", Optional: true},
		{Type: sandbox.Tmpfs, Target: "/run"},
		{Type: sandbox.Symlink, Source: "usr/lib", Target: "/lib"},
	}
	if !reflect.DeepEqual(f.layer.Mounts, want) {
		t.Errorf("mounts\n got %+v\nwant %+v", f.layer.Mounts, want)
	}
	if got := *f.layer.Process.Cwd; got != "/home/ann/src" {
		t.Errorf("cwd %q", got)
	}
	if got := f.layer.Security.Capabilities; !reflect.DeepEqual(got, []string{"CAP_NET_BIND_SERVICE"}) {
		t.Errorf("capabilities %v", got)
	}
	if f.statusFD != fd || !reflect.DeepEqual(f.keepFDs, []int{fd}) {
		t.Errorf("status fd %d, kept %v", f.statusFD, f.keepFDs)
	}
	if m, b := *f.layer.Time.MonotonicOffset, *f.layer.Time.BoottimeOffset; m != 240*time.Hour || b != -36*time.Hour {
		t.Errorf("offsets %v and %v, want 240h and -36h", m, b)
	}
	// Values of variables are not paths: taken as given.
	if got := f.layer.Env.Set["A"]; got != "B=C$" {
		t.Errorf("A=%q", got)
	}
	if !reflect.DeepEqual(rest, []string{"/bin/true"}) {
		t.Errorf("rest %q", rest)
	}
}

// What can only be checked once the profiles are resolved is still
// blamed on the command line, not on a profile.
func TestRunSpecErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--rootfs-writable", "--", "/bin/true"}, "run: --rootfs-writable: no --rootfs (nor a profile's root) to make writable"},
		{[]string{"--", ""}, "run: the program name is empty"},
	}
	for _, tt := range tests {
		f, rest, err := parseRun(t, tt.args...)
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		_, _, err = f.spec(rest)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: error\n got %v\nwant %s", tt.args, err, tt.want)
		}
	}
	// With a root, --rootfs-writable is good.
	f, rest, err := parseRun(t, "--rootfs", t.TempDir(), "--rootfs-writable", "/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	spec, _, err := f.spec(rest)
	if err != nil || !spec.RootWritable {
		t.Errorf("--rootfs DIR --rootfs-writable: %v", err)
	}
}
