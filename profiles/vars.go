package profiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hutch-sandbox/hutch/idmap"
)

// Vars holds the values of the ${NAME} variables a profile may use. An
// absent or empty entry is an unset variable.
type Vars map[string]string

// VarNames are the variables a profile may use; any other ${NAME} is an
// error, so a typo cannot silently expand to nothing.
var VarNames = []string{
	"HOME", "UID", "GID", "USER", "PWD", "XDG_RUNTIME_DIR",
	"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "DISPLAY", "WAYLAND_DISPLAY",
	"XAUTHORITY",
}

// xdgDefaults are the XDG base directories' defaults under HOME. There is
// none for XDG_RUNTIME_DIR: the spec leaves it to the session, and making
// one up would point profiles at a directory no compositor listens in.
var xdgDefaults = map[string]string{
	"XDG_CONFIG_HOME": ".config",
	"XDG_DATA_HOME":   ".local/share",
	"XDG_CACHE_HOME":  ".cache",
}

// VarsFromEnv fills Vars from the environment and the process, for the
// CLI. UID, GID and PWD come from the process, not the environment, so a
// stale $PWD cannot bind the wrong directory. A variable that cannot be
// found is left unset; a profile that uses it then gets an error naming it.
func VarsFromEnv() (Vars, error) {
	v := Vars{
		"UID": strconv.Itoa(os.Getuid()),
		"GID": strconv.Itoa(os.Getgid()),
	}
	home := os.Getenv("HOME")
	name := os.Getenv("USER")
	if home == "" || name == "" {
		if a, ok := idmap.LookupAccount(idmap.PasswdFile, uint32(os.Getuid())); ok {
			if home == "" {
				home = a.Home
			}
			if name == "" {
				name = a.Name
			}
		}
	}
	if home != "" && !filepath.IsAbs(home) {
		return nil, fmt.Errorf("HOME is %q, not an absolute path", home)
	}
	// Paths are cleaned: profiles refuse ".." in theirs, and a HOME of
	// /home/../home/ann must not break every profile that binds ${HOME}.
	v["HOME"] = cleanAbs(home)
	v["USER"] = name
	// A deleted working directory leaves PWD unset: only profiles that
	// use ${PWD} should fail, not every run.
	if wd, err := os.Getwd(); err == nil {
		v["PWD"] = cleanAbs(wd)
	}
	for _, k := range []string{"XDG_RUNTIME_DIR", "DISPLAY", "WAYLAND_DISPLAY"} {
		v[k] = os.Getenv(k)
	}
	// The XDG spec says relative values are invalid and must be ignored.
	v["XDG_RUNTIME_DIR"] = cleanAbs(v["XDG_RUNTIME_DIR"])
	// Fragments bind ${XDG_RUNTIME_DIR}/${WAYLAND_DISPLAY}: a value that is
	// not one socket's name ("", ".", "..", or with a slash) would bind the
	// whole runtime directory or a path outside it.
	if w := v["WAYLAND_DISPLAY"]; w == "." || w == ".." || strings.Contains(w, "/") {
		v["WAYLAND_DISPLAY"] = ""
	}
	// Where the X server's cookie is when not in ~/.Xauthority: gdm, sddm
	// and Xwayland keep it under /run/user or /tmp. A cookie is a file: a
	// directory here would be bound whole (XAUTHORITY=/tmp).
	v["XAUTHORITY"] = cleanAbs(os.Getenv("XAUTHORITY"))
	if st, err := os.Stat(v["XAUTHORITY"]); v["XAUTHORITY"] != "" && err == nil && st.IsDir() {
		v["XAUTHORITY"] = ""
	}
	for k, rel := range xdgDefaults {
		d := cleanAbs(os.Getenv(k))
		if d == "" && home != "" {
			d = filepath.Join(home, rel)
		}
		v[k] = d
	}
	return v, nil
}

// ErrUnsetVar is what Expand's error matches (errors.Is) when a known
// variable has no value.
var ErrUnsetVar = errors.New("variable not set")

// cleanAbs returns an absolute path cleaned, and anything else as empty.
func cleanAbs(p string) string {
	if !filepath.IsAbs(p) {
		return ""
	}
	return filepath.Clean(p)
}

// errUnset reports a known variable without a value.
type errUnset struct{ name string }

func (e errUnset) Error() string { return fmt.Sprintf("${%s} is not set", e.name) }

func (e errUnset) Is(target error) bool { return target == ErrUnsetVar }

// Expand replaces ${NAME} and $$ in s as profiles' values are expanded:
// for the CLI, whose paths take the same variables. An unknown variable or
// a lone $ is an error; so is an unset variable, matching ErrUnsetVar.
func (v Vars) Expand(s string) (string, error) { return v.expand(s) }

// expand replaces ${NAME} and $$ in s. It returns the first unset
// variable's error (errUnset) only after checking the whole string, so a
// bad reference is reported even where an unset one would drop the entry.
func (v Vars) expand(s string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var unset error
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '{' {
			// $NAME without braces is the usual slip; expanding only ${NAME}
			// and rejecting the rest keeps "$HOME" from staying literal.
			return "", errors.New(`a "$" must start ${NAME} or be doubled as $$`)
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ (want ${NAME})")
		}
		name := s[i+2 : i+2+end]
		if !slices.Contains(VarNames, name) {
			return "", fmt.Errorf("unknown variable ${%s} (known: %s)", name, strings.Join(VarNames, ", "))
		}
		if v[name] == "" {
			if unset == nil {
				unset = errUnset{name}
			}
		} else {
			b.WriteString(v[name])
		}
		i += 2 + end
	}
	if unset != nil {
		return "", unset
	}
	return b.String(), nil
}
