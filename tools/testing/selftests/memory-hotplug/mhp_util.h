/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the memory-hotplug C tests: KTAP output without
 * a plan up front, sysfs reads and writes that report errno, memory block
 * lookups, /proc/zoneinfo counters and page frame numbers from pagemap.
 * Everything is static: each test is one translation unit.
 */
#ifndef MHP_UTIL_H
#define MHP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest.h"	/* __printf, __noreturn */

#define MEM_DIR "/sys/devices/system/memory"

static int ktap_n, ktap_failed, ktap_skipped;

static inline void ktap_start(void)
{
	printf("TAP version 13\n");
	fflush(stdout);
}

static inline void ktap_vresult(const char *verdict, const char *tail,
				const char *fmt, va_list ap)
{
	printf("%s %d ", verdict, ++ktap_n);
	vprintf(fmt, ap);
	printf("%s\n", tail);
	fflush(stdout);
}

/* ktap_ok: one result; returns cond so callers can chain on it */
static inline int __printf(2, 3)
ktap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ktap_vresult(cond ? "ok" : "not ok", "", fmt, ap);
	va_end(ap);
	if (!cond)
		ktap_failed++;
	return cond;
}

static inline void __printf(2, 3)
ktap_skip(const char *why, const char *fmt, ...)
{
	char tail[256];
	va_list ap;

	snprintf(tail, sizeof(tail), " # SKIP %s", why);
	va_start(ap, fmt);
	ktap_vresult("ok", tail, fmt, ap);
	va_end(ap);
	ktap_skipped++;
}

static inline void __printf(1, 2)
ktap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void (*ktap_cleanup)(void);

static inline void __noreturn ktap_finish(void)
{
	if (ktap_cleanup)
		ktap_cleanup();
	printf("1..%d\n", ktap_n);
	printf("# Totals: pass:%d fail:%d skip:%d\n",
	       ktap_n - ktap_failed - ktap_skipped, ktap_failed, ktap_skipped);
	fflush(stdout);
	if (ktap_failed)
		exit(1);
	if (ktap_n > 0 && ktap_skipped == ktap_n)
		exit(4);
	exit(0);
}

static inline void __noreturn ktap_skip_all(const char *why)
{
	if (ktap_cleanup)
		ktap_cleanup();
	printf("1..0 # SKIP %s\n", why);
	fflush(stdout);
	exit(4);
}

/* read_file: the first line of path, without its newline; 0 or errno */
static inline int read_file(const char *path, char *buf, size_t len)
{
	ssize_t got;
	int fd;

	buf[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	got = read(fd, buf, len - 1);
	if (got < 0) {
		int err = errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* write_file: one write(2) of val; 0 or errno */
static inline int write_file(const char *path, const char *val)
{
	ssize_t done;
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	done = write(fd, val, strlen(val));
	if (done < 0)
		err = errno;
	close(fd);
	return err;
}

/* errstr: what a write's outcome was, for diagnostics */
static inline const char *errstr(int err)
{
	return err < 0 ? "no outcome" : err ? strerror(err) : "succeeded";
}

static inline unsigned long block_size(void)
{
	char buf[64];

	if (read_file(MEM_DIR "/block_size_bytes", buf, sizeof(buf)))
		return 0;
	return strtoul(buf, NULL, 16);
}

static inline int block_file(int id, const char *file, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), MEM_DIR "/memory%d/%s", id, file);
	return read_file(path, buf, len);
}

static inline int block_write(int id, const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), MEM_DIR "/memory%d/%s", id, file);
	return write_file(path, val);
}

/* block_is: does memoryID's state read as want? */
static inline int block_is(int id, const char *want)
{
	char buf[64];

	return !block_file(id, "state", buf, sizeof(buf)) && !strcmp(buf, want);
}

/* block_offline: offline memoryID, retrying briefly; 0 or the last errno */
static inline int block_offline(int id)
{
	int i, err = 0;

	for (i = 0; i < 10; i++) {
		if (block_is(id, "offline"))
			return 0;
		err = block_write(id, "state", "offline");
		if (!err)
			return 0;
		sleep(1);
	}
	return err;
}

/*
 * movable_candidates: up to max ids of blocks that are offline now and
 * could be onlined to ZONE_MOVABLE, highest first; returns how many.
 */
static inline int movable_candidates(int *ids, int max)
{
	char buf[128];
	int id, n = 0;

	for (id = 4096; id >= 0 && n < max; id--) {
		if (block_file(id, "state", buf, sizeof(buf)) || strcmp(buf, "offline"))
			continue;
		if (block_file(id, "valid_zones", buf, sizeof(buf)) || !strstr(buf, "Movable"))
			continue;
		ids[n++] = id;
	}
	return n;
}

/*
 * zone_counter: a counter of node 0's zone from /proc/zoneinfo: "free"
 * (pages free), "present", "managed", "spanned"; -1 if not found.
 */
static inline long zone_counter(const char *zone, const char *field)
{
	char line[256], name[64], key[64];
	long val = -1;
	int node, in = 0;
	FILE *f;

	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone %63s", &node, name) == 2) {
			in = node == 0 && !strcmp(name, zone);
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(field, "free") && sscanf(line, " pages free %ld", &val) == 1)
			break;
		if (sscanf(line, " %63s %ld", key, &val) == 2 && !strcmp(key, field))
			break;
		val = -1;
	}
	fclose(f);
	return val;
}

static inline long meminfo_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long val = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/*
 * pfns_in: how many of the pages of [addr, addr + len) in process pid are
 * present with a frame number in [lo, hi); -1 if pagemap cannot be read.
 * Frame numbers are only shown to a privileged reader.
 */
static inline long pfns_in(pid_t pid, const void *addr, size_t len,
			   uint64_t lo, uint64_t hi)
{
	long page = sysconf(_SC_PAGESIZE), n = 0;
	uint64_t first = (uintptr_t)addr / page, count = len / page, i;
	uint64_t buf[512];
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	for (i = 0; i < count; ) {
		size_t want = count - i > 512 ? 512 : count - i;
		ssize_t got = pread(fd, buf, want * 8, (first + i) * 8);
		size_t j;

		if (got <= 0) {
			n = -1;
			break;
		}
		for (j = 0; j < (size_t)got / 8; j++) {
			uint64_t e = buf[j], pfn = e & ((1ULL << 55) - 1);

			if ((e >> 63) & 1 && pfn >= lo && pfn < hi)
				n++;
		}
		i += got / 8;
	}
	close(fd);
	return n;
}

#endif /* MHP_UTIL_H */
