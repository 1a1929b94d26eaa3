package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// option is one command-line option of a subcommand. Options take a fixed
// number of arguments (bubblewrap's --bind SRC DST takes two), given as
// separate words; one-argument options also accept --opt=value.
type option struct {
	names []string // long and short spellings: "--profile", "-p"
	args  []string // names of the option's arguments, for help; their count is its arity
	help  string
	apply func(vals []string) error
}

// command is a subcommand with its options.
type command struct {
	name    string
	usage   string // after "hutch NAME "
	summary string
	details string // printed after the options in --help
	options []option
	// interspersed lets positional words precede options (hutch kill NAME
	// --help, hutch stop a --timeout 3 b) until "--"; otherwise options end
	// at the first word that is not one, as in bubblewrap, env and sudo, so
	// the command's own options stay its own (run, exec).
	interspersed bool
	run          func(args []string) int
}

// errHelp reports that --help was given and printed.
var errHelp = errors.New("help requested")

// parse applies the options in argv and returns the remaining words.
// Options end at "--" or, unless interspersed, at the first non-option.
func (c *command) parse(argv []string, out io.Writer) ([]string, error) {
	var rest []string
	for i := 0; i < len(argv); i++ {
		word := argv[i]
		if word == "--" {
			return append(rest, argv[i+1:]...), nil
		}
		if word == "-h" || word == "--help" {
			c.printHelp(out)
			return nil, errHelp
		}
		if !strings.HasPrefix(word, "-") || word == "-" {
			if !c.interspersed {
				return append(rest, argv[i:]...), nil
			}
			rest = append(rest, word)
			continue
		}
		name, inline, hasInline := strings.Cut(word, "=")
		opt := c.lookup(name)
		if opt == nil {
			return nil, fmt.Errorf("%s: unknown option %s (see hutch %s --help)", c.name, name, c.name)
		}
		var vals []string
		switch {
		case hasInline && len(opt.args) == 1:
			vals = []string{inline}
		case hasInline:
			return nil, fmt.Errorf("%s: option %s does not take =VALUE", c.name, name)
		default:
			if i+len(opt.args) >= len(argv) && len(opt.args) > 0 {
				return nil, fmt.Errorf("%s: option %s needs %s", c.name, name, strings.Join(opt.args, " "))
			}
			vals = argv[i+1 : i+1+len(opt.args)]
			i += len(opt.args)
		}
		if err := opt.apply(vals); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", c.name, name, err)
		}
	}
	return rest, nil
}

func (c *command) lookup(name string) *option {
	for i := range c.options {
		for _, n := range c.options[i].names {
			if n == name {
				return &c.options[i]
			}
		}
	}
	return nil
}

func (c *command) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", strings.TrimSpace("hutch "+c.name+" "+c.usage), c.summary)
	// Every command takes --help, so every one lists it.
	fmt.Fprintln(w, "\nOptions:")
	{
		for _, o := range c.options {
			left := strings.Join(o.names, ", ")
			if len(o.args) > 0 {
				left += " " + strings.Join(o.args, " ")
			}
			if len(left) > 28 {
				fmt.Fprintf(w, "  %s\n  %-28s %s\n", left, "", o.help)
			} else {
				fmt.Fprintf(w, "  %-28s %s\n", left, o.help)
			}
		}
		fmt.Fprintf(w, "  %-28s %s\n", "-h, --help", "show this help")
	}
	if c.details != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.details))
	}
}

// flag makes a boolean option.
func flag(names []string, help string, set func()) option {
	return option{names: names, help: help, apply: func([]string) error { set(); return nil }}
}

// value makes an option with arguments.
func value(names []string, args []string, help string, apply func(vals []string) error) option {
	return option{names: names, args: args, help: help, apply: apply}
}
