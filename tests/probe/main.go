// Command probe runs inside hutch sandboxes during the end-to-end tests
// and reports, one line per check, what the kernel answered, so the tests
// assert on errnos rather than on a shell's wording. It is built static
// (CGO_ENABLED=0) so it runs in any sandbox root.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe CHECK [ARGS]")
		os.Exit(2)
	}
	check, ok := checks[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "probe: unknown check %q\n", os.Args[1])
		os.Exit(2)
	}
	check(os.Args[2:])
}

var checks = map[string]func(args []string){
	"fds":     listFDs,
	"tiocsti": tiocsti,
	"errno":   syscallErrno,
	"ns":      namespaces,
	"prctl":   prctlState,
	"threads": threads,
	"sigint":  countSIGINT,
}

// countSIGINT prints "ready", counts the SIGINTs that arrive in the next
// second and prints "count N".
func countSIGINT([]string) {
	ch := make(chan os.Signal, 16)
	signal.Notify(ch, syscall.SIGINT)
	fmt.Println("ready")
	n := 0
	deadline := time.After(time.Second)
	for {
		select {
		case <-ch:
			n++
		case <-deadline:
			fmt.Println("count", n)
			return
		}
	}
}

// threads runs work on several OS threads at once, each making system
// calls, the way a multi-threaded Go server does, and prints "ok N".
func threads(args []string) {
	n := 8
	done := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			runtime.LockOSThread()
			f, err := os.CreateTemp("", "probe-thread-")
			if err == nil {
				_, err = f.WriteString(strings.Repeat("x", 4096))
				f.Close()
				os.Remove(f.Name())
			}
			done <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-done; err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
	}
	fmt.Println("ok", n)
}

// prctlState prints the securebits, no_new_privs and dumpable flags.
func prctlState([]string) {
	for _, q := range []struct {
		name   string
		option int
	}{{"securebits", unix.PR_GET_SECUREBITS}, {"no_new_privs", unix.PR_GET_NO_NEW_PRIVS}, {"dumpable", unix.PR_GET_DUMPABLE}} {
		v, err := unix.PrctlRetInt(q.option, 0, 0, 0, 0)
		if err != nil {
			fmt.Println(q.name, errnoName(err))
			continue
		}
		fmt.Printf("%s %#x\n", q.name, v)
	}
}

// errnoName renders an error as the errno's symbolic name, or OK.
func errnoName(err error) string {
	if err == nil {
		return "OK"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		if name := unix.ErrnoName(e); name != "" {
			return name
		}
		return "errno" + strconv.Itoa(int(e))
	}
	return err.Error()
}

// listFDs prints the open descriptors except the one used to list them,
// on stdout or into the file args[0] names. It reads the directory with raw system calls: os.Open would add the Go
// runtime's own epoll descriptors to the list.
func listFDs(args []string) {
	dir, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	buf := make([]byte, 8192)
	n, err := unix.Getdents(dir, buf)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	var names []string
	_, _, names = unix.ParseDirent(buf[:n], -1, names)
	var fds []int
	for _, name := range names {
		fd, _ := strconv.Atoi(name)
		if fd != dir {
			fds = append(fds, fd)
		}
	}
	sort.Ints(fds)
	var out strings.Builder
	for _, fd := range fds {
		target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		fmt.Fprintf(&out, "%d %s\n", fd, target)
	}
	if len(args) == 0 {
		fmt.Print(out.String())
		return
	}
	// Into a file, for a probe whose stdout is closed.
	if err := os.WriteFile(args[0], []byte(out.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// tiocsti tries to push a character into the terminal on stdin.
func tiocsti([]string) {
	c := byte('x')
	_, _, e := unix.Syscall(unix.SYS_IOCTL, 0, unix.TIOCSTI, uintptr(unsafe.Pointer(&c)))
	if e != 0 {
		fmt.Println(errnoName(e))
		return
	}
	fmt.Println("OK")
}

// namespaces prints "kind inode" for each of the process's namespaces.
func namespaces([]string) {
	for _, kind := range []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"} {
		link, err := os.Readlink("/proc/self/ns/" + kind)
		if err != nil {
			fmt.Println(kind, errnoName(err))
			continue
		}
		fmt.Println(kind, strings.TrimSuffix(strings.SplitN(link, "[", 2)[1], "]"))
	}
}
