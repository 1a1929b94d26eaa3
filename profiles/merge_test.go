package profiles

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hutch-sandbox/hutch/idmap"
	"github.com/hutch-sandbox/hutch/sandbox"
)

var testCaller = idmap.Caller{UID: 1000, GID: 1000, Name: "ann"}

// writeProfiles writes NAME.toml files into dir.
func writeProfiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name+".toml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testLoader looks only in a temporary directory (and the built-ins).
func testLoader(t *testing.T, files map[string]string) (*Loader, string) {
	t.Helper()
	dir := t.TempDir()
	writeProfiles(t, dir, files)
	return &Loader{Dirs: []string{dir}, Vars: fullVars()}, dir
}

func resolveSpec(t *testing.T, l *Loader, names []string, layers ...*Profile) (*Resolved, *sandbox.Spec) {
	t.Helper()
	r, err := l.Resolve(names, layers...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Spec([]string{"/bin/true"}, testCaller)
	if err != nil {
		t.Fatal(err)
	}
	return r, s
}

func TestMergeRules(t *testing.T) {
	l, _ := testLoader(t, map[string]string{
		"parent": `
description = "the parent"
hostname = "parent"
domainname = "parent.example"
machine_id = "host"
[namespaces]
net = true
ipc = false
[identity]
uid = 1
gid = 2
[[mount]]
type = "tmpfs"
target = "/p"
[env]
clear = true
keep = ["A"]
set = { X = "1", Y = "2" }
unset = ["U1", "Y2"]
[time]
monotonic_offset = "1h"
boottime_offset = "2h"
[process]
command = ["/bin/parent", "arg"]
cwd = "/p"
new_session = true
as_pid1 = true
[limits]
nofile = 100
nproc = 100
[security]
capabilities = ["CAP_CHOWN"]
nested_userns = true
[seccomp]
action = "kill"
allow = ["ptrace"]
deny = ["@mount"]
[landlock]
mode = "required"
read = ["/r1"]
write = ["/w1"]
`,
		"child": `
extends = ["parent"]
hostname = "child"
[namespaces]
net = false
[identity]
gid = 0
[[mount]]
type = "tmpfs"
target = "/c"
[env]
keep = ["B"]
set = { Y = "3", Z = "4", Y2 = "back" }
unset = ["U2"]
[time]
boottime_offset = "0s"
[process]
command = ["/bin/child"]
new_session = false
[limits]
nofile = 200
[security]
capabilities = ["CAP_KILL"]
nested_userns = false
[seccomp]
allow = ["@keyring"]
deny = ["@swap"]
[landlock]
read = ["/r2"]
write = ["/w2"]
`,
	})
	r, s := resolveSpec(t, l, []string{"child"})
	got := r.Profile

	// Scalars: a set value overrides; an unset one keeps the parent's;
	// a zero value is a value.
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("hostname (overridden)", s.Hostname, "child")
	check("domainname (kept)", s.Domainname, "parent.example")
	check("machine id (kept)", s.HostMachineID, true)
	check("net (true overridden by false)", s.Namespaces[sandbox.NSNet], sandbox.Host)
	check("ipc (kept)", s.Namespaces[sandbox.NSIPC], sandbox.Host)
	check("pid (default)", s.Namespaces[sandbox.NSPID], sandbox.New)
	check("uid (kept)", s.Identity.UID, uint32(1))
	check("gid (overridden by 0)", s.Identity.GID, uint32(0))
	check("boottime (overridden by 0)", s.BoottimeOffset, time.Duration(0))
	check("monotonic (kept)", s.MonotonicOffset, time.Hour)
	check("new_session (true overridden by false)", s.Process.NewSession, false)
	check("as_pid1 (kept)", s.Process.AsPID1, true)
	check("cwd (kept)", s.Process.Cwd, "/p")
	check("nested_userns (overridden by false)", s.Security.Seccomp.NestedUserns, false)
	check("seccomp action (kept)", s.Security.Seccomp.Action, "kill")
	check("landlock mode (kept)", s.Security.Landlock.Mode, "required")
	check("env clear (kept)", s.Process.Env.Clear, true)

	// Lists append, parents first.
	check("mounts", []string{s.Mounts[0].Target, s.Mounts[1].Target}, []string{"/p", "/c"})
	check("env keep", s.Process.Env.Keep, []string{"A", "B"})
	check("env unset", s.Process.Env.Unset, []string{"U1", "U2"})
	check("capabilities", s.Security.Capabilities, []string{"CAP_CHOWN", "CAP_KILL"})
	check("seccomp allow", s.Security.Seccomp.Allow, []string{"ptrace", "@keyring"})
	check("seccomp deny", s.Security.Seccomp.Deny, []string{"@mount", "@swap"})
	check("landlock read", s.Security.Landlock.Read, []string{"/r1", "/r2"})
	check("landlock write", s.Security.Landlock.Write, []string{"/w1", "/w2"})

	// process.command replaces.
	check("command", got.Process.Command, []string{"/bin/child"})

	// Tables merge key by key; a name the child sets is no longer unset.
	check("env set", s.Process.Env.Set, map[string]string{"X": "1", "Y": "3", "Z": "4", "Y2": "back"})
	check("limits", s.Process.Limits, []sandbox.Rlimit{{Resource: "nofile", Soft: 200, Hard: 200}, {Resource: "nproc", Soft: 100, Hard: 100}})

	// description describes the file itself.
	check("description", got.Description, "")
	check("sources", len(r.Sources), 2)
}

func TestCommandInheritedAndCleared(t *testing.T) {
	l, _ := testLoader(t, map[string]string{
		"parent":  "[process]\ncommand = [\"/bin/parent\"]\n",
		"keeps":   "extends = [\"parent\"]\n",
		"clears":  "extends = [\"parent\"]\n[process]\ncommand = []\n",
		"nothing": "",
	})
	r, err := l.Resolve([]string{"keeps"})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := r.Spec(nil, testCaller); err != nil || !slices.Equal(s.Process.Args, []string{"/bin/parent"}) {
		t.Errorf("inherited command: %v, %v", s, err)
	}
	if s, err := r.Spec([]string{"/bin/other", "x"}, testCaller); err != nil || !slices.Equal(s.Process.Args, []string{"/bin/other", "x"}) {
		t.Errorf("the command line's command does not win: %v, %v", s, err)
	}
	for _, name := range []string{"clears", "nothing"} {
		r, err := l.Resolve([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Spec(nil, testCaller); err == nil || err.Error() != "no command: give one after -- or set process.command" {
			t.Errorf("%s: error = %v", name, err)
		}
	}
}

func TestExtendsOrder(t *testing.T) {
	l, dir := testLoader(t, map[string]string{
		"a": "extends = [\"b\", \"c\"]\n[[mount]]\ntype = \"dir\"\ntarget = \"/a\"\n",
		"b": "hostname = \"b\"\n[[mount]]\ntype = \"dir\"\ntarget = \"/b\"\n",
		"c": "extends = [\"d\"]\nhostname = \"c\"\n[[mount]]\ntype = \"dir\"\ntarget = \"/c\"\n",
		"d": "hostname = \"d\"\n[[mount]]\ntype = \"dir\"\ntarget = \"/d\"\n",
	})
	r, s := resolveSpec(t, l, []string{"a"})
	var targets []string
	for _, m := range s.Mounts {
		targets = append(targets, m.Target)
	}
	// Depth-first: b, then c's parent d, then c, then a itself.
	if want := []string{"/b", "/d", "/c", "/a"}; !slices.Equal(targets, want) {
		t.Errorf("mount order %v, want %v", targets, want)
	}
	if s.Hostname != "c" {
		t.Errorf("hostname %q, want c (the last parent to set it)", s.Hostname)
	}
	want := []string{filepath.Join(dir, "b.toml"), filepath.Join(dir, "d.toml"), filepath.Join(dir, "c.toml"), filepath.Join(dir, "a.toml")}
	if !slices.Equal(r.Sources, want) || !slices.Equal(r.Files(), want) {
		t.Errorf("sources %v, files %v, want %v", r.Sources, r.Files(), want)
	}
}

func TestDiamondAppliedOnce(t *testing.T) {
	l, dir := testLoader(t, map[string]string{
		"base": "[[mount]]\ntype = \"dir\"\ntarget = \"/base\"\n[env]\nkeep = [\"BASE\"]\n",
		"b":    "extends = [\"base\"]\n[[mount]]\ntype = \"dir\"\ntarget = \"/b\"\n",
		"c":    "extends = [\"base\"]\n[[mount]]\ntype = \"dir\"\ntarget = \"/c\"\n",
		"a":    "extends = [\"b\", \"c\"]\n",
	})
	r, s := resolveSpec(t, l, []string{"a"})
	var targets []string
	for _, m := range s.Mounts {
		targets = append(targets, m.Target)
	}
	if want := []string{"/base", "/b", "/c"}; !slices.Equal(targets, want) {
		t.Errorf("mounts %v, want %v", targets, want)
	}
	if !slices.Equal(s.Process.Env.Keep, []string{"BASE"}) {
		t.Errorf("keep %v", s.Process.Env.Keep)
	}
	if len(r.Sources) != 4 || r.Sources[0] != filepath.Join(dir, "base.toml") {
		t.Errorf("sources %v", r.Sources)
	}

	// Across --profile names too: browser reaches default through desktop,
	// and default given first is not applied again.
	r, s = resolveSpec(t, &Loader{Vars: fullVars()}, []string{"default", "browser"})
	if r.Sources[0] != "builtin:default.toml" || slices.Index(r.Sources[1:], "builtin:default.toml") >= 0 {
		t.Errorf("sources %v", r.Sources)
	}
	seen := map[string]bool{}
	for _, m := range s.Mounts {
		if seen[m.Target] {
			t.Errorf("mount %s applied twice", m.Target)
		}
		seen[m.Target] = true
	}
}

func TestExtendsCycle(t *testing.T) {
	l, dir := testLoader(t, map[string]string{
		"a":    "extends = [\"b\"]\n",
		"b":    "# b\nextends = [\"default\", \"a\"]\n",
		"self": "extends = [\"self\"]\n",
		// Shadows the built-in shell, which it meant to extend.
		"shell": "extends = [\"shell\"]\n",
	})
	tests := []struct{ name, want string }{
		{"a", filepath.Join(dir, "b.toml") + `:2:23: extends[2]: extends cycle: a -> b -> a`},
		{"b", filepath.Join(dir, "a.toml") + `:1:12: extends[1]: extends cycle: b -> a -> b`},
		// No built-in is named self: no hint.
		{"self", filepath.Join(dir, "self.toml") + `:1:12: extends[1]: extends cycle: self -> self`},
		{"shell", filepath.Join(dir, "shell.toml") + `:1:12: extends[1]: extends cycle: shell -> shell (a profile that shadows a built-in reaches it as "builtin:shell")`},
	}
	for _, tt := range tests {
		_, err := l.Resolve([]string{tt.name})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error\n got %v\nwant %s", tt.name, err, tt.want)
		}
	}
}

func TestShadowingProfileExtendsBuiltin(t *testing.T) {
	l, _ := testLoader(t, map[string]string{
		"default": "extends = [\"builtin:default\"]\nhostname = \"mine\"\n",
	})
	r, s := resolveSpec(t, l, nil)
	if s.Hostname != "mine" || len(s.Mounts) == 0 || r.Sources[0] != "builtin:default.toml" {
		t.Errorf("hostname %q, %d mounts, sources %v", s.Hostname, len(s.Mounts), r.Sources)
	}
	if !slices.Equal(s.Profiles, []string{"default"}) {
		t.Errorf("profiles %v", s.Profiles)
	}
}

func TestProfilesMergeInOrderThenLayers(t *testing.T) {
	l, _ := testLoader(t, map[string]string{
		"one": "description = \"one\"\nhostname = \"one\"\n[env]\nset = { A = \"1\" }\nunset = [\"B\"]\n",
		"two": "description = \"two\"\nhostname = \"two\"\n[env]\nset = { A = \"2\" }\n",
	})
	layer := &Profile{}
	layer.SetHostname("flag")
	layer.SetEnv("B", "from-flag")
	layer.SetNamespace(sandbox.NSNet, sandbox.Host)
	layer.AddMount(sandbox.Mount{Type: sandbox.Bind, Source: "/src", Target: "/dst"})
	layer.SetUID(0)
	layer.SetCwd("/dst")
	layer.ClearEnv()
	layer.KeepEnv("KEEP")
	layer.SetLimit("nofile", 10, 20)
	layer.AddCapability("net_raw")

	r, s := resolveSpec(t, l, []string{"one", "two"}, layer)
	if r.Profile.Description != "one; two" {
		t.Errorf("description %q", r.Profile.Description)
	}
	if s.Hostname != "flag" || s.Process.Env.Set["A"] != "2" || s.Process.Env.Set["B"] != "from-flag" {
		t.Errorf("hostname %q, env %v", s.Hostname, s.Process.Env.Set)
	}
	if slices.Contains(s.Process.Env.Unset, "B") {
		t.Errorf("--setenv B is still unset by a profile: %v", s.Process.Env.Unset)
	}
	env := s.Process.Env.Apply([]string{"B=caller", "KEEP=yes", "DROP=x"})
	if want := []string{"KEEP=yes", "A=2", "B=from-flag"}; !slices.Equal(env, want) {
		t.Errorf("environment %v, want %v", env, want)
	}
	if s.Namespaces[sandbox.NSNet] != sandbox.Host || s.Identity.UID != 0 || s.Identity.GID != 1000 || s.Process.Cwd != "/dst" {
		t.Errorf("namespaces %v, identity %+v, cwd %q", s.Namespaces, s.Identity, s.Process.Cwd)
	}
	if n := len(s.Mounts); n != 1 || s.Mounts[0].Target != "/dst" {
		t.Errorf("mounts %+v", s.Mounts)
	}
	if !slices.Equal(s.Security.Capabilities, []string{"CAP_NET_RAW"}) {
		t.Errorf("capabilities %v", s.Security.Capabilities)
	}
	if !slices.Equal(s.Profiles, []string{"one", "two"}) {
		t.Errorf("profiles %v", s.Profiles)
	}

	// A later profile's unset beats an earlier set.
	r, err := l.Resolve([]string{"two", "one"})
	if err != nil {
		t.Fatal(err)
	}
	s, err = r.Spec([]string{"x"}, testCaller)
	if err != nil {
		t.Fatal(err)
	}
	if env := s.Process.Env.Apply([]string{"B=caller"}); !slices.Equal(env, []string{"A=1"}) {
		t.Errorf("environment %v", env)
	}
}

// TestUnsetPatternsAndLaterSets checks that an unset, a pattern too,
// drops what was set before it and what the caller passes, and that a set
// after it wins, across profiles and the command line alike.
func TestUnsetPatternsAndLaterSets(t *testing.T) {
	l, _ := testLoader(t, map[string]string{
		"setlc":   "[env]\nset = { LC_ALL = \"C\", LC_TIME = \"C\" }\n",
		"unsetlc": "[env]\nunset = [\"LC_*\"]\n",
		"plain":   "description = \"nothing\"\n",
	})
	caller := []string{"LC_CTYPE=caller", "OTHER=caller"}
	tests := []struct {
		names []string
		layer func(*Profile)
		want  []string
	}{
		{[]string{"setlc", "unsetlc"}, nil, []string{"OTHER=caller"}},
		{[]string{"unsetlc", "setlc"}, nil, []string{"OTHER=caller", "LC_ALL=C", "LC_TIME=C"}},
		{[]string{"unsetlc"}, func(p *Profile) { p.SetEnv("LC_ALL", "C.UTF-8") }, []string{"OTHER=caller", "LC_ALL=C.UTF-8"}},
		{[]string{"plain"}, func(p *Profile) { p.UnsetEnv("LC_*"); p.SetEnv("LC_ALL", "C.UTF-8") }, []string{"OTHER=caller", "LC_ALL=C.UTF-8"}},
		{[]string{"plain"}, func(p *Profile) { p.SetEnv("LC_ALL", "C.UTF-8"); p.UnsetEnv("LC_*") }, []string{"OTHER=caller"}},
		{[]string{"setlc"}, func(p *Profile) { p.UnsetEnv("LC_T*") }, []string{"LC_CTYPE=caller", "OTHER=caller", "LC_ALL=C"}},
	}
	for _, tc := range tests {
		layer := &Profile{}
		if tc.layer != nil {
			tc.layer(layer)
		}
		r, err := l.Resolve(tc.names, layer)
		if err != nil {
			t.Fatal(err)
		}
		// Without the default profile's clear, the caller's variables
		// show whether the unset reached them.
		r.Profile.Env.Clear = nil
		s, err := r.Spec([]string{"x"}, testCaller)
		if err != nil {
			t.Fatal(err)
		}
		if env := s.Process.Env.Apply(caller); !slices.Equal(env, tc.want) {
			t.Errorf("%v with the layer: environment %v, want %v", tc.names, env, tc.want)
		}
	}
}

// TestUnsharingAgainRestoresTheProfiles checks command-line layers that
// share a kind and make it new again, or set what sharing refuses: the
// profiles' hostname and clock offsets come back, and a layer's own
// hostname with a shared uts namespace is refused, in either order.
func TestUnsharingAgainRestoresTheProfiles(t *testing.T) {
	l, _ := testLoader(t, map[string]string{
		"clocks": "hostname = \"box\"\n[time]\nmonotonic_offset = \"10d\"\n",
	})
	tests := []struct {
		name  string
		layer func(*Profile)
		check func(*sandbox.Spec) bool
		err   string
	}{
		{"uts shared then new", func(p *Profile) {
			p.SetNamespace(sandbox.NSUTS, sandbox.Host)
			p.SetNamespace(sandbox.NSUTS, sandbox.New)
		}, func(s *sandbox.Spec) bool { return s.Hostname == "box" }, ""},
		{"time shared then new", func(p *Profile) {
			p.SetNamespace(sandbox.NSTime, sandbox.Host)
			p.SetNamespace(sandbox.NSTime, sandbox.New)
		}, func(s *sandbox.Spec) bool { return s.MonotonicOffset == 10*24*time.Hour }, ""},
		{"hostname then shared", func(p *Profile) {
			p.SetHostname("mine")
			p.SetNamespace(sandbox.NSUTS, sandbox.JoinSandbox("other"))
		}, nil, "hostname needs a new uts namespace, but it is shared with sandbox other"},
		{"shared then hostname", func(p *Profile) {
			p.SetNamespace(sandbox.NSUTS, sandbox.Host)
			p.SetHostname("mine")
		}, nil, "hostname needs a new uts namespace, but it is shared with the host"},
		{"offset then shared", func(p *Profile) {
			p.SetMonotonicOffset(time.Hour)
			p.SetNamespace(sandbox.NSTime, sandbox.Host)
		}, nil, "time offsets need a new time namespace, but it is shared with the host"},
	}
	for _, tc := range tests {
		layer := &Profile{}
		tc.layer(layer)
		r, err := l.Resolve([]string{"clocks"}, layer)
		if err != nil {
			t.Fatal(err)
		}
		s, err := r.Spec([]string{"x"}, testCaller)
		switch {
		case tc.err != "" && (err == nil || !strings.HasSuffix(err.Error(), tc.err)):
			t.Errorf("%s: %v, want an error ending %q", tc.name, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err == "" && !tc.check(s):
			t.Errorf("%s: hostname %q, monotonic offset %v", tc.name, s.Hostname, s.MonotonicOffset)
		}
	}
}

func TestSharingUTSClearsHostname(t *testing.T) {
	layer := &Profile{}
	layer.SetNamespace(sandbox.NSUTS, sandbox.Host)
	layer.SetNamespace(sandbox.NSTime, sandbox.Host)
	_, s := resolveSpec(t, &Loader{Vars: fullVars()}, []string{"test"}, layer)
	if s.Hostname != "" || s.MonotonicOffset != 0 || s.Namespaces[sandbox.NSUTS] != sandbox.Host {
		t.Errorf("hostname %q, offset %v, uts %v", s.Hostname, s.MonotonicOffset, s.Namespaces[sandbox.NSUTS])
	}
}

func TestSpecDefaults(t *testing.T) {
	l, _ := testLoader(t, map[string]string{"empty": ""})
	_, s := resolveSpec(t, l, []string{"empty"})
	want := &sandbox.Spec{
		Profiles:   []string{"empty"},
		Namespaces: map[sandbox.Kind]sandbox.Share{},
		Identity:   idmap.Request{UID: 1000, GID: 1000},
		Process: sandbox.Process{
			Args:          []string{"/bin/true"},
			NewSession:    true,
			DieWithParent: true,
		},
		Security: sandbox.Security{
			Landlock: sandbox.Landlock{Mode: "best-effort"},
		},
	}
	want.Security.Seccomp.Base = "default"
	want.Security.Seccomp.Action = "errno"
	for _, k := range sandbox.ConfigurableKinds {
		want.Namespaces[k] = sandbox.New
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("spec\n got %+v\nwant %+v", s, want)
	}
}

func TestSpecErrors(t *testing.T) {
	l, _ := testLoader(t, map[string]string{
		"hostshare": "hostname = \"x\"\n[namespaces]\nuts = false\n",
		"mountns":   "[namespaces]\nmount = false\n[[mount]]\ntype = \"proc\"\ntarget = \"/proc\"\n",
	})
	tests := []struct {
		names  []string
		layer  *Profile
		want   string
		caller idmap.Caller
	}{
		{[]string{"hostshare"}, nil, "profile hostshare: hostname needs a new uts namespace, but it is shared with the host", testCaller},
		{[]string{"default", "mountns"}, nil, "profiles default, mountns: mounts and root need a new mount namespace, but it is shared with the host", testCaller},
		{nil, &Profile{RootWritable: new(true)},
			"profile default with the command line's options: root_writable: no root (a rootfs folder) to make writable", testCaller},
		// A layer that sets nothing is not named.
		{[]string{"hostshare"}, &Profile{Namespaces: map[sandbox.Kind]sandbox.Share{}}, "profile hostshare: hostname needs a new uts namespace, but it is shared with the host", testCaller},
		{nil, &Profile{Hostname: new("x"), Namespaces: map[sandbox.Kind]sandbox.Share{sandbox.NSUTS: sandbox.Host}},
			"profile default with the command line's options: hostname needs a new uts namespace, but it is shared with the host", testCaller},
		// A mount at / after others, as the default profile's home tmpfs
		// makes with HOME=/.
		{nil, &Profile{Mounts: []sandbox.Mount{{Type: sandbox.Tmpfs, Target: "/"}}},
			"profile default with the command line's options: mount 14 (tmpfs /): a mount at / would hide the 13 before it; only the first may cover / (is a variable such as HOME /?)", testCaller},
		// Layers from the CLI are checked too.
		{nil, &Profile{Mounts: []sandbox.Mount{{Type: sandbox.Bind, Source: "rel", Target: "/x"}}},
			`profile default with the command line's options: mount 14 (bind /x): source "rel" is not an absolute path`, testCaller},
		{nil, &Profile{Security: Security{Capabilities: []string{"CAP_FLY"}}},
			`profile default with the command line's options: unknown capability "CAP_FLY"`, testCaller},
		{nil, &Profile{Limits: map[string]Limit{"files": {1, 1}}},
			`profile default with the command line's options: unknown resource limit "files" (want one of as, core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)`, testCaller},
		{nil, &Profile{Limits: map[string]Limit{"nofile": {2, 1}}},
			"profile default with the command line's options: limits.nofile: soft limit 2 is above the hard limit 1", testCaller},
		{nil, &Profile{Landlock: Landlock{Mode: new("strict")}},
			`profile default with the command line's options: landlock.mode: "strict" is not one of best-effort, required, off`, testCaller},
	}
	for _, tt := range tests {
		var layers []*Profile
		if tt.layer != nil {
			layers = append(layers, tt.layer)
		}
		r, err := (&Loader{Dirs: l.Dirs, Vars: fullVars()}).Resolve(tt.names, layers...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Spec([]string{"/bin/true"}, tt.caller)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%v: error\n got %v\nwant %s", tt.names, err, tt.want)
		}
	}
}

func TestMergeDoesNotAlias(t *testing.T) {
	l, _ := testLoader(t, map[string]string{"p": "hostname = \"h\"\n[env]\nkeep = [\"A\"]\n"})
	r1, err := l.Resolve([]string{"p"})
	if err != nil {
		t.Fatal(err)
	}
	*r1.Profile.Hostname = "changed"
	r1.Profile.Env.Keep[0] = "changed"
	r2, err := l.Resolve([]string{"p"})
	if err != nil {
		t.Fatal(err)
	}
	if *r2.Profile.Hostname != "h" || r2.Profile.Env.Keep[0] != "A" {
		t.Error("resolved profiles share memory")
	}
	layer := &Profile{}
	layer.SetCommand("/bin/x")
	r3, err := l.Resolve([]string{"p"}, layer)
	if err != nil {
		t.Fatal(err)
	}
	r3.Profile.Process.Command[0] = "changed"
	if layer.Process.Command[0] != "/bin/x" {
		t.Error("the merged profile shares the layer's command")
	}
}
