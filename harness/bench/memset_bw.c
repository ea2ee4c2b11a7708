// SPDX-License-Identifier: GPL-2.0
/*
 * memset_bw MIB: the guest's memset bandwidth over a MIB mebibyte buffer,
 * best of several passes, printed as "BYTES_PER_S N", and the seconds of
 * the first pass, which faults the buffer in ("FIRST_PASS_S T"): memory
 * the host has not given the guest yet costs the host's page faults there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t bytes = (argc > 1 ? strtoull(argv[1], NULL, 0) : 256) << 20;
	char *buf = malloc(bytes);
	double best = 0, first, t;
	int pass;

	if (!buf)
		return 1;
	first = now();
	memset(buf, 1, bytes);	/* fault it in first */
	first = now() - first;
	for (pass = 0; pass < 5; pass++) {
		t = now();
		memset(buf, pass, bytes);
		t = now() - t;
		if (bytes / t > best)
			best = bytes / t;
	}
	printf("BYTES_PER_S %.0f (check %d)\nFIRST_PASS_S %.6f\n", best, buf[bytes / 2],
	       first);
	return 0;
}
