package seccomp

import (
	"sort"

	"golang.org/x/sys/unix"
)

// rule is one denial in a resolved policy.
type rule struct {
	syscall string
	errno   unix.Errno
	compat  bool
	args    *ArgRule // nil: the whole call
	origin  string   // @group, or "" for a name listed in Policy.Deny
}

// ruleSet is a policy resolved to rules per system call, plus what was
// lifted, for Explain.
type ruleSet struct {
	rules        map[string][]rule
	allowUnknown bool
	lifted       []string // groups and names the policy (or NestedUserns) took out
}

// resolve turns a validated policy into its rules. Precedence, from weak to
// strong, so that the more specific entry wins and deny wins a tie:
//
//  1. the default groups, minus @namespaces and @mount with NestedUserns;
//  2. groups in Allow remove the rules that came from them;
//  3. groups in Deny add their rules (so deny=@b beats allow=@a for a call
//     in both);
//  4. names in Allow remove every rule on that call, whatever group it came
//     from (allow=["socket"] lifts the family check and @network-io alike);
//  5. names in Deny deny the call outright, with the errno it has where a
//     group denies it outright (plainErrno), else EPERM.
//
// A name or group in both Allow and Deny is rejected by Validate.
func resolve(p Policy) *ruleSet { return resolveOnly(p, nil) }

// resolveOnly is resolve restricted to the calls in only (all when nil):
// each call's rules depend on no other call's, so the restriction changes
// nothing for the calls kept, and spares a caller that asks about a few
// calls building rules for hundreds.
func resolveOnly(p Policy, only map[string]bool) *ruleSet {
	rs := &ruleSet{rules: map[string][]rule{}}
	wanted := func(name string) bool { return only == nil || only[name] }
	add := func(g *Group) {
		for _, m := range g.Members {
			if !wanted(m.Syscall) {
				continue
			}
			rs.rules[m.Syscall] = append(rs.rules[m.Syscall], rule{
				syscall: m.Syscall, errno: g.memberErrno(m), compat: m.Compat, args: m.Args, origin: g.Name,
			})
		}
	}
	removeOrigin := func(origin string) {
		for name, rules := range rs.rules {
			kept := rules[:0]
			for _, r := range rules {
				if r.origin != origin {
					kept = append(kept, r)
				}
			}
			if len(kept) == 0 {
				delete(rs.rules, name)
			} else {
				rs.rules[name] = kept
			}
		}
	}

	for i := range groups {
		if groups[i].Default {
			add(&groups[i])
		}
	}
	if p.NestedUserns {
		for _, g := range nestedGroups {
			removeOrigin(g)
			rs.lifted = append(rs.lifted, g+" (nested_userns)")
		}
	}
	for _, e := range p.Allow {
		if isGroup(e) {
			if e == unknownGroup {
				rs.allowUnknown = true
			} else {
				removeOrigin(e)
			}
			rs.lifted = append(rs.lifted, e)
		}
	}
	for _, e := range p.Deny {
		if isGroup(e) {
			if g := groupByName(e); g != nil {
				removeOrigin(e) // no duplicates if it was there already
				add(g)
			}
		}
	}
	for _, e := range p.Allow {
		if !isGroup(e) {
			delete(rs.rules, e)
			rs.lifted = append(rs.lifted, e)
		}
	}
	for _, e := range p.Deny {
		if !isGroup(e) && wanted(e) {
			errno, compat := plainErrno(e)
			rs.rules[e] = []rule{{syscall: e, errno: errno, compat: compat}}
		}
	}
	// A call denied outright needs no argument rules beside it. Rules were
	// appended from weak to strong, so the last outright denial wins (deny =
	// ["@process"] gives clone3 EPERM over @namespaces' ENOSYS).
	for name, rules := range rs.rules {
		for i := len(rules) - 1; i >= 0; i-- {
			if rules[i].args == nil {
				rs.rules[name] = []rule{rules[i]}
				break
			}
		}
	}
	return rs
}

// names returns the denied system calls in order.
func (rs *ruleSet) names() []string {
	names := make([]string, 0, len(rs.rules))
	for n := range rs.rules {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// denies reports whether the call is denied outright.
func (rs *ruleSet) denies(name string) bool {
	rules := rs.rules[name]
	return len(rules) == 1 && rules[0].args == nil
}

func isGroup(e string) bool { return len(e) > 0 && e[0] == '@' }

// DeniedOutright returns those of names the policy denies whatever their
// arguments, in the order given. A launcher whose own code must keep
// making some calls under the filter uses it to refuse such a policy up
// front rather than fail inside the sandbox.
func (p Policy) DeniedOutright(names []string) []string {
	if p.Base == "none" {
		return nil
	}
	only := make(map[string]bool, len(names))
	for _, n := range names {
		only[n] = true
	}
	rs := resolveOnly(p, only)
	var out []string
	for _, n := range names {
		if rs.denies(n) {
			out = append(out, n)
		}
	}
	return out
}
