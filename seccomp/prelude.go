package seccomp

import (
	"fmt"
	"sort"

	"golang.org/x/sys/unix"
)

// The prelude is a short BPF program hutch writes itself and puts in front
// of libseccomp's. It decides what libseccomp 2.5 cannot express and falls
// through (to the first instruction after it) for everything else:
//
//   - Every call of the shared numbering (424 and up) on all three entry
//     points, from hutch's own table: libseccomp rejects numbers its tables
//     lack ("unrecognized syscall"), even for the native architecture, and
//     translates rules for i386 and x32 through names, so a rule for a call
//     newer than the library would be dropped or refused.
//   - Numbers above the highest one hutch knows: ENOSYS (see @unknown).
//   - "allow only these values" rules whose complement is too large to spell
//     as deny rules (personality): libseccomp allows one comparison per
//     argument per rule, so "not 0, not 8, not 0x20000, ..." cannot be one
//     rule, and the kernel-facing value is the low 32 bits of the register.
//
// Hot calls (read, write, futex, ...) pay five instructions here: load the
// arch, compare it, load the number, two range checks.
//
// Layout:
//
//	    ld arch; jeq X86_64 -> x64; jeq I386 -> i386; else -> lib (bad arch: libseccomp kills)
//	x64:  ld nr; jge 0x40000000 -> x32; jge 424 -> new; [jeq personality -> arg rule]; -> lib
//	x32:  jge bit|548 -> unknown; jge bit|512 -> lib (x32's own 512-547); jge bit|424 -> x32new; [arg rules]; -> lib
//	x32new: sub bit; -> new
//	i386: ld nr; jge 424 -> new; [arg rules]; -> lib
//	new:  jgt max -> unknown; binary search of the denied numbers -> their action; else ALLOW
//	arg rules: ld args[i].lo; jeq each allowed value -> ALLOW; ret action
//	ALLOW; unknown: ENOSYS (or ALLOW with allow = ["@unknown"]); the denial actions
//	lib:  libseccomp's program

// preludeArgRule is an allow-only rule the prelude checks.
type preludeArgRule struct {
	name string
	// The call's number on each entry point (x32's with bit 30); -1 where
	// the call does not exist.
	nrX86_64, nrI386, nrX32 int64
	arg                     int
	allow                   []uint32
	action                  uint32
}

// preludeSpec is what the prelude decides.
type preludeSpec struct {
	maxKnown      uint32
	deny          map[uint32]uint32 // shared number -> action
	unknownAction uint32
	argRules      []preludeArgRule
}

// asm is a tiny assembler with labels for forward jumps.
type asm struct {
	insns  []asmInsn
	labels map[string]int
}

type asmInsn struct {
	code   uint16
	k      uint32
	jt, jf string // labels of conditional jumps; "" is the next instruction
	ja     string // label of an unconditional jump
}

func (a *asm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.insns)
}

func (a *asm) emit(in asmInsn) { a.insns = append(a.insns, in) }
func (a *asm) ld(off uint32)   { a.emit(asmInsn{code: opLdAbs, k: off}) }
func (a *asm) ret(k uint32)    { a.emit(asmInsn{code: opRetK, k: k}) }
func (a *asm) sub(k uint32)    { a.emit(asmInsn{code: opAluSub, k: k}) }
func (a *asm) ja(l string)     { a.emit(asmInsn{code: opJa, ja: l}) }
func (a *asm) jeq(k uint32, jt, jf string) {
	a.emit(asmInsn{code: opJeqK, k: k, jt: jt, jf: jf})
}
func (a *asm) jge(k uint32, jt, jf string) {
	a.emit(asmInsn{code: opJgeK, k: k, jt: jt, jf: jf})
}
func (a *asm) jgt(k uint32, jt, jf string) {
	a.emit(asmInsn{code: opJgtK, k: k, jt: jt, jf: jf})
}

// chain compares A with each k in turn, jumping to the matching label, and
// goes to otherwise when none matches; the last comparison jumps there
// itself instead of through an extra ja.
func (a *asm) chain(ks []uint32, labels []string, otherwise string) {
	if len(ks) == 0 {
		a.ja(otherwise)
		return
	}
	for i, k := range ks {
		jf := ""
		if i == len(ks)-1 {
			jf = otherwise
		}
		a.jeq(k, labels[i], jf)
	}
}

// assemble resolves labels. The label "lib" is the instruction after the
// prelude. Conditional jumps reach at most 255 instructions ahead.
func (a *asm) assemble() ([]unix.SockFilter, error) {
	a.label("lib")
	out := make([]unix.SockFilter, len(a.insns))
	off := func(pc int, l string) (int, error) {
		if l == "" {
			return 0, nil
		}
		t, ok := a.labels[l]
		if !ok {
			return 0, fmt.Errorf("prelude: undefined label %q", l)
		}
		if t <= pc {
			return 0, fmt.Errorf("prelude: backward jump to %q", l)
		}
		return t - pc - 1, nil
	}
	for pc, in := range a.insns {
		f := unix.SockFilter{Code: in.code, K: in.k}
		if in.code == opJa {
			o, err := off(pc, in.ja)
			if err != nil {
				return nil, err
			}
			f.K = uint32(o)
		} else if in.code&0x07 == unix.BPF_JMP {
			jt, err := off(pc, in.jt)
			if err != nil {
				return nil, err
			}
			jf, err := off(pc, in.jf)
			if err != nil {
				return nil, err
			}
			if jt > 255 || jf > 255 {
				return nil, fmt.Errorf("prelude: jump too far at %d", pc)
			}
			f.Jt, f.Jf = uint8(jt), uint8(jf)
		}
		out[pc] = f
	}
	return out, nil
}

// buildPrelude writes the prelude for a spec.
func buildPrelude(s preludeSpec) ([]unix.SockFilter, error) {
	var a asm
	rets := map[uint32]string{}
	retLabel := func(action uint32) string {
		if l, ok := rets[action]; ok {
			return l
		}
		l := fmt.Sprintf("ret_%#x", action)
		rets[action] = l
		return l
	}
	argLabel := func(i int) string { return fmt.Sprintf("arg_%d", i) }

	a.ld(offArch)
	a.jeq(auditArchX86_64, "x64", "")
	a.jeq(auditArchI386, "i386", "lib")

	// x86-64 (and x32, which shares the audit arch).
	// argChecks sends the calls with prelude argument rules to them and
	// everything else on to libseccomp; nr picks an entry point's number.
	argChecks := func(nr func(preludeArgRule) int64) {
		var ks []uint32
		var ls []string
		for i, r := range s.argRules {
			if n := nr(r); n >= 0 {
				ks = append(ks, uint32(n))
				ls = append(ls, argLabel(i))
			}
		}
		a.chain(ks, ls, "lib")
	}

	a.label("x64")
	a.ld(offNr)
	a.jge(x32SyscallBit, "x32", "")
	a.jge(firstCommonNr, "new", "")
	argChecks(func(r preludeArgRule) int64 { return r.nrX86_64 })

	a.label("x32")
	a.jge(x32SyscallBit|(x32CompatLast+1), "unknown", "")
	a.jge(x32SyscallBit|x32CompatFirst, "lib", "")
	a.jge(x32SyscallBit|firstCommonNr, "x32new", "")
	argChecks(func(r preludeArgRule) int64 { return r.nrX32 })
	a.label("x32new")
	a.sub(x32SyscallBit)
	a.ja("new")

	a.label("i386")
	a.ld(offNr)
	a.jge(firstCommonNr, "new", "")
	argChecks(func(r preludeArgRule) int64 { return r.nrI386 })

	// The shared numbering; A holds the number without the x32 bit.
	a.label("new")
	a.jgt(s.maxKnown, "unknown", "")
	nrs := make([]uint32, 0, len(s.deny))
	for nr := range s.deny {
		if nr <= s.maxKnown {
			nrs = append(nrs, nr)
		}
	}
	sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })
	n := 0
	var search func(nrs []uint32)
	search = func(nrs []uint32) {
		if len(nrs) <= 3 {
			ls := make([]string, len(nrs))
			for i, nr := range nrs {
				ls[i] = retLabel(s.deny[nr])
			}
			a.chain(nrs, ls, "allow")
			return
		}
		mid := len(nrs) / 2
		right := fmt.Sprintf("right_%d", n)
		n++
		a.jge(nrs[mid], right, "")
		search(nrs[:mid])
		a.label(right)
		search(nrs[mid:])
	}
	search(nrs)

	for i, r := range s.argRules {
		a.label(argLabel(i))
		a.ld(offArg(r.arg)) // low 32 bits: the kernel takes an unsigned int
		for _, v := range r.allow {
			a.jeq(v, "allow", "")
		}
		a.ret(r.action)
	}

	a.label("allow")
	a.ret(unix.SECCOMP_RET_ALLOW)
	a.label("unknown")
	a.ret(s.unknownAction)

	actions := make([]uint32, 0, len(rets))
	for act := range rets {
		actions = append(actions, act)
	}
	sort.Slice(actions, func(i, j int) bool { return actions[i] < actions[j] })
	for _, act := range actions {
		a.label(rets[act])
		a.ret(act)
	}
	return a.assemble()
}
