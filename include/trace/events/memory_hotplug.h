/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory hot(un)plug events: a range added or removed, a block onlined or
 * offlined (each as a begin/end pair, the end with the result and how long
 * it took), why an offline failed, and how the migration of an offline
 * progresses pass by pass. Reasons and page kinds are recorded as the
 * words memoryN/offline_failure shows (mhp_offline_reason_name(),
 * mhp_page_kind_name()).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM memory_hotplug

#if !defined(_TRACE_MEMORY_HOTPLUG_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_MEMORY_HOTPLUG_H

#include <linux/memory_hotplug.h>
#include <linux/mmzone.h>
#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(mhp_range_begin,
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

DEFINE_EVENT(mhp_range_begin, mhp_add_begin,
	     TP_PROTO(u64 start, u64 size, int nid),
	     TP_ARGS(start, size, nid));

DEFINE_EVENT(mhp_range_begin, mhp_remove_begin,
	     TP_PROTO(u64 start, u64 size, int nid),
	     TP_ARGS(start, size, nid));

DECLARE_EVENT_CLASS(mhp_range_end,
		    TP_PROTO(u64 start, u64 size, int ret, u64 duration_ns),
		    TP_ARGS(start, size, ret, duration_ns),
		    TP_STRUCT__entry(__field(u64, start)
				     __field(u64, size)
				     __field(int, ret)
				     __field(u64, duration_ns)),
		    TP_fast_assign(__entry->start = start;
				   __entry->size = size;
				   __entry->ret = ret;
				   __entry->duration_ns = duration_ns;),
		    TP_printk("range=[%#llx-%#llx] ret=%d duration_ns=%llu",
			      __entry->start,
			      __entry->start + __entry->size - 1,
			      __entry->ret, __entry->duration_ns));

DEFINE_EVENT(mhp_range_end, mhp_add_end,
	     TP_PROTO(u64 start, u64 size, int ret, u64 duration_ns),
	     TP_ARGS(start, size, ret, duration_ns));

DEFINE_EVENT(mhp_range_end, mhp_remove_end,
	     TP_PROTO(u64 start, u64 size, int ret, u64 duration_ns),
	     TP_ARGS(start, size, ret, duration_ns));

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
			     struct zone *zone, int ret, u64 duration_ns),
		    TP_ARGS(start_pfn, nr_pages, zone, ret, duration_ns),
		    TP_STRUCT__entry(__field(unsigned long, start_pfn)
				     __field(unsigned long, nr_pages)
				     __field(int, nid)
				     __field(int, ret)
				     __field(u64, duration_ns)
				     __string(zone, zone->name)),
		    TP_fast_assign(__entry->start_pfn = start_pfn;
				   __entry->nr_pages = nr_pages;
				   __entry->nid = zone_to_nid(zone);
				   __entry->ret = ret;
				   __entry->duration_ns = duration_ns;
				   __assign_str(zone);),
		    TP_printk("pfn=%#lx nr_pages=%lu nid=%d zone=%s ret=%d duration_ns=%llu",
			      __entry->start_pfn, __entry->nr_pages,
			      __entry->nid, __get_str(zone), __entry->ret,
			      __entry->duration_ns));

DEFINE_EVENT(mhp_pages_end, mhp_online_end,
	     TP_PROTO(unsigned long start_pfn, unsigned long nr_pages,
		      struct zone *zone, int ret, u64 duration_ns),
	     TP_ARGS(start_pfn, nr_pages, zone, ret, duration_ns));

DEFINE_EVENT(mhp_pages_end, mhp_offline_end,
	     TP_PROTO(unsigned long start_pfn, unsigned long nr_pages,
		      struct zone *zone, int ret, u64 duration_ns),
	     TP_ARGS(start_pfn, nr_pages, zone, ret, duration_ns));

/* page_pfn is ULONG_MAX and page "none" when no page was named. */
TRACE_EVENT(mhp_offline_fail,
	    TP_PROTO(unsigned long start_pfn, unsigned long nr_pages, int ret,
		     const struct mhp_offline_report *report),
	    TP_ARGS(start_pfn, nr_pages, ret, report),
	    TP_STRUCT__entry(__field(unsigned long, start_pfn)
			     __field(unsigned long, nr_pages)
			     __field(int, ret)
			     __field(unsigned long, page_pfn)
			     __field(void *, notifier)
			     __string(reason, mhp_offline_reason_name(report->reason))
			     __string(page, mhp_page_kind_name(report->kind))),
	    TP_fast_assign(__entry->start_pfn = start_pfn;
			   __entry->nr_pages = nr_pages;
			   __entry->ret = ret;
			   __entry->page_pfn = report->pfn;
			   __entry->notifier = report->notifier;
			   __assign_str(reason);
			   __assign_str(page);),
	    TP_printk("pfn=%#lx nr_pages=%lu ret=%d reason=%s page_pfn=%#lx page=%s notifier=%ps",
		      __entry->start_pfn, __entry->nr_pages, __entry->ret,
		      __get_str(reason), __entry->page_pfn, __get_str(page),
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
