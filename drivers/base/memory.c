// SPDX-License-Identifier: GPL-2.0
/*
 * The memory block layer: memory block devices on the "memory" bus, their
 * sysfs files, the memory notifier chain and memory groups.
 *
 * Physical memory is handled in memory blocks of memory_block_size_bytes(),
 * each one or more sparsemem sections. Every block with present memory is a
 * device /sys/devices/system/memory/memoryN, N being the block id (physical
 * address / block size). The devices are created at boot for the memory the
 * firmware reported and when the core (mm/memory_hotplug.c) hot-adds memory,
 * and destroyed when it hot-removes memory. Bringing a block online or
 * offline goes through device_online()/device_offline(), which call back
 * into this file (the bus online/offline methods), which call the core's
 * mhp_online_block()/mhp_offline_block() between the notifier events that
 * are the block layer's own (MEM_PREPARE_ONLINE, MEM_FINISH_OFFLINE).
 *
 * Locking, outermost first:
 *
 *  device_hotplug_lock  lock_device_hotplug(): held around every creation
 *                       and removal of blocks (so around every change of
 *                       @memory_blocks and of a group's block list), around
 *                       every sysfs-triggered online/offline, and whenever
 *                       @memory_block.online_type is written. Lookups
 *                       (find_memory_block(), walk_memory_blocks(),
 *                       for_each_memory_block()) take a device reference on
 *                       the block; their callers hold this lock or run where
 *                       no block can go away (boot, an online block).
 *  device_lock(dev)     taken by device_online()/device_offline() around
 *                       the bus methods: serializes state changes of one
 *                       block (@memory_block.state, .zone).
 *  mem_hotplug_lock     mem_hotplug_begin(), taken by the bus methods around
 *                       mhp_online_block()/mhp_offline_block(); the memory
 *                       notifier chain is called with it held. Block
 *                       devices are created and removed with it NOT held
 *                       (create_memory_block_devices() and
 *                       remove_memory_block_devices() assert it): removing
 *                       a device waits for its sysfs writers, which take it.
 *
 * @memory_blocks and @memory_groups are xarrays with their own internal
 * locks; a group's page counters are updated by the core under
 * mem_hotplug_lock.
 */

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/crash_core.h>
#include <linux/device.h>
#include <linux/errname.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/node.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stat.h>
#include <linux/sysfs.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>

#define MEMORY_BUS_NAME "memory"

/* Set once by memory_dev_init(), before any block exists. */
static unsigned long sections_per_block __ro_after_init;

/* Block id -> struct memory_block, for every registered block. */
static DEFINE_XARRAY(memory_blocks);

/* Group id -> struct memory_group; ids are allocated by the xarray. */
static DEFINE_XARRAY_FLAGS(memory_groups, XA_FLAGS_ALLOC);
/* XA_MARK_0 is the free-id mark of an allocating xarray: use the next one. */
#define MGROUP_MARK_DYNAMIC	XA_MARK_1

/*
 * /proc/vmstat counts failed offlines in the order of the reasons, one
 * counter for each reason but MHP_OFFLINE_NONE: every reason's counter is
 * asserted here, so that neither list can be reordered alone.
 */
#define block_fail_event(reason) \
	(MEMORY_OFFLINE_FAIL_UNMOVABLE + (reason) - MHP_OFFLINE_UNMOVABLE)
static_assert(block_fail_event(MHP_OFFLINE_UNMOVABLE) == MEMORY_OFFLINE_FAIL_UNMOVABLE);
static_assert(block_fail_event(MHP_OFFLINE_ISOLATION) == MEMORY_OFFLINE_FAIL_ISOLATION);
static_assert(block_fail_event(MHP_OFFLINE_HUGETLB) == MEMORY_OFFLINE_FAIL_HUGETLB);
static_assert(block_fail_event(MHP_OFFLINE_NOTIFIER) == MEMORY_OFFLINE_FAIL_NOTIFIER);
static_assert(block_fail_event(MHP_OFFLINE_SIGNAL) == MEMORY_OFFLINE_FAIL_SIGNAL);
static_assert(block_fail_event(MHP_OFFLINE_TIMEOUT) == MEMORY_OFFLINE_FAIL_TIMEOUT);
static_assert(block_fail_event(MHP_OFFLINE_HOLES) == MEMORY_OFFLINE_FAIL_HOLES);
static_assert(block_fail_event(MHP_OFFLINE_ZONES) == MEMORY_OFFLINE_FAIL_ZONES);
static_assert(block_fail_event(MHP_OFFLINE_OOM) == MEMORY_OFFLINE_FAIL_OOM);
static_assert(MHP_OFFLINE_NONE + 1 == MHP_OFFLINE_UNMOVABLE);
static_assert(MHP_OFFLINE_NR_REASONS - 1 == MHP_OFFLINE_OOM);

static BLOCKING_NOTIFIER_HEAD(memory_chain);

/* How user space spells each enum mmop value. */
static const char *const mmop_names[] = {
	[MMOP_OFFLINE]		= "offline",
	[MMOP_ONLINE]		= "online",
	[MMOP_ONLINE_KERNEL]	= "online_kernel",
	[MMOP_ONLINE_MOVABLE]	= "online_movable",
};

/**
 * mhp_online_type_from_str() - parse an online type as user space writes it
 * @str: "offline", "online", "online_kernel" or "online_movable", optionally
 *	followed by a newline
 *
 * Return: the matching MMOP_* value, or -EINVAL for anything else.
 */
int mhp_online_type_from_str(const char *str)
{
	int type;

	for (type = 0; type < ARRAY_SIZE(mmop_names); type++) {
		if (sysfs_streq(str, mmop_names[type]))
			return type;
	}
	return -EINVAL;
}

static inline struct memory_block *dev_to_block(struct device *dev)
{
	return container_of(dev, struct memory_block, dev);
}

static inline unsigned long block_id_of_section(unsigned long section_nr)
{
	return section_nr / sections_per_block;
}

static inline unsigned long block_id_of_pfn(unsigned long pfn)
{
	return block_id_of_section(pfn_to_section_nr(pfn));
}

static inline unsigned long block_id_of_phys(unsigned long phys)
{
	return block_id_of_pfn(PFN_DOWN(phys));
}

static inline unsigned long block_first_pfn(const struct memory_block *mem)
{
	return section_nr_to_pfn(mem->start_section_nr);
}

static inline unsigned long pages_per_block(void)
{
	return PAGES_PER_SECTION * sections_per_block;
}

/* Pages at the start of @mem that hold its own memmap (memmap_on_memory). */
static inline unsigned long block_vmemmap_pages(const struct memory_block *mem)
{
	return mem->altmap ? mem->altmap->free : 0;
}

#if defined(CONFIG_MEMORY_FAILURE)
static inline long block_hwpoison_count(struct memory_block *mem)
{
	return atomic_long_read(&mem->nr_hwpoison);
}
#else
static inline long block_hwpoison_count(struct memory_block *mem)
{
	return 0;
}
#endif

/**
 * memory_block_size_bytes() - size of a memory block
 *
 * Architectures with larger blocks override this.
 *
 * Return: the memory block size in bytes, a power of two and a multiple of
 * the sparsemem section size.
 */
unsigned long __weak memory_block_size_bytes(void)
{
	return MIN_MEMORY_BLOCK_SIZE;
}
EXPORT_SYMBOL_GPL(memory_block_size_bytes);

/**
 * arch_get_memory_phys_device() - physical device number of a memory range
 * @start_pfn: first pfn of a memory block
 *
 * Only s390 ever gave this a meaning; everybody else has a single device.
 *
 * Return: the number shown in the block's phys_device file.
 */
int __weak arch_get_memory_phys_device(unsigned long start_pfn)
{
	return 0;
}

/* --- the memory notifier chain ------------------------------------------ */

/**
 * register_memory_notifier() - add a callback to the memory notifier chain
 * @nb: the notifier block; @nb->priority orders it among the others
 *
 * The callback is told about every memory block state change (MEM_* events
 * with a &struct memory_notify argument) and may veto MEM_GOING_ONLINE and
 * MEM_GOING_OFFLINE.
 *
 * Return: 0 on success, a negative errno otherwise.
 */
int register_memory_notifier(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&memory_chain, nb);
}
EXPORT_SYMBOL(register_memory_notifier);

/**
 * unregister_memory_notifier() - remove a callback from the chain
 * @nb: a notifier block given to register_memory_notifier() before
 */
void unregister_memory_notifier(struct notifier_block *nb)
{
	blocking_notifier_chain_unregister(&memory_chain, nb);
}
EXPORT_SYMBOL(unregister_memory_notifier);

/**
 * memory_notify() - call the memory notifier chain
 * @val: the event, a MEM_* value
 * @v: the &struct memory_notify describing the range
 *
 * Return: the notifier chain's result (NOTIFY_*); notifier_to_errno() turns
 * a veto into the callee's errno.
 */
int memory_notify(unsigned long val, void *v)
{
	return blocking_notifier_call_chain(&memory_chain, val, v);
}

/**
 * memory_notify_veto() - call the memory notifier chain, naming a refusal
 * @val: the event, MEM_GOING_OFFLINE or MEM_GOING_ONLINE
 * @v: the &struct memory_notify describing the range
 * @who: set to the callback that refused, or to NULL
 *
 * Calls the callbacks as memory_notify() does, through
 * blocking_notifier_call_chain_who(), so that a failed offline can say
 * whose veto it was. A callback that ends the walk with NOTIFY_STOP (no
 * errno) ended it but refused nothing: @who stays NULL.
 *
 * Return: as memory_notify().
 */
int memory_notify_veto(unsigned long val, void *v, void **who)
{
	notifier_fn_t last;
	int ret;

	ret = blocking_notifier_call_chain_who(&memory_chain, val, v, &last);
	*who = notifier_to_errno(ret) ? last : NULL;
	return ret;
}

/* --- onlining and offlining --------------------------------------------- */

/*
 * The range the MEM_PREPARE_ONLINE and MEM_FINISH_OFFLINE notifiers of a
 * block see: @nr pages from @first, the first @nr_memmap of them holding
 * the block's own memmap (memmap_on_memory).
 */
static struct memory_notify block_notify_range(unsigned long first,
					       unsigned long nr,
					       unsigned long nr_memmap)
{
	return (struct memory_notify) {
		.altmap_start_pfn = first,
		.altmap_nr_pages = nr_memmap,
		.start_pfn = first + nr_memmap,
		.nr_pages = nr - nr_memmap,
		.status_change_nid = NUMA_NO_NODE,
		.status_change_nid_normal = NUMA_NO_NODE,
	};
}

/*
 * Online @mem into the zone its online_type asks for. Called with the
 * block's device lock held; takes mem_hotplug_lock. What onlining a block
 * that hosts its own memmap means is mm's business (mhp_online_block());
 * this layer brackets it with the notifiers that make the memory usable.
 */
static int block_online(struct memory_block *mem)
{
	const unsigned long first = block_first_pfn(mem);
	const unsigned long nr = pages_per_block();
	struct memory_notify notify =
		block_notify_range(first, nr, block_vmemmap_pages(mem));
	struct zone *zone;
	int err;

	device_lock_assert(&mem->dev);
	/* Poisoned pages would be handed to the page allocator again. */
	if (block_hwpoison_count(mem))
		return -EHWPOISON;

	mem_hotplug_begin();
	zone = zone_for_pfn_range(mem->online_type, mem->nid, mem->group,
				  first, nr);

	/* Let a provider make inaccessible memory usable first. */
	err = notifier_to_errno(memory_notify(MEM_PREPARE_ONLINE, &notify));
	if (err)
		goto unlock;

	err = mhp_online_block(first, nr, mem->altmap, zone, mem->group);
	if (err)
		memory_notify(MEM_FINISH_OFFLINE, &notify);
	else
		mem->zone = zone;
unlock:
	mem_hotplug_done();
	return err;
}

/*
 * Offline @mem. Called with the block's device lock held; takes
 * mem_hotplug_lock. The reverse of block_online().
 */
static int block_offline(struct memory_block *mem,
			 struct mhp_offline_report *report)
{
	const unsigned long first = block_first_pfn(mem);
	const unsigned long nr = pages_per_block();
	struct memory_notify notify =
		block_notify_range(first, nr, block_vmemmap_pages(mem));
	int err;

	device_lock_assert(&mem->dev);
	/* Memory of several zones or nodes: cannot be offlined. */
	if (!mem->zone) {
		report->reason = MHP_OFFLINE_ZONES;
		return -EINVAL;
	}

	mem_hotplug_begin();
	err = mhp_offline_block(first, nr, mem->altmap, mem->zone, mem->group,
				report);
	if (!err) {
		mem->zone = NULL;
		memory_notify(MEM_FINISH_OFFLINE, &notify);
	}
	mem_hotplug_done();
	return err;
}

/*
 * Keep what an offline attempt of @mem did: its failure (or none) for
 * memoryN/offline_failure, its migrations and outcome for /proc/vmstat.
 */
static void block_record_offline(struct memory_block *mem,
				 const struct mhp_offline_report *report,
				 int err)
{
	count_vm_events(MEMORY_OFFLINE_PGMIGRATE_SUCCESS, report->nr_migrated);
	count_vm_events(MEMORY_OFFLINE_PGMIGRATE_FAIL,
			report->nr_migrate_failed);
	if (!err)
		count_vm_event(MEMORY_BLOCK_OFFLINE);
	else if (report->reason != MHP_OFFLINE_NONE)
		count_vm_event(block_fail_event(report->reason));

	device_lock_assert(&mem->dev);
	WRITE_ONCE(mem->offline_reason, err ? report->reason : MHP_OFFLINE_NONE);
	WRITE_ONCE(mem->offline_page, err ? report->kind : MHP_PAGE_NONE);
}

/*
 * Move @mem from @from to @to (MEM_OFFLINE <-> MEM_ONLINE). On failure the
 * block keeps its old state. Called with the block's device lock held.
 */
static int block_change_state(struct memory_block *mem,
			      enum memory_block_state from,
			      enum memory_block_state to)
{
	struct mhp_offline_report report;
	int err;

	if (mem->state != from)
		return -EINVAL;

	if (to == MEM_ONLINE) {
		err = block_online(mem);
		if (!err)
			count_vm_event(MEMORY_BLOCK_ONLINE);
	} else {
		mhp_offline_report_init(&report);
		WRITE_ONCE(mem->state, MEM_GOING_OFFLINE);
		err = block_offline(mem, &report);
		/* Every failure has a reason: mhp_offline_block() gives one. */
		WARN_ON_ONCE(IS_ENABLED(CONFIG_MEMORY_HOTREMOVE) && err &&
			     report.reason == MHP_OFFLINE_NONE);
		block_record_offline(mem, &report, err);
	}
	WRITE_ONCE(mem->state, err ? from : to);
	return err;
}

/* The memory bus's online method, called by device_online(). */
static int memory_bus_online(struct device *dev)
{
	struct memory_block *mem = dev_to_block(dev);
	int err;

	if (mem->state == MEM_ONLINE)
		return 0;

	/*
	 * Nobody chose a zone (device_online() through the "online" file or
	 * a driver): leave it to the online policy.
	 */
	if (mem->online_type == MMOP_OFFLINE)
		mem->online_type = MMOP_ONLINE;

	err = block_change_state(mem, MEM_OFFLINE, MEM_ONLINE);
	mem->online_type = MMOP_OFFLINE;
	return err;
}

/* The memory bus's offline method, called by device_offline(). */
static int memory_bus_offline(struct device *dev)
{
	struct memory_block *mem = dev_to_block(dev);

	if (mem->state == MEM_OFFLINE)
		return 0;

	return block_change_state(mem, MEM_ONLINE, MEM_OFFLINE);
}

static const struct bus_type memory_bus = {
	.name = MEMORY_BUS_NAME,
	.dev_name = MEMORY_BUS_NAME,
	.online = memory_bus_online,
	.offline = memory_bus_offline,
};

/* --- per-block sysfs files ---------------------------------------------- */

static ssize_t phys_index_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct memory_block *mem = dev_to_block(dev);

	return sysfs_emit(buf, "%08lx\n",
			  block_id_of_section(mem->start_section_nr));
}
static DEVICE_ATTR_RO(phys_index);

static ssize_t phys_device_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct memory_block *mem = dev_to_block(dev);

	return sysfs_emit(buf, "%d\n",
			  arch_get_memory_phys_device(block_first_pfn(mem)));
}
static DEVICE_ATTR_RO(phys_device);

/*
 * 1 if the block's memmap lives at the block's own start (memmap_on_memory,
 * chosen per add), 0 if it was allocated from other memory.
 */
static ssize_t memmap_on_memory_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", !!dev_to_block(dev)->altmap);
}
static DEVICE_ATTR_RO(memmap_on_memory);

/* Legacy: says whether this kernel can offline memory at all. */
static ssize_t removable_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", IS_ENABLED(CONFIG_MEMORY_HOTREMOVE));
}
static DEVICE_ATTR_RO(removable);

static ssize_t state_show(struct device *dev,
			  struct device_attribute *attr, char *buf)
{
	enum memory_block_state state = READ_ONCE(dev_to_block(dev)->state);

	switch (state) {
	case MEM_ONLINE:
		return sysfs_emit(buf, "online\n");
	case MEM_OFFLINE:
		return sysfs_emit(buf, "offline\n");
	case MEM_GOING_OFFLINE:
		return sysfs_emit(buf, "going-offline\n");
	default:
		WARN_ON_ONCE(1);
		return sysfs_emit(buf, "ERROR-UNKNOWN-%d\n", state);
	}
}

/*
 * "online", "online_kernel" and "online_movable" online the block, the
 * latter two into the given kind of zone; "offline" offlines it. Asking for
 * the state the block is already in fails with -EINVAL.
 */
static ssize_t state_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct memory_block *mem = dev_to_block(dev);
	int type = mhp_online_type_from_str(buf);
	int ret;

	if (type < 0)
		return -EINVAL;

	ret = lock_device_hotplug_sysfs();
	if (ret)
		return ret;

	if (type == MMOP_OFFLINE) {
		ret = device_offline(dev);
	} else {
		/* Read by memory_bus_online(); device_hotplug_lock guards it. */
		mem->online_type = type;
		ret = device_online(dev);
		/* Not used if it already was online: do not keep it around. */
		mem->online_type = MMOP_OFFLINE;
	}
	unlock_device_hotplug();

	if (ret < 0)
		return ret;
	/* 1 means the device already was in the requested state. */
	return ret ? -EINVAL : count;
}
static DEVICE_ATTR_RW(state);

#ifdef CONFIG_MEMORY_HOTREMOVE
/*
 * Offline block: the zone onlining would pick by default, then each other
 * zone an explicit online_kernel/online_movable would pick. Online block:
 * its zone, or "none" when it spans several (it cannot be offlined then).
 */
static ssize_t valid_zones_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct memory_block *mem = dev_to_block(dev);
	const unsigned long first = block_first_pfn(mem);
	const unsigned long nr = pages_per_block();
	static const enum mmop explicit[] = {
		MMOP_ONLINE_KERNEL, MMOP_ONLINE_MOVABLE,
	};
	struct zone *dflt, *zone;
	int len, i;

	if (READ_ONCE(mem->state) != MEM_OFFLINE) {
		zone = READ_ONCE(mem->zone);
		return sysfs_emit(buf, "%s\n", zone ? zone->name : "none");
	}
	/* Not reached: only boot blocks lack a node, until user space runs. */
	if (mem->nid == NUMA_NO_NODE)
		return sysfs_emit(buf, "none\n");

	dflt = zone_for_pfn_range(MMOP_ONLINE, mem->nid, mem->group, first, nr);
	len = sysfs_emit(buf, "%s", dflt->name);
	for (i = 0; i < ARRAY_SIZE(explicit); i++) {
		zone = zone_for_pfn_range(explicit[i], mem->nid, mem->group,
					  first, nr);
		if (zone != dflt)
			len += sysfs_emit_at(buf, len, " %s", zone->name);
	}
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
static DEVICE_ATTR_RO(valid_zones);
#endif

#ifdef CONFIG_MEMORY_HOTREMOVE
/*
 * memoryN/offline_failure: the word of the reason the last offline of the
 * block failed for; empty after a success or before any attempt. What an
 * administrator needs beyond the word (the pfn of the page, the notifier
 * that refused) is in the kernel log line and the mhp_offline_fail event.
 */
static ssize_t offline_failure_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	enum mhp_offline_reason reason;

	reason = READ_ONCE(dev_to_block(dev)->offline_reason);
	if (reason == MHP_OFFLINE_NONE)
		return 0;
	return sysfs_emit(buf, "%s\n", mhp_offline_reason_name(reason));
}
static DEVICE_ATTR_RO(offline_failure);

/*
 * memoryN/offline_failure_page: what the page that kept the last failed
 * offline from finishing is (slab, pinned, ...); empty if it named none.
 */
static ssize_t offline_failure_page_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	enum mhp_page_kind kind;

	kind = READ_ONCE(dev_to_block(dev)->offline_page);
	if (kind == MHP_PAGE_NONE)
		return 0;
	return sysfs_emit(buf, "%s\n", mhp_page_kind_name(kind));
}
static DEVICE_ATTR_RO(offline_failure_page);
#endif

static struct attribute *memory_block_attrs[] = {
	&dev_attr_phys_index.attr,
	&dev_attr_state.attr,
	&dev_attr_phys_device.attr,
	&dev_attr_removable.attr,
	&dev_attr_memmap_on_memory.attr,
#ifdef CONFIG_MEMORY_HOTREMOVE
	&dev_attr_valid_zones.attr,
	&dev_attr_offline_failure.attr,
	&dev_attr_offline_failure_page.attr,
#endif
	NULL
};

static const struct attribute_group memory_block_group = {
	.attrs = memory_block_attrs,
};

static const struct attribute_group *memory_block_groups[] = {
	&memory_block_group,
	NULL
};

/* --- global sysfs files (/sys/devices/system/memory/) -------------------- */

static ssize_t block_size_bytes_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lx\n", memory_block_size_bytes());
}
static DEVICE_ATTR_RO(block_size_bytes);

static ssize_t auto_online_blocks_show(struct device *dev,
				       struct device_attribute *attr,
				       char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  mmop_names[mhp_get_default_online_type()]);
}

static ssize_t auto_online_blocks_store(struct device *dev,
					struct device_attribute *attr,
					const char *buf, size_t count)
{
	int type = mhp_online_type_from_str(buf);

	if (type < 0)
		return -EINVAL;
	mhp_set_default_online_type(type);
	return count;
}
static DEVICE_ATTR_RW(auto_online_blocks);

#ifdef CONFIG_ARCH_MEMORY_PROBE
/*
 * Add the memory block starting at the written physical address, as
 * firmware would on a hot-add. Nothing is touched unless the address is
 * block aligned.
 */
static ssize_t probe_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	const unsigned long size = memory_block_size_bytes();
	u64 phys;
	int ret;

	ret = kstrtoull(buf, 0, &phys);
	if (ret)
		return ret;
	if (!IS_ALIGNED(phys, size))
		return -EINVAL;

	ret = lock_device_hotplug_sysfs();
	if (ret)
		return ret;
	/* Probed memory is all there: it may carry its memmap. */
	ret = __add_memory(memory_add_physaddr_to_nid(phys), phys, size,
			   MHP_MEMMAP_ON_MEMORY_AUTO);
	unlock_device_hotplug();

	return ret < 0 ? ret : count;
}
static DEVICE_ATTR_WO(probe);
#endif

#ifdef CONFIG_MEMORY_FAILURE
/* Both files take a physical address and act on the page holding it. */
static int parse_page_address(const char *buf, unsigned long *pfn)
{
	u64 phys;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (kstrtoull(buf, 0, &phys) < 0)
		return -EINVAL;
	*pfn = phys >> PAGE_SHIFT;
	return 0;
}

/* Poison the page as a memory error would. */
static ssize_t hard_offline_page_store(struct device *dev,
				       struct device_attribute *attr,
				       const char *buf, size_t count)
{
	unsigned long pfn;
	int ret;

	ret = parse_page_address(buf, &pfn);
	if (ret)
		return ret;
	ret = memory_failure(pfn, MF_SW_SIMULATED);
	if (ret == -EOPNOTSUPP)
		ret = 0;
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(hard_offline_page);

/* Migrate the page's contents away and take it out of use. */
static ssize_t soft_offline_page_store(struct device *dev,
				       struct device_attribute *attr,
				       const char *buf, size_t count)
{
	unsigned long pfn;
	int ret;

	ret = parse_page_address(buf, &pfn);
	if (ret)
		return ret;
	ret = soft_offline_page(pfn, 0);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(soft_offline_page);
#endif

#ifdef CONFIG_CRASH_HOTPLUG
/* 1 when the kernel itself updates the crash kernel's memory map. */
static ssize_t crash_hotplug_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", crash_check_hotplug_support());
}
static DEVICE_ATTR_RO(crash_hotplug);
#endif

static struct attribute *memory_root_attrs[] = {
	&dev_attr_block_size_bytes.attr,
	&dev_attr_auto_online_blocks.attr,
#ifdef CONFIG_ARCH_MEMORY_PROBE
	&dev_attr_probe.attr,
#endif
#ifdef CONFIG_MEMORY_FAILURE
	&dev_attr_hard_offline_page.attr,
	&dev_attr_soft_offline_page.attr,
#endif
#ifdef CONFIG_CRASH_HOTPLUG
	&dev_attr_crash_hotplug.attr,
#endif
	NULL
};
ATTRIBUTE_GROUPS(memory_root);

/* --- finding blocks ------------------------------------------------------ */

/* The block with id @id, with a device reference the caller must drop. */
static struct memory_block *block_get_by_id(unsigned long id)
{
	struct memory_block *mem = xa_load(&memory_blocks, id);

	if (mem)
		get_device(&mem->dev);
	return mem;
}

/**
 * find_memory_block() - look up the memory block holding a section
 * @section_nr: a sparsemem section number
 *
 * Return: the block, with a reference the caller drops with put_device(),
 * or NULL if the section is in no registered block.
 */
struct memory_block *find_memory_block(unsigned long section_nr)
{
	return block_get_by_id(block_id_of_section(section_nr));
}

/**
 * memory_block_self_memmap_pages() - pages at a block's start holding its memmap
 * @block_id: the memory block's id (its start address / block size)
 *
 * For a driver that plugs a block's memory in parts (virtio-mem): the pages
 * counted here must stay plugged as long as the block is added. The answer
 * does not change while the block exists; the caller keeps the block from
 * being removed meanwhile.
 *
 * Return: the number of pages, or 0 if the block's memmap was allocated from
 * other memory or there is no such block.
 */
unsigned long memory_block_self_memmap_pages(unsigned long block_id)
{
	struct memory_block *mem = block_get_by_id(block_id);
	unsigned long pages;

	if (!mem)
		return 0;
	pages = block_vmemmap_pages(mem);
	put_device(&mem->dev);
	return pages;
}
EXPORT_SYMBOL_GPL(memory_block_self_memmap_pages);

/**
 * walk_memory_blocks() - call a function on the blocks of a physical range
 * @start: first byte of the range
 * @size: length of the range in bytes
 * @arg: passed to @func
 * @func: called on each registered block intersecting the range, in
 *	address order; a non-zero return stops the walk
 *
 * Holes without blocks are skipped. The caller keeps the blocks from being
 * removed meanwhile (device_hotplug_lock).
 *
 * Return: 0, or the first non-zero value @func returned.
 */
int walk_memory_blocks(unsigned long start, unsigned long size,
		       void *arg, walk_memory_blocks_func_t func)
{
	struct memory_block *mem;
	unsigned long id;
	int ret = 0;

	if (!size)
		return 0;

	xa_for_each_range(&memory_blocks, id, mem, block_id_of_phys(start),
			  block_id_of_phys(start + size - 1)) {
		get_device(&mem->dev);
		ret = func(mem, arg);
		put_device(&mem->dev);
		if (ret)
			break;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(walk_memory_blocks);

/* Every registered block, in address order; see for_each_memory_block(). */
static int walk_all_memory_blocks(void *arg, walk_memory_blocks_func_t func)
{
	struct memory_block *mem;
	unsigned long id;
	int ret = 0;

	xa_for_each(&memory_blocks, id, mem) {
		get_device(&mem->dev);
		ret = func(mem, arg);
		put_device(&mem->dev);
		if (ret)
			break;
	}
	return ret;
}

/**
 * for_each_memory_block() - call a function on every memory block
 * @arg: passed to @func
 * @func: called on each block in address order; a non-zero return stops
 *	the walk
 *
 * Return: 0, or the first non-zero value @func returned.
 */
int for_each_memory_block(void *arg, walk_memory_blocks_func_t func)
	__alias(walk_all_memory_blocks);

/* --- creating and removing blocks ---------------------------------------- */

/*
 * The one zone of node @nid intersecting @mem, or NULL when there are
 * several. Only for boot memory, whose zones are already laid out.
 */
static struct zone *early_block_zone(struct memory_block *mem, int nid)
{
	const unsigned long first = block_first_pfn(mem);
	const unsigned long nr = pages_per_block();
	struct pglist_data *pgdat = NODE_DATA(nid);
	struct zone *found = NULL;
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *zone = &pgdat->node_zones[i];

		if (!populated_zone(zone) || !zone_intersects(zone, first, nr))
			continue;
		if (found)
			return NULL;
		found = zone;
	}
	return found;
}

#ifdef CONFIG_NUMA
/**
 * memory_block_add_nid() - record that a memory block has memory on a node
 * @mem: the block
 * @nid: the node
 * @context: MEMINIT_EARLY for boot memory, MEMINIT_HOTPLUG for hot-added
 *
 * Called by the node code when it links @mem to @nid. A boot block may be
 * seen on several nodes: it keeps the last one and loses its single zone,
 * so it can never be offlined. A hot-added block lies on one node only and
 * gets its zone when it is onlined.
 */
void memory_block_add_nid(struct memory_block *mem, int nid,
			  enum meminit_context context)
{
	if (context == MEMINIT_EARLY && mem->nid != nid) {
		if (mem->nid == NUMA_NO_NODE)
			mem->zone = early_block_zone(mem, nid);
		else
			mem->zone = NULL;
	}
	mem->nid = nid;
}
#endif

static void memory_block_release(struct device *dev)
{
	kfree(dev_to_block(dev));
}

/*
 * Create and register the device of block @id in @state, on node @nid
 * (NUMA_NO_NODE for boot blocks: the node code fills it in before user
 * space runs). Everything a sysfs file reads is set before device_add()
 * announces the block, so a udev rule acting on the "add" uevent sees a
 * complete block. On failure nothing is left behind.
 */
static int add_one_block(unsigned long id, enum memory_block_state state,
			 int nid, struct vmem_altmap *altmap,
			 struct memory_group *group)
{
	struct memory_block *mem;
	int ret;

	mem = kzalloc(sizeof(*mem), GFP_KERNEL);
	if (!mem)
		return -ENOMEM;

	mem->start_section_nr = id * sections_per_block;
	mem->state = state;
	mem->online_type = MMOP_OFFLINE;
	mem->nid = nid;
	mem->altmap = altmap;
	mem->group = group;
	INIT_LIST_HEAD(&mem->group_next);
#ifndef CONFIG_NUMA
	/* No node code will call memory_block_add_nid(): do its work here. */
	mem->nid = 0;
	if (state == MEM_ONLINE)
		mem->zone = early_block_zone(mem, 0);
#endif

	mem->dev.bus = &memory_bus;
	mem->dev.id = id;
	mem->dev.release = memory_block_release;
	mem->dev.groups = memory_block_groups;
	mem->dev.offline = state == MEM_OFFLINE;
	/* From here on the device's release frees @mem. */
	device_initialize(&mem->dev);

	ret = xa_insert(&memory_blocks, id, mem, GFP_KERNEL);
	if (ret) {
		put_device(&mem->dev);
		return ret == -EBUSY ? -EEXIST : ret;
	}
	if (group)
		list_add(&mem->group_next, &group->memory_blocks);

	ret = device_add(&mem->dev);
	if (ret) {
		if (group)
			list_del(&mem->group_next);
		xa_erase(&memory_blocks, id);
		put_device(&mem->dev);
	}
	return ret;
}

/* Undo add_one_block(): unlink and unregister @mem. */
static void remove_one_block(struct memory_block *mem)
{
	if (WARN_ON_ONCE(mem->dev.bus != &memory_bus))
		return;

	xa_erase(&memory_blocks, mem->dev.id);
	if (mem->group) {
		list_del(&mem->group_next);
		mem->group = NULL;
	}
	device_unregister(&mem->dev);
}

/*
 * Drop @mem's links to its node. A hot-added block knows its node from
 * the start, but an add that fails early undoes its blocks before they
 * were linked, and possibly before the node has a device at all.
 */
static void unlink_block_from_node(struct memory_block *mem)
{
	if (!IS_ENABLED(CONFIG_NUMA) || mem->nid == NUMA_NO_NODE ||
	    !node_devices[mem->nid])
		return;
	unregister_memory_block_under_nodes(mem);
}

static bool range_is_whole_blocks(unsigned long start, unsigned long size)
{
	const unsigned long bsize = memory_block_size_bytes();

	return IS_ALIGNED(start, bsize) && IS_ALIGNED(size, bsize);
}

/**
 * create_memory_block_devices() - create the blocks of hot-added memory
 * @start: first byte of the range, block aligned
 * @size: length of the range in bytes, a multiple of the block size
 * @nid: the node of the whole range
 * @altmap: memmap-on-memory pages shared by the blocks, or NULL
 * @group: the memory group the blocks join, or NULL
 *
 * The blocks start offline, each complete (node and group included) when
 * its device appears. Called by the core after the memory was added to
 * the memmap, with device_hotplug_lock held and mem_hotplug_lock not held:
 * a failure removes devices, which waits for writers of their "state"
 * and "online" files, and those writers take mem_hotplug_lock.
 *
 * Return: 0, or a negative errno with no block of the range created.
 */
int create_memory_block_devices(unsigned long start, unsigned long size,
				int nid, struct vmem_altmap *altmap,
				struct memory_group *group)
{
	const unsigned long first_id = block_id_of_phys(start);
	const unsigned long end_id = block_id_of_phys(start + size);
	unsigned long id;
	int ret = 0;

	mhp_assert_device_hotplug_held();
	mem_hotplug_assert_not_held();
	if (WARN_ON_ONCE(!range_is_whole_blocks(start, size)))
		return -EINVAL;

	for (id = first_id; id < end_id; id++) {
		ret = add_one_block(id, MEM_OFFLINE, nid, altmap, group);
		if (ret)
			break;
	}
	if (!ret)
		return 0;

	while (id-- > first_id) {
		struct memory_block *mem = xa_load(&memory_blocks, id);

		if (!WARN_ON_ONCE(!mem))
			remove_one_block(mem);
	}
	return ret;
}

/**
 * remove_memory_block_devices() - remove the blocks of a physical range
 * @start: first byte of the range, block aligned
 * @size: length of the range in bytes, a multiple of the block size
 *
 * The blocks must be offline. Their node links go with them, and their
 * poisoned pages stop counting in the global hwpoison count. Called by the
 * core with device_hotplug_lock held and mem_hotplug_lock not held (see
 * create_memory_block_devices()), before the memmap goes.
 */
void remove_memory_block_devices(unsigned long start, unsigned long size)
{
	const unsigned long end_id = block_id_of_phys(start + size);
	unsigned long id;

	mhp_assert_device_hotplug_held();
	mem_hotplug_assert_not_held();
	if (WARN_ON_ONCE(!range_is_whole_blocks(start, size)))
		return;

	for (id = block_id_of_phys(start); id < end_id; id++) {
		struct memory_block *mem = xa_load(&memory_blocks, id);

		if (WARN_ON_ONCE(!mem))
			continue;
		num_poisoned_pages_sub(-1UL, block_hwpoison_count(mem));
		unlink_block_from_node(mem);
		remove_one_block(mem);
	}
}

/**
 * memory_dev_init() - register the memory bus and the boot memory blocks
 *
 * Called once from driver_init(), before the node devices exist. Every
 * block holding a present section becomes an online memory block. Failure
 * here leaves the system without a memory layout user space can manage, so
 * it panics.
 */
void __init memory_dev_init(void)
{
	const unsigned long bsize = memory_block_size_bytes();
	unsigned long nr, id, done = ULONG_MAX;
	int ret;

	if (!is_power_of_2(bsize) || bsize < MIN_MEMORY_BLOCK_SIZE)
		panic("%s: memory block size %#lx is unusable\n", __func__,
		      bsize);
	sections_per_block = bsize / MIN_MEMORY_BLOCK_SIZE;

	ret = subsys_system_register(&memory_bus, memory_root_groups);
	if (ret)
		panic("%s: registering the memory bus failed: %d\n", __func__,
		      ret);

	/* One block per run of sections_per_block sections, if any present. */
	for (nr = next_present_section_nr(-1UL); nr != -1UL;
	     nr = next_present_section_nr(nr)) {
		id = block_id_of_section(nr);
		if (id == done)
			continue;
		ret = add_one_block(id, MEM_ONLINE, NUMA_NO_NODE, NULL, NULL);
		if (ret)
			panic("%s: creating memory block %lu failed: %d\n",
			      __func__, id, ret);
		done = id;
	}
}

/* --- hwpoison accounting ------------------------------------------------- */

#ifdef CONFIG_MEMORY_FAILURE
/**
 * memblk_nr_poison_inc() - count a newly poisoned page in its block
 * @pfn: the poisoned page
 *
 * A block with poisoned pages refuses to be onlined again.
 */
void memblk_nr_poison_inc(unsigned long pfn)
{
	struct memory_block *mem = block_get_by_id(block_id_of_pfn(pfn));

	if (!mem)
		return;
	atomic_long_inc(&mem->nr_hwpoison);
	put_device(&mem->dev);
}

/**
 * memblk_nr_poison_sub() - uncount poisoned pages of a block
 * @pfn: a page of the block
 * @i: how many poisoned pages were unpoisoned
 */
void memblk_nr_poison_sub(unsigned long pfn, long i)
{
	struct memory_block *mem = block_get_by_id(block_id_of_pfn(pfn));

	if (!mem)
		return;
	atomic_long_sub(i, &mem->nr_hwpoison);
	put_device(&mem->dev);
}
#endif

/* --- memory groups ------------------------------------------------------- */

static int register_group(const struct memory_group *tmpl)
{
	struct memory_group *group;
	u32 mgid;
	int ret;

	if (!node_possible(tmpl->nid))
		return -EINVAL;

	group = kmemdup(tmpl, sizeof(*group), GFP_KERNEL);
	if (!group)
		return -ENOMEM;
	INIT_LIST_HEAD(&group->memory_blocks);

	ret = xa_alloc(&memory_groups, &mgid, group, xa_limit_31b, GFP_KERNEL);
	if (ret) {
		kfree(group);
		return ret;
	}
	if (group->is_dynamic)
		xa_set_mark(&memory_groups, mgid, MGROUP_MARK_DYNAMIC);
	return mgid;
}

/**
 * memory_group_register_static() - register a static memory group
 * @nid: node of all the group's memory
 * @max_pages: the most pages the group will ever hold (e.g. a DIMM's size)
 *
 * Memory is added to the group with add_memory*() and MHP_NID_IS_MGID,
 * passing the returned id as the node id.
 *
 * Return: the group id (>= 0), or -EINVAL for an impossible node or zero
 * @max_pages, -ENOMEM or -EBUSY when no id or memory is left.
 */
int memory_group_register_static(int nid, unsigned long max_pages)
{
	struct memory_group tmpl = {
		.nid = nid,
		.s.max_pages = max_pages,
	};

	if (!max_pages)
		return -EINVAL;
	return register_group(&tmpl);
}
EXPORT_SYMBOL_GPL(memory_group_register_static);

/**
 * memory_group_register_dynamic() - register a dynamic memory group
 * @nid: node of all the group's memory
 * @unit_pages: the group's memory comes and goes in aligned units of this
 *	many pages: a power of two, at least one memory block
 *
 * Return: the group id (>= 0), or -EINVAL for an impossible node or a bad
 * @unit_pages, -ENOMEM or -EBUSY when no id or memory is left.
 */
int memory_group_register_dynamic(int nid, unsigned long unit_pages)
{
	struct memory_group tmpl = {
		.nid = nid,
		.is_dynamic = true,
		.d.unit_pages = unit_pages,
	};

	if (!unit_pages || !is_power_of_2(unit_pages) ||
	    unit_pages < PHYS_PFN(memory_block_size_bytes()))
		return -EINVAL;
	return register_group(&tmpl);
}
EXPORT_SYMBOL_GPL(memory_group_register_dynamic);

/**
 * memory_group_find_by_id() - look up a memory group
 * @mgid: the group id
 *
 * Only for the memory hotplug core, which keeps the group alive while it
 * uses it (the group has blocks, or its owner is adding memory to it).
 *
 * Return: the group, or NULL.
 */
struct memory_group *memory_group_find_by_id(int mgid)
{
	if (mgid < 0)
		return NULL;
	return xa_load(&memory_groups, mgid);
}

/**
 * memory_group_unregister() - unregister a memory group
 * @mgid: the id a memory_group_register_*() call returned
 *
 * Return: 0, -EINVAL if there is no such group, -EBUSY while it still has
 * memory blocks.
 */
int memory_group_unregister(int mgid)
{
	struct memory_group *group = memory_group_find_by_id(mgid);

	if (!group)
		return -EINVAL;
	/* The owner removes all its memory before it drops the group. */
	if (!list_empty(&group->memory_blocks))
		return -EBUSY;

	kfree(xa_erase(&memory_groups, mgid));
	return 0;
}
EXPORT_SYMBOL_GPL(memory_group_unregister);

/**
 * walk_dynamic_memory_groups() - call a function on dynamic memory groups
 * @nid: only groups of this node, or NUMA_NO_NODE for all
 * @func: called on each group; a non-zero return stops the walk
 * @excluded: a group to skip, or NULL
 * @arg: passed to @func
 *
 * Return: 0, or the first non-zero value @func returned.
 */
int walk_dynamic_memory_groups(int nid, walk_memory_groups_func_t func,
			       struct memory_group *excluded, void *arg)
{
	struct memory_group *group;
	unsigned long mgid;
	int ret = 0;

	xa_for_each_marked(&memory_groups, mgid, group, MGROUP_MARK_DYNAMIC) {
		if (group == excluded)
			continue;
		if (nid != NUMA_NO_NODE && group->nid != nid)
			continue;
		ret = func(group, arg);
		if (ret)
			break;
	}
	return ret;
}
