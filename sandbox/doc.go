// Package sandbox owns the life of a hutch sandbox: the resolved Spec
// that describes it, starting it (user namespace first, the others owned
// by it, id maps written from outside), the re-executed init inside that
// builds the root, restricts itself and the app (capabilities,
// no_new_privs, Landlock, the seccomp program), reaps and relays
// signals, and the state of named sandboxes with what works on them:
// listing, inspecting, exec through the init's control socket, joining
// namespaces, stopping, and the host checks of hutch doctor.
//
// Go's multi-threaded runtime cannot enter user or mount namespaces with
// setns, so everything that must happen in new namespaces happens in a
// fresh process: the init, or, to join a running sandbox, a re-executed
// hutch whose C constructor (package early) calls setns before the
// runtime starts. The init is started one of two ways. Direct
// (direct.go): for "hutch run" the constructor of package early clones
// hutch into new namespaces of every kind but time before its runtime
// starts, and that child resolves the profiles, builds the sandbox in
// place and serves as its init, while the process that was hutch stays
// outside as a small monitor in C. An anonymous sandbox that shares no
// namespace but time with the host and whose ids are the caller's is
// started so; it
// costs one Go runtime start instead of two in a row. Every other sandbox
// gets an init re-executed through /proc/self/exe with the spec's clone
// flags, which receives the spec over a channel. Past that, the two run
// the same code.
package sandbox
