package early

/*
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// JoinArg must match sandbox.joinArg.
#define JOIN_ARG "__hutch_join"

// hutch_nsenter enters the namespaces whose descriptors argv[2] lists,
// comma-separated, the user namespace first: it grants the capabilities
// the others need. On failure the process exits with 125, hutch's own
// error status, before any Go code runs.
__attribute__((constructor)) static void hutch_nsenter(int argc, char **argv, char **envp) {
	if (argc < 3 || strcmp(argv[1], JOIN_ARG) != 0)
		return;
	char *list = argv[2];
	while (*list) {
		char *end;
		long fd = strtol(list, &end, 10);
		if (end == list || fd < 0 || (*end != ',' && *end != '\0')) {
			fprintf(stderr, "hutch: join: bad descriptor list %s\n", argv[2]);
			_exit(125);
		}
		if (setns((int)fd, 0) != 0) {
			fprintf(stderr, "hutch: join the other sandbox's namespace (fd %ld): %s\n", fd, strerror(errno));
			_exit(125);
		}
		close((int)fd);
		list = *end ? end + 1 : end;
	}
}
*/
import "C"

// JoinArg is the argument that makes the constructor act.
const JoinArg = C.JOIN_ARG
