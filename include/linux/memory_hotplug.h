/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory hot(un)plug: what the core (mm/memory_hotplug*.c) offers the rest
 * of the kernel.
 *
 * Three kinds of users meet here:
 *  - drivers that bring memory and take it back (ACPI, virtio-mem,
 *    dax/kmem, balloons, CXL): add_memory() and friends, remove_memory()
 *    and friends, memory groups (linux/memory.h);
 *  - the memory block layer (drivers/base/memory.c), which onlines and
 *    offlines one block at a time: mhp_online_block(), mhp_offline_block()
 *    and zone_for_pfn_range();
 *  - the rest of mm, which needs the locks (get_online_mems(), the zone
 *    span seqlock, the pgdat resize lock) and the arch/sparse hooks.
 *
 * Lock order, outermost first: device_hotplug_lock (lock_device_hotplug()),
 * cpu_hotplug_lock, mem_hotplug_lock, then the spinlocks below. The rules
 * for each are written in mm/memory_hotplug.c.
 */
#ifndef __LINUX_MEMORY_HOTPLUG_H
#define __LINUX_MEMORY_HOTPLUG_H

#include <linux/bug.h>
#include <linux/mmzone.h>
#include <linux/notifier.h>
#include <linux/spinlock.h>

struct dev_pagemap;
struct mem_section;
struct memory_group;
struct page;
struct pglist_data;
struct resource;
struct vmem_altmap;
struct zone;

/**
 * enum mmop - what to do with a memory block, as user space writes it
 * @MMOP_OFFLINE: keep it (or take it) offline
 * @MMOP_ONLINE: online it; the online policy picks the zone
 * @MMOP_ONLINE_KERNEL: online it into a kernel zone (normally ZONE_NORMAL)
 * @MMOP_ONLINE_MOVABLE: online it into ZONE_MOVABLE
 */
enum mmop {
	MMOP_OFFLINE = 0,
	MMOP_ONLINE,
	MMOP_ONLINE_KERNEL,
	MMOP_ONLINE_MOVABLE,
};

/*
 * The whole physical range a platform can hot-add and map; architectures
 * override the weak default (everything). Declared whatever the config:
 * some architectures use it outside memory hotplug.
 */
struct range arch_get_mappable_range(void);

#ifdef CONFIG_MEMORY_HOTPLUG

/**
 * typedef mhp_t - flags for add_memory() and its variants
 *
 * %MHP_NONE
 *	Nothing special.
 *
 * %MHP_MERGE_RESOURCE
 *	Once added, the "System RAM" resource may be merged with neighbouring
 *	mergeable ones; the caller must not use the resource pointer
 *	afterwards.
 *
 * %MHP_MEMMAP_ON_MEMORY
 *	Place the memmap of each memory block at the start of that block
 *	instead of allocating it; a request the core may decline (see
 *	mhp_supports_memmap_on_memory()).
 *
 * %MHP_NID_IS_MGID
 *	The nid argument is a memory group id; the group gives the node.
 *
 * %MHP_OFFLINE_INACCESSIBLE
 *	The memory cannot be touched while offline (the provider makes it
 *	accessible in MEM_PREPARE_ONLINE); only meaningful together with
 *	%MHP_MEMMAP_ON_MEMORY.
 *
 * %MHP_MEMMAP_ON_MEMORY_AUTO
 *	The first mhp_memmap_on_memory_pages() of each block can be written
 *	as soon as the range is added (all of it for probe and dax/kmem; the
 *	sub-blocks virtio-mem plugged first), so with
 *	memory_hotplug.memmap_on_memory=auto the core may place the memmap
 *	of each block at its start when the machine cannot spare it, as if
 *	%MHP_MEMMAP_ON_MEMORY had been passed. Ignored in the other modes.
 */
typedef int __bitwise mhp_t;

#define MHP_NONE			((__force mhp_t)0)
#define MHP_MERGE_RESOURCE		((__force mhp_t)BIT(0))
#define MHP_MEMMAP_ON_MEMORY		((__force mhp_t)BIT(1))
#define MHP_NID_IS_MGID			((__force mhp_t)BIT(2))
#define MHP_OFFLINE_INACCESSIBLE	((__force mhp_t)BIT(3))
#define MHP_MEMMAP_ON_MEMORY_AUTO	((__force mhp_t)BIT(4))

/**
 * struct mhp_params - how arch_add_memory()/__add_pages() map new memory
 * @altmap: where the memmap is allocated from, or NULL for the page
 *	allocator
 * @pgprot: protection of the new direct-map page tables (required)
 * @pgmap: the ZONE_DEVICE page map, or NULL for ordinary memory
 */
struct mhp_params {
	struct vmem_altmap *altmap;
	pgprot_t pgprot;
	struct dev_pagemap *pgmap;
};

/* --- locks ---------------------------------------------------------- */

/* Readers of zone/node spans and of online state: may sleep. */
void get_online_mems(void);
void put_online_mems(void);
/* Writers: whoever adds, removes, onlines or offlines memory. */
void mem_hotplug_begin(void);
void mem_hotplug_done(void);

/*
 * The rules above, checked: a function documented as "called with X held"
 * starts with the matching assertion, which warns on a lockdep kernel when
 * its caller breaks the rule and is empty otherwise.
 * mhp_assert_device_hotplug_held() accepts boot without the lock: the ACPI
 * namespace scan adds the memory it finds before any other task can race.
 */
#ifdef CONFIG_LOCKDEP
void mem_hotplug_assert_write_held(void);
void mem_hotplug_assert_not_held(void);
void mhp_assert_device_hotplug_held(void);
#else
static inline void mem_hotplug_assert_write_held(void) {}
static inline void mem_hotplug_assert_not_held(void) {}
static inline void mhp_assert_device_hotplug_held(void) {}
#endif

/*
 * Zone span: zone->zone_start_pfn and zone->spanned_pages change under the
 * writer side, together with the pgdat resize lock; lockless readers retry.
 */
static inline void zone_seqlock_init(struct zone *zone)
{
	seqlock_init(&zone->span_seqlock);
}

static inline void zone_span_writelock(struct zone *zone)
{
	write_seqlock(&zone->span_seqlock);
}

static inline void zone_span_writeunlock(struct zone *zone)
{
	write_sequnlock(&zone->span_seqlock);
}

static inline unsigned int zone_span_seqbegin(struct zone *zone)
{
	return read_seqbegin(&zone->span_seqlock);
}

static inline int zone_span_seqretry(struct zone *zone, unsigned int seq)
{
	return read_seqretry(&zone->span_seqlock, seq);
}

/* Serializes starting and stopping kswapd of a node (kswapd_is_running()). */
static inline void pgdat_kswapd_lock_init(pg_data_t *pgdat)
{
	mutex_init(&pgdat->kswapd_lock);
}

static inline void pgdat_kswapd_lock(pg_data_t *pgdat)
{
	mutex_lock(&pgdat->kswapd_lock);
}

static inline void pgdat_kswapd_unlock(pg_data_t *pgdat)
{
	mutex_unlock(&pgdat->kswapd_lock);
}

/* --- adding and removing memory -------------------------------------- */

int add_memory(int nid, u64 start, u64 size, mhp_t mhp_flags);
int __add_memory(int nid, u64 start, u64 size, mhp_t mhp_flags);
int add_memory_resource(int nid, struct resource *resource, mhp_t mhp_flags);
int add_memory_driver_managed(int nid, u64 start, u64 size,
			      const char *resource_name, mhp_t mhp_flags);

struct range mhp_get_pluggable_range(bool need_mapping);
bool mhp_range_allowed(u64 start, u64 size, bool need_mapping);
bool mhp_supports_memmap_on_memory(void);
unsigned long mhp_memmap_on_memory_pages(void);

/* Limit set by "mem=" on the kernel command line: applies at boot only. */
extern u64 max_mem_size;

/* The online type auto_online_blocks (memhp_default_state=) asks for. */
enum mmop mhp_get_default_online_type(void);
void mhp_set_default_online_type(enum mmop online_type);
/* Parses "offline", "online", ...; defined by the memory block layer. */
int mhp_online_type_from_str(const char *str);

int try_online_node(int nid);
int __ref free_area_init_core_hotplug(struct pglist_data *pgdat);

/* "movable_node" on the command line: hot-pluggable nodes stay movable. */
extern bool movable_node_enabled;
static inline bool movable_node_is_enabled(void)
{
	return movable_node_enabled;
}

/* Arch and sparse hooks the core calls to map and unmap memory. */
int arch_add_memory(int nid, u64 start, u64 size, struct mhp_params *params);
void arch_remove_memory(u64 start, u64 size, struct vmem_altmap *altmap,
			struct dev_pagemap *pgmap);
int arch_create_linear_mapping(int nid, u64 start, u64 size,
			       struct mhp_params *params);
void arch_remove_linear_mapping(u64 start, u64 size);
int __add_pages(int nid, unsigned long start_pfn, unsigned long nr_pages,
		struct mhp_params *params);
void __remove_pages(unsigned long start_pfn, unsigned long nr_pages,
		    struct vmem_altmap *altmap, struct dev_pagemap *pgmap);
#ifdef CONFIG_ARCH_HAS_ADD_PAGES
int add_pages(int nid, unsigned long start_pfn, unsigned long nr_pages,
	      struct mhp_params *params);
#else
static inline int add_pages(int nid, unsigned long start_pfn,
			    unsigned long nr_pages, struct mhp_params *params)
{
	return __add_pages(nid, start_pfn, nr_pages, params);
}
#endif
int sparse_add_section(int nid, unsigned long pfn, unsigned long nr_pages,
		       struct vmem_altmap *altmap, struct dev_pagemap *pgmap);
void sparse_remove_section(unsigned long pfn, unsigned long nr_pages,
			   struct vmem_altmap *altmap,
			   struct dev_pagemap *pgmap);
struct page *sparse_decode_mem_map(unsigned long coded_mem_map,
				   unsigned long pnum);

/* --- onlining and offlining ------------------------------------------ */

struct page *pfn_to_online_page(unsigned long pfn);

struct zone *zone_for_pfn_range(enum mmop online_type, int nid,
				struct memory_group *group,
				unsigned long start_pfn, unsigned long nr_pages);
void move_pfn_range_to_zone(struct zone *zone, unsigned long start_pfn,
			    unsigned long nr_pages, struct vmem_altmap *altmap,
			    int migratetype);
void remove_pfn_range_from_zone(struct zone *zone, unsigned long start_pfn,
				unsigned long nr_pages);

int online_pages(unsigned long pfn, unsigned long nr_pages, struct zone *zone,
		 struct memory_group *group);
int mhp_online_block(unsigned long start_pfn, unsigned long nr_pages,
		     struct vmem_altmap *altmap, struct zone *zone,
		     struct memory_group *group);
/* Defined in mm/page_alloc.c: takes isolated free pages out of the buddy. */
unsigned long __offline_isolated_pages(unsigned long start_pfn,
				       unsigned long end_pfn);

/*
 * Drivers that online only part of their memory (balloons, virtio-mem)
 * replace the function that hands onlined pages to the buddy.
 */
typedef void (*online_page_callback_t)(struct page *page, unsigned int order);

void generic_online_page(struct page *page, unsigned int order);
int set_online_page_callback(online_page_callback_t callback);
int restore_online_page_callback(online_page_callback_t callback);

#else /* !CONFIG_MEMORY_HOTPLUG */

/* Without hotplug every valid pfn is online memory. */
#define pfn_to_online_page(pfn)					\
({								\
	unsigned long __online_pfn = (pfn);			\
	pfn_valid(__online_pfn) ? pfn_to_page(__online_pfn) : NULL; \
})

static inline void get_online_mems(void) {}
static inline void put_online_mems(void) {}
static inline void mem_hotplug_begin(void) {}
static inline void mem_hotplug_done(void) {}
static inline void mem_hotplug_assert_write_held(void) {}
static inline void mem_hotplug_assert_not_held(void) {}
static inline void mhp_assert_device_hotplug_held(void) {}

static inline void zone_seqlock_init(struct zone *zone) {}
static inline void zone_span_writelock(struct zone *zone) {}
static inline void zone_span_writeunlock(struct zone *zone) {}
static inline unsigned int zone_span_seqbegin(struct zone *zone)
{
	return 0;
}

static inline int zone_span_seqretry(struct zone *zone, unsigned int seq)
{
	return 0;
}

static inline void pgdat_kswapd_lock_init(pg_data_t *pgdat) {}
static inline void pgdat_kswapd_lock(pg_data_t *pgdat) {}
static inline void pgdat_kswapd_unlock(pg_data_t *pgdat) {}

static inline int try_online_node(int nid)
{
	return 0;
}

static inline bool movable_node_is_enabled(void)
{
	return false;
}

static inline bool mhp_supports_memmap_on_memory(void)
{
	return false;
}

static inline unsigned long mhp_memmap_on_memory_pages(void)
{
	return 0;
}
#endif /* CONFIG_MEMORY_HOTPLUG */

/*
 * Node size lock: pgdat->node_start_pfn and node_spanned_pages (and the
 * zone spans, see above) change under it. Deferred struct page init uses
 * it as well, hence the wider condition.
 */
#if defined(CONFIG_MEMORY_HOTPLUG) || defined(CONFIG_DEFERRED_STRUCT_PAGE_INIT)
static inline void pgdat_resize_init(struct pglist_data *pgdat)
{
	spin_lock_init(&pgdat->node_size_lock);
}

static inline void pgdat_resize_lock(struct pglist_data *pgdat,
				     unsigned long *flags)
{
	spin_lock_irqsave(&pgdat->node_size_lock, *flags);
}

static inline void pgdat_resize_unlock(struct pglist_data *pgdat,
				       unsigned long *flags)
{
	spin_unlock_irqrestore(&pgdat->node_size_lock, *flags);
}
#else
static inline void pgdat_resize_init(struct pglist_data *pgdat) {}
static inline void pgdat_resize_lock(struct pglist_data *p, unsigned long *f) {}
static inline void pgdat_resize_unlock(struct pglist_data *p, unsigned long *f) {}
#endif

/* --- why an offline failed ------------------------------------------- */

/**
 * enum mhp_offline_reason - why an offline of a memory block failed
 * @MHP_OFFLINE_NONE: it did not (yet)
 * @MHP_OFFLINE_UNMOVABLE: a page that cannot be moved is in the range
 * @MHP_OFFLINE_ISOLATION: the range could not be isolated, and no page to
 *	blame was found when looking again
 * @MHP_OFFLINE_HUGETLB: free huge pages in the range could not be dissolved
 * @MHP_OFFLINE_NOTIFIER: a memory notifier refused
 * @MHP_OFFLINE_SIGNAL: a signal ended the attempt
 * @MHP_OFFLINE_TIMEOUT: memory_hotplug.offline_timeout_ms ran out
 * @MHP_OFFLINE_HOLES: part of the range is not RAM
 * @MHP_OFFLINE_ZONES: the range spans several zones or nodes
 * @MHP_OFFLINE_OOM: memory_hotplug.offline_avoid_oom refused to take the
 *	memory the rest of the machine needs (MemAvailable is short of the
 *	range, or of the next migration target)
 * @MHP_OFFLINE_NR_REASONS: number of values
 *
 * Each has one word (mhp_offline_reason_name()) that user space sees in
 * memoryN/offline_failure, the names of its /proc/vmstat counters, the
 * kernel log line and the memory_hotplug:mhp_offline_fail tracepoint: the
 * words are ABI.
 */
enum mhp_offline_reason {
	MHP_OFFLINE_NONE,
	MHP_OFFLINE_UNMOVABLE,
	MHP_OFFLINE_ISOLATION,
	MHP_OFFLINE_HUGETLB,
	MHP_OFFLINE_NOTIFIER,
	MHP_OFFLINE_SIGNAL,
	MHP_OFFLINE_TIMEOUT,
	MHP_OFFLINE_HOLES,
	MHP_OFFLINE_ZONES,
	MHP_OFFLINE_OOM,
	MHP_OFFLINE_NR_REASONS
};

/**
 * enum mhp_page_kind - what a page in the way is, as far as its flags tell
 * @MHP_PAGE_NONE: no page named
 * @MHP_PAGE_SLAB: slab (kmalloc, kmem_cache) memory
 * @MHP_PAGE_PAGETABLE: a page table
 * @MHP_PAGE_RESERVED: PageReserved (firmware, memblock, a driver's own)
 * @MHP_PAGE_HUGETLB: part of a hugetlb folio
 * @MHP_PAGE_DRIVER: PageOffline, given to a driver (balloon, virtio-mem)
 * @MHP_PAGE_PINNED: a user page with a DMA pin (pin_user_pages())
 * @MHP_PAGE_USER: a user (LRU) page migration did not move: an extra
 *	reference (vmsplice(2), ...) or no memory to move it to
 * @MHP_PAGE_MOVABLE: a driver page that supports migration but did not move
 * @MHP_PAGE_KERNEL: any other allocated page (pipe buffers, stacks, ...)
 * @MHP_PAGE_NR_KINDS: number of values
 *
 * Each has one word (mhp_page_kind_name()), ABI as the reasons' are.
 */
enum mhp_page_kind {
	MHP_PAGE_NONE,
	MHP_PAGE_SLAB,
	MHP_PAGE_PAGETABLE,
	MHP_PAGE_RESERVED,
	MHP_PAGE_HUGETLB,
	MHP_PAGE_DRIVER,
	MHP_PAGE_PINNED,
	MHP_PAGE_USER,
	MHP_PAGE_MOVABLE,
	MHP_PAGE_KERNEL,
	MHP_PAGE_NR_KINDS
};

const char *mhp_offline_reason_name(enum mhp_offline_reason reason);
const char *mhp_page_kind_name(enum mhp_page_kind kind);

/**
 * struct mhp_offline_report - what an offline attempt did and, if it
 *	failed, why
 * @reason: MHP_OFFLINE_NONE, or why the attempt failed
 * @kind: what the page at @pfn is, or MHP_PAGE_NONE
 * @pfn: a page in the way, or ULONG_MAX
 * @notifier: the callback of the memory notifier that refused, or NULL
 * @nr_migrated: pages migrated out of the range by this attempt
 * @nr_migrate_failed: pages whose migration failed (counted per try)
 *
 * Filled in by offline_pages() (and by the block layer for its own
 * refusals), read by the block layer for memoryN/offline_failure and the
 * counters.
 */
struct mhp_offline_report {
	enum mhp_offline_reason reason;
	enum mhp_page_kind kind;
	unsigned long pfn;
	void *notifier;
	unsigned long nr_migrated;
	unsigned long nr_migrate_failed;
};

/**
 * mhp_offline_report_init() - an empty report: nothing done, nothing failed
 * @report: the report to clear
 */
static inline void mhp_offline_report_init(struct mhp_offline_report *report)
{
	*report = (struct mhp_offline_report) {
		.reason = MHP_OFFLINE_NONE,
		.kind = MHP_PAGE_NONE,
		.pfn = ULONG_MAX,
	};
}

#ifdef CONFIG_MEMORY_HOTREMOVE
int remove_memory(u64 start, u64 size);
void __remove_memory(u64 start, u64 size);
int offline_and_remove_memory(u64 start, u64 size);
int offline_pages(unsigned long start_pfn, unsigned long nr_pages,
		  struct zone *zone, struct memory_group *group,
		  struct mhp_offline_report *report);
int mhp_offline_block(unsigned long start_pfn, unsigned long nr_pages,
		      struct vmem_altmap *altmap, struct zone *zone,
		      struct memory_group *group,
		      struct mhp_offline_report *report);
void try_offline_node(int nid);
#else /* !CONFIG_MEMORY_HOTREMOVE */
static inline int remove_memory(u64 start, u64 size)
{
	return -EBUSY;
}

static inline void __remove_memory(u64 start, u64 size) {}

static inline int offline_pages(unsigned long start_pfn,
				unsigned long nr_pages, struct zone *zone,
				struct memory_group *group,
				struct mhp_offline_report *report)
{
	return -EINVAL;
}

static inline int mhp_offline_block(unsigned long start_pfn,
				    unsigned long nr_pages,
				    struct vmem_altmap *altmap,
				    struct zone *zone,
				    struct memory_group *group,
				    struct mhp_offline_report *report)
{
	return -EINVAL;
}

static inline void try_offline_node(int nid) {}
#endif /* CONFIG_MEMORY_HOTREMOVE */

#endif /* __LINUX_MEMORY_HOTPLUG_H */
