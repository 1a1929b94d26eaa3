package profiles

import (
	"slices"
	"time"

	"github.com/hutch-sandbox/hutch/sandbox"
)

// Profile is one layer: a parsed file, or a layer the CLI builds from its
// flags. Pointer and nil-able fields are unset when nil, so that merging
// can tell "not said" from "said false": a child's net = false overrides
// its parent's true, and a child that says nothing keeps it.
//
// Strings hold values with ${VARS} already expanded.
type Profile struct {
	// Source is the file as given, builtin:NAME.toml, or empty for a layer
	// built in memory.
	Source string

	// Description describes this file only; it is not inherited.
	Description string
	// Extends names the parents, applied before this layer, in order.
	Extends []string

	Hostname     *string
	Domainname   *string
	MachineID    *string // "random" or "host"
	Root         *string
	RootWritable *bool

	// Namespaces holds only the kinds this layer sets.
	Namespaces map[sandbox.Kind]sandbox.Share
	Identity   Identity
	// Mounts are appended to the parents' mounts.
	Mounts   []sandbox.Mount
	Env      Env
	Time     Time
	Process  Process
	Limits   map[string]Limit // by sandbox.Rlimits name
	Security Security
	Seccomp  Seccomp
	Landlock Landlock

	// loc places keys of a parsed file, for errors found after parsing
	// (an extends entry that does not resolve).
	loc *locator
	// sharedOut are the kinds whose settings SetNamespace cleared when a
	// command-line layer shared them: making them new again puts the
	// profiles' settings back.
	sharedOut map[sandbox.Kind]bool
}

// Identity is the [identity] table.
type Identity struct {
	UID         *uint32
	GID         *uint32
	Subordinate *bool
}

// Env is the [env] table. Keep and Unset append across layers; Set merges
// by name, and a name set by a later layer is taken out of the earlier
// layers' Unset so that --setenv wins over a profile's unset.
type Env struct {
	Clear *bool
	Keep  []string
	Set   map[string]string
	Unset []string
}

// Time is the [time] table.
type Time struct {
	MonotonicOffset *time.Duration
	BoottimeOffset  *time.Duration
}

// Process is the [process] table. Command replaces rather than appends:
// nil is unset, an empty non-nil slice removes a parent's command.
type Process struct {
	Command       []string
	Cwd           *string
	NewSession    *bool
	DieWithParent *bool
	AsPID1        *bool
}

// Limit is one resource limit; Unlimited stands for RLIM_INFINITY.
type Limit struct {
	Soft, Hard uint64
}

// Unlimited is RLIM_INFINITY.
const Unlimited = ^uint64(0)

// Security is the [security] table.
type Security struct {
	Capabilities []string // canonical CAP_NAME spelling
	NestedUserns *bool
}

// Seccomp is the [seccomp] table.
type Seccomp struct {
	Profile *string // "default" or "none"
	Action  *string // "errno", "kill" or "log"
	Allow   []string
	Deny    []string
}

// Landlock is the [landlock] table.
type Landlock struct {
	Mode  *string // best-effort, required or off
	Read  []string
	Write []string
}

// The methods below let the CLI build a layer from bubblewrap-like flags
// without knowing which fields are pointers. Values are taken as given:
// Resolve's Spec step validates the merged result.

// AddMount appends a mount (--bind, --ro-bind, --tmpfs, ...).
func (p *Profile) AddMount(m sandbox.Mount) { p.Mounts = append(p.Mounts, m) }

// SetNamespace sets where a namespace comes from (--share-net, --net=...).
// Sharing the uts or time namespace also clears the hostname, domain name
// or clock offsets set by earlier layers, which could not apply to a
// namespace the sandbox does not own.
func (p *Profile) SetNamespace(kind sandbox.Kind, share sandbox.Share) {
	if p.Namespaces == nil {
		p.Namespaces = map[sandbox.Kind]sandbox.Share{}
	}
	p.Namespaces[kind] = share
	if share == sandbox.New {
		if p.sharedOut[kind] {
			delete(p.sharedOut, kind)
			switch kind {
			case sandbox.NSUTS:
				p.Hostname, p.Domainname = nil, nil
			case sandbox.NSTime:
				p.Time.MonotonicOffset, p.Time.BoottimeOffset = nil, nil
			}
		}
		return
	}
	// What the profiles set for the kind gives way; what this layer set
	// itself stays, and the spec's check refuses it with the sharing.
	switch kind {
	case sandbox.NSUTS:
		if p.Hostname == nil && p.Domainname == nil || p.sharedOut[kind] {
			p.Hostname, p.Domainname = new(""), new("")
			p.markSharedOut(kind)
		}
	case sandbox.NSTime:
		if p.Time.MonotonicOffset == nil && p.Time.BoottimeOffset == nil || p.sharedOut[kind] {
			p.Time.MonotonicOffset, p.Time.BoottimeOffset = new(time.Duration(0)), new(time.Duration(0))
			p.markSharedOut(kind)
		}
	}
}

func (p *Profile) markSharedOut(kind sandbox.Kind) {
	if p.sharedOut == nil {
		p.sharedOut = map[sandbox.Kind]bool{}
	}
	p.sharedOut[kind] = true
}

// SetHostname sets the sandbox's hostname (--hostname).
func (p *Profile) SetHostname(name string) {
	p.Hostname = new(name)
	delete(p.sharedOut, sandbox.NSUTS)
}

// SetMonotonicOffset shifts CLOCK_MONOTONIC inside (--monotonic-offset).
func (p *Profile) SetMonotonicOffset(d time.Duration) {
	p.Time.MonotonicOffset = new(d)
	delete(p.sharedOut, sandbox.NSTime)
}

// SetBoottimeOffset shifts CLOCK_BOOTTIME inside (--boottime-offset).
func (p *Profile) SetBoottimeOffset(d time.Duration) {
	p.Time.BoottimeOffset = new(d)
	delete(p.sharedOut, sandbox.NSTime)
}

// SetUID sets the app's uid inside (--uid).
func (p *Profile) SetUID(uid uint32) { p.Identity.UID = new(uid) }

// SetGID sets the app's gid inside (--gid).
func (p *Profile) SetGID(gid uint32) { p.Identity.GID = new(gid) }

// SetEnv sets a variable (--setenv K V).
func (p *Profile) SetEnv(k, v string) {
	if p.Env.Set == nil {
		p.Env.Set = map[string]string{}
	}
	p.Env.Set[k] = v
	p.Env.Unset = slices.DeleteFunc(p.Env.Unset, func(u string) bool { return u == k })
}

// UnsetEnv removes a variable, or those a pattern matches (--unsetenv
// K), set before it or inherited.
func (p *Profile) UnsetEnv(k string) {
	for name := range p.Env.Set {
		if sandbox.EnvNameMatches(k, name) {
			delete(p.Env.Set, name)
		}
	}
	p.Env.Unset = append(p.Env.Unset, k)
}

// KeepEnv keeps a caller's variable (or pattern) through a cleared
// environment.
func (p *Profile) KeepEnv(pattern string) { p.Env.Keep = append(p.Env.Keep, pattern) }

// ClearEnv starts the app's environment from nothing but the kept names
// (--clearenv).
func (p *Profile) ClearEnv() { p.Env.Clear = new(true) }

// SetCwd sets the app's working directory (--chdir).
func (p *Profile) SetCwd(dir string) { p.Process.Cwd = new(dir) }

// SetCommand sets the default command; with no arguments it removes the
// profiles' command, so that one must be given on the command line.
func (p *Profile) SetCommand(argv ...string) { p.Process.Command = append([]string{}, argv...) }

// SetLimit sets a resource limit by its sandbox.Rlimits name.
func (p *Profile) SetLimit(name string, soft, hard uint64) {
	if p.Limits == nil {
		p.Limits = map[string]Limit{}
	}
	p.Limits[name] = Limit{Soft: soft, Hard: hard}
}

// AddCapability keeps a capability (--cap-add).
func (p *Profile) AddCapability(name string) {
	p.Security.Capabilities = append(p.Security.Capabilities, name)
}
