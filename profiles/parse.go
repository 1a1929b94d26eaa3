package profiles

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/hutch-sandbox/hutch/sandbox"
	"github.com/hutch-sandbox/hutch/seccomp"
)

// maxProfileSize bounds what Parse reads: profiles are a few kilobytes,
// and the bound keeps a hostile file from costing much.
const maxProfileSize = 1 << 20

// Parse reads one profile strictly: syntax, then every key and value,
// reporting all problems with file:line:column. source names the file in
// errors (a path as given, or builtin:NAME.toml); vars expands ${NAME}.
func Parse(source string, data []byte, vars Vars) (*Profile, error) {
	if len(data) > maxProfileSize {
		return nil, errTooLarge(source, int64(len(data)))
	}
	text := string(data)
	raw := decodedBuiltin(source, data)
	if raw == nil {
		if at, deep := tooDeep(text); deep {
			return nil, &Error{Source: source, Line: at.line, Col: at.col,
				Msg: fmt.Sprintf("arrays and inline tables nested more than %d deep", maxNesting)}
		}
		if _, err := toml.Decode(text, &raw); err != nil {
			var pe toml.ParseError
			if errors.As(err, &pe) {
				at := syntaxErrorPos(text, pe.Position)
				return nil, &Error{Source: source, Line: at.line, Col: at.col, Msg: pe.Message, Err: err}
			}
			return nil, fmt.Errorf("%s: %w", source, err)
		}
	}
	d := &decoder{source: source, loc: locate(text), vars: vars}
	p := d.profile(raw)
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	p.loc = d.loc
	return p, nil
}

// maxNesting bounds how deep arrays and inline tables nest. The TOML
// library takes time and memory quadratic in the depth: 50,000 nested
// arrays, well under maxProfileSize, took 16 s and 3.7 GB.
const maxNesting = 64

// tooDeep reports where arrays, inline tables and table headers first nest
// deeper than maxNesting, outside strings and comments. Syntax errors are
// left to the decoder.
func tooDeep(text string) (pos, bool) {
	depth, line, lineStart := 0, 1, 0
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '\n':
			line, lineStart = line+1, i+1
		case '#':
			for i+1 < len(text) && text[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			delim := text[i : i+1]
			if strings.HasPrefix(text[i:], strings.Repeat(delim, 3)) {
				delim = text[i : i+3]
			}
			j := i + len(delim)
			for j < len(text) && !strings.HasPrefix(text[j:], delim) {
				if text[j] == '\n' {
					if len(delim) == 1 {
						break // unterminated: the decoder says so
					}
					line, lineStart = line+1, j+1
				}
				if c == '"' && text[j] == '\\' && j+1 < len(text) {
					j++
					if text[j] == '\n' {
						line, lineStart = line+1, j+1
					}
				}
				j++
			}
			if j < len(text) && text[j] == '\n' {
				i = j - 1 // the loop counts the newline
			} else {
				i = j + len(delim) - 1
			}
		case '[', '{':
			if depth++; depth > maxNesting {
				return pos{line, i - lineStart + 1}, true
			}
		case ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return pos{}, false
}

// syntaxErrorPos is where a TOML syntax error is, from its byte offset:
// the library's own column is one line early for an error at the start
// of a line (it gives "2:19" for "2:1"), and its line one late for one at
// a line's end.
func syntaxErrorPos(text string, p toml.Position) pos {
	if p.Start <= 0 || p.Start > len(text) {
		return pos{max(p.Line, 1), max(p.Col, 1)}
	}
	lineStart := strings.LastIndexByte(text[:p.Start], '\n') + 1
	return pos{strings.Count(text[:p.Start], "\n") + 1, p.Start - lineStart + 1}
}

// errTooLarge reports a profile of more than maxProfileSize bytes; size
// is its size, or 0 when it is not known.
func errTooLarge(source string, size int64) error {
	msg := fmt.Sprintf("profile is more than the %d bytes a profile may have", maxProfileSize)
	if size > maxProfileSize {
		msg = fmt.Sprintf("profile is %d bytes, more than the %d a profile may have", size, maxProfileSize)
	}
	return &Error{Source: source, Line: 1, Col: 1, Msg: msg}
}

// decoder turns the generic values BurntSushi/toml produces into a Profile,
// checking each against what the format allows.
type decoder struct {
	source string
	loc    *locator
	vars   Vars
	errs   ErrorList
	// While decoding a [[mount]] entry (inMount) with optional = true, an
	// unset variable drops the entry instead of failing; dropped records
	// that.
	inMount, optional, dropped bool
}

func (d *decoder) errAt(at pos, key, format string, args ...any) {
	d.errs = append(d.errs, &Error{Source: d.source, Line: at.line, Col: at.col, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// keyErr reports a problem with a key itself (unknown, misplaced, missing).
func (d *decoder) keyErr(key, format string, args ...any) {
	d.errAt(d.loc.keyPos(key), key, format, args...)
}

// valErr reports a problem with a key's value.
func (d *decoder) valErr(key, format string, args ...any) {
	d.errAt(d.loc.valPos(key), key, format, args...)
}

func (d *decoder) wrongType(key, want string, v any) {
	d.valErr(key, "want %s, got %s", want, describe(v))
}

// describe names a decoded value for "got ..." messages.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:37] + "..."
		}
		return fmt.Sprintf("string %q", x)
	case int64:
		return fmt.Sprintf("integer %d", x)
	case float64:
		return fmt.Sprintf("float %v", x)
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case time.Time:
		return "datetime"
	case []any, []map[string]any:
		return "array"
	case map[string]any:
		return "table"
	}
	return fmt.Sprintf("%T", v)
}

// unknown reports a key that the table does not have, suggesting the
// closest one when the slip looks like a typo.
func (d *decoder) unknown(key, name string, known []string) {
	// Two slips in a short name make another word: "foo" is not "root".
	best, bestDist := "", min(3, max(2, len(name)/3+1))
	for _, k := range known {
		if dist := seccomp.EditDistance(name, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		d.keyErr(key, "unknown key (did you mean %q?)", best)
		return
	}
	d.keyErr(key, "unknown key")
}

// table checks that v is a table whose keys are all known, reports the
// others, and returns the keys in sorted order for deterministic decoding.
func (d *decoder) table(key string, v any, known []string) (map[string]any, []string, bool) {
	t, ok := v.(map[string]any)
	if !ok {
		d.wrongType(key, "a table", v)
		return nil, nil, false
	}
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(t)) {
		if slices.Contains(known, k) {
			keys = append(keys, k)
		} else {
			d.unknown(childPath(key, k), k, known)
		}
	}
	return t, keys, true
}

// str checks for a string and expands its variables.
func (d *decoder) str(key string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		d.wrongType(key, "a string", v)
		return "", false
	}
	return d.expand(key, s)
}

func (d *decoder) expand(key, s string) (string, bool) {
	out, err := d.vars.expand(s)
	if err != nil {
		var unset errUnset
		if errors.As(err, &unset) && d.optional {
			d.dropped = true
			return "", false
		}
		if errors.As(err, &unset) && d.inMount {
			d.valErr(key, "%v (set it, or mark the mount optional)", err)
			return "", false
		}
		d.valErr(key, "%v", err)
		return "", false
	}
	// NUL cannot cross exec, the environment or a path.
	if strings.IndexByte(out, 0) >= 0 {
		d.valErr(key, "contains a NUL character")
		return "", false
	}
	return out, true
}

func (d *decoder) strPtr(key string, v any) *string {
	if s, ok := d.str(key, v); ok {
		return new(s)
	}
	return nil
}

func (d *decoder) boolean(key string, v any) (bool, bool) {
	b, ok := v.(bool)
	if !ok {
		d.wrongType(key, "a boolean", v)
	}
	return b, ok
}

func (d *decoder) boolPtr(key string, v any) *bool {
	if b, ok := d.boolean(key, v); ok {
		return new(b)
	}
	return nil
}

// list checks for an array and hands each element to each with its path.
func (d *decoder) list(key string, v any, each func(key string, v any)) bool {
	var elems []any
	switch x := v.(type) {
	case []any:
		elems = x
	case []map[string]any:
		for _, m := range x {
			elems = append(elems, m)
		}
	default:
		d.wrongType(key, "an array", v)
		return false
	}
	for i, e := range elems {
		each(indexPath(key, i+1), e)
	}
	return true
}

// strList reads an array of non-empty strings; check, if given, vets each.
// The result is non-nil when the key is present, even if empty.
func (d *decoder) strList(key string, v any, check func(string) error) []string {
	out := []string{}
	d.list(key, v, func(k string, e any) {
		s, ok := d.str(k, e)
		if !ok {
			return
		}
		if s == "" {
			d.valErr(k, "empty string")
			return
		}
		if check != nil {
			if err := check(s); err != nil {
				d.valErr(k, "%v", err)
				return
			}
		}
		out = append(out, s)
	})
	return out
}

// id reads a uid or gid. (uid_t)-1 is excluded: the kernel reads it as
// "no change" in setresuid and as invalid in id maps.
func (d *decoder) id(key string, v any) *uint32 {
	n, ok := v.(int64)
	if !ok {
		d.wrongType(key, "an integer", v)
		return nil
	}
	if n < 0 || n >= 1<<32-1 {
		d.valErr(key, "%d is out of range (0 to 4294967294)", n)
		return nil
	}
	return new(uint32(n))
}

// absPath checks that an expanded path is absolute and has no ".." (whose
// meaning depends on symlinks the profile cannot see), then cleans it so
// "${HOME}/x" works when HOME is "/".
func absPath(p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("%q is not an absolute path", p)
	}
	if slices.Contains(strings.Split(p, "/"), "..") {
		return "", fmt.Errorf("%q contains \"..\"", p)
	}
	return path.Clean(p), nil
}

func (d *decoder) absPathPtr(key string, v any) *string {
	s, ok := d.str(key, v)
	if !ok {
		return nil
	}
	clean, err := absPath(s)
	if err != nil {
		d.valErr(key, "%v", err)
		return nil
	}
	return new(clean)
}

// hostnamePtr reads a host or domain name; the kernel takes up to 64 bytes.
func (d *decoder) hostnamePtr(key string, v any) *string {
	s, ok := d.str(key, v)
	if !ok {
		return nil
	}
	if err := CheckHostname(s); err != nil {
		d.valErr(key, "%v", err)
		return nil
	}
	return new(s)
}

var topKeys = []string{
	"description", "extends", "hostname", "domainname", "machine_id", "root", "root_writable",
	"namespaces", "identity", "mount", "env", "time", "process", "limits",
	"security", "seccomp", "landlock",
}

func (d *decoder) profile(raw map[string]any) *Profile {
	p := &Profile{Source: d.source}
	_, keys, _ := d.table("", raw, topKeys)
	for _, k := range keys {
		v, key := raw[k], k
		switch k {
		case "description":
			p.Description, _ = d.str(key, v)
		case "extends":
			p.Extends = d.strList(key, v, nil)
		case "hostname":
			p.Hostname = d.hostnamePtr(key, v)
		case "domainname":
			p.Domainname = d.hostnamePtr(key, v)
		case "machine_id":
			p.MachineID = d.enum(key, v, machineIDs...)
		case "root":
			p.Root = d.absPathPtr(key, v)
		case "root_writable":
			p.RootWritable = d.boolPtr(key, v)
		case "namespaces":
			d.namespaces(p, key, v)
		case "identity":
			d.identity(p, key, v)
		case "mount":
			d.list(key, v, func(k string, e any) {
				if m, ok := d.mount(k, e); ok {
					p.Mounts = append(p.Mounts, m)
				}
			})
		case "env":
			d.env(p, key, v)
		case "time":
			d.time(p, key, v)
		case "process":
			d.process(p, key, v)
		case "limits":
			d.limits(p, key, v)
		case "security":
			d.security(p, key, v)
		case "seccomp":
			d.seccomp(p, key, v)
		case "landlock":
			d.landlock(p, key, v)
		}
	}
	return p
}

// namespaceKeys are the [namespaces] keys, in the order they render.
var namespaceKeys = []string{"mount", "pid", "net", "ipc", "uts", "cgroup", "time"}

func namespaceKind(key string) sandbox.Kind {
	if key == "mount" {
		return sandbox.NSMount
	}
	return sandbox.Kind(key)
}

func namespaceKey(k sandbox.Kind) string {
	if k == sandbox.NSMount {
		return "mount"
	}
	return string(k)
}

func (d *decoder) namespaces(p *Profile, key string, v any) {
	// "user" passes the known-key check only to get a better message than
	// "unknown key".
	t, keys, ok := d.table(key, v, append([]string{"user"}, namespaceKeys...))
	if !ok {
		return
	}
	for _, k := range keys {
		if k == "user" {
			d.keyErr(childPath(key, k), "the user namespace is always new and cannot be configured")
			continue
		}
		kind := namespaceKind(k)
		if share, ok := d.share(childPath(key, k), kind, t[k]); ok {
			if p.Namespaces == nil {
				p.Namespaces = map[sandbox.Kind]sandbox.Share{}
			}
			p.Namespaces[kind] = share
		}
	}
}

func (d *decoder) share(key string, kind sandbox.Kind, v any) (sandbox.Share, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return sandbox.New, true
		}
		return sandbox.Host, true
	case string:
		s, ok := d.expand(key, x)
		if !ok {
			return "", false
		}
		switch s {
		case "new":
			return sandbox.New, true
		case "host":
			return sandbox.Host, true
		}
		name, join := strings.CutPrefix(s, "sandbox:")
		if !join {
			break
		}
		if kind != sandbox.NSNet && kind != sandbox.NSIPC && kind != sandbox.NSUTS {
			d.valErr(key, "only net, ipc and uts can join a running sandbox")
			return "", false
		}
		if err := sandbox.ValidName(name); err != nil {
			d.valErr(key, "%v", err)
			return "", false
		}
		return sandbox.JoinSandbox(name), true
	}
	d.valErr(key, `want a boolean or "new"/"host"/"sandbox:NAME", got %s`, describe(v))
	return "", false
}

func (d *decoder) identity(p *Profile, key string, v any) {
	t, keys, ok := d.table(key, v, []string{"uid", "gid", "subordinate"})
	if !ok {
		return
	}
	for _, k := range keys {
		ck := childPath(key, k)
		switch k {
		case "uid":
			p.Identity.UID = d.id(ck, t[k])
		case "gid":
			p.Identity.GID = d.id(ck, t[k])
		case "subordinate":
			p.Identity.Subordinate = d.boolPtr(ck, t[k])
		}
	}
}

var mountKeys = []string{"type", "source", "target", "optional", "size", "mode", "content", "readonly", "landlock"}

// mountTypeKeys says which keys each mount type takes besides type,
// target and optional, so a size on a bind is an error, not a no-op.
var mountTypeKeys = map[sandbox.MountType][]string{
	sandbox.Bind:    {"source"},
	sandbox.ROBind:  {"source"},
	sandbox.DevBind: {"source"},
	sandbox.Tmpfs:   {"size", "mode", "readonly"},
	sandbox.Proc:    nil,
	sandbox.Dev:     nil,
	sandbox.Mqueue:  nil,
	sandbox.Dir:     {"mode"},
	sandbox.Symlink: {"source"},
	sandbox.File:    {"content", "mode", "readonly"},
}

// mount decodes one [[mount]] entry; ok is false when it has errors or is
// an optional entry dropped for an unset variable.
func (d *decoder) mount(key string, v any) (sandbox.Mount, bool) {
	var m sandbox.Mount
	t, keys, ok := d.table(key, v, mountKeys)
	if !ok {
		return m, false
	}
	nerrs := len(d.errs)
	if ov, ok := t["optional"]; ok {
		m.Optional, _ = d.boolean(childPath(key, "optional"), ov)
	}
	d.inMount, d.optional, d.dropped = true, m.Optional, false
	defer func() { d.inMount, d.optional, d.dropped = false, false, false }()

	typ, hasType := t["type"]
	if !hasType {
		d.keyErr(key, "missing type (one of %s)", mountTypeList())
		return m, false
	}
	typeKey := childPath(key, "type")
	if s, ok := d.str(typeKey, typ); ok {
		m.Type = sandbox.MountType(s)
		if _, known := mountTypeKeys[m.Type]; !known {
			d.valErr(typeKey, "unknown mount type %q (want one of %s)", s, mountTypeList())
			return m, false
		}
	} else {
		return m, false
	}
	allowed := append([]string{"type", "target", "optional", "landlock"}, mountTypeKeys[m.Type]...)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			d.keyErr(childPath(key, k), "%s does not apply to a %s mount", k, m.Type)
		}
	}
	if _, ok := t["target"]; !ok {
		d.keyErr(key, "missing target")
	}
	if slices.Contains(mountTypeKeys[m.Type], "source") {
		if _, ok := t["source"]; !ok {
			d.keyErr(key, "missing source")
		}
	}
	for _, k := range keys {
		ck, kv := childPath(key, k), t[k]
		if !slices.Contains(allowed, k) {
			continue
		}
		switch k {
		case "target":
			if s, ok := d.str(ck, kv); ok {
				clean, err := CleanMountTarget(m.Type, s)
				if err != nil {
					d.valErr(ck, "%v", err)
				}
				m.Target = clean
			}
		case "source":
			if s, ok := d.str(ck, kv); ok {
				if m.Type == sandbox.Symlink {
					if err := CheckSymlinkText(s); err != nil {
						d.valErr(ck, "%v", err)
					}
					m.Source = s
					break
				}
				clean, err := absPath(s)
				if err != nil {
					d.valErr(ck, "%v", err)
				}
				m.Source = clean
			}
		case "size":
			m.Size = d.size(ck, kv)
		case "mode":
			m.Mode = d.mode(ck, kv)
		case "content":
			m.Content, _ = d.str(ck, kv)
		case "readonly":
			m.ReadOnly, _ = d.boolean(ck, kv)
		case "landlock":
			if v := d.enum(ck, kv, sandbox.LandlockAccessNone, sandbox.LandlockAccessRO, sandbox.LandlockAccessRW); v != nil {
				m.Landlock = *v
			}
		}
	}
	if d.dropped {
		return m, false
	}
	return m, len(d.errs) == nerrs
}

func mountTypeList() string {
	names := make([]string, len(sandbox.MountTypes))
	for i, t := range sandbox.MountTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// size reads a tmpfs size: an integer of bytes or a string with a suffix.
func (d *decoder) size(key string, v any) int64 {
	var n uint64
	switch x := v.(type) {
	case int64:
		if x < 0 {
			d.valErr(key, "negative size %d", x)
			return 0
		}
		return x
	case string:
		s, ok := d.expand(key, x)
		if !ok {
			return 0
		}
		var err error
		if n, err = parseSize(s); err != nil {
			d.valErr(key, "%v", err)
			return 0
		}
	default:
		d.wrongType(key, `an integer of bytes or a string like "64M"`, v)
		return 0
	}
	if n > 1<<63-1 {
		d.valErr(key, "size %s is too large", formatSize(n))
		return 0
	}
	return int64(n)
}

// mode reads permission bits: an octal string, or a TOML integer written
// in octal. A decimal integer is refused because mode = 755 (which is
// 0o1363) is a mistake nobody means.
func (d *decoder) mode(key string, v any) uint32 {
	switch x := v.(type) {
	case string:
		s, ok := d.expand(key, x)
		if !ok {
			return 0
		}
		m, err := parseMode(s)
		if err != nil {
			d.valErr(key, "%v", err)
		}
		return m
	case int64:
		raw := strings.ReplaceAll(d.loc.raw(key), "_", "")
		if x != 0 && !strings.HasPrefix(strings.TrimPrefix(raw, "+"), "0o") {
			digits := strconv.FormatInt(x, 10)
			if x > 0 && strings.TrimLeft(digits, "01234567") == "" {
				d.valErr(key, "%s is a decimal integer; write the mode in octal, as \"0%s\" or 0o%s", raw, digits, digits)
			} else {
				d.valErr(key, "%s is not written in octal; write the mode as a string like \"0755\" or an integer like 0o755", raw)
			}
			return 0
		}
		if x == 0 {
			d.valErr(key, "%v", errModeZero)
			return 0
		}
		if x < 0 || x > 0o7777 {
			d.valErr(key, "mode 0o%o has bits beyond 07777", x)
			return 0
		}
		return uint32(x)
	}
	d.wrongType(key, `an octal string like "0755" or an integer like 0o755`, v)
	return 0
}

var envKeys = []string{"clear", "keep", "set", "unset"}

func (d *decoder) env(p *Profile, key string, v any) {
	t, keys, ok := d.table(key, v, envKeys)
	if !ok {
		return
	}
	for _, k := range keys {
		ck, kv := childPath(key, k), t[k]
		switch k {
		case "clear":
			p.Env.Clear = d.boolPtr(ck, kv)
		case "keep":
			p.Env.Keep = d.strList(ck, kv, checkEnvPattern)
		case "unset":
			p.Env.Unset = d.strList(ck, kv, checkEnvPattern)
		case "set":
			set, ok := kv.(map[string]any)
			if !ok {
				d.wrongType(ck, "a table of strings", kv)
				continue
			}
			p.Env.Set = map[string]string{}
			for _, name := range slices.Sorted(maps.Keys(set)) {
				nk := childPath(ck, name)
				if err := checkEnvName(name); err != nil {
					d.keyErr(nk, "%v", err)
					continue
				}
				if s, ok := d.str(nk, set[name]); ok {
					p.Env.Set[name] = s
				}
			}
		}
	}
}

func checkEnvName(name string) error {
	if name == "" || strings.ContainsAny(name, "=\x00") || !utf8.ValidString(name) {
		return fmt.Errorf("%q is not a variable name", name)
	}
	return nil
}

func checkEnvPattern(p string) error {
	if err := checkEnvName(p); err != nil {
		return err
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("%q is not a valid pattern: %v", p, err)
	}
	return nil
}

func (d *decoder) time(p *Profile, key string, v any) {
	t, keys, ok := d.table(key, v, []string{"monotonic_offset", "boottime_offset"})
	if !ok {
		return
	}
	for _, k := range keys {
		ck, kv := childPath(key, k), t[k]
		s, ok := kv.(string)
		if !ok {
			d.wrongType(ck, `a duration string like "-72h" or "10d"`, kv)
			continue
		}
		if s, ok = d.expand(ck, s); !ok {
			continue
		}
		dur, err := parseDuration(s)
		if err != nil {
			d.valErr(ck, "%v", err)
			continue
		}
		if k == "monotonic_offset" {
			p.Time.MonotonicOffset = new(dur)
		} else {
			p.Time.BoottimeOffset = new(dur)
		}
	}
}

func (d *decoder) process(p *Profile, key string, v any) {
	t, keys, ok := d.table(key, v, []string{"command", "cwd", "new_session", "die_with_parent", "as_pid1"})
	if !ok {
		return
	}
	for _, k := range keys {
		ck, kv := childPath(key, k), t[k]
		switch k {
		case "command":
			cmd := []string{}
			d.list(ck, kv, func(ek string, e any) {
				if s, ok := d.str(ek, e); ok {
					cmd = append(cmd, s)
				}
			})
			if len(cmd) > 0 && cmd[0] == "" {
				d.valErr(indexPath(ck, 1), "the program name is empty")
			}
			p.Process.Command = cmd
		case "cwd":
			p.Process.Cwd = d.absPathPtr(ck, kv)
		case "new_session":
			p.Process.NewSession = d.boolPtr(ck, kv)
		case "die_with_parent":
			p.Process.DieWithParent = d.boolPtr(ck, kv)
		case "as_pid1":
			p.Process.AsPID1 = d.boolPtr(ck, kv)
		}
	}
}

// limitNames are the keys of [limits], sorted.
var limitNames = slices.Sorted(maps.Keys(sandbox.Rlimits))

func (d *decoder) limits(p *Profile, key string, v any) {
	t, keys, ok := d.table(key, v, limitNames)
	if !ok {
		return
	}
	for _, k := range keys {
		ck, kv := childPath(key, k), t[k]
		if k == "rss" {
			// Accepting it would promise a bound that does not exist.
			d.valErr(ck, "Linux has ignored RLIMIT_RSS since 2.6, so it bounds nothing; bound memory with as (address space) or data")
			continue
		}
		var l Limit
		switch x := kv.(type) {
		case int64:
			if x < 0 {
				d.valErr(ck, "negative limit %d (write \"unlimited\" for no limit)", x)
				continue
			}
			l = Limit{Soft: uint64(x), Hard: uint64(x)}
		case string:
			s, ok := d.expand(ck, x)
			if !ok {
				continue
			}
			var err error
			if l, err = parseLimit(s); err != nil {
				d.valErr(ck, "%v", err)
				continue
			}
		default:
			d.wrongType(ck, `an integer or a string like "4G", "256:512" or "unlimited"`, kv)
			continue
		}
		if p.Limits == nil {
			p.Limits = map[string]Limit{}
		}
		p.Limits[k] = l
	}
}

func (d *decoder) security(p *Profile, key string, v any) {
	t, keys, ok := d.table(key, v, []string{"capabilities", "nested_userns"})
	if !ok {
		return
	}
	for _, k := range keys {
		ck, kv := childPath(key, k), t[k]
		switch k {
		case "capabilities":
			caps := d.strList(ck, kv, func(s string) error {
				_, err := sandbox.ParseCapability(s)
				return err
			})
			for i, c := range caps {
				caps[i] = canonicalCap(c)
			}
			p.Security.Capabilities = caps
		case "nested_userns":
			p.Security.NestedUserns = d.boolPtr(ck, kv)
		}
	}
}

// canonicalCap spells a valid capability name as CAP_NET_BIND_SERVICE.
func canonicalCap(name string) string {
	c, err := sandbox.ParseCapability(name)
	if err != nil {
		return name
	}
	return "CAP_" + strings.ToUpper(c.String())
}

// enum reads a string that must be one of the choices.
func (d *decoder) enum(key string, v any, choices ...string) *string {
	s, ok := d.str(key, v)
	if !ok {
		return nil
	}
	if !slices.Contains(choices, s) {
		d.valErr(key, "%q is not one of %s", s, strings.Join(choices, ", "))
		return nil
	}
	return new(s)
}

var (
	machineIDs      = []string{"random", "host"}
	seccompProfiles = []string{"default", "none"}
	seccompActions  = []string{"errno", "kill", "log"}
	landlockModes   = []string{sandbox.LandlockBestEffort, sandbox.LandlockRequired, sandbox.LandlockOff}
)

func (d *decoder) seccomp(p *Profile, key string, v any) {
	t, keys, ok := d.table(key, v, []string{"profile", "action", "allow", "deny"})
	if !ok {
		return
	}
	for _, k := range keys {
		ck, kv := childPath(key, k), t[k]
		switch k {
		case "profile":
			p.Seccomp.Profile = d.enum(ck, kv, seccompProfiles...)
		case "action":
			p.Seccomp.Action = d.enum(ck, kv, seccompActions...)
		case "allow":
			p.Seccomp.Allow = d.strList(ck, kv, seccomp.CheckEntry)
		case "deny":
			p.Seccomp.Deny = d.strList(ck, kv, seccomp.CheckEntry)
		}
	}
}

func (d *decoder) landlock(p *Profile, key string, v any) {
	t, keys, ok := d.table(key, v, []string{"mode", "read", "write"})
	if !ok {
		return
	}
	for _, k := range keys {
		ck, kv := childPath(key, k), t[k]
		switch k {
		case "mode":
			p.Landlock.Mode = d.enum(ck, kv, landlockModes...)
		case "read", "write":
			var paths []string
			d.list(ck, kv, func(ek string, e any) {
				if dir := d.absPathPtr(ek, e); dir != nil {
					paths = append(paths, *dir)
				}
			})
			if k == "read" {
				p.Landlock.Read = paths
			} else {
				p.Landlock.Write = paths
			}
		}
	}
}
