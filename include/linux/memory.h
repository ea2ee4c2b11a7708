/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory blocks: the unit in which memory is hot-added, onlined, offlined
 * and hot-removed, seen by user space as /sys/devices/system/memory/memoryN.
 *
 * A memory block covers memory_block_size_bytes() of physical address space
 * (one or more sparsemem sections). The devices, their sysfs files, the
 * memory notifier chain and memory groups live in drivers/base/memory.c.
 */
#ifndef _LINUX_MEMORY_H_
#define _LINUX_MEMORY_H_

#include <linux/compiler.h>
#include <linux/memory_hotplug.h>
#include <linux/mutex.h>
#include <linux/node.h>

struct notifier_block;
struct mem_section;

/* The smallest possible memory block is one sparsemem section. */
#define MIN_MEMORY_BLOCK_SIZE	BIT(SECTION_SIZE_BITS)

/*
 * Ordering of the memory notifier callbacks: a callback with a higher
 * priority is called before one with a lower priority.
 */
#define DEFAULT_CALLBACK_PRI	0
#define SLAB_CALLBACK_PRI	1
#define HMAT_CALLBACK_PRI	2
#define CXL_CALLBACK_PRI	5
#define MM_COMPUTE_BATCH_PRI	10
#define CPUSET_CALLBACK_PRI	10
#define MEMTIER_HOTPLUG_PRI	100
#define KSM_CALLBACK_PRI	100

/*
 * State of a memory block, and at the same time the events sent along the
 * memory notifier chain. Only the first three are ever stored in
 * &memory_block.state and shown in sysfs.
 */
enum memory_block_state {
	MEM_ONLINE,
	MEM_GOING_OFFLINE,
	MEM_OFFLINE,
	MEM_GOING_ONLINE,
	MEM_CANCEL_ONLINE,
	MEM_CANCEL_OFFLINE,
	MEM_PREPARE_ONLINE,
	MEM_FINISH_OFFLINE,
};

/**
 * struct memory_notify - argument passed along the memory notifier chain
 * @altmap_start_pfn: first pfn of the memmap-on-memory pages of the block;
 *	only meaningful for MEM_PREPARE_ONLINE and MEM_FINISH_OFFLINE
 * @altmap_nr_pages: number of memmap-on-memory pages; same restriction
 * @start_pfn: first pfn of the range that changes state
 * @nr_pages: number of pages in that range
 * @status_change_nid_normal: node gaining (or losing) its first (or last)
 *	memory in a zone up to ZONE_NORMAL, or NUMA_NO_NODE
 * @status_change_nid: node gaining (or losing) its first (or last) memory,
 *	or NUMA_NO_NODE
 */
struct memory_notify {
	unsigned long altmap_start_pfn;
	unsigned long altmap_nr_pages;
	unsigned long start_pfn;
	unsigned long nr_pages;
	int status_change_nid_normal;
	int status_change_nid;
};

/**
 * struct memory_group - memory blocks that belong to one device
 * @nid: node of every memory block in the group
 * @memory_blocks: the member blocks, linked through &memory_block.group_next
 * @present_kernel_pages: online pages of the group not in ZONE_MOVABLE
 * @present_movable_pages: online pages of the group in ZONE_MOVABLE
 * @is_dynamic: false for a static group, true for a dynamic one
 * @s: parameters of a static group
 * @s.max_pages: the most pages the group will ever contain
 * @d: parameters of a dynamic group
 * @d.unit_pages: the group grows and shrinks in units of this many pages,
 *	aligned to that size in physical address space; a power of two and
 *	at least one memory block
 *
 * A device such as a DIMM (static: its size is fixed) or a virtio-mem
 * device (dynamic: it adds and removes memory in units) registers a group,
 * then adds its memory with MHP_NID_IS_MGID. A block belongs to at most one
 * group. The zone-selection policy of the core reads the page counters,
 * which the core updates while holding the memory hotplug lock.
 */
struct memory_group {
	int nid;
	struct list_head memory_blocks;
	unsigned long present_kernel_pages;
	unsigned long present_movable_pages;
	bool is_dynamic;
	union {
		struct {
			unsigned long max_pages;
		} s;
		struct {
			unsigned long unit_pages;
		} d;
	};
};

/**
 * struct memory_block - one memory block device
 * @start_section_nr: first sparsemem section of the block
 * @state: MEM_ONLINE, MEM_GOING_OFFLINE or MEM_OFFLINE; changed under the
 *	device lock of @dev
 * @online_type: how the next online should pick the zone (MMOP_*); set
 *	under the device hotplug lock just before device_online()
 * @nid: node of the block; NUMA_NO_NODE until known. A boot-time block
 *	spanning several nodes records the last one (and has no @zone)
 * @zone: the one zone managing all the System RAM of the block, or NULL
 *	when the block is offline or its memory spans several zones or nodes
 * @dev: the device on the memory bus
 * @altmap: the memmap-on-memory pages at the start of the block, or NULL
 * @group: the memory group of the block, or NULL
 * @group_next: entry in &memory_group.memory_blocks
 * @nr_hwpoison: number of hardware-poisoned pages in the block
 * @offline_reason: why the last offline of the block failed
 *	(MHP_OFFLINE_NONE after a success or before any attempt)
 * @offline_page: what the page named by that failure is (MHP_PAGE_NONE if
 *	none was named). Both are written by the block's offline under its
 *	device lock with WRITE_ONCE() and read locklessly with READ_ONCE(),
 *	each on its own: memoryN/offline_failure and offline_failure_page
 *	show one value each
 */
struct memory_block {
	unsigned long start_section_nr;
	enum memory_block_state state;
	enum mmop online_type;
	int nid;
	struct zone *zone;
	struct device dev;
	struct vmem_altmap *altmap;
	struct memory_group *group;
	struct list_head group_next;
#if defined(CONFIG_MEMORY_FAILURE) && defined(CONFIG_MEMORY_HOTPLUG)
	atomic_long_t nr_hwpoison;
#endif
	enum mhp_offline_reason offline_reason;
	enum mhp_page_kind offline_page;
};

/* May be overridden by the architecture. */
unsigned long memory_block_size_bytes(void);
int set_memory_block_size_order(unsigned int order);
int arch_get_memory_phys_device(unsigned long start_pfn);

#ifdef CONFIG_MEMORY_HOTPLUG
void memory_dev_init(void);

int register_memory_notifier(struct notifier_block *nb);
void unregister_memory_notifier(struct notifier_block *nb);
int memory_notify(unsigned long val, void *v);
int memory_notify_veto(unsigned long val, void *v, void **who);

/*
 * Register @fn at priority @pri on the memory notifier chain, with a
 * notifier_block of its own (discarded with the meminit data when memory
 * hotplug is not built in).
 */
#define hotplug_memory_notifier(fn, pri) ({				\
	static struct notifier_block fn##_mem_nb __meminitdata = {	\
		.notifier_call = fn,					\
		.priority = pri,					\
	};								\
	register_memory_notifier(&fn##_mem_nb);				\
})

int create_memory_block_devices(unsigned long start, unsigned long size,
				int nid, struct vmem_altmap *altmap,
				struct memory_group *group);
void remove_memory_block_devices(unsigned long start, unsigned long size);

struct memory_block *find_memory_block(unsigned long section_nr);
unsigned long memory_block_self_memmap_pages(unsigned long block_id);
typedef int (*walk_memory_blocks_func_t)(struct memory_block *, void *);
int walk_memory_blocks(unsigned long start, unsigned long size,
		       void *arg, walk_memory_blocks_func_t func);
int for_each_memory_block(void *arg, walk_memory_blocks_func_t func);

int memory_group_register_static(int nid, unsigned long max_pages);
int memory_group_register_dynamic(int nid, unsigned long unit_pages);
int memory_group_unregister(int mgid);
struct memory_group *memory_group_find_by_id(int mgid);
typedef int (*walk_memory_groups_func_t)(struct memory_group *, void *);
int walk_dynamic_memory_groups(int nid, walk_memory_groups_func_t func,
			       struct memory_group *excluded, void *arg);

#ifdef CONFIG_NUMA
void memory_block_add_nid(struct memory_block *mem, int nid,
			  enum meminit_context context);
#endif
#else /* !CONFIG_MEMORY_HOTPLUG */
static inline void memory_dev_init(void)
{
}

static inline int register_memory_notifier(struct notifier_block *nb)
{
	return 0;
}

static inline void unregister_memory_notifier(struct notifier_block *nb)
{
}

static inline int memory_notify(unsigned long val, void *v)
{
	return 0;
}

static inline int hotplug_memory_notifier(notifier_fn_t fn, int pri)
{
	return 0;
}
#endif /* CONFIG_MEMORY_HOTPLUG */

/* Serializes modifications of kernel text (code patching); may sleep. */
extern struct mutex text_mutex;

#endif /* _LINUX_MEMORY_H_ */
