package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The command line's own errors: exit 125, one line on stderr that starts
// with "hutch:" and names what was wrong, nothing on stdout, nothing run.
func TestCLIErrorsAreOneLineAndNamed(t *testing.T) {
	c := newCaller(t)
	marker := filepath.Join(c.work, "ran")
	touch := []string{"--bind", c.work, c.work, "--", "/bin/touch", marker}
	tests := []struct {
		args []string
		want string // the whole line, without "hutch: "
	}{
		{[]string{"bogus"}, `unknown command "bogus" (commands: doctor, exec, inspect, kill, logs, profile, ps, run, stop; see hutch --help)`},
		{[]string{"help", "bogus"}, `help: unknown command "bogus" (commands: doctor, exec, inspect, kill, logs, profile, ps, run, stop; see hutch --help)`},
		{[]string{"profile", "list", "extra"}, `profile list: unexpected argument "extra"`},
		{[]string{"profile", "list", "--json", "extra"}, `profile list: unknown option --json (see hutch profile list --help)`},
		{[]string{"ps", "a", "b"}, `ps: unexpected argument "b"`},
		{[]string{"run", "--bind", "/usr", "x"}, `run: --bind: target "x" is not an absolute path`},
		{[]string{"run", "--seccomp", "bogus"}, `run: --seccomp: "bogus" is not one of default, none`},
		{[]string{"run", "--cap-add", "CAP_BOGUS"}, `run: --cap-add: unknown capability "CAP_BOGUS"`},
		{[]string{"run", "--chdir", "rel"}, `run: --chdir: "rel" is not an absolute path`},
		{[]string{"run", "--symlink", "", "/t"}, `run: --symlink: a symlink needs the link text`},
		{[]string{"run", "--setenv", "A=B", "x"}, `run: --setenv: "A=B" is not a variable name`},
		{[]string{"run", "--setenv", "", "x"}, `run: --setenv: "" is not a variable name`},
		{[]string{"run", "--keepenv", "["}, `run: --keepenv: "[" is not a valid pattern: syntax error in pattern`},
		{[]string{"run", "--unsetenv", ""}, `run: --unsetenv: "" is not a variable name`},
		{[]string{"run", "--hostname", strings.Repeat("h", 65)}, `run: --hostname: "` + strings.Repeat("h", 65) + `" is longer than 64 bytes`},
		{[]string{"run", "--rootfs-writable"}, `run: --rootfs-writable: no --rootfs (nor a profile's root) to make writable`},
		{[]string{"run", "-p", "rootfs"}, `run: the rootfs profile needs a rootfs folder: give --rootfs DIR (or root in a profile)`},
		{[]string{"run", "--json-status-fd", "99"}, `run: --json-status-fd: descriptor 99 is not open`},
		{[]string{"run", "--keep-fd", "99"}, `run: --keep-fd: descriptor 99 is not open`},
		{[]string{"run", "--hostname", ""}, `run: --hostname: an empty name would leave the host's name in the sandbox; give one, or --share-uts`},
		{[]string{"run", "-p", ""}, `run: -p: empty profile name`},
		{[]string{"run", "--profile", "bad name"}, `run: --profile: "bad name" is not a profile name (letters, digits, and . _ - after the first; give a path with a / to load a file)`},
		{[]string{"stop", "--timeout", "Inf", "x"}, `stop: --timeout: "Inf" is not a number of seconds from 0 to 86400`},
		{[]string{"stop", "-t", "NaN", "x"}, `stop: -t: "NaN" is not a number of seconds from 0 to 86400`},
		{[]string{"help", "run", "x"}, `help: unexpected argument "x" (want hutch help [COMMAND], or hutch help profile SUBCOMMAND)`},
	}
	for _, tt := range tests {
		args := tt.args
		if args[0] == "run" {
			args = append(append([]string{}, args...), touch...)
		}
		r := c.hutch(args...)
		if r.code != 125 || r.stderr != "hutch: "+tt.want+"\n" || r.stdout != "" {
			t.Errorf("hutch %q: want exit 125 and stderr\nhutch: %s\ngot %s", args, tt.want, r)
		}
	}
	if r := c.hutch("run", "--", ""); r.code != 125 || r.stderr != "hutch: run: the program name is empty\n" {
		t.Errorf(`hutch run -- "": %s`, r)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a command ran despite a bad option")
	}
}

// --help works after names, in every command that takes names, and "--"
// ends the options.
func TestCLIHelpAfterNames(t *testing.T) {
	c := newCaller(t)
	if r, top := c.hutch("help", "--help"), c.hutch("--help"); r.code != 0 || r.stdout != top.stdout {
		t.Errorf("hutch help --help: want hutch --help's text\n%s", r)
	}
	for _, tt := range []struct {
		args []string
		name string // whose usage is printed
	}{
		{[]string{"profile", "list", "--help"}, "profile list"},
		{[]string{"profile", "show", "--help"}, "profile show"},
		{[]string{"profile", "check", "x", "--help"}, "profile check"},
		{[]string{"profile", "explain", "--help"}, "profile explain"},
		{[]string{"kill", "NAME", "--help"}, "kill"},
		{[]string{"stop", "NAME", "--help"}, "stop"},
		{[]string{"logs", "NAME", "--help"}, "logs"},
		{[]string{"inspect", "NAME", "--help"}, "inspect"},
		{[]string{"ps", "NAME", "--help"}, "ps"},
		{[]string{"help", "run"}, "run"},
		{[]string{"help", "profile", "show"}, "profile show"},
	} {
		r := c.hutch(tt.args...)
		usage, _, _ := strings.Cut(r.stdout, "\n")
		if r.code != 0 || usage != "Usage: hutch "+tt.name && !strings.HasPrefix(usage, "Usage: hutch "+tt.name+" ") || r.stderr != "" {
			t.Errorf("hutch %q: want usage of %s\n%s", tt.args, tt.name, r)
		}
	}
	// After "--", --help is a name, and "--" is none.
	r := c.hutch("profile", "show", "--", "--help")
	if r.code != 125 || !strings.Contains(r.stderr, `"--help" is not a profile name`) {
		t.Errorf("profile show -- --help: %s", r)
	}
	r = c.hutch("profile", "show", "--", "shell")
	if r.code != 0 || !strings.Contains(r.stdout, "[process]") {
		t.Errorf("profile show -- shell: %s", r)
	}
	// A run's command keeps its own --help.
	r = c.hutch("run", "/bin/sh", "-c", `echo "$1"`, "sh", "--help")
	if r.code != 0 || r.stdout != "--help\n" {
		t.Errorf("run sh ... --help: %s", r)
	}
}

// Paths on the command line expand the variables profiles use and are
// cleaned; a HOME with ".." in it is cleaned too.
func TestCLIPathsExpandAndClean(t *testing.T) {
	c := newCaller(t)
	c.writeFile(filepath.Join(c.home, "mark"), "x", 0o644)
	c.mustRun("--ro-bind", "${HOME}", "/h", "--bind", "/usr", "/tmp/x/", "--tmpfs", "/t//", "--",
		"/bin/sh", "-c", "test -f /h/mark && test -d /tmp/x/bin && test -d /t")
	c.extraEnv = []string{"HOME=" + filepath.Join(c.home, "..", filepath.Base(c.home))}
	c.mustRun("--ro-bind", "${HOME}/mark", "/m", "--", "/bin/true")
}

// profile list shows the profiles that do not load, and still succeeds.
func TestProfileListShowsBroken(t *testing.T) {
	c := newCaller(t)
	dir := filepath.Join(c.home, ".config", "hutch", "profiles")
	for _, d := range []string{filepath.Join(c.home, ".config"), filepath.Join(c.home, ".config", "hutch"), dir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		c.own(d)
	}
	c.writeFile(filepath.Join(dir, "loop.toml"), "description = \"loops\"\nextends = [\"loop\"]\n", 0o644)
	c.writeFile(filepath.Join(dir, "good.toml"), "description = \"fine\"\nextends = [\"default\"]\n", 0o644)
	r := c.hutch("profile", "list")
	if r.code != 0 {
		t.Fatalf("profile list: %s", r)
	}
	var loop, good string
	for _, l := range lines(r.stdout) {
		switch strings.Fields(l)[0] {
		case "loop":
			loop = l
		case "good":
			good = l
		}
	}
	if !strings.Contains(loop, "BROKEN: ") || !strings.Contains(loop, "extends cycle: loop -> loop") {
		t.Errorf("loop line %q\n%s", loop, r)
	}
	if !strings.HasSuffix(good, "fine") {
		t.Errorf("good line %q\n%s", good, r)
	}
}
