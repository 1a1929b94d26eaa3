// Package nsenter joins namespaces of a running sandbox before the Go
// runtime starts. A multi-threaded Go program cannot setns into a user
// namespace (the kernel refuses a process with more than one thread), so
// hutch re-executes itself with the namespace descriptors, and a C
// constructor, which runs while the process still has one thread, enters
// them; the Go code that follows runs inside. It acts only when the
// process was started as "hutch __hutch_join FDS ...", and does nothing
// otherwise. Import it for its side effect.
package nsenter
