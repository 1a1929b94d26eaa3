package profiles

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/hutch-sandbox/hutch/idmap"
)

// Resolved is profiles merged with their parents and the CLI's layers.
type Resolved struct {
	// Profile is the merged result; its Description joins those of the
	// profiles asked for, and it extends nothing.
	Profile *Profile
	// Sources are the profiles applied, in order: files as found, and
	// built-ins as builtin:NAME.toml (which are not host files; see Files).
	Sources []string
	// Names are the profiles asked for, for Spec.Profiles.
	Names []string
	// Layered is set when a layer (the CLI's options) said something on
	// top of the named profiles: errors then name both.
	Layered bool

	files []string
}

// Files returns the absolute paths of the host files among Sources: what
// hutch keeps the sandbox from writing.
func (r *Resolved) Files() []string { return slices.Clone(r.files) }

// Resolve loads the named profiles (or "default" when none is named), each
// with its parents depth-first, merges them in order, and merges the
// layers (the CLI's flags) on top. A profile reached more than once, as in
// a diamond of extends, is applied once, at its first place.
func (l *Loader) Resolve(names []string, layers ...*Profile) (*Resolved, error) {
	if len(names) == 0 {
		names = []string{"default"}
	}
	r := &resolver{l: l, applied: map[string]bool{}}
	var descs []string
	for _, name := range names {
		f, skip, err := r.ref(name, "")
		if err != nil {
			return nil, err
		}
		if skip {
			continue
		}
		p, err := r.visit(name, f)
		if err != nil {
			return nil, err
		}
		if p.Description != "" {
			descs = append(descs, p.Description)
		}
	}
	layered := false
	for _, layer := range layers {
		if layer == nil || saysNothing(reflect.ValueOf(*layer)) {
			continue
		}
		layered = true
		if err := r.parents(layer, ""); err != nil {
			return nil, err
		}
		r.order = append(r.order, layer)
	}
	merged := &Profile{}
	for _, p := range r.order {
		merged.apply(p)
	}
	merged.Description = strings.Join(descs, "; ")
	return &Resolved{Profile: merged, Sources: r.sources, Names: slices.Clone(names), Layered: layered, files: r.files}, nil
}

// saysNothing reports whether a layer sets nothing: every exported field
// nil, empty or zero, however deep.
func saysNothing(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !saysNothing(v.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	default:
		return v.IsZero()
	}
}

type resolver struct {
	l       *Loader
	applied map[string]bool
	stack   []string // keys of the profiles being visited, for cycles
	chain   []string // how each was named, for the cycle message
	order   []*Profile
	sources []string
	files   []string
}

// ref finds a profile reference and checks it against the current chain.
// skip is set when the profile was already applied.
func (r *resolver) ref(arg, relDir string) (f found, skip bool, err error) {
	f, err = r.l.find(arg, relDir)
	if err != nil {
		return f, false, err
	}
	if i := slices.Index(r.stack, f.key); i >= 0 {
		chain := append(slices.Clone(r.chain[i:]), arg)
		hint := ""
		if _, builtin := builtinData(arg); builtin && len(chain) == 2 && !IsPath(arg) && !strings.HasPrefix(arg, builtinPrefix) {
			hint = fmt.Sprintf(" (a profile that shadows a built-in reaches it as %q)", builtinPrefix+arg)
		}
		return f, false, fmt.Errorf("extends cycle: %s%s", strings.Join(chain, " -> "), hint)
	}
	return f, r.applied[f.key], nil
}

// visit parses a found profile, applies its parents, then records it.
func (r *resolver) visit(arg string, f found) (*Profile, error) {
	p, err := Parse(f.source, f.data, r.l.Vars)
	if err != nil {
		return nil, err
	}
	r.stack = append(r.stack, f.key)
	r.chain = append(r.chain, arg)
	err = r.parents(p, f.dir)
	r.stack = r.stack[:len(r.stack)-1]
	r.chain = r.chain[:len(r.chain)-1]
	if err != nil {
		return nil, err
	}
	r.applied[f.key] = true
	r.order = append(r.order, p)
	r.sources = append(r.sources, f.source)
	if f.file {
		r.files = append(r.files, f.key)
	}
	return p, nil
}

// parents applies p's extends in order. A reference that does not resolve
// is reported at its place in p; errors inside a parent are the parent's
// own and already say where.
func (r *resolver) parents(p *Profile, dir string) error {
	for i, parent := range p.Extends {
		f, skip, err := r.ref(parent, dir)
		if err != nil {
			return p.errorAt(indexPath("extends", i+1), err)
		}
		if skip {
			continue
		}
		if _, err := r.visit(parent, f); err != nil {
			return err
		}
	}
	return nil
}

// errorAt places err at key in p's file, or names p's source when p was
// not parsed from text.
func (p *Profile) errorAt(key string, err error) error {
	if p.loc == nil {
		src := p.Source
		if src == "" {
			src = "command line"
		}
		return fmt.Errorf("%s: %s: %w", src, key, err)
	}
	at := p.loc.valPos(key)
	return &Error{Source: p.Source, Line: at.line, Col: at.col, Key: key, Msg: err.Error(), Err: err}
}

// Check loads one profile (a name or a path, as everywhere) with its
// parents and builds its Spec, with a placeholder command if it has none:
// what `hutch profile check FILE` reports.
func (l *Loader) Check(arg string) error {
	res, err := l.Resolve([]string{arg})
	if err != nil {
		return err
	}
	var args []string
	if len(res.Profile.Process.Command) == 0 {
		args = []string{"/bin/true"}
	}
	caller := idmap.Caller{UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
	_, err = res.Spec(args, caller)
	return err
}
