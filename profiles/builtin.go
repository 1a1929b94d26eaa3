package profiles

import (
	"embed"
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
