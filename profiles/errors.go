package profiles

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is a problem at a place in a profile. Its text starts with
// file:line:column so editors and terminals can jump to it.
type Error struct {
	Source string // the file as given, or builtin:NAME.toml
	Line   int    // 1-based
	Col    int    // 1-based, in bytes, like the TOML parser's own errors
	Key    string // dotted key path, mount[2].target; empty for syntax errors
	Msg    string
	Err    error // the underlying cause, if any
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.Source, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.Source, e.Line, e.Col, e.Key, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem found in one profile, in file order. A profile
// is checked as a whole so that one run of `hutch profile check` shows all
// of its mistakes, not one at a time.
type ErrorList []*Error

// maxErrors bounds the report; past it the rest are likely consequences.
const maxErrors = 20

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i == maxErrors {
			fmt.Fprintf(&b, "\n(and %d more)", len(l)-maxErrors)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.As find the first *Error.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		if c := cmp.Compare(a.Line, b.Line); c != 0 {
			return c
		}
		return cmp.Compare(a.Col, b.Col)
	})
}
