// hutch does not need the runtime to size GOMAXPROCS from cgroup limits;
// reading them costs startup time on every launch.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/hutch-sandbox/hutch/idmap"
	"github.com/hutch-sandbox/hutch/sandbox"
)

func init() {
	// The sandbox init must stay on the main thread (see sandbox.RunInit).
	runtime.LockOSThread()
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == sandbox.InitArg {
		sandbox.RunInit(os.Args[2:])
	}
	home, _ := os.UserHomeDir()
	spec := &sandbox.Spec{
		Namespaces: map[sandbox.Kind]sandbox.Share{},
		Identity:   idReq(),
		Hostname:   "hutch",
		Mounts: []sandbox.Mount{
			{Type: sandbox.ROBind, Source: "/usr", Target: "/usr"},
			{Type: sandbox.ROBind, Source: "/etc", Target: "/etc"},
			{Type: sandbox.Symlink, Source: "usr/bin", Target: "/bin"},
			{Type: sandbox.Symlink, Source: "usr/lib", Target: "/lib"},
			{Type: sandbox.Symlink, Source: "usr/lib64", Target: "/lib64"},
			{Type: sandbox.Symlink, Source: "usr/sbin", Target: "/sbin"},
			{Type: sandbox.Proc, Target: "/proc"},
			{Type: sandbox.Dev, Target: "/dev"},
			{Type: sandbox.Tmpfs, Target: "/tmp", Mode: 01777},
			{Type: sandbox.Tmpfs, Target: home},
		},
		Process: sandbox.Process{Args: os.Args[1:], NewSession: true, DieWithParent: true},
	}
	spec.BoottimeOffset = 72 * 3600e9
	s, err := sandbox.Start(spec, sandbox.Options{Environ: os.Environ(), Cwd: mustwd()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "hutch:", err)
		os.Exit(125)
	}
	code, err := s.Wait()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hutch:", err)
	}
	os.Exit(code)
}

func mustwd() string           { d, _ := os.Getwd(); return d }
func idReq() (r idmap.Request) { r.UID = uint32(os.Getuid()); r.GID = uint32(os.Getgid()); return }
