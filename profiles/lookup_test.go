package profiles

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// layeredLoader has a user and a system directory, each shadowing the
// next, with the built-ins last.
func layeredLoader(t *testing.T) (l *Loader, user, system string) {
	t.Helper()
	root := t.TempDir()
	user, system = filepath.Join(root, "user"), filepath.Join(root, "etc")
	writeProfiles(t, user, map[string]string{
		"default": "description = \"user default\"\nextends = [\"builtin:default\"]\nhostname = \"user\"\n",
		"web":     "description = \"user web\"\nhostname = \"user-web\"\n",
	})
	writeProfiles(t, system, map[string]string{
		"default": "description = \"system default\"\nhostname = \"system\"\n",
		"db":      "description = \"system db\"\nhostname = \"system-db\"\n",
		"shell":   "description = \"system shell\"\nextends = [\"builtin:shell\"]\n",
		"broken":  "description = \"broken\"\nhostnme = \"x\"\n",
	})
	return &Loader{Dirs: []string{user, system}, Vars: fullVars()}, user, system
}

func TestLookupOrder(t *testing.T) {
	l, user, system := layeredLoader(t)
	tests := []struct {
		name     string
		hostname string
		source   string
	}{
		{"default", "user", filepath.Join(user, "default.toml")},
		{"web", "user-web", filepath.Join(user, "web.toml")},
		{"db", "system-db", filepath.Join(system, "db.toml")},
		{"shell", "hutch-shell", filepath.Join(system, "shell.toml")},
		{"test", "test", "builtin:test.toml"},
		{"builtin:default", "hutch", "builtin:default.toml"},
		{"builtin:default.toml", "hutch", "builtin:default.toml"},
	}
	for _, tt := range tests {
		r, s := resolveSpec(t, l, []string{tt.name})
		if s.Hostname != tt.hostname || r.Sources[len(r.Sources)-1] != tt.source {
			t.Errorf("%s: hostname %q from %v, want %q from %s", tt.name, s.Hostname, r.Sources, tt.hostname, tt.source)
		}
	}
}

func TestLookupPaths(t *testing.T) {
	l, _, system := layeredLoader(t)
	dir := t.TempDir()
	writeProfiles(t, filepath.Join(dir, "sub"), map[string]string{
		"child": "extends = [\"../base.toml\", \"db\"]\nhostname = \"child\"\n",
	})
	writeProfiles(t, dir, map[string]string{
		"base": "[[mount]]\ntype = \"dir\"\ntarget = \"/base\"\n",
	})
	t.Chdir(dir)
	for _, arg := range []string{"sub/child.toml", filepath.Join(dir, "sub", "child.toml"), "./sub/child.toml"} {
		r, s := resolveSpec(t, l, []string{arg})
		// Relative extends resolve against the file that writes them.
		want := []string{filepath.Join(dir, "sub", "../base.toml"), filepath.Join(system, "db.toml"), arg}
		if !slices.Equal(r.Sources, want) || s.Hostname != "child" || len(s.Mounts) != 1 {
			t.Errorf("%s: sources %v, want %v; hostname %q", arg, r.Sources, want, s.Hostname)
		}
		files := r.Files()
		if len(files) != 3 || !filepath.IsAbs(files[2]) || files[0] != filepath.Join(dir, "base.toml") {
			t.Errorf("%s: files %v", arg, files)
		}
	}
	// A name with .toml is a path, relative to the working directory.
	writeProfiles(t, dir, map[string]string{"local": "hostname = \"local\"\n"})
	if _, s := resolveSpec(t, l, []string{"local.toml"}); s.Hostname != "local" {
		t.Errorf("local.toml: hostname %q", s.Hostname)
	}
}

func TestLookupErrors(t *testing.T) {
	l, user, system := layeredLoader(t)
	dir := t.TempDir()
	writeProfiles(t, dir, map[string]string{
		"bad-parent": "# a profile\nextends = [\"nope\"]\n",
	})
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.toml"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Twice the limit and more: the error gives the file's size, not the
	// count of bytes read before giving up.
	big := strings.Repeat("# "+strings.Repeat("x", 1021)+"\n", 2048) + strings.Repeat("x", 17)
	if err := os.WriteFile(filepath.Join(dir, "big.toml"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	builtins := strings.Join(BuiltinNames(), ", ")
	tests := []struct{ arg, want string }{
		{filepath.Join(dir, "big.toml"), filepath.Join(dir, "big.toml") + ":1:1: profile is 2097169 bytes, more than the 1048576 a profile may have"},
		{"nope", `profile "nope" not found: looked for nope.toml in ` + user + ", " + system + " and the built-ins (built-ins: " + builtins + ")"},
		{filepath.Join(dir, "bad-parent.toml"), filepath.Join(dir, "bad-parent.toml") + `:2:12: extends[1]: profile "nope" not found: looked for nope.toml in ` + user + ", " + system + " and the built-ins (built-ins: " + builtins + ")"},
		{"builtin:nope", `no built-in profile "nope" (built-ins: ` + builtins + ")"},
		{"-rf", `"-rf" is not a profile name (letters, digits, and . _ - after the first; give a path with a / to load a file)`},
		{filepath.Join(dir, "missing.toml"), "read profile: open " + filepath.Join(dir, "missing.toml") + ": no such file or directory"},
		{filepath.Join(dir, "fifo.toml"), "profile " + filepath.Join(dir, "fifo.toml") + ": not a regular file"},
		{dir + "/", "profile " + dir + "/: not a regular file"},
		{"broken", filepath.Join(system, "broken.toml") + `:2:1: hostnme: unknown key (did you mean "hostname"?)`},
	}
	for _, tt := range tests {
		_, err := l.Resolve([]string{tt.arg})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error\n got %v\nwant %s", tt.arg, err, tt.want)
		}
	}
}

func TestIsPath(t *testing.T) {
	for arg, want := range map[string]bool{
		"default": false, "my-web": false, "web.toml": true, "./web": true, "/etc/x": true,
		"dir/web": true, "builtin:default": false, "builtin:default.toml": false,
	} {
		if IsPath(arg) != want {
			t.Errorf("IsPath(%q) = %t", arg, !want)
		}
	}
}

func TestList(t *testing.T) {
	l, user, system := layeredLoader(t)
	// Not profiles: no .toml suffix, a directory, a bad name.
	os.WriteFile(filepath.Join(user, "notes.txt"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(user, "dir.toml"), 0o755)
	os.WriteFile(filepath.Join(user, "-x.toml"), []byte(""), 0o644)
	// Profiles that parse but do not load.
	writeProfiles(t, user, map[string]string{
		"loop":     "description = \"loops\"\nextends = [\"loop\"]\n",
		"orphan":   "description = \"no parent\"\nextends = [\"nope\"]\n",
		"conflict": "description = \"conflict\"\nhostname = \"x\"\n[namespaces]\nuts = false\n",
	})

	infos, err := l.List()
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name, source, desc string
		shadowed, failed   bool
	}
	var got []row
	for _, i := range infos {
		got = append(got, row{i.Name, i.Source, i.Description, i.Shadowed, i.Err != nil})
	}
	var want []row
	for _, name := range BuiltinNames() {
		switch name {
		case "default":
			want = append(want,
				row{"default", filepath.Join(user, "default.toml"), "user default", false, false},
				row{"default", filepath.Join(system, "default.toml"), "system default", true, false})
		case "shell":
			want = append(want, row{"shell", filepath.Join(system, "shell.toml"), "system shell", false, false})
		}
		data, _ := builtinData(name)
		p, err := Parse(builtinSource(name), data, fullVars())
		if err != nil {
			t.Fatal(err)
		}
		shadowed := name == "default" || name == "shell"
		want = append(want, row{name, builtinSource(name), p.Description, shadowed, false})
	}
	want = append(want,
		row{"broken", filepath.Join(system, "broken.toml"), "broken", false, true},
		row{"conflict", filepath.Join(user, "conflict.toml"), "conflict", false, true},
		row{"loop", filepath.Join(user, "loop.toml"), "loops", false, true},
		row{"orphan", filepath.Join(user, "orphan.toml"), "no parent", false, true},
		row{"db", filepath.Join(system, "db.toml"), "system db", false, false},
		row{"web", filepath.Join(user, "web.toml"), "user web", false, false})
	slices.SortStableFunc(want, func(a, b row) int { return strings.Compare(a.name, b.name) })
	if !slices.Equal(got, want) {
		t.Errorf("list:\n got %v\nwant %v", got, want)
	}
	// The profile in use is checked by its name, as it is used.
	for _, i := range infos {
		want := filepath.Join(user, "loop.toml") + ":2:12: extends[1]: extends cycle: loop -> loop"
		if i.Name == "loop" && (i.Err == nil || i.Err.Error() != want) {
			t.Errorf("loop: error\n got %v\nwant %s", i.Err, want)
		}
	}
}

func TestNewLoaderDirs(t *testing.T) {
	tests := []struct {
		vars Vars
		want []string
	}{
		{Vars{"HOME": "/h", "XDG_CONFIG_HOME": "/cfg"}, []string{"/cfg/hutch/profiles", "/etc/hutch/profiles"}},
		{Vars{"HOME": "/h"}, []string{"/h/.config/hutch/profiles", "/etc/hutch/profiles"}},
		{Vars{}, []string{"/etc/hutch/profiles"}},
	}
	for _, tt := range tests {
		if got := NewLoader(tt.vars).Dirs; !slices.Equal(got, tt.want) {
			t.Errorf("NewLoader(%v).Dirs = %v, want %v", tt.vars, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	l, _, system := layeredLoader(t)
	dir := t.TempDir()
	writeProfiles(t, dir, map[string]string{
		"good":     "extends = [\"default\"]\n",
		"conflict": "extends = [\"builtin:default\"]\n[namespaces]\nuts = false\n",
	})
	if err := l.Check(filepath.Join(dir, "good.toml")); err != nil {
		t.Errorf("good: %v", err)
	}
	if err := l.Check("shell"); err != nil {
		t.Errorf("shell: %v", err)
	}
	want := "profile " + filepath.Join(dir, "conflict.toml") + ": hostname needs a new uts namespace, but it is shared with the host"
	if err := l.Check(filepath.Join(dir, "conflict.toml")); err == nil || err.Error() != want {
		t.Errorf("conflict: %v", err)
	}
	want = filepath.Join(system, "broken.toml") + `:2:1: hostnme: unknown key (did you mean "hostname"?)`
	if err := l.Check("broken"); err == nil || err.Error() != want {
		t.Errorf("broken: %v", err)
	}
}
