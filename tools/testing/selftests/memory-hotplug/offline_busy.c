// SPDX-License-Identifier: GPL-2.0
/*
 * Blocks that cannot be offlined: the write fails at once with the right
 * error and the block stays online.
 *
 *  - A block only partly backed by RAM (a hole, as the first block of a
 *    PC has below 1 MiB) is refused with EINVAL.
 *  - A block in a kernel zone holding kernel-owned pages that nothing can
 *    migrate is refused with EBUSY. Such pages are made here: pipe buffers
 *    are unmovable kernel allocations, so PIPE_MB of data written into
 *    pipes spreads over the kernel zone's blocks; /proc/kpageflags then
 *    shows which block holds the most in-use pages that are neither on an
 *    LRU list nor free, and that block is the one offlined.
 */
#define _GNU_SOURCE
#include <sys/resource.h>

#include "mhp_util.h"

#define PIPE_MB 384
#define PIPE_SZ (1024 * 1024)
#define MAX_BLOCKS 4096
#define MAX_RANGES 64

#define KPF_LRU 5
#define KPF_BUDDY 10
#define KPF_NOPAGE 20
#define KPF_RESERVED 32

static int npipes, (*pipes)[2];
static int reonline = -1;

static void cleanup(void)
{
	int i;

	for (i = 0; i < npipes; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	npipes = 0;
	/* Should an offline we expected to fail have worked, undo it. */
	if (reonline >= 0 && block_is(reonline, "offline"))
		block_write(reonline, "state", "online_kernel");
	reonline = -1;
}

static uint64_t ram_lo[MAX_RANGES], ram_hi[MAX_RANGES];
static int nram;

/* The top-level "System RAM" ranges of /proc/iomem (real addresses as root). */
static int read_ram_ranges(void)
{
	unsigned long long lo, hi;
	char line[256];
	FILE *f;

	f = fopen("/proc/iomem", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && nram < MAX_RANGES) {
		if (line[0] == ' ' || !strstr(line, ": System RAM"))
			continue;
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && hi) {
			ram_lo[nram] = lo;
			ram_hi[nram++] = hi + 1;
		}
	}
	fclose(f);
	return 0;
}

/* Is [lo, hi) wholly inside one System RAM range? */
static int all_ram(uint64_t lo, uint64_t hi)
{
	int i;

	for (i = 0; i < nram; i++)
		if (ram_lo[i] <= lo && hi <= ram_hi[i])
			return 1;
	return 0;
}

/*
 * busy_pages: pages of memoryID that are in use but neither on an LRU
 * list nor free, or -1 if the block has a hole or reserved pages or
 * kpageflags cannot be read.
 */
static long busy_pages(int kpf, int id, unsigned long pages)
{
	uint64_t flags[1024], first = (uint64_t)id * pages, i;
	long n = 0;

	for (i = 0; i < pages; ) {
		size_t want = pages - i > 1024 ? 1024 : pages - i, j;
		ssize_t got = pread(kpf, flags, want * 8, (first + i) * 8);

		if (got <= 0)
			return -1;
		for (j = 0; j < (size_t)got / 8; j++) {
			uint64_t f = flags[j];

			if (f & (1ULL << KPF_NOPAGE | 1ULL << KPF_RESERVED))
				return -1;
			if (!(f & (1ULL << KPF_LRU | 1ULL << KPF_BUDDY)))
				n++;
		}
		i += got / 8;
	}
	return n;
}

static void hole_block(unsigned long bsz)
{
	char state[64];
	int id, err;

	if (read_ram_ranges() || !nram) {
		ktap_skip("no System RAM in /proc/iomem", "a block with a hole is refused");
		return;
	}
	for (id = 0; id < MAX_BLOCKS; id++) {
		uint64_t lo = (uint64_t)id * bsz;

		if (!block_is(id, "online") || all_ram(lo, lo + bsz))
			continue;
		reonline = id;
		err = block_write(id, "state", "offline");
		ktap_diag("memory%d: offline: %s", id, errstr(err));
		ktap_ok(err == EINVAL, "a block with a hole refuses offline with EINVAL");
		block_file(id, "state", state, sizeof(state));
		ktap_diag("memory%d: state %s", id, state);
		ktap_ok(!strcmp(state, "online"), "the block with a hole is still online");
		cleanup();
		return;
	}
	ktap_skip("every online block is all RAM", "a block with a hole is refused");
}

int main(void)
{
	unsigned long bsz = block_size(), pages;
	long page = sysconf(_SC_PAGESIZE), most = 0, n;
	int id, best = -1, i, kpf, err;
	char *buf, zones[64], state[64];
	struct rlimit nofile;

	ktap_start();
	if (geteuid())
		ktap_skip_all("must run as root");
	if (!bsz)
		ktap_skip_all("no " MEM_DIR "/block_size_bytes");
	ktap_cleanup = cleanup;
	pages = bsz / page;

	hole_block(bsz);

	kpf = open("/proc/kpageflags", O_RDONLY);
	if (kpf < 0) {
		ktap_skip("no /proc/kpageflags", "a block holding pipe buffers is refused");
		ktap_finish();
	}

	/* Unmovable kernel pages: the buffers of full pipes. */
	nofile.rlim_cur = 4 * PIPE_MB;
	nofile.rlim_max = 4 * PIPE_MB;
	setrlimit(RLIMIT_NOFILE, &nofile);	/* two descriptors a pipe */
	pipes = calloc(PIPE_MB, sizeof(*pipes));
	buf = malloc(PIPE_SZ);
	if (!pipes || !buf)
		ktap_skip_all("out of memory");
	memset(buf, 0x5a, PIPE_SZ);
	for (i = 0; i < PIPE_MB; i++) {
		if (pipe2(pipes[i], O_NONBLOCK))
			break;
		npipes++;
		if (fcntl(pipes[i][1], F_SETPIPE_SZ, PIPE_SZ) < PIPE_SZ ||
		    write(pipes[i][1], buf, PIPE_SZ) != PIPE_SZ)
			break;
	}
	if (i != PIPE_MB)
		ktap_diag("stopped at pipe %d: %s", i, strerror(errno));
	ktap_ok(i == PIPE_MB, "%d MiB of data sit in pipes", PIPE_MB);

	for (id = 0; id < MAX_BLOCKS; id++) {
		if (!block_is(id, "online"))
			continue;
		if (block_file(id, "valid_zones", zones, sizeof(zones)) ||
		    !strcmp(zones, "Movable") || !strcmp(zones, "none"))
			continue;
		n = busy_pages(kpf, id, pages);
		if (n > most) {
			most = n;
			best = id;
		}
	}
	close(kpf);
	if (!ktap_ok(best >= 0 && most > 256,
		     "a kernel-zone block without holes holds unmovable pages"))
		ktap_finish();
	ktap_diag("memory%d: %ld pages neither on an LRU list nor free", best, most);

	reonline = best;
	err = block_write(best, "state", "offline");
	ktap_diag("memory%d: offline: %s", best, errstr(err));
	ktap_ok(err == EBUSY, "the block holding pipe buffers refuses offline with EBUSY");
	block_file(best, "state", state, sizeof(state));
	block_file(best, "valid_zones", zones, sizeof(zones));
	ktap_diag("memory%d: state %s, valid_zones %s", best, state, zones);
	ktap_ok(!strcmp(state, "online"), "that block is still online");
	ktap_ok(strcmp(zones, "Movable") && strcmp(zones, "none"),
		"that block is still in its kernel zone");
	ktap_finish();
}
