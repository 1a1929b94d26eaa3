package profiles

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// TOML renders the resolved profile for `hutch profile show`, headed by
// the sources it came from. Parsing the text back (with any Vars: no
// variable is left in it) gives a profile that resolves to the same Spec.
func (r *Resolved) TOML() string {
	var b strings.Builder
	b.WriteString("# Resolved from: " + strings.Join(r.Sources, ", ") + "\n")
	b.WriteString(r.Profile.TOML())
	return b.String()
}

// TOML renders one layer as a profile file, in a fixed order; unset
// fields are left out. Every "$" is written as "$$" because the strings
// hold values whose variables were already expanded.
func (p *Profile) TOML() string {
	w := &tomlWriter{}
	w.str("description", p.Description, p.Description != "")
	if p.Extends != nil {
		w.list("extends", p.Extends)
	}
	w.strp("hostname", p.Hostname)
	w.strp("domainname", p.Domainname)
	w.strp("machine_id", p.MachineID)
	w.strp("root", p.Root)
	w.boolp("root_writable", p.RootWritable)

	w.table("namespaces")
	for _, k := range namespaceKeys {
		share, ok := p.Namespaces[namespaceKind(k)]
		switch {
		case !ok:
		case share == "new":
			w.line(k, "true")
		case share == "host":
			w.line(k, "false")
		default:
			w.line(k, quote(string(share)))
		}
	}

	w.table("identity")
	if p.Identity.UID != nil {
		w.line("uid", strconv.FormatUint(uint64(*p.Identity.UID), 10))
	}
	if p.Identity.GID != nil {
		w.line("gid", strconv.FormatUint(uint64(*p.Identity.GID), 10))
	}
	w.boolp("subordinate", p.Identity.Subordinate)

	for _, m := range p.Mounts {
		w.arrayTable("mount")
		w.line("type", quote(string(m.Type)))
		w.str("source", m.Source, m.Source != "")
		w.line("target", quote(m.Target))
		if m.Optional {
			w.line("optional", "true")
		}
		if m.Size != 0 {
			w.line("size", quote(formatSize(uint64(m.Size))))
		}
		if m.Mode != 0 {
			w.line("mode", quote(fmt.Sprintf("%04o", m.Mode)))
		}
		w.str("content", m.Content, m.Content != "")
		if m.ReadOnly {
			w.line("readonly", "true")
		}
		w.str("landlock", m.Landlock, m.Landlock != "")
	}

	w.table("env")
	w.boolp("clear", p.Env.Clear)
	w.list("keep", p.Env.Keep)
	if len(p.Env.Set) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(p.Env.Set)) {
			parts = append(parts, key(k)+" = "+quote(p.Env.Set[k]))
		}
		w.line("set", "{ "+strings.Join(parts, ", ")+" }")
	}
	w.list("unset", p.Env.Unset)

	w.table("time")
	if d := p.Time.MonotonicOffset; d != nil {
		w.line("monotonic_offset", quote(formatDuration(*d)))
	}
	if d := p.Time.BoottimeOffset; d != nil {
		w.line("boottime_offset", quote(formatDuration(*d)))
	}

	w.table("process")
	if p.Process.Command != nil {
		w.line("command", quoteList(p.Process.Command))
	}
	w.strp("cwd", p.Process.Cwd)
	w.boolp("new_session", p.Process.NewSession)
	w.boolp("die_with_parent", p.Process.DieWithParent)
	w.boolp("as_pid1", p.Process.AsPID1)

	w.table("limits")
	for _, name := range slices.Sorted(maps.Keys(p.Limits)) {
		l := p.Limits[name]
		switch {
		case l.Soft == l.Hard && l.Soft <= math.MaxInt64:
			w.line(key(name), strconv.FormatUint(l.Soft, 10))
		case l.Soft == l.Hard:
			w.line(key(name), quote(formatLimitValue(l.Soft)))
		default:
			w.line(key(name), quote(formatLimitValue(l.Soft)+":"+formatLimitValue(l.Hard)))
		}
	}

	w.table("security")
	w.list("capabilities", p.Security.Capabilities)
	w.boolp("nested_userns", p.Security.NestedUserns)

	w.table("seccomp")
	w.strp("profile", p.Seccomp.Profile)
	w.strp("action", p.Seccomp.Action)
	w.list("allow", p.Seccomp.Allow)
	w.list("deny", p.Seccomp.Deny)

	w.table("landlock")
	w.strp("mode", p.Landlock.Mode)
	w.list("read", p.Landlock.Read)
	w.list("write", p.Landlock.Write)
	return w.b.String()
}

// tomlWriter writes a table header only once the table gets a line, so
// that empty tables are left out.
type tomlWriter struct {
	b       strings.Builder
	pending string
}

func (w *tomlWriter) table(name string) { w.pending = "[" + name + "]" }

func (w *tomlWriter) arrayTable(name string) {
	w.pending = ""
	w.b.WriteString("\n[[" + name + "]]\n")
}

func (w *tomlWriter) line(k, v string) {
	if w.pending != "" {
		w.b.WriteString("\n" + w.pending + "\n")
		w.pending = ""
	}
	w.b.WriteString(k + " = " + v + "\n")
}

func (w *tomlWriter) str(k, v string, ok bool) {
	if ok {
		w.line(k, quote(v))
	}
}

func (w *tomlWriter) strp(k string, v *string) {
	if v != nil {
		w.line(k, quote(*v))
	}
}

func (w *tomlWriter) boolp(k string, v *bool) {
	if v != nil {
		w.line(k, strconv.FormatBool(*v))
	}
}

func (w *tomlWriter) list(k string, vs []string) {
	if len(vs) > 0 {
		w.line(k, quoteList(vs))
	}
}

// quote writes a string value, doubling "$" so it stays literal.
func quote(s string) string { return quoteBasic(strings.ReplaceAll(s, "$", "$$")) }

func quoteList(vs []string) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = quote(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// key writes a table key, quoted when it is not bare. Keys are not
// variable-expanded, so "$" stays single.
func key(k string) string {
	if isBareKey(k) {
		return k
	}
	return quoteBasic(k)
}
