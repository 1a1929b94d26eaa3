package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// landlockABI returns the kernel's Landlock ABI, skipping the test where
// there is none.
func landlockABI(t *testing.T) int {
	t.Helper()
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, 1) // LANDLOCK_CREATE_RULESET_VERSION
	if errno != 0 {
		t.Skipf("this kernel has no Landlock (%v): enable it with the lsm= boot parameter to run this test", errno)
	}
	return int(v)
}

// A path a bind made visible is still refused when the mount's Landlock
// access says none: the directory shows, its content does not open.
func TestLandlockDeniesABoundPath(t *testing.T) {
	landlockABI(t)
	c := newCaller(t)
	dir := filepath.Join(c.work, "secret")
	os.Mkdir(dir, 0o755)
	c.own(dir)
	c.writeFile(filepath.Join(dir, "key"), "s3cret\n", 0o644)
	// A separate directory for the control: Landlock rules belong to
	// inodes, so a second bind of the same directory would share its rule.
	open := filepath.Join(c.work, "open")
	os.Mkdir(open, 0o755)
	c.own(open)
	c.writeFile(filepath.Join(open, "key"), "s3cret\n", 0o644)
	prof := c.profile("ll.toml", `extends = ["default"]
[[mount]]
type = "ro-bind"
source = "`+dir+`"
target = "/secret"
landlock = "none"

[[mount]]
type = "ro-bind"
source = "`+open+`"
target = "/open"
`)
	r := c.run("--profile", prof, "--", "sh", "-c", "test -d /secret && echo visible; cat /secret/key; cat /open/key")
	if !strings.Contains(r.stdout, "visible") || !strings.Contains(r.stdout, "s3cret") {
		t.Fatalf("the control bind is not readable, so the test proves nothing: %s", r)
	}
	if strings.Count(r.stdout, "s3cret") != 1 || !strings.Contains(r.stderr, "Permission denied") {
		t.Errorf("/secret with landlock = \"none\" was readable: %s", r)
	}
}

// TestLandlockReadOnlyBindKeepsItsMetadata binds a directory read-write with
// Landlock access ro or none. Landlock does not govern chmod, chown,
// utimes or xattrs, so the mount itself must be read-only for the file to
// keep its mode and times on the host.
func TestLandlockReadOnlyBindKeepsItsMetadata(t *testing.T) {
	landlockABI(t)
	for _, access := range []string{"ro", "none"} {
		t.Run(access, func(t *testing.T) {
			c := newCaller(t)
			dir := filepath.Join(c.work, "d")
			os.Mkdir(dir, 0o755)
			c.own(dir)
			file := filepath.Join(dir, "f")
			c.writeFile(file, "x\n", 0o644)
			before, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			prof := c.profile("meta.toml", "extends = [\"default\"]\n[[mount]]\ntype = \"bind\"\nsource = \""+dir+"\"\ntarget = \"/d\"\nlandlock = \""+access+"\"\n")
			r := c.run("--profile", prof, "--", "sh", "-c", "chmod 666 /d/f 2>/dev/null && echo chmod; touch -d 2001-01-01 /d/f 2>/dev/null && echo touch; true")
			if r.code != 0 || strings.TrimSpace(r.stdout) != "" {
				t.Errorf("metadata changes went through: %s", r)
			}
			after, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			if after.Mode() != before.Mode() || !after.ModTime().Equal(before.ModTime()) {
				t.Errorf("the host file changed: %v %v, was %v %v", after.Mode(), after.ModTime(), before.Mode(), before.ModTime())
			}
		})
	}
}

// A descriptor of a host directory handed in with --keep-fd leads outside
// every mount; Landlock refuses what lies beneath it with EACCES.
func TestLandlockGuardsDescriptorsThatLeadOut(t *testing.T) {
	landlockABI(t)
	c := newCaller(t)
	c.writeFile(filepath.Join(c.work, "host-file"), "host data\n", 0o644)
	dir, err := os.Open(c.work)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	pass := func(cmd *exec.Cmd) { cmd.ExtraFiles = []*os.File{nil, nil, nil, nil, dir} } // fd 7
	script := "cat /proc/self/fd/7/host-file"
	r := c.runWith(pass, "--keep-fd", "7", "--", "sh", "-c", script)
	if r.code == 0 || !strings.Contains(r.stderr, "Permission denied") {
		t.Errorf("a kept host directory fd gave access beneath it: %s", r)
	}
	r = c.runWith(pass, "--keep-fd", "7", "--profile", c.profile("off.toml", "extends = [\"default\"]\n[landlock]\nmode = \"off\"\n"), "--", "sh", "-c", script)
	if r.code != 0 || !strings.Contains(r.stdout, "host data") {
		t.Errorf("with Landlock off the kept fd should work, else the test proves nothing: %s", r)
	}
}

// On ABI 6 and later the sandbox cannot reach an abstract unix socket of
// the host even when it shares the host's network namespace.
func TestLandlockScopesAbstractSockets(t *testing.T) {
	if landlockABI(t) < 6 {
		t.Skip("Landlock ABI 6 (Linux 6.12) is needed for scoping abstract unix sockets")
	}
	// Named per process: two test runs on one machine share the host's
	// abstract namespace.
	name := "hutch-e2e-abstract-" + strconv.Itoa(os.Getpid())
	ln, err := unixListenAbstract(name)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(ln)
	c := newCaller(t)
	r := c.run(append([]string{"--share-net"}, probe("dial-unix", "@"+name)...)...)
	if !strings.Contains(r.stdout, "EPERM") {
		t.Errorf("connect to the host's abstract socket: %s", r)
	}
	r = c.run(append([]string{"--share-net", "--profile", c.profile("off.toml", "extends = [\"default\"]\n[landlock]\nmode = \"off\"\n")}, probe("dial-unix", "@"+name)...)...)
	if strings.TrimSpace(r.stdout) != "OK" {
		t.Errorf("without Landlock the abstract socket should be reachable, else the test proves nothing: %s", r)
	}
}

func unixListenAbstract(name string) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, unix.Listen(fd, 4)
}

// TestLandlockModeWhereItIsRefused runs hutch inside a hutch sandbox whose
// filter refuses landlock_create_ruleset, as a kernel without Landlock
// would (with EPERM rather than ENOSYS). The inner hutch must then run the
// app under best-effort and off, and under required refuse with 125,
// saying why and what to do, before the app starts.
func TestLandlockModeWhereItIsRefused(t *testing.T) {
	c := newCaller(t)
	// The outer sandbox lets the inner one create namespaces and mount; it
	// has no Landlock domain itself, since a Landlock domain forbids
	// mounting.
	outer := c.profile("no-landlock.toml", `extends = ["default"]
[security]
nested_userns = true
[seccomp]
deny = ["landlock_create_ruleset"]
[landlock]
mode = "off"
`)
	tests := []struct {
		mode string
		code int
		want string // on stderr
	}{
		{"best-effort", 0, ""},
		{"off", 0, ""},
		{"required", 125, `landlock is required by the profile, but Landlock is unavailable: landlock_create_ruleset: operation not permitted (a seccomp filter or security policy around hutch refuses it); or set landlock.mode = "best-effort"`},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			inner := c.profile("inner-"+tt.mode+".toml", "extends = [\"default\"]\n[landlock]\nmode = \""+tt.mode+"\"\n")
			r := c.run("--profile", outer, "--ro-bind", hutchBin, "/hutch", "--ro-bind", inner, "/inner.toml",
				"--", "/hutch", "run", "--profile", "/inner.toml", "--", "sh", "-c", "echo the app ran")
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tt.code, r)
			}
			if ran := strings.Contains(r.stdout, "the app ran"); ran != (tt.code == 0) {
				t.Errorf("the app ran: %v, want %v\n%s", ran, tt.code == 0, r)
			}
			if tt.want != "" && strings.TrimSpace(r.stderr) != "hutch: "+tt.want {
				t.Errorf("stderr:\n%s\nwant:\nhutch: %s", r.stderr, tt.want)
			}
		})
	}
}
