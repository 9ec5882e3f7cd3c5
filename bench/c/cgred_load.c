/* Load for bench/cgrulesengd.sh: one program, two roles by argv[1].
 *
 *   spawn PROG RATE SECONDS SUFFIX OUT  fork RATE children a second for SECONDS; each execs
 *                                       PROG (a copy of this program under the name the rule
 *                                       matches) with the fork time
 *   child T0 SUFFIX OUT                 wait (2 s at most) until /proc/self/cgroup has a line
 *                                       ending in SUFFIX, append "ok|miss NANOSECONDS" to OUT
 *                                       (the time since T0), change uid to 65534, exit
 *
 * Written for nsutils (MIT OR Apache-2.0). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int child(const char *t0s, const char *suffix, const char *out)
{
	unsigned long long t0 = strtoull(t0s, NULL, 10), deadline = t0 + 2000000000ULL, end;
	char buf[8192], line[64];
	int ok = 0;

	do {
		int fd = open("/proc/self/cgroup", O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (strstr(buf, suffix)) {
				ok = 1;
				break;
			}
		}
	} while (now_ns() < deadline);
	end = now_ns();
	int fd = open(out, O_WRONLY | O_APPEND | O_CREAT, 0644);
	int len = snprintf(line, sizeof(line), "%s %llu\n", ok ? "ok" : "miss", end - t0);
	if (fd >= 0 && write(fd, line, len) != len)
		return 1;
	/* A uid change: one more event for the daemon. */
	if (setresuid(65534, 65534, 65534))
		return 1;
	return 0;
}

static int spawn(char *prog, int rate, int seconds, char *suffix, char *out)
{
	unsigned long long start = now_ns(), step = 1000000000ULL / rate, next = start;
	long total = (long)rate * seconds;

	signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	for (long i = 0; i < total; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			char t0[32];
			snprintf(t0, sizeof(t0), "%llu", now_ns());
			char *argv[] = { prog, "child", t0, suffix, out, NULL };
			execv(prog, argv);
			_exit(127);
		}
		next += step;
		unsigned long long now = now_ns();
		if (next > now) {
			struct timespec ts = { (time_t)((next - now) / 1000000000ULL),
					       (long)((next - now) % 1000000000ULL) };
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "spawn"))
		return spawn(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5], argv[6]);
	if (argc == 5 && !strcmp(argv[1], "child"))
		return child(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: %s spawn PROG RATE SECONDS SUFFIX OUT | child T0 SUFFIX OUT\n", argv[0]);
	return 2;
}
