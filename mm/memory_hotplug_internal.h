/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of the memory hotplug core share among themselves:
 *
 *  memory_hotplug.c           locks, parameters, range checks, adding
 *                             and removing memory, nodes coming and going
 *  memory_hotplug_zones.c     zone and node spans, memmap init, the zone
 *                             policies (which zone a block goes to)
 *  memory_hotplug_online.c    online_pages() and offline_pages(), a
 *                             block's online and offline
 *  memory_hotplug_parallel.c  work spread over CPUs: pieces, the memmap
 *                             written ahead of onlining, prefault
 *
 * The pure computations (no kernel state read) are declared here too, so
 * that the KUnit suite (memory_hotplug_test.c) can check them directly.
 */
#ifndef __MM_MEMORY_HOTPLUG_INTERNAL_H
#define __MM_MEMORY_HOTPLUG_INTERNAL_H

#include <linux/memory_hotplug.h>
#include <linux/range.h>
#include <linux/sizes.h>
#include <linux/types.h>

struct memory_group;
struct memory_notify;
struct page;
struct zone;

/* memory_hotplug.memmap_on_memory */
enum mhp_memmap_mode {
	MHP_MEMMAP_OFF,
	MHP_MEMMAP_ON,
	MHP_MEMMAP_FORCE,
	MHP_MEMMAP_AUTO,	/* on the range only when nothing else can pay */
};

/*
 * The online policies (memory_hotplug.online_policy): which zone plain
 * "online" picks. mhp_online_policies[] in memory_hotplug_zones.c is the
 * one table of them, indexed by this enum: the parameter's parsing and
 * reading, the zone choice and the KUnit suite all go through it. The
 * first is the default.
 */
enum mhp_online_policy {
	MHP_POLICY_CONTIG_ZONES,
	MHP_POLICY_AUTO_MOVABLE,
	MHP_NR_ONLINE_POLICIES
};

/* The names user space writes; the parameter's help text uses them too. */
#define MHP_POLICY_CONTIG_ZONES_NAME	"contig-zones"
#define MHP_POLICY_AUTO_MOVABLE_NAME	"auto-movable"

/**
 * struct mhp_online_policy_desc - one online policy
 * @name: how user space spells it
 * @zone_for: the zone it picks for @nr_pages from @start_pfn of @group
 *	on @nid; never NULL
 */
struct mhp_online_policy_desc {
	const char *name;
	struct zone *(*zone_for)(int nid, struct memory_group *group,
				 unsigned long start_pfn,
				 unsigned long nr_pages);
};

extern const struct mhp_online_policy_desc
	mhp_online_policies[MHP_NR_ONLINE_POLICIES];

/* Parameter values; memory_hotplug.c owns them, readers use READ_ONCE(). */
extern enum mhp_memmap_mode mhp_memmap_mode;
extern enum mhp_online_policy mhp_online_policy;
extern unsigned int mhp_auto_movable_ratio;
extern bool mhp_auto_movable_numa_aware;

/* --- pure logic ------------------------------------------------------ */

int mhp_parse_memmap_mode(const char *val, enum mhp_memmap_mode *mode);
int mhp_parse_online_policy(const char *val, enum mhp_online_policy *policy);
const char *mhp_online_policy_name(enum mhp_online_policy policy);

unsigned long mhp_memmap_pages(unsigned long block_pages,
			       enum mhp_memmap_mode mode,
			       unsigned long pageblock_pages);
bool mhp_memmap_layout_ok(unsigned long block_pages, unsigned long memmap_pages,
			  unsigned long pageblock_pages);
bool mhp_memmap_too_dear(unsigned long spare_pages, unsigned long range_pages,
			 unsigned long block_pages);

bool mhp_range_fits(u64 start, u64 size, struct range allowed);

/**
 * struct mhp_movable_budget - what the auto-movable policy weighs
 * @kernel_early: present pages in kernel zones since boot (CMA excluded)
 * @movable: present pages in ZONE_MOVABLE (and CMA)
 * @other_groups_movable: ZONE_MOVABLE pages of the dynamic groups other
 *	than the one being onlined
 * @other_groups_kernel_need: early kernel pages those groups use up to
 *	justify their movable pages (their deficit against the ratio)
 * @own_kernel: kernel pages of the dynamic group being onlined, which
 *	allow more movable memory inside that group only
 */
struct mhp_movable_budget {
	unsigned long kernel_early;
	unsigned long movable;
	unsigned long other_groups_movable;
	unsigned long other_groups_kernel_need;
	unsigned long own_kernel;
};

bool mhp_movable_budget_allows(const struct mhp_movable_budget *b,
			       unsigned int ratio, unsigned long nr_pages);
unsigned long mhp_group_kernel_need(unsigned long movable,
				    unsigned long kernel, unsigned int ratio);
bool mhp_contig_prefers_movable(bool in_kernel, bool in_movable,
				bool movable_node);

/* How a range is cut among CPUs: see mhp_split_plan(). */
struct mhp_split {
	unsigned int threads;	/* CPUs, the caller's included */
	unsigned long piece;	/* pages; pieces start on multiples of it */
};

/* The most CPUs that work on one range. */
#define MHP_MAX_THREADS		8
/* Below this many pages per CPU, waking a helper costs more than it saves. */
#define MHP_MIN_PIECE_PAGES	(SZ_8M >> PAGE_SHIFT)
/* Pieces per CPU: small enough that a CPU that got going late still helps. */
#define MHP_PIECES_PER_THREAD	4

/*
 * An offline migrates its folios in chunks of about this many pages when
 * several CPUs take part: see mhp_migrate_helpers().
 */
#define MHP_MIGRATE_CHUNK_PAGES	(SZ_16M >> PAGE_SHIFT)

unsigned int mhp_migrate_helpers(unsigned long nr_pages, unsigned int cpus);

void mhp_split_plan(unsigned long nr_pages, unsigned int max_threads,
		    unsigned long align, struct mhp_split *plan);
unsigned long mhp_split_piece(unsigned long start_pfn, unsigned long nr_pages,
			      const struct mhp_split *plan,
			      unsigned long index, unsigned long *len);

/* What mhp_run_pieces() does with one piece of its range. */
typedef void (*mhp_piece_fn)(unsigned long start_pfn, unsigned long nr_pages,
			     void *arg);
void mhp_run_pieces(unsigned long start_pfn, unsigned long nr_pages,
		    unsigned long align, mhp_piece_fn fn, void *arg, int nid,
		    unsigned int cpus);
unsigned int mhp_helper_cpus(void);
unsigned int mhp_param_cpus(unsigned int threads);

/**
 * struct mhp_ready_memmap - memmap an add initialized ahead of its onlining
 * @next_pfn: first pfn whose struct pages no online has taken yet
 * @end_pfn: end of the range; nothing is left once @next_pfn reaches it
 * @nid: node the struct pages name
 * @zid: zone the struct pages name
 *
 * The struct pages of [@next_pfn, @end_pfn) are exactly what
 * move_pfn_range_to_zone() would write for @nid and @zid, except the
 * pageblocks' migrate types. See mhp_ready_take().
 */
struct mhp_ready_memmap {
	unsigned long next_pfn;
	unsigned long end_pfn;
	int nid;
	enum zone_type zid;
};

bool mhp_ready_take(struct mhp_ready_memmap *ready, unsigned long start_pfn,
		    unsigned long nr_pages, int nid, enum zone_type zid);

/* --- shared between the core files ---------------------------------- */

int mhp_check_block_range(u64 start, u64 size);
void mhp_init_memmap_range(struct zone *zone, unsigned long start_pfn,
			   unsigned long nr_pages, struct vmem_altmap *altmap,
			   int migratetype);
void mhp_node_states_online(struct zone *zone, struct memory_notify *arg);
void mhp_node_states_offline(struct zone *zone, unsigned long nr_pages,
			     struct memory_notify *arg);
void mhp_online_range(unsigned long start_pfn, unsigned long nr_pages);

/* memory_hotplug_zones.c: present pages and a block's own memmap */
void adjust_present_page_count(struct page *page, struct memory_group *group,
			       long nr_pages);
int mhp_init_memmap_on_memory(unsigned long pfn, unsigned long nr_pages,
			      struct zone *zone, bool mhp_off_inaccessible);
void mhp_deinit_memmap_on_memory(unsigned long pfn, unsigned long nr_pages);
void mhp_move_ready_range_to_zone(struct zone *zone, unsigned long start_pfn,
				  unsigned long nr_pages, int migratetype);

/* memory_hotplug_parallel.c: for the add, removal and online_pages() */
void mhp_init_memmap_ahead(unsigned long start_pfn, unsigned long nr_pages,
			   struct zone *zone, struct mhp_ready_memmap *ready);
void mhp_ready_begin(const struct mhp_ready_memmap *ready);
void mhp_ready_end(void);
bool mhp_memmap_ready(struct zone *zone, unsigned long start_pfn,
		      unsigned long nr_pages);
void mhp_prefault_arm(unsigned long start_pfn, unsigned long nr_pages);
void mhp_prefault_stop(void);
void mhp_prefault_online(unsigned long pfn, unsigned long nr_pages);

#endif /* __MM_MEMORY_HOTPLUG_INTERNAL_H */
