// SPDX-License-Identifier: GPL-2.0
/*
 * Offlining a block whose pages cannot be migrated for now keeps trying
 * until a signal ends the attempt; the block is then online again as
 * before, and a later attempt succeeds once the pages are free to move.
 *
 * A page of ours in a ZONE_MOVABLE block is given to a pipe with
 * vmsplice(2): the pipe holds a reference to that very page, so migration
 * cannot move it while the data sits in the pipe. Two attempts to offline
 * the block are made: one ended by a handled SIGALRM (the write must fail
 * with EINTR) and one by a fatal signal. Meanwhile the state file must
 * show "going-offline". Then the pipe is drained and offlining succeeds.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "mhp_util.h"

#define MAP_MB 16
#define ALARM_S 4
#define KILL_AFTER_MS 2500

static int block = -1, onlined, splice_pipe[2] = { -1, -1 };
static pid_t child = -1;

static void cleanup(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	if (splice_pipe[0] >= 0) {
		close(splice_pipe[0]);
		close(splice_pipe[1]);
		splice_pipe[0] = -1;
		splice_pipe[1] = -1;
	}
	if (onlined && block_offline(block))
		printf("# could not offline memory%d again\n", block);
	onlined = 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void on_alarm(int sig)
{
	(void)sig;
}

struct attempt {
	int err;		/* errno of the write, 0 if it succeeded */
	double secs;		/* how long the write took */
};

/*
 * offline_attempt: a child writes "offline" to the block's state; with
 * handled set it arms SIGALRM and reports the write's outcome on a pipe,
 * otherwise the parent kills it after KILL_AFTER_MS. The parent polls the
 * state file meanwhile. Returns the child's wait status; *seen tells
 * whether "going-offline" was read while the write was in progress.
 */
static int offline_attempt(int handled, struct attempt *res, int *seen)
{
	int rep[2], status = 0;
	double start = now();
	char state[64];

	*seen = 0;
	memset(res, 0, sizeof(*res));
	res->err = -1;
	if (pipe(rep))
		return -1;
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		struct sigaction sa = { .sa_handler = on_alarm };
		struct attempt a;
		double t0;

		close(rep[0]);
		if (handled) {
			sigemptyset(&sa.sa_mask);
			sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
			alarm(ALARM_S);
		}
		t0 = now();
		a.err = block_write(block, "state", "offline");
		a.secs = now() - t0;
		if (write(rep[1], &a, sizeof(a)) != sizeof(a))
			_exit(2);
		_exit(0);
	}
	close(rep[1]);
	for (;;) {
		struct pollfd p = { .fd = rep[0], .events = POLLIN };

		if (poll(&p, 1, 20) > 0)
			break;
		if (!block_file(block, "state", state, sizeof(state)) &&
		    !strcmp(state, "going-offline"))
			*seen = 1;
		if (!handled && (now() - start) * 1000 > KILL_AFTER_MS) {
			kill(child, SIGTERM);
			break;
		}
		if (now() - start > 60) {	/* a hung attempt: give up */
			kill(child, SIGKILL);
			break;
		}
	}
	if (read(rep[0], res, sizeof(*res)) != sizeof(*res))
		res->err = -1;
	close(rep[0]);
	waitpid(child, &status, 0);
	child = -1;
	return status;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)MAP_MB << 20, i;
	unsigned long bsz = block_size();
	uint64_t lo, hi;
	int seen, status, err, got_page = 0;
	struct attempt res;
	struct iovec iov;
	char state[64], *mem, *pinned = NULL, *back;

	ktap_start();
	if (geteuid())
		ktap_skip_all("must run as root");
	if (!bsz)
		ktap_skip_all("no " MEM_DIR "/block_size_bytes");
	if (movable_candidates(&block, 1) < 1)
		ktap_skip_all("needs an offline memory block that may go to ZONE_MOVABLE");
	ktap_cleanup = cleanup;
	lo = (uint64_t)block * bsz / page;
	hi = lo + bsz / page;

	err = block_write(block, "state", "online_movable");
	onlined = !err;
	ktap_diag("memory%d: online_movable: %s", block, errstr(err));
	if (!ktap_ok(!err, "the block goes online_movable"))
		ktap_finish();

	/* Our memory, filled with a pattern; ZONE_MOVABLE serves it first. */
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	back = malloc(page);
	if (mem == MAP_FAILED || !back)
		ktap_skip_all("cannot map the test memory");
	for (i = 0; i < len; i++)
		mem[i] = (char)(i * 7 + i / page);
	for (i = 0; i < len && !pinned; i += page)
		if (pfns_in(getpid(), mem + i, page, lo, hi) == 1)
			pinned = mem + i;
	if (!ktap_ok(!!pinned, "one of our pages lies in the block"))
		ktap_finish();

	/* Give that page to a pipe: the pipe now holds a reference to it. */
	if (pipe(splice_pipe))
		ktap_skip_all("cannot create a pipe");
	iov.iov_base = pinned;
	iov.iov_len = page;
	got_page = vmsplice(splice_pipe[1], &iov, 1, 0) == page;
	if (!ktap_ok(got_page, "vmsplice hands the page to a pipe"))
		ktap_finish();

	status = offline_attempt(1, &res, &seen);
	ktap_diag("offline: %s after %.1f s", errstr(res.err), res.secs);
	ktap_ok(WIFEXITED(status) && res.err == EINTR,
		"offline interrupted by a handled signal fails with EINTR");
	ktap_ok(res.secs > ALARM_S - 1, "it kept trying until the signal came");
	ktap_ok(seen, "state read going-offline while the write was in progress");
	block_file(block, "state", state, sizeof(state));
	ktap_diag("state: %s", state);
	ktap_ok(!strcmp(state, "online"), "the block's state reads online afterwards");
	ktap_ok(pfns_in(getpid(), pinned, page, lo, hi) == 1,
		"the page has not moved");

	status = offline_attempt(0, &res, &seen);
	ktap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
		"offline writer is ended by a fatal signal");
	ktap_ok(seen, "state read going-offline before the signal");
	block_file(block, "state", state, sizeof(state));
	ktap_diag("state: %s", state);
	ktap_ok(!strcmp(state, "online"), "the block's state reads online after that");

	/* Draining the pipe returns what the page held and drops the reference. */
	ktap_ok(read(splice_pipe[0], back, page) == page && !memcmp(back, pinned, page),
		"the pipe returns the page's contents");
	close(splice_pipe[0]);
	close(splice_pipe[1]);
	splice_pipe[0] = -1;
	splice_pipe[1] = -1;

	err = block_write(block, "state", "offline");
	ktap_diag("offline: %s", errstr(err));
	if (!err)
		onlined = 0;
	ktap_ok(!err, "offline succeeds once nothing holds the page");
	ktap_ok(block_is(block, "offline"), "the block's state reads offline");
	ktap_ok(pfns_in(getpid(), mem, len, lo, hi) == 0,
		"none of our pages lie in the block any more");
	for (i = 0; i < len; i++)
		if (mem[i] != (char)(i * 7 + i / page))
			break;
	ktap_ok(i == len, "our memory reads back as written");
	ktap_finish();
}
