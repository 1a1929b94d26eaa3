package profiles

import (
	"maps"
	"slices"

	"github.com/hutch-sandbox/hutch/sandbox"
)

// The merge rules, applied layer over layer (parents first):
//   - scalars: a later layer's set value overrides; an unset one keeps;
//   - lists append: mounts, env keep and unset, capabilities, seccomp
//     allow and deny, landlock read and write. The lists other than
//     mounts are sets, so an entry already present is not repeated (two
//     fragments may both keep XDG_RUNTIME_DIR);
//   - process.command replaces, because two programs cannot be appended;
//   - tables merge key by key: namespaces, identity, env set, time,
//     limits, and the scalar keys of every other table;
//   - description and extends are not inherited.

// over copies src's value into *dst when src is set. The value is copied
// so that layers never share memory with the merged result.
func over[T any](dst **T, src *T) {
	if src != nil {
		*dst = new(*src)
	}
}

// appendList appends src to dst without aliasing src's backing array.
func appendList[T any](dst, src []T) []T {
	if len(src) == 0 {
		return dst
	}
	return append(slices.Clip(dst), src...)
}

// appendNew appends the entries of src that dst does not hold yet.
func appendNew(dst, src []string) []string {
	dst = slices.Clip(dst)
	for _, s := range src {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

// apply merges layer src on top of p.
func (p *Profile) apply(src *Profile) {
	over(&p.Hostname, src.Hostname)
	over(&p.MachineID, src.MachineID)
	over(&p.Domainname, src.Domainname)
	over(&p.Root, src.Root)
	over(&p.RootWritable, src.RootWritable)

	if len(src.Namespaces) > 0 {
		if p.Namespaces == nil {
			p.Namespaces = map[sandbox.Kind]sandbox.Share{}
		}
		maps.Copy(p.Namespaces, src.Namespaces)
	}

	over(&p.Identity.UID, src.Identity.UID)
	over(&p.Identity.GID, src.Identity.GID)
	over(&p.Identity.Subordinate, src.Identity.Subordinate)

	p.Mounts = appendList(p.Mounts, src.Mounts)

	over(&p.Env.Clear, src.Env.Clear)
	p.Env.Keep = appendNew(p.Env.Keep, src.Env.Keep)
	if len(src.Env.Set) > 0 {
		if p.Env.Set == nil {
			p.Env.Set = map[string]string{}
		}
		maps.Copy(p.Env.Set, src.Env.Set)
		// Unset applies after Set, so without this a parent's unset would
		// beat a child's (or --setenv's) later set.
		p.Env.Unset = slices.DeleteFunc(slices.Clone(p.Env.Unset), func(name string) bool {
			_, set := src.Env.Set[name]
			return set
		})
	}
	// A later unset drops what earlier layers set, patterns included;
	// what this same layer sets stays (Set is applied after Unset).
	for k := range p.Env.Set {
		if _, own := src.Env.Set[k]; own {
			continue
		}
		for _, u := range src.Env.Unset {
			if sandbox.EnvNameMatches(u, k) {
				delete(p.Env.Set, k)
				break
			}
		}
	}
	p.Env.Unset = appendNew(p.Env.Unset, src.Env.Unset)

	over(&p.Time.MonotonicOffset, src.Time.MonotonicOffset)
	over(&p.Time.BoottimeOffset, src.Time.BoottimeOffset)

	if src.Process.Command != nil {
		p.Process.Command = slices.Clone(src.Process.Command)
	}
	over(&p.Process.Cwd, src.Process.Cwd)
	over(&p.Process.NewSession, src.Process.NewSession)
	over(&p.Process.DieWithParent, src.Process.DieWithParent)
	over(&p.Process.AsPID1, src.Process.AsPID1)

	if len(src.Limits) > 0 {
		if p.Limits == nil {
			p.Limits = map[string]Limit{}
		}
		maps.Copy(p.Limits, src.Limits)
	}

	p.Security.Capabilities = appendNew(p.Security.Capabilities, src.Security.Capabilities)
	over(&p.Security.NestedUserns, src.Security.NestedUserns)

	over(&p.Seccomp.Profile, src.Seccomp.Profile)
	over(&p.Seccomp.Action, src.Seccomp.Action)
	p.Seccomp.Allow = appendNew(p.Seccomp.Allow, src.Seccomp.Allow)
	p.Seccomp.Deny = appendNew(p.Seccomp.Deny, src.Seccomp.Deny)

	over(&p.Landlock.Mode, src.Landlock.Mode)
	p.Landlock.Read = appendNew(p.Landlock.Read, src.Landlock.Read)
	p.Landlock.Write = appendNew(p.Landlock.Write, src.Landlock.Write)
}
