// SPDX-License-Identifier: GPL-2.0
/*
 * hold N [CHUNK_MIB]: take anonymous memory, CHUNK_MIB (1) at a time, until
 * /proc/meminfo's MemAvailable is at most N MiB; write into every word a
 * pattern that depends on its address; print "HELD <MiB> MiB MemAvailable
 * <MiB> MiB"; wait for SIGUSR1; then check every word and print
 * "VERIFIED <MiB> MiB" or "CORRUPT <words> words". Exit status 0 only when
 * every word read back as written.
 *
 * It never takes more than the distance to N that MemAvailable shows (at
 * most one chunk), reads MemAvailable again after each step, and never
 * more than MemTotal in all: it stops short of driving the guest into the
 * OOM killer itself. Its oom_score_adj stays what it inherits.
 * scenario/starved_hot_add starves a guest with it before memory arrives.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static uint64_t pattern(const uint64_t *p)
{
	return ((uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ULL) ^ 0xa5a5a5a55a5a5a5aULL;
}

/* A field of /proc/meminfo in kB, or -1. No stdio: nothing allocated. */
static long meminfo_kb(const char *field)
{
	static char buf[8192];
	ssize_t n;
	char *at;
	int fd;

	fd = open("/proc/meminfo", O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	at = strstr(buf, field);
	return at ? strtol(at + strlen(field), NULL, 10) : -1;
}

int main(int argc, char **argv)
{
	size_t page = sysconf(_SC_PAGESIZE), limit, chunk, held = 0, step, i, words, bad = 0;
	long target_kb, avail_kb;
	sigset_t usr1, old;
	uint64_t *mem;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: hold N [CHUNK_MIB]\n");
		return 2;
	}
	target_kb = strtol(argv[1], NULL, 0) << 10;
	chunk = (argc == 3 ? strtoull(argv[2], NULL, 0) : 1) << 20;
	limit = (size_t)meminfo_kb("MemTotal:") << 10;
	if (target_kb < 0 || !chunk || !limit) {
		fprintf(stderr, "hold: bad arguments or no /proc/meminfo\n");
		return 2;
	}

	/* SIGUSR1 is blocked until sigsuspend(), so none is lost. */
	signal(SIGUSR1, on_usr1);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);

	/* Address space only; pages come as they are written. */
	mem = mmap(NULL, limit, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		perror("hold: mmap");
		return 1;
	}
	for (;;) {
		avail_kb = meminfo_kb("MemAvailable:");
		if (avail_kb < 0 || avail_kb <= target_kb)
			break;
		step = ((size_t)(avail_kb - target_kb) << 10) / page * page;
		if (step > chunk)
			step = chunk;
		if (!step || held + step > limit)
			break;
		words = step / sizeof(*mem);
		for (i = held / sizeof(*mem); words--; i++)
			mem[i] = pattern(&mem[i]);
		held += step;
	}
	printf("HELD %zu MiB MemAvailable %ld MiB\n", held >> 20, avail_kb >> 10);
	fflush(stdout);

	while (!go)
		sigsuspend(&old);

	words = held / sizeof(*mem);
	for (i = 0; i < words; i++)
		bad += mem[i] != pattern(&mem[i]);
	if (bad)
		printf("CORRUPT %zu words\n", bad);
	else
		printf("VERIFIED %zu MiB\n", held >> 20);
	fflush(stdout);
	return bad != 0;
}
