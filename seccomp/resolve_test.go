package seccomp

import (
	"slices"
	"testing"
)

// TestDeniedOutrightMatchesTheFullResolution checks that resolving only
// the calls asked about answers as resolving every call does, for each
// group allowed or denied and for names allowed and denied.
func TestDeniedOutrightMatchesTheFullResolution(t *testing.T) {
	var names []string
	policies := []Policy{{}, {NestedUserns: true}, {Allow: []string{"clone"}}, {Deny: []string{"getpid", "clone3"}}}
	for _, g := range groups {
		policies = append(policies, Policy{Allow: []string{g.Name}}, Policy{Deny: []string{g.Name}})
		for _, m := range g.Members {
			if !slices.Contains(names, m.Syscall) {
				names = append(names, m.Syscall)
			}
		}
	}
	names = append(names, "getpid", "read")
	for _, p := range policies {
		full := resolve(p)
		var want []string
		for _, n := range names {
			if full.denies(n) {
				want = append(want, n)
			}
			if got := p.DeniedOutright([]string{n}); len(got) == 1 != full.denies(n) {
				t.Errorf("%+v: %s alone: denied %v, the full resolution says %v", p, n, len(got) == 1, full.denies(n))
			}
		}
		if got := p.DeniedOutright(names); !slices.Equal(got, want) {
			t.Errorf("%+v: all names: %v, want %v", p, got, want)
		}
	}
}
