package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hutch-sandbox/hutch/seccomp"
	"golang.org/x/sys/unix"
)

// compileFilter returns the compiled program for a policy, from the
// caller's cache when this very hutch binary compiled the same policy
// before. Compiling with libseccomp costs about as much as the rest of a
// sandbox's start (the library probes the kernel and optimises the
// tree), and profiles rarely change between runs.
//
// The cache lives in the private state directory, which no sandbox can
// reach; its key covers the policy, the hutch binary (device, inode,
// size and mtime, so a rebuilt or upgraded hutch never uses an old
// program) and the kernel release (libseccomp's output depends on what
// the kernel supports). A cache that cannot be read or written only
// costs the compile.
func compileFilter(p seccomp.Policy) (*seccomp.Program, error) {
	if p.Base == "none" {
		return seccomp.Compile(p)
	}
	file := filterCachePath(p)
	if file != "" {
		if raw, err := os.ReadFile(file); err == nil {
			var prog seccomp.Program
			if prog.UnmarshalBinary(raw) == nil {
				return &prog, nil
			}
		}
	}
	prog, err := seccomp.Compile(p)
	if err != nil || prog == nil || file == "" {
		return prog, err
	}
	if raw, err := prog.MarshalBinary(); err == nil {
		writeCacheFile(file, raw)
	}
	return prog, nil
}

// filterCachePath names the cache file for a policy, or "" when no key
// can be made.
func filterCachePath(p seccomp.Policy) string {
	var exe unix.Stat_t
	if unix.Stat("/proc/self/exe", &exe) != nil {
		return ""
	}
	var uts unix.Utsname
	if unix.Uname(&uts) != nil {
		return ""
	}
	policy, err := json.Marshal(p)
	if err != nil {
		return ""
	}
	h := sha256.New()
	h.Write(policy)
	for _, n := range []uint64{exe.Dev, exe.Ino, uint64(exe.Size), uint64(exe.Mtim.Sec), uint64(exe.Mtim.Nsec)} {
		h.Write(strconv.AppendUint(nil, n, 16))
		h.Write([]byte{0})
	}
	h.Write(uts.Release[:])
	return filepath.Join(StateRoot(), "cache", "seccomp-"+hex.EncodeToString(h.Sum(nil)[:16])+".bpf")
}

// writeCacheFile stores data atomically in a private directory, ignoring
// failures: the cache is an optimisation.
func writeCacheFile(file string, data []byte) {
	dir := filepath.Dir(file)
	if ensurePrivateDir(filepath.Dir(dir)) != nil || ensurePrivateDir(dir) != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".tmp-")
	if err != nil {
		return
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
}
