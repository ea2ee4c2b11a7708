// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory hot(un)plug core, part one: adding and removing physical memory.
 *
 * A range of memory goes through these states:
 *
 *   absent --add--> added (offline) --online--> online
 *   absent <-remove- added (offline) <-offline-- online
 *
 * Adding (add_memory() and variants) claims the physical range in
 * iomem_resource, makes its node exist, has the architecture map it and
 * build its memmap (arch_add_memory()), creates one memory block device per
 * memory_block_size_bytes() (drivers/base/memory.c), publishes a firmware
 * memmap entry and finally, if auto_online_blocks says so, onlines the
 * blocks. Removing does the reverse once every block is offline. Onlining
 * and offlining are done block by block by the block layer, which calls
 * mhp_online_block()/mhp_offline_block() (memory_hotplug_online.c); the
 * zone a block joins is chosen in memory_hotplug_zones.c.
 *
 * Every step of an add is undone, in reverse order, when a later step
 * fails: the caller sees either the whole range added or nothing changed.
 *
 * The files of the core:
 *   memory_hotplug.c           this file: locks, parameters, range checks,
 *                              add/remove, nodes
 *   memory_hotplug_zones.c     zone/node spans, memmap init, zone policies
 *   memory_hotplug_online.c    online_pages(), offline_pages(), migration,
 *                              a block's online and offline
 *   memory_hotplug_parallel.c  work spread over CPUs, the memmap written
 *                              ahead of onlining, prefault
 *   memory_hotplug_internal.h  what they share
 *
 * Locking, outermost first:
 *
 *   device_hotplug_lock  lock_device_hotplug(). Serializes adding and
 *	removing memory against each other and against onlining/offlining
 *	of blocks through sysfs or drivers. add_memory(),
 *	add_memory_driver_managed(), remove_memory() and
 *	offline_and_remove_memory() take it; __add_memory(),
 *	add_memory_resource(), __remove_memory() and try_offline_node()
 *	must be called with it held.
 *   cpu_hotplug_lock     taken (read) by mem_hotplug_begin() before
 *	mem_hotplug_lock, because onlining changes per-cpu page lists and
 *	the zonelists CPUs use.
 *   mem_hotplug_lock     a per-cpu rwsem. Writers (mem_hotplug_begin()/
 *	mem_hotplug_done()) are whoever changes which memory exists or is
 *	online: zone and node spans, present page counts, node states,
 *	memory group counters, the memmap of hot-added ranges. Readers
 *	(get_online_mems()/put_online_mems()) get a stable view of all of
 *	that; they may sleep but must not take device_hotplug_lock.
 *	Memory block devices are created and removed with it NOT held:
 *	removing a device waits for the writers of its sysfs files, and a
 *	"state" or "online" writer takes cpu_hotplug_lock and this lock.
 *   online_page_callback_lock (memory_hotplug_online.c) guards the
 *	callback pointer; it is taken with mem_hotplug_lock held for read,
 *	so online_pages() (a writer) reads the pointer without it.
 *   pgdat_resize_lock() and zone_span_writelock() are taken, in that
 *	order, around every change of a zone or node span.
 */

#include <linux/cpu.h>
#include <linux/export.h>
#include <linux/firmware-map.h>
#include <linux/ioport.h>
#include <linux/memblock.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/node.h>
#include <linux/overflow.h>
#include <linux/percpu-rwsem.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"
#include "memory_hotplug_internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/memory_hotplug.h>

/* ===== locks ============================================================ */

/* The rules are in the comment at the top of this file. */
DEFINE_STATIC_PERCPU_RWSEM(mem_hotplug_lock);

/**
 * get_online_mems() - keep the set of online memory stable
 *
 * Blocks memory from being added, removed, onlined or offlined until the
 * matching put_online_mems(). May sleep.
 */
void get_online_mems(void)
{
	percpu_down_read(&mem_hotplug_lock);
}

/**
 * put_online_mems() - end a get_online_mems() section
 */
void put_online_mems(void)
{
	percpu_up_read(&mem_hotplug_lock);
}

/**
 * mem_hotplug_begin() - start changing the set of (online) memory
 *
 * Takes cpu_hotplug_lock for read, then mem_hotplug_lock for write.
 */
void mem_hotplug_begin(void)
{
	cpus_read_lock();
	percpu_down_write(&mem_hotplug_lock);
}

/**
 * mem_hotplug_done() - end a mem_hotplug_begin() section
 */
void mem_hotplug_done(void)
{
	percpu_up_write(&mem_hotplug_lock);
	cpus_read_unlock();
}

#ifdef CONFIG_LOCKDEP
/**
 * mem_hotplug_assert_write_held() - check "mem_hotplug_lock held for write"
 *
 * Warns (lockdep) unless the caller is inside mem_hotplug_begin(), which
 * also means cpu_hotplug_lock is held for read.
 */
void mem_hotplug_assert_write_held(void)
{
	lockdep_assert_cpus_held();
	lockdep_assert_held_write(&mem_hotplug_lock);
}

/**
 * mem_hotplug_assert_not_held() - check "mem_hotplug_lock not held"
 *
 * Warns (lockdep) when the caller is inside mem_hotplug_begin() or
 * get_online_mems(). Memory block devices are created and removed outside
 * both: removing a device waits for its sysfs writers, and a writer of
 * "state" or "online" takes mem_hotplug_lock.
 */
void mem_hotplug_assert_not_held(void)
{
	lockdep_assert_not_held(&mem_hotplug_lock);
}

/**
 * mhp_assert_device_hotplug_held() - check "device_hotplug_lock held"
 *
 * Warns (lockdep) unless the caller holds lock_device_hotplug(). Before
 * the system runs (the ACPI namespace scan adding boot DIMMs) the rule does
 * not apply: no other task can add, remove, online or offline memory yet.
 */
void mhp_assert_device_hotplug_held(void)
{
	if (system_state == SYSTEM_RUNNING)
		device_hotplug_assert_held();
}
#endif

/* ===== parameters ======================================================= */

/*
 * All module parameters of the core live here so that they carry the
 * "memory_hotplug." prefix. Values are read without a lock (READ_ONCE()):
 * a change applies to the next operation.
 */

enum mhp_memmap_mode mhp_memmap_mode __read_mostly =
	IS_ENABLED(CONFIG_MHP_MEMMAP_ON_MEMORY) ? MHP_MEMMAP_AUTO : MHP_MEMMAP_OFF;
enum mhp_online_policy mhp_online_policy __read_mostly =
	MHP_POLICY_CONTIG_ZONES;
unsigned int mhp_auto_movable_ratio __read_mostly = 301;
bool mhp_auto_movable_numa_aware __read_mostly = true;

/**
 * mhp_parse_memmap_mode() - parse a memory_hotplug.memmap_on_memory value
 * @val: "force" or "auto" (any case), or anything kstrtobool() understands
 * @mode: where to store the result
 *
 * Return: 0, or -EINVAL with @mode untouched.
 */
int mhp_parse_memmap_mode(const char *val, enum mhp_memmap_mode *mode)
{
	bool on;

	if (!val)
		return -EINVAL;
	if (!strncasecmp(val, "force", 5) && sysfs_streq(val + 5, "")) {
		*mode = MHP_MEMMAP_FORCE;
		return 0;
	}
	if (!strncasecmp(val, "auto", 4) && sysfs_streq(val + 4, "")) {
		*mode = MHP_MEMMAP_AUTO;
		return 0;
	}
	if (kstrtobool(val, &on))
		return -EINVAL;
	*mode = on ? MHP_MEMMAP_ON : MHP_MEMMAP_OFF;
	return 0;
}

/**
 * mhp_parse_online_policy() - parse a memory_hotplug.online_policy value
 * @val: the name of a policy in mhp_online_policies[], optionally
 *	newline-terminated
 * @policy: where to store the result
 *
 * Return: 0, or -EINVAL with @policy untouched.
 */
int mhp_parse_online_policy(const char *val, enum mhp_online_policy *policy)
{
	int i;

	if (!val)
		return -EINVAL;
	for (i = 0; i < MHP_NR_ONLINE_POLICIES; i++) {
		if (sysfs_streq(val, mhp_online_policies[i].name)) {
			*policy = i;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * mhp_online_policy_name() - how user space spells an online policy
 * @policy: the policy
 *
 * Return: its name.
 */
const char *mhp_online_policy_name(enum mhp_online_policy policy)
{
	return mhp_online_policies[policy].name;
}

/**
 * mhp_memmap_pages() - pages a memory block gives to its own memmap
 * @block_pages: pages in a memory block
 * @mode: the memmap_on_memory mode
 * @pageblock_pages: pages in a pageblock
 *
 * The memmap of a block needs one struct page per page, rounded up to
 * whole pages. In "force" mode it is rounded up further to whole
 * pageblocks, so that the memory after it starts on a pageblock, at the
 * price of some wasted pages.
 *
 * Return: the number of pages.
 */
unsigned long mhp_memmap_pages(unsigned long block_pages,
			       enum mhp_memmap_mode mode,
			       unsigned long pageblock_pages)
{
	unsigned long pages = DIV_ROUND_UP(block_pages * sizeof(struct page),
					   PAGE_SIZE);

	if (mode == MHP_MEMMAP_FORCE)
		pages = roundup(pages, pageblock_pages);
	return pages;
}

/**
 * mhp_memmap_layout_ok() - whether a block can host its own memmap
 * @block_pages: pages in a memory block
 * @memmap_pages: pages its memmap would take (mhp_memmap_pages())
 * @pageblock_pages: pages in a pageblock
 *
 * The memmap must fill whole pages (no other block's struct pages may land
 * in this block's altmap), must end on a pageblock boundary (onlining sets
 * migrate types per pageblock) and must leave some memory to online.
 *
 * Return: true when all three hold.
 */
bool mhp_memmap_layout_ok(unsigned long block_pages, unsigned long memmap_pages,
			  unsigned long pageblock_pages)
{
	if ((block_pages * sizeof(struct page)) % PAGE_SIZE)
		return false;
	if (memmap_pages % pageblock_pages)
		return false;
	return memmap_pages < block_pages;
}

/*
 * What the rest of an add costs per memory block, beyond the memmap: the
 * block's device and sysfs nodes (about 6 KiB of slab, the bench's Slab
 * row) and its share of the direct map's and the vmemmap's page tables
 * (a page table page per GiB of each): 8 KiB.
 */
#define MHP_BLOCK_OVERHEAD_PAGES	(SZ_8K / PAGE_SIZE)

/**
 * mhp_memmap_too_dear() - should memmap_on_memory=auto put the memmap on
 *	the range?
 * @spare_pages: free pages of the kernel zones above their high watermarks
 *	(and their reserve against allocations of ZONE_NORMAL)
 * @range_pages: pages of the range being added
 * @block_pages: pages of a memory block
 *
 * The add needs the memmap (one struct page per page) and some more per
 * block (MHP_BLOCK_OVERHEAD_PAGES). If what the kernel zones can give
 * without going below their high watermarks, where kswapd starts and
 * allocations begin to reclaim or fail, does not cover that, the memmap
 * goes on the range. The high watermark is the margin: an add that leaves
 * the machine above it takes nothing a running workload would miss.
 *
 * Return: true if the memmap should go on the range itself.
 */
bool mhp_memmap_too_dear(unsigned long spare_pages, unsigned long range_pages,
			 unsigned long block_pages)
{
	unsigned long need;

	need = DIV_ROUND_UP(range_pages * sizeof(struct page), PAGE_SIZE);
	need += DIV_ROUND_UP(range_pages, block_pages) *
		MHP_BLOCK_OVERHEAD_PAGES;
	return spare_pages < need;
}

#ifdef CONFIG_MHP_MEMMAP_ON_MEMORY
static int memmap_on_memory_set(const char *val, const struct kernel_param *kp)
{
	enum mhp_memmap_mode mode;
	unsigned long block_pages;
	int err;

	err = mhp_parse_memmap_mode(val, &mode);
	if (err)
		return err;
	WRITE_ONCE(mhp_memmap_mode, mode);
	if (mode == MHP_MEMMAP_FORCE) {
		block_pages = PHYS_PFN(memory_block_size_bytes());
		pr_info("memmap_on_memory=force: %lu page(s) of every memory block wasted for alignment\n",
			mhp_memmap_pages(block_pages, mode, pageblock_nr_pages) -
			mhp_memmap_pages(block_pages, MHP_MEMMAP_ON,
					 pageblock_nr_pages));
	}
	return 0;
}

static int memmap_on_memory_get(char *buf, const struct kernel_param *kp)
{
	static const char * const shown[] = {
		[MHP_MEMMAP_OFF] = "N",
		[MHP_MEMMAP_ON] = "Y",
		[MHP_MEMMAP_FORCE] = "force",
		[MHP_MEMMAP_AUTO] = "auto",
	};

	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 shown[READ_ONCE(mhp_memmap_mode)]);
}

static const struct kernel_param_ops memmap_on_memory_ops = {
	.set = memmap_on_memory_set,
	.get = memmap_on_memory_get,
};
module_param_cb(memmap_on_memory, &memmap_on_memory_ops, NULL, 0444);
MODULE_PARM_DESC(memmap_on_memory,
		 "Place the memmap of hot-added memory on that memory (Y/N/force/auto; force may waste memory; auto only when the kernel zones cannot spare it)");
#endif /* CONFIG_MHP_MEMMAP_ON_MEMORY */

static int online_policy_set(const char *val, const struct kernel_param *kp)
{
	enum mhp_online_policy policy;
	int err;

	err = mhp_parse_online_policy(val, &policy);
	if (err)
		return err;
	WRITE_ONCE(mhp_online_policy, policy);
	return 0;
}

static int online_policy_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 mhp_online_policy_name(READ_ONCE(mhp_online_policy)));
}

static const struct kernel_param_ops online_policy_ops = {
	.set = online_policy_set,
	.get = online_policy_get,
};
module_param_cb(online_policy, &online_policy_ops, NULL, 0644);
MODULE_PARM_DESC(online_policy,
		 "Zone for memory onlined without one: \""
		 MHP_POLICY_CONTIG_ZONES_NAME "\" (default) or \""
		 MHP_POLICY_AUTO_MOVABLE_NAME "\"");

module_param_named(auto_movable_ratio, mhp_auto_movable_ratio, uint, 0644);
MODULE_PARM_DESC(auto_movable_ratio,
		 "auto-movable: most MOVABLE memory allowed per KERNEL memory, in percent (default 301)");

#ifdef CONFIG_NUMA
module_param_named(auto_movable_numa_aware, mhp_auto_movable_numa_aware,
		   bool, 0644);
MODULE_PARM_DESC(auto_movable_numa_aware,
		 "auto-movable: apply the ratio per node as well as system-wide (default Y)");
#endif

/* "movable_node": memory of hot-pluggable nodes is onlined movable. */
bool movable_node_enabled;

static int __init movable_node_setup(char *arg)
{
	movable_node_enabled = true;
	return 0;
}
early_param("movable_node", movable_node_setup);

/* Boot-time limit from "mem=": hot-add may go beyond it once running. */
u64 max_mem_size = U64_MAX;

/* What newly added blocks do: Kconfig's choice, memhp_default_state= or sysfs. */
static enum mmop mhp_default_online_type __read_mostly =
	IS_ENABLED(CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO) ? MMOP_ONLINE :
	IS_ENABLED(CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_KERNEL) ?
		MMOP_ONLINE_KERNEL :
	IS_ENABLED(CONFIG_MHP_DEFAULT_ONLINE_TYPE_ONLINE_MOVABLE) ?
		MMOP_ONLINE_MOVABLE : MMOP_OFFLINE;

/**
 * mhp_get_default_online_type() - how hot-added blocks are onlined
 *
 * Return: MMOP_OFFLINE when they are left offline, otherwise the online
 * type they get (the value of /sys/devices/system/memory/auto_online_blocks).
 */
enum mmop mhp_get_default_online_type(void)
{
	return READ_ONCE(mhp_default_online_type);
}

/**
 * mhp_set_default_online_type() - change how hot-added blocks are onlined
 * @online_type: an MMOP_* value
 */
void mhp_set_default_online_type(enum mmop online_type)
{
	WRITE_ONCE(mhp_default_online_type, online_type);
}

static int __init memhp_default_state_setup(char *str)
{
	int type = str ? mhp_online_type_from_str(str) : -EINVAL;

	if (type < 0) {
		pr_warn("memhp_default_state=%s not understood, ignored\n",
			str ?: "");
		return 0;
	}
	mhp_default_online_type = type;
	return 0;
}
early_param("memhp_default_state", memhp_default_state_setup);

/* ===== range checks ===================================================== */

/**
 * arch_get_mappable_range() - physical range the direct map can cover
 *
 * Architectures with a narrower linear map override this.
 *
 * Return: the range, both ends included.
 */
struct range __weak arch_get_mappable_range(void)
{
	return (struct range) { .start = 0, .end = U64_MAX };
}

/**
 * mhp_get_pluggable_range() - physical range memory may be hot-added in
 * @need_mapping: the memory will be in the direct map (ordinary RAM), so
 *	the architecture's mappable range applies as well
 *
 * Return: the range, both ends included; start == end == 0 when nothing
 * can be added.
 */
struct range mhp_get_pluggable_range(bool need_mapping)
{
	const u64 top = PHYSMEM_END;
	struct range usable = { .start = 0, .end = top };
	struct range map;

	if (!need_mapping)
		return usable;

	map = arch_get_mappable_range();
	if (map.start > top)
		return (struct range) { .start = 0, .end = 0 };
	usable.start = map.start;
	usable.end = min(map.end, top);
	return usable;
}
EXPORT_SYMBOL_GPL(mhp_get_pluggable_range);

/**
 * mhp_range_fits() - whether [start, start + size) lies inside a range
 * @start: first byte
 * @size: length in bytes
 * @allowed: the range, both ends included
 *
 * Return: true for a non-empty range that neither wraps nor leaves
 * @allowed.
 */
bool mhp_range_fits(u64 start, u64 size, struct range allowed)
{
	u64 last;

	if (!size || check_add_overflow(start, size - 1, &last))
		return false;
	return start >= allowed.start && last <= allowed.end;
}

/**
 * mhp_range_allowed() - whether memory may be hot-added at a range
 * @start: first byte
 * @size: length in bytes
 * @need_mapping: see mhp_get_pluggable_range()
 *
 * Return: true if allowed; otherwise logs why and returns false.
 */
bool mhp_range_allowed(u64 start, u64 size, bool need_mapping)
{
	struct range allowed = mhp_get_pluggable_range(need_mapping);

	if (mhp_range_fits(start, size, allowed))
		return true;

	pr_warn("hot-plug range [%#llx-%#llx] lies outside the pluggable range [%#llx-%#llx]\n",
		start, start + size - 1, allowed.start, allowed.end);
	return false;
}

/**
 * mhp_check_block_range() - whether a range is made of whole memory blocks
 * @start: first byte
 * @size: length in bytes
 *
 * Return: 0 or -EINVAL (logged).
 */
int mhp_check_block_range(u64 start, u64 size)
{
	const unsigned long bsize = memory_block_size_bytes();

	if (size && IS_ALIGNED(start, bsize) && IS_ALIGNED(size, bsize))
		return 0;

	pr_err("hot-plug range start %#llx size %#llx is not made of whole %#lx-byte memory blocks\n",
	       start, size, bsize);
	return -EINVAL;
}

/* ===== sections and the memmap ========================================== */

/* Whether a pfn range has the granularity sparsemem can add and remove. */
static bool mhp_pfn_span_ok(unsigned long pfn, unsigned long nr_pages)
{
	const unsigned long unit = IS_ENABLED(CONFIG_SPARSEMEM_VMEMMAP) ?
				   PAGES_PER_SUBSECTION : PAGES_PER_SECTION;

	return IS_ALIGNED(pfn, unit) && IS_ALIGNED(nr_pages, unit);
}

/* Pages from @pfn to the next section boundary, but not beyond @end_pfn. */
static unsigned long mhp_section_chunk(unsigned long pfn, unsigned long end_pfn)
{
	return min(end_pfn, SECTION_ALIGN_UP(pfn + 1)) - pfn;
}

/**
 * __add_pages() - create the sections (and memmap) of a pfn range
 * @nid: node the memory belongs to
 * @start_pfn: first pfn, subsection aligned
 * @nr_pages: number of pages, subsection aligned
 * @params: altmap to allocate the memmap from and page map for ZONE_DEVICE
 *
 * The pages are not part of any zone afterwards; see
 * move_pfn_range_to_zone().
 *
 * Return: 0, or a negative errno with no section of the range left added.
 */
int __add_pages(int nid, unsigned long start_pfn, unsigned long nr_pages,
		struct mhp_params *params)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	struct vmem_altmap *altmap = params->altmap;
	unsigned long pfn, chunk;
	int err = 0;

	if (WARN_ON_ONCE(!pgprot_val(params->pgprot)))
		return -EINVAL;
	if (WARN_ON_ONCE(!mhp_range_allowed(PFN_PHYS(start_pfn),
					    PFN_PHYS(nr_pages), false)))
		return -E2BIG;
	if (WARN(!mhp_pfn_span_ok(start_pfn, nr_pages),
		 "%s: pfn range %#lx-%#lx is not subsection aligned\n",
		 __func__, start_pfn, end_pfn - 1))
		return -EINVAL;

	if (altmap) {
		/* The altmap must describe the start of this very range. */
		if (altmap->base_pfn != start_pfn ||
		    vmem_altmap_offset(altmap) > nr_pages) {
			pr_warn_once("%s: altmap does not match the range\n",
				     __func__);
			return -EINVAL;
		}
		altmap->alloc = 0;
	}

	for (pfn = start_pfn; pfn < end_pfn; pfn += chunk) {
		chunk = mhp_section_chunk(pfn, end_pfn);
		err = sparse_add_section(nid, pfn, chunk, altmap, params->pgmap);
		if (err)
			break;
		cond_resched();
	}
	vmemmap_populate_print_last();
	if (!err)
		return 0;

	/* Take back the sections added before the failure. */
	if (pfn > start_pfn)
		__remove_pages(start_pfn, pfn - start_pfn, altmap,
			       params->pgmap);
	return err;
}

/**
 * __remove_pages() - remove the sections (and memmap) of a pfn range
 * @start_pfn: first pfn, subsection aligned
 * @nr_pages: number of pages, subsection aligned
 * @altmap: the altmap the memmap came from, or NULL
 * @pgmap: the ZONE_DEVICE page map, or NULL
 *
 * The range must have been taken out of its zone already
 * (remove_pfn_range_from_zone(), done by offlining for ordinary memory).
 */
void __remove_pages(unsigned long start_pfn, unsigned long nr_pages,
		    struct vmem_altmap *altmap, struct dev_pagemap *pgmap)
{
	const unsigned long end_pfn = start_pfn + nr_pages;
	unsigned long pfn, chunk;

	if (WARN(!mhp_pfn_span_ok(start_pfn, nr_pages),
		 "%s: pfn range %#lx-%#lx is not subsection aligned\n",
		 __func__, start_pfn, end_pfn - 1))
		return;

	for (pfn = start_pfn; pfn < end_pfn; pfn += chunk) {
		cond_resched();
		chunk = mhp_section_chunk(pfn, end_pfn);
		sparse_remove_section(pfn, chunk, altmap, pgmap);
	}
}

/**
 * pfn_to_online_page() - the struct page of a pfn, if that page is online
 * @pfn: the page frame number
 *
 * Walkers of physical memory must use this instead of pfn_valid() +
 * pfn_to_page(): only an online page has an initialized memmap entry that
 * belongs to a zone.
 *
 * Return: the page, or NULL when the pfn is not online memory (absent,
 * offline, or ZONE_DEVICE).
 */
struct page *pfn_to_online_page(unsigned long pfn)
{
	const unsigned long nr = pfn_to_section_nr(pfn);
	struct dev_pagemap *pgmap;
	struct mem_section *ms;

	if (nr >= NR_MEM_SECTIONS)
		return NULL;
	ms = __nr_to_section(nr);
	if (!online_section(ms) || !pfn_section_valid(ms, pfn))
		return NULL;
	if (IS_ENABLED(CONFIG_HAVE_ARCH_PFN_VALID) && !pfn_valid(pfn))
		return NULL;

	/*
	 * A section that is partly ZONE_DEVICE: only the page map can tell
	 * whether this subsection is device memory.
	 */
	if (online_device_section(ms)) {
		pgmap = get_dev_pagemap(pfn, NULL);
		put_dev_pagemap(pgmap);
		if (pgmap)
			return NULL;
	}
	return pfn_to_page(pfn);
}
EXPORT_SYMBOL_GPL(pfn_to_online_page);

/* ===== nodes ============================================================ */

/*
 * Make the pgdat of @nid usable (zones initialized, empty, and zonelists
 * built) without marking the node online yet.
 * Return: 1 if the node was offline and is now prepared, 0 if it was
 * online already, -ENOMEM on failure.
 */
static int mhp_prepare_node(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);

	if (node_online(nid))
		return 0;
	if (free_area_init_core_hotplug(pgdat)) {
		pr_err("node %d: cannot initialize its memory data\n", nid);
		return -ENOMEM;
	}
	/* Allocations that fall back to this node need its zonelists. */
	build_all_zonelists(pgdat);
	return 1;
}

/*
 * Mark a prepared node online and create its device; undone on failure.
 * Called with mem_hotplug_lock held for write, as is its undo below.
 */
static int mhp_publish_node(int nid, bool with_blocks)
{
	int err;

	mem_hotplug_assert_write_held();
	node_set_online(nid);
	err = with_blocks ? register_one_node(nid) : __register_one_node(nid);
	if (err) {
		pr_err("node %d: cannot register its device: %d\n", nid, err);
		node_set_offline(nid);
	}
	return err;
}

/* Undo mhp_publish_node() of a node nothing has used yet. */
static void mhp_unpublish_node(int nid)
{
	mem_hotplug_assert_write_held();
	node_set_offline(nid);
	unregister_one_node(nid);
}

/**
 * try_online_node() - bring a node online, even one without memory
 * @nid: the node
 *
 * Used by cpu_up() before it starts a CPU of @nid, which may be a node
 * without memory: that caller takes any value but 0 for an error and
 * stops there, so both "brought online" and "online already" are 0.
 *
 * Return: 0 if @nid is online when this returns, or a negative errno.
 */
int try_online_node(int nid)
{
	int ret;

	mem_hotplug_begin();
	ret = mhp_prepare_node(nid);
	if (ret > 0)
		ret = mhp_publish_node(nid, true);
	mem_hotplug_done();
	return ret;
}

#ifdef CONFIG_MEMORY_HOTREMOVE
static int block_on_node_cb(struct memory_block *mem, void *arg)
{
	/* A block spanning several nodes records one of them: good enough. */
	return mem->nid == *(int *)arg ? -EEXIST : 0;
}

static bool node_has_present_cpu(int nid)
{
	int cpu;

	for_each_present_cpu(cpu) {
		if (cpu_to_node(cpu) == nid)
			return true;
	}
	return false;
}

/**
 * try_offline_node() - take a node offline once nothing is left on it
 * @nid: the node
 *
 * The node stays online while it still spans memory (of any zone,
 * ZONE_DEVICE included), while any memory block (even offline) is
 * linked to it, or while one of its CPUs is present. Called with
 * device_hotplug_lock held.
 */
void try_offline_node(int nid)
{
	mhp_assert_device_hotplug_held();
	if (node_spanned_pages(nid))
		return;
	if (for_each_memory_block(&nid, block_on_node_cb))
		return;
	if (node_has_present_cpu(nid))
		return;

	node_set_offline(nid);
	unregister_one_node(nid);
}
EXPORT_SYMBOL(try_offline_node);
#endif /* CONFIG_MEMORY_HOTREMOVE */

/* ===== memmap_on_memory ================================================= */

#ifndef arch_supports_memmap_on_memory
/* By default the memmap of a block must fill whole PMDs of the vmemmap. */
static inline bool arch_supports_memmap_on_memory(unsigned long vmemmap_size)
{
	return IS_ALIGNED(vmemmap_size, PMD_SIZE);
}
#endif

/* Pages each block gives to its own memmap under the current mode. */
static unsigned long mhp_block_memmap_pages(void)
{
	return mhp_memmap_pages(PHYS_PFN(memory_block_size_bytes()),
				READ_ONCE(mhp_memmap_mode), pageblock_nr_pages);
}

/*
 * Could a memory block host its own memmap, by the rules of
 * mhp_memmap_layout_ok() and of the architecture, in the current mode?
 */
static bool mhp_memmap_layout_fits(void)
{
	const unsigned long block_pages = PHYS_PFN(memory_block_size_bytes());

	if (!IS_ENABLED(CONFIG_MHP_MEMMAP_ON_MEMORY))
		return false;
	if (!mhp_memmap_layout_ok(block_pages, mhp_block_memmap_pages(),
				  pageblock_nr_pages))
		return false;
	return arch_supports_memmap_on_memory(block_pages *
					      sizeof(struct page));
}

/**
 * mhp_supports_memmap_on_memory() - whether added memory can host its memmap
 *
 * True when memory_hotplug.memmap_on_memory is Y or force and the memmap of
 * one memory block fits the rules of mhp_memmap_layout_ok() and of the
 * architecture. With auto (or N) it is false, as with 6.12's default: a
 * caller's MHP_MEMMAP_ON_MEMORY is then honoured only when the kernel
 * zones cannot spare the memmap (see mhp_memmap_on_range()).
 *
 * Return: true if MHP_MEMMAP_ON_MEMORY would always be honoured.
 */
bool mhp_supports_memmap_on_memory(void)
{
	const enum mhp_memmap_mode mode = READ_ONCE(mhp_memmap_mode);

	if (mode != MHP_MEMMAP_ON && mode != MHP_MEMMAP_FORCE)
		return false;
	return mhp_memmap_layout_fits();
}
EXPORT_SYMBOL_GPL(mhp_supports_memmap_on_memory);

/**
 * mhp_memmap_on_memory_pages() - pages of a block its own memmap would take
 *
 * For a driver that plugs a block's memory in parts (virtio-mem) and must
 * have the start of the block backed before it can pass
 * MHP_MEMMAP_ON_MEMORY_AUTO. Whether an add then places the memmap there is
 * decided per add; memory_block_self_memmap_pages() tells afterwards.
 *
 * Return: how many pages at the start of each memory block hold its memmap
 * when it goes there, or 0 when this kernel never places it there
 * (memory_hotplug.memmap_on_memory=N, or a block layout that cannot host it).
 */
unsigned long mhp_memmap_on_memory_pages(void)
{
	if (READ_ONCE(mhp_memmap_mode) == MHP_MEMMAP_OFF ||
	    !mhp_memmap_layout_fits())
		return 0;
	return mhp_block_memmap_pages();
}
EXPORT_SYMBOL_GPL(mhp_memmap_on_memory_pages);

/*
 * Free pages of every kernel zone above its high watermark and above its
 * reserve against GFP_KERNEL allocations: what a memmap (allocated on any
 * node, falling back from the range's own) can take without making the
 * allocator reclaim. ZONE_MOVABLE cannot hold kernel data and counts for
 * nothing.
 */
static unsigned long mhp_spare_kernel_pages(void)
{
	unsigned long spare = 0;
	struct zone *zone;
	long free;

	for_each_populated_zone(zone) {
		if (zone_idx(zone) > ZONE_NORMAL)
			continue;
		free = (long)zone_page_state(zone, NR_FREE_PAGES) -
		       (long)high_wmark_pages(zone) -
		       zone->lowmem_reserve[ZONE_NORMAL];
		if (free > 0)
			spare += free;
	}
	return spare;
}

/*
 * Does the memmap of [start, start + size) go on the range itself? With
 * memmap_on_memory Y or force, when the caller asks (MHP_MEMMAP_ON_MEMORY).
 * With auto, when the caller allows it (MHP_MEMMAP_ON_MEMORY or
 * MHP_MEMMAP_ON_MEMORY_AUTO) and the kernel zones cannot spare what the
 * add needs (mhp_memmap_too_dear()); the kernel log says so, rate limited
 * (a virtio-mem device adds one block at a time). Called with
 * mem_hotplug_lock held for write.
 */
static bool mhp_memmap_on_range(u64 start, u64 size, mhp_t mhp_flags)
{
	const unsigned long block_pages = PHYS_PFN(memory_block_size_bytes());
	unsigned long spare;

	if (READ_ONCE(mhp_memmap_mode) != MHP_MEMMAP_AUTO)
		return (mhp_flags & MHP_MEMMAP_ON_MEMORY) &&
		       mhp_supports_memmap_on_memory();
	if (!(mhp_flags & (MHP_MEMMAP_ON_MEMORY | MHP_MEMMAP_ON_MEMORY_AUTO)) ||
	    !mhp_memmap_layout_fits())
		return false;
	spare = mhp_spare_kernel_pages();
	if (!mhp_memmap_too_dear(spare, PHYS_PFN(size), block_pages))
		return false;
	pr_info_ratelimited("memmap of [mem %#llx-%#llx] placed on itself: %lu KiB spare in kernel zones\n",
			    start, start + size - 1, spare << (PAGE_SHIFT - 10));
	return true;
}

/* ===== adding memory ==================================================== */

/*
 * A block that hosts its own memmap has an altmap, allocated here and
 * owned by the block's device while it exists. While a range is mapped
 * but has no devices (between the two halves of adding or removing it),
 * the altmaps wait on a list in address order: no allocation is needed to
 * take a range away again.
 */
struct mhp_altmap {
	struct vmem_altmap map;
	struct list_head link;
};

static struct mhp_altmap *mhp_alloc_altmap(u64 start, u64 size,
					   mhp_t mhp_flags)
{
	const struct vmem_altmap tmpl = {
		.base_pfn = PHYS_PFN(start),
		.end_pfn = PHYS_PFN(start + size - 1),
		.free = mhp_block_memmap_pages(),
		.inaccessible = !!(mhp_flags & MHP_OFFLINE_INACCESSIBLE),
	};
	struct mhp_altmap *am = kmalloc(sizeof(*am), GFP_KERNEL);

	if (!am)
		return NULL;
	/* end_pfn is const: the whole struct is copied in. */
	memcpy(&am->map, &tmpl, sizeof(tmpl));
	INIT_LIST_HEAD(&am->link);
	return am;
}

/* The altmap of the block at @start, if it heads @altmaps. */
static struct mhp_altmap *mhp_altmap_at(struct list_head *altmaps, u64 start)
{
	struct mhp_altmap *am;

	am = list_first_entry_or_null(altmaps, struct mhp_altmap, link);
	return am && am->map.base_pfn == PHYS_PFN(start) ? am : NULL;
}

/*
 * Undo mhp_map_range() for [start, start + size): direct map and memmap
 * go, and so do the altmaps on @altmaps. Runs of blocks without altmap
 * are handed to arch_remove_memory() in one call. Called with
 * mem_hotplug_lock held for write, the range's block devices gone.
 */
static void mhp_unmap_range(u64 start, u64 size, struct list_head *altmaps)
{
	const u64 bsize = memory_block_size_bytes();
	const u64 end = start + size;
	u64 run = start, cur;

	mem_hotplug_assert_write_held();
	for (cur = start; cur < end; cur += bsize) {
		struct mhp_altmap *am = mhp_altmap_at(altmaps, cur);

		if (!am)
			continue;
		if (run < cur)
			arch_remove_memory(run, cur - run, NULL, NULL);
		arch_remove_memory(cur, bsize, &am->map, NULL);
		WARN(am->map.alloc, "memmap pages of block at %#llx not all freed\n",
		     cur);
		list_del(&am->link);
		kfree(am);
		run = cur + bsize;
	}
	if (run < end)
		arch_remove_memory(run, end - run, NULL, NULL);
	WARN_ON_ONCE(!list_empty(altmaps));
}

/*
 * Create the direct map and memmap of [start, start + size): in one
 * piece, or block by block when each block hosts its own memmap, whose
 * altmaps are then queued on @altmaps. Called with mem_hotplug_lock held
 * for write. On failure nothing of the range is left.
 */
static int mhp_map_range(int nid, u64 start, u64 size, mhp_t mhp_flags,
			 struct list_head *altmaps)
{
	const bool own_memmap = mhp_memmap_on_range(start, size, mhp_flags);
	const u64 bsize = memory_block_size_bytes();
	struct mhp_params params = {
		.pgprot = pgprot_mhp(PAGE_KERNEL),
	};
	u64 cur;
	int err = 0;

	mem_hotplug_assert_write_held();
	if (!own_memmap)
		return arch_add_memory(nid, start, size, &params);

	for (cur = start; cur < start + size; cur += bsize) {
		struct mhp_altmap *am = mhp_alloc_altmap(cur, bsize, mhp_flags);

		if (!am) {
			err = -ENOMEM;
			break;
		}
		params.altmap = &am->map;
		err = arch_add_memory(nid, cur, bsize, &params);
		if (err) {
			kfree(am);
			break;
		}
		list_add_tail(&am->link, altmaps);
	}
	if (err)
		mhp_unmap_range(start, cur - start, altmaps);
	return err;
}

/*
 * Create the block devices of a range mapped by mhp_map_range(); each
 * block with an altmap takes the one heading @altmaps. Called with
 * device_hotplug_lock held, mem_hotplug_lock not. On failure no device of
 * the range is left and @altmaps is as it was.
 */
static int mhp_create_devices(int nid, struct memory_group *group, u64 start,
			      u64 size, struct list_head *altmaps)
{
	const u64 bsize = memory_block_size_bytes();
	struct mhp_altmap *am, *next;
	u64 cur = start;
	int err;

	mem_hotplug_assert_not_held();
	if (list_empty(altmaps))
		return create_memory_block_devices(start, size, nid, NULL, group);

	list_for_each_entry(am, altmaps, link) {
		err = create_memory_block_devices(cur, bsize, nid, &am->map,
						  group);
		if (err) {
			if (cur > start)
				remove_memory_block_devices(start, cur - start);
			return err;
		}
		cur += bsize;
	}
	/* The devices own their altmaps now. */
	list_for_each_entry_safe(am, next, altmaps, link)
		list_del_init(&am->link);
	return 0;
}

/*
 * Remove the (offline) block devices of [start, start + size), queueing
 * their altmaps on @altmaps for mhp_unmap_range(). Called with
 * device_hotplug_lock held, mem_hotplug_lock not.
 */
static void mhp_remove_devices(u64 start, u64 size, struct list_head *altmaps)
{
	const u64 bsize = memory_block_size_bytes();
	u64 cur;

	mem_hotplug_assert_not_held();
	for (cur = start; cur < start + size; cur += bsize) {
		struct memory_block *mem;

		mem = find_memory_block(pfn_to_section_nr(PHYS_PFN(cur)));
		if (WARN_ON_ONCE(!mem))
			continue;
		if (mem->altmap) {
			struct mhp_altmap *am;

			am = container_of(mem->altmap, struct mhp_altmap, map);
			list_add_tail(&am->link, altmaps);
			mem->altmap = NULL;
		}
		put_device(&mem->dev);
	}
	remove_memory_block_devices(start, size);
}

static int mhp_memblock_add(u64 start, u64 size, int nid, struct resource *res)
{
	enum memblock_flags flags = MEMBLOCK_NONE;

	if (!IS_ENABLED(CONFIG_ARCH_KEEP_MEMBLOCK))
		return 0;
	if (res->flags & IORESOURCE_SYSRAM_DRIVER_MANAGED)
		flags = MEMBLOCK_DRIVER_MANAGED;
	return memblock_add_node(start, size, nid, flags);
}

static void mhp_memblock_remove(u64 start, u64 size)
{
	if (IS_ENABLED(CONFIG_ARCH_KEEP_MEMBLOCK))
		memblock_remove(start, size);
}

static int auto_online_block_cb(struct memory_block *mem, void *arg)
{
	mem->online_type = *(enum mmop *)arg;
	return device_online(&mem->dev);
}

/* Drop a block's links to its node; blocks never linked have none. */
static int unlink_block_cb(struct memory_block *mem, void *arg)
{
	unregister_memory_block_under_nodes(mem);
	return 0;
}

/**
 * struct mhp_add - one add of memory, as its phases pass it on
 * @start: first byte of the range
 * @size: bytes in the range
 * @nid: node of the range
 * @group: its memory group, or NULL
 * @flags: the caller's MHP_* flags
 * @res: the resource the caller claimed for it
 * @firmware_entry: the range gets a /sys/firmware/memmap entry
 * @new_node: the add brought @nid's pgdat to life
 * @own_memmap: each block hosts its own memmap (memmap_on_memory)
 * @altmaps: the altmaps of the blocks that host their own memmap, while
 *	they have no device (see struct mhp_altmap); empty again once the
 *	devices own them
 * @ready: the memmap written ahead of onlining, if any
 * @step: what the add was doing, for the log line of a failure
 *
 * An add runs in three phases, each of which undoes itself on failure:
 * mhp_add_map() (memblock, node data, direct map and memmap, under
 * mem_hotplug_lock), mhp_add_publish() (block devices, firmware memmap
 * entry, node device, node links, without it but for the node device)
 * and mhp_add_online()
 * (auto_online_blocks; an online that fails does not fail the add).
 * mhp_add_unmap() undoes the first when the second fails.
 */
struct mhp_add {
	u64 start;
	u64 size;
	int nid;
	struct memory_group *group;
	mhp_t flags;
	struct resource *res;
	bool firmware_entry;
	bool new_node;
	bool own_memmap;
	struct list_head altmaps;
	struct mhp_ready_memmap ready;
	const char *step;
};

/*
 * Phase one: make the range exist for mm, offline, under mem_hotplug_lock.
 * On failure nothing of it is left.
 */
static int mhp_add_map(struct mhp_add *add)
{
	enum mmop online_type;
	struct zone *zone;
	int ret;

	mem_hotplug_begin();
	add->step = "memblock entry";
	ret = mhp_memblock_add(add->start, add->size, add->nid, add->res);
	if (ret)
		goto unlock;

	add->step = "node data";
	ret = mhp_prepare_node(add->nid);
	if (ret < 0)
		goto undo_memblock;
	add->new_node = ret;

	add->step = "memmap or direct map";
	ret = mhp_map_range(add->nid, add->start, add->size, add->flags,
			    &add->altmaps);
	if (ret)
		goto undo_memblock;
	add->own_memmap = !list_empty(&add->altmaps);

	/*
	 * Only a guess: auto_online_blocks is read again when the blocks
	 * are onlined, and each block's zone is chosen then.
	 */
	online_type = mhp_get_default_online_type();
	if (online_type != MMOP_OFFLINE && !add->own_memmap) {
		zone = zone_for_pfn_range(online_type, add->nid, add->group,
					  PFN_DOWN(add->start),
					  PFN_DOWN(memory_block_size_bytes()));
		mhp_init_memmap_ahead(PFN_DOWN(add->start),
				      PFN_DOWN(add->size), zone, &add->ready);
	}
	mem_hotplug_done();
	return 0;

undo_memblock:
	mhp_memblock_remove(add->start, add->size);
unlock:
	mem_hotplug_done();
	return ret;
}

/* Undo mhp_add_map(). */
static void mhp_add_unmap(struct mhp_add *add)
{
	mem_hotplug_begin();
	mhp_unmap_range(add->start, add->size, &add->altmaps);
	mhp_memblock_remove(add->start, add->size);
	mem_hotplug_done();
}

/*
 * Phase two: make the range visible to the rest of the kernel and to user
 * space. Called with device_hotplug_lock held, mem_hotplug_lock not (see
 * the top of this file); on failure, what it made is gone again.
 */
static int mhp_add_publish(struct mhp_add *add)
{
	const u64 start = add->start, size = add->size;
	int ret;

	add->step = "memory block devices";
	ret = mhp_create_devices(add->nid, add->group, start, size,
				 &add->altmaps);
	if (ret)
		return ret;

	if (add->firmware_entry) {
		add->step = "firmware memmap entry";
		ret = firmware_map_add_hotplug(start, start + size,
					       "System RAM");
		if (ret)
			goto undo_devices;
	}

	/*
	 * Only a new node's state needs mem_hotplug_lock again. Taking it
	 * costs an RCU grace period once the previous writer is a grace
	 * period gone, which a virtio-mem device adding block after block
	 * would pay for each of them. The node links need no more than
	 * device_hotplug_lock, which also keeps the node from going away.
	 */
	if (add->new_node) {
		add->step = "node device";
		mem_hotplug_begin();
		ret = mhp_publish_node(add->nid, false);
		mem_hotplug_done();
		if (ret)
			goto undo_firmware;
	}
	add->step = "links to its node";
	ret = register_memory_blocks_under_node(add->nid, PFN_DOWN(start),
						PFN_UP(start + size - 1),
						MEMINIT_HOTPLUG);
	if (ret)
		goto undo_links;

	if (add->flags & MHP_MERGE_RESOURCE)
		merge_system_ram_resource(add->res);
	return 0;

undo_links:
	walk_memory_blocks(start, size, NULL, unlink_block_cb);
	if (add->new_node) {
		mem_hotplug_begin();
		mhp_unpublish_node(add->nid);
		mem_hotplug_done();
	}
undo_firmware:
	if (add->firmware_entry)
		firmware_map_remove(start, start + size, "System RAM");
undo_devices:
	mhp_remove_devices(start, size, &add->altmaps);
	return ret;
}

/*
 * Phase three: online the blocks as auto_online_blocks says now, or leave
 * them offline with their memmap armed for prefault. Onlining takes
 * mem_hotplug_lock per block; a block that fails to online stays offline
 * and the add still succeeded.
 */
static void mhp_add_online(struct mhp_add *add)
{
	enum mmop online_type = mhp_get_default_online_type();

	if (online_type == MMOP_OFFLINE) {
		/* A memmap on the range may be out of reach until onlined. */
		if (!add->own_memmap)
			mhp_prefault_arm(PFN_DOWN(add->start),
					 PFN_DOWN(add->size));
		return;
	}
	mhp_ready_begin(&add->ready);
	walk_memory_blocks(add->start, add->size, &online_type,
			   auto_online_block_cb);
	mhp_ready_end();
}

/* The add that add_memory_resource() runs: see there. */
static int mhp_add_resource(int nid, struct resource *res, mhp_t mhp_flags)
{
	struct mhp_add add = {
		.start = res->start,
		.size = resource_size(res),
		.flags = mhp_flags,
		.res = res,
		.firmware_entry = !strcmp(res->name, "System RAM"),
		.altmaps = LIST_HEAD_INIT(add.altmaps),
		.step = "range",
	};
	int ret;

	mhp_assert_device_hotplug_held();
	ret = mhp_check_block_range(add.start, add.size);
	if (ret)
		return ret;
	/* Its workers' range stays, but the CPUs are better spent here. */
	mhp_prefault_stop();

	if (mhp_flags & MHP_NID_IS_MGID) {
		add.group = memory_group_find_by_id(nid);
		if (!add.group)
			return -EINVAL;
		nid = add.group->nid;
	}
	if (WARN(!node_possible(nid), "node %d is not possible\n", nid))
		return -EINVAL;
	add.nid = nid;

	ret = mhp_add_map(&add);
	if (ret)
		goto fail;
	ret = mhp_add_publish(&add);
	if (ret) {
		mhp_add_unmap(&add);
		goto fail;
	}
	mhp_add_online(&add);
	return 0;

fail:
	if (ret == -ENOMEM)
		pr_warn_ratelimited("cannot add [mem %#llx-%#llx]: no memory for its %s\n",
				    add.start, add.start + add.size - 1,
				    add.step);
	return ret;
}

/**
 * add_memory_resource() - add the memory of a claimed resource
 * @nid: node of the memory, or a memory group id with MHP_NID_IS_MGID
 * @res: a busy "System RAM" resource covering whole memory blocks
 * @mhp_flags: MHP_* flags
 *
 * Creates the memmap and the memory block devices of the range, brings
 * its node online if needed, adds the /sys/firmware/memmap entry (for
 * plain "System RAM") and onlines the blocks as auto_online_blocks says.
 * Failing to online does not fail the add. Called with
 * device_hotplug_lock held.
 *
 * The add runs in a memalloc_mayfail_save() scope: memory is added most
 * often to a machine that is short of it, and an allocation of the add
 * that cannot be met fails the add, which undoes itself, instead of
 * OOM-killing the workload the memory was meant for. The log names the
 * step that was short.
 *
 * Return: 0, or a negative errno with everything as it was.
 */
int add_memory_resource(int nid, struct resource *res, mhp_t mhp_flags)
{
	unsigned int mayfail = memalloc_mayfail_save();
	int ret;

	trace_mhp_add_begin(res->start, resource_size(res), nid);
	ret = mhp_add_resource(nid, res, mhp_flags);
	trace_mhp_add_end(res->start, resource_size(res), ret);
	memalloc_mayfail_restore(mayfail);
	return ret;
}

/* Claim [start, start + size) in iomem_resource under @name. */
static struct resource *mhp_claim_range(u64 start, u64 size, const char *name)
{
	unsigned long flags = IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY;
	struct resource *res;

	if (strcmp(name, "System RAM"))
		flags |= IORESOURCE_SYSRAM_DRIVER_MANAGED;

	if (!mhp_range_allowed(start, size, true))
		return ERR_PTR(-E2BIG);
	/* "mem=" limits what the firmware gives at boot, not hot-add later. */
	if (system_state < SYSTEM_RUNNING && start + size > max_mem_size)
		return ERR_PTR(-E2BIG);

	/*
	 * __request_region() answers NULL both when the range is taken and
	 * when it could not allocate the resource it inserts. A taken range
	 * is still taken on a second try; a failed allocation (only fault
	 * injection makes one this small fail) is not reported as -EEXIST,
	 * which drivers such as virtio-mem treat as fatal.
	 */
	res = __request_region(&iomem_resource, start, size, name, flags);
	if (!res)
		res = __request_region(&iomem_resource, start, size, name, flags);
	if (!res) {
		pr_debug("[%#llx-%#llx] is already claimed\n", start,
			 start + size - 1);
		return ERR_PTR(-EEXIST);
	}
	return res;
}

static void mhp_unclaim_range(struct resource *res)
{
	release_resource(res);
	kfree(res);
}

/* Claim, add, and give the claim back if adding fails. */
static int mhp_claim_and_add(int nid, u64 start, u64 size, const char *name,
			     mhp_t mhp_flags)
{
	unsigned int mayfail = memalloc_mayfail_save();
	struct resource *res;
	int ret;

	res = mhp_claim_range(start, size, name);
	if (IS_ERR(res)) {
		ret = PTR_ERR(res);
		goto out;
	}
	ret = add_memory_resource(nid, res, mhp_flags);
	if (ret)
		mhp_unclaim_range(res);
out:
	memalloc_mayfail_restore(mayfail);
	return ret;
}

/**
 * __add_memory() - add firmware-described memory as "System RAM"
 * @nid: node of the memory, or a memory group id with MHP_NID_IS_MGID
 * @start: first byte, memory-block aligned
 * @size: length in bytes, a multiple of the memory block size
 * @mhp_flags: MHP_* flags
 *
 * Like add_memory(), for callers already holding device_hotplug_lock.
 *
 * Return: 0 or a negative errno.
 */
int __add_memory(int nid, u64 start, u64 size, mhp_t mhp_flags)
{
	return mhp_claim_and_add(nid, start, size, "System RAM", mhp_flags);
}

/**
 * add_memory() - add firmware-described memory as "System RAM"
 * @nid: node of the memory, or a memory group id with MHP_NID_IS_MGID
 * @start: first byte, memory-block aligned
 * @size: length in bytes, a multiple of the memory block size
 * @mhp_flags: MHP_* flags
 *
 * See add_memory_resource(). Takes device_hotplug_lock.
 *
 * Return: 0 or a negative errno (-EEXIST if the range is claimed already,
 * -E2BIG if it cannot be plugged, -EINVAL if it is not whole blocks).
 */
int add_memory(int nid, u64 start, u64 size, mhp_t mhp_flags)
{
	int ret;

	lock_device_hotplug();
	ret = __add_memory(nid, start, size, mhp_flags);
	unlock_device_hotplug();
	return ret;
}
EXPORT_SYMBOL_GPL(add_memory);

/**
 * add_memory_driver_managed() - add memory a driver discovered
 * @nid: node of the memory, or a memory group id with MHP_NID_IS_MGID
 * @start: first byte, memory-block aligned
 * @size: length in bytes, a multiple of the memory block size
 * @resource_name: "System RAM ($DRIVER)", shown in /proc/iomem
 * @mhp_flags: MHP_* flags
 *
 * For memory that is not in the firmware memory map and that the driver
 * finds again after a reboot or kexec (dax/kmem, virtio-mem, ...). It
 * gets no /sys/firmware/memmap entry, and its resource is flagged
 * IORESOURCE_SYSRAM_DRIVER_MANAGED so that kexec keeps its images off it.
 * Takes device_hotplug_lock.
 *
 * Return: 0 or a negative errno; -EINVAL for a badly formed name.
 */
int add_memory_driver_managed(int nid, u64 start, u64 size,
			      const char *resource_name, mhp_t mhp_flags)
{
	static const char prefix[] = "System RAM (";
	size_t len;
	int ret;

	len = resource_name ? strlen(resource_name) : 0;
	if (len <= sizeof(prefix) - 1 ||
	    strncmp(resource_name, prefix, sizeof(prefix) - 1) ||
	    resource_name[len - 1] != ')')
		return -EINVAL;

	lock_device_hotplug();
	ret = mhp_claim_and_add(nid, start, size, resource_name, mhp_flags);
	unlock_device_hotplug();
	return ret;
}
EXPORT_SYMBOL_GPL(add_memory_driver_managed);

/* ===== removing memory ================================================== */

#ifdef CONFIG_MEMORY_HOTREMOVE
static int block_offline_cb(struct memory_block *mem, void *arg)
{
	u64 first;

	*(int *)arg = mem->nid;
	if (mem->state == MEM_OFFLINE)
		return 0;

	first = PFN_PHYS(section_nr_to_pfn(mem->start_section_nr));
	pr_warn("cannot remove memory: [%#llx-%#llx] is online\n", first,
		first + memory_block_size_bytes() - 1);
	return -EBUSY;
}

/* The removal that mhp_remove_range() runs: see there. */
static int mhp_do_remove_range(u64 start, u64 size)
{
	int nid = NUMA_NO_NODE;
	LIST_HEAD(altmaps);
	int ret;

	mhp_assert_device_hotplug_held();
	if (WARN_ON_ONCE(mhp_check_block_range(start, size)))
		return -EINVAL;
	/* No worker may write the memmap once it is gone. */
	mhp_prefault_stop();

	/* The last block's node is the one to try to offline afterwards. */
	ret = walk_memory_blocks(start, size, &nid, block_offline_cb);
	if (ret)
		return ret;

	firmware_map_remove(start, start + size, "System RAM");
	/* Not under mem_hotplug_lock: see the top of this file. */
	mhp_remove_devices(start, size, &altmaps);

	mem_hotplug_begin();
	mhp_unmap_range(start, size, &altmaps);
	mhp_memblock_remove(start, size);
	release_mem_region_adjustable(start, size);
	if (nid != NUMA_NO_NODE)
		try_offline_node(nid);
	mem_hotplug_done();
	return 0;
}

/*
 * Remove [start, start + size) if all its blocks are offline; otherwise
 * -EBUSY and nothing changes. Called with device_hotplug_lock held.
 */
static int mhp_remove_range(u64 start, u64 size)
{
	int ret;

	trace_mhp_remove_begin(start, size);
	ret = mhp_do_remove_range(start, size);
	trace_mhp_remove_end(start, size, ret);
	return ret;
}

/**
 * __remove_memory() - remove memory whose blocks are all offline
 * @start: first byte, memory-block aligned
 * @size: length in bytes, a multiple of the memory block size
 *
 * For callers that hold device_hotplug_lock and have offlined every block
 * of the range (ACPI eject); an online block is a caller bug, warned
 * about, and the range then stays.
 */
void __remove_memory(u64 start, u64 size)
{
	WARN(mhp_remove_range(start, size),
	     "memory [%#llx-%#llx] removed while not offline\n", start,
	     start + size - 1);
}

/**
 * remove_memory() - remove memory whose blocks are all offline
 * @start: first byte, memory-block aligned
 * @size: length in bytes, a multiple of the memory block size
 *
 * Takes device_hotplug_lock.
 *
 * Return: 0, or -EBUSY if a block is still online (nothing is removed).
 */
int remove_memory(u64 start, u64 size)
{
	int ret;

	lock_device_hotplug();
	ret = mhp_remove_range(start, size);
	unlock_device_hotplug();
	return ret;
}
EXPORT_SYMBOL_GPL(remove_memory);

/*
 * offline_and_remove_memory() remembers, per block, how to bring back what
 * it offlined: MMOP_OFFLINE for a block it did not touch.
 */
struct mhp_undo_list {
	u8 *types;
	unsigned long next;
};

static int offline_for_removal_cb(struct memory_block *mem, void *arg)
{
	struct mhp_undo_list *undo = arg;
	u8 *slot = &undo->types[undo->next++];
	enum mmop type = MMOP_ONLINE_KERNEL;
	int ret;

	if (mem->zone && zone_idx(mem->zone) == ZONE_MOVABLE)
		type = MMOP_ONLINE_MOVABLE;

	ret = device_offline(&mem->dev);
	if (ret < 0)
		return ret;
	if (ret == 0)
		*slot = type;
	return 0;
}

static int reonline_cb(struct memory_block *mem, void *arg)
{
	struct mhp_undo_list *undo = arg;
	u8 type = undo->types[undo->next++];
	int ret;

	if (type == MMOP_OFFLINE)
		return 0;
	mem->online_type = type;
	ret = device_online(&mem->dev);
	if (ret < 0)
		pr_warn("memory block %u: could not be onlined again: %d\n",
			mem->dev.id, ret);
	return 0;
}

/**
 * offline_and_remove_memory() - offline every block of a range, remove it
 * @start: first byte, memory-block aligned
 * @size: length in bytes, a multiple of the memory block size
 *
 * All or nothing: when one block fails to offline (or the removal fails),
 * the blocks this call offlined are onlined again into the zone they were
 * in. Migrating the memory away may take long. Takes device_hotplug_lock.
 *
 * Return: 0, or the errno of the failing step.
 */
int offline_and_remove_memory(u64 start, u64 size)
{
	const unsigned long bsize = memory_block_size_bytes();
	struct mhp_undo_list undo = { };
	int ret;

	if (!size || !IS_ALIGNED(start, bsize) || !IS_ALIGNED(size, bsize))
		return -EINVAL;

	/* MMOP_OFFLINE is 0: untouched blocks are skipped by the undo. */
	undo.types = kcalloc(size / bsize, sizeof(*undo.types), GFP_KERNEL);
	if (!undo.types)
		return -ENOMEM;

	lock_device_hotplug();
	ret = walk_memory_blocks(start, size, &undo, offline_for_removal_cb);
	if (!ret) {
		ret = mhp_remove_range(start, size);
		if (ret)
			pr_err("removing offlined memory [%#llx-%#llx] failed: %d\n",
			       start, start + size - 1, ret);
	}
	if (ret) {
		undo.next = 0;
		walk_memory_blocks(start, size, &undo, reonline_cb);
	}
	unlock_device_hotplug();

	kfree(undo.types);
	return ret;
}
EXPORT_SYMBOL_GPL(offline_and_remove_memory);
#endif /* CONFIG_MEMORY_HOTREMOVE */
