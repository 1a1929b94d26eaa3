// Package bench is the harness shared by hutch's benchmark drivers,
// bench/startup (start-up time and peak RSS of hutch, bubblewrap and
// unshare) and bench/syscall (the per-system-call cost of hutch's seccomp
// filter). See bench/README.md for how to run them and the latest figures.
//
// The harness builds hutch from the repository into a fresh 0755
// directory and runs every measured command as an unprivileged user: uid
// and gid 65534 (nobody) with no supplementary groups when the driver runs
// as root, the caller itself otherwise. That user gets a home and a 0700
// XDG_RUNTIME_DIR of its own in a temporary directory. Each command is
// started without a shell, by a small static C launcher (launcher.go) that
// posix_spawns it, reaps it with wait4 and reports the wall time and
// ru_maxrss; started from the Go driver itself, a command's ru_maxrss
// would include the driver's own RSS. A command that exits non-zero, is
// killed or times out stops the benchmark with its stderr: a failing
// sandbox is never timed.
package bench
