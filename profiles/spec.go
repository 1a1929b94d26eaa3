package profiles

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hutch-sandbox/hutch/idmap"
	"github.com/hutch-sandbox/hutch/sandbox"
	"github.com/hutch-sandbox/hutch/seccomp"
)

// ErrNoCommand is returned by Spec when neither the command line nor the
// profiles give a command.
var ErrNoCommand = errors.New("no command: give one after -- or set process.command")

// Spec turns the resolved profile into a validated sandbox.Spec. args is
// the command line's command; when empty, process.command runs. Fields no
// layer set take hutch's defaults: every namespace new, the caller's own
// uid and gid, a new session, death with the parent, the default seccomp
// filter with errno, and best-effort Landlock.
func (r *Resolved) Spec(args []string, caller idmap.Caller) (*sandbox.Spec, error) {
	p := r.Profile
	if len(args) == 0 {
		args = p.Process.Command
	}
	if len(args) == 0 {
		return nil, ErrNoCommand
	}
	s := &sandbox.Spec{
		Profiles:   slices.Clone(r.Names),
		Namespaces: map[sandbox.Kind]sandbox.Share{},
		Identity: idmap.Request{
			UID:         deref(p.Identity.UID, caller.UID),
			GID:         deref(p.Identity.GID, caller.GID),
			Subordinate: deref(p.Identity.Subordinate, false),
		},
		Root:            deref(p.Root, ""),
		RootWritable:    deref(p.RootWritable, false),
		Mounts:          clip(p.Mounts),
		Hostname:        deref(p.Hostname, ""),
		Domainname:      deref(p.Domainname, ""),
		HostMachineID:   deref(p.MachineID, "random") == "host",
		MonotonicOffset: deref(p.Time.MonotonicOffset, 0),
		BoottimeOffset:  deref(p.Time.BoottimeOffset, 0),
		Process: sandbox.Process{
			Args: slices.Clone(args),
			Env: sandbox.Env{
				Clear: deref(p.Env.Clear, false),
				Keep:  clip(p.Env.Keep),
				Unset: clip(p.Env.Unset),
			},
			Cwd:           deref(p.Process.Cwd, ""),
			NewSession:    deref(p.Process.NewSession, true),
			DieWithParent: deref(p.Process.DieWithParent, true),
			AsPID1:        deref(p.Process.AsPID1, false),
		},
		Security: sandbox.Security{
			Seccomp: seccomp.Policy{
				Base:         deref(p.Seccomp.Profile, "default"),
				Action:       deref(p.Seccomp.Action, "errno"),
				Allow:        clip(p.Seccomp.Allow),
				Deny:         clip(p.Seccomp.Deny),
				NestedUserns: deref(p.Security.NestedUserns, false),
			},
			Landlock: sandbox.Landlock{
				Mode:  deref(p.Landlock.Mode, sandbox.LandlockBestEffort),
				Read:  clip(p.Landlock.Read),
				Write: clip(p.Landlock.Write),
			},
		},
	}
	for _, k := range sandbox.ConfigurableKinds {
		s.Namespaces[k] = sandbox.New
	}
	maps.Copy(s.Namespaces, p.Namespaces)
	if len(p.Env.Set) > 0 {
		s.Process.Env.Set = maps.Clone(p.Env.Set)
	}
	if err := r.fill(s); err != nil {
		return nil, r.wrap(err)
	}
	if err := s.Validate(); err != nil {
		return nil, r.wrap(err)
	}
	return s, nil
}

// fill adds what needs checking beyond sandbox.Validate: parsed profiles
// are already clean, but the CLI's layers arrive unchecked.
func (r *Resolved) fill(s *sandbox.Spec) error {
	p := r.Profile
	for _, name := range slices.Sorted(maps.Keys(p.Limits)) {
		if _, ok := sandbox.Rlimits[name]; !ok {
			return fmt.Errorf("unknown resource limit %q (want one of %s)", name, strings.Join(limitNames, ", "))
		}
		l := p.Limits[name]
		if l.Soft > l.Hard {
			return fmt.Errorf("limits.%s: soft limit %s is above the hard limit %s", name, formatLimitValue(l.Soft), formatLimitValue(l.Hard))
		}
		s.Process.Limits = append(s.Process.Limits, sandbox.Rlimit{Resource: name, Soft: l.Soft, Hard: l.Hard})
	}
	for _, c := range p.Security.Capabilities {
		if _, err := sandbox.ParseCapability(c); err != nil {
			return err
		}
		// Layers may name a capability twice; the kernel's sets cannot.
		if c = canonicalCap(c); !slices.Contains(s.Security.Capabilities, c) {
			s.Security.Capabilities = append(s.Security.Capabilities, c)
		}
	}
	checks := []struct {
		key, val string
		choices  []string
	}{
		{"seccomp.profile", s.Security.Seccomp.Base, seccompProfiles},
		{"seccomp.action", s.Security.Seccomp.Action, seccompActions},
		{"landlock.mode", s.Security.Landlock.Mode, landlockModes},
	}
	for _, c := range checks {
		if !slices.Contains(c.choices, c.val) {
			return fmt.Errorf("%s: %q is not one of %s", c.key, c.val, strings.Join(c.choices, ", "))
		}
	}
	return nil
}

// wrap names the profiles a Spec error comes from, and the command line's
// options when they took part: the conflict may be theirs alone.
func (r *Resolved) wrap(err error) error {
	what := "profile " + r.Names[0]
	if len(r.Names) > 1 {
		what = "profiles " + strings.Join(r.Names, ", ")
	}
	if r.Layered {
		what += " with the command line's options"
	}
	return fmt.Errorf("%s: %w", what, err)
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// clip copies a list, with nil for empty so that a Spec compares and
// encodes the same whether a layer said [] or nothing.
func clip[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
