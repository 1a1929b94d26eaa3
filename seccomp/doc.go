// Package seccomp owns hutch's system call filtering: the named rule
// sets and @groups a profile refers to, the default filter, and compiling
// a Policy into BPF programs for every architecture the kernel runs
// natively (on x86-64 also i386 and x32) with libseccomp. The host side
// compiles; the sandbox's init only loads the finished program, so the
// policy language never reaches the inside.
package seccomp
