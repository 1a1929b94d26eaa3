package profiles

import (
	"slices"
	"strings"
	"testing"

	"github.com/hutch-sandbox/hutch/sandbox"
)

var wantBuiltins = []string{"audio", "browser", "default", "desktop", "gpu", "network", "rootfs", "shell", "test", "untrusted", "wayland", "x11"}

var fragments = []string{"audio", "gpu", "network", "wayland", "x11"}

func TestBuiltinNames(t *testing.T) {
	if got := BuiltinNames(); !slices.Equal(got, wantBuiltins) {
		t.Errorf("built-ins %v, want %v", got, wantBuiltins)
	}
}

// Every built-in resolves to a valid Spec, alone and layered on default
// as fragments are used, in a desktop session and in a bare login where
// XDG_RUNTIME_DIR, DISPLAY and WAYLAND_DISPLAY are unset.
func TestBuiltinsResolve(t *testing.T) {
	for _, vars := range []struct {
		name string
		vars Vars
	}{{"session", fullVars()}, {"bare", bareVars()}} {
		l := &Loader{Vars: vars.vars}
		for _, name := range BuiltinNames() {
			for _, names := range [][]string{{name}, {"default", name}} {
				r, err := l.Resolve(names)
				if err != nil {
					t.Errorf("%s %v: %v", vars.name, names, err)
					continue
				}
				s, err := r.Spec([]string{"/bin/true"}, testCaller)
				if err != nil {
					t.Errorf("%s %v: %v", vars.name, names, err)
					continue
				}
				if err := s.Validate(); err != nil {
					t.Errorf("%s %v: %v", vars.name, names, err)
				}
				data, _ := builtinData(name)
				p, _ := Parse(builtinSource(name), data, vars.vars)
				if p.Description == "" || strings.Contains(p.Description, "\n") {
					t.Errorf("%s: want a one-line description, got %q", name, p.Description)
				}
				if slices.Contains(fragments, name) && len(p.Extends) > 0 {
					t.Errorf("fragment %s extends %v; fragments are layered, they extend nothing", name, p.Extends)
				}
			}
		}
	}
}

func builtinSpec(t *testing.T, vars Vars, names ...string) *sandbox.Spec {
	t.Helper()
	r, err := (&Loader{Vars: vars}).Resolve(names)
	if err != nil {
		t.Fatal(err)
	}
	s, err := r.Spec([]string{"/bin/true"}, testCaller)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mountAt(s *sandbox.Spec, target string) (sandbox.Mount, bool) {
	for _, m := range s.Mounts {
		if m.Target == target {
			return m, true
		}
	}
	return sandbox.Mount{}, false
}

func TestBuiltinDefault(t *testing.T) {
	s := builtinSpec(t, fullVars(), "default")
	for _, k := range sandbox.ConfigurableKinds {
		if s.Namespaces[k] != sandbox.New {
			t.Errorf("namespace %s is %q, want new", k, s.Namespaces[k])
		}
	}
	if s.Hostname != "hutch" || len(s.Security.Capabilities) != 0 || s.Security.Seccomp.Base != "default" ||
		s.Security.Seccomp.Action != "errno" || s.Security.Landlock.Mode != "best-effort" ||
		!s.Process.NewSession || !s.Process.DieWithParent || !s.Process.Env.Clear {
		t.Errorf("default spec: %+v", s)
	}
	for target, want := range map[string]sandbox.Mount{
		"/usr":      {Type: sandbox.ROBind, Source: "/usr", Target: "/usr"},
		"/etc":      {Type: sandbox.ROBind, Source: "/etc", Target: "/etc"},
		"/lib64":    {Type: sandbox.ROBind, Source: "/lib64", Target: "/lib64", Optional: true},
		"/proc":     {Type: sandbox.Proc, Target: "/proc"},
		"/dev":      {Type: sandbox.Dev, Target: "/dev"},
		"/tmp":      {Type: sandbox.Tmpfs, Target: "/tmp", Mode: 0o1777},
		"/home/ann": {Type: sandbox.Tmpfs, Target: "/home/ann", Mode: 0o700},
		"/run":      {Type: sandbox.Tmpfs, Target: "/run", Mode: 0o755},
	} {
		if m, ok := mountAt(s, target); !ok || m != want {
			t.Errorf("mount %s = %+v, want %+v", target, m, want)
		}
	}
	env := s.Process.Env.Apply([]string{"TERM=xterm", "LC_ALL=C", "SSH_AUTH_SOCK=/x", "PATH=.:/home/ann/bin", "LD_PRELOAD=/evil.so", "HOME=/home/ann"})
	want := []string{"TERM=xterm", "LC_ALL=C", "HOME=/home/ann", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/go/bin"}
	if !slices.Equal(env, want) {
		t.Errorf("environment %v, want %v", env, want)
	}
}

func TestBuiltinSpecifics(t *testing.T) {
	v := fullVars()

	shell := builtinSpec(t, v, "shell")
	if shell.Process.NewSession || shell.Hostname != "hutch-shell" {
		t.Errorf("shell: new_session %t, hostname %q", shell.Process.NewSession, shell.Hostname)
	}
	r, _ := (&Loader{Vars: v}).Resolve([]string{"shell"})
	if !slices.Equal(r.Profile.Process.Command, []string{"/bin/bash", "-i"}) {
		t.Errorf("shell command %v", r.Profile.Process.Command)
	}

	test := builtinSpec(t, v, "test")
	if m, ok := mountAt(test, v["PWD"]); !ok || m.Type != sandbox.Bind || m.Source != v["PWD"] || test.Process.Cwd != v["PWD"] {
		t.Errorf("test: pwd mount %+v, cwd %q", m, test.Process.Cwd)
	}
	if test.MonotonicOffset.Hours() != 240 || test.BoottimeOffset.Hours() != 240 || test.Hostname != "test" ||
		test.Namespaces[sandbox.NSNet] != sandbox.New {
		t.Errorf("test: %+v", test)
	}
	if !slices.Equal(test.Process.Limits, []sandbox.Rlimit{{Resource: "nofile", Soft: 4096, Hard: 4096}, {Resource: "nproc", Soft: 4096, Hard: 4096}}) {
		t.Errorf("test limits %v", test.Process.Limits)
	}

	untrusted := builtinSpec(t, v, "untrusted")
	wantLimits := []sandbox.Rlimit{
		{Resource: "core", Soft: 0, Hard: 0},
		{Resource: "fsize", Soft: 1 << 30, Hard: 1 << 30},
		{Resource: "nofile", Soft: 1024, Hard: 1024},
		{Resource: "nproc", Soft: 512, Hard: 512},
	}
	if !slices.Equal(untrusted.Process.Limits, wantLimits) || untrusted.Process.Cwd != v["PWD"] || untrusted.Namespaces[sandbox.NSNet] != sandbox.New {
		t.Errorf("untrusted: %+v", untrusted)
	}

	network := builtinSpec(t, v, "default", "network")
	if network.Namespaces[sandbox.NSNet] != sandbox.Host {
		t.Errorf("network: net %q", network.Namespaces[sandbox.NSNet])
	}

	browser := builtinSpec(t, v, "browser")
	if browser.Namespaces[sandbox.NSNet] != sandbox.Host || !browser.Security.Seccomp.NestedUserns {
		t.Errorf("browser: %+v", browser)
	}
	if m, ok := mountAt(browser, "/home/ann/Downloads"); !ok || m.Type != sandbox.Bind || !m.Optional {
		t.Errorf("browser downloads %+v", m)
	}
	if m, ok := mountAt(browser, "/home/ann"); !ok || m.Type != sandbox.Tmpfs {
		t.Errorf("browser home %+v", m)
	}

	desktop := builtinSpec(t, v, "desktop")
	if desktop.Namespaces[sandbox.NSNet] != sandbox.New {
		t.Error("desktop has network")
	}
	for _, target := range []string{"/tmp/.X11-unix", "/home/ann/.Xauthority", "/run/user/1000/wayland-0", "/run/user/1000/pulse/native", "/run/user/1000/pipewire-0", "/dev/dri", "/sys/dev/char", "/sys/devices"} {
		if m, ok := mountAt(desktop, target); !ok || !m.Optional {
			t.Errorf("desktop: mount %s = %+v", target, m)
		}
	}
	if m, _ := mountAt(desktop, "/dev/dri"); m.Type != sandbox.DevBind {
		t.Errorf("gpu: /dev/dri is %s", m.Type)
	}
	for _, k := range []string{"DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR"} {
		if !slices.Contains(desktop.Process.Env.Keep, k) {
			t.Errorf("desktop does not keep %s", k)
		}
	}

	// Without a session the socket mounts that need XDG_RUNTIME_DIR are
	// dropped, and the rest still resolves.
	bare := builtinSpec(t, bareVars(), "desktop")
	for _, m := range bare.Mounts {
		if strings.HasPrefix(m.Target, "/run/user") {
			t.Errorf("bare desktop mounts %s", m.Target)
		}
	}
	if _, ok := mountAt(bare, "/tmp/.X11-unix"); !ok {
		t.Error("bare desktop lost the X11 socket mount")
	}
}
