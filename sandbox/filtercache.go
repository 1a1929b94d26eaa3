package sandbox

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

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
// the kernel supports). A file holds its whole key, checked on every
// load, so the short hash that names it can collide without harm. A cache
// that cannot be read or written only costs the compile.
func compileFilter(p seccomp.Policy) (*seccomp.Program, error) {
	if p.Base == "none" {
		return seccomp.Compile(p)
	}
	key := filterCacheKey(p)
	var file string
	if key != nil {
		// FNV only spreads the names: each entry carries its full key.
		h := fnv.New64a()
		h.Write(key)
		file = filepath.Join(StateRoot(), cacheDir, "seccomp-"+strconv.FormatUint(h.Sum64(), 16)+".bpf")
		if raw, err := readPrivateFile(file); err == nil {
			if prog := decodeCacheEntry(raw, key); prog != nil {
				return prog, nil
			}
		}
	}
	prog, err := seccomp.Compile(p)
	if err != nil || prog == nil || file == "" {
		return prog, err
	}
	if raw, err := prog.MarshalBinary(); err == nil {
		entry := binary.AppendUvarint(nil, uint64(len(key)))
		writeCacheFile(file, append(append(entry, key...), raw...))
	}
	return prog, nil
}

// filterCacheKey is the key of a policy's cache entry, or nil when none
// can be made.
func filterCacheKey(p seccomp.Policy) []byte {
	var exe unix.Stat_t
	if unix.Stat("/proc/self/exe", &exe) != nil {
		return nil
	}
	var uts unix.Utsname
	if unix.Uname(&uts) != nil {
		return nil
	}
	key := p.AppendKey(make([]byte, 0, 256))
	for _, n := range []uint64{exe.Dev, exe.Ino, uint64(exe.Size), uint64(exe.Mtim.Sec), uint64(exe.Mtim.Nsec)} {
		key = binary.AppendUvarint(key, n)
	}
	return append(key, unix.ByteSliceToString(uts.Release[:])...)
}

// decodeCacheEntry returns the program of a cache entry written for key,
// or nil when the entry is another key's or does not decode.
func decodeCacheEntry(raw, key []byte) *seccomp.Program {
	n, size := binary.Uvarint(raw)
	if size <= 0 || n != uint64(len(key)) || !bytes.Equal(raw[size:min(len(raw), size+len(key))], key) {
		return nil
	}
	var prog seccomp.Program
	if prog.UnmarshalBinary(raw[size+len(key):]) != nil {
		return nil
	}
	return &prog
}

// cacheDir is the filter cache's directory in the state root. Its leading
// dot keeps it apart from the sandboxes' names, which start with a letter
// or a digit.
const cacheDir = ".cache"

// readPrivateFile reads a file of the caller's own private state: only
// when the file and the two directories above it belong to the caller and
// are closed to everyone else. The state root may be a directory in /tmp
// (without XDG_RUNTIME_DIR), where another user could have made it first
// and planted a filter that allows everything.
func readPrivateFile(file string) ([]byte, error) {
	dir := filepath.Dir(file)
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := checkPrivateDir(d); err != nil {
			return nil, err
		}
	}
	fd, err := unix.Open(file, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: file, Err: err}
	}
	f := os.NewFile(uintptr(fd), file)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: file, Err: err}
	}
	// Mode 0600 as well as the owner: inside a direct start's user
	// namespace an owner it does not map reads as the overflow uid, which
	// is the caller's own when the caller is nobody.
	if st.Mode&unix.S_IFMT != unix.S_IFREG || int(st.Uid) != os.Geteuid() || st.Mode&0o077 != 0 {
		return nil, fmt.Errorf("%s: not a private file of yours", file)
	}
	return io.ReadAll(f)
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
		return
	}
	pruneCache(dir, maxCacheEntries, time.Now())
}

// maxCacheEntries bounds the filter cache. Each rebuilt or upgraded hutch
// binary and each kernel update makes every entry dead (their keys name
// the binary and the kernel), and nothing else would ever remove them.
// An entry is a few KiB; a user rarely runs more than a handful of
// policies with one binary.
const maxCacheEntries = 32

// pruneCache keeps the keep most recently written entries of a cache
// directory and removes the rest, with temporary files that a write cut
// short left behind an hour or more ago. A recent temporary file may be
// another hutch's write in progress.
func pruneCache(dir string, keep int, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type cached struct {
		name string
		mod  time.Time
	}
	var files []cached
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".tmp-"):
			if now.Sub(info.ModTime()) >= time.Hour {
				os.Remove(filepath.Join(dir, name))
			}
		case strings.HasPrefix(name, "seccomp-") && strings.HasSuffix(name, ".bpf"):
			files = append(files, cached{name, info.ModTime()})
		}
	}
	if len(files) <= keep {
		return
	}
	slices.SortFunc(files, func(a, b cached) int { return b.mod.Compare(a.mod) })
	for _, f := range files[keep:] {
		os.Remove(filepath.Join(dir, f.name))
	}
}
