package profiles

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hutch-sandbox/hutch/sandbox"
)

// roundTrip resolves names, renders the result, and resolves the rendering
// again as a file of its own: both Specs must be the same.
func roundTrip(t *testing.T, l *Loader, names []string, layers ...*Profile) {
	t.Helper()
	r, err := l.Resolve(names, layers...)
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.Spec([]string{"/bin/true"}, testCaller)
	if err != nil {
		t.Fatal(err)
	}
	text := r.TOML()
	file := filepath.Join(t.TempDir(), "rendered.toml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	// Different variables on the way back: nothing may be left to expand.
	back, err := (&Loader{Vars: Vars{}}).Resolve([]string{file})
	if err != nil {
		t.Fatalf("%v: rendering does not load: %v\n%s", names, err, text)
	}
	got, err := back.Spec([]string{"/bin/true"}, testCaller)
	if err != nil {
		t.Fatalf("%v: rendering does not give a Spec: %v\n%s", names, err, text)
	}
	got.Profiles = want.Profiles
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%v: round trip changed the spec\n got %+v\nwant %+v\n%s", names, got, want, text)
	}
	// Rendering is stable: the rendering of the rendering is the same text.
	if again := back.Profile.TOML(); again != r.Profile.TOML() {
		t.Errorf("%v: rendering is not stable:\n%s\nthen\n%s", names, r.Profile.TOML(), again)
	}
}

func TestTOMLRoundTripBuiltins(t *testing.T) {
	for _, vars := range []Vars{fullVars(), bareVars()} {
		l := &Loader{Vars: vars}
		for _, name := range BuiltinNames() {
			roundTrip(t, l, []string{"default", name})
		}
	}
}

func TestTOMLRoundTripEverything(t *testing.T) {
	l, _ := testLoader(t, map[string]string{
		"all": `
description = "costs $$5, says \"hi\"\ttab"
hostname = "box"
domainname = ""
machine_id = "random"
root = "/srv/root"
root_writable = true
[namespaces]
mount = true
net = "sandbox:web"
ipc = false
uts = "new"
[identity]
uid = 0
gid = 4294967294
subordinate = true
[[mount]]
type = "tmpfs"
target = "/"
size = 1536
[[mount]]
type = "tmpfs"
target = "/t"
size = "2G"
mode = "1777"
readonly = true
[[mount]]
type = "file"
target = "/etc/motd"
content = """
line one
price: $$10 \u00e9
"""
mode = 0o600
[[mount]]
type = "symlink"
source = "../usr/$$lib"
target = "/lib"
[[mount]]
type = "bind"
source = "${HOME}/with space"
target = "/with space"
optional = true
[env]
clear = false
keep = ["LC_*"]
set = { "WEIRD.NAME" = "a$$b", EMPTY = "", Q = "\"" }
unset = ["X*"]
[time]
monotonic_offset = "-1d12h"
boottime_offset = "0s"
[process]
command = ["/bin/sh", "-c", "echo $$HOME"]
cwd = "/t"
new_session = false
die_with_parent = false
as_pid1 = true
[limits]
nofile = 1024
nproc = "256:512"
as = "4G:unlimited"
cpu = "unlimited"
stack = "18446744073709551614"
[security]
capabilities = ["net_bind_service"]
nested_userns = true
[seccomp]
profile = "none"
action = "kill"
allow = ["@keyring"]
deny = ["ptrace"]
[landlock]
mode = "off"
read = ["/r"]
write = ["/w"]
`,
	})
	roundTrip(t, l, []string{"all"})

	// A layer built by the CLI renders too, including an emptied command.
	layer := &Profile{}
	layer.SetCommand()
	layer.SetEnv("DOLLAR", "$")
	layer.AddMount(sandbox.Mount{Type: sandbox.Dir, Target: "/d", Mode: 0o750})
	roundTrip(t, l, []string{"all"}, layer)
}

func TestTOMLText(t *testing.T) {
	p := &Profile{Description: "d"}
	p.SetHostname("h")
	p.SetNamespace(sandbox.NSNet, sandbox.Host)
	p.SetCommand("/bin/echo", "$HOME")
	p.AddMount(sandbox.Mount{Type: sandbox.Tmpfs, Target: "/tmp", Size: 64 << 20, Mode: 0o1777})
	p.SetLimit("nofile", 1, 2)
	want := `description = "d"
hostname = "h"

[namespaces]
net = false

[[mount]]
type = "tmpfs"
target = "/tmp"
size = "64M"
mode = "1777"

[process]
command = ["/bin/echo", "$$HOME"]

[limits]
nofile = "1:2"
`
	if got := p.TOML(); got != want {
		t.Errorf("TOML:\n%s\nwant:\n%s", got, want)
	}
	r := &Resolved{Profile: p, Sources: []string{"builtin:default.toml", "/x/web.toml"}}
	if got := r.TOML(); !strings.HasPrefix(got, "# Resolved from: builtin:default.toml, /x/web.toml\n"+want[:10]) {
		t.Errorf("Resolved.TOML:\n%s", got)
	}
}
