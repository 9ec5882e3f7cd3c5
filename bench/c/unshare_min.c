/*
 * unshare_min: the fewest syscalls that do what the benchmark's unshare scenarios ask for, as
 * a floor to compare nsutils' unshare against. Not a tool: it parses nothing and checks little.
 * nsutils-bench embeds this file and builds it with `gcc -O2 -static` into target/bench/.
 *
 * usage: unshare_min HEXFLAGS PROGRAM [ARG...]
 *
 * HEXFLAGS are unshare(2)'s CLONE_NEW* flags. Their low byte, which unshare(2) has no use for
 * (it is CSIGNAL in clone(2)), says what else to do, in util-linux unshare's order:
 *   0x04  map root: "deny" to setgroups, "0 UID 1" to uid_map, "0 GID 1" to gid_map  (-r)
 *   0x01  fork; the parent waits and exits as the child did                           (-f)
 *   0x08  make / recursively private (what unshare -m does unless told otherwise)
 *   0x02  mount a new proc on /proc                                                   (--mount-proc)
 * then execvp(PROGRAM, [PROGRAM, ARG...]).
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define OPT_FORK 0x01UL
#define OPT_PROC 0x02UL
#define OPT_MAP_ROOT 0x04UL
#define OPT_PRIVATE 0x08UL

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		die(path);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: unshare_min HEXFLAGS PROGRAM [ARG...]\n", stderr);
		return 1;
	}
	unsigned long flags = strtoul(argv[1], NULL, 16);
	unsigned uid = getuid(), gid = getgid();

	if (unshare((int)(flags & ~0xffUL)) != 0)
		die("unshare");
	if (flags & OPT_MAP_ROOT) {
		char map[32];
		write_file("/proc/self/setgroups", "deny");
		snprintf(map, sizeof map, "0 %u 1", uid);
		write_file("/proc/self/uid_map", map);
		snprintf(map, sizeof map, "0 %u 1", gid);
		write_file("/proc/self/gid_map", map);
	}
	if (flags & OPT_FORK) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid > 0) {
			int status;
			signal(SIGINT, SIG_IGN);
			signal(SIGTERM, SIG_IGN);
			while (waitpid(pid, &status, 0) < 0)
				if (errno != EINTR)
					die("waitpid");
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
	}
	if ((flags & OPT_PRIVATE) && mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		die("mount /");
	if ((flags & OPT_PROC) &&
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) != 0)
		die("mount /proc");
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return errno == ENOENT ? 127 : 126;
}
