package seccomp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"golang.org/x/sys/unix"
)

// Program is a compiled filter, ready for Install. It crosses the pipe to
// the sandbox's init as JSON: {"bpf": "<base64 of the raw 8-byte
// sock_filter structs>"}, compact and byte-exact.
type Program struct {
	Filter []unix.SockFilter
}

type programJSON struct {
	BPF string `json:"bpf"`
}

// MarshalJSON encodes the program as base64 of its instructions.
func (p *Program) MarshalJSON() ([]byte, error) {
	return json.Marshal(programJSON{BPF: base64.StdEncoding.EncodeToString(encodeFilter(p.Filter))})
}

// UnmarshalJSON decodes what MarshalJSON wrote and checks the size.
func (p *Program) UnmarshalJSON(b []byte) error {
	var j programJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(j.BPF)
	if err != nil {
		return fmt.Errorf("seccomp program: %w", err)
	}
	prog, err := decodeFilter(raw)
	if err != nil {
		return err
	}
	if len(prog) > maxInsns {
		return fmt.Errorf("seccomp program: %d instructions, the kernel takes at most %d", len(prog), maxInsns)
	}
	p.Filter = prog
	return nil
}

// Evaluate runs the program on one system call as the kernel would and
// returns the SECCOMP_RET_* word: a pure-Go interpreter, for tests and for
// tools that want to show what a profile does to a given call on a given
// entry point (arch is an AUDIT_ARCH_* value; x32 is AUDIT_ARCH_X86_64 with
// bit 30 in nr).
func (p *Program) Evaluate(d Data) (uint32, error) {
	if p == nil {
		return unix.SECCOMP_RET_ALLOW, nil
	}
	return run(p.Filter, d)
}

// String disassembles the program.
func (p *Program) String() string {
	if p == nil {
		return "(no filter)\n"
	}
	return disassemble(p.Filter)
}

// MarshalBinary returns the raw instructions, 8 bytes each as the kernel
// lays out struct sock_filter, for caching a compiled program.
func (p *Program) MarshalBinary() ([]byte, error) {
	return encodeFilter(p.Filter), nil
}

// UnmarshalBinary reads what MarshalBinary wrote and checks the size.
func (p *Program) UnmarshalBinary(raw []byte) error {
	prog, err := decodeFilter(raw)
	if err != nil {
		return err
	}
	if len(prog) == 0 || len(prog) > maxInsns {
		return fmt.Errorf("seccomp program: %d instructions, want 1 to %d", len(prog), maxInsns)
	}
	p.Filter = prog
	return nil
}
