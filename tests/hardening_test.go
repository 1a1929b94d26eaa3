package tests

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deniedCalls are what the default profile must refuse, with the errno a
// program sees: EPERM for a denied call, ENOSYS for clone3 (so libcs fall
// back to clone, whose flags the filter can inspect) and EAFNOSUPPORT for
// a socket family the filter leaves out, as for a kernel without it.
var deniedCalls = map[string]string{
	"io_uring_setup":                "EPERM",
	"perf_event_open":               "EPERM",
	"userfaultfd":                   "EPERM",
	"keyctl":                        "EPERM",
	"add_key":                       "EPERM",
	"bpf":                           "EPERM",
	"ptrace-init":                   "EPERM",
	"ptrace-parent":                 "EPERM",
	"unshare-user":                  "EPERM",
	"unshare-net":                   "EPERM",
	"clone3":                        "ENOSYS",
	"mount":                         "EPERM",
	"umount":                        "EPERM",
	"socket-vsock":                  "EAFNOSUPPORT",
	"socket-packet":                 "EAFNOSUPPORT",
	"personality-read-implies-exec": "EPERM",
}

// allowedCalls are ordinary calls the filter must let through.
var allowedCalls = map[string]string{
	"socket-inet": "OK",
	"socket-unix": "OK",
	"getpid":      "OK",
}

func errnoArgs(m map[string]string) []string {
	args := []string{"errno"}
	for name := range m {
		args = append(args, name)
	}
	return args
}

func checkErrnos(t *testing.T, what string, got map[string]string, want map[string]string) {
	t.Helper()
	for name, errno := range want {
		if got[name] != errno {
			t.Errorf("%s: %s gave %q, want %s", what, name, got[name], errno)
		}
	}
}

func TestDefaultFilterDeniesEscapes(t *testing.T) {
	c := newCaller(t)
	r := c.mustRun(probe(errnoArgs(deniedCalls)...)...)
	checkErrnos(t, "default profile", fields(r.stdout), deniedCalls)
	r = c.mustRun(probe(errnoArgs(allowedCalls)...)...)
	checkErrnos(t, "default profile", fields(r.stdout), allowedCalls)
}

// The filter is only meaningful if these calls work without it: the same
// probe with seccomp off must get further for the calls nothing else
// stops (capabilities and no_new_privs stop the rest).
func TestFilterIsWhatDenies(t *testing.T) {
	c := newCaller(t)
	r := c.mustRun(append([]string{"--seccomp", "none"}, probe("errno", "io_uring_setup", "keyctl", "socket-vsock", "personality-read-implies-exec")...)...)
	got := fields(r.stdout)
	for _, name := range []string{"io_uring_setup", "keyctl", "personality-read-implies-exec"} {
		if got[name] != "OK" {
			t.Errorf("without a filter %s gave %q, want OK: the test would not notice a missing rule", name, got[name])
		}
	}
	if !strings.Contains(r.stderr, "system call filter is off") {
		t.Errorf("seccomp none gave no warning: %s", r)
	}
}

func TestI386EntryPointIsFiltered(t *testing.T) {
	if err := exec.Command(probe32Bin, "errno", "getpid").Run(); err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) && errno == syscall.ENOEXEC || strings.Contains(err.Error(), "exec format error") {
			t.Skip("this kernel runs no i386 programs (CONFIG_IA32_EMULATION off or ia32_emulation=0); the compat filter is covered by the seccomp package's interpreter tests")
		}
		t.Fatalf("probe32 on the host: %v", err)
	}
	c := newCaller(t)
	args := append([]string{"--ro-bind", probe32Bin, "/probe32", "--", "/probe32"}, errnoArgs(deniedCalls)...)
	r := c.mustRun(args...)
	checkErrnos(t, "i386 entry point", fields(r.stdout), deniedCalls)
}

func TestProcessStatusIsLockedDown(t *testing.T) {
	c := newCaller(t)
	r := c.mustRun("--", "sh", "-c", "grep -E '^(Cap...|NoNewPrivs|Seccomp):' /proc/self/status /proc/1/status")
	for _, pid := range []string{"self", "1"} {
		for _, want := range []string{"CapInh:\t0000000000000000", "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000", "Seccomp:\t2"} {
			if !strings.Contains(r.stdout, "/proc/"+pid+"/status:"+want) {
				t.Errorf("/proc/%s/status lacks %q:\n%s", pid, want, r.stdout)
			}
		}
	}
	if !strings.Contains(r.stdout, "/proc/self/status:NoNewPrivs:\t1") {
		t.Errorf("no_new_privs is not set:\n%s", r.stdout)
	}
	got := fields(c.mustRun(probe("prctl")...).stdout)
	// NOROOT, KEEP_CAPS_LOCKED and NO_CAP_AMBIENT_RAISE, each locked.
	if got["securebits"] != "0xe3" {
		t.Errorf("securebits %s, want 0xe3", got["securebits"])
	}
}

func TestKeptCapabilityIsAmbient(t *testing.T) {
	c := newCaller(t)
	r := c.mustRun("--cap-add", "CAP_NET_BIND_SERVICE", "--", "sh", "-c", "grep -E '^Cap(Eff|Amb|Bnd):' /proc/self/status")
	for _, want := range []string{"CapEff:\t0000000000000400", "CapAmb:\t0000000000000400", "CapBnd:\t0000000000000400"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("with CAP_NET_BIND_SERVICE kept, status lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestInitHoldsNothingOfTheCaller(t *testing.T) {
	c := newCaller(t)
	c.extraEnv = []string{"HUTCH_TEST_SECRET=hunter2"}
	r := c.run("--keepenv", "HUTCH_TEST_SECRET", "--", "sh", "-c", "cat /proc/1/environ; echo; echo app=$HUTCH_TEST_SECRET")
	if strings.Contains(strings.SplitN(r.stdout, "app=", 2)[0], "hunter2") {
		t.Errorf("/proc/1/environ shows the caller's environment: %s", r)
	}
	if !strings.Contains(r.stdout, "app=hunter2") {
		t.Errorf("the kept variable did not reach the app, so the test proves nothing: %s", r)
	}
}

func TestProcIsMasked(t *testing.T) {
	c := newCaller(t)
	script := `
for f in keys timer_list sched_debug sysrq-trigger; do
  [ -e /proc/$f ] || continue
  printf '%s %s\n' $f "$(wc -c < /proc/$f 2>&1 | tr -d ' ')"
done
echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo sys writable || echo sys read-only
[ -e /proc/tty/driver ] && echo ttydriver "$(ls -A /proc/tty/driver 2>&1 | wc -l)"
echo limit $(cat /proc/sys/user/max_user_namespaces)
`
	got := fields(c.mustRun("--", "sh", "-c", script).stdout)
	for _, f := range []string{"keys", "timer_list", "sched_debug", "sysrq-trigger"} {
		if v, ok := got[f]; ok && v != "0" {
			t.Errorf("/proc/%s shows %s bytes, want it masked (0)", f, v)
		}
	}
	if got["sys"] != "read-only" {
		t.Errorf("/proc/sys is %s", got["sys"])
	}
	// Unmasked, the directory is root's and unreadable, or lists drivers.
	if v, ok := got["ttydriver"]; ok && v != "0" {
		t.Errorf("/proc/tty/driver lists %s lines, want it masked by an empty directory", v)
	}
	if got["limit"] != "0" {
		t.Errorf("user.max_user_namespaces inside is %s, want 0", got["limit"])
	}
}

func TestNestedUsernsSwitch(t *testing.T) {
	c := newCaller(t)
	nested := c.profile("nested.toml", "extends = [\"default\"]\n[security]\nnested_userns = true\n")
	script := "unshare --user --map-root-user true && echo nested ok"
	r := c.run("--", "sh", "-c", script)
	if strings.Contains(r.stdout, "nested ok") {
		t.Errorf("the default profile let the app create a user namespace: %s", r)
	}
	r = c.run("--profile", nested, "--", "sh", "-c", script)
	if !strings.Contains(r.stdout, "nested ok") {
		t.Errorf("nested_userns = true did not allow a user namespace: %s", r)
	}
}

func TestProfileSeccompEditsTakeEffect(t *testing.T) {
	c := newCaller(t)
	edited := c.profile("edited.toml", `extends = ["default"]
[seccomp]
allow = ["@keyring"]  # socket denied by name answers EACCES, as @network-io does
deny = ["getrandom", "socket"]
`)
	got := fields(c.mustRun(append([]string{"--profile", edited}, probe("errno", "keyctl", "getrandom", "socket-unix", "io_uring_setup")...)...).stdout)
	checkErrnos(t, "edited profile", got, map[string]string{"keyctl": "OK", "getrandom": "EPERM", "socket-unix": "EACCES", "io_uring_setup": "EPERM"})
	// Denying what hutch's own init needs is refused before anything runs.
	initNeeds := c.profile("breaks-init.toml", "extends = [\"default\"]\n[seccomp]\ndeny = [\"wait4\"]\n")
	r := c.run("--profile", initNeeds, "--", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "wait4 cannot be denied") {
		t.Errorf("a profile denying wait4: %s", r)
	}
}

// TestNetworkIODenied denies @network-io, sockets and every call made with
// them. hutch's init needs none of them once the filter is loaded, in
// either start, unless it serves exec requests on a named sandbox's
// control socket: that is refused before anything runs.
func TestNetworkIODenied(t *testing.T) {
	for _, start := range initStarts {
		t.Run(start.name, func(t *testing.T) {
			c := newCaller(t)
			c.extraEnv = start.env
			p := c.profile("no-sockets.toml", "extends = [\"default\"]\n[seccomp]\ndeny = [\"@network-io\"]\n")
			got := fields(c.mustRun(append([]string{"--profile", p}, probe("errno", "socket-unix", "getpid")...)...).stdout)
			checkErrnos(t, "@network-io denied", got, map[string]string{"socket-unix": "EACCES", "getpid": "OK"})
			r := c.run("--name", "no-sockets", "--profile", p, "--", "true")
			if r.code != 125 || !strings.Contains(r.stderr, "cannot be denied in a named sandbox") {
				t.Errorf("a named sandbox denying @network-io: %s", r)
			}
		})
	}
}

func TestNormalWorkloads(t *testing.T) {
	c := newCaller(t)
	tests := []struct {
		name string
		args []string
		want string
		need string
	}{
		{"sh pipeline", []string{"--", "sh", "-c", "seq 1 1000 | sort -rn | head -1 | tr 0 o"}, "1ooo", ""},
		{"python3", []string{"--", "python3", "-c", "import threading, subprocess, tempfile, json; t = threading.Thread(target=print, args=('thread',)); t.start(); t.join(); print(subprocess.run(['echo', 'child'], capture_output=True, text=True).stdout.strip(), json.dumps(tempfile.gettempdir()))"}, "thread\nchild \"/tmp\"", "python3"},
		{"multi-threaded Go", probe("threads"), "ok 8", ""},
		{"git", []string{"--", "sh", "-c", "cd /tmp && git init -q r && cd r && git -c user.name=t -c user.email=t@e commit -q --allow-empty -m hi && git log --format=%s"}, "hi", "git"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.need != "" {
				if _, err := exec.LookPath(tc.need); err != nil {
					t.Skipf("%s is not installed", tc.need)
				}
			}
			r := c.run(tc.args...)
			if r.code != 0 || strings.TrimSpace(r.stdout) != tc.want {
				t.Errorf("got %q, want %q\n%s", strings.TrimSpace(r.stdout), tc.want, r)
			}
		})
	}
}

// The compiled filter is cached in the caller's state directory. A cache
// file that does not decode is ignored and the filter still applies, and
// so is one that holds another policy's program: a file names its key
// by a short hash, and an entry found under the wrong name must not
// serve.
func TestFilterCache(t *testing.T) {
	c := newCaller(t)
	cacheFiles := func() []string {
		files, _ := filepath.Glob(filepath.Join(c.runtimeDir, "hutch", ".cache", "seccomp-*.bpf"))
		return files
	}
	c.mustRun("--", "true")
	files := cacheFiles()
	if len(files) != 1 {
		t.Fatalf("cache files after one run: %v, want one", files)
	}
	ownFile := files[0]
	if err := os.WriteFile(ownFile, []byte("bad"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := fields(c.mustRun(probe("errno", "keyctl", "getpid")...).stdout)
	checkErrnos(t, "with a corrupt cache", got, map[string]string{"keyctl": "EPERM", "getpid": "OK"})
	own, _ := os.ReadFile(ownFile)
	if len(own) < 16 || string(own) == "bad" {
		t.Errorf("the corrupt cache file was not replaced (%d bytes)", len(own))
	}

	allowing := c.profile("allow-keyctl.toml", "extends = [\"default\"]\n[seccomp]\nallow = [\"keyctl\"]\n")
	got = fields(c.mustRun(append([]string{"--profile", allowing}, probe("errno", "keyctl")...)...).stdout)
	if got["keyctl"] == "EPERM" {
		t.Fatalf("the profile that allows keyctl: keyctl gave EPERM")
	}
	var otherFile string
	for _, f := range cacheFiles() {
		if f != ownFile {
			otherFile = f
		}
	}
	if otherFile == "" {
		t.Fatalf("cache files after a second policy: %v, want two", cacheFiles())
	}
	other, err := os.ReadFile(otherFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ownFile, other, 0o600); err != nil {
		t.Fatal(err)
	}
	got = fields(c.mustRun(probe("errno", "keyctl", "getpid")...).stdout)
	checkErrnos(t, "with another policy's entry in the cache file", got, map[string]string{"keyctl": "EPERM", "getpid": "OK"})
	if now, _ := os.ReadFile(ownFile); string(now) != string(own) {
		t.Errorf("the cache file holding another policy's entry was not rewritten")
	}

	// Entries of older binaries pile up; a write prunes the oldest.
	old := time.Now().Add(-24 * time.Hour)
	for i := range 40 {
		stale := filepath.Join(filepath.Dir(ownFile), fmt.Sprintf("seccomp-stale%02d.bpf", i))
		if err := os.WriteFile(stale, other, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(stale, old, old); err != nil {
			t.Fatal(err)
		}
	}
	denying := c.profile("deny-uname.toml", "extends = [\"default\"]\n[seccomp]\ndeny = [\"uname\"]\n")
	c.mustRun("--profile", denying, "--", "true")
	files = cacheFiles()
	if len(files) != 32 {
		t.Errorf("%d cache files after a write among 43, want 32", len(files))
	}
	for _, f := range []string{ownFile, otherFile} {
		if !slices.Contains(files, f) {
			t.Errorf("pruning removed a recent entry, %s", filepath.Base(f))
		}
	}
}

// TestPlantedFilterCacheIsIgnored plants, under the name and with the key
// of the default policy's cache entry, a program that allows every call,
// the way another local user could where the state directory is theirs to
// make first (in /tmp, without XDG_RUNTIME_DIR). hutch must not load it:
// not from a state directory someone else owns, nor a file someone else
// owns in the caller's own directory.
func TestPlantedFilterCacheIsIgnored(t *testing.T) {
	c := newCaller(t)
	c.mustRun("--", "true")
	files, _ := filepath.Glob(filepath.Join(c.runtimeDir, "hutch", ".cache", "seccomp-*.bpf"))
	if len(files) != 1 {
		t.Fatalf("cache files after one run: %v, want one", files)
	}
	entry, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	keyLen, size := binary.Uvarint(entry)
	if size <= 0 || uint64(len(entry)) < uint64(size)+keyLen {
		t.Fatalf("cache entry does not start with its key")
	}
	allowAll := make([]byte, 8) // BPF_RET|BPF_K, SECCOMP_RET_ALLOW
	binary.NativeEndian.PutUint16(allowAll, 0x06)
	binary.NativeEndian.PutUint32(allowAll[4:], 0x7fff0000)
	poison := append(entry[:uint64(size)+keyLen:uint64(size)+keyLen], allowAll...)
	denied := map[string]string{"keyctl": "EPERM", "getpid": "OK"}
	// The cache shares the state directory with the named sandboxes and
	// must not pass for one.
	if r := c.hutch("ps"); strings.Contains(r.stdout, "cache") {
		t.Errorf("hutch ps lists the filter cache as a sandbox:\n%s", r)
	}

	t.Run("state directory of another user", func(t *testing.T) {
		// Made by root (the test), open to all, as a squatter would.
		runtime, err := os.MkdirTemp("", "hutch-planted-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(runtime) })
		cache := filepath.Join(runtime, "hutch", ".cache")
		if err := os.MkdirAll(cache, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{runtime, filepath.Dir(cache), cache} {
			os.Chmod(d, 0o755)
		}
		if err := os.WriteFile(filepath.Join(cache, filepath.Base(files[0])), poison, 0o644); err != nil {
			t.Fatal(err)
		}
		own := c.runtimeDir
		c.runtimeDir = runtime
		defer func() { c.runtimeDir = own }()
		checkErrnos(t, "with a planted state directory", fields(c.mustRun(probe("errno", "keyctl", "getpid")...).stdout), denied)
	})
	t.Run("file of another user", func(t *testing.T) {
		if err := os.Remove(files[0]); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(files[0], poison, 0o644); err != nil { // owned by root
			t.Fatal(err)
		}
		checkErrnos(t, "with a planted cache file", fields(c.mustRun(probe("errno", "keyctl", "getpid")...).stdout), denied)
	})
}

// TestLimitsOnlyTighten runs the test profile (nofile and nproc 4096) for
// a caller whose own limits are lower already, hard or soft: the lower
// limit stays, in every start, and the start does not fail trying to
// raise it. The soft descriptor limit is the one hutch started with, not
// the one the Go runtime raises.
func TestLimitsOnlyTighten(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) is needed to start hutch with a lower limit")
	}
	for _, start := range initStarts {
		for _, tc := range []struct {
			limits []string
			want   string // ulimit -Sn -Hn -Sp -Hp inside
		}{
			{[]string{"--nofile=1024:1024"}, "1024 1024 4096 4096"},
			{[]string{"--nofile=50:2048", "--nproc=100:5000"}, "50 2048 100 4096"},
		} {
			c := newCaller(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			args := append(slices.Clone(tc.limits), hutchBin, "run", "-p", "test", "--", "sh", "-c", `echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Sp) $(ulimit -Hp)`)
			cmd := exec.CommandContext(ctx, prlimit, args...)
			cmd.Dir, cmd.Env = c.work, append(c.environ(), start.env...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: runAs}
			out, err := cmd.CombinedOutput()
			cancel()
			if err != nil || strings.TrimSpace(string(out)) != tc.want {
				t.Errorf("%s start, test profile under %v: %v\n%s\nwant %q", start.name, tc.limits, err, out, tc.want)
			}
		}
	}
}

// TestLimitsBindTheAppAlone gives the app limits far below what hutch's
// own init needs (an address space below the Go runtime's reservation, 8
// descriptors, fewer than Landlock's rules take): they must bind the app
// and leave hutch able to start it, in both starts. A caller's soft
// descriptor limit below its hard one is the app's, though the Go runtime
// raises its own.
func TestLimitsBindTheAppAlone(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) is needed to start hutch with a soft limit below its hard one")
	}
	for _, start := range initStarts {
		t.Run(start.name, func(t *testing.T) {
			c := newCaller(t)
			c.extraEnv = start.env
			p := c.profile("lim.toml", "extends = [\"default\"]\n[limits]\nas = \"512M\"\nnofile = 8\n")
			r := c.mustRun("-p", p, "--", "sh", "-c", "ulimit -v; ulimit -n")
			if got := strings.Fields(r.stdout); len(got) != 2 || got[0] != "524288" || got[1] != "8" {
				t.Errorf("address space and descriptor limits inside: %q, want 524288 (KiB) and 8\n%s", got, r)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, prlimit, "--nofile=512:2048", hutchBin, "run", "--", "sh", "-c", "ulimit -Sn")
			cmd.Dir, cmd.Env = c.work, c.environ()
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: runAs}
			if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "512" {
				t.Errorf("the caller's soft nofile of 512 inside: %v\n%s", err, out)
			}
		})
	}
}
