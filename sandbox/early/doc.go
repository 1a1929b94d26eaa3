// Package early holds what hutch does before the Go runtime starts, while
// the process still has a single thread. Its C constructors act only when
// hutch was started for them and do nothing otherwise; import the package
// for their side effect.
//
// Joining (join.go): a multi-threaded Go program cannot setns into a user
// namespace, so to build a sandbox inside a running one hutch re-executes
// itself as "hutch __hutch_join FDS ..." and the constructor enters those
// namespaces; the Go code that follows runs inside.
//
// Direct start (direct.go): for "hutch run" the constructor clones the
// process into new namespaces of every kind but time and maps the
// caller's ids. The child goes on to start the Go runtime and becomes the
// sandbox's init; the parent stays in C as the monitor that relays
// signals and the exit status, or, when the child reports that the spec
// needs the usual start, returns and lets hutch start as if nothing had
// happened. Once the app has exited and the init has killed and reaped
// the rest of the sandbox, the init reports the status and the monitor
// leaves without waiting for the kernel to tear the init down. The direct
// init hears the signals it relays through a C handler and a pipe
// (RelayedSignalFD), not os/signal, which must not be used for them in a
// direct child; it starts the app with a vfork-style spawn (Spawn) that
// sets the profile's resource limits in the child, with the
// caller's signal mask and the relayed signals the caller ignored still
// ignored, as every start does (CallerIgnoredSignals).
//
// Heap (heap.go): the link wraps mmap, through which the Go runtime of a
// cgo binary maps memory, to ask for transparent huge pages on the first
// chunks of the Go heap: one fault instead of some 180 in every start.
package early
