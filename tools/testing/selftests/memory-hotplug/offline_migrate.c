// SPDX-License-Identifier: GPL-2.0
/*
 * Offlining memory blocks that hold a process's anonymous memory: the pages
 * are migrated elsewhere and the process still reads exactly what it wrote.
 *
 * Two offline blocks are onlined to ZONE_MOVABLE. A child process then
 * fills FILL_MB of anonymous memory with a pattern derived from each
 * word's index; as ZONE_MOVABLE is tried first for such allocations, most
 * of both blocks ends up holding its data (checked through the child's
 * pagemap). Both blocks are offlined while the child waits; afterwards no
 * page of the child lies in them, and the child verifies every word.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "mhp_util.h"

#define FILL_MB 256
#define NBLOCKS 2

static int blocks[NBLOCKS], onlined[NBLOCKS];
static pid_t child = -1;

static void cleanup(void)
{
	int i;

	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	for (i = 0; i < NBLOCKS; i++) {
		if (onlined[i] && block_offline(blocks[i]))
			printf("# could not offline memory%d again\n", blocks[i]);
		onlined[i] = 0;
	}
}

static uint64_t pattern(uint64_t i)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ULL + 0x5bd1e995;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 32);
}

/*
 * The child: fill, report the mapping's address and checksum, wait for a
 * byte on cmd, verify, report the number of bad words.
 */
static void __noreturn holder(int cmd, int rep)
{
	size_t len = (size_t)FILL_MB << 20, words = len / 8, i;
	uint64_t *mem, sum = 0, bad = 0;
	char go;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		_exit(2);
	for (i = 0; i < words; i++) {
		mem[i] = pattern(i);
		sum += mem[i];
	}
	if (write(rep, &mem, sizeof(mem)) != sizeof(mem) ||
	    write(rep, &sum, sizeof(sum)) != sizeof(sum))
		_exit(2);
	if (read(cmd, &go, 1) != 1)
		_exit(2);
	sum = 0;
	for (i = 0; i < words; i++) {
		if (mem[i] != pattern(i))
			bad++;
		sum += mem[i];
	}
	if (write(rep, &bad, sizeof(bad)) != sizeof(bad) ||
	    write(rep, &sum, sizeof(sum)) != sizeof(sum))
		_exit(2);
	_exit(0);
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE), total_before, total_after, free_before, free_after;
	uint64_t lo[NBLOCKS], hi[NBLOCKS], sum_written, sum_read, bad;
	int cmd[2], rep[2], i, err, status;
	unsigned long bsz = block_size();
	size_t len = (size_t)FILL_MB << 20;
	struct timespec t0, t1;
	char zones[64], go = 'v';
	void *addr;
	long in;

	ktap_start();
	if (geteuid())
		ktap_skip_all("must run as root");
	if (!bsz)
		ktap_skip_all("no " MEM_DIR "/block_size_bytes");
	if (movable_candidates(blocks, NBLOCKS) < NBLOCKS)
		ktap_skip_all("needs two offline memory blocks that may go to ZONE_MOVABLE");
	ktap_cleanup = cleanup;

	total_before = meminfo_kb("MemTotal");
	for (i = 0; i < NBLOCKS; i++) {
		lo[i] = (uint64_t)blocks[i] * bsz / page;
		hi[i] = lo[i] + bsz / page;
		err = block_write(blocks[i], "state", "online_movable");
		onlined[i] = !err;
		block_file(blocks[i], "valid_zones", zones, sizeof(zones));
		ktap_diag("memory%d: online_movable: %s; valid_zones %s", blocks[i],
			  errstr(err), zones);
		ktap_ok(!err && block_is(blocks[i], "online"),
			"block %d: online_movable succeeds", i + 1);
		ktap_ok(!strcmp(zones, "Movable"), "block %d: valid_zones is Movable", i + 1);
	}
	if (!onlined[0] || !onlined[1])
		ktap_finish();
	ktap_ok(meminfo_kb("MemTotal") - total_before == (long)(NBLOCKS * bsz >> 10),
		"MemTotal grew by the two blocks");

	free_before = zone_counter("Movable", "free");
	if (pipe(cmd) || pipe(rep)) {
		ktap_ok(0, "pipes for the holder process");
		ktap_finish();
	}
	child = fork();
	if (child == 0) {
		close(cmd[1]);
		close(rep[0]);
		holder(cmd[0], rep[1]);
	}
	close(cmd[0]);
	close(rep[1]);
	if (!ktap_ok(read(rep[0], &addr, sizeof(addr)) == sizeof(addr) &&
		     read(rep[0], &sum_written, sizeof(sum_written)) == sizeof(sum_written),
		     "holder filled %d MiB with the pattern", FILL_MB))
		ktap_finish();
	free_after = zone_counter("Movable", "free");
	ktap_diag("ZONE_MOVABLE free pages: %ld -> %ld", free_before, free_after);
	ktap_ok(free_before - free_after >= (long)(NBLOCKS * bsz / page / 2),
		"ZONE_MOVABLE free pages fell by more than a block");
	for (i = 0; i < NBLOCKS; i++) {
		in = pfns_in(child, addr, len, lo[i], hi[i]);
		ktap_diag("memory%d holds %ld pages of the holder", blocks[i], in);
		ktap_ok(in >= (long)(bsz / page / 2),
			"block %d holds at least half a block of the holder's pages", i + 1);
	}

	for (i = 0; i < NBLOCKS; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = block_write(blocks[i], "state", "offline");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ktap_diag("memory%d: offline: %s in %.1f s", blocks[i], errstr(err),
			  (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		if (!err)
			onlined[i] = 0;
		ktap_ok(!err, "block %d: offline succeeds by migrating the pages", i + 1);
		ktap_ok(block_is(blocks[i], "offline"), "block %d: state reads offline", i + 1);
		ktap_ok(pfns_in(child, addr, len, lo[i], hi[i]) == 0,
			"block %d holds none of the holder's pages any more", i + 1);
	}
	total_after = meminfo_kb("MemTotal");
	ktap_diag("MemTotal: %ld kB, %ld kB before", total_after, total_before);
	ktap_ok(total_after == total_before, "MemTotal is back where it was");

	if (!ktap_ok(write(cmd[1], &go, 1) == 1 &&
		     read(rep[0], &bad, sizeof(bad)) == sizeof(bad) &&
		     read(rep[0], &sum_read, sizeof(sum_read)) == sizeof(sum_read),
		     "holder verified its memory"))
		ktap_finish();
	ktap_diag("%llu words differ", (unsigned long long)bad);
	ktap_ok(bad == 0, "every word reads back as written");
	ktap_ok(sum_read == sum_written, "checksum unchanged by the migration");
	waitpid(child, &status, 0);
	child = -1;
	ktap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "holder exits cleanly");
	ktap_finish();
}
