package profiles

import (
	"errors"
	"os"
	"strconv"
	"testing"
)

// fullVars is a desktop session: every variable set.
func fullVars() Vars {
	return Vars{
		"HOME": "/home/ann", "UID": "1000", "GID": "1000", "USER": "ann",
		"PWD":             "/home/ann/src/proj",
		"XDG_RUNTIME_DIR": "/run/user/1000",
		"XDG_CONFIG_HOME": "/home/ann/.config",
		"XDG_DATA_HOME":   "/home/ann/.local/share",
		"XDG_CACHE_HOME":  "/home/ann/.cache",
		"DISPLAY":         ":0",
		"WAYLAND_DISPLAY": "wayland-0",
	}
}

// bareVars is an ssh login or a cron job: no session variables.
func bareVars() Vars {
	v := fullVars()
	for _, k := range []string{"XDG_RUNTIME_DIR", "DISPLAY", "WAYLAND_DISPLAY"} {
		delete(v, k)
	}
	return v
}

func TestExpand(t *testing.T) {
	tests := []struct {
		in, want string
		err      string
	}{
		{"plain", "plain", ""},
		{"${HOME}/x", "/home/ann/x", ""},
		{"${XDG_RUNTIME_DIR}/${WAYLAND_DISPLAY}", "/run/user/1000/wayland-0", ""},
		{"$$", "$", ""},
		{"a$$b", "a$b", ""},
		{"$${HOME}", "${HOME}", ""},
		{"$$$${UID}", "$${UID}", ""}, // two $$ pairs, then text
		{"$$${UID}", "$1000", ""},
		{"${UID}:${GID}", "1000:1000", ""},
		{"", "", ""},
		{"${FOO}", "", "unknown variable ${FOO} (known: HOME, UID, GID, USER, PWD, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME, DISPLAY, WAYLAND_DISPLAY, XAUTHORITY)"},
		{"${home}", "", "unknown variable ${home} (known: HOME, UID, GID, USER, PWD, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME, DISPLAY, WAYLAND_DISPLAY, XAUTHORITY)"},
		{"$HOME", "", `a "$" must start ${NAME} or be doubled as $$`},
		{"cost: 5$", "", `a "$" must start ${NAME} or be doubled as $$`},
		{"${HOME", "", "unterminated ${ (want ${NAME})"},
		{"${NOPE}${DISPLAY}", "", "unknown variable ${NOPE} (known: HOME, UID, GID, USER, PWD, XDG_RUNTIME_DIR, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME, DISPLAY, WAYLAND_DISPLAY, XAUTHORITY)"},
	}
	for _, tt := range tests {
		got, err := fullVars().expand(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("expand(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestExpandUnset(t *testing.T) {
	v := bareVars()
	v["DISPLAY"] = "" // empty counts as unset
	for in, name := range map[string]string{
		"${XDG_RUNTIME_DIR}/x":                "XDG_RUNTIME_DIR",
		"${DISPLAY}":                          "DISPLAY",
		"${HOME}${WAYLAND_DISPLAY}${DISPLAY}": "WAYLAND_DISPLAY",
	} {
		_, err := v.expand(in)
		var unset errUnset
		if !errors.As(err, &unset) || unset.name != name {
			t.Errorf("expand(%q) = %v, want %s unset", in, err, name)
		}
	}
	// An unknown name is reported even after an unset one: it is a typo
	// that an optional mount must not hide.
	if _, err := v.expand("${DISPLAY}${NOPE}"); errors.As(err, new(errUnset)) {
		t.Errorf("unknown variable after an unset one reported as unset: %v", err)
	}
}

func TestVarsFromEnv(t *testing.T) {
	t.Setenv("HOME", "/home/test")
	t.Setenv("USER", "tester")
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_DATA_HOME", "relative/data") // invalid per the XDG spec: ignored
	t.Setenv("XDG_CACHE_HOME", "/var/cache/test")
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("DISPLAY", ":1")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("XAUTHORITY", "/run/user/1000/.mutter-Xwaylandauth.AB12CD")
	dir := t.TempDir()
	t.Chdir(dir)
	v, err := VarsFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := Vars{
		"HOME": "/home/test", "USER": "tester",
		"UID": strconv.Itoa(os.Getuid()), "GID": strconv.Itoa(os.Getgid()),
		"PWD":             dir,
		"XDG_CONFIG_HOME": "/home/test/.config",
		"XDG_DATA_HOME":   "/home/test/.local/share",
		"XDG_CACHE_HOME":  "/var/cache/test",
		"XDG_RUNTIME_DIR": "", // no default: none can be made up
		"DISPLAY":         ":1",
		"WAYLAND_DISPLAY": "",
		"XAUTHORITY":      "/run/user/1000/.mutter-Xwaylandauth.AB12CD",
	}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s = %q, want %q", k, v[k], w)
		}
	}
	for k := range v {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected variable %s", k)
		}
	}

	// A WAYLAND_DISPLAY that is not one socket's name, or an XAUTHORITY
	// that is a directory, would have fragments bind a whole directory.
	for _, tc := range []struct{ wayland, xauth, wantWayland, wantXauth string }{
		{"wayland-1", dir, "wayland-1", ""},
		{".", "/", "", ""},
		{"..", dir + "/missing", "", dir + "/missing"},
		{"../x", "", "", ""},
		{"/run/user/1000/wayland-0", "", "", ""},
	} {
		t.Setenv("WAYLAND_DISPLAY", tc.wayland)
		t.Setenv("XAUTHORITY", tc.xauth)
		if v, err = VarsFromEnv(); err != nil {
			t.Fatal(err)
		}
		if v["WAYLAND_DISPLAY"] != tc.wantWayland || v["XAUTHORITY"] != tc.wantXauth {
			t.Errorf("WAYLAND_DISPLAY=%q XAUTHORITY=%q: got %q and %q, want %q and %q",
				tc.wayland, tc.xauth, v["WAYLAND_DISPLAY"], v["XAUTHORITY"], tc.wantWayland, tc.wantXauth)
		}
	}

	// Paths are cleaned, so that profiles' check for ".." passes them.
	t.Setenv("HOME", "/tmp/x/home/../home/")
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("XDG_CACHE_HOME", "/var//cache/./test/")
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/../user/1000")
	if v, err = VarsFromEnv(); err != nil {
		t.Fatal(err)
	}
	for k, w := range map[string]string{
		"HOME":            "/tmp/x/home",
		"XDG_CONFIG_HOME": "/tmp/x/home/.config",
		"XDG_CACHE_HOME":  "/var/cache/test",
		"XDG_RUNTIME_DIR": "/run/user/1000",
	} {
		if v[k] != w {
			t.Errorf("%s = %q, want %q", k, v[k], w)
		}
	}
	l := NewLoader(v)
	if err := l.Check("default"); err != nil {
		t.Errorf("default profile with HOME=/tmp/x/home/../home/: %v", err)
	}

	t.Setenv("HOME", "not/absolute")
	if _, err := VarsFromEnv(); err == nil {
		t.Error("a relative HOME was accepted")
	}
}
