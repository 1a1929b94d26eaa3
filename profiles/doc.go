// Package profiles owns hutch's TOML profiles, from the text a user writes
// to a validated sandbox.Spec; nothing after the Spec reads TOML.
//
// It owns:
//
//   - strict loading (parse.go): every unknown key and every wrong type or
//     bad value is an error naming file:line:column and the dotted key
//     (mount[2].sizee, env.set.EDITOR). BurntSushi/toml checks the syntax
//     and decodes into generic values; the typed conversion is ours,
//     because the library neither rejects unknown keys with positions nor
//     exposes where keys are. locate.go finds them by scanning the text.
//     Array elements count from 1 (mount[1] is the first [[mount]]), as
//     sandbox.Spec.Validate counts mounts;
//   - variables (vars.go): ${HOME} ${UID} ${GID} ${USER} ${PWD}
//     ${XDG_RUNTIME_DIR} ${XDG_CONFIG_HOME} ${XDG_DATA_HOME}
//     ${XDG_CACHE_HOME} ${DISPLAY} ${WAYLAND_DISPLAY} expand in every
//     string value at load; $$ is a literal $; any other $ is an error. An
//     unset variable is an error, except in a [[mount]] with
//     optional = true, which is then dropped;
//   - lookup (lookup.go): an argument with a / or ending in .toml is a
//     file; a name is NAME.toml in Loader.Dirs (the user's, then
//     /etc/hutch/profiles), then the built-ins embedded from builtin/.
//     builtin:NAME always means the built-in, so a user's default.toml can
//     extend builtin:default. Relative paths in extends are relative to
//     the file that writes them;
//   - extends and merging (resolve.go, merge.go): parents depth-first in
//     order, then the file; a profile met twice is applied once, at its
//     first place; a cycle is an error naming the chain. Scalars override,
//     lists append (process.command replaces; lists other than mounts skip
//     entries already present), tables merge by key; description is not
//     inherited. Pointer fields keep "unset" apart from "set to zero". A
//     variable a later layer sets is taken out of earlier layers' unset;
//   - layers the CLI builds from flags (Profile's methods), merged last.
//     Their strings are taken as given: the CLI expands the variables of
//     the paths it is given (Vars.Expand) and vets every value with the
//     checks profile values pass (check.go) as it parses its options, so
//     that its errors name the option;
//   - the Spec (spec.go): defaults, checks that layers built by the CLI
//     need, and sandbox.Spec.Validate, wrapped with the profile names;
//   - rendering back to TOML (render.go) for `hutch profile show`;
//   - the built-in profiles (builtin/*.toml).
//
// The built-in profiles double as commented examples of the format.
package profiles
