// Command startup measures how long it takes to start /bin/true in a
// sandbox, and the peak RSS on the way, for hutch's default profile with
// and without its seccomp filter, for bubblewrap with a comparable set of
// namespaces and mounts, for unshare(1) with every namespace and nothing
// else, and for /bin/true started directly.
//
// The commands run interleaved: each round runs every command once, in a
// fresh random order, so that machine noise (another process, a frequency
// change, page-cache state) lands on all of them alike. It prints a
// markdown table of the medians and the 10th and 90th percentiles of the
// wall time, the median ru_maxrss, and each median's ratio to bubblewrap's.
// Both figures come from the harness's launcher, which spawns each command
// and reaps it with wait4 (see package bench).
//
// Run it from the repository as root (the commands then run as nobody) or
// as an unprivileged user:
//
//	go run ./bench/startup [-n 30] [-warmup 3] [-hutch PATH]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/hutch-sandbox/hutch/bench"
)

func main() {
	n := flag.Int("n", 30, "measured rounds; each runs every command once")
	warmup := flag.Int("warmup", 3, "rounds run first and not counted")
	hutchPath := flag.String("hutch", "", "use this hutch binary instead of building ./cmd/hutch")
	seed := flag.Uint64("seed", 0, "seed of the per-round order (0: from the clock)")
	timeout := flag.Duration("timeout", 30*time.Second, "time limit of one command")
	flag.Parse()
	if *n < 1 || *warmup < 0 {
		bench.Fatal(fmt.Errorf("-n must be at least 1 and -warmup at least 0"))
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}

	bench.Main(*timeout, func(env *bench.Env) error { return run(env, *n, *warmup, *hutchPath, *seed) })
}

type tool struct {
	bench.Cmd
	hutch bool      // Args[0] is hutch, taken from the copies in turn
	wall  []float64 // ms, one per measured round
	rss   []float64 // KiB
}

// hutchCopies is how many files the hutch rows take turns with. Identical
// copies of one binary start up to 1 ms apart on the development VM,
// steadily per file, depending on how the file's pages sit in the page
// cache; taking turns keeps one file's luck out of the medians.
const hutchCopies = 3

func run(env *bench.Env, n, warmup int, hutchPath string, seed uint64) error {
	hutch, err := env.Hutch(hutchPath)
	if err != nil {
		return err
	}
	copies := []string{hutch}
	for i := 1; i < hutchCopies; i++ {
		c, err := env.Install(fmt.Sprintf("hutch-copy%d", i), hutch)
		if err != nil {
			return err
		}
		copies = append(copies, c)
	}
	if err := env.BuildLauncher(); err != nil {
		return err
	}
	bwrap, err := bench.LookPath("bwrap")
	if err != nil {
		return err
	}
	unshare, err := bench.LookPath("unshare")
	if err != nil {
		return err
	}
	const truePath = "/bin/true"
	if _, err := os.Stat(truePath); err != nil {
		return err
	}
	tools := []*tool{
		{hutch: true, Cmd: bench.Cmd{Name: "hutch run", Args: []string{hutch, "run", "--", truePath}}},
		{hutch: true, Cmd: bench.Cmd{Name: "hutch run --seccomp none", Args: []string{hutch, "run", "--seccomp", "none", "--", truePath}}},
		// The init started the way a named sandbox's is: re-executed after
		// the profiles are resolved, instead of hutch serving as the init.
		{hutch: true, Cmd: bench.Cmd{Name: "hutch run, usual start (HUTCH_DIRECT=0)", Args: []string{hutch, "run", "--", truePath}, Env: []string{"HUTCH_DIRECT=0"}}},
		{Cmd: bench.Cmd{Name: "bwrap", Args: []string{bwrap, "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc",
			"--dev", "/dev", "--tmpfs", "/tmp", "--die-with-parent", "--new-session", truePath}}},
		{Cmd: bench.Cmd{Name: "unshare", Args: []string{unshare, "--user", "--map-root-user", "--mount", "--pid", "--fork",
			"--net", "--ipc", "--uts", "--cgroup", "--time", truePath}}},
		{Cmd: bench.Cmd{Name: "/bin/true (no sandbox)", Args: []string{truePath}}},
	}
	const (
		hutchDefault = 0
		hutchNone    = 1
		bwrapIdx     = 3
	)

	// Outside the timing: is hutch's filter actually loaded? The answer
	// explains a zero difference between the two hutch rows.
	filterState, err := seccompState(env, hutch)
	if err != nil {
		return err
	}

	rng := rand.New(rand.NewPCG(seed, 0x68757463))
	start := time.Now()
	for round := -warmup; round < n; round++ {
		for _, i := range rng.Perm(len(tools)) {
			t := tools[i]
			cmd := t.Cmd
			if t.hutch {
				// Each copy caches its own filter (the cache key names the
				// binary); the warm-up rounds fill all three.
				cmd.Args = append([]string{copies[(round+warmup)%len(copies)]}, cmd.Args[1:]...)
			}
			r, err := env.Run(cmd)
			if err != nil {
				return err
			}
			if round >= 0 {
				t.wall = append(t.wall, float64(r.Wall.Nanoseconds())/1e6)
				t.rss = append(t.rss, float64(r.MaxRSSKiB))
			}
		}
	}
	elapsed := time.Since(start)

	fmt.Printf("Start-up of %s: %d interleaved rounds (+%d warm-up), %s.\n\n", truePath, n, warmup, env.Machine())
	fmt.Println("| tool | median ms | p10 / p90 ms | peak RSS KiB | ratio to bwrap |")
	fmt.Println("|---|---:|---:|---:|---:|")
	bw := bench.Median(tools[bwrapIdx].wall)
	for _, t := range tools {
		med := bench.Median(t.wall)
		fmt.Printf("| `%s` | %.2f | %.2f / %.2f | %.0f | %.2f |\n", t.Name, med,
			bench.Quantile(t.wall, 0.1), bench.Quantile(t.wall, 0.9), bench.Median(t.rss), med/bw)
	}

	// The filter's start-up cost, paired by round: each round's default
	// run against the same round's no-filter run.
	def, none := tools[hutchDefault].wall, tools[hutchNone].wall
	diffs := make([]float64, len(def))
	for i := range def {
		diffs[i] = def[i] - none[i]
	}
	cost := bench.Median(diffs)
	pct := 100 * cost / bench.Median(none)
	verdict := "within"
	if pct > 10 {
		verdict = "OVER"
	}
	fmt.Printf("\nSeccomp filter start-up cost (hutch run minus hutch run --seccomp none, median of per-round differences, "+
		"interquartile range %+.2f to %+.2f ms): %+.2f ms (%+.1f%%), %s the +10%% target. Filter inside hutch run: %s.\n",
		bench.Quantile(diffs, 0.25), bench.Quantile(diffs, 0.75), cost, pct, verdict, filterState)
	fmt.Printf("Peak RSS is the median over runs of wait4's ru_maxrss: the largest single process of the tree (hutch's, bwrap's or unshare's own, or a reaped descendant's), not their sum.\n")
	fmt.Printf("Total %.1f s, %d runs, seed %d.\n", elapsed.Seconds(), (n+warmup)*len(tools), seed)
	return nil
}

// seccompState reports the Seccomp fields of /proc/self/status as seen
// by a process inside "hutch run".
func seccompState(env *bench.Env, hutch string) (string, error) {
	cat, err := bench.LookPath("cat")
	if err != nil {
		return "", err
	}
	r, err := env.Run(bench.Cmd{Name: "hutch run (seccomp check)", Args: []string{hutch, "run", "--", cat, "/proc/self/status"}})
	if err != nil {
		return "", err
	}
	var mode, filters string
	for _, line := range strings.Split(string(r.Stdout), "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch k {
		case "Seccomp":
			mode = strings.TrimSpace(v)
		case "Seccomp_filters":
			filters = strings.TrimSpace(v)
		}
	}
	switch mode {
	case "2":
		return fmt.Sprintf("loaded (Seccomp 2, %s filter(s))", filters), nil
	case "0":
		return "NOT loaded (Seccomp 0): hutch does not install its filter yet, so the two hutch rows run the same code", nil
	}
	return fmt.Sprintf("unknown (Seccomp %q)", mode), nil
}

func init() {
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./bench/startup [flags]\n\n")
		fmt.Fprintf(os.Stderr, "Times /bin/true under hutch, bwrap and unshare, interleaved, as an unprivileged user.\n\n")
		flag.PrintDefaults()
	}
}
