// SPDX-License-Identifier: GPL-2.0
/*
 * busy MODE SIZE [PATH]: one part of a busy guest's workload, run until
 * SIGTERM; then it prints "DONE <mode> verified <bytes> errors <n> rounds
 * <n>" and exits 0 only when every byte it read back was what it wrote.
 *
 *   anon MIB       anonymous memory, transparent huge pages asked for
 *                  (MADV_HUGEPAGE), rewritten and checked round after round;
 *                  each round gives 1/16 of it back and faults it in again
 *   file MIB PATH  a file written, synced and read back through the page
 *                  cache; PATH may be a block device (its first MIB)
 *   direct MIB DEV the first MIB of a block device read with O_DIRECT into
 *                  an anonymous buffer, 64 KiB at a time: the buffer's
 *                  pages are pinned while each read is in flight
 *   hugetlb MIB    a mapping of 2 MiB hugetlb pages, checked round after
 *                  round (the pool must be there: nr_hugepages)
 *   pins MIB       pages of an anonymous buffer spliced into a pipe with
 *                  vmsplice() and read out at once: each page is referenced
 *                  by the pipe for a moment, as a short-term pin holds it
 *   fork MIB       a child at a time that writes MIB of its own and exits
 *
 * Each part works BUSY_DUTY percent of the time (25 by default: about 5 ms
 * of work, then a sleep), so that four of them keep two CPUs busy without
 * starving the kernel's own work of all CPU time.
 *
 * Each word holds a value computed from its address and the round, so a
 * page that moved with wrong contents, or went back a round, is caught.
 * scenario/offline_under_load runs one of each while it offlines, shrinks
 * and ejects memory under them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_HUGETLB
#define MAP_HUGETLB 0x40000
#endif

static volatile sig_atomic_t stop;
static unsigned long long verified, errors, rounds;
static long duty = 25;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleep once about 5 ms of work have been done, as long as duty asks. */
static void pace(void)
{
	static long long since;
	long long t = now_ns(), work = 5000000, rest;
	struct timespec ts;

	if (!since)
		since = t;
	if (duty >= 100 || t - since < work)
		return;
	rest = (t - since) * (100 - duty) / duty;
	ts.tv_sec = rest / 1000000000LL;
	ts.tv_nsec = rest % 1000000000LL;
	nanosleep(&ts, NULL);
	since = now_ns();
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t value(uintptr_t addr, uint64_t round)
{
	return ((uint64_t)addr * 0x9e3779b97f4a7c15ULL) ^ (round * 0xc2b2ae3d27d4eb4fULL);
}

/* Check the words of buf against round, then write them for round + 1. */
static void check_and_rewrite(uint64_t *buf, size_t words, uint64_t round)
{
	size_t i;

	for (i = 0; i < words; i++) {
		uint64_t want = value((uintptr_t)&buf[i], round);

		if (buf[i] != want)
			errors++;
		buf[i] = value((uintptr_t)&buf[i], round + 1);
	}
	verified += words * sizeof(*buf);
}

static void fill(uint64_t *buf, size_t words, uint64_t round)
{
	size_t i;

	for (i = 0; i < words; i++)
		buf[i] = value((uintptr_t)&buf[i], round);
}

/*
 * Give a chunk's memory back and fault it in again, written for round:
 * new pages come from wherever the allocator finds them, blocks onlined a
 * moment ago included. MAP_FIXED over the chunk, not madvise(), which a
 * kernel without CONFIG_ADVISE_SYSCALLS does not have.
 */
static void renew(uint64_t *chunk, size_t words, uint64_t round)
{
	if (mmap(chunk, words * sizeof(*chunk), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED) {
		perror("busy: mmap MAP_FIXED");
		errors++;
		return;
	}
	fill(chunk, words, round);
}

/*
 * Anonymous or hugetlb memory checked and rewritten round after round in
 * 2 MiB chunks; with churn, one chunk in 16 (a different one each round)
 * is given back and faulted in again after its check.
 */
static int run_mapping(size_t bytes, int extra, int advice, int churn)
{
	size_t words = bytes / sizeof(uint64_t), chunk = (2 << 20) / sizeof(uint64_t), at;
	uint64_t *buf, round = 0;

	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
	if (buf == MAP_FAILED) {
		perror("busy: mmap");
		return 1;
	}
	if (advice && madvise(buf, bytes, advice))
		perror("busy: madvise (going on without)");
	fill(buf, words, round);
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		/* A chunk at a time, so that SIGTERM ends a round early. */
		for (at = 0; at < words && !stop; at += chunk) {
			size_t n = words - at < chunk ? words - at : chunk;

			check_and_rewrite(buf + at, n, round);
			if (churn && n == chunk && (at / chunk) % 16 == round % 16)
				renew(buf + at, n, round + 1);
			pace();
		}
		if (at < words) {
			/* Stopped inside a round: check the rest as it is. */
			for (; at < words; at++)
				errors += buf[at] != value((uintptr_t)&buf[at], round);
			break;
		}
		round++;
		rounds++;
	}
	return 0;
}

static int run_file(size_t bytes, const char *path)
{
	size_t chunk = 1 << 20, words = chunk / sizeof(uint64_t), off, i;
	uint64_t *buf = malloc(chunk), round = 0;
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	struct stat st;

	if (!buf || fd < 0 || fstat(fd, &st)) {
		perror("busy: file");
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		/* The file offset stands in for the address. */
		for (off = 0; off < bytes; off += chunk) {
			for (i = 0; i < words; i++)
				buf[i] = value(off + i * 8, round);
			if (pwrite(fd, buf, chunk, off) != (ssize_t)chunk) {
				perror("busy: pwrite");
				errors++;
			}
			pace();
		}
		/* Pages under writeback, on a disk; nothing on tmpfs. */
		if (fsync(fd)) {
			perror("busy: fsync");
			errors++;
		}
		for (off = 0; off < bytes; off += chunk) {
			if (pread(fd, buf, chunk, off) != (ssize_t)chunk) {
				perror("busy: pread");
				errors++;
				continue;
			}
			for (i = 0; i < words; i++)
				errors += buf[i] != value(off + i * 8, round);
			verified += chunk;
			pace();
		}
		round++;
		rounds++;
	}
	close(fd);
	if (S_ISREG(st.st_mode))
		unlink(path);
	return 0;
}

static int run_direct(size_t bytes, const char *dev)
{
	size_t piece = 64 << 10, off, i;
	int fd = open(dev, O_RDWR | O_DIRECT);
	uint64_t *buf;

	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || buf == MAP_FAILED) {
		perror("busy: direct");
		return 1;
	}
	/* The disk offset stands in for the address. */
	for (i = 0; i < bytes / sizeof(*buf); i++)
		buf[i] = value(i * 8, 0);
	for (off = 0; off < bytes; off += piece)
		if (pwrite(fd, (char *)buf + off, piece, off) != (ssize_t)piece) {
			perror("busy: O_DIRECT pwrite");
			return 1;
		}
	memset(buf, 0, bytes);
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		for (off = 0; off < bytes && !stop; off += piece) {
			uint64_t *p = (uint64_t *)((char *)buf + off);

			if (pread(fd, p, piece, off) != (ssize_t)piece) {
				perror("busy: O_DIRECT pread");
				errors++;
				continue;
			}
			for (i = 0; i < piece / sizeof(*p); i++)
				errors += p[i] != value(off + i * 8, 0);
			/* A read that did not happen is not taken for one. */
			memset(p, 0, piece);
			verified += piece;
			pace();
		}
		rounds++;
	}
	close(fd);
	return 0;
}

static int run_pins(size_t bytes)
{
	size_t piece = 64 << 10, words = bytes / sizeof(uint64_t), at, i;
	uint64_t *buf, *out = malloc(piece);
	int fds[2];

	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || !out || pipe(fds)) {
		perror("busy: pins");
		return 1;
	}
	fcntl(fds[1], F_SETPIPE_SZ, (int)piece);
	fill(buf, words, 0);
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		for (at = 0; at < bytes && !stop; at += piece) {
			struct iovec iov = { (char *)buf + at, piece };
			uint64_t *src = (uint64_t *)((char *)buf + at);
			ssize_t got = 0, n;

			if (vmsplice(fds[1], &iov, 1, 0) != (ssize_t)piece) {
				errors++;
				continue;
			}
			while (got < (ssize_t)piece) {
				n = read(fds[0], (char *)out + got, piece - got);
				if (n <= 0)
					break;
				got += n;
			}
			if (got != (ssize_t)piece) {
				errors++;
				continue;
			}
			for (i = 0; i < piece / sizeof(uint64_t); i++)
				errors += out[i] != value((uintptr_t)&src[i], 0);
			verified += piece;
			pace();
		}
		rounds++;
	}
	return 0;
}

static int run_fork(size_t bytes)
{
	printf("READY\n");
	fflush(stdout);
	while (!stop) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			errors++;
			sleep(1);
			continue;
		}
		if (!pid) {
			uint64_t *buf = malloc(bytes);
			size_t words = bytes / sizeof(uint64_t), i, bad = 0;

			if (!buf)
				_exit(2);
			fill(buf, words, 1);
			for (i = 0; i < words; i++)
				bad += buf[i] != value((uintptr_t)&buf[i], 1);
			_exit(bad ? 1 : 0);
		}
		/* A child killed by a signal is an error: nothing here sends one. */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			errors++;
		else
			verified += bytes;
		rounds++;
		pace();
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	size_t bytes;
	int ret;

	if (argc < 3 || ((!strcmp(argv[1], "file") || !strcmp(argv[1], "direct")) &&
			 argc != 4)) {
		fprintf(stderr, "usage: busy anon|file|direct|hugetlb|pins|fork MIB [PATH]\n");
		return 2;
	}
	bytes = strtoull(argv[2], NULL, 0) << 20;
	if (!bytes) {
		fprintf(stderr, "busy: MIB must be a positive number\n");
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	if (getenv("BUSY_DUTY"))
		duty = strtol(getenv("BUSY_DUTY"), NULL, 0);
	if (duty < 1)
		duty = 1;

	if (!strcmp(argv[1], "anon"))
		ret = run_mapping(bytes, MAP_NORESERVE, MADV_HUGEPAGE, 1);
	else if (!strcmp(argv[1], "hugetlb"))
		ret = run_mapping(bytes, MAP_HUGETLB | MAP_POPULATE, 0, 0);
	else if (!strcmp(argv[1], "file"))
		ret = run_file(bytes, argv[3]);
	else if (!strcmp(argv[1], "direct"))
		ret = run_direct(bytes, argv[3]);
	else if (!strcmp(argv[1], "pins"))
		ret = run_pins(bytes);
	else if (!strcmp(argv[1], "fork"))
		ret = run_fork(bytes);
	else {
		fprintf(stderr, "busy: no mode %s\n", argv[1]);
		return 2;
	}
	printf("DONE %s verified %llu errors %llu rounds %llu\n", argv[1],
	       verified, errors, rounds);
	return ret || errors;
}
