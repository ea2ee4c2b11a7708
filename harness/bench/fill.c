// SPDX-License-Identifier: GPL-2.0
/*
 * fill MIB: allocate MIB mebibytes of anonymous memory, write a pattern that
 * depends on each word's address, print READY, wait for SIGUSR1, then check
 * every word and print VERIFIED or CORRUPT. The benchmark offlines the memory
 * under it while it waits, so the check proves migration kept every byte.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static uint64_t pattern(size_t i)
{
	return (i * 0x9e3779b97f4a7c15ULL) ^ 0x5a5a5a5a5a5a5a5aULL;
}

int main(int argc, char **argv)
{
	size_t bytes, words, i, bad = 0;
	uint64_t *mem;

	if (argc != 2) {
		fprintf(stderr, "usage: fill MIB\n");
		return 2;
	}
	bytes = strtoull(argv[1], NULL, 0) << 20;
	words = bytes / sizeof(*mem);
	signal(SIGUSR1, on_usr1);
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < words; i++)
		mem[i] = pattern(i);
	printf("READY %zu MiB\n", bytes >> 20);
	fflush(stdout);
	while (!go)
		pause();
	for (i = 0; i < words; i++)
		bad += mem[i] != pattern(i);
	printf("%s %zu bad words\n", bad ? "CORRUPT" : "VERIFIED", bad);
	return bad != 0;
}
