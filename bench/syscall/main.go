// Command syscall measures what hutch's seccomp filter adds to every
// system call it lets through. It runs the getppid loop (bench/syscall/
// getppid) outside any sandbox, inside "hutch run" with the default
// filter, inside "hutch run --seccomp none", and inside bubblewrap with no
// filter, and prints a markdown table of the nanoseconds per call.
//
// The cases run interleaved: each round runs every case once, in a fresh
// random order, so that machine noise lands on all of them alike. The
// filter's cost is the median over rounds of each round's difference
// between hutch with and without the filter.
//
// Run it from the repository as root (the loops then run as nobody) or as
// an unprivileged user:
//
//	go run ./bench/syscall [-n 15] [-calls 500000] [-hutch PATH]
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hutch-sandbox/hutch/bench"
)

func main() {
	n := flag.Int("n", 15, "measured rounds; each runs every case once")
	warmup := flag.Int("warmup", 1, "rounds run first and not counted")
	calls := flag.Int64("calls", 500_000, "getppid calls timed per run")
	hutchPath := flag.String("hutch", "", "use this hutch binary instead of building ./cmd/hutch")
	seed := flag.Uint64("seed", 0, "seed of the per-round order (0: from the clock)")
	timeout := flag.Duration("timeout", 2*time.Minute, "time limit of one run")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./bench/syscall [flags]\n\n")
		fmt.Fprintf(os.Stderr, "Times raw getppid calls outside any sandbox, in hutch with and without its seccomp filter, and in bwrap.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *n < 1 || *warmup < 0 || *calls < 1 {
		bench.Fatal(fmt.Errorf("-n and -calls must be at least 1, -warmup at least 0"))
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	bench.Main(*timeout, func(env *bench.Env) error { return run(env, *n, *warmup, *calls, *hutchPath, *seed) })
}

type loopCase struct {
	bench.Cmd
	ns              []float64 // best slice of each measured round
	mean            []float64 // all calls of each measured round
	seccomp, filter string    // as the loop saw them
}

func run(env *bench.Env, n, warmup int, calls int64, hutchPath string, seed uint64) error {
	hutch, err := env.Hutch(hutchPath)
	if err != nil {
		return err
	}
	loop, err := env.Build("getppid", "./bench/syscall/getppid", "CGO_ENABLED=0")
	if err != nil {
		return err
	}
	bwrap, err := bench.LookPath("bwrap")
	if err != nil {
		return err
	}
	count := strconv.FormatInt(calls, 10)
	// hutch builds the sandbox's root on an empty file system, so the loop
	// can sit at /getppid; bwrap's root is the host's, read-only, where
	// only the fresh /tmp has room for it.
	cases := []*loopCase{
		{Cmd: bench.Cmd{Name: "no sandbox", Args: []string{loop, "-n", count}}},
		{Cmd: bench.Cmd{Name: "hutch run", Args: []string{hutch, "run", "--ro-bind", loop, "/getppid", "--", "/getppid", "-n", count}}},
		{Cmd: bench.Cmd{Name: "hutch run --seccomp none", Args: []string{hutch, "run", "--seccomp", "none", "--ro-bind", loop, "/getppid", "--", "/getppid", "-n", count}}},
		{Cmd: bench.Cmd{Name: "bwrap (no filter)", Args: []string{bwrap, "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc",
			"--dev", "/dev", "--tmpfs", "/tmp", "--ro-bind", loop, "/tmp/getppid", "--die-with-parent", "--new-session", "/tmp/getppid", "-n", count}}},
	}
	const (
		outside      = 0
		hutchDefault = 1
		hutchNone    = 2
	)

	rng := rand.New(rand.NewPCG(seed, 0x68757463))
	start := time.Now()
	for round := -warmup; round < n; round++ {
		for _, i := range rng.Perm(len(cases)) {
			c := cases[i]
			r, err := env.Run(c.Cmd)
			if err != nil {
				return err
			}
			out := fields(string(r.Stdout))
			ns, err1 := strconv.ParseFloat(out["ns_per_call_best"], 64)
			mean, err2 := strconv.ParseFloat(out["ns_per_call"], 64)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("%s: no ns_per_call_best or ns_per_call in the loop's output:\n%s\nstderr:\n%s", c.Name, r.Stdout, r.Stderr)
			}
			if round >= 0 {
				c.ns = append(c.ns, ns)
				c.mean = append(c.mean, mean)
			}
			c.seccomp, c.filter = out["seccomp"], out["seccomp_filters"]
		}
	}
	elapsed := time.Since(start)

	fmt.Printf("getppid(2) loop, %d calls a run, %d interleaved rounds (+%d warm-up), %s.\n\n", calls, n, warmup, env.Machine())
	fmt.Println("| case | ns/call | min / max | vs no sandbox | mean of all calls | seccomp inside |")
	fmt.Println("|---|---:|---:|---:|---:|---|")
	base := bench.Median(cases[outside].ns)
	for _, c := range cases {
		med := bench.Median(c.ns)
		fmt.Printf("| `%s` | %.1f | %.1f / %.1f | %+.1f ns | %.1f | %s |\n", c.Name, med,
			bench.Quantile(c.ns, 0), bench.Quantile(c.ns, 1), med-base, bench.Median(c.mean), describe(c.seccomp, c.filter))
	}
	fmt.Printf("\nns/call: median over the rounds of the per-call mean of the run's fastest hundredth of the loop; min / max of that over the rounds. " +
		"Mean of all calls: median over the rounds of the whole loop's average, noise included.\n")

	def, none := cases[hutchDefault].ns, cases[hutchNone].ns
	diffs := make([]float64, len(def))
	for i := range def {
		diffs[i] = def[i] - none[i]
	}
	cost := bench.Median(diffs)
	verdict := "within"
	if cost > 70 {
		verdict = "OVER"
	}
	fmt.Printf("Filter cost per allowed system call (hutch run minus hutch run --seccomp none, median of per-round differences, "+
		"spread %.1f to %.1f ns): %+.1f ns (%+.1f%%), %s the +70 ns target.\n",
		bench.Quantile(diffs, 0), bench.Quantile(diffs, 1), cost, 100*cost/bench.Median(none), verdict)
	if cases[hutchDefault].seccomp != "2" {
		fmt.Printf("NOTE: the loop ran with no filter inside \"hutch run\" (Seccomp %s): hutch does not install its filter yet, so both hutch rows measure the same thing.\n",
			cases[hutchDefault].seccomp)
	}
	fmt.Printf("Run-to-run noise (median absolute deviation over the rounds, no-sandbox case): %.1f ns.\n", mad(cases[outside].ns))
	fmt.Printf("Total %.1f s, %d runs, seed %d.\n", elapsed.Seconds(), (n+warmup)*len(cases), seed)
	return nil
}

func describe(mode, filters string) string {
	switch mode {
	case "0":
		return "none"
	case "2":
		return "filter mode, " + filters + " filter(s)"
	}
	return "Seccomp " + mode
}

// fields parses the loop's "key value" lines.
func fields(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), " "); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// mad is the median absolute deviation from the median.
func mad(xs []float64) float64 {
	med := bench.Median(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - med)
	}
	return bench.Median(dev)
}
