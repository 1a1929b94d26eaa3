package profiles

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/BurntSushi/toml"
)

// Loader finds profiles by name or path and resolves them.
type Loader struct {
	// Dirs are searched in order for NAME.toml before the built-ins.
	Dirs []string
	// Vars expands ${NAME} in every profile loaded.
	Vars Vars
}

// SystemDir holds the machine's profiles, searched after the user's.
const SystemDir = "/etc/hutch/profiles"

// NewLoader searches $XDG_CONFIG_HOME/hutch/profiles (by default
// ~/.config/hutch/profiles), then /etc/hutch/profiles, then the built-ins.
func NewLoader(vars Vars) *Loader {
	var dirs []string
	cfg := vars["XDG_CONFIG_HOME"]
	if cfg == "" && vars["HOME"] != "" {
		cfg = filepath.Join(vars["HOME"], ".config")
	}
	if cfg != "" {
		dirs = append(dirs, filepath.Join(cfg, "hutch", "profiles"))
	}
	return &Loader{Dirs: append(dirs, SystemDir), Vars: vars}
}

// IsPath reports whether a profile argument names a file rather than a
// profile to look up: it contains a slash or ends in .toml. Built-in
// references (builtin:NAME) are never paths.
func IsPath(arg string) bool {
	if strings.HasPrefix(arg, builtinPrefix) {
		return false
	}
	return strings.Contains(arg, "/") || strings.HasSuffix(arg, ".toml")
}

// validName keeps looked-up names to one plain path element that needs
// no quoting: letters, digits, and . _ - after the first.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// found is a located profile's text and identity.
type found struct {
	source string // as errors and Sources show it
	key    string // identity: the absolute path, or the builtin source
	dir    string // where relative extends resolve; "" for built-ins
	file   bool   // a host file (as opposed to a built-in)
	data   []byte
}

// find locates a profile argument. relDir is the directory of the file
// whose extends names it: relative paths in extends are relative to the
// file that writes them, as includes are everywhere else.
func (l *Loader) find(arg, relDir string) (found, error) {
	if err := CheckProfileArg(arg); err != nil {
		return found{}, err
	}
	switch {
	case strings.HasPrefix(arg, builtinPrefix):
		name := strings.TrimSuffix(strings.TrimPrefix(arg, builtinPrefix), ".toml")
		if data, ok := builtinData(name); ok && validName(name) {
			return found{source: builtinSource(name), key: builtinSource(name), data: data}, nil
		}
		return found{}, fmt.Errorf("no built-in profile %q (built-ins: %s)", name, strings.Join(BuiltinNames(), ", "))
	case IsPath(arg):
		p := arg
		if !filepath.IsAbs(p) && relDir != "" {
			p = filepath.Join(relDir, p)
		}
		data, err := readProfile(p)
		if err != nil {
			return found{}, err
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return found{}, fmt.Errorf("profile %s: %w", p, err)
		}
		return found{source: p, key: abs, dir: filepath.Dir(abs), file: true, data: data}, nil
	}
	for _, dir := range l.Dirs {
		p := filepath.Join(dir, arg+".toml")
		data, err := readProfile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return found{}, err
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return found{}, fmt.Errorf("profile %s: %w", p, err)
		}
		return found{source: p, key: abs, dir: filepath.Dir(abs), file: true, data: data}, nil
	}
	if data, ok := builtinData(arg); ok {
		return found{source: builtinSource(arg), key: builtinSource(arg), data: data}, nil
	}
	where := "the built-ins"
	if len(l.Dirs) > 0 {
		where = strings.Join(l.Dirs, ", ") + " and the built-ins"
	}
	return found{}, fmt.Errorf("profile %q not found: looked for %s.toml in %s (built-ins: %s)", arg, arg, where, strings.Join(BuiltinNames(), ", "))
}

// readProfile reads a profile file, refusing anything but a regular file
// so that a FIFO or /dev/zero given as a profile cannot hang or exhaust
// hutch.
func readProfile(p string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO would otherwise wait for a writer.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read profile: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("profile %s: not a regular file", p)
	}
	if st.Size() > maxProfileSize {
		return nil, errTooLarge(p, st.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxProfileSize+1))
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", p, err)
	}
	if len(data) > maxProfileSize {
		// It grew since the stat: what it holds now is not known.
		return nil, errTooLarge(p, 0)
	}
	return data, nil
}

// Info describes one visible profile for `hutch profile list`.
type Info struct {
	Name        string
	Description string
	Source      string // the file, or builtin:NAME.toml
	// Shadowed is set when a profile of the same name earlier in the
	// search order hides this one.
	Shadowed bool
	// Err is why the profile does not load, if it does not: a syntax
	// error, a bad value, an extends cycle or a missing parent, or a spec
	// that does not validate (what `hutch profile check` reports).
	Err error
}

// List returns every profile in the search path, sorted by name; for each
// name the one in use comes first and the ones it shadows follow.
func (l *Loader) List() ([]Info, error) {
	var out []Info
	seen := map[string]bool{}
	// ref is how Check reaches this very profile when it is shadowed;
	// the one in use is checked by its name, as it is used.
	add := func(name, source, ref string, data []byte, err error) {
		info := Info{Name: name, Source: source, Shadowed: seen[name], Err: err}
		seen[name] = true
		if err == nil {
			info.Description, info.Err = l.describe(source, data)
		}
		if !info.Shadowed {
			ref = name
		}
		if info.Err == nil {
			info.Err = l.Check(ref)
		}
		out = append(out, info)
	}
	for _, dir := range l.Dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list profiles: %w", err)
		}
		for _, e := range entries {
			name, ok := strings.CutSuffix(e.Name(), ".toml")
			if !ok || !validName(name) || e.IsDir() {
				continue
			}
			p := filepath.Join(dir, e.Name())
			data, err := readProfile(p)
			add(name, p, p, data, err)
		}
	}
	for _, name := range BuiltinNames() {
		data, _ := builtinData(name)
		add(name, builtinSource(name), builtinPrefix+name, data, nil)
	}
	slices.SortStableFunc(out, func(a, b Info) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// describe returns a profile's description and whether it parses. The
// description is read even from a profile that fails, so the list still
// says what it was meant to be.
func (l *Loader) describe(source string, data []byte) (string, error) {
	p, err := Parse(source, data, l.Vars)
	if err == nil {
		return p.Description, nil
	}
	var raw struct {
		Description string `toml:"description"`
	}
	_, _ = toml.Decode(string(data), &raw)
	return raw.Description, err
}
