// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory hot(un)plug core, part three: onlining and offlining pages.
 *
 * online_pages() turns an added, offline range into memory the page
 * allocator uses; offline_pages() empties a range (migrating what can
 * move) and takes it away from the allocator again. The memory block
 * layer onlines and offlines one block at a time through
 * mhp_online_block() and mhp_offline_block(), which add the rules for a
 * block that hosts its own memmap, with mem_hotplug_lock held for write.
 * The notifier chain hears about it around online_pages() and
 * offline_pages():
 *
 *   online:  MEM_GOING_ONLINE, then MEM_ONLINE or MEM_CANCEL_ONLINE
 *   offline: MEM_GOING_OFFLINE, then MEM_OFFLINE or MEM_CANCEL_OFFLINE
 *
 * A failed call leaves the range exactly as it found it.
 */

#include <linux/mm.h>
#include <linux/compaction.h>
#include <linux/cpuset.h>
#include <linux/hugetlb.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/migrate.h>
#include <linux/mmzone.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/page-isolation.h>
#include <linux/ratelimit.h>
#include <linux/rmap.h>
#include <linux/sched/signal.h>
#include <linux/swap.h>
#include <linux/workqueue.h>
#include <linux/writeback.h>

#include "internal.h"
#include "memory_hotplug_internal.h"
#include "shuffle.h"

#include <trace/events/memory_hotplug.h>

/* ===== handing pages to the allocator =================================== */

/*
 * What onlining does with each chunk of pages. Written under
 * online_page_callback_lock with mem_hotplug_lock held for read; read by
 * online_pages() with mem_hotplug_lock held for write, so never both at
 * once.
 */
static online_page_callback_t online_page_callback = generic_online_page;
static DEFINE_MUTEX(online_page_callback_lock);

/**
 * generic_online_page() - give onlined pages to the buddy allocator
 * @page: first page of the chunk
 * @order: the chunk has 2^@order pages, naturally aligned
 *
 * The default online page callback; drivers that replace it call this for
 * the pages they do want to hand out.
 */
void generic_online_page(struct page *page, unsigned int order)
{
	__free_pages_core(page, order, MEMINIT_HOTPLUG);
}
EXPORT_SYMBOL_GPL(generic_online_page);

/* Swap the online page callback from @from to @to, if it is @from. */
static int mhp_swap_online_callback(online_page_callback_t from,
				    online_page_callback_t to)
{
	int ret = -EINVAL;

	get_online_mems();
	mutex_lock(&online_page_callback_lock);
	if (online_page_callback == from) {
		online_page_callback = to;
		ret = 0;
	}
	mutex_unlock(&online_page_callback_lock);
	put_online_mems();
	return ret;
}

/**
 * set_online_page_callback() - take over what onlining does with pages
 * @callback: called for each naturally aligned chunk of onlined pages
 *
 * Only one driver at a time may do so.
 *
 * Return: 0, or -EINVAL when another callback is installed.
 */
int set_online_page_callback(online_page_callback_t callback)
{
	return mhp_swap_online_callback(generic_online_page, callback);
}
EXPORT_SYMBOL_GPL(set_online_page_callback);

/**
 * restore_online_page_callback() - give the callback back
 * @callback: the callback installed by set_online_page_callback()
 *
 * Return: 0, or -EINVAL when @callback is not the installed one.
 */
int restore_online_page_callback(online_page_callback_t callback)
{
	return mhp_swap_online_callback(callback, generic_online_page);
}
EXPORT_SYMBOL_GPL(restore_online_page_callback);

/*
 * Pass [start_pfn, start_pfn + nr_pages) to @callback in chunks as large
 * as alignment allows, up to MAX_PAGE_ORDER.
 */
static void mhp_online_chunks(unsigned long start_pfn, unsigned long nr_pages,
			      online_page_callback_t callback)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	unsigned long pfn = start_pfn;
	unsigned int order;

	while (pfn < end_pfn) {
		order = pfn ? min_t(unsigned int, MAX_PAGE_ORDER, __ffs(pfn)) :
			      MAX_PAGE_ORDER;
		while (pfn + (1UL << order) > end_pfn)
			order--;
		callback(pfn_to_page(pfn), order);
		pfn += 1UL << order;
	}
}

/* One piece of mhp_online_range() on any CPU: an mhp_piece_fn. */
static void mhp_free_piece(unsigned long start_pfn, unsigned long nr_pages,
			   void *arg)
{
	mhp_online_chunks(start_pfn, nr_pages, generic_online_page);
}

/*
 * memory_hotplug.free_threads: most CPUs that hand the pages of a block
 * being onlined to the page allocator, the onlining one included; counted
 * as init_threads (mhp_param_cpus()). 1 frees on the onlining CPU alone,
 * as 6.12 does. Read once per block.
 */
static unsigned int mhp_free_threads;
module_param_named(free_threads, mhp_free_threads, uint, 0644);
MODULE_PARM_DESC(free_threads,
		 "CPUs that hand the pages of an onlined block to the allocator (0: all housekeeping CPUs, at most 8; 1: the onlining CPU alone)");

/**
 * mhp_online_range() - pass a range to the online callback, mark it online
 * @start_pfn: first pfn, pageblock aligned
 * @nr_pages: number of pages; the range ends on a section boundary
 *
 * Chunks are as large as alignment allows, up to MAX_PAGE_ORDER. The
 * callback may keep pages to itself; all of them count as present anyway.
 * With the default callback, freeing the pages (a pass over each struct
 * page) is shared among the CPUs memory_hotplug.free_threads allows, in
 * pieces of whole MAX_PAGE_ORDER chunks: the buddy allocator takes frees
 * from any CPU under the zone's lock, and the pageblocks are still
 * isolated, so no page is handed out before all are free. A driver's
 * callback is called on the onlining CPU alone, as it may expect.
 * Called with mem_hotplug_lock held for write.
 */
void mhp_online_range(unsigned long start_pfn, unsigned long nr_pages)
{
	if (online_page_callback == generic_online_page)
		mhp_run_pieces(start_pfn, nr_pages, MAX_ORDER_NR_PAGES,
			       mhp_free_piece, NULL,
			       page_to_nid(pfn_to_page(start_pfn)),
			       mhp_param_cpus(READ_ONCE(mhp_free_threads)));
	else
		mhp_online_chunks(start_pfn, nr_pages, online_page_callback);
	online_mem_sections(start_pfn, start_pfn + nr_pages);
}

/* Isolated pageblocks of the zone: onlining and offlining move whole ranges. */
static void mhp_count_isolated(struct zone *zone, long nr_pageblocks)
{
	unsigned long flags;

	spin_lock_irqsave(&zone->lock, flags);
	zone->nr_isolate_pageblock += nr_pageblocks;
	spin_unlock_irqrestore(&zone->lock, flags);
}

/* ===== online =========================================================== */

/* The online that online_pages() runs: see there. */
static int mhp_online_pages(unsigned long pfn, unsigned long nr_pages,
			    struct zone *zone, struct memory_group *group)
{
	const int nid = zone_to_nid(zone);
	struct memory_notify arg = {
		.start_pfn = pfn,
		.nr_pages = nr_pages,
	};
	bool zone_was_empty;
	int ret;

	mem_hotplug_assert_write_held();
	if (WARN_ON_ONCE(!nr_pages || !pageblock_aligned(pfn) ||
			 !IS_ALIGNED(pfn + nr_pages, PAGES_PER_SECTION)))
		return -EINVAL;

	mhp_prefault_online(pfn, nr_pages);
	/* Isolated, nobody can allocate the pages before we are done. */
	if (mhp_memmap_ready(zone, pfn, nr_pages))
		mhp_move_ready_range_to_zone(zone, pfn, nr_pages,
					     MIGRATE_ISOLATE);
	else
		move_pfn_range_to_zone(zone, pfn, nr_pages, NULL,
				       MIGRATE_ISOLATE);
	mhp_node_states_online(zone, &arg);

	ret = notifier_to_errno(memory_notify(MEM_GOING_ONLINE, &arg));
	if (ret) {
		pr_debug("onlining [mem %#llx-%#llx] vetoed: %d\n",
			 PFN_PHYS(pfn), PFN_PHYS(pfn + nr_pages) - 1, ret);
		memory_notify(MEM_CANCEL_ONLINE, &arg);
		remove_pfn_range_from_zone(zone, pfn, nr_pages);
		return ret;
	}

	/* undo_isolate_page_range() below expects these to be counted. */
	mhp_count_isolated(zone, nr_pages / pageblock_nr_pages);

	/* An unpopulated zone has no per-cpu lists and is in no zonelist. */
	zone_was_empty = !populated_zone(zone);
	if (zone_was_empty)
		setup_zone_pageset(zone);

	mhp_online_range(pfn, nr_pages);
	adjust_present_page_count(pfn_to_page(pfn), group, nr_pages);

	if (arg.status_change_nid_normal != NUMA_NO_NODE)
		node_set_state(nid, N_NORMAL_MEMORY);
	if (arg.status_change_nid != NUMA_NO_NODE)
		node_set_state(nid, N_MEMORY);
	if (zone_was_empty)
		build_all_zonelists(NULL);

	/* Let the allocator have the pages. */
	undo_isolate_page_range(pfn, pfn + nr_pages, MIGRATE_MOVABLE);
	/* New pages sit at the free lists' tail: mix them in. */
	shuffle_zone(zone);

	init_per_zone_wmark_min();
	kswapd_run(nid);
	kcompactd_run(nid);
	writeback_set_ratelimit();

	memory_notify(MEM_ONLINE, &arg);
	return 0;
}

/**
 * online_pages() - make an added range usable by the page allocator
 * @pfn: first pfn, pageblock aligned
 * @nr_pages: number of pages; the range ends on a section boundary
 * @zone: the zone to online to (zone_for_pfn_range())
 * @group: the memory group of the range, or NULL
 *
 * The range joins @zone isolated, the notifiers may veto, then the pages
 * go to the allocator, the zone/node become populated as needed (per-cpu
 * lists, zonelists, node states, kswapd and kcompactd) and watermarks are
 * recomputed. Called with mem_hotplug_lock held for write.
 *
 * Return: 0, or a negative errno with the range offline and out of @zone.
 */
int online_pages(unsigned long pfn, unsigned long nr_pages, struct zone *zone,
		 struct memory_group *group)
{
	int ret;

	trace_mhp_online_begin(pfn, nr_pages, zone);
	ret = mhp_online_pages(pfn, nr_pages, zone, group);
	trace_mhp_online_end(pfn, nr_pages, ret);
	return ret;
}

/**
 * mhp_online_block() - online one memory block, its own memmap included
 * @start_pfn: first pfn of the block
 * @nr_pages: pages in the block
 * @altmap: the block's altmap if it hosts its own memmap, else NULL
 * @zone: the zone it joins
 * @group: its memory group, or NULL
 *
 * The first @altmap->free pages of a block that hosts its memmap hold
 * that memmap: they join @zone first, as self-hosted vmemmap pages that
 * never reach the allocator, then online_pages() onlines the rest, and
 * only then do they count as present (online_pages() populates an empty
 * zone when its first pages arrive). Called by the block layer with
 * mem_hotplug_lock held for write, after the MEM_PREPARE_ONLINE notifiers.
 *
 * Return: 0, or a negative errno with the block offline as before.
 */
int mhp_online_block(unsigned long start_pfn, unsigned long nr_pages,
		     struct vmem_altmap *altmap, struct zone *zone,
		     struct memory_group *group)
{
	const unsigned long nr_memmap = altmap ? altmap->free : 0;
	int ret;

	mem_hotplug_assert_write_held();
	if (nr_memmap) {
		ret = mhp_init_memmap_on_memory(start_pfn, nr_memmap, zone,
						altmap->inaccessible);
		if (ret)
			return ret;
	}

	ret = online_pages(start_pfn + nr_memmap, nr_pages - nr_memmap, zone,
			   group);
	if (ret) {
		if (nr_memmap)
			mhp_deinit_memmap_on_memory(start_pfn, nr_memmap);
		return ret;
	}

	if (nr_memmap)
		adjust_present_page_count(pfn_to_page(start_pfn), group,
					  nr_memmap);
	return 0;
}

/* ===== offline ========================================================== */

/* The words of enum mhp_offline_reason: ABI, see the admin guide. */
static const char * const mhp_offline_reason_names[] = {
	[MHP_OFFLINE_NONE]	= "none",
	[MHP_OFFLINE_UNMOVABLE]	= "unmovable",
	[MHP_OFFLINE_ISOLATION]	= "isolation",
	[MHP_OFFLINE_HUGETLB]	= "hugetlb",
	[MHP_OFFLINE_NOTIFIER]	= "notifier",
	[MHP_OFFLINE_SIGNAL]	= "signal",
	[MHP_OFFLINE_TIMEOUT]	= "timeout",
	[MHP_OFFLINE_HOLES]	= "holes",
	[MHP_OFFLINE_ZONES]	= "zones",
	[MHP_OFFLINE_OOM]	= "oom",
};

static_assert(ARRAY_SIZE(mhp_offline_reason_names) == MHP_OFFLINE_NR_REASONS);

/* The words of enum mhp_page_kind: ABI as well. */
static const char * const mhp_page_kind_names[] = {
	[MHP_PAGE_NONE]		= "none",
	[MHP_PAGE_SLAB]		= "slab",
	[MHP_PAGE_PAGETABLE]	= "pagetable",
	[MHP_PAGE_RESERVED]	= "reserved",
	[MHP_PAGE_HUGETLB]	= "hugetlb",
	[MHP_PAGE_DRIVER]	= "driver",
	[MHP_PAGE_PINNED]	= "pinned",
	[MHP_PAGE_USER]		= "user",
	[MHP_PAGE_MOVABLE]	= "movable",
	[MHP_PAGE_KERNEL]	= "kernel",
};

static_assert(ARRAY_SIZE(mhp_page_kind_names) == MHP_PAGE_NR_KINDS);

/**
 * mhp_offline_reason_name() - the word user space sees for a reason
 * @reason: an offline failure reason
 *
 * Return: the reason's word ("unmovable", "signal", ...), "?" if invalid.
 */
const char *mhp_offline_reason_name(enum mhp_offline_reason reason)
{
	if ((unsigned int)reason >= MHP_OFFLINE_NR_REASONS)
		return "?";
	return mhp_offline_reason_names[reason] ?: "?";
}

/**
 * mhp_page_kind_name() - the word user space sees for a kind of page
 * @kind: what a page in the way is
 *
 * Return: the kind's word ("slab", "pinned", ...), "?" if invalid.
 */
const char *mhp_page_kind_name(enum mhp_page_kind kind)
{
	if ((unsigned int)kind >= MHP_PAGE_NR_KINDS)
		return "?";
	return mhp_page_kind_names[kind] ?: "?";
}

/**
 * mhp_migrate_helpers() - how many helpers migrate beside the offlining CPU
 * @nr_pages: pages of the folios an offline has isolated to migrate
 * @cpus: CPUs allowed to take part, the offlining one included
 *
 * The folios are migrated in chunks of MHP_MIGRATE_CHUNK_PAGES; a helper
 * is worth waking only for a chunk the offlining CPU would otherwise
 * migrate itself, so a list of one chunk or less, or one CPU, gets none.
 * A pure function: mm/memory_hotplug_test.c tests it.
 *
 * Return: the number of helpers, at most MHP_MAX_THREADS - 1.
 */
unsigned int mhp_migrate_helpers(unsigned long nr_pages, unsigned int cpus)
{
	/* Rounded up without overflowing at ULONG_MAX. */
	const unsigned long chunks = nr_pages / MHP_MIGRATE_CHUNK_PAGES +
				     !!(nr_pages % MHP_MIGRATE_CHUNK_PAGES);

	cpus = min3(cpus, (unsigned int)MHP_MAX_THREADS,
		    (unsigned int)min_t(unsigned long, chunks, UINT_MAX));
	return cpus ? cpus - 1 : 0;
}

#ifdef CONFIG_MEMORY_HOTREMOVE

/*
 * memory_hotplug.migrate_threads: most CPUs that migrate what an offline
 * moves out of its range, the offlining one included. 0 means every
 * online housekeeping CPU (mhp_helper_cpus()), up to MHP_MAX_THREADS,
 * and larger values are clamped to as many; 1 migrates on the offlining
 * CPU alone, in one migrate_pages() call as 6.12 does (chunk by chunk when
 * offline_timeout_ms is set). Read once per migration.
 */
static unsigned int mhp_migrate_threads;
module_param_named(migrate_threads, mhp_migrate_threads, uint, 0644);
MODULE_PARM_DESC(migrate_threads,
		 "CPUs that migrate the pages an offline moves away (0: all housekeeping CPUs, at most 8; 1: the offlining CPU alone)");

/*
 * memory_hotplug.offline_timeout_ms: how long an offline may try to empty
 * its range before it gives up with -EBUSY (reason "timeout"). 0, the
 * default, tries until a signal, as 6.12 does. Read once per attempt.
 */
static unsigned int offline_timeout_ms;

static int offline_timeout_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;

	if (kstrtouint(val, 0, &ms))
		return -EINVAL;
	WRITE_ONCE(offline_timeout_ms, ms);
	return 0;
}

static const struct kernel_param_ops offline_timeout_ops = {
	.set = offline_timeout_set,
	.get = param_get_uint,
};
module_param_cb(offline_timeout_ms, &offline_timeout_ops, &offline_timeout_ms,
		0644);
MODULE_PARM_DESC(offline_timeout_ms,
		 "Give up an offline that has not emptied its range after this many milliseconds (0: only a signal ends it)");

/*
 * memory_hotplug.offline_avoid_oom: when Y, an offline does not take the
 * memory the rest of the machine needs to run: it fails with -ENOMEM
 * (reason "oom") before it starts if MemAvailable is smaller than what
 * its range costs (mhp_offline_cost()), and stops the same way when a
 * migration target would take memory MemAvailable no longer has. N, the
 * default, migrates for as long as 6.12 does, while the OOM killer may
 * have to kill a process to make room. Read once per attempt.
 */
static bool offline_avoid_oom;
module_param(offline_avoid_oom, bool, 0644);
MODULE_PARM_DESC(offline_avoid_oom,
		 "Fail an offline with ENOMEM rather than take memory the machine needs to avoid the OOM killer (default: N)");

static int count_ram_cb(unsigned long start_pfn, unsigned long nr_pages,
			void *arg)
{
	*(unsigned long *)arg += nr_pages;
	return 0;
}

/*
 * If @page (at *@pfn) heads a free buddy block, move *@pfn to the block's
 * last pfn and return true: idle memory is mostly such blocks, and a scan
 * steps over each whole. The order is read without zone->lock: a stale
 * value makes the scan skip too little or too much, and the
 * test_pages_isolated() pass that ends every offline attempt sends it
 * round again for anything it missed.
 */
static bool mhp_skip_free_block(struct page *page, unsigned long *pfn)
{
	unsigned int order;

	if (!PageBuddy(page))
		return false;
	order = buddy_order_unsafe(page);
	if (order <= MAX_PAGE_ORDER)
		*pfn |= (1UL << order) - 1;
	return true;
}

/*
 * Find the next page in [pfn, end_pfn) that migration can move.
 * Return: 0 with *@found set; -ENOENT when there is none left; -EBUSY with
 * *@found set when a page that can never move is in the way.
 */
static int mhp_next_movable(unsigned long pfn, unsigned long end_pfn,
			    unsigned long *found)
{
	for (; pfn < end_pfn; pfn++) {
		struct folio *folio;
		struct page *page;

		if (!pfn_valid(pfn))
			continue;
		page = pfn_to_page(pfn);
		if (mhp_skip_free_block(page, &pfn))
			continue;
		folio = page_folio(page);
		if (folio_test_lru(folio) || __folio_test_movable(folio))
			goto found;

		/*
		 * After MEM_GOING_OFFLINE, an offline page still referenced
		 * belongs to a driver that will not let go of it.
		 */
		if (PageOffline(page) && page_count(page)) {
			*found = pfn;
			return -EBUSY;
		}

		if (!PageHuge(page))
			continue;
		/* Racy without a reference: the migration step copes. */
		if (folio_test_hugetlb_migratable(folio))
			goto found;
		pfn |= folio_nr_pages(folio) - 1;
	}
	return -ENOENT;
found:
	*found = pfn;
	return 0;
}

/*
 * Handle a folio with a poisoned page: unmap it so that it is dropped,
 * never migrated (which would copy the poison).
 */
static void mhp_drop_poisoned(struct folio *folio, unsigned long pfn)
{
	/* Only hugetlb among large folios can be unmapped here. */
	if (folio_test_large(folio) && !folio_test_hugetlb(folio))
		return;
	if (folio_test_lru(folio) && !folio_isolate_lru(folio))
		return;
	if (folio_mapped(folio)) {
		folio_lock(folio);
		unmap_poisoned_folio(folio, pfn, false);
		folio_unlock(folio);
	}
}

/*
 * A failed offline is routine: virtio-mem and ACPI eject retry, and an
 * administrator's loop may too. Each kind of report gets a few lines per
 * half minute at most, however often it happens.
 */
#define MHP_REPORT_INTERVAL	(30 * HZ)
static DEFINE_RATELIMIT_STATE(mhp_migrate_rs, MHP_REPORT_INTERVAL, 2);
static DEFINE_RATELIMIT_STATE(mhp_offline_rs, MHP_REPORT_INTERVAL, 2);

/* Collect the movable folios of [start_pfn, end_pfn) on @list. */
static void mhp_isolate_folios(unsigned long start_pfn, unsigned long end_pfn,
			       struct list_head *list)
{
	unsigned long pfn;

	for (pfn = start_pfn; pfn < end_pfn; pfn++) {
		struct folio *folio;
		struct page *page;

		if (!pfn_valid(pfn))
			continue;
		page = pfn_to_page(pfn);
		if (mhp_skip_free_block(page, &pfn))
			continue;
		folio = page_folio(page);
		/* Unlocked: a split just makes us visit the pieces again. */
		if (folio_test_large(folio))
			pfn = folio_pfn(folio) + folio_nr_pages(folio) - 1;

		if (!folio_try_get(folio))
			continue;
		if (unlikely(page_folio(page) != folio))
			goto put;

		if (folio_contain_hwpoisoned_page(folio)) {
			mhp_drop_poisoned(folio, pfn);
			goto put;
		}

		if (!isolate_folio_to_list(folio, list) &&
		    __ratelimit(&mhp_migrate_rs))
			dump_page(page, "memory offline: isolation failed");
put:
		folio_put(folio);
	}
}

/* Has the offline_timeout_ms deadline (jiffies; NULL: none) passed? */
static bool mhp_past(const unsigned long *deadline)
{
	return deadline && time_after(jiffies, *deadline);
}

/*
 * May an offline take @nr_pages more pages from the rest of the machine
 * (the range leaving the allocator, or migration targets) and still leave
 * what offline_avoid_oom keeps? That is MemAvailable not going below
 * zero: si_mem_available() counts free memory above the zones' high
 * watermarks and lowmem reserves, plus the page cache and slab that
 * reclaim can free, so what is left keeps the allocator off the OOM
 * killer unless the workload grows. The free pages of a range already
 * isolated are not in it (isolated free pages are not NR_FREE_PAGES).
 */
static bool mhp_room_for(unsigned long nr_pages)
{
	return si_mem_available() >= (long)nr_pages;
}

/*
 * What offlining [start_pfn, end_pfn) takes from the rest of the machine,
 * in pages: each free page leaves with the range and each used one takes
 * a free one elsewhere, but a page a driver has already taken out of the
 * allocator's hands (PageOffline: virtio-mem's unplugged sub-blocks, a
 * balloon's pages) or a hwpoisoned one costs nothing. Read without locks:
 * an estimate, as MemAvailable is.
 */
static unsigned long mhp_offline_cost(unsigned long start_pfn,
				      unsigned long end_pfn)
{
	unsigned long pfn, cost = 0;
	struct page *page;

	for (pfn = start_pfn; pfn < end_pfn; pfn++) {
		page = pfn_to_page(pfn);
		if (!PageOffline(page) && !PageHWPoison(page))
			cost++;
	}
	return cost;
}

/*
 * How an offline allocates migration targets: with @mtc, and with
 * @avoid_oom none that mhp_room_for() refuses; @refused is set (by any of
 * the migrating CPUs) once one was refused.
 */
struct mhp_target_ctl {
	struct migration_target_control mtc;
	bool avoid_oom;
	bool refused;
};

/*
 * The migration target for @src: none, when the offline must not take the
 * memory (migrate_pages() then stops with -ENOMEM), else what
 * alloc_migration_target() finds. @private is the offline's
 * struct mhp_target_ctl.
 */
static struct folio *mhp_migrate_target(struct folio *src,
					unsigned long private)
{
	struct mhp_target_ctl *ctl = (struct mhp_target_ctl *)private;

	if (ctl->avoid_oom && !mhp_room_for(folio_nr_pages(src))) {
		WRITE_ONCE(ctl->refused, true);
		return NULL;
	}
	return alloc_migration_target(src, (unsigned long)&ctl->mtc);
}

/*
 * Migration in chunks, on several CPUs. An offline isolates the movable
 * folios of its range on one list. With memory_hotplug.migrate_threads
 * allowing more than one CPU and more than one chunk on the list, helpers
 * on the unbound workqueue and the offlining CPU take chunks of
 * MHP_MIGRATE_CHUNK_PAGES off that list, each with a migrate_pages() call
 * of its own, until none is left; with offline_timeout_ms set, the
 * offlining CPU alone works through the list the same way, so that the
 * deadline is looked at before every chunk and not once per round.
 *
 * A job ends early when its deadline passes or a chunk runs out of memory
 * (-ENOMEM, after which migrate_pages() itself stops; so it does when
 * offline_avoid_oom refuses a target): no CPU claims
 * another chunk, and the folios nobody claimed go back where they came
 * from without counting as failed. The folios of a chunk that did not
 * migrate go on the job's failed list for the offlining CPU to report and
 * put back. The offlining CPU claims chunks too, so the job ends even if
 * no helper gets to run; one that starts late finds nothing to do.
 *
 * Helpers allocate as kworkers, whose cpuset is not the offlining task's;
 * so the job's target nodes are those the offlining task may use, as they
 * would be for its own migrate_pages() (GFP_USER is hardwalled). When the
 * cpuset leaves none of them, the offlining task migrates alone, as 6.12
 * does. The helpers take no lock of memory hotplug: the offlining thread
 * holds device_hotplug_lock, cpu_hotplug_lock and mem_hotplug_lock
 * throughout and waits for every helper before it looks at the range
 * again, and migration takes none of them.
 */
struct mhp_migrate_job {
	spinlock_t lock;		/* guards the lists, @ret and @stop */
	struct list_head folios;	/* isolated, not claimed yet */
	struct list_head failed;	/* claimed, not migrated */
	int ret;			/* the first failed chunk's result */
	bool stop;			/* claim no more chunks */
	const unsigned long *deadline;	/* jiffies, or NULL for none */
	atomic_long_t nr_succeeded;
	struct mhp_target_ctl *target;
};

struct mhp_migrate_helper {
	struct work_struct work;
	struct mhp_migrate_job *job;
};

/*
 * Move a chunk's worth of @job's folios onto @chunk; false if none is left
 * or the job has ended early.
 */
static bool mhp_migrate_claim(struct mhp_migrate_job *job,
			      struct list_head *chunk)
{
	unsigned long pages = 0;
	struct folio *folio;

	spin_lock(&job->lock);
	if (!job->stop && mhp_past(job->deadline))
		job->stop = true;
	while (!job->stop && pages < MHP_MIGRATE_CHUNK_PAGES &&
	       !list_empty(&job->folios)) {
		folio = list_first_entry(&job->folios, struct folio, lru);
		pages += folio_nr_pages(folio);
		list_move_tail(&folio->lru, chunk);
	}
	spin_unlock(&job->lock);
	return pages;
}

/* Migrate chunks of @job until none is left; any number of CPUs runs this. */
static void mhp_migrate_chunks(struct mhp_migrate_job *job)
{
	unsigned int nr_succeeded;
	LIST_HEAD(chunk);
	int ret;

	while (mhp_migrate_claim(job, &chunk)) {
		nr_succeeded = 0;
		ret = migrate_pages(&chunk, mhp_migrate_target, NULL,
				    (unsigned long)job->target, MIGRATE_SYNC,
				    MR_MEMORY_HOTPLUG, &nr_succeeded);
		atomic_long_add(nr_succeeded, &job->nr_succeeded);
		if (!ret && list_empty(&chunk))
			continue;
		spin_lock(&job->lock);
		if (!job->ret)
			job->ret = ret ?: -EAGAIN;
		if (ret == -ENOMEM)
			job->stop = true;
		list_splice_tail_init(&chunk, &job->failed);
		spin_unlock(&job->lock);
		cond_resched();
	}
}

static void mhp_migrate_work(struct work_struct *work)
{
	mhp_migrate_chunks(container_of(work, struct mhp_migrate_helper,
					work)->job);
}

/*
 * Migrate the folios on @list in chunks as described above, with up to
 * @nr_helpers helpers, until @deadline (NULL: none). Returns 0 if every
 * chunk tried moved whole, else the first failed chunk's result with its
 * folios left on @list; folios never tried (the deadline passed, or a
 * chunk ran out of memory) are put back, so 0 does not mean the range is
 * empty: the caller looks again. Adds the pages that moved to
 * *@nr_succeeded.
 */
static int mhp_migrate_shared(struct list_head *list, unsigned int nr_helpers,
			      struct mhp_target_ctl *target,
			      const unsigned long *deadline,
			      unsigned long *nr_succeeded)
{
	struct mhp_migrate_helper helpers[MHP_MAX_THREADS - 1];
	struct mhp_migrate_job job = {
		.folios = LIST_HEAD_INIT(job.folios),
		.failed = LIST_HEAD_INIT(job.failed),
		.deadline = deadline,
		.nr_succeeded = ATOMIC_LONG_INIT(0),
		.target = target,
	};
	unsigned int i;

	mem_hotplug_assert_write_held();
	spin_lock_init(&job.lock);
	list_splice_init(list, &job.folios);
	for (i = 0; i < nr_helpers; i++) {
		INIT_WORK_ONSTACK(&helpers[i].work, mhp_migrate_work);
		helpers[i].job = &job;
		queue_work(system_unbound_wq, &helpers[i].work);
	}
	mhp_migrate_chunks(&job);
	/* A helper still queued finds nothing left: take it off the queue. */
	for (i = 0; i < nr_helpers; i++) {
		cancel_work_sync(&helpers[i].work);
		destroy_work_on_stack(&helpers[i].work);
	}
	/* Ended early: what nobody tried is neither moved nor failed. */
	putback_movable_pages(&job.folios);
	list_splice_init(&job.failed, list);
	*nr_succeeded += atomic_long_read(&job.nr_succeeded);
	return job.ret;
}

/*
 * The nodes @mtc may migrate to: another node with memory if there is
 * one, else the range's own; only those the offlining task's cpuset
 * allows when helpers allocate for it. False if the cpuset allows none,
 * and then only the offlining task may allocate (with @mtc as 6.12 has it).
 */
static bool mhp_migrate_targets(struct migration_target_control *mtc)
{
	nodemask_t allowed;
	unsigned int seq;

	node_clear(mtc->nid, *mtc->nmask);
	if (nodes_empty(*mtc->nmask))
		node_set(mtc->nid, *mtc->nmask);
	if (!cpusets_enabled())
		return true;
	do {
		seq = read_mems_allowed_begin();
		nodes_and(allowed, *mtc->nmask, cpuset_current_mems_allowed);
	} while (read_mems_allowed_retry(seq));
	if (nodes_empty(allowed))
		return false;
	*mtc->nmask = allowed;
	return true;
}

/*
 * Migrate the movable folios of [start_pfn, end_pfn) to other memory (see
 * mhp_migrate_targets()), in chunks where helpers or @deadline (jiffies,
 * NULL for none) need them; with @avoid_oom, only as far as
 * mhp_room_for() allows. Failures are retried by the caller; @report
 * counts both.
 *
 * Return: -ENOMEM if @avoid_oom refused a target, else 0.
 */
static int mhp_migrate_range(unsigned long start_pfn, unsigned long end_pfn,
			     const unsigned long *deadline, bool avoid_oom,
			     struct mhp_offline_report *report)
{
	const unsigned int threads = READ_ONCE(mhp_migrate_threads);
	nodemask_t targets = node_states[N_MEMORY];
	struct mhp_target_ctl target = {
		.mtc = {
			.nmask = &targets,
			.gfp_mask = GFP_USER | __GFP_MOVABLE |
				    __GFP_RETRY_MAYFAIL,
			.reason = MR_MEMORY_HOTPLUG,
		},
		.avoid_oom = avoid_oom,
	};
	unsigned long nr_pages = 0;
	unsigned int nr_helpers = 0;
	struct folio *folio;
	LIST_HEAD(list);
	int ret;

	mhp_isolate_folios(start_pfn, end_pfn, &list);
	if (list_empty(&list))
		return 0;

	/* The range is in one zone, hence on one node. */
	target.mtc.nid = folio_nid(list_first_entry(&list, struct folio, lru));
	if (mhp_migrate_targets(&target.mtc)) {
		list_for_each_entry(folio, &list, lru)
			nr_pages += folio_nr_pages(folio);
		nr_helpers = mhp_migrate_helpers(nr_pages,
						 mhp_param_cpus(threads));
	}
	if (nr_helpers || deadline) {
		ret = mhp_migrate_shared(&list, nr_helpers, &target, deadline,
					 &report->nr_migrated);
	} else {
		unsigned int nr_succeeded = 0;

		ret = migrate_pages(&list, mhp_migrate_target, NULL,
				    (unsigned long)&target, MIGRATE_SYNC,
				    MR_MEMORY_HOTPLUG, &nr_succeeded);
		report->nr_migrated += nr_succeeded;
	}
	if (!ret)
		return 0;

	/* Not tried for want of room: nothing to say about the folios. */
	if (READ_ONCE(target.refused)) {
		putback_movable_pages(&list);
		return -ENOMEM;
	}

	list_for_each_entry(folio, &list, lru) {
		report->nr_migrate_failed += folio_nr_pages(folio);
		if (!__ratelimit(&mhp_migrate_rs))
			continue;
		pr_info("memory offline: migrating pfn %#lx failed: %d\n",
			folio_pfn(folio), ret);
		dump_page(&folio->page, "memory offline: migration failed");
	}
	putback_movable_pages(&list);
	return 0;
}

/*
 * What @page is, for a report on what keeps a range from going offline.
 * Page types and PG_reserved are read without a reference; the rest with
 * one, so that the folio cannot be split or freed under the tests. A page
 * that changes meanwhile is named by what it was a moment ago, which is
 * all a report can say anyway; MHP_PAGE_NONE if it went away.
 */
static enum mhp_page_kind mhp_page_kind(struct page *page)
{
	struct folio *folio = page_folio(page);
	enum mhp_page_kind kind = MHP_PAGE_KERNEL;

	if (folio_test_slab(folio))
		return MHP_PAGE_SLAB;
	if (folio_test_hugetlb(folio))
		return MHP_PAGE_HUGETLB;
	if (PageTable(page))
		return MHP_PAGE_PAGETABLE;
	if (PageOffline(page))
		return MHP_PAGE_DRIVER;
	if (!PageCompound(page) && PageReserved(page))
		return MHP_PAGE_RESERVED;

	if (!folio_try_get(folio))
		return MHP_PAGE_NONE;
	if (unlikely(page_folio(page) != folio))
		kind = MHP_PAGE_NONE;
	else if (folio_test_lru(folio) || folio_mapped(folio))
		kind = folio_maybe_dma_pinned(folio) ? MHP_PAGE_PINNED :
						       MHP_PAGE_USER;
	else if (__folio_test_movable(folio))
		kind = MHP_PAGE_MOVABLE;
	folio_put(folio);
	return kind;
}

/*
 * Would the isolation of a range refuse it for @page, of @kind? It takes
 * what migration can move, pages a driver handed back and poisoned pages,
 * and in ZONE_MOVABLE everything but reserved pages.
 */
static bool mhp_blocks_isolation(struct page *page, enum mhp_page_kind kind)
{
	switch (kind) {
	case MHP_PAGE_NONE:
	case MHP_PAGE_USER:
	case MHP_PAGE_PINNED:
	case MHP_PAGE_MOVABLE:
	case MHP_PAGE_DRIVER:
		return false;
	case MHP_PAGE_RESERVED:
		return true;
	case MHP_PAGE_HUGETLB:
		return !folio_test_hugetlb_migratable(page_folio(page));
	default:
		return !PageHWPoison(page) &&
		       zone_idx(page_zone(page)) != ZONE_MOVABLE;
	}
}

/* Pages a range can go offline with: free, given up by a driver, poisoned. */
static bool mhp_page_gone(struct page *page, unsigned long *pfn)
{
	if (mhp_skip_free_block(page, pfn))
		return true;
	if (PageOffline(page) && !page_count(page))
		return true;
	return PageHWPoison(page) && !page_count(page);
}

/*
 * Name in @report the first page of [start_pfn, end_pfn) that keeps the
 * range from going offline; with @unmovable_only, only one the isolation
 * refuses (it refused the range for such a page). Leaves @report alone if
 * there is none.
 *
 * Return: true if a page was named.
 */
static bool mhp_blame_page(unsigned long start_pfn, unsigned long end_pfn,
			   bool unmovable_only,
			   struct mhp_offline_report *report)
{
	unsigned long pfn;

	for (pfn = start_pfn; pfn < end_pfn; pfn++) {
		enum mhp_page_kind kind;
		struct page *page;

		if (!pfn_valid(pfn))
			continue;
		page = pfn_to_page(pfn);
		if (mhp_page_gone(page, &pfn))
			continue;
		kind = mhp_page_kind(page);
		if (kind == MHP_PAGE_NONE ||
		    (unmovable_only && !mhp_blocks_isolation(page, kind)))
			continue;
		report->pfn = pfn;
		report->kind = kind;
		return true;
	}
	return false;
}

/* Pages of [start_pfn, end_pfn) still in the way, for the pass tracepoint. */
static unsigned long mhp_count_left(unsigned long start_pfn,
				    unsigned long end_pfn)
{
	unsigned long pfn, left = 0;

	for (pfn = start_pfn; pfn < end_pfn; pfn++) {
		if (pfn_valid(pfn) && !mhp_page_gone(pfn_to_page(pfn), &pfn))
			left++;
	}
	return left;
}

/* End mhp_evacuate() for @reason, naming a page still in the way. */
static int mhp_evacuate_stop(unsigned long start_pfn, unsigned long end_pfn,
			     enum mhp_offline_reason reason,
			     struct mhp_offline_report *report)
{
	report->reason = reason;
	mhp_blame_page(start_pfn, end_pfn, false, report);
	switch (reason) {
	case MHP_OFFLINE_SIGNAL:
		return -EINTR;
	case MHP_OFFLINE_OOM:
		return -ENOMEM;
	default:
		return -EBUSY;
	}
}

/*
 * Move everything movable out of the isolated range until it holds only
 * free (or skippable) pages. Loops as long as it takes; a signal, the
 * @deadline (jiffies, NULL for none), with @avoid_oom a target the
 * machine cannot spare, or a page that can never move ends it, named in
 * @report. Only a range with work left can run out of time or room: an
 * empty one always goes offline.
 */
static int mhp_evacuate(unsigned long start_pfn, unsigned long end_pfn,
			const unsigned long *deadline, bool avoid_oom,
			struct mhp_offline_report *report)
{
	unsigned int pass = 0;
	unsigned long pfn;
	int ret;

	for (;;) {
		for (pfn = start_pfn;; ) {
			/* Any signal, not only fatal ones: user space relies on it. */
			if (signal_pending(current))
				return mhp_evacuate_stop(start_pfn, end_pfn,
							 MHP_OFFLINE_SIGNAL,
							 report);
			cond_resched();

			ret = mhp_next_movable(pfn, end_pfn, &pfn);
			if (ret == -ENOENT)
				break;
			if (ret) {
				report->reason = MHP_OFFLINE_UNMOVABLE;
				report->pfn = pfn;
				report->kind = mhp_page_kind(pfn_to_page(pfn));
				return ret;
			}
			if (mhp_past(deadline))
				return mhp_evacuate_stop(start_pfn, end_pfn,
							 MHP_OFFLINE_TIMEOUT,
							 report);
			if (mhp_migrate_range(pfn, end_pfn, deadline, avoid_oom,
					      report))
				return mhp_evacuate_stop(start_pfn, end_pfn,
							 MHP_OFFLINE_OOM,
							 report);
		}

		/* Free huge pages would keep the pages out of the buddy. */
		ret = dissolve_free_hugetlb_folios(start_pfn, end_pfn);
		if (ret) {
			report->reason = MHP_OFFLINE_HUGETLB;
			mhp_blame_page(start_pfn, end_pfn, false, report);
			return ret;
		}
		if (trace_mhp_offline_pass_enabled())
			trace_mhp_offline_pass(start_pfn, end_pfn - start_pfn,
					       ++pass,
					       mhp_count_left(start_pfn, end_pfn),
					       report->nr_migrated);
		if (!test_pages_isolated(start_pfn, end_pfn, MEMORY_OFFLINE))
			return 0;
		if (mhp_past(deadline))
			return mhp_evacuate_stop(start_pfn, end_pfn,
						 MHP_OFFLINE_TIMEOUT, report);
	}
}

/*
 * Can the range be offlined at all? It must be all RAM (no holes: then no
 * pfn_valid() checks are needed later) and all in @zone.
 */
static int mhp_offline_precheck(unsigned long start_pfn, unsigned long nr_pages,
				struct zone *zone,
				struct mhp_offline_report *report)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	unsigned long ram = 0;

	walk_system_ram_range(start_pfn, nr_pages, &ram, count_ram_cb);
	if (ram != nr_pages) {
		report->reason = MHP_OFFLINE_HOLES;
		return -EINVAL;
	}
	/* The block layer only offlines single-zone blocks. */
	if (WARN_ON_ONCE(page_zone(pfn_to_page(start_pfn)) != zone ||
			 page_zone(pfn_to_page(end_pfn - 1)) != zone)) {
		report->reason = MHP_OFFLINE_ZONES;
		return -EINVAL;
	}
	return 0;
}

/* The range is empty and isolated: take it out of the allocator and zone. */
static void mhp_finish_offline(unsigned long start_pfn, unsigned long nr_pages,
			       struct zone *zone, struct memory_group *group,
			       struct memory_notify *arg)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	const int nid = zone_to_nid(zone);
	unsigned long managed;

	/* Also marks the sections offline. */
	managed = __offline_isolated_pages(start_pfn, end_pfn);
	/* The pageblocks are stale now; onlining sets them again. */
	mhp_count_isolated(zone, -(long)(nr_pages / pageblock_nr_pages));
	lru_cache_enable();
	zone_pcp_enable(zone);

	adjust_managed_page_count(pfn_to_page(start_pfn), -(long)managed);
	adjust_present_page_count(pfn_to_page(start_pfn), group,
				  -(long)nr_pages);
	init_per_zone_wmark_min();

	/* Node states first, so that the rebuilt zonelists skip the node. */
	if (arg->status_change_nid_normal != NUMA_NO_NODE)
		node_clear_state(nid, N_NORMAL_MEMORY);
	if (arg->status_change_nid != NUMA_NO_NODE)
		node_clear_state(nid, N_MEMORY);
	if (!populated_zone(zone)) {
		zone_pcp_reset(zone);
		build_all_zonelists(NULL);
	}
	if (arg->status_change_nid != NUMA_NO_NODE) {
		kcompactd_stop(nid);
		kswapd_stop(nid);
	}
	writeback_set_ratelimit();

	memory_notify(MEM_OFFLINE, arg);
	remove_pfn_range_from_zone(zone, start_pfn, nr_pages);
}

/* The offline that offline_pages() runs and reports: see there. */
static int mhp_offline_pages(unsigned long start_pfn, unsigned long nr_pages,
			     struct zone *zone, struct memory_group *group,
			     struct mhp_offline_report *report)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	const unsigned int timeout = READ_ONCE(offline_timeout_ms);
	const bool avoid_oom = READ_ONCE(offline_avoid_oom);
	unsigned long deadline = 0;
	struct memory_notify arg = {
		.start_pfn = start_pfn,
		.nr_pages = nr_pages,
	};
	int ret;

	if (timeout)
		deadline = jiffies + max(msecs_to_jiffies(timeout), 1UL);

	ret = mhp_offline_precheck(start_pfn, nr_pages, zone, report);
	if (ret)
		return ret;
	/* Refused before anything is done if it cannot fit at all. */
	if (avoid_oom && !mhp_room_for(mhp_offline_cost(start_pfn, end_pfn))) {
		report->reason = MHP_OFFLINE_OOM;
		return -ENOMEM;
	}

	/* No page of the range may hide on a per-cpu list while isolating. */
	zone_pcp_disable(zone);
	lru_cache_disable();

	/*
	 * No REPORT_FAILURE: it would dump a page on every failed attempt;
	 * the report names the page instead.
	 */
	ret = start_isolate_page_range(start_pfn, end_pfn, MIGRATE_MOVABLE,
				       MEMORY_OFFLINE,
				       GFP_USER | __GFP_MOVABLE |
				       __GFP_RETRY_MAYFAIL);
	if (ret) {
		report->reason = mhp_blame_page(start_pfn, end_pfn, true,
						report) ?
				 MHP_OFFLINE_UNMOVABLE : MHP_OFFLINE_ISOLATION;
		goto enable;
	}

	mhp_node_states_offline(zone, nr_pages, &arg);
	ret = notifier_to_errno(memory_notify_veto(MEM_GOING_OFFLINE, &arg,
						   &report->notifier));
	if (ret) {
		report->reason = MHP_OFFLINE_NOTIFIER;
		goto unisolate;
	}

	ret = mhp_evacuate(start_pfn, end_pfn, timeout ? &deadline : NULL,
			   avoid_oom, report);
	if (ret)
		goto unisolate;

	mhp_finish_offline(start_pfn, nr_pages, zone, group, &arg);
	return 0;

unisolate:
	undo_isolate_page_range(start_pfn, end_pfn, MIGRATE_MOVABLE);
	memory_notify(MEM_CANCEL_OFFLINE, &arg);
enable:
	lru_cache_enable();
	zone_pcp_enable(zone);
	return ret;
}

/* The one rate-limited kernel log line of a failed offline. */
static void mhp_log_offline_failure(unsigned long start_pfn,
				    unsigned long nr_pages, int ret,
				    const struct mhp_offline_report *report)
{
	const char *reason = mhp_offline_reason_name(report->reason);

	if (!__ratelimit(&mhp_offline_rs))
		return;
	if (report->pfn != ULONG_MAX)
		pr_info("offlining [mem %#llx-%#llx] failed (%d): reason=%s pfn=%#lx page=%s\n",
			PFN_PHYS(start_pfn), PFN_PHYS(start_pfn + nr_pages) - 1,
			ret, reason, report->pfn,
			mhp_page_kind_name(report->kind));
	else if (report->notifier)
		pr_info("offlining [mem %#llx-%#llx] failed (%d): reason=%s notifier=%ps\n",
			PFN_PHYS(start_pfn), PFN_PHYS(start_pfn + nr_pages) - 1,
			ret, reason, report->notifier);
	else
		pr_info("offlining [mem %#llx-%#llx] failed (%d): reason=%s\n",
			PFN_PHYS(start_pfn), PFN_PHYS(start_pfn + nr_pages) - 1,
			ret, reason);
}

/**
 * offline_pages() - take a range away from the page allocator
 * @start_pfn: first pfn, pageblock aligned
 * @nr_pages: number of pages; the range ends on a section boundary
 * @zone: the zone the whole range is in
 * @group: the memory group of the range, or NULL
 * @report: filled in with what the attempt did (pages migrated) and, on
 *	failure, why (mhp_offline_report_init() first)
 *
 * Isolates the range, asks the notifiers, migrates everything movable
 * (LRU pages, movable driver pages, huge pages), dissolves free huge
 * pages, and retries until only free pages are left, a signal arrives,
 * memory_hotplug.offline_timeout_ms runs out or, with
 * memory_hotplug.offline_avoid_oom, the rest of the machine has no room
 * for what the range holds. Then the pages leave the allocator, the zone
 * and the present/managed counts. Called with mem_hotplug_lock held for
 * write.
 *
 * Return: 0; -EBUSY if a page cannot be moved or isolated, or on the
 * timeout; -EINTR on a signal; -ENOMEM for want of room
 * (offline_avoid_oom); -EINVAL for a range with holes; or a notifier's
 * errno. On failure the range is online as before, @report says why, and
 * one line in the kernel log says it too (rate limited: a few lines per
 * 30 s at most).
 */
int offline_pages(unsigned long start_pfn, unsigned long nr_pages,
		  struct zone *zone, struct memory_group *group,
		  struct mhp_offline_report *report)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	int ret;

	mem_hotplug_assert_write_held();
	if (WARN_ON_ONCE(!nr_pages || !pageblock_aligned(start_pfn) ||
			 !IS_ALIGNED(end_pfn, PAGES_PER_SECTION))) {
		report->reason = MHP_OFFLINE_HOLES;
		return -EINVAL;
	}

	trace_mhp_offline_begin(start_pfn, nr_pages, zone);
	ret = mhp_offline_pages(start_pfn, nr_pages, zone, group, report);
	if (ret) {
		trace_mhp_offline_fail(start_pfn, nr_pages, ret, report);
		mhp_log_offline_failure(start_pfn, nr_pages, ret, report);
	}
	trace_mhp_offline_end(start_pfn, nr_pages, ret);
	return ret;
}

/**
 * mhp_offline_block() - offline one memory block, its own memmap included
 * @start_pfn: first pfn of the block
 * @nr_pages: pages in the block
 * @altmap: the block's altmap if it hosts its own memmap, else NULL
 * @zone: the zone the block is in
 * @group: its memory group, or NULL
 * @report: filled in as by offline_pages()
 *
 * The reverse of mhp_online_block(): the memmap pages stop counting as
 * present first, so that offline_pages() sees the zone become empty and
 * tears it down; once the rest is offline they leave @zone. Called by the
 * block layer with mem_hotplug_lock held for write, before the
 * MEM_FINISH_OFFLINE notifiers.
 *
 * Return: 0, or offline_pages()'s errno with the block online as before.
 */
int mhp_offline_block(unsigned long start_pfn, unsigned long nr_pages,
		      struct vmem_altmap *altmap, struct zone *zone,
		      struct memory_group *group,
		      struct mhp_offline_report *report)
{
	const unsigned long nr_memmap = altmap ? altmap->free : 0;
	int ret;

	mem_hotplug_assert_write_held();
	if (nr_memmap)
		adjust_present_page_count(pfn_to_page(start_pfn), group,
					  -(long)nr_memmap);

	ret = offline_pages(start_pfn + nr_memmap, nr_pages - nr_memmap, zone,
			    group, report);
	if (ret) {
		if (nr_memmap)
			adjust_present_page_count(pfn_to_page(start_pfn), group,
						  nr_memmap);
		return ret;
	}

	if (nr_memmap)
		mhp_deinit_memmap_on_memory(start_pfn, nr_memmap);
	return 0;
}
#endif /* CONFIG_MEMORY_HOTREMOVE */
