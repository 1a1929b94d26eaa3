package tests

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHutchFilesStayOutOfReach runs a copy of hutch kept in a directory the
// sandbox may write, with a profile kept there too, and has the app try
// to replace them: by writing, by removing, and by moving their
// directories aside to put its own in their place, which would make the
// host run the app's program as hutch next time. It tries at their host
// paths and under a bind of the same directory mounted elsewhere. The
// directories must stay writable otherwise.
func TestHutchFilesStayOutOfReach(t *testing.T) {
	c := newCaller(t)
	tools := filepath.Join(c.work, "tools")
	profDir := filepath.Join(c.work, "profiles")
	binary, err := os.ReadFile(hutchBin)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{tools, profDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		c.own(d)
	}
	c.writeFile(filepath.Join(tools, "hutch"), string(binary), 0o755)
	profile := "extends = [\"default\"]\n"
	c.writeFile(filepath.Join(profDir, "p.toml"), profile, 0o644)
	attempts := func(w string) string {
		var b strings.Builder
		for _, try := range []string{
			"echo x > W/tools/hutch", "rm -f W/tools/hutch", "mv W/tools W/tools.old",
			"echo x >> W/profiles/p.toml", "mv W/profiles W/profiles.old", "rm -rf W/tools",
		} {
			b.WriteString(strings.ReplaceAll(try, "W", w) + " 2>/dev/null && echo replaced: " + strings.ReplaceAll(try, "W", w) + "; ")
		}
		b.WriteString("touch " + w + "/tools/other && echo writable")
		return b.String()
	}
	for _, tc := range []struct{ name, inside string }{
		{"at the host path", c.work},
		{"under a bind elsewhere", "/elsewhere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(tools, "hutch"), "run", "--profile", filepath.Join(profDir, "p.toml"),
				"--bind", c.work, tc.inside, "--", "sh", "-c", attempts(tc.inside))
			cmd.Dir, cmd.Env = c.work, c.environ()
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: runAs}
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Run(); err != nil {
				t.Fatalf("hutch: %v\n%s%s", err, out.String(), errOut.String())
			}
			if strings.Contains(out.String(), "replaced") || !strings.Contains(out.String(), "writable") {
				t.Errorf("inside:\n%s", out.String())
			}
			if now, _ := os.ReadFile(filepath.Join(tools, "hutch")); !bytes.Equal(now, binary) {
				t.Errorf("the hutch binary on the host changed")
			}
			if now, _ := os.ReadFile(filepath.Join(profDir, "p.toml")); string(now) != profile {
				t.Errorf("the profile on the host changed: %q", now)
			}
		})
	}
}

// TestStateDirectoryHiddenWherever binds the directory that holds hutch's
// state (control sockets of named sandboxes, the filter cache) at another
// path: its hutch directory must still be empty inside.
func TestStateDirectoryHiddenWherever(t *testing.T) {
	c := newCaller(t)
	c.mustRun("--", "true") // writes the filter cache
	if _, err := os.Stat(filepath.Join(c.runtimeDir, "hutch", ".cache")); err != nil {
		t.Fatalf("no state to hide: %v", err)
	}
	for _, at := range []string{c.runtimeDir, "/r"} {
		r := c.mustRun("--ro-bind", c.runtimeDir, at, "--", "ls", "-A", at+"/hutch")
		if strings.TrimSpace(r.stdout) != "" {
			t.Errorf("hutch's state shows at %s/hutch: %q", at, r.stdout)
		}
	}
}

// TestOtherStateRootsHidden checks the state roots a run in another
// environment uses. With XDG_RUNTIME_DIR set, hutch keeps its state there,
// but a run from cron (no XDG_RUNTIME_DIR) keeps it in $TMPDIR/hutch-UID:
// a sandbox given the temporary directory must neither see that one's
// state nor make it, missing, with a forged filter cache for a later run.
func TestOtherStateRootsHidden(t *testing.T) {
	for _, exists := range []bool{true, false} {
		t.Run(map[bool]string{true: "existing", false: "missing"}[exists], func(t *testing.T) {
			c := newCaller(t)
			tmp := filepath.Join(c.work, "tmp")
			if err := os.Mkdir(tmp, 0o755); err != nil {
				t.Fatal(err)
			}
			c.own(tmp)
			uid := strconv.Itoa(hutchUID())
			other := filepath.Join(tmp, "hutch-"+uid)
			if exists {
				// A named sandbox's files, as a run without XDG_RUNTIME_DIR leaves them.
				if err := os.MkdirAll(filepath.Join(other, ".cache"), 0o700); err != nil {
					t.Fatal(err)
				}
				c.own(other)
				c.own(filepath.Join(other, ".cache"))
				c.writeFile(filepath.Join(other, ".cache", "seccomp-0.bpf"), "filter", 0o600)
			}
			c.extraEnv = []string{"TMPDIR=" + tmp}
			r := c.mustRun("--bind", tmp, "/t", "--", "sh", "-c",
				"ls -A /t/hutch-"+uid+"; mkdir -p /t/hutch-"+uid+"/.cache 2>/dev/null && echo made; "+
					"echo forged > /t/hutch-"+uid+"/.cache/seccomp-0.bpf 2>/dev/null && echo forged; "+
					"mv /t/hutch-"+uid+" /t/moved 2>/dev/null && echo moved; touch /t/other && echo writable")
			if got := lines(r.stdout); len(got) != 1 || got[0] != "writable" {
				t.Errorf("the state root of a run without XDG_RUNTIME_DIR, inside:\n%s\nwant it empty, unwritable and in place", r)
			}
			if st, err := os.Stat(other); err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
				t.Errorf("%s on the host: %v, %v; want a 0700 directory hutch made ahead of the app", other, st, err)
			}
		})
	}
}

// TestBindsIntoStateRefused checks that a bind of a part of hutch's state
// directory, which hiding the directory would not cover, is refused, as
// is a writable bind of a file in the user's profile directory; read-only,
// a profile may be bound.
func TestBindsIntoStateRefused(t *testing.T) {
	c := newCaller(t)
	c.mustRun("--", "true") // makes the state directory and its cache
	profDir := filepath.Join(c.home, ".config", "hutch", "profiles")
	c.writeFile(filepath.Join(profDir, "mine.toml"), "extends = [\"default\"]\n", 0o600)
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--ro-bind", filepath.Join(c.runtimeDir, "hutch", ".cache"), "/c"}, "lies in hutch's state directory"},
		{[]string{"--bind", filepath.Join(c.runtimeDir, "hutch"), "/c"}, "lies in hutch's state directory"},
		{[]string{"--bind", filepath.Join(profDir, "mine.toml"), "/p.toml"}, "which sandboxes may only read"},
	} {
		r := c.run(append(tc.args, "--", "true")...)
		if r.code != 125 || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("%v: %s\nwant 125 and an error saying %q", tc.args, r, tc.says)
		}
	}
	r := c.mustRun("--ro-bind", filepath.Join(profDir, "mine.toml"), "/p.toml", "--", "cat", "/p.toml")
	if !strings.Contains(r.stdout, "default") {
		t.Errorf("a profile bound read-only: %s", r)
	}
}

// TestStateDirectoryParentsPinned keeps hutch's state directory where a
// writable bind shows the directories above it, as with XDG_RUNTIME_DIR
// (or TMPDIR) inside a project directory: the app must not rename one of
// them and make a new directory of the same name, where hutch on the host
// would look for its filter cache and control sockets next time.
func TestStateDirectoryParentsPinned(t *testing.T) {
	c := newCaller(t)
	runtimeDir := filepath.Join(c.work, "x", "y", "run")
	for _, d := range []string{filepath.Join(c.work, "x"), filepath.Join(c.work, "x", "y"), runtimeDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		c.own(d)
	}
	c.extraEnv = []string{"XDG_RUNTIME_DIR=" + runtimeDir}
	c.mustRun("--", "true") // makes the state directory and its cache
	r := c.mustRun("--bind", c.work, "/w", "--", "sh", "-c",
		"mv /w/x/y /w/x/moved 2>/dev/null && echo moved y; mv /w/x/y/run /w/x/y/moved 2>/dev/null && echo moved run; "+
			"mv /w/x /w/moved 2>/dev/null && echo moved x; touch /w/x/y/other && echo writable")
	if strings.Contains(r.stdout, "moved") || !strings.Contains(r.stdout, "writable") {
		t.Errorf("inside:\n%s", r)
	}
}

// TestDeepProtectedBinary runs a copy of hutch kept 24 directories down a
// directory the sandbox may write: each directory above it is pinned, and
// the pins must not multiply the mounts (bottom up, each copied the ones
// below, past the kernel's limit of 100,000 at 17 levels).
func TestDeepProtectedBinary(t *testing.T) {
	c := newCaller(t)
	dir := c.work
	for i := range 24 {
		dir = filepath.Join(dir, "d"+strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		c.own(dir)
	}
	binary, err := os.ReadFile(hutchBin)
	if err != nil {
		t.Fatal(err)
	}
	c.writeFile(filepath.Join(dir, "hutch"), string(binary), 0o755)
	cmd := exec.Command(filepath.Join(dir, "hutch"), "run", "--bind", c.work, "/w", "--", "sh", "-c", "wc -l < /proc/self/mountinfo")
	cmd.Dir, cmd.Env = c.work, c.environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: runAs}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("hutch 24 directories down: %v\n%s", err, out)
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(string(out))); n > 400 {
		t.Errorf("%d mounts inside", n)
	}
}

// TestProfileDirectoryProtected gives the sandbox ~/.config read-write and
// has it plant default.toml in the user's profile directory, which would
// shadow the built-in default profile in every later run.
func TestProfileDirectoryProtected(t *testing.T) {
	for _, exists := range []bool{true, false} {
		t.Run(map[bool]string{true: "existing", false: "missing"}[exists], func(t *testing.T) {
			testProfileDirectoryProtected(t, exists)
		})
	}
}

// TestDefaultProfileDirectoryProtected runs with XDG_CONFIG_HOME elsewhere:
// the profile directory a run without it uses, ~/.config/hutch/profiles,
// must be as safe from a sandbox given ~/.config as the one in use.
func TestDefaultProfileDirectoryProtected(t *testing.T) {
	c := newCaller(t)
	config := filepath.Join(c.home, ".config")
	alt := filepath.Join(c.home, "altcfg")
	for _, d := range []string{config, alt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		c.own(d)
	}
	c.extraEnv = []string{"XDG_CONFIG_HOME=" + alt}
	profDir := filepath.Join(config, "hutch", "profiles")
	r := c.mustRun("--bind", config, config, "--", "sh", "-c",
		"mkdir -p "+profDir+" 2>/dev/null; echo 'description = \"planted\"' > "+profDir+"/default.toml 2>/dev/null && echo planted; touch "+config+"/other && echo writable")
	if strings.Contains(r.stdout, "planted") || !strings.Contains(r.stdout, "writable") {
		t.Errorf("inside:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(profDir, "default.toml")); err == nil {
		t.Errorf("a default.toml was planted in ~/.config/hutch/profiles")
	}
}

// testProfileDirectoryProtected is TestProfileDirectoryProtected with the
// profile directory made beforehand or not: hutch must make a missing one
// so that it can protect it.
func testProfileDirectoryProtected(t *testing.T, exists bool) {
	c := newCaller(t)
	profDir := filepath.Join(c.home, ".config", "hutch", "profiles")
	made := profDir
	if !exists {
		made = filepath.Join(c.home, ".config")
	}
	if err := os.MkdirAll(made, 0o755); err != nil {
		t.Fatal(err)
	}
	for p := made; p != c.home; p = filepath.Dir(p) {
		c.own(p)
	}
	config := filepath.Join(c.home, ".config")
	r := c.mustRun("--bind", config, config, "--", "sh", "-c",
		"mkdir -p "+profDir+" 2>/dev/null; echo 'description = \"planted\"' > "+profDir+"/default.toml 2>/dev/null && echo planted; "+
			"mv "+filepath.Dir(profDir)+" "+config+"/moved 2>/dev/null && echo moved; touch "+config+"/other && echo writable")
	if strings.Contains(r.stdout, "planted") || strings.Contains(r.stdout, "moved") || !strings.Contains(r.stdout, "writable") {
		t.Errorf("inside:\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(profDir, "default.toml")); err == nil {
		t.Errorf("a default.toml was planted in the user's profile directory")
	}
}

// TestBroadCurrentDirectoryRefused runs the untrusted and test profiles,
// which bind the current directory read-write, from / and from the home
// directory: that would hand the sandbox the host's /tmp and /proc, or
// ~/.bashrc, without a word. The same bind asked on the command line is
// the caller's to make.
func TestBroadCurrentDirectoryRefused(t *testing.T) {
	c := newCaller(t)
	for _, tc := range []struct{ profile, dir, says string }{
		{"untrusted", "/", "the whole host file system"},
		{"test", "/", "the whole host file system"},
		{"untrusted", c.home, "your whole home"},
	} {
		r := c.runWith(func(cmd *exec.Cmd) { cmd.Dir = tc.dir }, "-p", tc.profile, "--", "true")
		if r.code != 125 || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("-p %s from %s: want 125 and %q\n%s", tc.profile, tc.dir, tc.says, r)
		}
	}
	// Through symbolic links, as a shell's PWD names them, and from a
	// directory that holds the home.
	rootLink, homeLink := filepath.Join(c.base, "rootlink"), filepath.Join(c.base, "homelink")
	for _, l := range [][2]string{{"/", rootLink}, {c.home, homeLink}} {
		if err := os.Symlink(l[0], l[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ dir, home, says string }{
		{rootLink, c.home, "the whole host file system"},
		{c.home, homeLink, "your whole home"},
		{homeLink, c.home, "your whole home"},
		{c.base, c.home, "your whole home"},
	} {
		r := c.runWith(func(cmd *exec.Cmd) {
			cmd.Dir = tc.dir
			cmd.Env = append(cmd.Env, "PWD="+tc.dir, "HOME="+tc.home)
		}, "-p", "untrusted", "--", "true")
		if r.code != 125 || !strings.Contains(r.stderr, tc.says) {
			t.Errorf("-p untrusted from %s with HOME %s: want 125 and %q\n%s", tc.dir, tc.home, tc.says, r)
		}
	}
	if r := c.runWith(func(cmd *exec.Cmd) { cmd.Dir = c.home }, "-p", "untrusted", "--bind", c.home, c.home, "--", "true"); r.code != 0 {
		t.Errorf("the home bound on the command line: %s", r)
	}
}
