package profiles

import (
	"embed"
	"hash/fnv"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The built-in profiles ship inside the binary so that hutch works with no
// files installed, and so that a profile named by a user cannot be edited
// by the sandboxes it describes.
//
//go:embed builtin/*.toml
var builtinFS embed.FS

//go:generate go test -run TestBuiltinDecodedIsCurrent -update .

// builtinPrefix marks built-in sources: builtin:default.toml. It is also
// accepted as a profile argument to reach a built-in that a file shadows,
// for example a user's default.toml that extends builtin:default.
const builtinPrefix = "builtin:"

func builtinSource(name string) string { return builtinPrefix + name + ".toml" }

// builtinData returns a built-in profile's text.
func builtinData(name string) ([]byte, bool) {
	data, err := builtinFS.ReadFile("builtin/" + name + ".toml")
	return data, err == nil
}

// decodedBuiltin returns what toml.Decode makes of a built-in profile's
// text, from Go code generated from it (builtin_decoded.go), or nil when
// source is no built-in or data is not the text the code was made from.
// The BurntSushi/toml lexer takes 0.3 to 0.6 ms for the default profile
// in a fresh process, a few percent of a sandbox's start, and every start
// reads at least one built-in. After a change to a built-in, run
// go generate ./profiles; until then that profile is decoded as any file
// is, and TestBuiltinDecodedIsCurrent fails.
func decodedBuiltin(source string, data []byte) map[string]any {
	if !strings.HasPrefix(source, builtinPrefix) {
		return nil
	}
	hash, decode := builtinDecoded(source)
	if decode == nil {
		return nil
	}
	h := fnv.New64a()
	h.Write(data)
	if h.Sum64() != hash {
		return nil
	}
	return decode()
}

// BuiltinNames lists the built-in profiles, sorted.
func BuiltinNames() []string {
	entries, _ := fs.Glob(builtinFS, "builtin/*.toml")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(path.Base(e), ".toml"))
	}
	slices.Sort(names)
	return names
}
