package seccomp

import "encoding/binary"

// Policy is what a profile says about system calls. The zero value means
// the default filter with errno actions.
type Policy struct {
	// Base is the rule set to start from: "default" or "none".
	Base string `json:"base,omitempty"`
	// Action is what a denied call gets: "errno" (the rule's errno, EPERM
	// unless the rule says otherwise), "kill" (the process) or "log" (allowed
	// but logged by the kernel).
	Action string `json:"action,omitempty"`
	// Allow names system calls and @groups taken out of the denied set.
	Allow []string `json:"allow,omitempty"`
	// Deny names system calls and @groups added to the denied set.
	Deny []string `json:"deny,omitempty"`
	// NestedUserns lets the app create user namespaces (and with them the
	// other kinds), for apps that sandbox themselves.
	NestedUserns bool `json:"nested_userns,omitempty"`
}

// AppendKey appends to b a byte string that identifies the policy: two
// policies compile to the same program when their keys are equal. Every
// field is written with its length, so no two policies share a key. A
// hand-written encoding, because the key is made on every start and
// reflection-based encoders cost a noticeable share of it.
func (p Policy) AppendKey(b []byte) []byte {
	b = appendKeyString(b, p.Base)
	b = appendKeyString(b, p.Action)
	for _, list := range [][]string{p.Allow, p.Deny} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, name := range list {
			b = appendKeyString(b, name)
		}
	}
	if p.NestedUserns {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendKeyString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}
