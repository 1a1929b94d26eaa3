package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Compile turns a policy into a program for the native architecture and
// every compat one the kernel runs natively: on x86-64 also i386 and x32.
// It returns nil, nil for Base "none" (no filtering; Allow and Deny are
// ignored then). The program is hutch's prelude (prelude.go) followed by
// libseccomp's output with binary-tree optimisation
// (SCMP_FLTATR_CTL_OPTIMIZE=2), so argument-checked rules do not sit at
// the end of a long list, and KILL_PROCESS for an architecture nobody
// asked for.
//
// Compile runs on the host side only: it needs libseccomp (cgo). The
// sandbox's init gets the finished program and calls Install.
func Compile(p Policy) (*Program, error) {
	return compile(p, compileOptions{})
}

// compileOptions are knobs for tests.
type compileOptions struct {
	// maxKnown pretends hutch knows system calls only up to this number,
	// so that the ENOSYS answer for newer ones can be observed on a kernel
	// that has nothing above hutch's real table.
	maxKnown uint32
}

func compile(p Policy, opt compileOptions) (*Program, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Base == "none" {
		return nil, nil
	}
	if runtime.GOARCH != "amd64" {
		return nil, fmt.Errorf("seccomp: no filter for %s yet; hutch builds filters for amd64 (x86-64, i386, x32)", runtime.GOARCH)
	}
	rs := resolve(p)
	c := compiler{action: p.Action}

	pre := preludeSpec{
		maxKnown:      maxKnownNr,
		deny:          map[uint32]uint32{},
		unknownAction: c.ret(unix.ENOSYS, true),
	}
	if opt.maxKnown != 0 {
		pre.maxKnown = opt.maxKnown
	}
	if rs.allowUnknown {
		pre.unknownAction = unix.SECCOMP_RET_ALLOW
	}
	var lib []rule
	for _, name := range rs.names() {
		for _, r := range rs.rules[name] {
			if nr, ok := commonNr(name); ok {
				if r.args != nil {
					return nil, fmt.Errorf("seccomp: argument rule for %s: calls of the shared numbering are decided by number only", name)
				}
				pre.deny[nr] = c.ret(r.errno, r.compat)
				continue
			}
			if r.args != nil && len(r.args.AllowOnly) > 0 && !smallSet(r.args.AllowOnly) {
				ar, err := c.preludeArgRule(r)
				if err != nil {
					return nil, err
				}
				pre.argRules = append(pre.argRules, ar)
				continue
			}
			lib = append(lib, r)
		}
	}
	prelude, err := buildPrelude(pre)
	if err != nil {
		return nil, err
	}
	libProg, err := c.libseccompProgram(lib, rs)
	if err != nil {
		return nil, err
	}
	prog := append(prelude, libProg...)
	if len(prog) > maxInsns {
		return nil, fmt.Errorf("seccomp: filter has %d instructions, the kernel takes at most %d", len(prog), maxInsns)
	}
	return &Program{Filter: prog}, nil
}

// compiler carries the policy-wide choices.
type compiler struct {
	action string // Policy.Action
}

// ret is the SECCOMP_RET_* word for a denial.
func (c compiler) ret(errno unix.Errno, compat bool) uint32 {
	switch {
	case c.action == "log":
		return unix.SECCOMP_RET_LOG
	case c.action == "kill" && !compat:
		return unix.SECCOMP_RET_KILL_PROCESS
	}
	return unix.SECCOMP_RET_ERRNO | uint32(errno)&unix.SECCOMP_RET_DATA
}

// scmpAction is the libseccomp action for a denial.
func (c compiler) scmpAction(errno unix.Errno, compat bool) libseccomp.ScmpAction {
	switch {
	case c.action == "log":
		return libseccomp.ActLog
	case c.action == "kill" && !compat:
		return libseccomp.ActKillProcess
	}
	return libseccomp.ActErrno.SetReturnCode(int16(errno))
}

// smallSet reports whether an allow-only set is small enough to be written
// as deny rules for its complement (socket families).
func smallSet(vals []Named) bool {
	for _, v := range vals {
		if v.Value > 64 {
			return false
		}
	}
	return true
}

// preludeArgRule looks up a call's number on each entry point for the
// prelude.
func (c compiler) preludeArgRule(r rule) (preludeArgRule, error) {
	ar := preludeArgRule{name: r.syscall, arg: r.args.Arg, action: c.ret(r.errno, r.compat)}
	for _, v := range r.args.AllowOnly {
		if v.Value > 0xffffffff {
			return ar, fmt.Errorf("seccomp: %s: value %#x does not fit the 32 bits compared", r.syscall, v.Value)
		}
		ar.allow = append(ar.allow, uint32(v.Value))
	}
	for _, a := range []struct {
		arch libseccomp.ScmpArch
		nr   *int64
	}{{libseccomp.ArchAMD64, &ar.nrX86_64}, {libseccomp.ArchX86, &ar.nrI386}, {libseccomp.ArchX32, &ar.nrX32}} {
		*a.nr = -1
		if n, err := libseccomp.GetSyscallFromNameByArch(r.syscall, a.arch); err == nil && n >= 0 {
			*a.nr = int64(n)
		}
	}
	return ar, nil
}

// The two libseccomp filters: x86-64 with x32 (they share an audit arch and
// a block of the program) and i386. They are built apart and merged because
// libseccomp turns every i386 rule on a socket call into a rule on
// socketcall(2) as well, dropping the argument checks (the arguments are
// behind a pointer there): a family rule for socket would deny all of
// socketcall(SYS_SOCKET). That is what the default wants, but when a
// profile allows socketcall for 32-bit programs the i386 family rules must
// be left out, and only there.
var (
	filter64 = []libseccomp.ScmpArch{libseccomp.ArchAMD64, libseccomp.ArchX32}
	filter32 = []libseccomp.ScmpArch{libseccomp.ArchX86}
)

// libseccompProgram compiles the rules libseccomp handles.
func (c compiler) libseccompProgram(rules []rule, rs *ruleSet) ([]unix.SockFilter, error) {
	socketcallOpen := len(rs.rules["socketcall"]) == 0
	var filters []*libseccomp.ScmpFilter
	defer func() {
		for _, f := range filters {
			f.Release()
		}
	}()
	for _, arches := range [][]libseccomp.ScmpArch{filter64, filter32} {
		f, err := newScmpFilter(arches)
		if err != nil {
			return nil, err
		}
		filters = append(filters, f)
		for _, r := range rules {
			if !existsOn(r.syscall, arches) {
				continue
			}
			if socketcallOpen && r.args != nil && slices.Contains(arches, libseccomp.ArchX86) &&
				(r.syscall == "socket" || r.syscall == "socketpair") {
				continue
			}
			if err := c.addRule(f, r); err != nil {
				return nil, err
			}
		}
	}
	if err := filters[0].Merge(filters[1]); err != nil {
		return nil, fmt.Errorf("seccomp: merging the i386 filter: %w", err)
	}
	filters = filters[:1] // Merge released the second one
	return exportBPF(filters[0])
}

func newScmpFilter(arches []libseccomp.ScmpArch) (*libseccomp.ScmpFilter, error) {
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	for _, a := range arches {
		if err := f.AddArch(a); err != nil {
			f.Release()
			return nil, fmt.Errorf("seccomp: adding architecture %v: %w", a, err)
		}
	}
	if !slices.Contains(arches, libseccomp.ArchNative) && !slices.Contains(arches, libseccomp.ArchAMD64) {
		if err := f.RemoveArch(libseccomp.ArchNative); err != nil {
			f.Release()
			return nil, fmt.Errorf("seccomp: %w", err)
		}
	}
	for _, set := range []func() error{
		func() error { return f.SetBadArchAction(libseccomp.ActKillProcess) },
		func() error { return f.SetOptimize(2) },
	} {
		if err := set(); err != nil {
			f.Release()
			return nil, fmt.Errorf("seccomp: %w", err)
		}
	}
	return f, nil
}

// existsOn reports whether a system call exists on one of the arches.
// Rules for calls an architecture lacks are left out, since libseccomp
// would emit dead comparisons against its pseudo-numbers.
func existsOn(name string, arches []libseccomp.ScmpArch) bool {
	for _, a := range arches {
		if n, err := libseccomp.GetSyscallFromNameByArch(name, a); err == nil && n >= 0 {
			return true
		}
		if a == libseccomp.ArchX86 && i386Multiplexed[name] {
			return true
		}
	}
	return false
}

// i386Multiplexed are calls i386 (also) reaches through the socketcall(2)
// and ipc(2) multiplexers; libseccomp turns a rule for one of them into a
// rule on the multiplexer's first argument as well.
var i386Multiplexed = map[string]bool{
	"socket": true, "bind": true, "connect": true, "listen": true, "accept": true,
	"getsockname": true, "getpeername": true, "socketpair": true, "send": true,
	"recv": true, "sendto": true, "recvfrom": true, "shutdown": true,
	"setsockopt": true, "getsockopt": true, "sendmsg": true, "recvmsg": true,
	"accept4": true, "recvmmsg": true, "sendmmsg": true,
	"semop": true, "semget": true, "semctl": true, "semtimedop": true,
	"msgsnd": true, "msgrcv": true, "msgget": true, "msgctl": true,
	"shmat": true, "shmdt": true, "shmget": true, "shmctl": true,
}

// addRule adds one denial to a libseccomp filter. The number passed is the
// native one (or libseccomp's pseudo-number for calls x86-64 lacks, such as
// socketcall); libseccomp translates it for each architecture by name.
func (c compiler) addRule(f *libseccomp.ScmpFilter, r rule) error {
	nr, err := libseccomp.GetSyscallFromName(r.syscall)
	if err != nil {
		return fmt.Errorf("seccomp: %s: %w", r.syscall, err)
	}
	act := c.scmpAction(r.errno, r.compat)
	if r.args == nil {
		if err := f.AddRule(nr, act); err != nil {
			return fmt.Errorf("seccomp: rule for %s: %w", r.syscall, err)
		}
		return nil
	}
	var conds []libseccomp.ScmpCondition
	arg := uint(r.args.Arg)
	for _, m := range r.args.MatchAny {
		cond, err := libseccomp.MakeCondition(arg, libseccomp.CompareMaskedEqual, m.Mask, m.Value)
		if err != nil {
			return err
		}
		conds = append(conds, cond)
	}
	if len(r.args.AllowOnly) > 0 {
		// Deny the complement: every value up to the largest allowed one
		// that is not allowed (low 32 bits), and anything larger. The
		// last test sees all 64 bits on x86-64, so a value with high bits
		// set is refused rather than compared by its low half: no program
		// passes garbage in an int argument, and refusing it is the safe
		// direction.
		var hi uint64
		allowed := map[uint64]bool{}
		for _, v := range r.args.AllowOnly {
			allowed[v.Value] = true
			hi = max(hi, v.Value)
		}
		for v := uint64(0); v <= hi; v++ {
			if !allowed[v] {
				cond, err := libseccomp.MakeCondition(arg, libseccomp.CompareMaskedEqual, low32, v)
				if err != nil {
					return err
				}
				conds = append(conds, cond)
			}
		}
		cond, err := libseccomp.MakeCondition(arg, libseccomp.CompareGreater, hi)
		if err != nil {
			return err
		}
		conds = append(conds, cond)
	}
	// One rule per condition: libseccomp ORs rules and ANDs conditions.
	for _, cond := range conds {
		if err := f.AddRuleConditional(nr, act, []libseccomp.ScmpCondition{cond}); err != nil {
			return fmt.Errorf("seccomp: argument rule for %s: %w", r.syscall, err)
		}
	}
	return nil
}

// exportBPF gets the program out of libseccomp: from memory with 2.6, else
// through a memfd (2.5 can only write to a file descriptor).
func exportBPF(f *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	raw, err := f.ExportBPFMem()
	if err != nil {
		fd, err := unix.MemfdCreate("hutch-seccomp", unix.MFD_CLOEXEC)
		if err != nil {
			return nil, fmt.Errorf("seccomp: memfd for the BPF export: %w", err)
		}
		file := os.NewFile(uintptr(fd), "hutch-seccomp")
		defer file.Close()
		if err := f.ExportBPF(file); err != nil {
			return nil, fmt.Errorf("seccomp: exporting BPF: %w", err)
		}
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		if raw, err = io.ReadAll(file); err != nil {
			return nil, err
		}
	}
	return decodeFilter(raw)
}

// decodeFilter parses raw sock_filter structs (8 bytes each, host order).
func decodeFilter(raw []byte) ([]unix.SockFilter, error) {
	if len(raw) == 0 || len(raw)%8 != 0 {
		return nil, errors.New("seccomp: BPF program is not a whole number of instructions")
	}
	prog := make([]unix.SockFilter, len(raw)/8)
	for i := range prog {
		b := raw[8*i:]
		prog[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(b[0:]),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.NativeEndian.Uint32(b[4:]),
		}
	}
	return prog, nil
}

// encodeFilter is the inverse of decodeFilter.
func encodeFilter(prog []unix.SockFilter) []byte {
	raw := make([]byte, 8*len(prog))
	for i, in := range prog {
		b := raw[8*i:]
		binary.NativeEndian.PutUint16(b[0:], in.Code)
		b[2], b[3] = in.Jt, in.Jf
		binary.NativeEndian.PutUint32(b[4:], in.K)
	}
	return raw
}
