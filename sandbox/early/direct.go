package early

/*
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/wait.h>
#include <unistd.h>

// DIRECT_FLAGS are the namespaces a direct start is cloned into: every
// kind but time, whose namespace only a process's children enter. They
// must all be new before the first thread exists: the network, IPC, UTS
// and cgroup namespaces belong to threads, and a runtime thread left in
// the host's would show the sandbox the host's network through
// /proc/1/task/TID/net. A profile that shares one of them needs the
// usual start.
#define DIRECT_FLAGS (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

// The reports of the direct child to the monitor, one byte each.
#define REPORT_FALL_BACK 'F'   // the spec needs the usual start
#define REPORT_NEW_SESSION 'S' // the app started in a session of its own
#define REPORT_SHARED_SESSION 's'
#define REPORT_EXIT 'X' // followed by one byte, the code to leave with

#define MAX_KEPT_FDS 64

// init_relayed_signals are the signals a direct init relays to its app
// (Go's relayedInitSignals; a test keeps the two equal). A C handler
// catches them (catch_relayed) and writes each one's number to a pipe the
// init reads once the app runs. os/signal would cost a thread of its own
// and a round trip to it per signal, some 0.6 ms of every start on the
// development VM. Blocking them and reading a signalfd would not do: the
// Go runtime unblocks SIGINT, SIGTERM, SIGHUP and SIGQUIT in every thread
// it starts.
static const int init_relayed_signals[] = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGINT, SIGQUIT, SIGWINCH, SIGTSTP, 0};
// The caller's signal mask, the app's too, and the relayed signals the
// caller ignored, which the app ignores as well (see catch_relayed).
static sigset_t caller_mask;
static sigset_t caller_ignored;
// spawn_defaults are the signals the app starts with at their default
// action: every one but those the caller ignored that still are in the
// init. Those are the relayed ones (see catch_relayed) and the ones the Go
// runtime leaves alone (SIGTTIN, SIGTTOU, and 32 to 34, which C libraries
// keep for themselves); the runtime handles the rest, which the app's
// spawn resets anyway. Naming them all spares the spawn a look at each
// signal's action before it sets it, some 64 system calls.
static sigset_t spawn_defaults;

// caller_ignores reads a signal's action with the raw system call: glibc's
// sigaction refuses 32 and 33. The kernel's struct starts with the handler.
static int caller_ignores(int sig) {
	void *kernel_action[4] = {0};
	return syscall(SYS_rt_sigaction, sig, NULL, kernel_action, 8) == 0 && kernel_action[0] == SIG_IGN;
}

// The caller's RLIMIT_NOFILE: the Go runtime raises the soft limit to the
// hard one in every Go process, and the app must start with the caller's.
static struct rlimit caller_nofile;
static int caller_nofile_known;

// record_caller notes, before the Go runtime changes them, the caller's
// RLIMIT_NOFILE and which signals it ignored: the runtime puts its own
// handler on most. Whatever the start, the app inherits the relayed ones
// ignored, as it would without hutch (nohup).
__attribute__((constructor)) static void record_caller(void) {
	caller_nofile_known = getrlimit(RLIMIT_NOFILE, &caller_nofile) == 0;
	spawn_defaults.__val[0] = ~0UL; // signals 1 to 64 are bits 0 to 63
	spawn_defaults.__val[0] &= ~(1UL << (SIGKILL - 1) | 1UL << (SIGSTOP - 1));
	for (const int *sig = init_relayed_signals; *sig; sig++)
		if (caller_ignores(*sig)) {
			sigaddset(&caller_ignored, *sig);
			spawn_defaults.__val[0] &= ~(1UL << (*sig - 1));
		}
	const int untouched[] = {SIGTTIN, SIGTTOU, 32, 33, 34};
	for (size_t i = 0; i < sizeof untouched / sizeof untouched[0]; i++)
		if (caller_ignores(untouched[i]))
			spawn_defaults.__val[0] &= ~(1UL << (untouched[i] - 1));
}

static int relay_pipe[2] = {-1, -1};

static void on_relayed(int sig) {
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	ssize_t n = write(relay_pipe[1], &b, 1);
	(void)n; // a full pipe would hold some 64 thousand signals not yet relayed
	errno = saved;
}

// catch_relayed installs on_relayed for the relayed signals, over the Go
// runtime's handlers, and returns the pipe's read end, or -1. Those the
// caller ignored too: the app ignores them as well (see spawn_child), but
// a SIGCONT must still reach it, for it resumes even an app that ignores
// it. SA_ONSTACK: the handler runs on Go's threads, whose goroutine
// stacks are too small for it.
static int catch_relayed(void) {
	if (pipe2(relay_pipe, O_CLOEXEC) != 0)
		return -1;
	fcntl(relay_pipe[1], F_SETFL, O_NONBLOCK);
	struct sigaction caught = {.sa_handler = on_relayed, .sa_flags = SA_ONSTACK | SA_RESTART};
	sigfillset(&caught.sa_mask);
	for (const int *sig = init_relayed_signals; *sig; sig++)
		if (sigaction(*sig, &caught, NULL) != 0)
			return -1;
	return relay_pipe[0];
}

// In the direct child: its end of the pipe to the monitor, or -1; and
// the descriptors the command line asked to keep, which stayed open.
static int direct_fd = -1;
// The direct child that gave way to the usual start, not yet reaped.
static pid_t fallen_back;
static int kept_fds[MAX_KEPT_FDS];
static int kept_count;

// parse_fd reads a descriptor number, or returns -1.
static int parse_fd(const char *s) {
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 0 || n > 1 << 20)
		return -1;
	return (int)n;
}

// scan_args decides from the command line alone whether a direct start
// is worth trying, and collects the --keep-fd numbers. It only rules
// starts out; the Go side decides for the rest once the profiles are
// resolved. Words after the command may look like options and rule a
// start out needlessly, which only costs speed.
// host_sharing_profiles are the built-in profiles that share a namespace
// other than time with the host: naming one rules a direct start out at
// once, where the child would otherwise start, resolve the profiles and
// give way (about 10 ms here). A Go test keeps the list equal to the
// profiles.
static const char *const host_sharing_profiles[] = {"browser", "network", NULL};

static int scan_args(int argc, char **argv) {
	static const char *const exclude[] = {
		"--name", "-n", "--detach", "-d", "--uid", "--gid", "--json-status-fd",
		"--share-pid", "--share-mount", "--share-net", "--share-ipc", "--share-uts",
		"--share-cgroup", NULL,
	};
	for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		for (const char *const *x = exclude; *x; x++) {
			size_t n = strlen(*x);
			if (strncmp(a, *x, n) == 0 && (a[n] == '\0' || a[n] == '='))
				return 0;
		}
		if (strncmp(a, "--share-", 8) == 0 && strstr(a, "-with"))
			return 0; // joins another sandbox's namespace
		const char *profile = NULL;
		if ((strcmp(a, "-p") == 0 || strcmp(a, "--profile") == 0) && i + 1 < argc)
			profile = argv[++i];
		else if (strncmp(a, "--profile=", 10) == 0)
			profile = a + 10;
		for (const char *const *x = host_sharing_profiles; profile && *x; x++)
			if (strcmp(profile, *x) == 0)
				return 0;
		const char *fd = NULL;
		if (strcmp(a, "--keep-fd") == 0 && i + 1 < argc)
			fd = argv[++i];
		else if (strncmp(a, "--keep-fd=", 10) == 0)
			fd = a + 10;
		if (fd) {
			int n = parse_fd(fd);
			if (n < 0 || kept_count == MAX_KEPT_FDS)
				return 0;
			kept_fds[kept_count++] = n;
		}
	}
	return 1;
}

static int write_file(const char *path, const char *text) {
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

// map_identity maps the caller's own uid and gid, the map of every
// profile that does not ask for another identity; the Go side falls back
// for one that does. Written now, the Go runtime starts with the right
// ids and may create files.
static int map_identity(uid_t uid, gid_t gid) {
	char line[64];
	if (write_file("/proc/self/setgroups", "deny") != 0)
		return -1;
	snprintf(line, sizeof line, "%u %u 1\n", uid, uid);
	if (write_file("/proc/self/uid_map", line) != 0)
		return -1;
	snprintf(line, sizeof line, "%u %u 1\n", gid, gid);
	return write_file("/proc/self/gid_map", line);
}

// set_file_override turns the capabilities that bypass file permissions
// (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER) off or back on in the
// calling thread's effective set; the permitted set keeps them. The
// direct child holds every capability in its new user namespace, which
// over the caller's own files would let it read a profile or reach a bind
// source the caller has shut itself out of, where the usual start, which
// reads them as the caller, refuses. Threads the Go runtime starts later
// inherit the cleared set; only the main thread builds the sandbox, and it
// turns them back on for that.
static int set_file_override(int on) {
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return -1;
	const int caps[] = {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER};
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		__u32 bit = 1u << (caps[i] % 32);
		if (on)
			data[caps[i] / 32].effective |= data[caps[i] / 32].permitted & bit;
		else
			data[caps[i] / 32].effective &= ~bit;
	}
	return (int)syscall(SYS_capset, &hdr, data);
}

static int is_kept(int fd) {
	for (int i = 0; i < kept_count; i++)
		if (kept_fds[i] == fd)
			return 1;
	return 0;
}

// close_inherited closes every descriptor but stdio, the channel and the
// kept ones: the Go code that builds the sandbox never holds one of the
// caller's.
static void close_inherited(int channel) {
	int keep[MAX_KEPT_FDS + 1];
	int n = 0;
	keep[n++] = channel;
	for (int i = 0; i < kept_count; i++)
		keep[n++] = kept_fds[i];
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	unsigned int from = 3;
	for (int i = 0; i < n; i++) {
		if ((unsigned int)keep[i] < from)
			continue; // stdio, or a number named twice
		if ((unsigned int)keep[i] > from)
			syscall(SYS_close_range, from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	syscall(SYS_close_range, from, ~0U, 0);
}

// move_strings copies the strings of a NULL-terminated vector to the heap,
// points the vector at the copies and zeroes the originals. The kernel
// shows the originals as the process's command line and environment,
// which in a sandbox's PID 1 are the caller's business only; Go reads
// os.Args and the environment through the vector, so it sees the copies.
static void move_strings(char **v) {
	for (; v && *v; v++) {
		char *copy = strdup(*v);
		if (!copy)
			return;
		memset(*v, 0, strlen(*v));
		*v = copy;
	}
}

static void report(int fd, char what) {
	ssize_t n;
	do
		n = write(fd, &what, 1);
	while (n < 0 && errno == EINTR);
}

// leave_with ends the monitor with a child's wait status, as a shell
// reports it.
static void leave_with(int status) {
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

// wait_child leaves with the status of a child that ended before it
// reported the app's start. A signal sent to hutch's whole process group
// (a shell's job, timeout) reaches the child too; arriving before package
// early's handler is in place, the Go runtime's own takes it, and, the
// child being PID 1 of its namespace, cannot die of it and exits 2
// instead. The signal is then pending in the monitor, which leaves as if
// killed by it, as hutch would have been.
static void wait_child(pid_t child) {
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
		sigset_t pending;
		const int fatal[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};
		if (sigpending(&pending) == 0)
			for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
				if (sigismember(&pending, fatal[i]) == 1)
					_exit(128 + fatal[i]);
	}
	leave_with(status);
}

// monitor is what stays of hutch on the host once the direct child runs:
// it relays signals to the child, the sandbox's init, and leaves with the
// app's exit status. It returns only when the child fell back, for the
// usual start to go on as if nothing had happened.
//
// The init reports the status on the channel once every other process of
// the sandbox is reaped, and the monitor leaves at once: the kernel's
// teardown of the init, its memory and the namespaces, took 1 to 2 ms of
// every start on the development VM. bubblewrap's caller does not wait
// for it either. Should the init end without a report, killed or failing,
// its own status decides.
static void monitor(pid_t child, int channel, const sigset_t *relayed, const sigset_t *old_mask) {
	char what = 0;
	ssize_t n;
	do
		n = read(channel, &what, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && what == REPORT_FALL_BACK) {
		// Not waited for here: the kernel's teardown of a Go process and
		// its namespaces takes a millisecond or two, which the usual start
		// need not wait out. It reaps the child later (ReapFallenBack).
		close(channel);
		fallen_back = child;
		sigprocmask(SIG_SETMASK, old_mask, NULL);
		return;
	}
	if (n != 1)
		wait_child(child);
	// Until the app runs the relayed signals stay pending, so none is lost
	// while the sandbox is built; with the terminal's session shared, the
	// terminal sends its own signals to the app itself.
	int relay_tty = what != REPORT_SHARED_SESSION;
	// An app run as PID 1 closes the channel as it replaces the init.
	int app_is_pid1 = 0;
	int sigfd = signalfd(-1, relayed, SFD_CLOEXEC);
	if (sigfd < 0)
		wait_child(child); // nothing relayed; rather than no status at all
	struct pollfd fds[2] = {{.fd = sigfd, .events = POLLIN}, {.fd = channel, .events = POLLIN}};
	for (;;) {
		if (poll(fds, 2, -1) < 0)
			continue;
		if (fds[1].revents) {
			unsigned char msg[2];
			do
				n = read(channel, msg, sizeof msg);
			while (n < 0 && errno == EINTR);
			if (n == 2 && msg[0] == REPORT_EXIT)
				_exit(msg[1]);
			app_is_pid1 = n == 0;
			fds[1].fd = -1; // closed, as by an app run as PID 1
		}
		if (!(fds[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo info;
		if (read(sigfd, &info, sizeof info) != sizeof info)
			continue;
		int sig = (int)info.ssi_signo;
		if (sig == SIGCHLD) {
			int status;
			if (waitpid(child, &status, WNOHANG) == child)
				leave_with(status);
			continue;
		}
		if (sig == SIGTSTP) {
			// Job control, as the shell expects of its foreground job:
			// the app stops and so does hutch, and the shell's SIGCONT,
			// relayed like any other, starts both again. The terminal
			// stops an app in its session itself. The kernel drops a
			// SIGTSTP for PID 1 that PID 1 does not handle: an app that
			// is PID 1 gets SIGSTOP, which it cannot refuse.
			// The app's group is its job: as PID 1 it leads it.
			if (relay_tty && app_is_pid1)
				kill(-child, SIGSTOP);
			else if (relay_tty)
				kill(child, SIGTSTP);
			kill(getpid(), SIGSTOP);
			continue;
		}
		if (!relay_tty && (sig == SIGINT || sig == SIGQUIT || sig == SIGWINCH))
			continue;
		if (sig == SIGCONT && app_is_pid1 && relay_tty) {
			kill(-child, SIGCONT); // the job stopped above
			continue;
		}
		kill(child, sig);
	}
}

// hutch_direct_start makes "hutch run" build the sandbox in hutch's own
// process instead of in a second one: the process forks a child into new
// user, mount and pid namespaces before the Go runtime exists, and the
// child, PID 1 of the sandbox, starts the only Go runtime of the launch,
// resolves the profiles, builds the sandbox and serves as its init. The
// process itself stays in C as a monitor. A Go runtime start is the
// largest single cost of a launch; the usual start pays for two, one after
// the other.
//
// one_malloc_arena keeps glibc's malloc to a single arena in every hutch
// process. Each thread the Go runtime starts goes through pthread_create
// and would otherwise get an arena of its own: a 128 MiB reservation,
// partly unmapped at once, and munmap in a threaded process costs TLB
// shootdowns across CPUs. The C side of hutch barely mallocs; on the
// development VM this took 0.6 to 0.9 ms off a start.
__attribute__((constructor)) static void one_malloc_arena(void) {
	mallopt(M_ARENA_MAX, 1);
}

// The child falls back, reporting so before it writes anything, when the
// spec needs what a direct start cannot give: a name, a shared mount or
// pid namespace, another identity, ranges of ids. The monitor then
// returns from here and hutch starts as usual. Any failure here means the
// same, and the usual start reports it properly.
__attribute__((constructor)) static void hutch_direct_start(int argc, char **argv, char **envp) {
	if (argc < 2 || strcmp(argv[1], "run") != 0)
		return;
	const char *knob = getenv("HUTCH_DIRECT");
	if (knob && strcmp(knob, "0") == 0)
		return;
	if (!scan_args(argc, argv))
		return;
	int ch[2];
	if (pipe2(ch, O_CLOEXEC) != 0)
		return;
	if (ch[0] < 3 || ch[1] < 3 || is_kept(ch[0]) || is_kept(ch[1])) {
		// Started with stdio closed, or asked to keep a descriptor that
		// was not open: the channel took its number.
		close(ch[0]);
		close(ch[1]);
		return;
	}
	// The monitor waits for its child: a SIGCHLD the caller ignored would
	// have the kernel reap it unseen, and the monitor wait forever.
	struct sigaction chld = {.sa_handler = SIG_DFL};
	sigaction(SIGCHLD, &chld, NULL);
	sigset_t relayed, old_mask;
	sigemptyset(&relayed);
	int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM, SIGCONT, SIGTSTP};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&relayed, sigs[i]);
	sigprocmask(SIG_BLOCK, &relayed, &old_mask);
	uid_t uid = geteuid();
	gid_t gid = getegid();
	long pid = syscall(SYS_clone, DIRECT_FLAGS | SIGCHLD, NULL, NULL, NULL, 0L);
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		close(ch[0]);
		close(ch[1]);
		return;
	}
	if (pid > 0) {
		close(ch[1]);
		monitor((pid_t)pid, ch[0], &relayed, &old_mask);
		return;
	}
	caller_mask = old_mask;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	close(ch[0]);
	// The monitor's death kills the child; should it have died already,
	// the pipe has no reader.
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct pollfd p = {.fd = ch[1], .events = 0};
	if (poll(&p, 1, 0) == 1 && (p.revents & POLLERR))
		_exit(1);
	if (map_identity(uid, gid) != 0 || set_file_override(0) != 0) {
		report(ch[1], REPORT_FALL_BACK);
		_exit(0);
	}
	close_inherited(ch[1]);
	move_strings(argv + 1);
	move_strings(envp);
	direct_fd = ch[1];
}

// A resource limit for the app: setrlimit's resource and values.
struct app_limit {
	int resource;
	rlim_t soft, hard;
};

// spawn_request is what spawn_child needs; err is its exec's error.
struct spawn_request {
	const char *path;
	char *const *argv, *const *envp;
	int new_group;
	const int *fds;
	int nfds;
	const struct app_limit *limits;
	int nlimits;
	int err;
};

// spawn_child runs in the vfork child, on its own stack and the parent's
// memory, with every signal blocked: only system calls until the exec.
static int spawn_child(void *arg) {
	struct spawn_request *r = arg;
	// The runtime's handlers are the parent's code: every signal but those
	// to stay ignored goes back to its default before any is unblocked.
	void *dfl[4] = {SIG_DFL, 0, 0, 0}, *ign[4] = {SIG_IGN, 0, 0, 0};
	for (int sig = 1; sig <= 64; sig++) {
		if (spawn_defaults.__val[0] & (1UL << (sig - 1)))
			syscall(SYS_rt_sigaction, sig, dfl, NULL, 8);
		else if (sigismember(&caller_ignored, sig) == 1)
			syscall(SYS_rt_sigaction, sig, ign, NULL, 8); // caught in the init
	}
	if (r->new_group && setpgid(0, 0) != 0)
		goto fail;
	for (int i = 0; i < r->nfds; i++)
		if (fcntl(r->fds[i], F_SETFD, 0) != 0)
			goto fail;
	if (caller_nofile_known && setrlimit(RLIMIT_NOFILE, &caller_nofile) != 0)
		goto fail;
	for (int i = 0; i < r->nlimits; i++) {
		struct rlimit rl = {r->limits[i].soft, r->limits[i].hard};
		if (setrlimit(r->limits[i].resource, &rl) != 0)
			goto fail;
	}
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &caller_mask, NULL, 8);
	execve(r->path, r->argv, r->envp);
fail:
	r->err = errno;
	_exit(127);
}

// spawn_app starts the app of a direct init. It is posix_spawn's work,
// done here for what posix_spawn cannot: the profile's resource limits
// apply in the child, where they bind the app alone. Set on the init
// they bound hutch itself: an address-space limit below the Go runtime's
// reservation failed every start, a low nofile limit the Landlock rules.
// The child also gets the caller's signal mask and RLIMIT_NOFILE, its
// ignored signals (spawn_defaults), a process group of its own when asked,
// and the descriptors fds without close-on-exec. It returns 0 or the
// error of the child's setup or exec. No parent-death signal is needed: a
// direct init is PID 1 of its pid namespace, whose end kills every
// process in it.
static int spawn_app(pid_t *pid, const char *path, char *const argv[], char *const envp[], int new_group,
		const int *fds, int nfds, const struct app_limit *limits, int nlimits) {
	// Static: a direct init spawns one app, and a stack mapped for it
	// would only add its page faults to every start.
	static char stack[64 << 10] __attribute__((aligned(16)));
	struct spawn_request r = {path, argv, envp, new_group, fds, nfds, limits, nlimits, 0};
	unsigned long all[2] = {~0UL, ~0UL}, old[2];
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, all, old, 8);
	long child = clone(spawn_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &r);
	int err = child < 0 ? errno : 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, 8);
	if (err)
		return err;
	if (r.err) {
		waitpid((pid_t)child, NULL, 0);
		return r.err;
	}
	*pid = (pid_t)child;
	return 0;
}

// exec_app replaces a direct init by its app (--as-pid-1) with the
// caller's signal mask and RLIMIT_NOFILE, then the profile's limits; the
// exec resets the caught signals to their default. It returns only the
// error of a limit or of a failed exec.
static int exec_app(const char *path, char *const argv[], char *const envp[], const struct app_limit *limits, int nlimits) {
	// Caught in the init, the relayed signals the caller ignored would be
	// reset by the exec: the app ignores them as the caller did.
	struct sigaction ign = {.sa_handler = SIG_IGN};
	for (const int *sig = init_relayed_signals; *sig; sig++)
		if (sigismember(&caller_ignored, *sig) == 1)
			sigaction(*sig, &ign, NULL);
	if (caller_nofile_known && setrlimit(RLIMIT_NOFILE, &caller_nofile) != 0)
		return errno;
	for (int i = 0; i < nlimits; i++) {
		struct rlimit rl = {limits[i].soft, limits[i].hard};
		if (setrlimit(limits[i].resource, &rl) != 0)
			return errno;
	}
	pthread_sigmask(SIG_SETMASK, &caller_mask, NULL);
	execve(path, argv, envp);
	return errno;
}

static int init_relayed_signal(int i) { return init_relayed_signals[i]; }
static int caller_ignored_signal(int sig) { return sigismember(&caller_ignored, sig); }
static int direct_channel(void) { return direct_fd; }
static const char *host_sharing_profile(int i) { return host_sharing_profiles[i]; }
static pid_t fallen_back_child(void) { return fallen_back; }
static int file_override_on(void) { return set_file_override(1); }
static int kept_fd_count(void) { return kept_count; }
static int kept_fd(int i) { return kept_fds[i]; }
static int caller_nofile_soft(rlim_t *soft) { *soft = caller_nofile.rlim_cur; return caller_nofile_known; }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DirectFlags are the namespaces a direct child was cloned into.
const DirectFlags = uintptr(C.DIRECT_FLAGS)

// DirectChild reports whether this process is the child of a direct
// start: PID 1 of new namespaces of every kind but time, its uid and gid
// mapped to the caller's own, with the caller's command line to run.
func DirectChild() bool { return C.direct_channel() >= 0 }

// CallerNofileSoft is the soft RLIMIT_NOFILE this process started with,
// before the Go runtime raised it to the hard limit; ok is false if it
// could not be read.
func CallerNofileSoft() (soft uint64, ok bool) {
	var s C.rlim_t
	ok = C.caller_nofile_soft(&s) != 0
	return uint64(s), ok
}

// KeptFDs are the caller's descriptors a direct child kept open, as the
// command line asked; it closed every other one but stdio.
func KeptFDs() []int {
	fds := make([]int, int(C.kept_fd_count()))
	for i := range fds {
		fds[i] = int(C.kept_fd(C.int(i)))
	}
	return fds
}

// RestoreFileOverride gives the calling thread back the capabilities over
// file permissions the constructor took from the direct child's effective
// set (see set_file_override), for building the sandbox once the caller's
// files are read as the caller would read them.
func RestoreFileOverride() error {
	if r, err := C.file_override_on(); r != 0 {
		return fmt.Errorf("restore capabilities: %w", err)
	}
	return nil
}

// relayedSignalFD is the read end of the pipe on which the direct child's
// handler writes the number of each relayed signal, or -1.
var relayedSignalFD = -1

func init() {
	if DirectChild() {
		relayedSignalFD = int(C.catch_relayed())
	}
}

// RelayedSignalFD returns the pipe on which a direct child hears the
// signals it relays to its app, one byte, the signal's number, each;
// InitRelayedSignals lists them. Its error means they are not caught.
func RelayedSignalFD() (int, error) {
	if relayedSignalFD < 0 {
		return -1, errors.New("catching the relayed signals failed")
	}
	return relayedSignalFD, nil
}

// InitRelayedSignals are the signals a direct child catches from package
// init on, for its init to relay to the app.
func InitRelayedSignals() []unix.Signal {
	var sigs []unix.Signal
	for i := 0; C.init_relayed_signal(C.int(i)) != 0; i++ {
		sigs = append(sigs, unix.Signal(C.init_relayed_signal(C.int(i))))
	}
	return sigs
}

// CallerIgnoredSignals are the relayed signals (InitRelayedSignals) that
// hutch's caller ignored, noted before the Go runtime started.
func CallerIgnoredSignals() []unix.Signal {
	var sigs []unix.Signal
	for _, sig := range InitRelayedSignals() {
		if C.caller_ignored_signal(C.int(sig)) == 1 {
			sigs = append(sigs, sig)
		}
	}
	return sigs
}

// cStrings copies strs to a NULL-terminated C vector; free releases it.
func cStrings(strs []string) (v **C.char, free func()) {
	ptrs := C.malloc(C.size_t(len(strs)+1) * C.size_t(unsafe.Sizeof((*C.char)(nil))))
	vec := unsafe.Slice((**C.char)(ptrs), len(strs)+1)
	for i, s := range strs {
		vec[i] = C.CString(s)
	}
	vec[len(strs)] = nil
	return &vec[0], func() {
		for _, p := range vec[:len(strs)] {
			C.free(unsafe.Pointer(p))
		}
		C.free(ptrs)
	}
}

// command is a command line in C: the path, argv and envp, and a
// function that frees them.
type command struct {
	path       *C.char
	argv, envp **C.char
	free       func()
}

func cCommand(path string, argv, env []string) command {
	cPath := C.CString(path)
	cArgv, freeArgv := cStrings(argv)
	cEnv, freeEnv := cStrings(env)
	return command{cPath, cArgv, cEnv, func() {
		C.free(unsafe.Pointer(cPath))
		freeArgv()
		freeEnv()
	}}
}

// Limit is a resource limit for the app alone, as setrlimit takes it.
type Limit struct {
	Resource   int
	Soft, Hard uint64
}

func cLimits(limits []Limit) []C.struct_app_limit {
	out := make([]C.struct_app_limit, len(limits)+1)
	for i, l := range limits {
		out[i] = C.struct_app_limit{resource: C.int(l.Resource), soft: C.rlim_t(l.Soft), hard: C.rlim_t(l.Hard)}
	}
	return out
}

// Spawn starts the app of a direct init (see spawn_app): with the caller's
// signal mask, ignored signals and RLIMIT_NOFILE, then limits; in a
// process group of its own when newGroup is set; with fds (stdio and the
// kept descriptors) open across the exec. It returns once the exec has
// succeeded or failed; its error is the exec's or the setup's before it.
// Call it on the thread whose time namespace the app must enter.
func Spawn(path string, argv, env []string, newGroup bool, fds []int, limits []Limit) (int, error) {
	cmd := cCommand(path, argv, env)
	defer cmd.free()
	cFDs := make([]C.int, len(fds)+1)
	for i, fd := range fds {
		cFDs[i] = C.int(fd)
	}
	cLim := cLimits(limits)
	var pid C.pid_t
	errno := C.spawn_app(&pid, cmd.path, cmd.argv, cmd.envp, C.int(boolInt(newGroup)), &cFDs[0], C.int(len(fds)), &cLim[0], C.int(len(limits)))
	if errno != 0 {
		return 0, unix.Errno(errno)
	}
	return int(pid), nil
}

// Exec replaces a direct init by its app with the caller's signal mask
// and RLIMIT_NOFILE, then limits; it returns only the error of a failed
// exec, or of the limits.
func Exec(path string, argv, env []string, limits []Limit) error {
	cmd := cCommand(path, argv, env)
	defer cmd.free()
	cLim := cLimits(limits)
	return unix.Errno(C.exec_app(cmd.path, cmd.argv, cmd.envp, &cLim[0], C.int(len(limits))))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// HostSharingProfiles are the built-in profiles the constructor knows to
// share a namespace with the host, and so never tries to start directly.
func HostSharingProfiles() []string {
	var names []string
	for i := 0; C.host_sharing_profile(C.int(i)) != nil; i++ {
		names = append(names, C.GoString(C.host_sharing_profile(C.int(i))))
	}
	return names
}

// ReapFallenBack reaps the direct child that gave way to the usual start,
// if it has ended; it is harmless to call more than once. The child ends
// at once after its report, so by the time the usual start's init runs
// it is gone; one still there at hutch's exit is reaped by whoever
// inherits it.
func ReapFallenBack() {
	if pid := int(C.fallen_back_child()); pid > 0 {
		unix.Wait4(pid, nil, unix.WNOHANG, nil)
	}
}

// FallBack ends a direct child that cannot serve the spec: the monitor
// then starts hutch the usual way, with the same command line. Nothing
// may have been written to stdout or stderr before.
func FallBack() {
	report(C.REPORT_FALL_BACK)
	os.Exit(0)
}

// Started tells the monitor that the app runs, so it starts relaying
// signals; with the terminal's session shared it leaves the terminal's own
// signals alone. An app about to replace this process as PID 1 reports
// its exit through its own status: asPID1 closes the channel.
func Started(newSession, asPID1 bool) {
	what := byte(C.REPORT_SHARED_SESSION)
	if newSession {
		what = C.REPORT_NEW_SESSION
	}
	report(what)
	if asPID1 {
		unix.Close(int(C.direct_channel()))
	}
}

// Exited tells the monitor the code hutch leaves with, so that it need
// not wait for this process to end. Call it once nothing of the sandbox
// but this process is left.
func Exited(code int) {
	report(C.REPORT_EXIT, byte(code))
}

func report(what ...byte) {
	fd := int(C.direct_channel())
	for {
		_, err := unix.Write(fd, what)
		if err != unix.EINTR {
			return
		}
	}
}
