// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory hot(un)plug core, part four: work spread over several CPUs.
 *
 * Most of the time an add or an online of a large range spends writing
 * its memmap, on one CPU, and most of the time an offline spends
 * migrating. This file gives the rest of the core its helpers:
 *
 *  - which CPUs a helper may run on and how many a parameter allows
 *    (mhp_helper_cpus(), mhp_param_cpus());
 *  - a range cut into pieces that the caller and helpers on other CPUs
 *    claim from a shared counter (mhp_run_pieces()): onlining uses it to
 *    free a block's pages, the add to write a new range's memmap;
 *  - the memmap of a range added and onlined at once, written by the add
 *    on several CPUs and taken over by each block's onlining
 *    (mhp_init_memmap_ahead(), mhp_memmap_ready());
 *  - the memmap of a range added offline, faulted in by workers ahead of
 *    its onlining (mhp_prefault_*()).
 *
 * Each of them is switched off by setting its parameter to 1, which gives
 * 6.12's single-CPU behaviour.
 *
 * Locking: mhp_run_pieces() runs with mem_hotplug_lock held for write,
 * which (through cpu_hotplug_lock) keeps the online CPUs as they are. The
 * ready range and the prefault range are owned by whoever holds
 * device_hotplug_lock, except the fields of struct mhp_prefault that its
 * comment names.
 */

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/rwsem.h>
#include <linux/sched/isolation.h>
#include <linux/workqueue.h>

#include "internal.h"
#include "memory_hotplug_internal.h"

/* ===== helper CPUs ====================================================== */

/*
 * May a helper of ours run on @cpu? Not on a CPU isolated from the
 * scheduler's domains (isolcpus) or from kernel work (nohz_full): the
 * CPUs unbound workqueues also keep off by default.
 */
static bool mhp_helper_cpu(int cpu)
{
	return housekeeping_test_cpu(cpu, HK_TYPE_DOMAIN) &&
	       housekeeping_test_cpu(cpu, HK_TYPE_WQ);
}

/**
 * mhp_helper_cpus() - how many online CPUs helpers may use
 *
 * The online housekeeping CPUs (mhp_helper_cpu()), at least one: the
 * caller works too, isolated or not. What 0 stands for in init_threads,
 * free_threads, prefault_threads and migrate_threads, and what larger
 * values are clamped to.
 *
 * Return: the number of CPUs, 1 or more.
 */
unsigned int mhp_helper_cpus(void)
{
	unsigned int cpu, n = 0;

	for_each_online_cpu(cpu)
		n += mhp_helper_cpu(cpu);
	return max(n, 1U);
}

/**
 * mhp_param_cpus() - the CPUs a CPU-count parameter allows now
 * @threads: the parameter's value, read once by the caller
 *
 * 0 stands for every online housekeeping CPU (mhp_helper_cpus()); any
 * value is clamped to that and to MHP_MAX_THREADS.
 *
 * Return: the number of CPUs, the caller's included: 1 or more.
 */
unsigned int mhp_param_cpus(unsigned int threads)
{
	unsigned int cpus = mhp_helper_cpus();

	return min3(threads ? threads : cpus, cpus, MHP_MAX_THREADS);
}

/* ===== a range cut into pieces for several CPUs ========================= */

/**
 * mhp_split_plan() - decide how many CPUs work on a range, in what pieces
 * @nr_pages: pages in the range
 * @max_threads: most CPUs to use, at least 1
 * @align: pieces start and end on multiples of this many pages (a power
 *	of two), except where the range itself starts or ends
 * @plan: filled in
 *
 * A CPU is only worth it for MHP_MIN_PIECE_PAGES or more pages; with one
 * CPU the whole range is one piece. Otherwise each CPU gets about
 * MHP_PIECES_PER_THREAD pieces of one size: a power of two, at least
 * @align. A pure function: mm/memory_hotplug_test.c tests it.
 */
void mhp_split_plan(unsigned long nr_pages, unsigned int max_threads,
		    unsigned long align, struct mhp_split *plan)
{
	unsigned long threads = nr_pages / MHP_MIN_PIECE_PAGES, piece;

	threads = clamp_t(unsigned long, threads, 1, max(max_threads, 1U));
	plan->threads = threads;
	if (threads == 1) {
		plan->piece = nr_pages;
		return;
	}
	/* A power of two, so boundaries that are multiples of it align. */
	piece = DIV_ROUND_UP(nr_pages, threads * MHP_PIECES_PER_THREAD);
	plan->piece = max(roundup_pow_of_two(piece), align);
}

/**
 * mhp_split_piece() - the pages of one piece of a planned range
 * @start_pfn: first pfn of the range
 * @nr_pages: pages in the range
 * @plan: from mhp_split_plan() for @nr_pages
 * @index: which piece, counted from 0
 * @len: set to the number of pages of the piece, 0 past the last one
 *
 * Pieces lie on boundaries that are multiples of @plan->piece, so the
 * first and the last may be shorter; together they are the range, each
 * page in exactly one. A pure function: mm/memory_hotplug_test.c tests it.
 *
 * Return: the first pfn of the piece.
 */
unsigned long mhp_split_piece(unsigned long start_pfn, unsigned long nr_pages,
			      const struct mhp_split *plan,
			      unsigned long index, unsigned long *len)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	unsigned long first, last;

	if (plan->threads == 1) {
		*len = index ? 0 : nr_pages;
		return start_pfn;
	}
	first = ALIGN_DOWN(start_pfn, plan->piece) + index * plan->piece;
	last = first + plan->piece;
	first = max(first, start_pfn);
	last = min(last, end_pfn);
	*len = last > first ? last - first : 0;
	return first;
}

/*
 * One range being worked through by several CPUs. @next is the only field
 * written once helpers run: each CPU claims the piece it names with an
 * atomic increment.
 */
struct mhp_job {
	unsigned long start_pfn;
	unsigned long nr_pages;
	struct mhp_split plan;
	mhp_piece_fn fn;
	void *arg;
	atomic_long_t next;
};

struct mhp_job_helper {
	struct work_struct work;
	struct mhp_job *job;
};

/* Claim pieces until none is left; any number of CPUs may run this. */
static void mhp_job_claim(struct mhp_job *job)
{
	unsigned long index, pfn, len;

	for (;;) {
		index = atomic_long_fetch_inc(&job->next);
		pfn = mhp_split_piece(job->start_pfn, job->nr_pages, &job->plan,
				      index, &len);
		if (!len)
			return;
		job->fn(pfn, len, job->arg);
	}
}

static void mhp_job_work(struct work_struct *work)
{
	mhp_job_claim(container_of(work, struct mhp_job_helper, work)->job);
}

/**
 * mhp_run_pieces() - work through a range on several CPUs
 * @start_pfn: first pfn of the range
 * @nr_pages: number of pages
 * @align: pieces start on multiples of this many pages (a power of two),
 *	except where the range starts
 * @fn: called once for each piece, on any of the CPUs, in any order;
 *	it must not sleep on a lock the caller holds
 * @arg: passed to @fn
 * @nid: node of the range: helpers go to its CPUs first
 * @cpus: most CPUs to use, the caller's included (mhp_param_cpus())
 *
 * The caller works on pieces too, with one helper on each of up to
 * mhp_split_plan()'s threads - 1 other online CPUs (an unbound worker
 * could be woken on this very CPU and only take turns with the caller):
 * housekeeping CPUs only (mhp_helper_cpu()), those of @nid first.
 * Pieces are claimed from a shared counter, so if no helper gets to run
 * the caller does them all and never waits for a helper that has not
 * started. Returns once every piece is done. Called with
 * mem_hotplug_lock held for write: through cpu_hotplug_lock, that keeps
 * the set of online CPUs as it is.
 */
void mhp_run_pieces(unsigned long start_pfn, unsigned long nr_pages,
		    unsigned long align, mhp_piece_fn fn, void *arg, int nid,
		    unsigned int cpus)
{
	struct mhp_job_helper helpers[MHP_MAX_THREADS - 1];
	struct mhp_job job = {
		.start_pfn = start_pfn,
		.nr_pages = nr_pages,
		.fn = fn,
		.arg = arg,
		.next = ATOMIC_LONG_INIT(0),
	};
	unsigned int i, nr_helpers = 0;
	int cpu, self, pass;

	mem_hotplug_assert_write_held();
	mhp_split_plan(nr_pages, cpus, align, &job.plan);

	self = raw_smp_processor_id();
	/* First the CPUs of @nid, then the others. */
	for (pass = 0; pass < 2; pass++) {
		for_each_online_cpu(cpu) {
			if (nr_helpers + 1 >= job.plan.threads)
				break;
			if (cpu == self || !mhp_helper_cpu(cpu) ||
			    (cpu_to_node(cpu) == nid) == pass)
				continue;
			INIT_WORK_ONSTACK(&helpers[nr_helpers].work,
					  mhp_job_work);
			helpers[nr_helpers].job = &job;
			queue_work_on(cpu, system_highpri_wq,
				      &helpers[nr_helpers].work);
			nr_helpers++;
		}
	}
	mhp_job_claim(&job);
	/* A helper still queued finds nothing left: take it off the queue. */
	for (i = 0; i < nr_helpers; i++) {
		cancel_work_sync(&helpers[i].work);
		destroy_work_on_stack(&helpers[i].work);
	}
}

/* ===== the memmap of a range added and onlined at once ================== */

/*
 * Onlining a block initializes its memmap (64 bytes of struct page per
 * 4 KiB page) before anything else, block after block on one CPU. In a
 * virtual machine the first write to that memmap costs most (each page of
 * it faults into the hypervisor, which finds and zeroes host memory), and
 * the initialization itself is most of the rest. When a range is onlined
 * right after it was added (auto_online_blocks), the add initializes the
 * struct pages of the whole range for the zone the first block will go to
 * (what the onlining would write, but the pageblocks' migrate types, which
 * need the zone to span the range first), cut into pieces of whole
 * sections that the adding CPU and helpers on the other online CPUs write
 * at once. It then records the range in mhp_ready (mhp_ready_begin())
 * around its onlining walk, and each block onlined in order to that zone
 * takes its part of the record instead of writing its memmap again
 * (mhp_memmap_ready()). A block
 * that goes elsewhere (another zone, a veto, an earlier block skipped) is
 * initialized by its onlining as always, over memory that is at least
 * already there. Nothing reads the memmap of an offline range.
 *
 * Pieces are claimed from a shared counter: if no helper gets to run (a
 * busy or memory-starved machine), the adding CPU writes them all and
 * never waits for a helper that has not started. A range whose memmap
 * lives on itself (memmap_on_memory) is left alone: its provider may make
 * it accessible only when it is onlined.
 *
 * The cutting and the helpers are mhp_run_pieces() above.
 */

/*
 * memory_hotplug.init_threads: most CPUs that initialize the memmap of a
 * range being added and onlined, the adding one included. 0 means every
 * online housekeeping CPU (mhp_helper_cpus()), up to MHP_MAX_THREADS, and
 * larger values are clamped to as many (mhp_param_cpus()); 1 leaves it to
 * each block's onlining, as 6.12 does. Read once per range.
 */
static unsigned int mhp_init_threads;
module_param_named(init_threads, mhp_init_threads, uint, 0644);
MODULE_PARM_DESC(init_threads,
		 "CPUs that initialize the memmap of memory added and onlined at once (0: all housekeeping CPUs, at most 8; 1: the adding CPU alone)");

/*
 * The range whose memmap an add initialized, while its blocks are being
 * onlined. Set and cleared by the add (mhp_ready_begin(), mhp_ready_end())
 * around its onlining walk and read (and advanced) by online_pages()
 * through mhp_memmap_ready(): all of them with device_hotplug_lock held,
 * which also keeps anyone else from onlining, offlining or removing the
 * range meanwhile. Empty otherwise, so that nothing trusts a memmap an add
 * wrote once the add is over.
 */
static struct mhp_ready_memmap mhp_ready;

/**
 * mhp_ready_take() - may an online use the memmap the add initialized?
 * @ready: the initialized range, advanced past what this online takes
 * @start_pfn: first pfn being onlined
 * @nr_pages: number of pages being onlined
 * @nid: node of the zone the pages go to
 * @zid: that zone
 *
 * Yes if [@start_pfn, @start_pfn + @nr_pages) lies in what is left of
 * @ready and its struct pages name @nid and @zid. An online inside what
 * is left consumes everything up to its end, used or not: pages skipped
 * over, or initialized for another zone, are not trusted again. A pure
 * function: mm/memory_hotplug_test.c tests it.
 *
 * Return: true if the caller must not initialize the struct pages again.
 */
bool mhp_ready_take(struct mhp_ready_memmap *ready, unsigned long start_pfn,
		    unsigned long nr_pages, int nid, enum zone_type zid)
{
	const unsigned long end_pfn = start_pfn + nr_pages;

	if (start_pfn < ready->next_pfn || end_pfn > ready->end_pfn ||
	    !nr_pages)
		return false;
	ready->next_pfn = end_pfn;
	return nid == ready->nid && zid == ready->zid;
}

/**
 * mhp_memmap_ready() - did the add initialize this range's memmap already?
 * @zone: the zone the range is being onlined to
 * @start_pfn: first pfn
 * @nr_pages: number of pages
 *
 * For online_pages(), with device_hotplug_lock held: see mhp_ready. A true
 * answer is given once for each page.
 *
 * Return: true if the struct pages are initialized for @zone.
 */
bool mhp_memmap_ready(struct zone *zone, unsigned long start_pfn,
		      unsigned long nr_pages)
{
	mhp_assert_device_hotplug_held();
	return mhp_ready_take(&mhp_ready, start_pfn, nr_pages,
			      zone_to_nid(zone), zone_idx(zone));
}

/* Whom the struct pages of mhp_init_memmap_ahead()'s range name. */
struct mhp_memmap_owner {
	int nid;
	enum zone_type zid;
};

/*
 * Initialize the struct pages of one piece, as move_pfn_range_to_zone()
 * would but for the pageblocks' migrate types. An mhp_piece_fn.
 */
static void mhp_init_memmap_piece(unsigned long start_pfn,
				  unsigned long nr_pages, void *arg)
{
	const struct mhp_memmap_owner *owner = arg;
	const unsigned long end_pfn = start_pfn + nr_pages;
	unsigned long pfn;
	struct page *page;

	for (pfn = start_pfn; pfn < end_pfn; pfn++) {
		page = pfn_to_page(pfn);
		__init_single_page(page, pfn, owner->zid, owner->nid);
		/* A page of its own: the folio is the page. */
		__folio_set_offline(page_folio(page));
		if (pageblock_aligned(pfn))
			cond_resched();
	}
}

/**
 * mhp_init_memmap_ahead() - initialize an added range's memmap on all CPUs
 * @start_pfn: first pfn of the range, which has just been mapped
 * @nr_pages: number of pages
 * @zone: the zone its struct pages are to name
 * @ready: set to the range and @zone once its struct pages are all
 *	initialized, for mhp_ready_begin(); left alone otherwise
 *
 * See the top of this section. Does nothing with init_threads=1, on one
 * CPU, or for a range of one section. Returns once every piece is
 * written. Called with mem_hotplug_lock held for write (which keeps the
 * range the caller's), before the range has memory block devices.
 */
void mhp_init_memmap_ahead(unsigned long start_pfn, unsigned long nr_pages,
			   struct zone *zone, struct mhp_ready_memmap *ready)
{
	struct mhp_memmap_owner owner = {
		.nid = zone_to_nid(zone),
		.zid = zone_idx(zone),
	};
	const unsigned int cpus = mhp_param_cpus(READ_ONCE(mhp_init_threads));

	mem_hotplug_assert_write_held();
	if (cpus < 2 || nr_pages <= PAGES_PER_SECTION)
		return;
	mhp_run_pieces(start_pfn, nr_pages, PAGES_PER_SECTION,
		       mhp_init_memmap_piece, &owner, owner.nid, cpus);
	*ready = (struct mhp_ready_memmap) {
		.next_pfn = start_pfn,
		.end_pfn = start_pfn + nr_pages,
		.nid = owner.nid,
		.zid = owner.zid,
	};
}

/**
 * mhp_ready_begin() - let the onlining of an added range use its memmap
 * @ready: what mhp_init_memmap_ahead() initialized
 *
 * From now until mhp_ready_end(), mhp_memmap_ready() answers for @ready.
 * Called by the add, with device_hotplug_lock held, right before it
 * onlines the range's blocks.
 */
void mhp_ready_begin(const struct mhp_ready_memmap *ready)
{
	mhp_assert_device_hotplug_held();
	mhp_ready = *ready;
}

/**
 * mhp_ready_end() - the add's onlining walk is over: trust nothing more
 *
 * Called with device_hotplug_lock held.
 */
void mhp_ready_end(void)
{
	mhp_assert_device_hotplug_held();
	mhp_ready = (struct mhp_ready_memmap) {};
}

/* ===== the memmap of a range added offline, ahead of its onlining ======= */

/*
 * memory_hotplug.prefault_threads: most CPUs busy with a range added
 * offline once its first block is onlined: the onlining one, and a worker
 * on each of the others that provides the memmap of the rest of the range
 * ahead of its onlining (struct mhp_prefault). Counted as init_threads;
 * 1 starts no worker, as 6.12 has none. Read when a range is armed and
 * when its workers start.
 */
static unsigned int mhp_prefault_threads;
module_param_named(prefault_threads, mhp_prefault_threads, uint, 0644);
MODULE_PARM_DESC(prefault_threads,
		 "CPUs that provide the memmap of memory added offline ahead of its onlining, the onlining one included (0: all housekeeping CPUs, at most 8; 1: none ahead)");

/*
 * A range added with auto_online_blocks=offline is onlined later, block by
 * block, by hand, by udev or by a tool such as daxctl: each block's first
 * write to its memmap then pays the hypervisor's first touch, on the one
 * CPU that onlines. So the add leaves the range armed in mhp_prefault, and
 * when one of its blocks is onlined, workers on the unbound workqueue
 * write to each page of the rest of the range's memmap, a section at a
 * time from the range's end, while the onlining goes on from wherever it
 * is. A range that nobody onlines costs nothing more than before. Their
 * write leaves the memory as it was (an atomic add of 0), so it may meet
 * the memmap initialization of a section being onlined, whose stores it
 * cannot undo.
 *
 * What a worker must never meet is the memmap of a section that is online:
 * once its pages are in the allocator, a hugetlb folio may be allocated
 * there and its vmemmap optimized (hugetlb_free_vmemmap), which maps the
 * tail struct pages read-only, and the worker's write would fault. So a
 * worker writes a section only under @sem held for read, having seen it
 * neither online nor in [@onlining_start, @onlining_end), the range of the
 * last online_pages() begun; online_pages() sets that range under @sem held
 * for write (mhp_prefault_online()) before it touches the range. A section
 * enters the allocator only through online_pages(), which then marks it
 * online before the next online_pages() replaces the range: so no section
 * a worker writes can be onlined before that write ends.
 *
 * One range at a time, in mhp_prefault, whose fields but @next, @stop,
 * @onlining_start and @onlining_end are read and written with
 * device_hotplug_lock held (the workers read @start_pfn and @nr_sections,
 * which stay as they are until the workers are stopped).
 * mhp_prefault_stop() disarms the range and waits for its workers. Every
 * add and every removal stops it first, so a worker never writes the
 * memmap of a range that was removed since.
 */
static struct mhp_prefault {
	unsigned long start_pfn;
	unsigned long nr_sections;
	bool armed;			/* workers start at the next online */
	atomic_long_t next;		/* sections claimed so far */
	bool stop;			/* READ_ONCE(): workers end early */
	unsigned int nr_workers;
	struct work_struct workers[MHP_MAX_THREADS - 1];
	/* read: a worker writing one section; write: an online beginning */
	struct rw_semaphore sem;
	unsigned long onlining_start;	/* under @sem */
	unsigned long onlining_end;	/* under @sem */
} mhp_prefault = {
	.sem = __RWSEM_INITIALIZER(mhp_prefault.sem),
};

/*
 * Write to each page of a section's memmap without changing it: an atomic
 * add of 0 to its first word, so that a concurrent onlining's writes to
 * the same struct page are never lost. The caller holds mhp_prefault.sem
 * for read, and has seen the section offline and not being onlined.
 */
static void mhp_prefault_section(unsigned long pfn)
{
	unsigned long addr = PAGE_ALIGN((unsigned long)pfn_to_page(pfn));
	const unsigned long end =
		(unsigned long)(pfn_to_page(pfn + PAGES_PER_SECTION - 1) + 1);

	lockdep_assert_held_read(&mhp_prefault.sem);
	/* Within a section, the memmap is virtually contiguous. */
	for (; addr < end; addr += PAGE_SIZE)
		atomic_long_add(0, (atomic_long_t *)addr);
}

/* May a worker write the memmap of the section of @pfn? Under @sem. */
static bool mhp_prefault_may_write(struct mhp_prefault *pf, unsigned long pfn)
{
	lockdep_assert_held(&pf->sem);
	if (pfn >= pf->onlining_start && pfn < pf->onlining_end)
		return false;
	return !online_section_nr(pfn_to_section_nr(pfn));
}

static void mhp_prefault_work(struct work_struct *work)
{
	struct mhp_prefault *pf = &mhp_prefault;
	unsigned long index, pfn;

	while (!READ_ONCE(pf->stop)) {
		index = atomic_long_fetch_inc(&pf->next);
		if (index >= pf->nr_sections)
			return;
		pfn = pf->start_pfn +
		      (pf->nr_sections - 1 - index) * PAGES_PER_SECTION;
		down_read(&pf->sem);
		if (mhp_prefault_may_write(pf, pfn))
			mhp_prefault_section(pfn);
		up_read(&pf->sem);
		cond_resched();
	}
}

/**
 * mhp_prefault_stop() - disarm the range, stop its workers, wait for them
 *
 * Called with device_hotplug_lock held by every add (its CPUs are better
 * spent on the add) and every removal (no worker may write a memmap that
 * is going away).
 */
void mhp_prefault_stop(void)
{
	struct mhp_prefault *pf = &mhp_prefault;
	unsigned int i;

	mhp_assert_device_hotplug_held();
	pf->armed = false;
	WRITE_ONCE(pf->stop, true);
	for (i = 0; i < pf->nr_workers; i++)
		cancel_work_sync(&pf->workers[i]);
	pf->nr_workers = 0;
}

/**
 * mhp_prefault_arm() - a range was added and left offline: arm it
 * @start_pfn: first pfn of the range
 * @nr_pages: number of pages
 *
 * Its workers start at the first online in it (mhp_prefault_online()).
 * Not for a range of one section, nor with prefault_threads=1. Called
 * with device_hotplug_lock held.
 */
void mhp_prefault_arm(unsigned long start_pfn, unsigned long nr_pages)
{
	struct mhp_prefault *pf = &mhp_prefault;

	mhp_prefault_stop();
	if (READ_ONCE(mhp_prefault_threads) == 1 ||
	    nr_pages <= PAGES_PER_SECTION)
		return;
	pf->start_pfn = start_pfn;
	pf->nr_sections = nr_pages / PAGES_PER_SECTION;
	pf->armed = true;
}

/**
 * mhp_prefault_online() - a range is being onlined: fence it, start workers?
 * @pfn: first pfn of the range
 * @nr_pages: number of pages of the range
 *
 * For online_pages(), with device_hotplug_lock held, before it touches the
 * range. Waits for any worker in the middle of a section and keeps them
 * all out of the range from then on (see struct mhp_prefault). If @pfn is
 * in the armed range, disarms it and queues one worker less than
 * prefault_threads CPUs: the onlining CPU goes on with the blocks.
 */
void mhp_prefault_online(unsigned long pfn, unsigned long nr_pages)
{
	struct mhp_prefault *pf = &mhp_prefault;
	unsigned int threads, i;

	mhp_assert_device_hotplug_held();
	down_write(&pf->sem);
	pf->onlining_start = pfn;
	pf->onlining_end = pfn + nr_pages;
	up_write(&pf->sem);

	if (!pf->armed || pfn < pf->start_pfn ||
	    pfn >= pf->start_pfn + pf->nr_sections * PAGES_PER_SECTION)
		return;
	pf->armed = false;
	threads = mhp_param_cpus(READ_ONCE(mhp_prefault_threads));
	if (threads < 2)
		return;

	atomic_long_set(&pf->next, 0);
	WRITE_ONCE(pf->stop, false);
	pf->nr_workers = min_t(unsigned long, threads - 1, pf->nr_sections);
	for (i = 0; i < pf->nr_workers; i++) {
		INIT_WORK(&pf->workers[i], mhp_prefault_work);
		queue_work(system_unbound_wq, &pf->workers[i]);
	}
}
