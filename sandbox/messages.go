package sandbox

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/idmap"
	"github.com/hutch-sandbox/hutch/seccomp"
)

// initConfig is what the host side sends the init once the id maps are in
// place: the spec plus the facts only the host knows.
type initConfig struct {
	Spec      *Spec      `json:"spec"`
	Env       []string   `json:"env"`        // the app's environment, policy applied
	CallerCwd string     `json:"caller_cwd"` // the caller's working directory
	Plan      idmap.Plan `json:"plan"`
	// Seccomp is the compiled filter, nil for none.
	Seccomp *seccomp.Program `json:"seccomp,omitempty"`
	// Hidden are host paths that must not be reachable inside even when a
	// bind exposes them: hutch's state directory with its control sockets.
	Hidden []string `json:"hidden,omitempty"`
	// Protected are host files that must stay read-only inside: the hutch
	// binary and the profiles the spec came from.
	Protected []string `json:"protected,omitempty"`
	// ControlFD is the init's listening socket for exec requests of a
	// named sandbox, and ExitFD the file its exit status goes to; -1 when
	// the sandbox has no name.
	ControlFD int `json:"control_fd"`
	ExitFD    int `json:"exit_fd"`
	// StatusFD is the --json-status-fd of a detached sandbox, where the
	// init writes the exit code line itself, hutch having left; -1 else.
	StatusFD int `json:"status_fd"`
	// ReportNamespaces asks the init for its namespace ids with the start
	// report: it reads them before it leaves the host's /proc behind, and
	// the host could not once a short-lived app had ended.
	ReportNamespaces bool `json:"report_namespaces,omitempty"`
	// IgnoredSignals are the relayed signals hutch's caller ignored: the
	// init ignores them too, and the app inherits them ignored.
	IgnoredSignals []unix.Signal `json:"ignored_signals,omitempty"`
}

// Message types from the init to the host side.
const (
	msgStarted = "started" // the app runs; PID is its host-visible pid in the init's namespace
	msgExec    = "exec"    // the init is about to exec the app as PID 1
	msgError   = "error"   // setup failed; Code and Error say why
)

// initMessage is a report from the init.
type initMessage struct {
	Type       string          `json:"type"`
	PID        int             `json:"pid,omitempty"`
	Namespaces map[Kind]uint64 `json:"namespaces,omitempty"`
	Code       int             `json:"code,omitempty"`
	Error      string          `json:"error,omitempty"`
}

// Exit codes of hutch's own failures, by the convention of env, timeout and
// container runtimes.
const (
	ExitSetup       = 125 // hutch failed before the app ran
	ExitCannotExec  = 126 // the command exists but cannot be executed
	ExitNotFound    = 127 // the command was not found
	exitSignalShift = 128 // 128+N: the app was killed by signal N
)

// Error is a failure with the exit code hutch should leave with.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// errorf makes a setup error (exit 125).
func errorf(format string, args ...any) *Error {
	return &Error{Code: ExitSetup, Err: fmt.Errorf(format, args...)}
}
