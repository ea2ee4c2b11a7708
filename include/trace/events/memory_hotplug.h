/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory hot(un)plug events: a range added or removed, a block onlined or
 * offlined (each as a begin/end pair, the end with the result; the ring
 * buffer's timestamps give the time between them), why an offline failed,
 * and how the migration of an offline progresses pass by pass. Reasons and
 * page kinds are recorded as numbers and printed as the words
 * memoryN/offline_failure and offline_failure_page show.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM memory_hotplug

#if !defined(_TRACE_MEMORY_HOTPLUG_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_MEMORY_HOTPLUG_H

#include <linux/memory_hotplug.h>
#include <linux/mmzone.h>
#include <linux/tracepoint.h>

/*
 * The enums' values, for user space tools that parse the format: the
 * words must be those of mhp_offline_reason_name() and mhp_page_kind_name()
 * (the offline_failure scenario compares them).
 */
TRACE_DEFINE_ENUM(MHP_OFFLINE_NONE);
TRACE_DEFINE_ENUM(MHP_OFFLINE_UNMOVABLE);
TRACE_DEFINE_ENUM(MHP_OFFLINE_ISOLATION);
TRACE_DEFINE_ENUM(MHP_OFFLINE_HUGETLB);
TRACE_DEFINE_ENUM(MHP_OFFLINE_NOTIFIER);
TRACE_DEFINE_ENUM(MHP_OFFLINE_SIGNAL);
TRACE_DEFINE_ENUM(MHP_OFFLINE_TIMEOUT);
TRACE_DEFINE_ENUM(MHP_OFFLINE_HOLES);
TRACE_DEFINE_ENUM(MHP_OFFLINE_ZONES);
TRACE_DEFINE_ENUM(MHP_OFFLINE_OOM);
TRACE_DEFINE_ENUM(MHP_PAGE_NONE);
TRACE_DEFINE_ENUM(MHP_PAGE_SLAB);
TRACE_DEFINE_ENUM(MHP_PAGE_PAGETABLE);
TRACE_DEFINE_ENUM(MHP_PAGE_RESERVED);
TRACE_DEFINE_ENUM(MHP_PAGE_HUGETLB);
TRACE_DEFINE_ENUM(MHP_PAGE_DRIVER);
TRACE_DEFINE_ENUM(MHP_PAGE_PINNED);
TRACE_DEFINE_ENUM(MHP_PAGE_USER);
TRACE_DEFINE_ENUM(MHP_PAGE_MOVABLE);
TRACE_DEFINE_ENUM(MHP_PAGE_KERNEL);

#define mhp_show_reason(reason)						\
	__print_symbolic(reason,					\
			 { MHP_OFFLINE_NONE, "none" },			\
			 { MHP_OFFLINE_UNMOVABLE, "unmovable" },	\
			 { MHP_OFFLINE_ISOLATION, "isolation" },	\
			 { MHP_OFFLINE_HUGETLB, "hugetlb" },		\
			 { MHP_OFFLINE_NOTIFIER, "notifier" },		\
			 { MHP_OFFLINE_SIGNAL, "signal" },		\
			 { MHP_OFFLINE_TIMEOUT, "timeout" },		\
			 { MHP_OFFLINE_HOLES, "holes" },		\
			 { MHP_OFFLINE_ZONES, "zones" },		\
			 { MHP_OFFLINE_OOM, "oom" })

#define mhp_show_kind(kind)						\
	__print_symbolic(kind,						\
			 { MHP_PAGE_NONE, "none" },			\
			 { MHP_PAGE_SLAB, "slab" },			\
			 { MHP_PAGE_PAGETABLE, "pagetable" },		\
			 { MHP_PAGE_RESERVED, "reserved" },		\
			 { MHP_PAGE_HUGETLB, "hugetlb" },		\
			 { MHP_PAGE_DRIVER, "driver" },			\
			 { MHP_PAGE_PINNED, "pinned" },			\
			 { MHP_PAGE_USER, "user" },			\
			 { MHP_PAGE_MOVABLE, "movable" },		\
			 { MHP_PAGE_KERNEL, "kernel" })

TRACE_EVENT(mhp_add_begin,
	    TP_PROTO(u64 start, u64 size, int nid),
	    TP_ARGS(start, size, nid),
	    TP_STRUCT__entry(__field(u64, start)
			     __field(u64, size)
			     __field(int, nid)),
	    TP_fast_assign(__entry->start = start;
			   __entry->size = size;
			   __entry->nid = nid;),
	    TP_printk("range=[%#llx-%#llx] nid=%d", __entry->start,
		      __entry->start + __entry->size - 1, __entry->nid));

/* A removal is asked for by range alone: it has no node to record. */
TRACE_EVENT(mhp_remove_begin,
	    TP_PROTO(u64 start, u64 size),
	    TP_ARGS(start, size),
	    TP_STRUCT__entry(__field(u64, start)
			     __field(u64, size)),
	    TP_fast_assign(__entry->start = start;
			   __entry->size = size;),
	    TP_printk("range=[%#llx-%#llx]", __entry->start,
		      __entry->start + __entry->size - 1));

DECLARE_EVENT_CLASS(mhp_range_end,
		    TP_PROTO(u64 start, u64 size, int ret),
		    TP_ARGS(start, size, ret),
		    TP_STRUCT__entry(__field(u64, start)
				     __field(u64, size)
				     __field(int, ret)),
		    TP_fast_assign(__entry->start = start;
				   __entry->size = size;
				   __entry->ret = ret;),
		    TP_printk("range=[%#llx-%#llx] ret=%d", __entry->start,
			      __entry->start + __entry->size - 1,
			      __entry->ret));

DEFINE_EVENT(mhp_range_end, mhp_add_end,
	     TP_PROTO(u64 start, u64 size, int ret),
	     TP_ARGS(start, size, ret));

DEFINE_EVENT(mhp_range_end, mhp_remove_end,
	     TP_PROTO(u64 start, u64 size, int ret),
	     TP_ARGS(start, size, ret));

DECLARE_EVENT_CLASS(mhp_pages_begin,
		    TP_PROTO(unsigned long start_pfn, unsigned long nr_pages,
			     struct zone *zone),
		    TP_ARGS(start_pfn, nr_pages, zone),
		    TP_STRUCT__entry(__field(unsigned long, start_pfn)
				     __field(unsigned long, nr_pages)
				     __field(int, nid)
				     __string(zone, zone->name)),
		    TP_fast_assign(__entry->start_pfn = start_pfn;
				   __entry->nr_pages = nr_pages;
				   __entry->nid = zone_to_nid(zone);
				   __assign_str(zone);),
		    TP_printk("pfn=%#lx nr_pages=%lu nid=%d zone=%s",
			      __entry->start_pfn, __entry->nr_pages,
			      __entry->nid, __get_str(zone)));

DEFINE_EVENT(mhp_pages_begin, mhp_online_begin,
	     TP_PROTO(unsigned long start_pfn, unsigned long nr_pages,
		      struct zone *zone),
	     TP_ARGS(start_pfn, nr_pages, zone));

DEFINE_EVENT(mhp_pages_begin, mhp_offline_begin,
	     TP_PROTO(unsigned long start_pfn, unsigned long nr_pages,
		      struct zone *zone),
	     TP_ARGS(start_pfn, nr_pages, zone));

DECLARE_EVENT_CLASS(mhp_pages_end,
		    TP_PROTO(unsigned long start_pfn, unsigned long nr_pages,
			     int ret),
		    TP_ARGS(start_pfn, nr_pages, ret),
		    TP_STRUCT__entry(__field(unsigned long, start_pfn)
				     __field(unsigned long, nr_pages)
				     __field(int, ret)),
		    TP_fast_assign(__entry->start_pfn = start_pfn;
				   __entry->nr_pages = nr_pages;
				   __entry->ret = ret;),
		    TP_printk("pfn=%#lx nr_pages=%lu ret=%d",
			      __entry->start_pfn, __entry->nr_pages,
			      __entry->ret));

DEFINE_EVENT(mhp_pages_end, mhp_online_end,
	     TP_PROTO(unsigned long start_pfn, unsigned long nr_pages, int ret),
	     TP_ARGS(start_pfn, nr_pages, ret));

DEFINE_EVENT(mhp_pages_end, mhp_offline_end,
	     TP_PROTO(unsigned long start_pfn, unsigned long nr_pages, int ret),
	     TP_ARGS(start_pfn, nr_pages, ret));

/* page_pfn is ULONG_MAX and page "none" when no page was named. */
TRACE_EVENT(mhp_offline_fail,
	    TP_PROTO(unsigned long start_pfn, unsigned long nr_pages, int ret,
		     const struct mhp_offline_report *report),
	    TP_ARGS(start_pfn, nr_pages, ret, report),
	    TP_STRUCT__entry(__field(unsigned long, start_pfn)
			     __field(unsigned long, nr_pages)
			     __field(int, ret)
			     __field(enum mhp_offline_reason, reason)
			     __field(enum mhp_page_kind, kind)
			     __field(unsigned long, page_pfn)
			     __field(void *, notifier)),
	    TP_fast_assign(__entry->start_pfn = start_pfn;
			   __entry->nr_pages = nr_pages;
			   __entry->ret = ret;
			   __entry->reason = report->reason;
			   __entry->kind = report->kind;
			   __entry->page_pfn = report->pfn;
			   __entry->notifier = report->notifier;),
	    TP_printk("pfn=%#lx nr_pages=%lu ret=%d reason=%s page_pfn=%#lx page=%s notifier=%ps",
		      __entry->start_pfn, __entry->nr_pages, __entry->ret,
		      mhp_show_reason(__entry->reason),
		      __entry->page_pfn,
		      mhp_show_kind(__entry->kind),
		      __entry->notifier));

TRACE_EVENT(mhp_offline_pass,
	    TP_PROTO(unsigned long start_pfn, unsigned long nr_pages,
		     unsigned int pass, unsigned long left,
		     unsigned long migrated),
	    TP_ARGS(start_pfn, nr_pages, pass, left, migrated),
	    TP_STRUCT__entry(__field(unsigned long, start_pfn)
			     __field(unsigned long, nr_pages)
			     __field(unsigned int, pass)
			     __field(unsigned long, left)
			     __field(unsigned long, migrated)),
	    TP_fast_assign(__entry->start_pfn = start_pfn;
			   __entry->nr_pages = nr_pages;
			   __entry->pass = pass;
			   __entry->left = left;
			   __entry->migrated = migrated;),
	    TP_printk("pfn=%#lx nr_pages=%lu pass=%u pages_left=%lu migrated=%lu",
		      __entry->start_pfn, __entry->nr_pages, __entry->pass,
		      __entry->left, __entry->migrated));

#endif /* _TRACE_MEMORY_HOTPLUG_H */

/* Outside the guard: define_trace.h includes this file again. */
#include <trace/define_trace.h>
