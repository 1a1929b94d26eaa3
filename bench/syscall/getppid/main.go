// Command getppid times a tight loop of raw getppid(2) system calls and
// prints the mean cost of one call over all of them, the mean of the
// fastest of -batches (100) equal slices of the loop, and the seccomp state it
// ran under (from /proc/self/status), one "key value" pair a line:
//
//	iterations 10000000
//	ns_per_call 61.27
//	ns_per_call_best 60.80
//	seccomp 2
//	seccomp_filters 1
//
// The best slice is the figure least disturbed by other work on the
// machine (an interrupt, another process taking the CPU); what a seccomp
// filter adds to a call is CPU work that every slice pays alike.
//
// getppid is the cheapest system call there is: it takes no arguments,
// touches no user memory and no lock, so what the loop measures is the
// kernel's entry and exit path plus whatever a seccomp filter adds to it.
// The bench/syscall driver runs it outside any sandbox, inside hutch with
// and without its filter, and inside bubblewrap.
//
// It is built static (CGO_ENABLED=0) so it runs in any sandbox root. The
// loop runs on a locked thread with raw system calls, so the Go scheduler
// is not involved; the runtime's preemption signal, sent at most every
// 10 ms, adds well under 0.1% to the figure.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int64("n", 10_000_000, "number of getppid calls to time")
	batches := flag.Int64("batches", 100, "slices the calls are timed in")
	flag.Parse()
	if *n <= 0 || *batches <= 0 || *batches > *n {
		fmt.Fprintln(os.Stderr, "getppid: -n and -batches must be positive, -batches at most -n")
		os.Exit(2)
	}
	runtime.LockOSThread()

	// One checked call: a filter that denied getppid would make the loop
	// measure the error path instead.
	if _, _, errno := syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0); errno != 0 {
		fmt.Fprintf(os.Stderr, "getppid: the system call failed: %v\n", errno)
		os.Exit(1)
	}
	// Warm up the caches and let the CPU settle on a frequency.
	warm := max(*n/20, 1)
	for i := int64(0); i < warm; i++ {
		syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
	}

	per := *n / *batches
	var total time.Duration
	best := math.Inf(1)
	for b := int64(0); b < *batches; b++ {
		m := per
		if b == *batches-1 {
			m = *n - per*(*batches-1)
		}
		start := time.Now()
		for i := int64(0); i < m; i++ {
			syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
		}
		d := time.Since(start)
		total += d
		best = min(best, float64(d.Nanoseconds())/float64(m))
	}

	mode, filters := seccompState()
	fmt.Printf("iterations %d\n", *n)
	fmt.Printf("ns_per_call %.2f\n", float64(total.Nanoseconds())/float64(*n))
	fmt.Printf("ns_per_call_best %.2f\n", best)
	fmt.Printf("seccomp %s\n", mode)
	fmt.Printf("seccomp_filters %s\n", filters)
}

// seccompState returns the Seccomp and Seccomp_filters fields of
// /proc/self/status ("?" when unreadable).
func seccompState() (mode, filters string) {
	mode, filters = "?", "?"
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "Seccomp":
			mode = strings.TrimSpace(v)
		case "Seccomp_filters":
			filters = strings.TrimSpace(v)
		}
	}
	return
}
