package seccomp

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

// Validate checks a policy: the base and action, and that every entry of
// Allow and Deny is a system call Linux has (on any architecture, so a
// profile can be shared with other machines; calls that do not exist here
// are ignored when compiling) or a known @group. Errors name the bad entry
// and suggest close names; all problems are reported at once.
func (p Policy) Validate() error {
	var errs []error
	switch p.Base {
	case "", "default", "none":
	default:
		errs = append(errs, fmt.Errorf("unknown seccomp base %q (want default or none%s)", p.Base, didYouMean(p.Base, []string{"default", "none"})))
	}
	switch p.Action {
	case "", "errno", "kill", "log":
	default:
		errs = append(errs, fmt.Errorf("unknown seccomp action %q (want errno, kill or log%s)", p.Action, didYouMean(p.Action, []string{"errno", "kill", "log"})))
	}
	inAllow := map[string]bool{}
	for _, e := range p.Allow {
		inAllow[e] = true
	}
	for _, list := range []struct {
		key     string
		entries []string
	}{{"seccomp.allow", p.Allow}, {"seccomp.deny", p.Deny}} {
		for _, e := range list.entries {
			if err := checkEntry(e, list.key); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, e := range p.Deny {
		if inAllow[e] {
			errs = append(errs, fmt.Errorf("%q is in both seccomp.allow and seccomp.deny", e))
		}
	}
	return errors.Join(errs...)
}

// CheckEntry checks one entry of a profile's seccomp.allow or deny list,
// for the profile's parser to report at the entry itself.
func CheckEntry(e string) error { return checkEntry(e, "") }

// checkEntry checks one entry of an allow or deny list; key, when given,
// names the list in the error.
func checkEntry(e, key string) error {
	if key != "" {
		key = " in " + key
	}
	switch {
	case e == "":
		return fmt.Errorf("empty entry%s", key)
	case isGroup(e):
		if e == unknownGroup || groupByName(e) != nil {
			return nil
		}
		var names []string
		for _, g := range groups {
			names = append(names, g.Name)
		}
		names = append(names, unknownGroup)
		return fmt.Errorf("unknown system call group %q%s%s", e, key, didYouMean(e, names))
	case knownSyscall(e):
		return nil
	default:
		return fmt.Errorf("unknown system call %q%s%s", e, key, didYouMean(e, syscallNames()))
	}
}

// knownSyscall reports whether Linux has a system call called name on some
// architecture, as far as hutch's table or the linked libseccomp know.
func knownSyscall(name string) bool {
	if _, ok := commonNr(name); ok {
		return true
	}
	_, err := libseccomp.GetSyscallFromName(name)
	return err == nil
}

var (
	syscallNamesOnce sync.Once
	syscallNamesList []string
)

// syscallNames lists the system calls of the architectures hutch filters,
// for suggestions. Built on the first error, not on every Validate.
func syscallNames() []string {
	syscallNamesOnce.Do(func() {
		seen := map[string]bool{}
		for _, s := range commonSyscalls {
			seen[s.name] = true
		}
		for _, a := range []struct {
			arch libseccomp.ScmpArch
			base int32
		}{{libseccomp.ArchAMD64, 0}, {libseccomp.ArchX86, 0}, {libseccomp.ArchX32, x32SyscallBit}} {
			for n := int32(0); n < 600; n++ {
				if name, err := libseccomp.ScmpSyscall(a.base + n).GetNameByArch(a.arch); err == nil {
					seen[name] = true
				}
			}
		}
		for _, g := range groups {
			for _, m := range g.Members {
				seen[m.Syscall] = true
			}
		}
		for n := range seen {
			syscallNamesList = append(syscallNamesList, n)
		}
		sort.Strings(syscallNamesList)
	})
	return syscallNamesList
}

// didYouMean formats up to three candidates close to s, nearest first, as
// " (did you mean a or b?)", or "" when none is close.
func didYouMean(s string, candidates []string) string {
	type scored struct {
		name string
		d    int
	}
	var best []scored
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	for _, c := range candidates {
		d := EditDistance(strings.ToLower(s), c)
		if d <= limit || (len(s) >= 4 && strings.HasPrefix(c, s)) {
			best = append(best, scored{c, d})
		}
	}
	if len(best) == 0 {
		return ""
	}
	sort.SliceStable(best, func(i, j int) bool {
		if best[i].d != best[j].d {
			return best[i].d < best[j].d
		}
		return best[i].name < best[j].name
	})
	if len(best) > 3 {
		best = best[:3]
	}
	names := make([]string, len(best))
	for i, b := range best {
		names[i] = b.name
	}
	if len(names) == 1 {
		return " (did you mean " + names[0] + "?)"
	}
	return " (did you mean " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1] + "?)"
}

// EditDistance is the Levenshtein distance between a and b, for "did
// you mean" hints here and in package profiles.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
