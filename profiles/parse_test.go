package profiles

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/hutch-sandbox/hutch/sandbox"
)

// Every error kind, with the exact file:line:column and key it names.
func TestParseErrors(t *testing.T) {
	const src = "~/.config/hutch/profiles/web.toml"
	tests := []struct {
		name string
		text string
		want string // the whole error text; src: is prepended
	}{
		// Syntax errors keep the TOML parser's own position.
		// At the offending byte: the TOML library's own column is a line
		// early at a line's start, its line a line late at a line's end.
		{"syntax", "a = 1\nb = [1,\n 2\nc = 3\n",
			"4:1: expected a comma (',') or array terminator (']'), but got 'c'"},
		{"syntax mid-line", "a = 1\nb = [1, 2 c]\n",
			"2:11: expected a comma (',') or array terminator (']'), but got 'c'"},
		{"unclosed table header", "description = \"x\"\n[mount\n",
			"2:7: expected '.' or ']' to end table name, but got '\\n' instead"},
		{"duplicate key", "hostname = \"a\"\nhostname = \"b\"\n",
			"2:1: Key 'hostname' has already been defined."},

		// Unknown keys, at the key, everywhere.
		{"unknown top-level key", "hostnme = \"x\"\n",
			`1:1: hostnme: unknown key (did you mean "hostname"?)`},
		{"short unknown key far from any", "foo = 1\n", `1:1: foo: unknown key`},
		{"short unknown key near one", "rot = \"/x\"\n", `1:1: rot: unknown key (did you mean "root"?)`},
		{"unknown system call", "[seccomp]\ndeny = [\"ptrace\", \"bogus_call\"]\n",
			`2:19: seccomp.deny[2]: unknown system call "bogus_call"`},
		{"unknown key far from any known", "[identity]\nuid = 1\nshoe_size = 44\n",
			"3:1: identity.shoe_size: unknown key"},
		{"unknown key in the second mount",
			"[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\n\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/x\"\nsizee = \"64M\"\n",
			`8:1: mount[2].sizee: unknown key (did you mean "size"?)`},
		{"unknown key in an inline table", "env = { clear = true, kep = [\"X\"] }\n",
			`1:23: env.kep: unknown key (did you mean "keep"?)`},
		{"unknown key in an inline mount", "mount = [{ type = \"proc\", target = \"/proc\", ro = true }]\n",
			"1:45: mount[1].ro: unknown key"},
		{"unknown table", "[network]\nnet = true\n",
			"1:2: network: unknown key"},
		{"unknown dotted key", "process.cmd = [\"x\"]\n",
			`1:9: process.cmd: unknown key (did you mean "cwd"?)`},
		{"user namespace", "[namespaces]\nuser = true\n",
			"2:1: namespaces.user: the user namespace is always new and cannot be configured"},
		{"unknown namespace kind", "[namespaces]\nnetwork = true\n",
			"2:1: namespaces.network: unknown key"},
		{"unknown rlimit", "[limits]\nnofiles = 10\n",
			`2:1: limits.nofiles: unknown key (did you mean "nofile"?)`},

		// Wrong types, at the value.
		{"namespace as integer", "[namespaces]\nnet = 3\n",
			`2:7: namespaces.net: want a boolean or "new"/"host"/"sandbox:NAME", got integer 3`},
		{"string for a boolean", "root_writable = \"yes\"\n",
			`1:17: root_writable: want a boolean, got string "yes"`},
		{"table for a string", "hostname = { a = 1 }\n",
			"1:12: hostname: want a string, got table"},
		{"integer in a list", "[env]\nkeep = [\"TERM\", 7]\n",
			"2:17: env.keep[2]: want a string, got integer 7"},
		{"string for a list", "[security]\ncapabilities = \"CAP_CHOWN\"\n",
			`2:16: security.capabilities: want an array, got string "CAP_CHOWN"`},
		{"float for a uid", "[identity]\nuid = 1000.0\n",
			"2:7: identity.uid: want an integer, got float 1000"},
		{"datetime for a duration", "[time]\nboottime_offset = 1979-05-27\n",
			`2:19: time.boottime_offset: want a duration string like "-72h" or "10d", got datetime`},
		{"table for a table of strings", "[env]\nset = [\"A=1\"]\n",
			"2:7: env.set: want a table of strings, got array"},
		{"mount not a table", "mount = [\"/tmp\"]\n",
			`1:10: mount[1]: want a table, got string "/tmp"`},
		{"namespaces not a table", "namespaces = true\n",
			"1:14: namespaces: want a table, got boolean true"},

		// Values.
		{"negative uid", "[identity]\nuid = -1\n",
			"2:7: identity.uid: -1 is out of range (0 to 4294967294)"},
		{"uid too large", "[identity]\ngid = 4294967295\n",
			"2:7: identity.gid: 4294967295 is out of range (0 to 4294967294)"},
		{"relative target after expansion", "[[mount]]\ntype = \"tmpfs\"\ntarget = \"${USER}/x\"\n",
			`3:10: mount[1].target: "ann/x" is not an absolute path`},
		{"relative source", "[[mount]]\ntype = \"bind\"\nsource = \"data\"\ntarget = \"/data\"\n",
			`3:10: mount[1].source: "data" is not an absolute path`},
		{"dot-dot in a target", "[[mount]]\ntype = \"dir\"\ntarget = \"/a/../etc\"\n",
			`3:10: mount[1].target: "/a/../etc" contains ".."`},
		{"proc on /", "[[mount]]\ntype = \"proc\"\ntarget = \"/\"\n",
			"3:10: mount[1].target: only a bind or tmpfs can be mounted on /"},
		{"bad size", "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\nsize = \"64Q\"\n",
			`4:8: mount[1].size: "64Q" is not a size (want a number of bytes, optionally with a K, M, G or T suffix, like "64M")`},
		{"negative size", "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\nsize = -1\n",
			"4:8: mount[1].size: negative size -1"},
		{"size too large", "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\nsize = \"16777215T\"\n",
			"4:8: mount[1].size: size 16777215T is too large"},
		{"size on a bind", "[[mount]]\ntype = \"bind\"\nsource = \"/a\"\ntarget = \"/a\"\nsize = 1\n",
			"5:1: mount[1].size: size does not apply to a bind mount"},
		{"content on a dir", "[[mount]]\ntype = \"dir\"\ntarget = \"/a\"\ncontent = \"x\"\n",
			"4:1: mount[1].content: content does not apply to a dir mount"},
		{"mode beyond 07777", "[[mount]]\ntype = \"dir\"\ntarget = \"/a\"\nmode = \"17777\"\n",
			`4:8: mount[1].mode: mode "17777" has bits beyond 07777`},
		{"mode not octal", "[[mount]]\ntype = \"dir\"\ntarget = \"/a\"\nmode = \"0999\"\n",
			`4:8: mount[1].mode: mode "0999" is not octal digits (want like "0755")`},
		{"mode 0", "[[mount]]\ntype = \"file\"\ntarget = \"/a\"\nmode = \"0000\"\n",
			`4:8: mount[1].mode: mode 0 is refused: a mount with no mode gets its type's default, which 0 would silently mean; give the bits (a file nobody may read is of no use in a sandbox)`},
		{"mode 0o0", "[[mount]]\ntype = \"file\"\ntarget = \"/a\"\nmode = 0o0\n",
			`4:8: mount[1].mode: mode 0 is refused: a mount with no mode gets its type's default, which 0 would silently mean; give the bits (a file nobody may read is of no use in a sandbox)`},
		{"mode as a decimal integer", "[[mount]]\ntype = \"dir\"\ntarget = \"/a\"\nmode = 755\n",
			`4:8: mount[1].mode: 755 is a decimal integer; write the mode in octal, as "0755" or 0o755`},
		{"mode as a hex integer", "[[mount]]\ntype = \"dir\"\ntarget = \"/a\"\nmode = 0x1ed\n",
			`4:8: mount[1].mode: 0x1ed is not written in octal; write the mode as a string like "0755" or an integer like 0o755`},
		{"octal integer mode beyond 07777", "[[mount]]\ntype = \"dir\"\ntarget = \"/a\"\nmode = 0o17777\n",
			"4:8: mount[1].mode: mode 0o17777 has bits beyond 07777"},
		{"unknown mount type", "[[mount]]\ntype = \"overlay\"\ntarget = \"/a\"\n",
			`2:8: mount[1].type: unknown mount type "overlay" (want one of bind, ro-bind, dev-bind, tmpfs, proc, dev, mqueue, dir, symlink, file)`},
		{"missing type", "[[mount]]\ntarget = \"/a\"\n",
			"1:3: mount[1]: missing type (one of bind, ro-bind, dev-bind, tmpfs, proc, dev, mqueue, dir, symlink, file)"},
		{"missing target", "[[mount]]\ntype = \"proc\"\n",
			"1:3: mount[1]: missing target"},
		{"missing source", "[[mount]]\ntype = \"ro-bind\"\ntarget = \"/usr\"\n",
			"1:3: mount[1]: missing source"},
		{"bad duration", "[time]\nmonotonic_offset = \"3 days\"\n",
			`2:20: time.monotonic_offset: "3 days" is not a duration (want Go syntax plus d for days, like "-72h", "10d" or "1d12h")`},
		{"soft above hard", "[limits]\nnproc = \"512:256\"\n",
			"2:9: limits.nproc: soft limit 512 is above the hard limit 256"},
		{"rss limit", "[limits]\nrss = \"100M\"\n",
			"2:7: limits.rss: Linux has ignored RLIMIT_RSS since 2.6, so it bounds nothing; bound memory with as (address space) or data"},
		{"negative limit", "[limits]\nnofile = -1\n",
			`2:10: limits.nofile: negative limit -1 (write "unlimited" for no limit)`},
		{"bad limit", "[limits]\nas = \"lots\"\n",
			`2:6: limits.as: "lots" is not a limit (want a number, optionally with a K, M, G or T suffix, "soft:hard", or "unlimited")`},
		{"unknown capability", "[security]\ncapabilities = [\"CAP_CHOWN\", \"CAP_FLY\"]\n",
			`2:30: security.capabilities[2]: unknown capability "CAP_FLY"`},
		{"join for pid", "[namespaces]\npid = \"sandbox:web\"\n",
			"2:7: namespaces.pid: only net, ipc and uts can join a running sandbox"},
		{"bad sandbox name", "[namespaces]\nnet = \"sandbox:../x\"\n",
			`2:7: namespaces.net: invalid sandbox name "../x": use letters, digits, '_', '.' and '-', at most 64, starting with a letter or digit`},
		{"bad share string", "[namespaces]\nipc = \"shared\"\n",
			`2:7: namespaces.ipc: want a boolean or "new"/"host"/"sandbox:NAME", got string "shared"`},
		{"bad landlock mode", "[landlock]\nmode = \"strict\"\n",
			`2:8: landlock.mode: "strict" is not one of best-effort, required, off`},
		{"bad seccomp action", "[seccomp]\naction = \"trap\"\n",
			`2:10: seccomp.action: "trap" is not one of errno, kill, log`},
		{"bad machine id", "hostname = \"h\"\nmachine_id = \"fake\"\n",
			`2:14: machine_id: "fake" is not one of random, host`},
		{"machine id not a string", "machine_id = false\n",
			`1:14: machine_id: want a string, got boolean false`},
		{"bad seccomp profile", "[seccomp]\nprofile = \"strict\"\n",
			`2:11: seccomp.profile: "strict" is not one of default, none`},
		{"empty seccomp name", "[seccomp]\nallow = [\"ptrace\", \"\"]\n",
			"2:20: seccomp.allow[2]: empty string"},
		{"relative landlock path", "[landlock]\nwrite = [\"scratch\"]\n",
			`2:10: landlock.write[1]: "scratch" is not an absolute path`},
		{"relative cwd", "[process]\ncwd = \"work\"\n",
			`2:7: process.cwd: "work" is not an absolute path`},
		{"empty program", "[process]\ncommand = [\"\", \"-c\"]\n",
			"2:12: process.command[1]: the program name is empty"},
		{"bad env name", "[env.set]\n\"A=B\" = \"x\"\n",
			`2:1: env.set."A=B": "A=B" is not a variable name`},
		{"bad env pattern", "[env]\nkeep = [\"LC_[\"]\n",
			`2:9: env.keep[1]: "LC_[" is not a valid pattern: syntax error in pattern`},
		{"env value not a string", "[env]\nset = { N = 1 }\n",
			"2:13: env.set.N: want a string, got integer 1"},
		{"hostname too long", "hostname = \"" + strings.Repeat("h", 65) + "\"\n",
			`1:12: hostname: "` + strings.Repeat("h", 65) + `" is longer than 64 bytes`},
		{"hostname with a newline", "hostname = \"h1\\n10.9.9.9 db.internal\"\n",
			`1:12: hostname: "h1\n10.9.9.9 db.internal" is not a host name: letters, digits, '-', '_' and '.' only`},
		{"hostname with a space", "hostname = \"bad host\"\n",
			`1:12: hostname: "bad host" is not a host name: letters, digits, '-', '_' and '.' only`},
		{"NUL in a string", "hostname = \"a\\u0000b\"\n",
			"1:12: hostname: contains a NUL character"},
		{"root relative", "root = \"rootfs\"\n",
			`1:8: root: "rootfs" is not an absolute path`},

		// Variables.
		{"unknown variable", "[process]\ncwd = \"${WORKDIR}\"\n",
			"2:7: process.cwd: unknown variable ${WORKDIR} (known: HOME, UID, GID, USER, PWD, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME, DISPLAY, WAYLAND_DISPLAY, XAUTHORITY)"},
		{"variable without braces", "hostname = \"$USER\"\n",
			`1:12: hostname: a "$" must start ${NAME} or be doubled as $$`},
		{"unset variable outside a mount", "[process]\ncwd = \"${XDG_RUNTIME_DIR}/app\"\n",
			"2:7: process.cwd: ${XDG_RUNTIME_DIR} is not set"},
		{"unset variable in a mount that is not optional",
			"[[mount]]\ntype = \"ro-bind\"\nsource = \"${XDG_RUNTIME_DIR}/bus\"\ntarget = \"/run/bus\"\n",
			"3:10: mount[1].source: ${XDG_RUNTIME_DIR} is not set (set it, or mark the mount optional)"},
		{"unknown variable in an optional mount",
			"[[mount]]\ntype = \"ro-bind\"\nsource = \"${XDG_RUNTIME_DIRR}/bus\"\ntarget = \"/run/bus\"\noptional = true\n",
			"3:10: mount[1].source: unknown variable ${XDG_RUNTIME_DIRR} (known: HOME, UID, GID, USER, PWD, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME, DISPLAY, WAYLAND_DISPLAY, XAUTHORITY)"},
		{"unknown key in a dropped optional mount",
			"[[mount]]\ntype = \"ro-bind\"\nsource = \"${XDG_RUNTIME_DIR}/bus\"\ntarget = \"/run/bus\"\noptional = true\nmod = \"0755\"\n",
			`6:1: mount[1].mod: unknown key (did you mean "mode"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(src, []byte(tt.text), bareVars())
			want := src + ":" + tt.want
			if err == nil {
				t.Fatalf("no error, want %s", want)
			}
			if err.Error() != want {
				t.Errorf("error:\n got %s\nwant %s", err, want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || e.Col < 1 {
				t.Errorf("error %v does not carry a position", err)
			}
		})
	}
}

func TestParseErrorsAreAllReported(t *testing.T) {
	text := "hostnme = \"x\"\n[namespaces]\nnet = 3\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/x\"\nsizee = 1\n[limits]\nfiles = 3\n"
	_, err := Parse("web.toml", []byte(text), nil)
	want := `web.toml:1:1: hostnme: unknown key (did you mean "hostname"?)
web.toml:3:7: namespaces.net: want a boolean or "new"/"host"/"sandbox:NAME", got integer 3
web.toml:7:1: mount[1].sizee: unknown key (did you mean "size"?)
web.toml:9:1: limits.files: unknown key`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 4 {
		t.Errorf("want an ErrorList of 4, got %#v", err)
	}
	var pe toml.ParseError
	_, err = Parse("web.toml", []byte("a = "), nil)
	if !errors.As(err, &pe) {
		t.Errorf("syntax error %v does not wrap toml.ParseError", err)
	}
}

// TestParseNesting refuses arrays nested deeper than maxNesting before the
// TOML library, slow on deep nesting, sees them; brackets in strings and
// comments do not count.
func TestParseNesting(t *testing.T) {
	deep := strings.Repeat("[", 200000)
	tests := []struct {
		name, text, want string
	}{
		{"deep array", "description = \"x\"\na = " + deep + "\n",
			"web.toml:2:69: arrays and inline tables nested more than 64 deep"},
		{"deep inline tables", "a = " + strings.Repeat("{b = ", 70) + "1" + strings.Repeat("}", 70) + "\n",
			"web.toml:1:325: arrays and inline tables nested more than 64 deep"},
	}
	for _, tc := range tests {
		_, err := Parse("web.toml", []byte(tc.text), nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	// Brackets in strings, multi-line ones with escapes included, and in
	// comments are not nesting.
	text := "description = \"" + strings.Repeat("[", 100) + "\\\"\"\n" +
		"# " + strings.Repeat("{", 100) + "\n" +
		"hostname = '''\n" + strings.Repeat("[", 100) + "\n'''\n" +
		"[env]\nset = { A = \"\"\"" + strings.Repeat("[", 100) + "\\\n\"\"\" }\n"
	if _, err := Parse("web.toml", []byte(text), nil); err != nil && strings.Contains(err.Error(), "nested") {
		t.Errorf("brackets in strings and comments counted: %v", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	data := []byte("# " + strings.Repeat("x", maxProfileSize) + "\n")
	_, err := Parse("big.toml", data, nil)
	if err == nil || err.Error() != "big.toml:1:1: profile is 1048579 bytes, more than the 1048576 a profile may have" {
		t.Errorf("error = %v", err)
	}
}

// A profile using every key parses to exactly these values.
func TestParseEverything(t *testing.T) {
	text := `
description = "everything"
extends = ["default", "./base.toml"]
hostname = "box"
domainname = "example"
machine_id = "host"
root = "/srv/rootfs"
root_writable = false

[namespaces]
mount = true
net = false
ipc = "sandbox:web"
uts = "host"
time = "new"

[identity]
uid = 0
gid = 100
subordinate = true

[[mount]]
type = "bind"
source = "${PWD}"
target = "/work"

[[mount]]
type = "tmpfs"
target = "/tmp/"
size = "64M"
mode = "1777"
readonly = true

[[mount]]
type = "tmpfs"
target = "/big"
size = 1048576
mode = 0o700

[[mount]]
type = "symlink"
source = "usr/bin"
target = "/bin"

[[mount]]
type = "file"
target = "/etc/motd"
content = """
Costs $$5.
"""
mode = "0644"

[[mount]]
type = "ro-bind"
source = "${XDG_RUNTIME_DIR}/bus"
target = "/run/bus"
optional = true

[[mount]]
type = "mqueue"
target = "/dev/mqueue"

[env]
clear = true
keep = ["TERM", "LC_*"]
set = { EDITOR = "vi", "WEIRD.NAME" = "${USER}" }
unset = ["SSH_AUTH_SOCK"]

[time]
monotonic_offset = "-72h"
boottime_offset = "10d"

[process]
command = ["/bin/sh", "-l"]
cwd = "/work"
new_session = false
die_with_parent = true
as_pid1 = false

[limits]
nofile = 1024

[security]
capabilities = ["net_bind_service", "CAP_CHOWN"]
nested_userns = true

[seccomp]
profile = "none"
action = "log"
allow = ["@keyring", "ptrace"]
deny = ["@network-io"]

[landlock]
mode = "required"
read = ["/opt/data"]
write = ["/scratch/"]
`
	p, err := Parse("all.toml", []byte(text), bareVars())
	if err != nil {
		t.Fatal(err)
	}
	p.loc = nil
	want := &Profile{
		Source:       "all.toml",
		Description:  "everything",
		Extends:      []string{"default", "./base.toml"},
		Hostname:     new("box"),
		Domainname:   new("example"),
		MachineID:    new("host"),
		Root:         new("/srv/rootfs"),
		RootWritable: new(false),
		Namespaces: map[sandbox.Kind]sandbox.Share{
			sandbox.NSMount: sandbox.New, sandbox.NSNet: sandbox.Host,
			sandbox.NSIPC: "sandbox:web", sandbox.NSUTS: sandbox.Host, sandbox.NSTime: sandbox.New,
		},
		Identity: Identity{UID: new(uint32(0)), GID: new(uint32(100)), Subordinate: new(true)},
		Mounts: []sandbox.Mount{
			{Type: sandbox.Bind, Source: "/home/ann/src/proj", Target: "/work"},
			{Type: sandbox.Tmpfs, Target: "/tmp", Size: 64 << 20, Mode: 0o1777, ReadOnly: true},
			{Type: sandbox.Tmpfs, Target: "/big", Size: 1 << 20, Mode: 0o700},
			{Type: sandbox.Symlink, Source: "usr/bin", Target: "/bin"},
			{Type: sandbox.File, Target: "/etc/motd", Content: "Costs $5.\n", Mode: 0o644},
			// The optional bus mount is dropped: XDG_RUNTIME_DIR is unset.
			{Type: sandbox.Mqueue, Target: "/dev/mqueue"},
		},
		Env: Env{
			Clear: new(true),
			Keep:  []string{"TERM", "LC_*"},
			Set:   map[string]string{"EDITOR": "vi", "WEIRD.NAME": "ann"},
			Unset: []string{"SSH_AUTH_SOCK"},
		},
		Time: Time{MonotonicOffset: new(-72 * time.Hour), BoottimeOffset: new(240 * time.Hour)},
		Process: Process{
			Command: []string{"/bin/sh", "-l"}, Cwd: new("/work"),
			NewSession: new(false), DieWithParent: new(true), AsPID1: new(false),
		},
		Limits:   map[string]Limit{"nofile": {1024, 1024}},
		Security: Security{Capabilities: []string{"CAP_NET_BIND_SERVICE", "CAP_CHOWN"}, NestedUserns: new(true)},
		Seccomp: Seccomp{
			Profile: new("none"), Action: new("log"),
			Allow: []string{"@keyring", "ptrace"}, Deny: []string{"@network-io"},
		},
		Landlock: Landlock{Mode: new("required"), Read: []string{"/opt/data"}, Write: []string{"/scratch"}},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("parsed:\n%s\nwant:\n%s", p.TOML(), want.TOML())
		t.Errorf("parsed %+v\nwant %+v", p, want)
	}
}

// Unset and zero differ: an absent key leaves the field nil.
func TestParseUnsetIsNil(t *testing.T) {
	p, err := Parse("empty.toml", []byte("[process]\n[identity]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Process.NewSession != nil || p.Identity.UID != nil || p.Hostname != nil || p.Process.Command != nil || p.Namespaces != nil {
		t.Errorf("absent keys are set: %+v", p)
	}
	p, err = Parse("zero.toml", []byte("hostname = \"\"\n[process]\nnew_session = false\ncommand = []\n[identity]\nuid = 0\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Process.NewSession == nil || *p.Process.NewSession || p.Identity.UID == nil || *p.Identity.UID != 0 ||
		p.Hostname == nil || *p.Hostname != "" || p.Process.Command == nil || len(p.Process.Command) != 0 {
		t.Errorf("zero values read as unset: %+v", p)
	}
}

func TestOptionalMountDroppedOnlyForUnsetVariables(t *testing.T) {
	text := `
[[mount]]
type = "ro-bind"
source = "${XDG_RUNTIME_DIR}/${WAYLAND_DISPLAY}"
target = "${XDG_RUNTIME_DIR}/${WAYLAND_DISPLAY}"
optional = true

[[mount]]
type = "ro-bind"
source = "/tmp/.X11-unix"
target = "/tmp/.X11-unix"
optional = true
`
	for _, tt := range []struct {
		name string
		vars Vars
		want int
	}{
		{"session", fullVars(), 2},
		{"no session", bareVars(), 1},
		{"runtime dir but no wayland", func() Vars { v := fullVars(); v["WAYLAND_DISPLAY"] = ""; return v }(), 1},
	} {
		p, err := Parse("w.toml", []byte(text), tt.vars)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(p.Mounts) != tt.want {
			t.Errorf("%s: %d mounts, want %d", tt.name, len(p.Mounts), tt.want)
		}
		if last := p.Mounts[len(p.Mounts)-1]; last.Source != "/tmp/.X11-unix" || !last.Optional {
			t.Errorf("%s: the X11 mount changed: %+v", tt.name, last)
		}
	}
}
