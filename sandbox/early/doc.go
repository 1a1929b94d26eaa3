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
// Prespawning (prespawn.go): for "hutch run" the constructor forks the
// sandbox's init into new namespaces at once, so the init's Go runtime
// starts while hutch's own starts and parses the profiles, instead of
// after. hutch sends the spec to that init when the profile asks for its
// namespaces (those of the default profile) and discards it otherwise.
package early
