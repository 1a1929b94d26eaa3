package profiles

import (
	"testing"

	"github.com/BurntSushi/toml"
)

func TestLocate(t *testing.T) {
	tests := []struct {
		name string
		text string
		path string
		key  pos // where the key is
		val  pos // where its value starts; zero: not checked
	}{
		{"top-level key", "a = 1\n", "a", pos{1, 1}, pos{1, 5}},
		{"indented key", "\n\n   b=true\n", "b", pos{3, 4}, pos{3, 6}},
		{"table header names the table", "[namespaces]\nnet = true\n", "namespaces", pos{1, 2}, pos{}},
		{"key in a table", "[namespaces]\nnet = true\n", "namespaces.net", pos{2, 1}, pos{2, 7}},
		{"dotted header", "[a.b]\nc = 1\n", "a.b.c", pos{2, 1}, pos{2, 5}},
		{"dotted header prefix", "[a.b]\nc = 1\n", "a", pos{1, 2}, pos{}},
		{"dotted header with spaces", "[ a . b ]\nc = 1\n", "a.b", pos{1, 7}, pos{}},
		{"first mount", "[[mount]]\ntype = \"tmpfs\"\n[[mount]]\ntype = \"bind\"\n", "mount[1].type", pos{2, 1}, pos{2, 8}},
		{"second mount", "[[mount]]\ntype = \"tmpfs\"\n[[mount]]\ntype = \"bind\"\n", "mount[2].type", pos{4, 1}, pos{4, 8}},
		{"second mount header", "[[mount]]\n[[mount]]\n", "mount[2]", pos{2, 3}, pos{}},
		{"dotted key", "env.set.EDITOR = \"vi\"\n", "env.set.EDITOR", pos{1, 9}, pos{1, 18}},
		{"dotted key parent", "env.set.EDITOR = \"vi\"\n", "env.set", pos{1, 5}, pos{}},
		{"dotted key in table", "[env]\nset.EDITOR = \"vi\"\n", "env.set.EDITOR", pos{2, 5}, pos{2, 14}},
		{"quoted key", "[env.set]\n\"A B\" = \"x\"\n", `env.set."A B"`, pos{2, 1}, pos{2, 9}},
		{"quoted key with a dot", "[env.set]\n\"A.B\" = \"x\"\n", `env.set."A.B"`, pos{2, 1}, pos{2, 9}},
		{"quoted bare-able key", "\"a\" = 1\n", "a", pos{1, 1}, pos{1, 7}},
		{"literal quoted key", "'a.b' = 1\n", `"a.b"`, pos{1, 1}, pos{1, 9}},
		{"escaped quoted key", "\"a\\u0041\" = 1\n", "aA", pos{1, 1}, pos{1, 13}},
		{"comment is not a key", "# x = 1\ny = 2\n", "y", pos{2, 1}, pos{2, 5}},
		{"key after comment line", "a = 1 # b = 2\nb = 3\n", "b", pos{2, 1}, pos{2, 5}},
		{"string with = and #", "a = \"x = \\\"y\\\" # z\"\nb = 1\n", "b", pos{2, 1}, pos{2, 5}},
		{"string ending in backslash", "a = \"x\\\\\"\nb = 1\n", "b", pos{2, 1}, pos{2, 5}},
		{"literal string with backslash", "a = 'c:\\dir\\'\nb = 1\n", "b", pos{2, 1}, pos{2, 5}},
		{"multi-line basic string", "a = \"\"\"\n[fake]\nb = 1\n\"\"\"\nc = 2\n", "c", pos{5, 1}, pos{5, 5}},
		{"multi-line with escaped quotes", "a = \"\"\"x\\\"\"\"y\"\"\"\nc = 2\n", "c", pos{2, 1}, pos{2, 5}},
		{"multi-line with line-ending backslash", "a = \"\"\"x \\\n  y\"\"\"\nc = 2\n", "c", pos{3, 1}, pos{3, 5}},
		{"multi-line with quotes before the end", "a = \"\"\"x\"\"\"\"\"\nc = 2\n", "c", pos{2, 1}, pos{2, 5}},
		{"multi-line literal", "a = '''\nb = 1\n'''\nc = 2\n", "c", pos{4, 1}, pos{4, 5}},
		{"multi-line literal with quotes before the end", "a = '''x'''''\nc = 2\n", "c", pos{2, 1}, pos{2, 5}},
		{"multi-line array", "a = [\n  \"x\", # c = 3\n  \"y\",\n]\nb = 1\n", "b", pos{5, 1}, pos{5, 5}},
		{"array element", "a = [\n  \"x\", # c = 3\n  \"y\",\n]\n", "a[2]", pos{1, 1}, pos{3, 3}},
		{"nested inline table", "env = { set = { EDITOR = \"vi\" } }\n", "env.set.EDITOR", pos{1, 17}, pos{1, 26}},
		{"inline table over lines", "env = {\n  clear = true, # x = 1\n  keep = [\"A\"],\n}\n", "env.keep", pos{3, 3}, pos{3, 10}},
		{"array of inline tables", "mount = [{type = \"x\"}, {type = \"y\"}]\n", "mount[2].type", pos{1, 25}, pos{1, 32}},
		{"subtable of the last array element", "[[a]]\n[a.b]\nc = 1\n[[a]]\n[a.b]\nc = 2\n", "a[2].b.c", pos{6, 1}, pos{6, 5}},
		{"nested arrays of tables", "[[a]]\n[[a.b]]\n[[a.b]]\nx = 1\n", "a[1].b[2].x", pos{4, 1}, pos{4, 5}},
		{"columns count bytes", "t = { a = \"é\", b = 1 }\n", "t.b", pos{1, 17}, pos{1, 21}},
		{"CRLF line endings", "a = 1\r\n[t]\r\nb = 2\r\n", "t.b", pos{3, 1}, pos{3, 5}},
		{"datetime with a space", "d = 1979-05-27 07:32:00Z\ne = 1\n", "e", pos{2, 1}, pos{2, 5}},
		{"header with comment", "[t] # [u]\nk = 1\n", "t.k", pos{2, 1}, pos{2, 5}},
		{"header of a quoted table", "[\"a b\".c]\nk = 1\n", `"a b".c.k`, pos{2, 1}, pos{2, 5}},
		{"unknown key falls back to the table", "[[mount]]\n[[mount]]\ntype = 1\n", "mount[2].nokey", pos{2, 3}, pos{2, 3}},
		{"unknown table falls back to the file", "a = 1\n", "x.y", pos{1, 1}, pos{1, 1}},
		{"element falls back to its key", "keep = [\"a\"]\n", "keep[3]", pos{1, 1}, pos{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The locator is only ever given text the parser accepted.
			var m map[string]any
			if _, err := toml.Decode(tt.text, &m); err != nil {
				t.Fatalf("test text is not TOML: %v", err)
			}
			l := locate(tt.text)
			if got := l.keyPos(tt.path); got != tt.key {
				t.Errorf("keyPos(%s) = %v, want %v", tt.path, got, tt.key)
			}
			if tt.val.known() {
				if got := l.valPos(tt.path); got != tt.val {
					t.Errorf("valPos(%s) = %v, want %v", tt.path, got, tt.val)
				}
			}
		})
	}
}

func TestLocateStringsHideKeys(t *testing.T) {
	text := "a = \"\"\"\n[fake]\nb = 1\n\"\"\"\nc = '''\nd = 2\n'''\n# e = 3\nf = [ 'g = 4' ]\n"
	l := locate(text)
	for _, p := range []string{"fake", "fake.b", "b", "d", "e", "g"} {
		if _, ok := l.at[p]; ok {
			t.Errorf("text inside a string or comment was taken for key %s", p)
		}
	}
}

func TestLocateRaw(t *testing.T) {
	l := locate("mode = 0o755 # octal\nx = [1, 2 ]\n")
	for path, want := range map[string]string{"mode": "0o755", "x[2]": "2", "x": "[1, 2 ]", "nope": ""} {
		if got := l.raw(path); got != want {
			t.Errorf("raw(%s) = %q, want %q", path, got, want)
		}
	}
}

func TestParentPath(t *testing.T) {
	tests := map[string]string{
		"":                  "",
		"a":                 "",
		"a.b":               "a",
		"mount[2]":          "mount",
		"mount[2].target":   "mount[2]",
		`env.set."A.B"`:     "env.set",
		`env.set."A\"B".x`:  `env.set."A\"B"`,
		"a[1].b[2].x":       "a[1].b[2]",
		`"a b".c`:           `"a b"`,
		"security.caps[10]": "security.caps",
	}
	for in, want := range tests {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestChildPath(t *testing.T) {
	tests := []struct{ parent, key, want string }{
		{"", "a", "a"},
		{"env.set", "EDITOR", "env.set.EDITOR"},
		{"env.set", "A.B", `env.set."A.B"`},
		{"env.set", `A"B`, `env.set."A\"B"`},
		{"", "", `""`},
	}
	for _, tt := range tests {
		if got := childPath(tt.parent, tt.key); got != tt.want {
			t.Errorf("childPath(%q, %q) = %q, want %q", tt.parent, tt.key, got, tt.want)
		}
	}
}
