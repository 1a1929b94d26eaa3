// hutch does not need the runtime to size GOMAXPROCS from cgroup limits;
// reading them costs startup time on every launch.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/hutch-sandbox/hutch/sandbox"
)

func init() {
	// The sandbox init must run on the main thread (see sandbox.RunInit);
	// the host side starts the init from it too, so the init's parent-death
	// signal is tied to a thread that lives as long as hutch.
	runtime.LockOSThread()
}

func main() {
	// The init is dispatched before anything else happens.
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitArg {
		sandbox.RunInit(os.Args[2:])
	}
	if len(os.Args) > 1 && os.Args[1] == sandbox.JoinArg {
		os.Exit(sandbox.RunJoined(os.Args[2:]))
	}
	os.Exit(dispatch(os.Args[1:]))
}

// commands lists the subcommands; each file of this package adds its own.
var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func dispatch(args []string) int {
	if len(args) == 0 {
		usage(os.Stderr)
		return sandbox.ExitSetup
	}
	switch args[0] {
	case "-h", "--help", "help":
		switch {
		case len(args) == 1, len(args) == 2 && (args[1] == "-h" || args[1] == "--help"):
			usage(os.Stdout)
			return 0
		case len(args) == 3 && args[1] == "profile":
			// hutch help profile show: the subcommand's own help.
			return commands["profile"].run([]string{args[2], "--help"})
		case len(args) > 2:
			return fail(fmt.Errorf("help: unexpected argument %q (want hutch help [COMMAND], or hutch help profile SUBCOMMAND)", args[2]))
		}
		c, ok := commands[args[1]]
		if !ok {
			return fail(fmt.Errorf("help: %w", unknownCommand(args[1])))
		}
		c.printHelp(os.Stdout)
		return 0
	case "--version", "version":
		fmt.Println("hutch", version)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		// One line, the error's: the list of commands is a --help away.
		return fail(unknownCommand(args[0]))
	}
	return c.run(args[1:])
}

func unknownCommand(name string) error {
	return fmt.Errorf("unknown command %q (commands: %s; see hutch --help)", name, strings.Join(commandNames(), ", "))
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func usage(w *os.File) {
	// Not "hutch: ...": that prefix marks errors.
	fmt.Fprintln(w, "hutch runs Linux applications in rootless sandboxes described by profiles.")
	fmt.Fprintln(w, "\nUsage: hutch COMMAND [OPTIONS] [ARGS]\n\nCommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'hutch COMMAND --help' for a command's options.")
}

// fail prints an error once, prefixed, and returns the exit code it
// carries (125 for hutch's own errors).
func fail(err error) int {
	if !errors.Is(err, sandbox.ErrReported) {
		fmt.Fprintf(os.Stderr, "hutch: %v\n", err)
	}
	var e *sandbox.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return sandbox.ExitSetup
}

// parseOrExit parses a command's options; it returns the remaining words
// and an exit code to leave with when parsing ended the command.
func parseOrExit(c *command, args []string) ([]string, int, bool) {
	rest, err := c.parse(args, os.Stdout)
	if errors.Is(err, errHelp) {
		return nil, 0, false
	}
	if err != nil {
		return nil, fail(err), false
	}
	return rest, 0, true
}
