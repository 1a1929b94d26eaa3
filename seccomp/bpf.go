package seccomp

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Classic BPF as seccomp uses it: the program reads struct seccomp_data
//
//	offset 0: int nr; 4: u32 arch; 8: u64 instruction_pointer; 16+8*i: u64 args[i]
//
// (little-endian here, so the low half of args[i] is at 16+8*i) and returns
// an action. This file has the opcodes hutch emits, an interpreter used by
// the tests and by Evaluate, and a disassembler for explanations.
const (
	offNr   = 0
	offArch = 4

	opLdAbs  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	opJa     = unix.BPF_JMP | unix.BPF_JA
	opJeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	opJgeK   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	opJgtK   = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	opRetK   = unix.BPF_RET | unix.BPF_K
	opAluSub = unix.BPF_ALU | unix.BPF_SUB | unix.BPF_K

	seccompDataSize = 64
	maxInsns        = 4096 // BPF_MAXINSNS
)

func offArg(i int) uint32 { return uint32(16 + 8*i) }

// Data is the input of a seccomp filter.
type Data struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// bytes lays the data out as the kernel does on a little-endian machine.
func (d *Data) bytes() [seccompDataSize]byte {
	var b [seccompDataSize]byte
	binary.LittleEndian.PutUint32(b[0:], uint32(d.Nr))
	binary.LittleEndian.PutUint32(b[4:], d.Arch)
	binary.LittleEndian.PutUint64(b[8:], d.IP)
	for i, a := range d.Args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// run interprets a filter the way the kernel's classic BPF does for
// seccomp (forward jumps only, 16 scratch words, loads within
// seccomp_data) and returns the action word.
func run(prog []unix.SockFilter, d Data) (uint32, error) {
	var a, x uint32
	var mem [16]uint32
	data := d.bytes()
	load := func(pc int, off uint32) (uint32, error) {
		if off%4 != 0 || off+4 > seccompDataSize {
			return 0, fmt.Errorf("insn %d: load from offset %d outside seccomp_data", pc, off)
		}
		return binary.LittleEndian.Uint32(data[off:]), nil
	}
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		k := in.K
		src := k
		if in.Code&unix.BPF_X != 0 {
			src = x
		}
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			v, err := load(pc, k)
			if err != nil {
				return 0, err
			}
			a = v
		case unix.BPF_LDX | unix.BPF_W | unix.BPF_ABS:
			v, err := load(pc, k)
			if err != nil {
				return 0, err
			}
			x = v
		case unix.BPF_LD | unix.BPF_W | unix.BPF_LEN:
			a = seccompDataSize
		case unix.BPF_LDX | unix.BPF_W | unix.BPF_LEN:
			x = seccompDataSize
		case unix.BPF_LD | unix.BPF_IMM:
			a = k
		case unix.BPF_LDX | unix.BPF_IMM:
			x = k
		case unix.BPF_LD | unix.BPF_MEM, unix.BPF_LDX | unix.BPF_MEM, unix.BPF_ST, unix.BPF_STX:
			if k >= 16 {
				return 0, fmt.Errorf("insn %d: scratch word %d out of range", pc, k)
			}
			switch in.Code {
			case unix.BPF_LD | unix.BPF_MEM:
				a = mem[k]
			case unix.BPF_LDX | unix.BPF_MEM:
				x = mem[k]
			case unix.BPF_ST:
				mem[k] = a
			case unix.BPF_STX:
				mem[k] = x
			}
		case unix.BPF_MISC | unix.BPF_TAX:
			x = a
		case unix.BPF_MISC | unix.BPF_TXA:
			a = x
		case unix.BPF_RET | unix.BPF_K:
			return k, nil
		case unix.BPF_RET | unix.BPF_A:
			return a, nil
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(k)
		default:
			switch in.Code & 0x07 {
			case unix.BPF_ALU:
				switch in.Code & 0xf0 {
				case unix.BPF_ADD:
					a += src
				case unix.BPF_SUB:
					a -= src
				case unix.BPF_MUL:
					a *= src
				case unix.BPF_DIV:
					if src == 0 {
						return 0, nil // the kernel's classic BPF returns 0 (kill)
					}
					a /= src
				case unix.BPF_MOD:
					if src == 0 {
						return 0, nil
					}
					a %= src
				case unix.BPF_AND:
					a &= src
				case unix.BPF_OR:
					a |= src
				case unix.BPF_XOR:
					a ^= src
				case unix.BPF_LSH:
					a <<= src & 31
				case unix.BPF_RSH:
					a >>= src & 31
				case unix.BPF_NEG:
					a = -a
				default:
					return 0, fmt.Errorf("insn %d: unknown ALU opcode %#x", pc, in.Code)
				}
			case unix.BPF_JMP:
				var taken bool
				switch in.Code & 0xf0 {
				case unix.BPF_JEQ:
					taken = a == src
				case unix.BPF_JGT:
					taken = a > src
				case unix.BPF_JGE:
					taken = a >= src
				case unix.BPF_JSET:
					taken = a&src != 0
				default:
					return 0, fmt.Errorf("insn %d: unknown jump opcode %#x", pc, in.Code)
				}
				if taken {
					pc += int(in.Jt)
				} else {
					pc += int(in.Jf)
				}
			default:
				return 0, fmt.Errorf("insn %d: opcode %#x not allowed in seccomp", pc, in.Code)
			}
		}
	}
	return 0, fmt.Errorf("program runs off its end")
}

// disassemble renders a filter one instruction per line, with absolute
// jump targets, seccomp_data field names and action names.
func disassemble(prog []unix.SockFilter) string {
	var sb strings.Builder
	field := func(k uint32) string {
		switch {
		case k == offNr:
			return "nr"
		case k == offArch:
			return "arch"
		case k == 8:
			return "ip.lo"
		case k == 12:
			return "ip.hi"
		case k >= 16 && k < 64:
			half := "lo"
			if (k-16)%8 == 4 {
				half = "hi"
			}
			return fmt.Sprintf("args[%d].%s", (k-16)/8, half)
		}
		return fmt.Sprintf("[%d]", k)
	}
	for pc, in := range prog {
		var s string
		src := fmt.Sprintf("%#x", in.K)
		if in.Code&unix.BPF_X != 0 {
			src = "x"
		}
		target := func(off uint8) int { return pc + 1 + int(off) }
		switch {
		case in.Code == opLdAbs:
			s = "ld  " + field(in.K)
		case in.Code == unix.BPF_LD|unix.BPF_IMM:
			s = fmt.Sprintf("ld  #%#x", in.K)
		case in.Code == unix.BPF_LD|unix.BPF_MEM:
			s = fmt.Sprintf("ld  M[%d]", in.K)
		case in.Code == unix.BPF_LDX|unix.BPF_MEM:
			s = fmt.Sprintf("ldx M[%d]", in.K)
		case in.Code == unix.BPF_ST:
			s = fmt.Sprintf("st  M[%d]", in.K)
		case in.Code == unix.BPF_STX:
			s = fmt.Sprintf("stx M[%d]", in.K)
		case in.Code == unix.BPF_MISC|unix.BPF_TAX:
			s = "tax"
		case in.Code == unix.BPF_MISC|unix.BPF_TXA:
			s = "txa"
		case in.Code == unix.BPF_RET|unix.BPF_K:
			s = "ret " + actionName(in.K)
		case in.Code == unix.BPF_RET|unix.BPF_A:
			s = "ret a"
		case in.Code == opJa:
			s = fmt.Sprintf("ja  %d", pc+1+int(in.K))
		case in.Code&0x07 == unix.BPF_JMP:
			op := map[uint16]string{unix.BPF_JEQ: "jeq", unix.BPF_JGT: "jgt", unix.BPF_JGE: "jge", unix.BPF_JSET: "jset"}[in.Code&0xf0]
			s = fmt.Sprintf("%-4s%s, %d, %d", op, src, target(in.Jt), target(in.Jf))
		case in.Code&0x07 == unix.BPF_ALU:
			op := map[uint16]string{unix.BPF_ADD: "add", unix.BPF_SUB: "sub", unix.BPF_MUL: "mul", unix.BPF_DIV: "div",
				unix.BPF_MOD: "mod", unix.BPF_AND: "and", unix.BPF_OR: "or", unix.BPF_XOR: "xor",
				unix.BPF_LSH: "lsh", unix.BPF_RSH: "rsh", unix.BPF_NEG: "neg"}[in.Code&0xf0]
			s = fmt.Sprintf("%-4s%s", op, src)
		default:
			s = fmt.Sprintf("code=%#04x jt=%d jf=%d k=%#x", in.Code, in.Jt, in.Jf, in.K)
		}
		if in.Code&0x07 == unix.BPF_JMP && in.Code != opJa && (in.K == auditArchX86_64 || in.K == auditArchI386) {
			s += map[uint32]string{auditArchX86_64: "  ; AUDIT_ARCH_X86_64", auditArchI386: "  ; AUDIT_ARCH_I386"}[in.K]
		}
		fmt.Fprintf(&sb, "%4d: %s\n", pc, s)
	}
	return sb.String()
}

// actionName renders a SECCOMP_RET_* word.
func actionName(k uint32) string {
	switch k & unix.SECCOMP_RET_ACTION_FULL {
	case unix.SECCOMP_RET_ALLOW:
		return "ALLOW"
	case unix.SECCOMP_RET_KILL_PROCESS:
		return "KILL_PROCESS"
	case unix.SECCOMP_RET_KILL_THREAD:
		return "KILL_THREAD"
	case unix.SECCOMP_RET_LOG:
		return "LOG"
	case unix.SECCOMP_RET_TRAP:
		return "TRAP"
	case unix.SECCOMP_RET_ERRNO:
		return "ERRNO(" + errnoName(unix.Errno(k&unix.SECCOMP_RET_DATA)) + ")"
	}
	return fmt.Sprintf("%#x", k)
}
