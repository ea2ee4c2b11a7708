// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory hot(un)plug core, part two: zones.
 *
 * Which zone a memory block joins when it is onlined, and what joining and
 * leaving a zone means: the zone and node spans grow and shrink, the
 * memmap of the range is initialized, present pages are counted per zone,
 * node and memory group.
 *
 * Zone choice (zone_for_pfn_range()): online_kernel picks the kernel zone
 * the range already overlaps (ZONE_NORMAL when none), online_movable picks
 * ZONE_MOVABLE, and plain "online" asks memory_hotplug.online_policy, one
 * of the policies of mhp_online_policies[] (at the end of this file):
 *
 *  contig-zones  keep zones contiguous: join the one zone the range
 *		  touches; when it touches none or both, ZONE_MOVABLE if
 *		  "movable_node" is set, else the kernel zone.
 *  auto-movable  ZONE_MOVABLE while MOVABLE:KERNEL stays within
 *		  memory_hotplug.auto_movable_ratio percent (system-wide and,
 *		  with auto_movable_numa_aware, on the node too), counting
 *		  only boot-time kernel memory, except that a dynamic memory
 *		  group may use its own kernel memory. A memory group is
 *		  planned for as a whole: what remains of it must fit.
 *
 * Everything here runs with mem_hotplug_lock held for write, except
 * zone_for_pfn_range() for valid_zones, which only reads.
 */

#include <linux/kasan.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/page-isolation.h>

#include "internal.h"
#include "memory_hotplug_internal.h"

/* ===== spans ============================================================ */

/* Grow the zone's and the node's span to include the range. */
static void mhp_grow_spans(struct zone *zone, unsigned long start_pfn,
			   unsigned long nr_pages)
{
	struct pglist_data *pgdat = zone->zone_pgdat;
	const unsigned long end_pfn = start_pfn + nr_pages;
	unsigned long flags, first, last;

	pgdat_resize_lock(pgdat, &flags);
	zone_span_writelock(zone);
	first = start_pfn;
	last = end_pfn;
	if (!zone_is_empty(zone)) {
		first = min(first, zone->zone_start_pfn);
		last = max(last, zone_end_pfn(zone));
	}
	zone->zone_start_pfn = first;
	zone->spanned_pages = last - first;
	zone_span_writeunlock(zone);

	first = start_pfn;
	last = end_pfn;
	if (pgdat->node_spanned_pages) {
		first = min(first, pgdat->node_start_pfn);
		last = max(last, pgdat_end_pfn(pgdat));
	}
	pgdat->node_start_pfn = first;
	pgdat->node_spanned_pages = last - first;
	pgdat_resize_unlock(pgdat, &flags);
}

/* Whether @pfn is online memory managed by @zone. */
static bool pfn_in_zone(struct zone *zone, unsigned long pfn)
{
	struct page *page = pfn_to_online_page(pfn);

	return page && page_zone(page) == zone;
}

/*
 * The span the zone keeps after [start_pfn, end_pfn) left it. Only a range
 * at either edge changes it; the new edge is the nearest subsection still
 * online in the zone. A hole in the middle stays spanned. Reads only, so
 * the scan runs without the span locks (mem_hotplug_lock keeps it valid).
 */
static void mhp_zone_span_without(struct zone *zone, unsigned long start_pfn,
				  unsigned long end_pfn, unsigned long *firstp,
				  unsigned long *lastp)
{
	unsigned long first = zone->zone_start_pfn;
	unsigned long last = zone_end_pfn(zone);
	unsigned long pfn;

	if (start_pfn == first) {
		for (pfn = end_pfn; pfn < last; pfn += PAGES_PER_SUBSECTION) {
			if (pfn_in_zone(zone, pfn))
				break;
		}
		first = min(pfn, last);
	} else if (end_pfn == last) {
		for (pfn = start_pfn; pfn > first; pfn -= PAGES_PER_SUBSECTION) {
			if (pfn_in_zone(zone, pfn - 1))
				break;
		}
		last = max(pfn, first);
	}

	if (first >= last) {
		first = 0;
		last = 0;
	}
	*firstp = first;
	*lastp = last;
}

/* Recompute the node span from its zones. */
static void mhp_fit_node_span(struct pglist_data *pgdat)
{
	unsigned long first = ULONG_MAX, last = 0;
	struct zone *zone;

	for (zone = pgdat->node_zones; zone < pgdat->node_zones + MAX_NR_ZONES;
	     zone++) {
		if (zone_is_empty(zone))
			continue;
		first = min(first, zone->zone_start_pfn);
		last = max(last, zone_end_pfn(zone));
	}
	if (first >= last) {
		first = 0;
		last = 0;
	}
	pgdat->node_start_pfn = first;
	pgdat->node_spanned_pages = last - first;
}

/* ===== joining and leaving a zone ======================================= */

/**
 * mhp_init_memmap_range() - initialize the memmap of a range for a zone
 * @zone: the zone the pages join
 * @start_pfn: first pfn
 * @nr_pages: number of pages
 * @altmap: the device altmap (ZONE_DEVICE) or NULL
 * @migratetype: migrate type of every pageblock of the range
 *
 * Works section by section: each section's struct pages are independent
 * of the others, which is what will let a large range be split among
 * several CPUs. ZONE_DEVICE ranges are handed over whole because the
 * altmap reservation is relative to their start.
 */
void mhp_init_memmap_range(struct zone *zone, unsigned long start_pfn,
			   unsigned long nr_pages, struct vmem_altmap *altmap,
			   int migratetype)
{
	const int nid = zone_to_nid(zone);
	const unsigned long end_pfn = start_pfn + nr_pages;
	unsigned long pfn, chunk;

	if (zone_is_zone_device(zone)) {
		memmap_init_range(nr_pages, nid, zone_idx(zone), start_pfn, 0,
				  MEMINIT_HOTPLUG, altmap, migratetype);
		return;
	}

	for (pfn = start_pfn; pfn < end_pfn; pfn += chunk) {
		chunk = min(end_pfn, SECTION_ALIGN_UP(pfn + 1)) - pfn;
		memmap_init_range(chunk, nid, zone_idx(zone), pfn, 0,
				  MEMINIT_HOTPLUG, altmap, migratetype);
		cond_resched();
	}
}

#ifdef CONFIG_ZONE_DEVICE
/*
 * A section holding both ZONE_DEVICE and other memory: make
 * pfn_to_online_page() ask the page map for each pfn of it.
 */
static void mhp_taint_device_edges(unsigned long start_pfn,
				   unsigned long end_pfn)
{
	if (!IS_ALIGNED(start_pfn, PAGES_PER_SECTION))
		__pfn_to_section(start_pfn)->section_mem_map |=
			SECTION_TAINT_ZONE_DEVICE;
	if (!IS_ALIGNED(end_pfn, PAGES_PER_SECTION))
		__pfn_to_section(end_pfn)->section_mem_map |=
			SECTION_TAINT_ZONE_DEVICE;
}
#else
static inline void mhp_taint_device_edges(unsigned long start_pfn,
					  unsigned long end_pfn)
{
}
#endif

/*
 * The zone part of move_pfn_range_to_zone(): the zone and node spans grow
 * to take the range in. The zone stays marked not contiguous. Asking
 * set_zone_contiguous() could only confirm it: the range is now inside the
 * zone's span and still offline (a ZONE_DEVICE range is never online), so
 * the walk over the zone's pageblocks would stop at it; but it would first
 * walk every online pageblock before it, once per block onlined: for a
 * DIMM added at the end of a zone that is quadratic in its size.
 */
static void mhp_span_range(struct zone *zone, unsigned long start_pfn,
			   unsigned long nr_pages)
{
	mem_hotplug_assert_write_held();
	clear_zone_contiguous(zone);

	if (zone_is_empty(zone))
		init_currently_empty_zone(zone, start_pfn, nr_pages);
	mhp_grow_spans(zone, start_pfn, nr_pages);
	if (zone_is_zone_device(zone))
		mhp_taint_device_edges(start_pfn, start_pfn + nr_pages);
}

/**
 * move_pfn_range_to_zone() - make a range of added pages part of a zone
 * @zone: the zone
 * @start_pfn: first pfn
 * @nr_pages: number of pages
 * @altmap: the device altmap (ZONE_DEVICE) or NULL
 * @migratetype: migrate type for every pageblock (MIGRATE_ISOLATE while
 *	onlining, MIGRATE_MOVABLE for device memory, ...)
 *
 * Grows the zone and node spans and initializes the memmap. The pages are
 * PageOffline() afterwards (PageReserved() for ZONE_DEVICE) and not yet
 * counted as present; the zone is not contiguous (it has offline pages).
 * Called with mem_hotplug_lock held for write.
 */
void move_pfn_range_to_zone(struct zone *zone, unsigned long start_pfn,
			    unsigned long nr_pages, struct vmem_altmap *altmap,
			    int migratetype)
{
	/*
	 * The zone spans the range before its pageblocks get their migrate
	 * type; nobody looks at these pages yet: they are offline.
	 */
	mhp_span_range(zone, start_pfn, nr_pages);
	mhp_init_memmap_range(zone, start_pfn, nr_pages, altmap, migratetype);
}

/**
 * mhp_move_ready_range_to_zone() - move_pfn_range_to_zone(), memmap written
 * @zone: the zone
 * @start_pfn: first pfn, pageblock aligned
 * @nr_pages: number of pages, whole pageblocks
 * @migratetype: migrate type for every pageblock
 *
 * For a range whose struct pages the add initialized ahead for this zone
 * (mhp_memmap_ready() said so): what move_pfn_range_to_zone() does but
 * writing them, that is the spans, the pageblocks' migrate types (which
 * must wait until the zone spans them) and the highest pfn with a memmap.
 * Called with mem_hotplug_lock held for write.
 */
void mhp_move_ready_range_to_zone(struct zone *zone, unsigned long start_pfn,
				  unsigned long nr_pages, int migratetype)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	unsigned long pfn;

	mhp_span_range(zone, start_pfn, nr_pages);
	for (pfn = start_pfn; pfn < end_pfn; pfn += pageblock_nr_pages)
		set_pageblock_migratetype(pfn_to_page(pfn), migratetype);
	/* As memmap_init_range() does; mem_hotplug_lock orders the writers. */
	if (highest_memmap_pfn < end_pfn - 1)
		highest_memmap_pfn = end_pfn - 1;
}

/**
 * remove_pfn_range_from_zone() - undo move_pfn_range_to_zone()
 * @zone: the zone the range was in
 * @start_pfn: first pfn
 * @nr_pages: number of pages
 *
 * The memmap of the range is poisoned (it is stale now) and, except for
 * ZONE_DEVICE, the zone and node spans shrink where the range was at an
 * edge. Called with mem_hotplug_lock held for write, after the range was
 * marked offline.
 */
void remove_pfn_range_from_zone(struct zone *zone, unsigned long start_pfn,
				unsigned long nr_pages)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	struct pglist_data *pgdat = zone->zone_pgdat;
	unsigned long pfn, chunk, flags, first, last;

	mem_hotplug_assert_write_held();
	for (pfn = start_pfn; pfn < end_pfn; pfn += chunk) {
		chunk = min(end_pfn, SECTION_ALIGN_UP(pfn + 1)) - pfn;
		page_init_poison(pfn_to_page(pfn), chunk * sizeof(struct page));
		cond_resched();
	}

	/* Device ranges are not tracked in the span (nor contiguity). */
	if (zone_is_zone_device(zone))
		return;

	clear_zone_contiguous(zone);
	mhp_zone_span_without(zone, start_pfn, end_pfn, &first, &last);
	pgdat_resize_lock(pgdat, &flags);
	zone_span_writelock(zone);
	zone->zone_start_pfn = first;
	zone->spanned_pages = last - first;
	zone_span_writeunlock(zone);
	mhp_fit_node_span(pgdat);
	pgdat_resize_unlock(pgdat, &flags);
	set_zone_contiguous(zone);
}

/**
 * adjust_present_page_count() - count pages in or out of "present"
 * @page: any page of the range (they are all in one zone)
 * @group: the memory group of the range, or NULL
 * @nr_pages: pages to add (positive) or take away (negative)
 *
 * Updates the zone, its node, and the group's kernel or movable counter.
 * A block is either all boot memory or all hot-added, so one page tells
 * whether the early counter changes too. Called with mem_hotplug_lock
 * held for write, by mhp_online_block()/mhp_offline_block() and by
 * online/offline_pages().
 */
void adjust_present_page_count(struct page *page, struct memory_group *group,
			       long nr_pages)
{
	struct zone *zone = page_zone(page);

	mem_hotplug_assert_write_held();
	if (early_section(__pfn_to_section(page_to_pfn(page))))
		zone->present_early_pages += nr_pages;
	zone->present_pages += nr_pages;
	zone->zone_pgdat->node_present_pages += nr_pages;

	if (!group)
		return;
	if (zone_idx(zone) == ZONE_MOVABLE)
		group->present_movable_pages += nr_pages;
	else
		group->present_kernel_pages += nr_pages;
}

/**
 * mhp_init_memmap_on_memory() - prepare the memmap pages of a block
 * @pfn: first pfn of the block (where its memmap lives)
 * @nr_pages: number of memmap pages
 * @zone: the zone the block is being onlined to
 * @mhp_off_inaccessible: the memory could not be touched until now, so the
 *	struct pages were not poisoned when the block was added
 *
 * The pages holding the memmap join the block's zone as unmovable,
 * self-hosted vmemmap pages; they never reach the buddy. Called by
 * mhp_online_block() before online_pages() for the rest of the block.
 *
 * Return: 0 or a negative errno (KASAN shadow could not be set up).
 */
int mhp_init_memmap_on_memory(unsigned long pfn, unsigned long nr_pages,
			      struct zone *zone, bool mhp_off_inaccessible)
{
	const unsigned long end_pfn = pfn + nr_pages;
	unsigned long cur;
	int ret;

	ret = kasan_add_zero_shadow(__va(PFN_PHYS(pfn)), PFN_PHYS(nr_pages));
	if (ret)
		return ret;

	if (mhp_off_inaccessible)
		page_init_poison(pfn_to_page(pfn),
				 nr_pages * sizeof(struct page));

	move_pfn_range_to_zone(zone, pfn, nr_pages, NULL, MIGRATE_UNMOVABLE);
	for (cur = pfn; cur < end_pfn; cur++) {
		struct page *page = pfn_to_page(cur);

		__folio_clear_offline(page_folio(page));
		SetPageVmemmapSelfHosted(page);
	}

	/* Sections made only of memmap pages are online from now on. */
	online_mem_sections(pfn, ALIGN_DOWN(end_pfn, PAGES_PER_SECTION));
	return 0;
}

/**
 * mhp_deinit_memmap_on_memory() - undo mhp_init_memmap_on_memory()
 * @pfn: first pfn of the block
 * @nr_pages: number of memmap pages
 *
 * Called by mhp_offline_block() after offline_pages() for the rest of the
 * block, or by mhp_online_block() when onlining it failed.
 */
void mhp_deinit_memmap_on_memory(unsigned long pfn, unsigned long nr_pages)
{
	struct zone *zone = page_zone(pfn_to_page(pfn));

	offline_mem_sections(pfn, ALIGN_DOWN(pfn + nr_pages, PAGES_PER_SECTION));
	remove_pfn_range_from_zone(zone, pfn, nr_pages);
	kasan_remove_zero_shadow(__va(PFN_PHYS(pfn)), PFN_PHYS(nr_pages));
}

/* ===== node states ====================================================== */

/**
 * mhp_node_states_online() - which node states onlining into @zone sets
 * @zone: the zone memory is onlined to
 * @arg: its status_change_nid* fields are filled in
 */
void mhp_node_states_online(struct zone *zone, struct memory_notify *arg)
{
	const int nid = zone_to_nid(zone);

	arg->status_change_nid = NUMA_NO_NODE;
	arg->status_change_nid_normal = NUMA_NO_NODE;
	if (!node_state(nid, N_MEMORY))
		arg->status_change_nid = nid;
	if (zone_idx(zone) <= ZONE_NORMAL && !node_state(nid, N_NORMAL_MEMORY))
		arg->status_change_nid_normal = nid;
}

/**
 * mhp_node_states_offline() - which node states offlining clears
 * @zone: the zone memory is offlined from
 * @nr_pages: how many of its present pages go
 * @arg: its status_change_nid* fields are filled in
 *
 * A node loses N_NORMAL_MEMORY when the pages are the last present ones
 * of its kernel zones, and N_MEMORY when they are its last present pages
 * at all (ZONE_DEVICE does not count).
 */
void mhp_node_states_offline(struct zone *zone, unsigned long nr_pages,
			     struct memory_notify *arg)
{
	struct pglist_data *pgdat = zone->zone_pgdat;
	const int nid = zone_to_nid(zone);
	unsigned long kernel = 0;
	enum zone_type zt;

	for (zt = 0; zt <= ZONE_NORMAL; zt++)
		kernel += pgdat->node_zones[zt].present_pages;

	arg->status_change_nid = NUMA_NO_NODE;
	arg->status_change_nid_normal = NUMA_NO_NODE;
	if (zone_idx(zone) <= ZONE_NORMAL && nr_pages >= kernel)
		arg->status_change_nid_normal = nid;
	if (nr_pages >= kernel + pgdat->node_zones[ZONE_MOVABLE].present_pages)
		arg->status_change_nid = nid;
}

/* ===== zone policies ==================================================== */

/**
 * mhp_contig_prefers_movable() - the contig-zones decision
 * @in_kernel: the range overlaps the span of its kernel zone
 * @in_movable: the range overlaps the span of ZONE_MOVABLE
 * @movable_node: "movable_node" is set
 *
 * Return: true for ZONE_MOVABLE, false for the kernel zone.
 */
bool mhp_contig_prefers_movable(bool in_kernel, bool in_movable,
				bool movable_node)
{
	/* Touching exactly one zone: extend it. */
	if (in_kernel != in_movable)
		return in_movable;
	/* Touching none or both: the default for hot-added memory. */
	return movable_node;
}

/**
 * mhp_group_kernel_need() - kernel pages a group's movable pages need
 * @movable: movable present pages of the group
 * @kernel: kernel present pages of the group
 * @ratio: the MOVABLE:KERNEL ratio in percent
 *
 * Return: the early kernel pages the group borrows from the rest of the
 * system to stay within @ratio (0 when its own kernel pages suffice).
 */
unsigned long mhp_group_kernel_need(unsigned long movable,
				    unsigned long kernel, unsigned int ratio)
{
	unsigned long need;

	if (!ratio)
		return 0;
	need = movable * 100 / ratio;
	return need > kernel ? need - kernel : 0;
}

/**
 * mhp_movable_budget_allows() - the auto-movable decision
 * @b: the counts (see &struct mhp_movable_budget)
 * @ratio: the MOVABLE:KERNEL ratio in percent
 * @nr_pages: pages that would go movable
 *
 * Other dynamic groups are taken out of the picture: their movable pages
 * and the early kernel memory they need for them. The group being onlined
 * adds its own kernel pages. Then @nr_pages more movable pages must fit.
 *
 * Return: true if the pages may be onlined to ZONE_MOVABLE.
 */
bool mhp_movable_budget_allows(const struct mhp_movable_budget *b,
			       unsigned int ratio, unsigned long nr_pages)
{
	unsigned long kernel, movable;

	if (b->kernel_early <= b->other_groups_kernel_need)
		return false;
	kernel = b->kernel_early - b->other_groups_kernel_need + b->own_kernel;
	movable = b->movable - b->other_groups_movable + nr_pages;
	return movable <= (unsigned long)ratio * kernel / 100;
}

/* The kernel zone for a range: a lower zone it overlaps, or ZONE_NORMAL. */
static struct zone *kernel_zone_for(int nid, unsigned long start_pfn,
				    unsigned long nr_pages)
{
	struct pglist_data *pgdat = NODE_DATA(nid);
	enum zone_type zt;

	for (zt = 0; zt < ZONE_NORMAL; zt++) {
		if (zone_intersects(&pgdat->node_zones[zt], start_pfn, nr_pages))
			return &pgdat->node_zones[zt];
	}
	return &pgdat->node_zones[ZONE_NORMAL];
}

static struct zone *movable_zone_of(int nid)
{
	return &NODE_DATA(nid)->node_zones[ZONE_MOVABLE];
}

static struct zone *contig_zone_for(int nid, struct memory_group *group,
				    unsigned long start_pfn,
				    unsigned long nr_pages)
{
	struct zone *kernel = kernel_zone_for(nid, start_pfn, nr_pages);
	struct zone *movable = movable_zone_of(nid);

	if (mhp_contig_prefers_movable(zone_intersects(kernel, start_pfn, nr_pages),
				       zone_intersects(movable, start_pfn, nr_pages),
				       movable_node_is_enabled()))
		return movable;
	return kernel;
}

static void budget_count_zone(struct mhp_movable_budget *b, struct zone *zone)
{
	const unsigned long cma = zone_cma_pages(zone);

	if (zone_idx(zone) == ZONE_MOVABLE) {
		b->movable += zone->present_pages;
		return;
	}
	/* CMA pages only ever hold movable allocations. */
	b->kernel_early += zone->present_early_pages - cma;
	b->movable += cma;
}

struct budget_walk {
	struct mhp_movable_budget *b;
	unsigned int ratio;
};

static int budget_count_group(struct memory_group *group, void *arg)
{
	struct budget_walk *w = arg;

	w->b->other_groups_movable += group->present_movable_pages;
	w->b->other_groups_kernel_need +=
		mhp_group_kernel_need(group->present_movable_pages,
				      group->present_kernel_pages, w->ratio);
	return 0;
}

/* Count the budget system-wide (NUMA_NO_NODE) or on one node. */
static void budget_collect(struct mhp_movable_budget *b, int nid,
			   struct memory_group *group, unsigned int ratio)
{
	struct budget_walk w = { .b = b, .ratio = ratio };
	struct zone *zone;

	memset(b, 0, sizeof(*b));
	for_each_populated_zone(zone) {
		if (nid == NUMA_NO_NODE || zone_to_nid(zone) == nid)
			budget_count_zone(b, zone);
	}
	walk_dynamic_memory_groups(nid, budget_count_group, group, &w);
	if (group && group->is_dynamic)
		b->own_kernel = group->present_kernel_pages;
}

/*
 * How many pages auto-movable must be able to put in ZONE_MOVABLE for the
 * range to go there: the rest of its group (or unit of a dynamic group)
 * that is not online yet. Returns 0 when part of the group or unit is
 * online in a kernel zone already: then the rest follows it.
 */
static unsigned long auto_movable_plan(struct memory_group *group,
				       unsigned long start_pfn,
				       unsigned long nr_pages)
{
	unsigned long pfn, end_pfn, online = 0;
	struct page *page;

	if (!group)
		return nr_pages;

	if (!group->is_dynamic) {
		if (group->present_kernel_pages)
			return 0;
		return group->s.max_pages - group->present_movable_pages;
	}

	if (group->d.unit_pages == nr_pages)
		return nr_pages;

	/* Dynamic groups hold hot-added memory only: one zone per section. */
	pfn = ALIGN_DOWN(start_pfn, group->d.unit_pages);
	end_pfn = pfn + group->d.unit_pages;
	for (; pfn < end_pfn; pfn += PAGES_PER_SECTION) {
		page = pfn_to_online_page(pfn);
		if (!page)
			continue;
		if (!is_zone_movable_page(page))
			return 0;
		online += PAGES_PER_SECTION;
	}
	return group->d.unit_pages - online;
}

static struct zone *auto_movable_zone_for(int nid, struct memory_group *group,
					  unsigned long start_pfn,
					  unsigned long nr_pages)
{
	const unsigned int ratio = READ_ONCE(mhp_auto_movable_ratio);
	struct mhp_movable_budget b;
	unsigned long plan;

	if (!ratio)
		goto kernel;
	plan = auto_movable_plan(group, start_pfn, nr_pages);
	if (!plan)
		goto kernel;

	budget_collect(&b, NUMA_NO_NODE, group, ratio);
	if (!mhp_movable_budget_allows(&b, ratio, plan))
		goto kernel;

	if (IS_ENABLED(CONFIG_NUMA) && READ_ONCE(mhp_auto_movable_numa_aware)) {
		budget_collect(&b, nid, group, ratio);
		if (!mhp_movable_budget_allows(&b, ratio, plan))
			goto kernel;
	}
	return movable_zone_of(nid);

kernel:
	return kernel_zone_for(nid, start_pfn, nr_pages);
}

/* The online policies: see enum mhp_online_policy. */
const struct mhp_online_policy_desc
mhp_online_policies[MHP_NR_ONLINE_POLICIES] = {
	[MHP_POLICY_CONTIG_ZONES] = {
		.name = MHP_POLICY_CONTIG_ZONES_NAME,
		.zone_for = contig_zone_for,
	},
	[MHP_POLICY_AUTO_MOVABLE] = {
		.name = MHP_POLICY_AUTO_MOVABLE_NAME,
		.zone_for = auto_movable_zone_for,
	},
};

/**
 * zone_for_pfn_range() - the zone onlining a range would use
 * @online_type: MMOP_ONLINE, MMOP_ONLINE_KERNEL or MMOP_ONLINE_MOVABLE
 * @nid: node of the range
 * @group: memory group of the range, or NULL
 * @start_pfn: first pfn
 * @nr_pages: number of pages
 *
 * See the top of this file for the policies. Called with mem_hotplug_lock
 * held for write (onlining) or under the block's device lock (valid_zones,
 * where an answer that is stale an instant later is fine).
 *
 * Return: the zone; never NULL.
 */
struct zone *zone_for_pfn_range(enum mmop online_type, int nid,
				struct memory_group *group,
				unsigned long start_pfn, unsigned long nr_pages)
{
	switch (online_type) {
	case MMOP_ONLINE_KERNEL:
		return kernel_zone_for(nid, start_pfn, nr_pages);
	case MMOP_ONLINE_MOVABLE:
		return movable_zone_of(nid);
	default:
		break;
	}

	return mhp_online_policies[READ_ONCE(mhp_online_policy)].zone_for(nid,
			group, start_pfn, nr_pages);
}
