package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/hutch-sandbox/hutch/profiles"
)

func init() {
	register(&command{
		name:    "profile",
		usage:   "list | show NAME|FILE... | check FILE... | explain NAME|FILE...",
		summary: "list, show, check and explain profiles",
		details: `list     every profile visible, where it comes from, and which are shadowed
show     the profiles resolved (extends applied, variables expanded) as TOML
check    parse and validate profile files; errors name file:line:column and key
explain  what a sandbox from the profiles would see and be denied, in words

Profiles are looked up in $XDG_CONFIG_HOME/hutch/profiles, then
/etc/hutch/profiles, then among the built-in ones. Each subcommand takes
--help; a name that starts with - goes after --.`,
		run: profileCommand,
	})
}

// profileSubcommands are profile's own commands. Their words may mix
// names and options (--help anywhere before "--"); "--" ends the options.
var profileSubcommands = map[string]*command{
	"list": {
		name: "profile list", usage: "",
		summary: "list every profile visible, where it comes from, which are shadowed and which do not load",
	},
	"show": {
		name: "profile show", usage: "[--] NAME|FILE...",
		summary: "print the profiles resolved (extends applied, variables expanded) as TOML",
	},
	"check": {
		name: "profile check", usage: "[--] NAME|FILE...",
		summary: "parse and validate profiles; errors name file:line:column and key",
	},
	"explain": {
		name: "profile explain", usage: "[--] NAME|FILE...",
		summary: "say in words what a sandbox from the profiles would see and be denied",
	},
}

func init() {
	for _, c := range profileSubcommands {
		c.interspersed = true
	}
}

func profileCommand(args []string) int {
	c := commands["profile"]
	rest, code, ok := parseOrExit(c, args)
	if !ok {
		return code
	}
	if len(rest) == 0 {
		c.printHelp(os.Stderr)
		return 125
	}
	sub, ok := profileSubcommands[rest[0]]
	if !ok {
		return fail(fmt.Errorf("profile: unknown subcommand %q (list, show, check, explain)", rest[0]))
	}
	names, code, ok := parseOrExit(sub, rest[1:])
	if !ok {
		return code
	}
	switch {
	case sub.usage == "" && len(names) > 0:
		return fail(fmt.Errorf("%s: unexpected argument %q", sub.name, names[0]))
	case sub.usage != "" && len(names) == 0:
		return fail(fmt.Errorf("%s: name a profile", sub.name))
	}
	vars, err := profiles.VarsFromEnv()
	if err != nil {
		return fail(err)
	}
	loader := profiles.NewLoader(vars)
	switch rest[0] {
	case "list":
		infos, err := loader.List()
		if err != nil {
			return fail(err)
		}
		printProfileList(os.Stdout, infos)
		return 0
	case "show":
		r, err := loader.Resolve(names)
		if err != nil {
			return fail(err)
		}
		fmt.Print(r.TOML())
		return 0
	case "check":
		status := 0
		for _, n := range names {
			if err := loader.Check(n); err != nil {
				status = fail(err)
				continue
			}
			fmt.Printf("%s: ok\n", n)
		}
		return status
	default: // explain
		return explainProfiles(loader, names)
	}
}

// printProfileList writes one line per profile. A profile that does not
// load is listed too, marked broken with the first line of its error in
// place of its description: the list is where one looks for it.
func printProfileList(out io.Writer, infos []profiles.Info) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSOURCE\tDESCRIPTION")
	for _, in := range infos {
		src := in.Source
		if in.Shadowed {
			src += " (shadowed)"
		}
		desc := in.Description
		if in.Err != nil {
			msg, _, more := strings.Cut(in.Err.Error(), "\n")
			if more {
				msg += " (and more)"
			}
			desc = "BROKEN: " + msg
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", in.Name, src, desc)
	}
	w.Flush()
}
