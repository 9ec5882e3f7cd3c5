/*
 * true_min: exit with status 0 and do nothing else: no libc, no dynamic loader, one syscall.
 * The benchmark's unshare scenarios also exec this instead of /usr/bin/true, so that neither
 * the time nor the peak RSS of a run is the exec'd program's: ru_maxrss keeps the higher of
 * the peaks before and after exec, and this program's is a few pages.
 * nsutils-bench embeds this file and builds it with `gcc -O2 -static -nostdlib`.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 */
void _start(void)
{
#if defined(__x86_64__)
	__asm__ volatile("syscall" : : "a"(231 /* exit_group */), "D"(0) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = 94; /* exit_group */
	register long x0 __asm__("x0") = 0;
	__asm__ volatile("svc 0" : : "r"(x8), "r"(x0) : "memory");
#else
#error "true_min knows only x86_64 and aarch64"
#endif
	__builtin_unreachable();
}
