// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the pure logic of the memory hotplug core: parsing of
 * online types and parameters, the zone decisions of both online policies,
 * memmap_on_memory sizing and alignment, range checks, the words of the
 * offline failure reasons and page kinds, how a range is cut into pieces
 * for several CPUs, and how many CPUs help an offline migrate. None of
 * them touches real memory or changes a node's state, so they run at boot
 * on any machine.
 */

#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "memory_hotplug_internal.h"

static void mhp_test_online_type(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, mhp_online_type_from_str("offline"), MMOP_OFFLINE);
	KUNIT_EXPECT_EQ(test, mhp_online_type_from_str("online"), MMOP_ONLINE);
	KUNIT_EXPECT_EQ(test, mhp_online_type_from_str("online_kernel\n"),
			MMOP_ONLINE_KERNEL);
	KUNIT_EXPECT_EQ(test, mhp_online_type_from_str("online_movable"),
			MMOP_ONLINE_MOVABLE);
	KUNIT_EXPECT_EQ(test, mhp_online_type_from_str("online_movable\n"),
			MMOP_ONLINE_MOVABLE);
	KUNIT_EXPECT_EQ(test, mhp_online_type_from_str(""), -EINVAL);
	KUNIT_EXPECT_EQ(test, mhp_online_type_from_str("movable"), -EINVAL);
	KUNIT_EXPECT_EQ(test, mhp_online_type_from_str("Online"), -EINVAL);
	KUNIT_EXPECT_EQ(test, mhp_online_type_from_str("online_kernel "), -EINVAL);
}

static void mhp_test_memmap_mode(struct kunit *test)
{
	enum mhp_memmap_mode mode = MHP_MEMMAP_ON;

	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("0", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_OFF);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("y", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_ON);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("N", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_OFF);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("1", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_ON);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("force", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_FORCE);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("FORCE\n", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_FORCE);

	/* Like any bool parameter, only the first character counts. */
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("forced", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_OFF);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("Force", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_FORCE);

	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("auto", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_AUTO);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("Auto\n", &mode), 0);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_AUTO);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("autox", &mode), -EINVAL);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_AUTO);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("force", &mode), 0);

	/* Rejected values leave the mode alone. */
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("maybe", &mode), -EINVAL);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("2", &mode), -EINVAL);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode("", &mode), -EINVAL);
	KUNIT_EXPECT_EQ(test, mhp_parse_memmap_mode(NULL, &mode), -EINVAL);
	KUNIT_EXPECT_EQ(test, mode, MHP_MEMMAP_FORCE);
}

static void mhp_test_online_policy(struct kunit *test)
{
	enum mhp_online_policy policy = MHP_POLICY_CONTIG_ZONES;
	const char *name;
	char buf[32];
	int i, j;

	/* Each policy: its name round-trips, newline or not; a zone chooser. */
	for (i = 0; i < MHP_NR_ONLINE_POLICIES; i++) {
		name = mhp_online_policies[i].name;
		KUNIT_ASSERT_NOT_NULL(test, name);
		KUNIT_EXPECT_STREQ(test, mhp_online_policy_name(i), name);
		KUNIT_EXPECT_NOT_NULL(test, mhp_online_policies[i].zone_for);
		policy = MHP_NR_ONLINE_POLICIES;
		KUNIT_EXPECT_EQ(test, mhp_parse_online_policy(name, &policy), 0);
		KUNIT_EXPECT_EQ(test, policy, i);
		snprintf(buf, sizeof(buf), "%s\n", name);
		policy = MHP_NR_ONLINE_POLICIES;
		KUNIT_EXPECT_EQ(test, mhp_parse_online_policy(buf, &policy), 0);
		KUNIT_EXPECT_EQ(test, policy, i);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, name,
					    mhp_online_policies[j].name);
	}

	/* The two 6.12 names, and what is not a name leaves @policy alone. */
	KUNIT_EXPECT_EQ(test, mhp_parse_online_policy("auto-movable", &policy), 0);
	KUNIT_EXPECT_EQ(test, policy, MHP_POLICY_AUTO_MOVABLE);
	KUNIT_EXPECT_EQ(test, mhp_parse_online_policy("contig-zones\n", &policy), 0);
	KUNIT_EXPECT_EQ(test, policy, MHP_POLICY_CONTIG_ZONES);
	KUNIT_EXPECT_EQ(test, mhp_parse_online_policy("auto_movable", &policy),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, mhp_parse_online_policy("", &policy), -EINVAL);
	KUNIT_EXPECT_EQ(test, mhp_parse_online_policy(NULL, &policy), -EINVAL);
	KUNIT_EXPECT_EQ(test, policy, MHP_POLICY_CONTIG_ZONES);
}

/* Pages of memmap @block_pages pages need, computed the long way. */
static unsigned long memmap_pages_of(unsigned long block_pages)
{
	unsigned long bytes = block_pages * sizeof(struct page);

	return bytes / PAGE_SIZE + (bytes % PAGE_SIZE ? 1 : 0);
}

static void mhp_test_memmap_sizing(struct kunit *test)
{
	const unsigned long pb = 512;	/* 2 MiB pageblocks of 4 KiB pages */
	unsigned long blk, plain, forced;

	for (blk = 1024; blk <= (1UL << 20); blk <<= 1) {
		plain = mhp_memmap_pages(blk, MHP_MEMMAP_ON, pb);
		forced = mhp_memmap_pages(blk, MHP_MEMMAP_FORCE, pb);
		KUNIT_EXPECT_EQ(test, plain, memmap_pages_of(blk));
		KUNIT_EXPECT_EQ(test, forced % pb, 0UL);
		KUNIT_EXPECT_GE(test, forced, plain);
		KUNIT_EXPECT_LT(test, forced - plain, pb);
		/* Forced sizes always satisfy the pageblock rule. */
		if (forced < blk)
			KUNIT_EXPECT_TRUE(test, mhp_memmap_layout_ok(blk, forced, pb));
	}

	if (sizeof(struct page) != 64)
		kunit_skip(test, "exact figures assume a 64-byte struct page");

	/* 128 MiB block: 2 MiB of memmap, one pageblock. */
	KUNIT_EXPECT_EQ(test, mhp_memmap_pages(32768, MHP_MEMMAP_ON, pb), 512UL);
	KUNIT_EXPECT_TRUE(test, mhp_memmap_layout_ok(32768, 512, pb));
	/* 64 MiB block: half a pageblock; only "force" makes it usable. */
	KUNIT_EXPECT_EQ(test, mhp_memmap_pages(16384, MHP_MEMMAP_ON, pb), 256UL);
	KUNIT_EXPECT_FALSE(test, mhp_memmap_layout_ok(16384, 256, pb));
	KUNIT_EXPECT_EQ(test, mhp_memmap_pages(16384, MHP_MEMMAP_FORCE, pb), 512UL);
	KUNIT_EXPECT_TRUE(test, mhp_memmap_layout_ok(16384, 512, pb));
	/* A block whose memmap ends mid-page. */
	KUNIT_EXPECT_EQ(test, mhp_memmap_pages(100, MHP_MEMMAP_ON, pb), 2UL);
	KUNIT_EXPECT_FALSE(test, mhp_memmap_layout_ok(100, 512, pb));
	/* A memmap that would fill the whole block leaves nothing to online. */
	KUNIT_EXPECT_FALSE(test, mhp_memmap_layout_ok(512, 512, 8));
	KUNIT_EXPECT_FALSE(test, mhp_memmap_layout_ok(1024, 1024, pb));
}

/*
 * memmap_on_memory=auto: the memmap goes on the range exactly when the
 * spare kernel memory is less than the memmap plus 8 KiB per block.
 */
static void mhp_test_memmap_too_dear(struct kunit *test)
{
	const unsigned long blk = SZ_128M / PAGE_SIZE;
	const unsigned long per_block = SZ_8K / PAGE_SIZE;
	unsigned long range, need;

	for (range = blk; range <= 2048 * blk; range <<= 1) {
		need = memmap_pages_of(range) + range / blk * per_block;
		KUNIT_EXPECT_TRUE(test, mhp_memmap_too_dear(0, range, blk));
		KUNIT_EXPECT_TRUE(test, mhp_memmap_too_dear(need - 1, range, blk));
		KUNIT_EXPECT_FALSE(test, mhp_memmap_too_dear(need, range, blk));
		KUNIT_EXPECT_FALSE(test, mhp_memmap_too_dear(ULONG_MAX, range, blk));
	}
	/* A part of a block costs a whole block's overhead. */
	KUNIT_EXPECT_TRUE(test, mhp_memmap_too_dear(memmap_pages_of(blk + 1) +
						    per_block, blk + 1, blk));

	if (sizeof(struct page) != 64 || PAGE_SIZE != SZ_4K)
		kunit_skip(test, "exact figures assume 4 KiB pages and a 64-byte struct page");
	/* 4 GiB: 64 MiB of memmap and 32 blocks of 8 KiB. */
	KUNIT_EXPECT_TRUE(test, mhp_memmap_too_dear(16384 + 63, SZ_4G / PAGE_SIZE, blk));
	KUNIT_EXPECT_FALSE(test, mhp_memmap_too_dear(16384 + 64, SZ_4G / PAGE_SIZE, blk));
}

static void mhp_test_range_fits(struct kunit *test)
{
	const struct range r = { .start = 0x1000, .end = 0x1fff };
	const struct range all = { .start = 0, .end = U64_MAX };

	KUNIT_EXPECT_TRUE(test, mhp_range_fits(0x1000, 0x1000, r));
	KUNIT_EXPECT_TRUE(test, mhp_range_fits(0x1800, 0x800, r));
	KUNIT_EXPECT_TRUE(test, mhp_range_fits(0x1fff, 1, r));
	KUNIT_EXPECT_FALSE(test, mhp_range_fits(0x1000, 0x1001, r));
	KUNIT_EXPECT_FALSE(test, mhp_range_fits(0xfff, 0x10, r));
	KUNIT_EXPECT_FALSE(test, mhp_range_fits(0x2000, 1, r));
	KUNIT_EXPECT_FALSE(test, mhp_range_fits(0x1000, 0, r));
	/* Wrapping around the top of the address space. */
	KUNIT_EXPECT_FALSE(test, mhp_range_fits(U64_MAX - 1, 4, all));
	KUNIT_EXPECT_TRUE(test, mhp_range_fits(U64_MAX - 1, 2, all));
	KUNIT_EXPECT_TRUE(test, mhp_range_fits(0, U64_MAX, all));
}

static void mhp_test_pluggable_range(struct kunit *test)
{
	struct range mapped = mhp_get_pluggable_range(true);
	struct range any = mhp_get_pluggable_range(false);

	KUNIT_EXPECT_LE(test, mapped.start, mapped.end);
	KUNIT_EXPECT_EQ(test, any.start, 0ULL);
	KUNIT_EXPECT_GE(test, any.end, mapped.end);
	/* The first byte past the top can never be plugged. */
	KUNIT_EXPECT_FALSE(test, mhp_range_fits(any.end + 1, 1, any));
}

static void mhp_test_contig_zones(struct kunit *test)
{
	/* Touching one zone: that zone, whatever movable_node says. */
	KUNIT_EXPECT_FALSE(test, mhp_contig_prefers_movable(true, false, false));
	KUNIT_EXPECT_FALSE(test, mhp_contig_prefers_movable(true, false, true));
	KUNIT_EXPECT_TRUE(test, mhp_contig_prefers_movable(false, true, false));
	KUNIT_EXPECT_TRUE(test, mhp_contig_prefers_movable(false, true, true));
	/* Touching none or both: movable_node decides. */
	KUNIT_EXPECT_FALSE(test, mhp_contig_prefers_movable(false, false, false));
	KUNIT_EXPECT_TRUE(test, mhp_contig_prefers_movable(false, false, true));
	KUNIT_EXPECT_FALSE(test, mhp_contig_prefers_movable(true, true, false));
	KUNIT_EXPECT_TRUE(test, mhp_contig_prefers_movable(true, true, true));
}

static void mhp_test_auto_movable_ratio(struct kunit *test)
{
	struct mhp_movable_budget b = { .kernel_early = 1000 };

	/* 301 %: up to 3010 movable pages per 1000 early kernel pages. */
	KUNIT_EXPECT_TRUE(test, mhp_movable_budget_allows(&b, 301, 3010));
	KUNIT_EXPECT_FALSE(test, mhp_movable_budget_allows(&b, 301, 3011));
	b.movable = 3000;
	KUNIT_EXPECT_TRUE(test, mhp_movable_budget_allows(&b, 301, 10));
	KUNIT_EXPECT_FALSE(test, mhp_movable_budget_allows(&b, 301, 11));
	/* 100 %: one to one. */
	b.movable = 0;
	KUNIT_EXPECT_TRUE(test, mhp_movable_budget_allows(&b, 100, 1000));
	KUNIT_EXPECT_FALSE(test, mhp_movable_budget_allows(&b, 100, 1001));
	/* 0 %: nothing may be movable. */
	KUNIT_EXPECT_FALSE(test, mhp_movable_budget_allows(&b, 0, 1));
	/* No early kernel memory at all. */
	b.kernel_early = 0;
	KUNIT_EXPECT_FALSE(test, mhp_movable_budget_allows(&b, 301, 1));
}

static void mhp_test_auto_movable_groups(struct kunit *test)
{
	struct mhp_movable_budget b = {
		.kernel_early = 1000,
		.movable = 2000,
		.other_groups_movable = 2000,
	};

	/* Kernel pages a group's movable pages need at 100 %. */
	KUNIT_EXPECT_EQ(test, mhp_group_kernel_need(2000, 0, 100), 2000UL);
	KUNIT_EXPECT_EQ(test, mhp_group_kernel_need(2000, 500, 100), 1500UL);
	KUNIT_EXPECT_EQ(test, mhp_group_kernel_need(2000, 2500, 100), 0UL);
	KUNIT_EXPECT_EQ(test, mhp_group_kernel_need(301, 0, 301), 100UL);
	KUNIT_EXPECT_EQ(test, mhp_group_kernel_need(5, 0, 0), 0UL);

	/* Another group uses 600 of the 1000 early pages at 301 %. */
	b.other_groups_kernel_need = 600;
	KUNIT_EXPECT_TRUE(test, mhp_movable_budget_allows(&b, 301, 1204));
	KUNIT_EXPECT_FALSE(test, mhp_movable_budget_allows(&b, 301, 1205));
	/* It uses them all: nothing left for anybody else. */
	b.other_groups_kernel_need = 1000;
	KUNIT_EXPECT_FALSE(test, mhp_movable_budget_allows(&b, 301, 1));
	/* A dynamic group's own kernel memory only helps that group. */
	b.other_groups_kernel_need = 1000;
	b.own_kernel = 100;
	KUNIT_EXPECT_FALSE(test, mhp_movable_budget_allows(&b, 301, 1));
	b.other_groups_kernel_need = 900;
	KUNIT_EXPECT_TRUE(test, mhp_movable_budget_allows(&b, 301, 602));
	KUNIT_EXPECT_FALSE(test, mhp_movable_budget_allows(&b, 301, 603));
}

/*
 * cpu_up() calls try_online_node() for the CPU's node and gives up on any
 * value but 0: a node that is online already must answer 0 and stay
 * online. The other half of the contract, a node brought online by the
 * call, would need a real possible node to be onlined at boot on whatever
 * machine runs the suite; it is left to review: that path returns what
 * mhp_publish_node() returns, 0 or a negative errno, never a count.
 */
static void mhp_test_try_online_node(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, try_online_node(first_online_node), 0);
	KUNIT_EXPECT_TRUE(test, node_online(first_online_node));
}

/*
 * The words of the failure reasons and page kinds are an ABI
 * (memoryN/offline_failure, /proc/vmstat): each must be one non-empty
 * word, all different, and "none" must be the zero value.
 */
static void mhp_test_check_words(struct kunit *test,
				 const char *(*name)(unsigned int), unsigned int nr)
{
	unsigned int i, j;

	KUNIT_EXPECT_STREQ(test, name(0), "none");
	KUNIT_EXPECT_STREQ(test, name(nr), "?");
	KUNIT_EXPECT_STREQ(test, name(UINT_MAX), "?");
	for (i = 0; i < nr; i++) {
		const char *w = name(i);

		KUNIT_EXPECT_STRNEQ(test, w, "?");
		KUNIT_EXPECT_GT(test, strlen(w), 0);
		KUNIT_EXPECT_EQ(test, strcspn(w, " =\t\n"), strlen(w));
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, w, name(j));
	}
}

static const char *mhp_test_reason(unsigned int i)
{
	return mhp_offline_reason_name(i);
}

static const char *mhp_test_kind(unsigned int i)
{
	return mhp_page_kind_name(i);
}

static void mhp_test_offline_words(struct kunit *test)
{
	mhp_test_check_words(test, mhp_test_reason, MHP_OFFLINE_NR_REASONS);
	mhp_test_check_words(test, mhp_test_kind, MHP_PAGE_NR_KINDS);
	KUNIT_EXPECT_STREQ(test, mhp_offline_reason_name(MHP_OFFLINE_TIMEOUT),
			   "timeout");
	KUNIT_EXPECT_STREQ(test, mhp_offline_reason_name(MHP_OFFLINE_OOM),
			   "oom");
	KUNIT_EXPECT_STREQ(test, mhp_page_kind_name(MHP_PAGE_SLAB), "slab");
}

/* A fresh report says nothing failed and names no page. */
static void mhp_test_report_init(struct kunit *test)
{
	struct mhp_offline_report report;

	memset(&report, 0x5a, sizeof(report));
	mhp_offline_report_init(&report);
	KUNIT_EXPECT_EQ(test, report.reason, MHP_OFFLINE_NONE);
	KUNIT_EXPECT_EQ(test, report.kind, MHP_PAGE_NONE);
	KUNIT_EXPECT_EQ(test, report.pfn, ULONG_MAX);
	KUNIT_EXPECT_NULL(test, report.notifier);
	KUNIT_EXPECT_EQ(test, report.nr_migrated, 0);
	KUNIT_EXPECT_EQ(test, report.nr_migrate_failed, 0);
}

/*
 * Walk every piece of a planned range: they must be the range, in order,
 * each page once, no piece longer than the plan's, inner boundaries on
 * multiples of @align. Returns the number of pieces.
 */
static unsigned long mhp_test_walk_pieces(struct kunit *test,
					  unsigned long start_pfn,
					  unsigned long nr_pages,
					  const struct mhp_split *plan,
					  unsigned long align)
{
	unsigned long index, pfn, len, expect = start_pfn;

	for (index = 0; ; index++) {
		pfn = mhp_split_piece(start_pfn, nr_pages, plan, index, &len);
		if (!len)
			break;
		KUNIT_EXPECT_EQ(test, pfn, expect);
		KUNIT_EXPECT_LE(test, len, plan->piece);
		if (pfn != start_pfn)
			KUNIT_EXPECT_EQ(test, pfn % align, 0UL);
		expect = pfn + len;
		if (index > nr_pages)	/* a bug would loop forever */
			break;
	}
	KUNIT_EXPECT_EQ(test, expect, start_pfn + nr_pages);
	return index;
}

static void mhp_test_split(struct kunit *test)
{
	const unsigned long align = 1024, block = 32768, base = 0x100000;
	struct mhp_split plan;
	unsigned long len, pfn;

	/* One CPU: one piece, the range. */
	mhp_split_plan(block, 1, align, &plan);
	KUNIT_EXPECT_EQ(test, plan.threads, 1U);
	pfn = mhp_split_piece(base, block, &plan, 0, &len);
	KUNIT_EXPECT_EQ(test, pfn, base);
	KUNIT_EXPECT_EQ(test, len, block);
	mhp_split_piece(base, block, &plan, 1, &len);
	KUNIT_EXPECT_EQ(test, len, 0UL);
	/* 0 CPUs is taken as one. */
	mhp_split_plan(block, 0, align, &plan);
	KUNIT_EXPECT_EQ(test, plan.threads, 1U);

	/* A range too small to be worth a second CPU stays on one. */
	mhp_split_plan(2 * MHP_MIN_PIECE_PAGES - 1, 8, align, &plan);
	KUNIT_EXPECT_EQ(test, plan.threads, 1U);
	mhp_split_plan(2 * MHP_MIN_PIECE_PAGES, 8, align, &plan);
	KUNIT_EXPECT_EQ(test, plan.threads, 2U);

	/* A 128 MiB block on 2 CPUs: 4 pieces each. */
	mhp_split_plan(block, 2, align, &plan);
	KUNIT_EXPECT_EQ(test, plan.threads, 2U);
	KUNIT_EXPECT_EQ(test, plan.piece, block / 8);
	KUNIT_EXPECT_EQ(test, mhp_test_walk_pieces(test, base, block, &plan,
						   align), 8UL);

	/* No more CPUs than pieces of MHP_MIN_PIECE_PAGES. */
	mhp_split_plan(block, MHP_MAX_THREADS * 4, align, &plan);
	KUNIT_EXPECT_EQ(test, plan.threads,
			(unsigned int)(block / MHP_MIN_PIECE_PAGES));

	/* 16 GiB on 8 CPUs. */
	mhp_split_plan(128 * block, 8, align, &plan);
	KUNIT_EXPECT_EQ(test, plan.threads, 8U);
	KUNIT_EXPECT_EQ(test, mhp_test_walk_pieces(test, base, 128 * block,
						   &plan, align), 32UL);

	/*
	 * memmap_on_memory: the range starts after the block's own memmap,
	 * 512 pages in; the first piece is short, the others aligned.
	 */
	mhp_split_plan(block - 512, 2, align, &plan);
	KUNIT_EXPECT_EQ(test, mhp_test_walk_pieces(test, base + 512, block - 512,
						   &plan, align), 8UL);
	pfn = mhp_split_piece(base + 512, block - 512, &plan, 0, &len);
	KUNIT_EXPECT_EQ(test, len, plan.piece - 512);

	/* Odd sizes and starts, every CPU count: always an exact cover. */
	for (len = 2 * MHP_MIN_PIECE_PAGES; len < 8 * block;
	     len += 3 * align + 512) {
		unsigned int threads;

		for (threads = 1; threads <= MHP_MAX_THREADS; threads++) {
			mhp_split_plan(len, threads, align, &plan);
			KUNIT_EXPECT_GE(test, plan.piece, align);
			KUNIT_EXPECT_LE(test, plan.threads, threads);
			mhp_test_walk_pieces(test, base + 512, len, &plan, align);
		}
	}
}

static void mhp_test_migrate_helpers(struct kunit *test)
{
	const unsigned long chunk = MHP_MIGRATE_CHUNK_PAGES;

	/* One CPU, or no CPU count at all: the offlining CPU alone. */
	KUNIT_EXPECT_EQ(test, mhp_migrate_helpers(64 * chunk, 1), 0U);
	KUNIT_EXPECT_EQ(test, mhp_migrate_helpers(64 * chunk, 0), 0U);

	/* Nothing, or one chunk or less: no helper. */
	KUNIT_EXPECT_EQ(test, mhp_migrate_helpers(0, 8), 0U);
	KUNIT_EXPECT_EQ(test, mhp_migrate_helpers(1, 8), 0U);
	KUNIT_EXPECT_EQ(test, mhp_migrate_helpers(chunk, 8), 0U);

	/* A page more than a chunk is two: one helper. */
	KUNIT_EXPECT_EQ(test, mhp_migrate_helpers(chunk + 1, 8), 1U);
	KUNIT_EXPECT_EQ(test, mhp_migrate_helpers(3 * chunk, 8), 2U);

	/* A full 128 MiB block on 2 CPUs: one helper. */
	KUNIT_EXPECT_EQ(test, mhp_migrate_helpers(SZ_128M >> PAGE_SHIFT, 2),
			1U);

	/* Never more than MHP_MAX_THREADS CPUs, whatever is asked for. */
	KUNIT_EXPECT_EQ(test, mhp_migrate_helpers(ULONG_MAX, UINT_MAX),
			(unsigned int)MHP_MAX_THREADS - 1);
	KUNIT_EXPECT_EQ(test, mhp_migrate_helpers(1024 * chunk, 64),
			(unsigned int)MHP_MAX_THREADS - 1);
}

static void mhp_test_ready_take(struct kunit *test)
{
	const unsigned long block = 32768, base = 0x100000;
	struct mhp_ready_memmap ready = {
		.next_pfn = base,
		.end_pfn = base + 4 * block,
		.nid = 1,
		.zid = ZONE_MOVABLE,
	};
	struct mhp_ready_memmap none = {};

	/* Nothing recorded: nothing is ready. */
	KUNIT_EXPECT_FALSE(test, mhp_ready_take(&none, 0, block, 0, 0));
	KUNIT_EXPECT_FALSE(test, mhp_ready_take(&none, base, block, 1,
						ZONE_MOVABLE));

	/* Another zone or node: not ready, and never again. */
	KUNIT_EXPECT_FALSE(test, mhp_ready_take(&ready, base, block, 1,
						ZONE_NORMAL));
	KUNIT_EXPECT_EQ(test, ready.next_pfn, base + block);
	KUNIT_EXPECT_FALSE(test, mhp_ready_take(&ready, base, block, 1,
						ZONE_MOVABLE));
	KUNIT_EXPECT_FALSE(test, mhp_ready_take(&ready, base + block, block,
						0, ZONE_MOVABLE));
	KUNIT_EXPECT_EQ(test, ready.next_pfn, base + 2 * block);

	/* The next block, in order: ready, once. */
	KUNIT_EXPECT_TRUE(test, mhp_ready_take(&ready, base + 2 * block,
					       block, 1, ZONE_MOVABLE));
	KUNIT_EXPECT_FALSE(test, mhp_ready_take(&ready, base + 2 * block,
						block, 1, ZONE_MOVABLE));

	/* Past the end, across it, or empty: not ready, nothing taken. */
	KUNIT_EXPECT_FALSE(test, mhp_ready_take(&ready, base + 4 * block,
						block, 1, ZONE_MOVABLE));
	KUNIT_EXPECT_FALSE(test, mhp_ready_take(&ready, base + 3 * block,
						2 * block, 1, ZONE_MOVABLE));
	KUNIT_EXPECT_FALSE(test, mhp_ready_take(&ready, base + 3 * block, 0,
						1, ZONE_MOVABLE));
	KUNIT_EXPECT_EQ(test, ready.next_pfn, base + 3 * block);

	/* The last block, after a skipped one: ready; the record is used up. */
	ready.next_pfn = base + 2 * block;
	KUNIT_EXPECT_TRUE(test, mhp_ready_take(&ready, base + 3 * block,
					       block, 1, ZONE_MOVABLE));
	KUNIT_EXPECT_EQ(test, ready.next_pfn, ready.end_pfn);
	KUNIT_EXPECT_FALSE(test, mhp_ready_take(&ready, base + 2 * block,
						block, 1, ZONE_MOVABLE));
}

static struct kunit_case mhp_test_cases[] = {
	KUNIT_CASE(mhp_test_online_type),
	KUNIT_CASE(mhp_test_memmap_mode),
	KUNIT_CASE(mhp_test_online_policy),
	KUNIT_CASE(mhp_test_memmap_sizing),
	KUNIT_CASE(mhp_test_memmap_too_dear),
	KUNIT_CASE(mhp_test_range_fits),
	KUNIT_CASE(mhp_test_pluggable_range),
	KUNIT_CASE(mhp_test_contig_zones),
	KUNIT_CASE(mhp_test_auto_movable_ratio),
	KUNIT_CASE(mhp_test_auto_movable_groups),
	KUNIT_CASE(mhp_test_try_online_node),
	KUNIT_CASE(mhp_test_offline_words),
	KUNIT_CASE(mhp_test_report_init),
	KUNIT_CASE(mhp_test_split),
	KUNIT_CASE(mhp_test_migrate_helpers),
	KUNIT_CASE(mhp_test_ready_take),
	{}
};

static struct kunit_suite mhp_test_suite = {
	.name = "memory_hotplug",
	.test_cases = mhp_test_cases,
};

kunit_test_suite(mhp_test_suite);

MODULE_DESCRIPTION("KUnit tests for the memory hotplug core");
MODULE_LICENSE("GPL");
