// Command hutch is the command-line interface: it parses options (which
// end at "--" or at the first non-option word), resolves profiles and
// flags into a sandbox.Spec and hands it to package sandbox, and maps
// failures to exit codes (125 hutch, 126 cannot execute, 127 not found;
// the app's own status otherwise). It is also the binary the sandbox's
// init and the namespace joiner re-execute, through hidden first
// arguments.
package main
