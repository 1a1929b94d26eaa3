// Package tests holds hutch's end-to-end tests: they build the real hutch
// binary and run it as an unprivileged user (nobody when the tests run as
// root), checking from inside each sandbox what the app sees. The probe
// subdirectory is a small static program the tests run inside sandboxes to
// report what the kernel answers to particular system calls.
package tests
