package profiles

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hutch-sandbox/hutch/sandbox"
)

// The checks below are the ones profile values pass, exported so that the
// CLI vets its options' values with the same rules as it parses them, and
// its errors name the option rather than a merged profile.

// CleanPath checks that p, with variables already expanded, is absolute
// and has no ".." element, and returns it cleaned: a trailing slash or a
// doubled one is accepted and dropped.
func CleanPath(p string) (string, error) { return absPath(p) }

// CleanMountTarget checks a mount's target as CleanPath does, and that only
// a bind or a tmpfs goes on /. It returns the target cleaned.
func CleanMountTarget(t sandbox.MountType, p string) (string, error) {
	clean, err := absPath(p)
	if err != nil {
		return "", err
	}
	m := sandbox.Mount{Type: t, Target: clean}
	if clean == "/" && t != sandbox.Tmpfs && !m.IsBind() {
		return "", fmt.Errorf("only a bind or tmpfs can be mounted on /")
	}
	return clean, nil
}

// CheckSymlinkText checks the text of a symlink mount.
func CheckSymlinkText(s string) error {
	if s == "" {
		return fmt.Errorf("a symlink needs the link text")
	}
	return nil
}

// CheckProfileArg checks a profile argument (--profile, extends) before
// it is looked up: a name, builtin:NAME, or a path with a /.
func CheckProfileArg(arg string) error {
	switch {
	case arg == "":
		return errors.New("empty profile name")
	case strings.HasPrefix(arg, builtinPrefix), IsPath(arg):
		return nil
	case !validName(arg):
		return fmt.Errorf("%q is not a profile name (letters, digits, and . _ - after the first; give a path with a / to load a file)", arg)
	}
	return nil
}

// CheckHostname checks a host or domain name: the kernel takes up to 64
// bytes.
//
// Beyond the kernel's limit, a name is letters, digits, '-', '_' and '.',
// as hostnames are: it also goes into the sandbox's /etc/hosts, where a
// newline would add lines and a space would make it not resolve.
func CheckHostname(s string) error {
	if len(s) > 64 {
		return fmt.Errorf("%q is longer than 64 bytes", s)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%q is not a host name: letters, digits, '-', '_' and '.' only", s)
		}
	}
	return nil
}

// ParseDuration parses a time offset as profiles write it: Go's syntax
// plus d for days, like "-72h", "10d" or "1d12h".
func ParseDuration(s string) (time.Duration, error) { return parseDuration(s) }

// CheckEnvName checks the name of a variable to set.
func CheckEnvName(name string) error { return checkEnvName(name) }

// CheckEnvPattern checks a name or shell pattern (LC_*) of variables to
// keep or unset.
func CheckEnvPattern(p string) error { return checkEnvPattern(p) }

// CheckSeccompProfile checks the name of a base filter: default or none.
func CheckSeccompProfile(s string) error { return checkChoice(s, seccompProfiles) }

// CheckCapability checks a capability name and returns its canonical
// spelling, CAP_NET_BIND_SERVICE.
func CheckCapability(name string) (string, error) {
	if _, err := sandbox.ParseCapability(name); err != nil {
		return "", err
	}
	return canonicalCap(name), nil
}

func checkChoice(s string, choices []string) error {
	if !slices.Contains(choices, s) {
		return fmt.Errorf("%q is not one of %s", s, strings.Join(choices, ", "))
	}
	return nil
}
