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
/etc/hutch/profiles, then among the built-in ones.`,
		run: profileCommand,
	})
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
	vars, err := profiles.VarsFromEnv()
	if err != nil {
		return fail(err)
	}
	loader := profiles.NewLoader(vars)
	sub, names := rest[0], rest[1:]
	needNames := func() bool {
		if len(names) == 0 {
			fmt.Fprintf(os.Stderr, "hutch: profile %s: name a profile\n", sub)
			return false
		}
		return true
	}
	switch sub {
	case "list":
		infos, err := loader.List()
		if err != nil {
			return fail(err)
		}
		printProfileList(os.Stdout, infos)
		return 0
	case "show":
		if !needNames() {
			return 125
		}
		r, err := loader.Resolve(names)
		if err != nil {
			return fail(err)
		}
		fmt.Print(r.TOML())
		return 0
	case "check":
		if !needNames() {
			return 125
		}
		status := 0
		for _, n := range names {
			if err := loader.Check(n); err != nil {
				status = fail(err)
				continue
			}
			fmt.Printf("%s: ok\n", n)
		}
		return status
	case "explain":
		if !needNames() {
			return 125
		}
		return explainProfiles(loader, names)
	}
	fmt.Fprintf(os.Stderr, "hutch: profile: unknown subcommand %q (list, show, check, explain)\n", sub)
	return 125
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
