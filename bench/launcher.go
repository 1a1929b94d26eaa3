package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Why a C launcher: wait4's ru_maxrss for a child is the maximum of every
// memory image the child process ever had, and the first of them is the
// image it was forked (or vforked) from. A command started straight from
// the Go driver would report at least the driver's own RSS (about 4.5 MiB),
// hiding the real figure of anything smaller, such as bubblewrap or
// unshare. The launcher is a static C program of under 0.7 MiB resident
// (less than /bin/true's own 1 MiB, so it never shows): it posix_spawns the
// command, reaps it with wait4 and reports the wall time it measured around
// that and the largest ru_maxrss among the command and what it left
// behind. A Go launcher would not do: the smallest Go program is 1.5 MiB
// resident.
const launcherSource = `/* launch REPORT_FD CMD [ARGS...]: run CMD, reap it with wait4, then reap
 * whatever CMD left behind (the launcher is a child subreaper), and write
 * "WALL_NS MAXRSS_KIB WAIT_STATUS\n" to REPORT_FD. The wall time ends when
 * CMD is reaped; the peak RSS is the largest of CMD and every descendant
 * reaped, by CMD or by the launcher. Exits with CMD's status (128+N for
 * signal N), or 125 when it cannot run CMD. Built by the hutch benchmarks
 * (bench/launcher.go). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
	if (argc < 3) {
		fputs("usage: launch REPORT_FD CMD [ARGS...]\n", stderr);
		return 125;
	}
	int fd = atoi(argv[1]);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		perror("launch: report descriptor");
		return 125;
	}
	// A sandbox launcher may leave before its sandbox's init is gone, as
	// bubblewrap and hutch both do: that init is reparented here, and
	// reaped below, so that its memory counts.
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		perror("launch: subreaper");
		return 125;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid;
	int err = posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ);
	if (err != 0) {
		fprintf(stderr, "launch: %s: %s\n", argv[2], strerror(err));
		return 125;
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("launch: wait4");
			return 125;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long maxrss = ru.ru_maxrss;
	for (;;) {
		int left;
		struct rusage left_ru;
		if (wait4(-1, &left, 0, &left_ru) < 0) {
			if (errno == EINTR)
				continue;
			break; // ECHILD: nothing left
		}
		if (left_ru.ru_maxrss > maxrss)
			maxrss = left_ru.ru_maxrss;
	}
	long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	if (dprintf(fd, "%lld %ld %d\n", ns, maxrss, status) < 0) {
		perror("launch: report");
		return 125;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
`

// BuildLauncher compiles the launcher with the C compiler cgo uses ($CC,
// else cc; hutch needs it anyway for libseccomp) and makes Run use it:
// static when the C library allows, dynamic otherwise.
func (e *Env) BuildLauncher() error {
	src, err := e.WriteFile("launch.c", []byte(launcherSource))
	if err != nil {
		return err
	}
	cc := strings.Fields(os.Getenv("CC"))
	if len(cc) == 0 {
		cc = []string{"cc"}
	}
	out := filepath.Join(e.BinDir, "launch")
	var msgs []string
	for _, static := range []bool{true, false} {
		args := append(cc[1:len(cc):len(cc)], "-O2", "-o", out, src)
		if static {
			args = append(args, "-static")
		}
		msg, err := exec.Command(cc[0], args...).CombinedOutput()
		if err == nil {
			e.Launcher = out
			e.LauncherStatic = static
			return os.Chmod(out, 0o755)
		}
		msgs = append(msgs, fmt.Sprintf("%s %s: %v\n%s", cc[0], strings.Join(args, " "), err, msg))
	}
	return fmt.Errorf("building the launcher (a C compiler is needed, as for hutch itself):\n%s", strings.Join(msgs, ""))
}

// report is what the launcher wrote.
type report struct {
	wall   time.Duration
	maxRSS int64
	status syscall.WaitStatus
}

func parseReport(b []byte) (report, error) {
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return report{}, fmt.Errorf("launcher report %q: want 3 fields", b)
	}
	ns, err1 := strconv.ParseInt(f[0], 10, 64)
	rss, err2 := strconv.ParseInt(f[1], 10, 64)
	st, err3 := strconv.ParseUint(f[2], 10, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return report{}, fmt.Errorf("launcher report %q: not numbers", b)
	}
	return report{wall: time.Duration(ns), maxRSS: rss, status: syscall.WaitStatus(st)}, nil
}
