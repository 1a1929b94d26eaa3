package profiles

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// BurntSushi/toml keeps key positions private, so strict errors need a
// locator of their own: a small scanner over text the TOML parser has
// already accepted. It only has to tell keys from everything else (strings,
// comments, values) and remember where each key and value starts; it never
// judges syntax, and on text it does not understand it makes progress and
// records less rather than failing.

// pos is a 1-based line and byte column; the zero pos means unknown.
type pos struct{ line, col int }

func (p pos) known() bool { return p.line > 0 }

// keyLoc is where one key path appears.
type keyLoc struct {
	key            pos // where the key (or table header name) starts
	val            pos // where its value starts
	valStart       int // byte offsets of the raw value text
	valEnd         int
	hasVal, hasKey bool
}

// locator maps key paths (as built by childPath and indexPath) to places.
type locator struct {
	text string
	at   map[string]*keyLoc // nil until keys scans the text
}

// keyPos is where path's key is written, or its nearest located parent's,
// or the start of the file: never an unknown position.
func (l *locator) keyPos(path string) pos {
	for p := path; ; p = parentPath(p) {
		if e := l.keys()[p]; e != nil && e.hasKey {
			return e.key
		}
		if p == "" {
			return pos{1, 1}
		}
	}
}

// valPos is where path's value starts, falling back like keyPos.
func (l *locator) valPos(path string) pos {
	if e := l.keys()[path]; e != nil && e.hasVal {
		return e.val
	}
	return l.keyPos(path)
}

// raw returns the value text of path as written, or "" when unknown.
func (l *locator) raw(path string) string {
	e := l.keys()[path]
	if e == nil || !e.hasVal || e.valEnd > len(l.text) || e.valStart > e.valEnd {
		return ""
	}
	return l.text[e.valStart:e.valEnd]
}

func (l *locator) entry(path string) *keyLoc {
	e := l.at[path]
	if e == nil {
		e = &keyLoc{}
		l.at[path] = e
	}
	return e
}

// recordKey keeps the first place a path is named: for [a] followed by
// [a.b], a is where it was first written.
func (l *locator) recordKey(path string, p pos) {
	if e := l.entry(path); !e.hasKey {
		e.key, e.hasKey = p, true
	}
}

// locate returns where each key path of text is. It scans the text when
// first asked: only a profile with an error needs a position, and every
// start parses at least one profile.
func locate(text string) *locator {
	return &locator{text: text}
}

// keys returns the scanned key paths, scanning the text the first time.
func (l *locator) keys() map[string]*keyLoc {
	if l.at != nil {
		return l.at
	}
	l.at = map[string]*keyLoc{}
	sc := &scanner{s: l.text, line: 1, loc: l, aot: map[string]int{}}
	table := ""
	for {
		sc.skipBlank()
		if sc.eof() {
			break
		}
		start := sc.i
		if sc.peek() == '[' {
			table = sc.header()
		} else {
			sc.keyValue(table)
		}
		sc.skipToEOL()
		if sc.i == start {
			sc.adv()
		}
	}
	return l.at
}

type scanner struct {
	s         string
	i         int
	line      int
	lineStart int
	loc       *locator
	aot       map[string]int // arrays of tables seen so far, by path, to number [[x]]
}

func (sc *scanner) eof() bool { return sc.i >= len(sc.s) }

func (sc *scanner) peek() byte {
	if sc.eof() {
		return 0
	}
	return sc.s[sc.i]
}

func (sc *scanner) has(prefix string) bool { return strings.HasPrefix(sc.s[sc.i:], prefix) }

// adv consumes one byte; every consumption goes through it so line
// counting stays right inside multi-line strings and arrays.
func (sc *scanner) adv() {
	if sc.eof() {
		return
	}
	if sc.s[sc.i] == '\n' {
		sc.line++
		sc.lineStart = sc.i + 1
	}
	sc.i++
}

func (sc *scanner) pos() pos { return pos{sc.line, sc.i - sc.lineStart + 1} }

func (sc *scanner) skipSpace() {
	for c := sc.peek(); c == ' ' || c == '\t' || c == '\r'; c = sc.peek() {
		sc.adv()
	}
}

// skipBlank skips whitespace, newlines and comments.
func (sc *scanner) skipBlank() {
	for !sc.eof() {
		switch sc.peek() {
		case ' ', '\t', '\r', '\n':
			sc.adv()
		case '#':
			for !sc.eof() && sc.peek() != '\n' {
				sc.adv()
			}
		default:
			return
		}
	}
}

// skipToEOL skips what is left of a line after a header or a key/value:
// only a comment in valid TOML.
func (sc *scanner) skipToEOL() {
	for !sc.eof() && sc.peek() != '\n' {
		sc.adv()
	}
}

type keySeg struct {
	name string
	at   pos
}

// header reads [a.b] or [[a.b]] and returns the table path it opens.
func (sc *scanner) header() string {
	sc.adv()
	array := sc.peek() == '['
	if array {
		sc.adv()
	}
	segs := sc.key()
	for sc.skipSpace(); sc.peek() == ']'; sc.skipSpace() {
		sc.adv()
	}
	path := ""
	for k, seg := range segs {
		path = childPath(path, seg.name)
		last := k == len(segs)-1
		if last && array {
			sc.loc.recordKey(path, seg.at)
			sc.aot[path]++
			path = indexPath(path, sc.aot[path])
		} else if n := sc.aot[path]; n > 0 && !last {
			// [[fruit]] then [fruit.color]: color belongs to the last fruit.
			path = indexPath(path, n)
		}
		sc.loc.recordKey(path, seg.at)
	}
	return path
}

// key reads a possibly dotted key and returns its parts with their places.
func (sc *scanner) key() []keySeg {
	var segs []keySeg
	for {
		sc.skipSpace()
		at := sc.pos()
		name, ok := sc.keyPart()
		if !ok {
			return segs
		}
		segs = append(segs, keySeg{name, at})
		sc.skipSpace()
		if sc.peek() != '.' {
			return segs
		}
		sc.adv()
	}
}

func (sc *scanner) keyPart() (string, bool) {
	switch sc.peek() {
	case '"':
		start := sc.i
		sc.basicString()
		return unescapeBasic(sc.s[start:sc.i]), true
	case '\'':
		start := sc.i
		sc.literalString()
		return strings.Trim(sc.s[start:sc.i], "'"), true
	}
	start := sc.i
	for !sc.eof() && isBareKeyByte(sc.peek()) {
		sc.adv()
	}
	return sc.s[start:sc.i], sc.i > start
}

// keyValue reads key = value in the table at base.
func (sc *scanner) keyValue(base string) {
	segs := sc.key()
	if len(segs) == 0 {
		return
	}
	path := base
	for _, seg := range segs {
		path = childPath(path, seg.name)
		sc.loc.recordKey(path, seg.at)
	}
	sc.skipSpace()
	if sc.peek() != '=' {
		return
	}
	sc.adv()
	sc.skipSpace()
	sc.value(path)
}

func (sc *scanner) value(path string) {
	e := sc.loc.entry(path)
	first := !e.hasVal
	if first {
		e.val, e.valStart, e.hasVal = sc.pos(), sc.i, true
	}
	switch {
	case sc.has(`"""`):
		sc.multiline(`"""`, true)
	case sc.has(`'''`):
		sc.multiline(`'''`, false)
	case sc.peek() == '"':
		sc.basicString()
	case sc.peek() == '\'':
		sc.literalString()
	case sc.peek() == '[':
		sc.array(path)
	case sc.peek() == '{':
		sc.inlineTable(path)
	default:
		// A number, boolean or datetime; a datetime may hold one space.
		for !sc.eof() && !strings.ContainsRune(",]}#\n", rune(sc.peek())) {
			sc.adv()
		}
	}
	if first {
		e.valEnd = len(strings.TrimRight(sc.s[:sc.i], " \t\r"))
		if e.valEnd < e.valStart {
			e.valEnd = e.valStart
		}
	}
}

func (sc *scanner) array(path string) {
	sc.adv()
	for n := 1; ; n++ {
		sc.skipBlank()
		if sc.eof() || sc.peek() == ']' {
			sc.adv()
			return
		}
		before := sc.i
		sc.value(indexPath(path, n))
		sc.skipBlank()
		if sc.peek() == ',' {
			sc.adv()
		}
		if sc.i == before {
			sc.adv()
		}
	}
}

func (sc *scanner) inlineTable(path string) {
	sc.adv()
	for {
		sc.skipBlank()
		if sc.eof() || sc.peek() == '}' {
			sc.adv()
			return
		}
		before := sc.i
		sc.keyValue(path)
		sc.skipBlank()
		if sc.peek() == ',' {
			sc.adv()
		}
		if sc.i == before {
			sc.adv()
		}
	}
}

// basicString consumes "..." including the quotes.
func (sc *scanner) basicString() {
	sc.adv()
	for !sc.eof() {
		switch sc.peek() {
		case '\\':
			sc.adv()
		case '"':
			sc.adv()
			return
		case '\n':
			return
		}
		sc.adv()
	}
}

// literalString consumes '...' including the quotes.
func (sc *scanner) literalString() {
	sc.adv()
	for !sc.eof() {
		switch sc.peek() {
		case '\'':
			sc.adv()
			return
		case '\n':
			return
		}
		sc.adv()
	}
}

// multiline consumes a multi-line string, basic or literal. Up to two
// quotes right before the closing delimiter belong to the content:
// """a""""" is a"".
func (sc *scanner) multiline(delim string, escapes bool) {
	for range 3 {
		sc.adv()
	}
	for !sc.eof() {
		if escapes && sc.peek() == '\\' {
			sc.adv()
			sc.adv()
			continue
		}
		if sc.has(delim) {
			for n := 0; n < 5 && sc.peek() == delim[0]; n++ {
				sc.adv()
			}
			return
		}
		sc.adv()
	}
}

func isBareKeyByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareKeyByte(s[i]) {
			return false
		}
	}
	return true
}

// childPath names key inside parent the way errors show it: dotted, with
// keys that are not bare quoted as TOML would write them.
func childPath(parent, key string) string {
	if !isBareKey(key) {
		key = quoteBasic(key)
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// indexPath names the n-th element of an array, counting from 1 like the
// sandbox's "mount N" messages and like people count [[mount]] entries.
func indexPath(parent string, n int) string {
	return parent + "[" + strconv.Itoa(n) + "]"
}

// parentPath drops the last part of a path: a.b[2].c -> a.b[2] -> a.b.
func parentPath(p string) string {
	last := 0
	for i := 0; i < len(p); {
		last = i
		switch p[i] {
		case '"':
			for i++; i < len(p) && p[i] != '"'; i++ {
				if p[i] == '\\' {
					i++
				}
			}
			i++
		case '[':
			for i < len(p) && p[i] != ']' {
				i++
			}
			i++
		default:
			for i < len(p) && p[i] != '.' && p[i] != '[' {
				i++
			}
		}
		if i < len(p) && p[i] == '.' {
			i++
		}
	}
	return strings.TrimSuffix(p[:last], ".")
}

// unescapeBasic decodes a "quoted" TOML key (escapes included).
func unescapeBasic(q string) string {
	q = strings.TrimPrefix(q, `"`)
	q = strings.TrimSuffix(q, `"`)
	if !strings.Contains(q, `\`) {
		return q
	}
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c != '\\' || i+1 >= len(q) {
			b.WriteByte(c)
			continue
		}
		i++
		hex := 0
		switch q[i] {
		case 'b':
			b.WriteByte('\b')
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'f':
			b.WriteByte('\f')
		case 'r':
			b.WriteByte('\r')
		case 'e':
			b.WriteByte(0x1b)
		case 'x':
			hex = 2
		case 'u':
			hex = 4
		case 'U':
			hex = 8
		default:
			b.WriteByte(q[i])
		}
		if hex > 0 && i+hex < len(q) {
			if r, err := strconv.ParseUint(q[i+1:i+1+hex], 16, 32); err == nil && utf8.ValidRune(rune(r)) {
				b.WriteRune(rune(r))
				i += hex
			}
		}
	}
	return b.String()
}

// quoteBasic writes s as a TOML basic string.
func quoteBasic(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u00`)
			b.WriteString(strconv.FormatUint(uint64(r)>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(r)&15, 16))
		default:
			// Invalid UTF-8 arrives here as U+FFFD: TOML cannot carry raw
			// bytes, so the replacement is the best a rendering can do.
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
