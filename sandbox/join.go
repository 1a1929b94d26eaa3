package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hutch-sandbox/hutch/sandbox/early"
)

// A sandbox that joins namespaces of a running one (net = "sandbox:web")
// must be built inside that sandbox's user namespace: a namespace can only
// be joined with capabilities in the user namespace that owns it. So hutch
// re-executes itself with descriptors of those namespaces; the early
// constructor enters them before the Go runtime starts, and the copy then
// launches the new sandbox from there as usual. Its user namespace becomes
// a child of the joined one, and the kinds that are joined are simply not
// created anew.

// JoinArg makes the hutch binary act as that re-executed launcher; the
// CLI checks for it first thing, after the init's own argument.
const JoinArg = early.JoinArg

// ErrReported marks an error that was already printed by the process that
// met it; the CLI exits with its code without printing it again.
var ErrReported = errors.New("already reported")

// joinedConfig is what the re-executed launcher needs.
type joinedConfig struct {
	Spec      *Spec    `json:"spec"`
	Environ   []string `json:"environ"`
	Cwd       string   `json:"cwd"`
	Protected []string `json:"protected"`
	Detach    bool     `json:"detach"`
	StatusFD  int      `json:"status_fd"` // -1 for none
	// StateRoot is the host side's: inside the joined user namespace
	// the effective uid may differ from the caller's.
	StateRoot string `json:"state_root"`
	// IgnoredSignals are those hutch's caller ignored: the launcher,
	// started by hutch's Go runtime, sees most of them reset.
	IgnoredSignals []unix.Signal `json:"ignored_signals,omitempty"`
}

// joinTarget finds the running sandbox whose namespaces the spec joins.
func joinTarget(spec *Spec) (*Record, []Kind, error) {
	var name string
	var kinds []Kind
	for _, k := range ConfigurableKinds {
		n, ok := spec.Namespaces[k].Joined()
		if !ok {
			continue
		}
		if name != "" && n != name {
			return nil, nil, fmt.Errorf("namespaces can be joined from one sandbox only (asked for %s and %s)", name, n)
		}
		name = n
		kinds = append(kinds, k)
	}
	if name == "" {
		return nil, nil, nil
	}
	if spec.Identity.Subordinate {
		return nil, nil, fmt.Errorf("subordinate id ranges cannot be mapped inside another sandbox's user namespace")
	}
	rec, err := Lookup(name)
	if err != nil {
		return nil, nil, err
	}
	if !rec.alive() {
		return nil, nil, fmt.Errorf("sandbox %s is not running (%s)", name, rec.Status)
	}
	if rec.Spec != nil {
		for _, k := range kinds {
			if rec.Spec.NewShares(k) {
				continue
			}
			// Not the target's own: it belongs to the host or to another
			// sandbox's user namespace, where the launcher has no say.
			if other, ok := rec.Spec.Namespaces[k].Joined(); ok {
				return nil, nil, fmt.Errorf("sandbox %s shares its %s namespace with sandbox %s: use --share-%s-with %s", name, k, other, k, other)
			}
			return nil, nil, fmt.Errorf("sandbox %s shares the host's %s namespace: use --share-%s", name, k, k)
		}
	}
	return rec, kinds, nil
}

// startJoined re-executes hutch inside the target's namespaces to launch
// the sandbox there. The returned Sandbox stands for that launcher.
func startJoined(spec *Spec, opts Options, target *Record, kinds []Kind) (*Sandbox, error) {
	nsFiles := make([]*os.File, 0, len(kinds)+1)
	defer func() {
		for _, f := range nsFiles {
			f.Close()
		}
	}()
	for _, k := range append([]Kind{NSUser}, kinds...) {
		f, err := os.Open("/proc/" + strconv.Itoa(target.InitPID) + "/ns/" + string(k))
		if err != nil {
			return nil, errorf("open the %s namespace of %s: %w", k, target.Name, err)
		}
		nsFiles = append(nsFiles, f)
	}
	// The target could have ended and its pid been reused between Lookup
	// and the opens; the descriptors are only trusted if it still runs.
	if !target.alive() {
		return nil, errorf("sandbox %s ended", target.Name)
	}
	cfgWrite, cfgRead, err := socketPair()
	if err != nil {
		return nil, errorf("%w", err)
	}
	defer cfgRead.Close()
	files := []uintptr{orStd(opts.Stdin, 0), orStd(opts.Stdout, 1), orStd(opts.Stderr, 2)}
	for _, fd := range spec.Process.KeepFDs {
		for len(files) <= fd {
			files = append(files, ^uintptr(0))
		}
		files[fd] = uintptr(fd)
	}
	cfg := joinedConfig{Spec: spec, Environ: opts.Environ, Cwd: opts.Cwd, Protected: opts.Protected, Detach: opts.Detach, StatusFD: -1, StateRoot: StateRoot(),
		IgnoredSignals: early.CallerIgnoredSignals()}
	if opts.Status != nil {
		cfg.StatusFD = len(files)
		files = append(files, opts.Status.Fd())
	}
	cfgFD := len(files)
	files = append(files, cfgRead.Fd())
	var nsFDs []string
	for _, f := range nsFiles {
		nsFDs = append(nsFDs, strconv.Itoa(len(files)))
		files = append(files, f.Fd())
	}
	sigs := catchRelayed().caught()
	attr := &syscall.ProcAttr{Env: os.Environ(), Files: files, Sys: &syscall.SysProcAttr{}}
	if !opts.Detach {
		attr.Sys.Pdeathsig = syscall.SIGKILL
	}
	pid, _, err := syscall.StartProcess("/proc/self/exe", []string{"hutch", JoinArg, strings.Join(nsFDs, ","), strconv.Itoa(cfgFD)}, attr)
	if err != nil {
		cfgWrite.Close()
		signal.Stop(sigs)
		return nil, errorf("start the launcher inside %s: %w", target.Name, err)
	}
	err = newChannel(cfgWrite).send(cfg)
	cfgWrite.Close()
	s := &Sandbox{Spec: spec, InitPID: pid, sigs: sigs, proxy: true}
	if err != nil {
		s.abort()
		return nil, errorf("configure the launcher inside %s: %w", target.Name, err)
	}
	if opts.Detach {
		// The launcher returns as soon as the sandbox runs.
		code, _ := s.Wait()
		if code != 0 {
			return nil, &Error{Code: code, Err: ErrReported}
		}
	}
	return s, nil
}

// RunJoined is the re-executed launcher's main: args are the namespace
// descriptors (already entered by the constructor) and the config fd.
func RunJoined(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "hutch: the join launcher is started by hutch run, not by hand")
		return ExitSetup
	}
	fd, err := strconv.Atoi(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "hutch: bad join config fd")
		return ExitSetup
	}
	unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	var cfg joinedConfig
	f := os.NewFile(uintptr(fd), "join-config")
	if _, err := newChannel(f).recv(&cfg); err != nil {
		fmt.Fprintf(os.Stderr, "hutch: join: read config: %v\n", err)
		return ExitSetup
	}
	f.Close()
	if !filepath.IsAbs(cfg.StateRoot) {
		fmt.Fprintln(os.Stderr, "hutch: join: the config names no state directory")
		return ExitSetup
	}
	joinedStateRoot = cfg.StateRoot
	// The joined kinds are this process's own now: the new sandbox keeps
	// them by not creating them, as for any kind that is not new.
	opts := Options{Environ: cfg.Environ, Cwd: cfg.Cwd, Protected: cfg.Protected, Detach: cfg.Detach, joined: true,
		ignoredSignals: cfg.IgnoredSignals}
	if cfg.StatusFD >= 0 {
		opts.Status = os.NewFile(uintptr(cfg.StatusFD), "status")
	}
	s, err := Start(cfg.Spec, opts)
	if err != nil {
		return reportError(err)
	}
	if cfg.Detach {
		return 0
	}
	code, err := s.Wait()
	if err != nil {
		return reportError(err)
	}
	return code
}

func reportError(err error) int {
	fmt.Fprintf(os.Stderr, "hutch: %v\n", err)
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitSetup
}
