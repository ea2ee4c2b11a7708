// SPDX-License-Identifier: GPL-2.0-only
/*
 * ACPI memory devices (PNP0C80): hot-add on insertion, removal on eject.
 *
 * A PNP0C80 object stands for one piece of pluggable RAM, a DIMM slot for
 * instance, possibly below an ACPI0004/PNP0A05/PNP0A06 container that
 * represents a whole NUMA node.  Its _CRS lists one or more physical ranges,
 * its _PXM the proximity domain they belong to.  No ACPI driver is
 * registered: a scan handler makes the ACPI core hand each such object to
 * attach() when it is enumerated (the boot-time namespace scan, or a
 * Device/Bus Check notification later, containers included) and to
 * detach() when it goes away.
 *
 * attach() turns _CRS into a table of ranges (disabled, empty and non-memory
 * descriptors are dropped, touching ranges merged), registers one static
 * memory group on the _PXM node sized for all of them, and gives every
 * range to __add_memory().  A range the kernel already has as plain System
 * RAM (the firmware reported it in the E820 map as well, so __add_memory()
 * answers -EEXIST) is taken over as it is, never added twice.  Every range
 * that made it is then bound to the device: each of its memory blocks gets
 * the device as ACPI companion, which creates the physical_nodeN and
 * firmware_node links and puts the block on the device's physical node
 * list.  A range that fails is reported and left out; the device is
 * claimed as long as one range works.
 *
 * Eject relies on that physical node list.  Before detach(), the ACPI core
 * (acpi_scan_hot_remove()) takes every physical node of the device, and of
 * everything below it in the namespace, offline with device_offline(),
 * which for a memory block means offlining its pages.  When one of them
 * refuses, the core onlines again what it took offline, answers the
 * firmware with _OST "device busy" and does not call detach() at all.  So
 * on eject detach() finds every block offline and only unbinds and removes.
 * detach() can also be reached without that preparation (the device
 * vanished from _STA on a Bus Check, a parent is being trimmed), so it looks
 * at each range again: a range with a block still online stays in the
 * kernel, with an error, rather than being torn down under its users.
 *
 * Locking: the ACPI core runs attach() and detach() under acpi_scan_lock.
 * On every hotplug path (notifications and sysfs eject, both through
 * acpi_device_hotplug()) it holds device_hotplug_lock outside of that,
 * which is what __add_memory(), __remove_memory() and device_offline() or
 * device_online() of memory blocks require.  The only exception is the
 * namespace scan at boot, before user space exists, when nothing can race.
 * The state of a device hangs off its driver_data and only these callbacks
 * touch it, so it has no lock of its own.
 */

#include <linux/acpi.h>
#include <linux/ioport.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "internal.h"

static const struct acpi_device_id acpi_memdev_ids[] = {
	{ .id = "PNP0C80" },
	{ }
};

#ifdef CONFIG_ACPI_HOTPLUG_MEMORY

/*
 * What happened to one _CRS range: left out, added by us, or found in the
 * kernel already (boot memory the firmware also described in E820).  Added
 * and inherited ranges are bound to the device and removed on eject alike:
 * once the hardware is gone, neither may stay.
 */
enum acpi_memdev_range_state {
	ACPI_MEMDEV_UNUSED,
	ACPI_MEMDEV_ADDED,
	ACPI_MEMDEV_INHERITED,
};

/**
 * struct acpi_memdev_range - one physical range of a memory device
 * @start: first byte
 * @size: length in bytes
 * @state: what attach() did with it
 */
struct acpi_memdev_range {
	u64 start;
	u64 size;
	enum acpi_memdev_range_state state;
};

/**
 * struct acpi_memdev - a PNP0C80 device the handler has claimed
 * @adev: the ACPI device
 * @mgid: id of its static memory group, or a negative value for none
 * @nr_ranges: number of entries in @ranges
 * @ranges: the memory ranges of its _CRS, in _CRS order
 */
struct acpi_memdev {
	struct acpi_device *adev;
	int mgid;
	unsigned int nr_ranges;
	struct acpi_memdev_range ranges[] __counted_by(nr_ranges);
};

/**
 * acpi_memdev_range_err - report what went wrong with one range
 * @md: the device
 * @r: the range
 * @what: what could not be done
 * @err: the error code
 */
static void acpi_memdev_range_err(const struct acpi_memdev *md,
				  const struct acpi_memdev_range *r,
				  const char *what, int err)
{
	dev_err(&md->adev->dev, "memory range [mem %#010llx-%#010llx]: %s (%d)\n",
		r->start, r->start + r->size - 1, what, err);
}

/**
 * acpi_memdev_parse_crs - build the range table of a device from its _CRS
 * @adev: the PNP0C80 device
 *
 * The ACPI resource parser already drops descriptors that are disabled or
 * have a zero length; of the rest only memory ranges count.  A range that
 * starts where the previous one ends is merged into it, so that a device
 * may describe one block-aligned range in several pieces.
 *
 * Return: the new &struct acpi_memdev with no range added yet (mgid
 * unset), or an ERR_PTR(): -ENODEV when _CRS has no usable memory range.
 */
static struct acpi_memdev *acpi_memdev_parse_crs(struct acpi_device *adev)
{
	struct acpi_memdev_range *last = NULL;
	struct resource_entry *entry;
	struct acpi_memdev *md;
	unsigned int n = 0;
	LIST_HEAD(resources);
	int ret;

	ret = acpi_dev_get_resources(adev, &resources, NULL, NULL);
	if (ret < 0) {
		dev_err(&adev->dev, "cannot evaluate _CRS: %d\n", ret);
		return ERR_PTR(ret);
	}

	resource_list_for_each_entry(entry, &resources)
		if (resource_type(entry->res) == IORESOURCE_MEM)
			n++;

	md = kzalloc(struct_size(md, ranges, n), GFP_KERNEL);
	if (!md) {
		acpi_dev_free_resource_list(&resources);
		return ERR_PTR(-ENOMEM);
	}
	md->adev = adev;
	md->mgid = -1;
	md->nr_ranges = n;

	n = 0;
	resource_list_for_each_entry(entry, &resources) {
		const struct resource *res = entry->res;

		if (resource_type(res) != IORESOURCE_MEM)
			continue;
		if (last && last->start + last->size == res->start) {
			last->size += resource_size(res);
			continue;
		}
		last = &md->ranges[n++];
		last->start = res->start;
		last->size = resource_size(res);
	}
	md->nr_ranges = n;
	acpi_dev_free_resource_list(&resources);

	if (!n) {
		dev_err(&adev->dev, "_CRS has no usable memory range\n");
		kfree(md);
		return ERR_PTR(-ENODEV);
	}
	return md;
}

/**
 * acpi_memdev_node - the NUMA node all of a device's memory goes to
 * @md: the device, its ranges parsed
 *
 * _PXM decides; without one (or with one SRAT does not know), the node is
 * the one the platform reports for the first range.  One node for the
 * whole device, because one memory group covers it.
 *
 * Return: a node id.
 */
static int acpi_memdev_node(const struct acpi_memdev *md)
{
	int nid = acpi_get_node(md->adev->handle);

	if (nid == NUMA_NO_NODE)
		nid = memory_add_physaddr_to_nid(md->ranges[0].start);
	return nid;
}

static int acpi_memdev_count_block(struct memory_block *mem, void *arg)
{
	unsigned long *count = arg;

	(*count)++;
	return 0;
}

/**
 * acpi_memdev_range_is_ours - may the device take over memory already there
 * @r: a range __add_memory() refused with -EEXIST
 *
 * True when the range is ordinary System RAM the kernel manages itself
 * (not memory a driver such as dax/kmem added) and every memory block of it
 * exists, which is what boot memory the firmware also listed in E820 looks
 * like.  Anything else is a conflict with some other user of the range.
 *
 * Return: true if the range can be bound and later removed as the device's.
 */
static bool acpi_memdev_range_is_ours(const struct acpi_memdev_range *r)
{
	u64 bsz = memory_block_size_bytes();
	unsigned long blocks = 0;

	if (!IS_ALIGNED(r->start | r->size, bsz))
		return false;
	if (region_intersects(r->start, r->size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_INTERSECTS)
		return false;
	if (region_intersects(r->start, r->size,
			      IORESOURCE_SYSTEM_RAM | IORESOURCE_SYSRAM_DRIVER_MANAGED,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return false;
	walk_memory_blocks(r->start, r->size, &blocks, acpi_memdev_count_block);
	return blocks == r->size / bsz;
}

static int acpi_memdev_bind_block(struct memory_block *mem, void *arg)
{
	return acpi_bind_one(&mem->dev, arg);
}

static int acpi_memdev_unbind_block(struct memory_block *mem, void *arg)
{
	struct acpi_device *adev = arg;

	/* A block that failed to bind may have another companion: keep it. */
	if (ACPI_COMPANION(&mem->dev) == adev)
		acpi_unbind_one(&mem->dev);
	return 0;
}

static int acpi_memdev_block_busy(struct memory_block *mem, void *arg)
{
	return mem->state != MEM_OFFLINE ? -EBUSY : 0;
}

static int acpi_memdev_offline_block(struct memory_block *mem, void *arg)
{
	int ret = device_offline(&mem->dev);

	return ret < 0 ? ret : 0;
}

static int acpi_memdev_online_block(struct memory_block *mem, void *arg)
{
	device_online(&mem->dev);
	return 0;
}

/**
 * acpi_memdev_unbind_range - drop the device's links to a range's blocks
 * @md: the device
 * @r: the range
 */
static void acpi_memdev_unbind_range(struct acpi_memdev *md,
				     const struct acpi_memdev_range *r)
{
	walk_memory_blocks(r->start, r->size, md->adev,
			   acpi_memdev_unbind_block);
}

/**
 * acpi_memdev_remove_range - give a range back, unless it is in use
 * @md: the device
 * @r: an added or inherited range, already unbound
 *
 * Removes the range's memory when all of its blocks are offline; otherwise
 * reports it and leaves the memory where it is.
 *
 * Return: 0 if the memory was removed, -EBUSY if it was left in place.
 */
static int acpi_memdev_remove_range(struct acpi_memdev *md,
				    struct acpi_memdev_range *r)
{
	if (walk_memory_blocks(r->start, r->size, NULL,
			       acpi_memdev_block_busy)) {
		acpi_memdev_range_err(md, r, "still online, memory not removed",
				      -EBUSY);
		return -EBUSY;
	}
	__remove_memory(r->start, r->size);
	r->state = ACPI_MEMDEV_UNUSED;
	return 0;
}

/**
 * acpi_memdev_undo_add - take back a range attach() has just added
 * @md: the device
 * @r: the range, added by __add_memory() a moment ago and unbound again
 *
 * The auto-online policy may have onlined the fresh blocks already, all of
 * them alike (nobody else can online or offline blocks while we hold
 * device_hotplug_lock).  Offline them, then remove the memory; if one
 * refuses, online them all again, which is the state they were in.
 */
static void acpi_memdev_undo_add(struct acpi_memdev *md,
				 struct acpi_memdev_range *r)
{
	int ret;

	ret = walk_memory_blocks(r->start, r->size, NULL,
				 acpi_memdev_offline_block);
	if (ret) {
		walk_memory_blocks(r->start, r->size, NULL,
				   acpi_memdev_online_block);
		acpi_memdev_range_err(md, r,
				      "cannot offline it again, memory left in place",
				      ret);
		r->state = ACPI_MEMDEV_UNUSED;
		return;
	}
	acpi_memdev_remove_range(md, r);
}

/**
 * acpi_memdev_add_range - add one range and bind its blocks to the device
 * @md: the device, its memory group registered
 * @r: the range
 *
 * On failure the range is reported and whatever was done for it undone, so
 * that it stays %ACPI_MEMDEV_UNUSED.
 *
 * Return: 0 or a negative error code.
 */
static int acpi_memdev_add_range(struct acpi_memdev *md,
				 struct acpi_memdev_range *r)
{
	int ret;

	ret = __add_memory(md->mgid, r->start, r->size,
			   MHP_NID_IS_MGID | MHP_MEMMAP_ON_MEMORY);
	if (!ret) {
		r->state = ACPI_MEMDEV_ADDED;
	} else if (ret == -EEXIST && acpi_memdev_range_is_ours(r)) {
		dev_dbg(&md->adev->dev, "memory range at %#llx present already\n",
			r->start);
		r->state = ACPI_MEMDEV_INHERITED;
	} else {
		acpi_memdev_range_err(md, r, "cannot add memory", ret);
		return ret;
	}

	ret = walk_memory_blocks(r->start, r->size, md->adev,
				 acpi_memdev_bind_block);
	if (!ret)
		return 0;

	acpi_memdev_range_err(md, r, "cannot bind its memory blocks", ret);
	acpi_memdev_unbind_range(md, r);
	if (r->state == ACPI_MEMDEV_ADDED)
		acpi_memdev_undo_add(md, r);
	r->state = ACPI_MEMDEV_UNUSED;
	return ret;
}

/**
 * acpi_memdev_release - remove a device's memory and free its state
 * @md: the device
 *
 * Ranges go in reverse order.  The memory group can only go when no block
 * refers to it any more, that is when every added range could be removed.
 */
static void acpi_memdev_release(struct acpi_memdev *md)
{
	bool kept = false;
	unsigned int i;

	for (i = md->nr_ranges; i--; ) {
		struct acpi_memdev_range *r = &md->ranges[i];

		if (r->state == ACPI_MEMDEV_UNUSED)
			continue;
		acpi_memdev_unbind_range(md, r);
		if (acpi_memdev_remove_range(md, r))
			kept = true;
	}

	if (md->mgid >= 0 && !kept && memory_group_unregister(md->mgid))
		dev_err(&md->adev->dev, "cannot unregister memory group %d\n",
			md->mgid);
	kfree(md);
}

/**
 * acpi_memdev_claim - add and bind a present memory device's ranges
 * @adev: the device, present, enabled and functioning
 *
 * Return: 1 when at least one range was added, or a negative error code.
 */
static int acpi_memdev_claim(struct acpi_device *adev)
{
	unsigned long pages = 0;
	struct acpi_memdev *md;
	unsigned int i, good;
	int nid, ret;

	md = acpi_memdev_parse_crs(adev);
	if (IS_ERR(md))
		return PTR_ERR(md);

	for (i = 0; i < md->nr_ranges; i++)
		pages += PFN_UP(md->ranges[i].size);

	nid = acpi_memdev_node(md);
	md->mgid = memory_group_register_static(nid, pages);
	if (md->mgid < 0) {
		ret = md->mgid;
		dev_err(&adev->dev, "cannot register a memory group on node %d: %d\n",
			nid, ret);
		kfree(md);
		return ret;
	}

	good = 0;
	for (i = 0; i < md->nr_ranges; i++)
		if (!acpi_memdev_add_range(md, &md->ranges[i]))
			good++;
	if (!good) {
		dev_err(&adev->dev, "none of its %u memory range(s) could be added\n",
			md->nr_ranges);
		acpi_memdev_release(md);
		return -EIO;
	}

	strscpy(acpi_device_name(adev), "Hotplug Mem Device");
	strscpy(acpi_device_class(adev), "memory");
	adev->driver_data = md;
	return 1;
}

/**
 * acpi_memdev_attach - scan handler attach callback for PNP0C80 devices
 * @adev: the device being enumerated
 * @id: the matching entry of acpi_memdev_ids (unused)
 *
 * Runs under acpi_scan_lock (and device_hotplug_lock after boot).  A device
 * that is not present, enabled and functioning is left alone: the ACPI core
 * offers it again when its _STA changes.
 *
 * Memory is plugged most often into a machine that is short of it, and
 * the add is not all this driver allocates: binding a block takes a
 * companion entry and two sysfs links, after the add, when the new blocks
 * may be online already but movable, which no kernel allocation can use.
 * So all of attach() runs in a memalloc_mayfail_save() scope, as the add
 * itself does: an allocation that cannot be met fails its range, which is
 * undone, rather than OOM-killing a process.
 *
 * Return: 1 when the device is claimed, 0 when it is left alone, or a
 * negative error code when none of its memory could be added.
 */
static int acpi_memdev_attach(struct acpi_device *adev,
			      const struct acpi_device_id *id)
{
	unsigned int mayfail;
	int ret;

	if (!adev->status.present || !adev->status.enabled ||
	    !adev->status.functional)
		return 0;

	mayfail = memalloc_mayfail_save();
	ret = acpi_memdev_claim(adev);
	memalloc_mayfail_restore(mayfail);
	return ret;
}

/**
 * acpi_memdev_detach - scan handler detach callback for PNP0C80 devices
 * @adev: the device going away
 *
 * Runs under acpi_scan_lock and device_hotplug_lock.  On eject the ACPI
 * core has offlined every bound block before calling this; see the comment
 * at the top of the file for the other paths.
 */
static void acpi_memdev_detach(struct acpi_device *adev)
{
	struct acpi_memdev *md = acpi_driver_data(adev);

	if (!md)
		return;
	adev->driver_data = NULL;
	acpi_memdev_release(md);
}

static struct acpi_scan_handler acpi_memdev_handler = {
	.ids = acpi_memdev_ids,
	.attach = acpi_memdev_attach,
	.detach = acpi_memdev_detach,
	.hotplug = {
		.enabled = true,
	},
};

static bool acpi_memdev_disabled __initdata;

/* acpi_no_memhotplug: parsed early, long before the first namespace scan. */
static int __init acpi_memdev_disable(char *str)
{
	acpi_memdev_disabled = true;
	return 0;
}
early_param("acpi_no_memhotplug", acpi_memdev_disable);

/**
 * acpi_memory_hotplug_init - register the PNP0C80 scan handler
 *
 * Called by acpi_scan_init() before the first namespace scan.  With
 * acpi_no_memhotplug on the command line the handler goes in without an
 * attach callback: the ACPI core then knows the devices are not platform
 * devices, and no memory is added for them.
 */
void __init acpi_memory_hotplug_init(void)
{
	if (acpi_memdev_disabled) {
		acpi_memdev_handler.attach = NULL;
		acpi_scan_add_handler(&acpi_memdev_handler);
		return;
	}
	acpi_scan_add_handler_with_hotplug(&acpi_memdev_handler, "memory");
}

#else /* !CONFIG_ACPI_HOTPLUG_MEMORY */

/* Registered all the same, so that no platform device is made for them. */
static struct acpi_scan_handler acpi_memdev_handler = {
	.ids = acpi_memdev_ids,
};

void __init acpi_memory_hotplug_init(void)
{
	acpi_scan_add_handler(&acpi_memdev_handler);
}

#endif /* CONFIG_ACPI_HOTPLUG_MEMORY */
