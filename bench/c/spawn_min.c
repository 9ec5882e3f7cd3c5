/*
 * spawn_min N: fork N children that wait (pause) until they are killed, write "ready" on
 * standard output once they all exist, and wait too. bench/scale.sh starts it as pid 1 of a
 * new pid namespace, so that killing it (by its pid) ends every child: thousands of processes
 * for lsns to list, each costing the kernel a few pages, with no exec and no loader.
 * Built with `gcc -O2 -static`.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("spawn_min: fork");
			return 1;
		}
		if (pid == 0) {
			/* Whoever waits for "ready" must not wait for the children's copies too. */
			close(1);
			for (;;)
				pause();
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
