package profiles

import (
	"testing"
)

// FuzzParse checks that no input makes Parse (or the locator, given raw
// text) panic, and that whatever parses renders to TOML that parses again
// to the same rendering.
func FuzzParse(f *testing.F) {
	for _, name := range BuiltinNames() {
		data, _ := builtinData(name)
		f.Add(data)
	}
	for _, seed := range []string{
		"a = \"\"\"\n[x]\n\"\"\"\n",
		"mount = [{type = \"tmpfs\", target = \"/t\", size = \"1G\", mode = 0o755}]\n",
		"[[mount]]\ntype = \"bind\"\nsource = \"${XDG_RUNTIME_DIR}/x\"\ntarget = \"/x\"\noptional = true\n",
		"[env]\nset = { \"A.B\" = \"$$\", 'c' = \"${HOME}\" }\n",
		"[limits]\nnofile = \"1:unlimited\"\n[time]\nboottime_offset = \"-1d\"\n",
		"[namespaces]\nnet = \"sandbox:web\"\nuser = 1\n",
		"x = [[[[[1]]]]]\n[a.\"b\".'c']\n",
		"'''",
		"\"\\",
		"[[",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		locate(string(data)).valPos("x")
		p, err := Parse("fuzz.toml", data, fullVars())
		if err != nil {
			return
		}
		text := p.TOML()
		back, err := Parse("rendered.toml", []byte(text), Vars{})
		if err != nil {
			t.Fatalf("rendering does not parse: %v\n%s", err, text)
		}
		if again := back.TOML(); again != text {
			t.Fatalf("rendering changed:\n%s\nthen\n%s", text, again)
		}
	})
}
