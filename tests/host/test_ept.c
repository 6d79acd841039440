/*
 * Host tests of the EPT builder (ept/ept.c): the tables live in a heap
 * buffer handed to the real frame allocator, and are checked both through
 * ept_translate and by walking the raw entries here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "ept/ept.h"
#include "lib/frame_alloc.h"

#define KIB 1024ULL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

#define POOL_SIZE  (4 * MIB)
#define MAX_TABLES (POOL_SIZE / FRAME_SIZE)

#define RW_WB  (EPT_READ | EPT_WRITE | EPT_MEMTYPE_WB)
#define RWX_WB (EPT_RWX | EPT_MEMTYPE_WB)

static struct frame_alloc fa;
static void *pool;
static uint64_t start_frames;
static struct ept e;

/* Every table page reachable from the PML4, in walk order. */
struct snap {
	uint32_t n;
	uint64_t pa[MAX_TABLES];
	uint64_t data[MAX_TABLES][512];
};

static struct snap before, after;

static int setup(void **state)
{
	(void)state;
	pool = aligned_alloc(4096, POOL_SIZE);
	assert_non_null(pool);
	memset(pool, 0xa5, POOL_SIZE); /* table pages must be zeroed by ept.c */
	frame_alloc_init(&fa);
	assert_int_equal(frame_alloc_add(&fa, (uint64_t)pool, (uint64_t)pool + POOL_SIZE), 0);
	start_frames = fa.free_frames;
	assert_int_equal(ept_init(&e, &fa), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(pool);
	return 0;
}

/* Copies the tables, checking every entry's shape on the way. */
static void collect(struct snap *s, uint64_t pa, int level)
{
	const uint64_t *t = (const uint64_t *)pa;

	assert_true(pa >= (uint64_t)pool && pa < (uint64_t)pool + POOL_SIZE);
	assert_int_equal(pa & (FRAME_SIZE - 1), 0);
	assert_true(s->n < MAX_TABLES);
	s->pa[s->n] = pa;
	memcpy(s->data[s->n], t, FRAME_SIZE);
	s->n++;
	if (level == 1)
		return;
	for (int i = 0; i < 512; i++) {
		uint64_t ent = t[i];

		if (!(ent & EPT_RWX)) {
			assert_int_equal(ent, 0);
			continue;
		}
		if (level <= 3 && (ent & EPT_LARGE))
			continue;
		/* Non-leaf: the address and RWX, nothing else (no memory type). */
		assert_int_equal(ent & ~EPT_ADDR_MASK, EPT_RWX);
		collect(s, ent & EPT_ADDR_MASK, level - 1);
	}
}

static void snapshot(struct snap *s)
{
	s->n = 0;
	collect(s, hpa_val(e.pml4), 4);
}

static void assert_tables_unchanged(const struct snap *s)
{
	snapshot(&after);
	assert_int_equal(after.n, s->n);
	assert_memory_equal(after.pa, s->pa, s->n * sizeof(s->pa[0]));
	assert_memory_equal(after.data, s->data, s->n * sizeof(s->data[0]));
}

static uint32_t count_tables(void)
{
	snapshot(&after);
	return after.n;
}

static void assert_fa_equal(const struct frame_alloc *a, const struct frame_alloc *b)
{
	assert_true(frame_alloc_check(a));
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->free_frames, b->free_frames);
	for (uint32_t i = 0; i < a->count; i++) {
		assert_int_equal(a->free[i].start, b->free[i].start);
		assert_int_equal(a->free[i].end, b->free[i].end);
	}
}

/* The raw entry for gpa at `level`, walking tables like the CPU. */
static uint64_t *raw_entry(uint64_t gpa, int level)
{
	uint64_t *t = (uint64_t *)hpa_val(e.pml4);

	for (int l = 4; l > level; l--) {
		uint64_t ent = t[(gpa >> (12 + 9 * (l - 1))) & 511];

		assert_int_equal(ent & ~EPT_ADDR_MASK, EPT_RWX);
		t = (uint64_t *)(ent & EPT_ADDR_MASK);
	}
	return &t[(gpa >> (12 + 9 * (level - 1))) & 511];
}

static void assert_mapped(uint64_t gpa, uint64_t hpa, uint64_t flags, int level)
{
	hpa_t got_hpa = hpa_of(0);
	uint64_t got_flags = 0;
	int got_level = 0;

	assert_true(ept_translate(&e, gpa_of(gpa), &got_hpa, &got_flags, &got_level));
	assert_int_equal(hpa_val(got_hpa), hpa);
	assert_int_equal(got_flags, flags);
	assert_int_equal(got_level, level);
}

/* Every 4 KiB page of [gpa, gpa + size), and a byte inside the first and last. */
static void assert_range(uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t flags, int level)
{
	for (uint64_t off = 0; off < size; off += EPT_PAGE_4K)
		assert_mapped(gpa + off, hpa + off, flags, level);
	assert_mapped(gpa + 0x123, hpa + 0x123, flags, level);
	assert_mapped(gpa + size - 1, hpa + size - 1, flags, level);
}

static void assert_unmapped(uint64_t gpa)
{
	hpa_t hpa = hpa_of(0x5a5a);
	uint64_t flags = 0x5a5a;
	int level = 77;

	assert_false(ept_translate(&e, gpa_of(gpa), &hpa, &flags, &level));
	/* Outputs are left alone on a miss. */
	assert_int_equal(hpa_val(hpa), 0x5a5a);
	assert_int_equal(flags, 0x5a5a);
	assert_int_equal(level, 77);
}

static void test_init_and_eptp(void **state)
{
	(void)state;
	assert_int_not_equal(hpa_val(e.pml4), 0);
	assert_int_equal(e.table_pages, 1);
	assert_true(e.use_2m);
	assert_false(e.use_1g);
	assert_int_equal(start_frames - fa.free_frames, 1);
	/* Zeroed although the pool was filled with 0xa5. */
	assert_int_equal(count_tables(), 1);
	assert_int_equal(ept_eptp(&e, false), hpa_val(e.pml4) | 6 | (3 << 3));
	assert_int_equal(ept_eptp(&e, true), hpa_val(e.pml4) | 6 | (3 << 3) | (1 << 6));
}

static void test_init_out_of_memory(void **state)
{
	(void)state;
	struct frame_alloc empty;
	struct ept e2;

	frame_alloc_init(&empty);
	memset(&e2, 0xcc, sizeof(e2));
	assert_int_equal(ept_init(&e2, &empty), EPT_ENOMEM);
	assert_int_equal(hpa_val(e2.pml4), 0);
	assert_int_equal(e2.table_pages, 0);
	assert_false(e2.use_2m);
	assert_false(e2.use_1g);
	/* A map into the zeroed tables is refused, not a NULL dereference. */
	assert_int_equal(ept_map(&e2, &fa, gpa_of(0), hpa_of(0), EPT_PAGE_4K, RW_WB), EPT_EINVAL);
	assert_false(ept_translate(&e2, gpa_of(0), NULL, NULL, NULL));
}

static void test_map_4k_round_trip(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x5000), 3 * EPT_PAGE_4K, RW_WB),
	                 0);
	assert_range(0x1000, 0x5000, 3 * EPT_PAGE_4K, RW_WB, 1);
	assert_unmapped(0);
	assert_unmapped(0x4000);
	/* PML4 + PDPT + PD + PT. */
	assert_int_equal(e.table_pages, 4);
	assert_int_equal(count_tables(), 4);
	assert_int_equal(start_frames - fa.free_frames, 4);
	assert_int_equal(*raw_entry(0x2000, 1), 0x6000 | RW_WB);
}

static void test_map_2m_round_trip(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(4 * MIB), 4 * MIB, RW_WB), 0);
	assert_range(2 * MIB, 4 * MIB, 4 * MIB, RW_WB, 2);
	assert_unmapped(2 * MIB - 1);
	assert_unmapped(6 * MIB);
	assert_int_equal(e.table_pages, 3);
	assert_int_equal(count_tables(), 3);
	assert_int_equal(*raw_entry(4 * MIB, 2), 6 * MIB | RW_WB | EPT_LARGE);

	/* Same shape without 2 MiB pages: one PT per 2 MiB. */
	e.use_2m = false;
	assert_int_equal(ept_map(&e, &fa, gpa_of(16 * MIB), hpa_of(32 * MIB), 4 * MIB, RW_WB), 0);
	assert_range(16 * MIB, 32 * MIB, 4 * MIB, RW_WB, 1);
	assert_int_equal(e.table_pages, 5);
	assert_int_equal(count_tables(), 5);
	assert_int_equal(start_frames - fa.free_frames, 5);
}

static void test_map_1g_round_trip(void **state)
{
	(void)state;
	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(2 * GIB), 1 * GIB, RWX_WB), 0);
	assert_range(1 * GIB, 2 * GIB, 1 * GIB, RWX_WB, 3);
	assert_unmapped(1 * GIB - 1);
	assert_unmapped(2 * GIB);
	assert_int_equal(e.table_pages, 2);
	assert_int_equal(*raw_entry(1 * GIB, 3), 2 * GIB | RWX_WB | EPT_LARGE);

	/* 2 MiB pages only: a PD of 512 leaves. */
	e.use_1g = false;
	assert_int_equal(ept_map(&e, &fa, gpa_of(3 * GIB), hpa_of(5 * GIB), 1 * GIB, RWX_WB), 0);
	assert_mapped(3 * GIB, 5 * GIB, RWX_WB, 2);
	assert_mapped(4 * GIB - 1, 6 * GIB - 1, RWX_WB, 2);
	assert_int_equal(e.table_pages, 3);

	/* 4 KiB pages only: a PD and 512 PTs. */
	e.use_2m = false;
	assert_int_equal(ept_map(&e, &fa, gpa_of(5 * GIB), hpa_of(9 * GIB), 1 * GIB, RWX_WB), 0);
	assert_mapped(5 * GIB, 9 * GIB, RWX_WB, 1);
	assert_mapped(5 * GIB + 0x12345678, 9 * GIB + 0x12345678, RWX_WB, 1);
	assert_mapped(6 * GIB - 1, 10 * GIB - 1, RWX_WB, 1);
	assert_unmapped(6 * GIB);
	assert_int_equal(e.table_pages, 3 + 1 + 512);
	assert_int_equal(count_tables(), 3 + 1 + 512);
	assert_int_equal(start_frames - fa.free_frames, 3 + 1 + 512);
}

static void test_straddling_range(void **state)
{
	(void)state;
	/* 8 KiB head, two 2 MiB pages, 12 KiB tail; hpa congruent mod 2 MiB. */
	uint64_t gpa = 2 * MIB - 8 * KIB, hpa = 1 * GIB + gpa;
	uint64_t size = 8 * KIB + 4 * MIB + 12 * KIB;

	assert_int_equal(ept_map(&e, &fa, gpa_of(gpa), hpa_of(hpa), size, RW_WB), 0);
	assert_range(gpa, hpa, 8 * KIB, RW_WB, 1);
	assert_range(2 * MIB, hpa + 8 * KIB, 4 * MIB, RW_WB, 2);
	assert_range(6 * MIB, hpa + 8 * KIB + 4 * MIB, 12 * KIB, RW_WB, 1);
	assert_unmapped(gpa - EPT_PAGE_4K);
	assert_unmapped(gpa + size);
	/* PML4, PDPT, PD, a PT for the head and one for the tail. */
	assert_int_equal(e.table_pages, 5);
	assert_int_equal(count_tables(), 5);
}

static void test_straddling_all_three_sizes(void **state)
{
	(void)state;
	/* 4 KiB, 2 MiB, 1 GiB, 2 MiB, 4 KiB. */
	uint64_t gpa = 1 * GIB - 2 * MIB - 4 * KIB, hpa = 4 * GIB + gpa;
	uint64_t size = 4 * KIB + 2 * MIB + 1 * GIB + 2 * MIB + 4 * KIB;

	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(gpa), hpa_of(hpa), size, RW_WB), 0);
	assert_mapped(gpa, hpa, RW_WB, 1);
	assert_mapped(gpa + 4 * KIB, hpa + 4 * KIB, RW_WB, 2);
	assert_mapped(1 * GIB, hpa + 4 * KIB + 2 * MIB, RW_WB, 3);
	assert_mapped(2 * GIB - 1, hpa + 4 * KIB + 2 * MIB + 1 * GIB - 1, RW_WB, 3);
	assert_mapped(2 * GIB, hpa + 4 * KIB + 2 * MIB + 1 * GIB, RW_WB, 2);
	assert_mapped(2 * GIB + 2 * MIB, hpa + size - 4 * KIB, RW_WB, 1);
	assert_unmapped(gpa + size);
	assert_unmapped(gpa - 1);
	/* PML4, PDPT, PD + PT below 1 GiB, PD + PT above 2 GiB. */
	assert_int_equal(e.table_pages, 6);
	assert_int_equal(count_tables(), 6);
}

static void test_misaligned_hpa_uses_4k(void **state)
{
	(void)state;
	/* gpa is 2 MiB-aligned but hpa is not: no large page can fit. */
	assert_int_equal(
	        ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(8 * MIB + 4 * KIB), 4 * MIB, RW_WB), 0);
	assert_range(2 * MIB, 8 * MIB + 4 * KIB, 4 * MIB, RW_WB, 1);
	assert_int_equal(e.table_pages, 5);
}

static void test_idempotent_remap(void **state)
{
	(void)state;
	struct frame_alloc fa_before;

	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x9000), 4 * EPT_PAGE_4K, RW_WB),
	                 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(2 * MIB), 2 * MIB, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(3 * GIB), 1 * GIB, RW_WB), 0);
	snapshot(&before);
	fa_before = fa;

	/* The same calls again. */
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x9000), 4 * EPT_PAGE_4K, RW_WB),
	                 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(2 * MIB), 2 * MIB, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(3 * GIB), 1 * GIB, RW_WB), 0);
	/* Sub-ranges of large pages mapped the same way: no split needed. */
	assert_int_equal(ept_map(&e, &fa, gpa_of(3 * MIB), hpa_of(3 * MIB), EPT_PAGE_4K, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB + 4 * MIB), hpa_of(3 * GIB + 4 * MIB),
	                         2 * MIB, RW_WB),
	                 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x2000), hpa_of(0xa000), EPT_PAGE_4K, RW_WB), 0);
	assert_tables_unchanged(&before);
	assert_fa_equal(&fa, &fa_before);
	assert_mapped(3 * MIB, 3 * MIB, RW_WB, 2);
	assert_mapped(1 * GIB + 4 * MIB, 3 * GIB + 4 * MIB, RW_WB, 3);

	/* Accessed/dirty set by the CPU do not make a leaf "different". */
	*raw_entry(0x1000, 1) |= EPT_ACCESSED | EPT_DIRTY;
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x9000), EPT_PAGE_4K, RW_WB), 0);
	assert_mapped(0x1000, 0x9000, RW_WB | EPT_ACCESSED | EPT_DIRTY, 1);

	/* Overlapping an identical part and extending past it: only the new part is added. */
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x3000), hpa_of(0xb000), 4 * EPT_PAGE_4K, RW_WB),
	                 0);
	assert_range(0x2000, 0xa000, 5 * EPT_PAGE_4K, RW_WB, 1);
	assert_int_equal(e.table_pages, before.n);
}

static void test_existing_table_is_filled_in(void **state)
{
	(void)state;
	/* A PT already covers [2M, 4M): a 2 MiB map there fills it in rather than replacing it. */
	assert_int_equal(ept_map(&e, &fa, gpa_of(3 * MIB), hpa_of(5 * MIB), EPT_PAGE_4K, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(4 * MIB), 4 * MIB, RW_WB), 0);
	assert_range(2 * MIB, 4 * MIB, 2 * MIB, RW_WB, 1);
	assert_mapped(4 * MIB, 6 * MIB, RW_WB, 2);
	assert_int_equal(e.table_pages, 4);
	assert_int_equal(count_tables(), 4);
}

/* ept_map must fail with `want` and leave the tables and the allocator untouched. */
static void assert_map_fails(uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t flags, int want)
{
	struct frame_alloc fa_before = fa;
	uint32_t pages = e.table_pages;

	snapshot(&before);
	assert_int_equal(ept_map(&e, &fa, gpa_of(gpa), hpa_of(hpa), size, flags), want);
	assert_tables_unchanged(&before);
	assert_fa_equal(&fa, &fa_before);
	assert_int_equal(e.table_pages, pages);
}

static void test_eexist_changes_nothing(void **state)
{
	(void)state;
	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x9000), 2 * EPT_PAGE_4K, RW_WB),
	                 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(2 * MIB), 2 * MIB, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(3 * GIB), 1 * GIB, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(3 * GIB), hpa_of(8 * MIB), EPT_PAGE_4K, RW_WB), 0);

	/* Different hpa, then different flags, on a 4 KiB page. */
	assert_map_fails(0x1000, 0x8000, EPT_PAGE_4K, RW_WB, EPT_EEXIST);
	assert_map_fails(0x1000, 0x9000, EPT_PAGE_4K, EPT_READ | EPT_MEMTYPE_WB, EPT_EEXIST);
	assert_map_fails(0x2000, 0xa000, EPT_PAGE_4K, RW_WB | EPT_IGNORE_PAT, EPT_EEXIST);
	assert_map_fails(0x1000, 0x9000, EPT_PAGE_4K, EPT_READ | EPT_WRITE | EPT_MEMTYPE_UC,
	                 EPT_EEXIST);
	/* Free pages first, then a conflict at the end. */
	assert_map_fails(0, 0x7000, 3 * EPT_PAGE_4K, RW_WB, EPT_EEXIST);
	/* Inside a 2 MiB page: would need a split. */
	assert_map_fails(3 * MIB, 3 * MIB + 4 * KIB, EPT_PAGE_4K, RW_WB, EPT_EEXIST);
	assert_map_fails(3 * MIB, 3 * MIB, EPT_PAGE_4K, RWX_WB, EPT_EEXIST);
	/* Inside and over a 1 GiB page. */
	assert_map_fails(1 * GIB + 2 * MIB, 3 * GIB + 2 * MIB, 2 * MIB, RWX_WB, EPT_EEXIST);
	assert_map_fails(1 * GIB, 5 * GIB, 1 * GIB, RW_WB, EPT_EEXIST);
	/* A table in the way holding a page mapped elsewhere. */
	assert_map_fails(0, 0, 2 * MIB, RW_WB, EPT_EEXIST);
	/*
	 * 4 MiB of unmapped space needing a PD and two PTs, then the page at
	 * 3 GiB mapped elsewhere: the conflict is found before a table is taken.
	 */
	e.use_2m = false;
	assert_map_fails(3 * GIB - 4 * MIB, 16 * MIB, 4 * MIB + EPT_PAGE_4K, RW_WB, EPT_EEXIST);
	assert_unmapped(3 * GIB - 4 * MIB);
	assert_mapped(3 * GIB, 8 * MIB, RW_WB, 1);
}

static void test_enomem_changes_nothing(void **state)
{
	(void)state;
	struct frame_alloc fa_before;
	uint64_t last = 0;

	/* Leave two frames: a map into an empty PML4 slot needs three tables. */
	while (fa.free_frames > 2) {
		last = frame_alloc_alloc(&fa, 1, 0);
		assert_int_not_equal(last, 0);
	}
	fa_before = fa;
	snapshot(&before);
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x1000), EPT_PAGE_4K, RW_WB),
	                 EPT_ENOMEM);
	assert_tables_unchanged(&before);
	assert_fa_equal(&fa, &fa_before);
	assert_int_equal(e.table_pages, 1);
	assert_unmapped(0x1000);
	/* A 2 MiB page elsewhere needs just a PDPT and a PD: fits exactly. */
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(2 * MIB), 2 * MIB, RW_WB), 0);
	assert_int_equal(fa.free_frames, 0);
	assert_int_equal(e.table_pages, 3);
	/* Now the PT is the one frame missing. */
	assert_map_fails(0x1000, 0x1000, EPT_PAGE_4K, RW_WB, EPT_ENOMEM);
	assert_int_equal(frame_alloc_free(&fa, last, 1), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x1000), EPT_PAGE_4K, RW_WB), 0);
	assert_mapped(0x1000, 0x1000, RW_WB, 1);
	assert_int_equal(fa.free_frames, 0);
	assert_int_equal(e.table_pages, 4);
}

static void test_enomem_after_partial_allocation(void **state)
{
	(void)state;
	struct frame_alloc fa_before;

	/* Two separate 1 GiB slots with 4 KiB pages need 2 PDs + 2 PTs + PDPT. */
	while (fa.free_frames > 4)
		assert_int_not_equal(frame_alloc_alloc(&fa, 1, 0), 0);
	fa_before = fa;
	snapshot(&before);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB - 4 * KIB), hpa_of(0), 8 * KIB, RW_WB),
	                 EPT_ENOMEM);
	assert_tables_unchanged(&before);
	assert_fa_equal(&fa, &fa_before);
	assert_unmapped(1 * GIB);
}

static void test_einval(void **state)
{
	(void)state;
	const uint64_t bad_flags[] = {
	        0,
	        EPT_MEMTYPE_WB,
	        EPT_WRITE | EPT_MEMTYPE_WB,
	        EPT_WRITE | EPT_EXEC | EPT_MEMTYPE_WB,
	        EPT_READ | (2ULL << EPT_MEMTYPE_SHIFT),
	        EPT_READ | (3ULL << EPT_MEMTYPE_SHIFT),
	        EPT_READ | (7ULL << EPT_MEMTYPE_SHIFT),
	        RW_WB | EPT_LARGE,
	        RW_WB | EPT_ACCESSED,
	        RW_WB | EPT_DIRTY,
	        RW_WB | (1ULL << 12),
	        RW_WB | (1ULL << 52),
	        EPT_USER_EXEC | EPT_MEMTYPE_WB,
	};

	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x1000), EPT_PAGE_4K, RW_WB), 0);
	for (size_t i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++)
		assert_map_fails(2 * MIB, 2 * MIB, EPT_PAGE_4K, bad_flags[i], EPT_EINVAL);
	/* Even where an identical mapping would otherwise be accepted. */
	assert_map_fails(0x1000, 0x1000, EPT_PAGE_4K, RW_WB | EPT_LARGE, EPT_EINVAL);

	assert_map_fails(2 * MIB + 1, 2 * MIB, EPT_PAGE_4K, RW_WB, EPT_EINVAL);
	assert_map_fails(2 * MIB, 2 * MIB + 0x800, EPT_PAGE_4K, RW_WB, EPT_EINVAL);
	assert_map_fails(2 * MIB, 2 * MIB, EPT_PAGE_4K + 1, RW_WB, EPT_EINVAL);
	assert_map_fails(2 * MIB, 2 * MIB, 0, RW_WB, EPT_EINVAL);
	assert_map_fails(EPT_GPA_LIMIT, 0, EPT_PAGE_4K, RW_WB, EPT_EINVAL);
	assert_map_fails(EPT_GPA_LIMIT - EPT_PAGE_4K, 0, 2 * EPT_PAGE_4K, RW_WB, EPT_EINVAL);
	assert_map_fails(-EPT_PAGE_4K, 0, EPT_PAGE_4K, RW_WB, EPT_EINVAL);
	assert_map_fails(0, 0, -EPT_PAGE_4K, RW_WB, EPT_EINVAL);
	assert_map_fails(0, EPT_HPA_LIMIT, EPT_PAGE_4K, RW_WB, EPT_EINVAL);
	assert_map_fails(0, EPT_HPA_LIMIT - EPT_PAGE_4K, 2 * EPT_PAGE_4K, RW_WB, EPT_EINVAL);
	assert_map_fails(0, -EPT_PAGE_4K, EPT_PAGE_4K, RW_WB, EPT_EINVAL);
	assert_unmapped(2 * MIB);
}

static void test_limits(void **state)
{
	(void)state;
	uint64_t top = EPT_GPA_LIMIT - EPT_PAGE_4K, htop = EPT_HPA_LIMIT - EPT_PAGE_4K;

	/* The very last page of both spaces. */
	assert_int_equal(ept_map(&e, &fa, gpa_of(top), hpa_of(htop), EPT_PAGE_4K, RW_WB), 0);
	assert_mapped(top + 0xfff, htop + 0xfff, RW_WB, 1);
	/* Not aliased by the bits above 47. */
	assert_unmapped(EPT_GPA_LIMIT + top);
	assert_unmapped(-1ULL);
	assert_int_equal(
	        ept_map(&e, &fa, gpa_of(0), hpa_of(0), EPT_PAGE_4K, EPT_READ | EPT_MEMTYPE_UC), 0);
	assert_mapped(0, 0, EPT_READ | EPT_MEMTYPE_UC, 1);
	assert_unmapped(EPT_GPA_LIMIT);
	assert_int_equal(e.table_pages, 7);
}

static void test_translate_unmapped(void **state)
{
	(void)state;
	struct ept zero;

	assert_unmapped(0);
	assert_unmapped(0x201000);
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x201000), hpa_of(0x1000), EPT_PAGE_4K, RW_WB), 0);
	assert_unmapped(0x200000); /* same PT */
	assert_unmapped(0x202000);
	assert_unmapped(0x400000);  /* same PD, no PT */
	assert_unmapped(1 * GIB);   /* same PDPT, no PD */
	assert_unmapped(512 * GIB); /* no PDPT */
	assert_unmapped(EPT_GPA_LIMIT + 0x201000);
	/* NULL outputs are allowed. */
	assert_true(ept_translate(&e, gpa_of(0x201000), NULL, NULL, NULL));
	memset(&zero, 0, sizeof(zero));
	assert_false(ept_translate(&zero, gpa_of(0), NULL, NULL, NULL));
}

/* ept_leaf_slot: the 4 KiB slot under existing tables, written in place. */
static void test_leaf_slot(void **state)
{
	struct ept zero;
	uint64_t *slot;
	hpa_t hpa;

	(void)state;
	assert_null(ept_leaf_slot(&e, gpa_of(0x201000))); /* no tables yet */
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x201000), hpa_of(0x1000), EPT_PAGE_4K, RW_WB), 0);
	slot = ept_leaf_slot(&e, gpa_of(0x202000)); /* same table, empty slot */
	assert_non_null(slot);
	assert_int_equal(*slot, 0);
	*slot = 0x5000 | RW_WB;
	assert_true(ept_translate(&e, gpa_of(0x202abc), &hpa, NULL, NULL));
	assert_int_equal(hpa_val(hpa), 0x5abc);
	assert_int_equal(*ept_leaf_slot(&e, gpa_of(0x201fff)), 0x1000 | RW_WB);
	assert_null(ept_leaf_slot(&e, gpa_of(0x400000))); /* no PT there */
	assert_null(ept_leaf_slot(&e, gpa_of(EPT_GPA_LIMIT)));
	/* Under a large leaf there is no 4 KiB slot. */
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x600000), hpa_of(0x600000), EPT_PAGE_2M, RW_WB),
	                 0);
	assert_null(ept_leaf_slot(&e, gpa_of(0x601000)));
	memset(&zero, 0, sizeof(zero));
	assert_null(ept_leaf_slot(&zero, gpa_of(0)));
}

static void test_leaf_flags_and_level(void **state)
{
	(void)state;
	const uint64_t flags[] = {
	        EPT_EXEC | EPT_MEMTYPE_WB,
	        EPT_READ | EPT_MEMTYPE_UC,
	        EPT_READ | EPT_EXEC | EPT_MEMTYPE_WC,
	        EPT_RWX | EPT_MEMTYPE_WT | EPT_IGNORE_PAT,
	        EPT_READ | EPT_MEMTYPE_WP | EPT_SUPPRESS_VE,
	        EPT_READ | EPT_EXEC | EPT_USER_EXEC | EPT_MEMTYPE_WB,
	        EPT_LEAF_FLAGS & ~EPT_MEMTYPE_MASK,
	};

	e.use_1g = true;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		uint64_t g = 0x10000 + i * EPT_PAGE_4K;

		assert_int_equal(
		        ept_map(&e, &fa, gpa_of(g), hpa_of(0x80000 + g), EPT_PAGE_4K, flags[i]), 0);
		assert_mapped(g, 0x80000 + g, flags[i], 1);
		assert_int_equal(*raw_entry(g, 1), (0x80000 + g) | flags[i]);
	}
	/* Large leaves: bit 7 in the entry, not in the reported flags. */
	assert_int_equal(ept_map(&e, &fa, gpa_of(4 * MIB), hpa_of(4 * MIB), 2 * MIB, flags[4]), 0);
	assert_mapped(5 * MIB, 5 * MIB, flags[4], 2);
	assert_int_equal(*raw_entry(4 * MIB, 2), 4 * MIB | flags[4] | EPT_LARGE);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(0), 1 * GIB, flags[3]), 0);
	assert_mapped(1 * GIB + 7, 7, flags[3], 3);
	assert_int_equal(*raw_entry(1 * GIB, 3), flags[3] | EPT_LARGE);
}

/* The entry for gpa at `level`, whatever the entries above hold. */
static uint64_t *entry_at(uint64_t gpa, int level)
{
	uint64_t *t = hpa_ptr(e.pml4);

	for (int l = 4; l > level; l--)
		t = (uint64_t *)(t[(gpa >> (12 + 9 * (l - 1))) & 511] & EPT_ADDR_MASK);
	return &t[(gpa >> (12 + 9 * (level - 1))) & 511];
}

/* Umbra's tables through the generic walker, with the given rules. */
static void walk_with(const struct ept_walk_rules *rules, uint64_t gpa, struct ept_walk *w)
{
	const struct ept_tables t = {
	        .pml4 = hpa_val(e.pml4),
	        .rules = *rules,
	        .read_entry = ept_read_identity,
	};

	ept_walk_tables(&t, gpa, w);
}

static const struct ept_walk_rules all_allowed = {
        .exec_only = true, .allow_2m = true, .allow_1g = true, .ad = true};

/* The walk of gpa under `rules` ends with this status, misconfiguration and level. */
static void assert_walk_ends(const struct ept_walk_rules *rules, uint64_t gpa,
                             enum ept_walk_status status, enum ept_misconfig why, int level)
{
	struct ept_walk w;

	walk_with(rules, gpa, &w);
	assert_int_equal(w.status, status);
	assert_int_equal(w.misconfig, why);
	assert_int_equal(w.level, level);
}

static void test_walk_result(void **state)
{
	(void)state;
	struct ept_walk w;
	hpa_t out = hpa_of(0);

	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x5000), hpa_of(0x9000), EPT_PAGE_4K,
	                         EPT_READ | EPT_EXEC | EPT_MEMTYPE_WT | EPT_IGNORE_PAT),
	                 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(6 * MIB), 2 * MIB, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(3 * GIB), 1 * GIB,
	                         EPT_RWX | EPT_MEMTYPE_UC),
	                 0);

	assert_true(ept_walk(&e, gpa_of(0x5123), &w, &out));
	assert_int_equal(w.status, EPT_WALK_OK);
	assert_int_equal(w.misconfig, EPT_MISCONFIG_NONE);
	assert_int_equal(hpa_val(out), 0x9123);
	assert_int_equal(w.out, 0x9123);
	assert_int_equal(w.level, 1);
	assert_int_equal(w.perm, EPT_READ | EPT_EXEC);
	assert_int_equal(w.memtype, 4);
	assert_true(w.ignore_pat);
	assert_false(w.accessed);
	assert_false(w.dirty);
	assert_int_equal(w.entry, *entry_at(0x5000, 1));

	assert_true(ept_walk(&e, gpa_of(3 * MIB + 7), &w, &out));
	assert_int_equal(hpa_val(out), 7 * MIB + 7);
	assert_int_equal(w.level, 2);
	assert_int_equal(w.perm, EPT_READ | EPT_WRITE);
	assert_int_equal(w.memtype, 6);
	assert_false(w.ignore_pat);
	assert_int_equal(w.entry, 6 * MIB | RW_WB | EPT_LARGE);

	/* The CPU's accessed and dirty bits are reported; NULL output is fine. */
	*entry_at(1 * GIB, 3) |= EPT_ACCESSED | EPT_DIRTY;
	assert_true(ept_walk(&e, gpa_of(2 * GIB - 1), &w, NULL));
	assert_int_equal(w.out, 4 * GIB - 1);
	assert_int_equal(w.level, 3);
	assert_int_equal(w.perm, EPT_RWX);
	assert_int_equal(w.memtype, 0);
	assert_true(w.accessed);
	assert_true(w.dirty);

	/* Without A/D enabled, bits 8 and 9 are ignored. */
	struct ept_walk_rules no_ad = all_allowed;

	no_ad.ad = false;
	walk_with(&no_ad, 1 * GIB, &w);
	assert_int_equal(w.status, EPT_WALK_OK);
	assert_false(w.accessed);
	assert_false(w.dirty);
}

static void test_walk_not_present(void **state)
{
	(void)state;
	struct ept_walk w;
	struct ept zero;
	hpa_t out = hpa_of(0x77);

	assert_false(ept_walk(&e, gpa_of(0), &w, &out));
	assert_int_equal(w.status, EPT_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 4);
	assert_int_equal(w.entry, 0);
	assert_int_equal(w.perm, 0);
	assert_int_equal(hpa_val(out), 0x77);

	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x1000), EPT_PAGE_4K, RW_WB), 0);
	assert_walk_ends(&all_allowed, 512 * GIB, EPT_WALK_NOT_PRESENT, 0, 4);
	assert_walk_ends(&all_allowed, 1 * GIB, EPT_WALK_NOT_PRESENT, 0, 3);
	assert_walk_ends(&all_allowed, 2 * MIB, EPT_WALK_NOT_PRESENT, 0, 2);
	assert_walk_ends(&all_allowed, 0x2000, EPT_WALK_NOT_PRESENT, 0, 1);
	/* Reserved bits in an entry that is not present do not matter: a violation. */
	*entry_at(0x2000, 1) = 0xfff0000000000ff8ULL;
	assert_walk_ends(&all_allowed, 0x2000, EPT_WALK_NOT_PRESENT, 0, 1);
	walk_with(&all_allowed, 0x2000, &w);
	assert_int_equal(w.entry, 0xfff0000000000ff8ULL);
	assert_int_equal(w.perm, 0);

	/* Beyond what 4 levels translate. */
	walk_with(&all_allowed, EPT_GPA_LIMIT + 0x1000, &w);
	assert_int_equal(w.status, EPT_WALK_OUT_OF_RANGE);
	assert_int_equal(w.level, 0);
	memset(&zero, 0, sizeof(zero));
	assert_false(ept_walk(&zero, gpa_of(0x1000), &w, NULL));
	assert_int_equal(w.status, EPT_WALK_NOT_PRESENT);
	assert_int_equal(w.level, 4);
}

static void test_walk_perm_anded_over_levels(void **state)
{
	(void)state;
	struct ept_walk w;
	struct ept_walk_rules mbec = all_allowed;

	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x1000), EPT_PAGE_4K, RWX_WB), 0);
	*entry_at(0x1000, 4) &= ~EPT_WRITE;
	*entry_at(0x1000, 2) &= ~EPT_EXEC;
	walk_with(&all_allowed, 0x1000, &w);
	assert_int_equal(w.status, EPT_WALK_OK);
	assert_int_equal(w.perm, EPT_READ);
	/* Bit 10 counts only with mode-based execute control. */
	*entry_at(0x1000, 1) |= EPT_USER_EXEC;
	*entry_at(0x1000, 2) |= EPT_EXEC;
	walk_with(&all_allowed, 0x1000, &w);
	assert_int_equal(w.perm, EPT_READ | EPT_EXEC);
	mbec.mbec = true;
	walk_with(&mbec, 0x1000, &w);
	assert_int_equal(w.perm, EPT_READ | EPT_EXEC);
	for (int level = 2; level <= 4; level++)
		*entry_at(0x1000, level) |= EPT_USER_EXEC;
	walk_with(&mbec, 0x1000, &w);
	assert_int_equal(w.perm, EPT_READ | EPT_EXEC | EPT_USER_EXEC);
	/* A not-present entry: what was AND-ed so far, and its own bits. */
	*entry_at(0x1000, 1) = 0;
	walk_with(&mbec, 0x1000, &w);
	assert_int_equal(w.status, EPT_WALK_NOT_PRESENT);
	assert_int_equal(w.perm, 0);
}

static void test_walk_misconfig(void **state)
{
	(void)state;
	struct ept_walk_rules r = all_allowed;
	uint64_t *pte, *pde, *pdpte, *pml4e, *pde2m, *pdpte1g;
	uint64_t saved;

	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x1000), EPT_PAGE_4K, RWX_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(2 * MIB), 2 * MIB, RWX_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(1 * GIB), 1 * GIB, RWX_WB), 0);
	pte = entry_at(0x1000, 1);
	pde = entry_at(0x1000, 2);
	pdpte = entry_at(0x1000, 3);
	pml4e = entry_at(0x1000, 4);
	pde2m = entry_at(2 * MIB, 2);
	pdpte1g = entry_at(1 * GIB, 3);

	/* Walks gpa with *ent's bits_clear cleared and bits_set set, then puts *ent back. */
#define WITH_ENTRY(ent, bits_clear, bits_set, rules, gpa, status, why, level) \
	do {                                                                  \
		saved = *(ent);                                               \
		*(ent) = (*(ent) & ~(uint64_t)(bits_clear)) | (bits_set);     \
		assert_walk_ends(rules, gpa, status, why, level);             \
		*(ent) = saved;                                               \
	} while (0)

	/* Write without read: 010b, 110b, at a leaf and above it. */
	WITH_ENTRY(pte, EPT_RWX, EPT_WRITE, &r, 0x1000, EPT_WALK_MISCONFIG,
	           EPT_MISCONFIG_WRITE_NO_READ, 1);
	WITH_ENTRY(pde, EPT_READ, 0, &r, 0x1000, EPT_WALK_MISCONFIG, EPT_MISCONFIG_WRITE_NO_READ,
	           2);
	WITH_ENTRY(pml4e, EPT_READ, 0, &r, 0x1000, EPT_WALK_MISCONFIG, EPT_MISCONFIG_WRITE_NO_READ,
	           4);
	/* Execute-only: fine if allowed, else a misconfiguration. */
	WITH_ENTRY(pte, EPT_RWX, EPT_EXEC, &r, 0x1000, EPT_WALK_OK, 0, 1);
	r.exec_only = false;
	WITH_ENTRY(pte, EPT_RWX, EPT_EXEC, &r, 0x1000, EPT_WALK_MISCONFIG, EPT_MISCONFIG_EXEC_ONLY,
	           1);
	WITH_ENTRY(pdpte, EPT_RWX, EPT_EXEC, &r, 0x1000, EPT_WALK_MISCONFIG,
	           EPT_MISCONFIG_EXEC_ONLY, 3);
	/* User-execute alone: not present without MBEC, execute-only with it. */
	WITH_ENTRY(pte, EPT_RWX, EPT_USER_EXEC, &r, 0x1000, EPT_WALK_NOT_PRESENT, 0, 1);
	r.mbec = true;
	WITH_ENTRY(pte, EPT_RWX, EPT_USER_EXEC, &r, 0x1000, EPT_WALK_MISCONFIG,
	           EPT_MISCONFIG_EXEC_ONLY, 1);
	r.exec_only = true;
	WITH_ENTRY(pte, EPT_RWX, EPT_USER_EXEC, &r, 0x1000, EPT_WALK_OK, 0, 1);
	r = all_allowed;

	/* Page-size bit: never in a PML4E; 2 MiB and 1 GiB only if allowed. */
	WITH_ENTRY(pml4e, 0, EPT_LARGE, &r, 0x1000, EPT_WALK_MISCONFIG, EPT_MISCONFIG_LARGE, 4);
	r.allow_1g = false;
	assert_walk_ends(&r, 1 * GIB, EPT_WALK_MISCONFIG, EPT_MISCONFIG_LARGE, 3);
	assert_walk_ends(&r, 2 * MIB, EPT_WALK_OK, 0, 2);
	r.allow_2m = false;
	assert_walk_ends(&r, 2 * MIB, EPT_WALK_MISCONFIG, EPT_MISCONFIG_LARGE, 2);
	assert_walk_ends(&r, 0x1000, EPT_WALK_OK, 0, 1);
	r = all_allowed;

	/* Reserved bits per level (SDM Tables 29-1 to 29-6). */
	for (int bit = 3; bit <= 6; bit++) {
		WITH_ENTRY(pml4e, 0, 1ULL << bit, &r, 0x1000, EPT_WALK_MISCONFIG,
		           EPT_MISCONFIG_RESERVED, 4);
		WITH_ENTRY(pdpte, 0, 1ULL << bit, &r, 0x1000, EPT_WALK_MISCONFIG,
		           EPT_MISCONFIG_RESERVED, 3);
		WITH_ENTRY(pde, 0, 1ULL << bit, &r, 0x1000, EPT_WALK_MISCONFIG,
		           EPT_MISCONFIG_RESERVED, 2);
	}
	WITH_ENTRY(pde2m, 0, 1ULL << 12, &r, 2 * MIB, EPT_WALK_MISCONFIG, EPT_MISCONFIG_RESERVED,
	           2);
	WITH_ENTRY(pde2m, 0, 1ULL << 20, &r, 2 * MIB, EPT_WALK_MISCONFIG, EPT_MISCONFIG_RESERVED,
	           2);
	WITH_ENTRY(pdpte1g, 0, 1ULL << 12, &r, 1 * GIB, EPT_WALK_MISCONFIG, EPT_MISCONFIG_RESERVED,
	           3);
	WITH_ENTRY(pdpte1g, 0, 1ULL << 29, &r, 1 * GIB, EPT_WALK_MISCONFIG, EPT_MISCONFIG_RESERVED,
	           3);
	WITH_ENTRY(pdpte1g, 0, 1ULL << 30, &r, 1 * GIB, EPT_WALK_OK, 0, 3);
	/* Bits 51:maxphyaddr, at every level. */
	WITH_ENTRY(pte, 0, 1ULL << 51, &r, 0x1000, EPT_WALK_OK, 0, 1);
	/* 47 bits: the tables' own (heap) addresses still fit. */
	r.maxphyaddr = 47;
	WITH_ENTRY(pte, 0, 1ULL << 46, &r, 0x1000, EPT_WALK_OK, 0, 1);
	WITH_ENTRY(pte, 0, 1ULL << 47, &r, 0x1000, EPT_WALK_MISCONFIG, EPT_MISCONFIG_RESERVED, 1);
	WITH_ENTRY(pte, 0, 1ULL << 51, &r, 0x1000, EPT_WALK_MISCONFIG, EPT_MISCONFIG_RESERVED, 1);
	WITH_ENTRY(pml4e, 0, 1ULL << 47, &r, 0x1000, EPT_WALK_MISCONFIG, EPT_MISCONFIG_RESERVED, 4);
	WITH_ENTRY(pdpte1g, 0, 1ULL << 48, &r, 1 * GIB, EPT_WALK_MISCONFIG, EPT_MISCONFIG_RESERVED,
	           3);
	r = all_allowed;
	/* Ignored bits: 11, 52-62, bit 7 of a PTE, bit 10 without MBEC, A/D without A/D. */
	r.ad = false;
	WITH_ENTRY(pte, 0,
	           (1ULL << 11) | (0x7ffULL << 52) | EPT_LARGE | EPT_USER_EXEC | EPT_ACCESSED |
	                   EPT_DIRTY,
	           &r, 0x1000, EPT_WALK_OK, 0, 1);
	WITH_ENTRY(pml4e, 0,
	           (1ULL << 11) | (0xfffULL << 52) | EPT_USER_EXEC | EPT_ACCESSED | EPT_DIRTY, &r,
	           0x1000, EPT_WALK_OK, 0, 1);
	r = all_allowed;

	/* Leaf memory types 2, 3 and 7 are reserved; the others are fine. */
	for (uint64_t type = 0; type < 8; type++) {
		bool bad = type == 2 || type == 3 || type == 7;

		WITH_ENTRY(pte, EPT_MEMTYPE_MASK, type << EPT_MEMTYPE_SHIFT, &r, 0x1000,
		           bad ? EPT_WALK_MISCONFIG : EPT_WALK_OK, bad ? EPT_MISCONFIG_MEMTYPE : 0,
		           1);
		WITH_ENTRY(pde2m, EPT_MEMTYPE_MASK, type << EPT_MEMTYPE_SHIFT, &r, 2 * MIB,
		           bad ? EPT_WALK_MISCONFIG : EPT_WALK_OK, bad ? EPT_MISCONFIG_MEMTYPE : 0,
		           2);
		WITH_ENTRY(pdpte1g, EPT_MEMTYPE_MASK, type << EPT_MEMTYPE_SHIFT, &r, 1 * GIB,
		           bad ? EPT_WALK_MISCONFIG : EPT_WALK_OK, bad ? EPT_MISCONFIG_MEMTYPE : 0,
		           3);
	}
#undef WITH_ENTRY
}

/*
 * An L1's memory as the walker sees it through an accessor: a buffer of
 * pages at L1 guest-physical 0, and a count of the reads.
 */
struct l1_mem {
	uint64_t *pages;
	uint64_t size;
	unsigned int reads;
};

static bool l1_read_entry(void *ctx, uint64_t table, unsigned int index, uint64_t *entry)
{
	struct l1_mem *m = ctx;

	m->reads++;
	if (table & (EPT_PAGE_4K - 1) || index >= 512 || table >= m->size)
		return false;
	*entry = m->pages[table / 8 + index];
	return true;
}

static void test_walk_l1_tables(void **state)
{
	(void)state;
	struct l1_mem m = {.size = 5 * EPT_PAGE_4K};
	struct ept_tables t = {
	        .pml4 = 0x1000,
	        .rules = {.allow_2m = true},
	        .read_entry = l1_read_entry,
	        .ctx = &m,
	};
	struct ept_walk w;
	gpa_t out = gpa_of(0);
	uint64_t in = (1ULL << 39) | (2ULL << 30) | (3ULL << 21) | (4ULL << 12) | 0x567;

	m.pages = calloc(m.size / 8, 8);
	assert_non_null(m.pages);
	/* L2 gpa `in` -> PML4 at 0x1000, PDPT at 0x2000, PD at 0x3000, PT at 0x4000. */
	m.pages[0x1000 / 8 + 1] = 0x2000 | EPT_RWX;
	m.pages[0x2000 / 8 + 2] = 0x3000 | EPT_READ | EPT_EXEC;
	m.pages[0x3000 / 8 + 3] = 0x4000 | EPT_RWX;
	m.pages[0x4000 / 8 + 4] = 0xabcd000 | RWX_WB;
	/* A 2 MiB leaf beside it. */
	m.pages[0x3000 / 8 + 4] = 0x40000000 | RW_WB | EPT_LARGE;

	assert_true(ept_walk_l1(&t, l2gpa_of(in), &w, &out));
	assert_int_equal(gpa_val(out), 0xabcd567);
	assert_int_equal(w.level, 1);
	assert_int_equal(w.perm, EPT_READ | EPT_EXEC);
	assert_int_equal(m.reads, 4);
	assert_true(
	        ept_walk_l1(&t, l2gpa_of((in & ~(EPT_PAGE_2M - 1)) + 2 * MIB + 0x12345), &w, &out));
	assert_int_equal(gpa_val(out), 0x40012345);
	assert_int_equal(w.level, 2);
	assert_int_equal(w.perm, EPT_READ);
	/* Execute-only is not offered to this L1. */
	m.pages[0x4000 / 8 + 4] = 0xabcd000 | EPT_EXEC | EPT_MEMTYPE_WB;
	assert_false(ept_walk_l1(&t, l2gpa_of(in), &w, &out));
	assert_int_equal(w.status, EPT_WALK_MISCONFIG);
	assert_int_equal(w.misconfig, EPT_MISCONFIG_EXEC_ONLY);
	assert_int_equal(gpa_val(out), 0x40012345);
	/* A table outside the L1's memory: the accessor fails, at the level it was read for. */
	m.pages[0x3000 / 8 + 3] = 0x9000 | EPT_RWX;
	m.reads = 0;
	assert_false(ept_walk_l1(&t, l2gpa_of(in), &w, NULL));
	assert_int_equal(w.status, EPT_WALK_READ_FAILED);
	assert_int_equal(w.level, 1);
	assert_int_equal(w.entry, 0);
	assert_int_equal(w.perm, EPT_READ | EPT_EXEC);
	assert_int_equal(m.reads, 4);
	t.pml4 = 0x100000;
	assert_false(ept_walk_l1(&t, l2gpa_of(in), &w, NULL));
	assert_int_equal(w.status, EPT_WALK_READ_FAILED);
	assert_int_equal(w.level, 4);
	free(m.pages);
}

/* Frames in use by the tables, checked three ways. */
static void assert_table_count(uint32_t want)
{
	assert_int_equal(e.table_pages, want);
	assert_int_equal(count_tables(), want);
	assert_int_equal(start_frames - fa.free_frames, want);
}

static void test_split_2m_and_1g(void **state)
{
	(void)state;
	const uint64_t flags = EPT_READ | EPT_EXEC | EPT_MEMTYPE_WT | EPT_IGNORE_PAT;

	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(8 * MIB), 2 * MIB, flags), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(4 * GIB), 1 * GIB, RW_WB), 0);
	*entry_at(2 * MIB, 2) |= EPT_ACCESSED | EPT_DIRTY;
	assert_table_count(3);

	assert_int_equal(ept_split(&e, &fa, gpa_of(3 * MIB + 5)), 0);
	assert_table_count(4);
	assert_range(2 * MIB, 8 * MIB, 2 * MIB, flags | EPT_ACCESSED | EPT_DIRTY, 1);
	assert_int_equal(*entry_at(2 * MIB, 2) & ~EPT_ADDR_MASK, EPT_RWX);

	assert_int_equal(ept_split(&e, &fa, gpa_of(2 * GIB - 1)), 0);
	assert_table_count(5);
	for (uint64_t off = 0; off < 1 * GIB; off += 2 * MIB)
		assert_mapped(1 * GIB + off, 4 * GIB + off, RW_WB, 2);
	assert_int_equal(*entry_at(2 * GIB - 1, 2), (5 * GIB - 2 * MIB) | RW_WB | EPT_LARGE);
	/* And one of those 2 MiB pages down to 4 KiB. */
	assert_int_equal(ept_split(&e, &fa, gpa_of(1 * GIB + 4 * MIB)), 0);
	assert_table_count(6);
	assert_range(1 * GIB + 4 * MIB, 4 * GIB + 4 * MIB, 2 * MIB, RW_WB, 1);
	assert_mapped(1 * GIB + 6 * MIB, 4 * GIB + 6 * MIB, RW_WB, 2);

	ept_destroy(&e, &fa);
	assert_int_equal(fa.free_frames, start_frames);
}

static void test_split_refused(void **state)
{
	(void)state;
	struct ept zero;
	struct frame_alloc fa_before;

	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x1000), EPT_PAGE_4K, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(2 * MIB), 2 * MIB, RW_WB), 0);
	snapshot(&before);
	fa_before = fa;
	/* Nothing to split: a 4 KiB page, or nothing mapped at some level. */
	assert_int_equal(ept_split(&e, &fa, gpa_of(0x1000)), EPT_EINVAL);
	assert_int_equal(ept_split(&e, &fa, gpa_of(0x2000)), EPT_EINVAL);
	assert_int_equal(ept_split(&e, &fa, gpa_of(4 * MIB)), EPT_EINVAL);
	assert_int_equal(ept_split(&e, &fa, gpa_of(1 * GIB)), EPT_EINVAL);
	assert_int_equal(ept_split(&e, &fa, gpa_of(512 * GIB)), EPT_EINVAL);
	assert_int_equal(ept_split(&e, &fa, gpa_of(EPT_GPA_LIMIT + 2 * MIB)), EPT_EINVAL);
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(ept_split(&zero, &fa, gpa_of(0)), EPT_EINVAL);
	/* Out of frames. */
	frame_alloc_fail_nth(&fa, 1);
	assert_int_equal(ept_split(&e, &fa, gpa_of(2 * MIB)), EPT_ENOMEM);
	assert_tables_unchanged(&before);
	fa.fail_in = 0;
	assert_fa_equal(&fa, &fa_before);
	assert_int_equal(e.table_pages, 4);
	assert_mapped(2 * MIB, 2 * MIB, RW_WB, 2);
}

static void test_unmap_4k(void **state)
{
	(void)state;
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x9000), 8 * EPT_PAGE_4K, RW_WB),
	                 0);
	assert_table_count(4);
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(0x3000), 2 * EPT_PAGE_4K, NULL), 0);
	assert_range(0x1000, 0x9000, 2 * EPT_PAGE_4K, RW_WB, 1);
	assert_unmapped(0x3000);
	assert_unmapped(0x4fff);
	assert_range(0x5000, 0xd000, 4 * EPT_PAGE_4K, RW_WB, 1);
	assert_int_equal(*entry_at(0x3000, 1), 0);
	assert_table_count(4);
	/* The rest, with some unmapped space around it: every table but the PML4 goes. */
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(0), 4 * MIB, NULL), 0);
	assert_unmapped(0x1000);
	assert_unmapped(0x8000);
	assert_table_count(1);
	assert_int_equal(*entry_at(0, 4), 0);
	/* Nothing mapped: nothing to do. */
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(0), 1 * GIB, NULL), 0);
	assert_table_count(1);
}

static void test_unmap_splits_large_pages(void **state)
{
	(void)state;
	/* 1 GiB at 1 GiB; unmap 4 KiB + 2 MiB + 4 KiB across its 2 MiB boundaries. */
	uint64_t from = 1 * GIB + 4 * MIB - EPT_PAGE_4K, size = 2 * MIB + 2 * EPT_PAGE_4K;

	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(3 * GIB), 1 * GIB, RWX_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB), hpa_of(2 * MIB), 2 * MIB, RW_WB), 0);
	assert_table_count(3);
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(from), size, NULL), 0);
	/* A PD from the 1 GiB page, two PTs from the 2 MiB pages at either edge. */
	assert_table_count(6);
	assert_mapped(1 * GIB, 3 * GIB, RWX_WB, 2);
	assert_range(1 * GIB + 2 * MIB, 3 * GIB + 2 * MIB, 2 * MIB - EPT_PAGE_4K, RWX_WB, 1);
	for (uint64_t off = 0; off < size; off += EPT_PAGE_4K)
		assert_unmapped(from + off);
	assert_range(from + size, 3 * GIB + 6 * MIB + EPT_PAGE_4K, 2 * MIB - EPT_PAGE_4K, RWX_WB,
	             1);
	assert_mapped(1 * GIB + 8 * MIB, 3 * GIB + 8 * MIB, RWX_WB, 2);
	assert_mapped(2 * GIB - 1, 4 * GIB - 1, RWX_WB, 2);
	/* The whole 2 MiB page at 2 MiB: no split, its PD stays for the other. */
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(2 * MIB), 2 * MIB, NULL), 0);
	assert_unmapped(2 * MIB);
	assert_table_count(5);
	/* All of it: every table but the PML4. */
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(0), 2 * GIB, NULL), 0);
	assert_table_count(1);
}

static void test_unmap_whole_subtree(void **state)
{
	(void)state;
	/* 4 MiB of 4 KiB pages (a PD and two PTs) and a 1 GiB page, then unmap 0..512 GiB. */
	e.use_2m = false;
	assert_int_equal(ept_map(&e, &fa, gpa_of(0), hpa_of(0x100000), 4 * MIB, RW_WB), 0);
	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(3 * GIB), hpa_of(0), 1 * GIB, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(512 * GIB), hpa_of(0), EPT_PAGE_4K, RW_WB), 0);
	assert_table_count(8);
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(0), 512 * GIB, NULL), 0);
	assert_unmapped(0);
	assert_unmapped(3 * GIB);
	assert_mapped(512 * GIB, 0, RW_WB, 1);
	assert_table_count(4);
}

static void test_unmap_stale_list(void **state)
{
	(void)state;
	hpa_t stale = hpa_of(0);
	uint64_t free_before;

	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x1000), EPT_PAGE_4K, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(0x1000), EPT_PAGE_4K, RW_WB), 0);
	assert_int_equal(e.table_pages, 6);
	free_before = fa.free_frames;
	/* The PD and PT at 0 leave the tables but not the allocator. */
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(0), 2 * MIB, &stale), 0);
	assert_int_equal(e.table_pages, 4);
	assert_int_equal(count_tables(), 4);
	assert_int_equal(fa.free_frames, free_before);
	assert_int_not_equal(hpa_val(stale), 0);
	/* Linked through word 0, which a CPU would read as not present. */
	assert_int_equal(*(uint64_t *)hpa_ptr(stale) & EPT_RWX, 0);
	/* A second unmap adds to the list. */
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(1 * GIB), EPT_PAGE_4K, &stale), 0);
	assert_int_equal(e.table_pages, 1);
	assert_int_equal(fa.free_frames, free_before);
	ept_free_stale(&fa, &stale);
	assert_int_equal(hpa_val(stale), 0);
	assert_int_equal(fa.free_frames, start_frames - 1);
	ept_free_stale(&fa, &stale);
	assert_int_equal(fa.free_frames, start_frames - 1);
}

static void test_unmap_refused(void **state)
{
	(void)state;
	struct ept zero;
	struct frame_alloc fa_before;

	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(0), 1 * GIB, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0), EPT_PAGE_4K, RW_WB), 0);
	snapshot(&before);
	fa_before = fa;
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(0x1800), EPT_PAGE_4K, NULL), EPT_EINVAL);
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(0x1000), 0x800, NULL), EPT_EINVAL);
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(0x1000), 0, NULL), EPT_EINVAL);
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(EPT_GPA_LIMIT), EPT_PAGE_4K, NULL), EPT_EINVAL);
	assert_int_equal(
	        ept_unmap(&e, &fa, gpa_of(EPT_GPA_LIMIT - EPT_PAGE_4K), 2 * EPT_PAGE_4K, NULL),
	        EPT_EINVAL);
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(0x1000), -EPT_PAGE_4K, NULL), EPT_EINVAL);
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(ept_unmap(&zero, &fa, gpa_of(0), EPT_PAGE_4K, NULL), EPT_EINVAL);
	/* A 1 GiB page cut at 4 KiB needs a PD and a PT: with one frame left, neither is taken. */
	frame_alloc_fail_nth(&fa, 2);
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(1 * GIB), EPT_PAGE_4K, NULL), EPT_ENOMEM);
	fa.fail_in = 0;
	assert_tables_unchanged(&before);
	assert_fa_equal(&fa, &fa_before);
	assert_int_equal(e.table_pages, 4);
	assert_mapped(1 * GIB, 0, RW_WB, 3);
	/* With the frames: done, and the 4 KiB page at 0x1000 untouched. */
	assert_int_equal(ept_unmap(&e, &fa, gpa_of(1 * GIB), EPT_PAGE_4K, NULL), 0);
	assert_unmapped(1 * GIB);
	assert_mapped(1 * GIB + EPT_PAGE_4K, EPT_PAGE_4K, RW_WB, 1);
	assert_mapped(1 * GIB + 2 * MIB, 2 * MIB, RW_WB, 2);
	assert_mapped(0x1000, 0, RW_WB, 1);
	assert_table_count(6);
}

static void test_destroy_returns_every_frame(void **state)
{
	(void)state;
	struct ept zero;

	e.use_1g = true;
	assert_int_equal(ept_map(&e, &fa, gpa_of(0x1000), hpa_of(0x1000), 16 * EPT_PAGE_4K, RW_WB),
	                 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(2 * MIB - 8 * KIB), hpa_of(4 * MIB - 8 * KIB),
	                         8 * MIB, RW_WB),
	                 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(1 * GIB), hpa_of(1 * GIB), 1 * GIB, RW_WB), 0);
	assert_int_equal(ept_map(&e, &fa, gpa_of(513 * GIB), hpa_of(0), 4 * MIB + 4 * KIB, RW_WB),
	                 0);
	assert_int_equal(
	        ept_map(&e, &fa, gpa_of(EPT_GPA_LIMIT - 8 * KIB), hpa_of(0), 8 * KIB, RW_WB), 0);
	e.use_2m = false;
	assert_int_equal(ept_map(&e, &fa, gpa_of(3 * GIB), hpa_of(0), 64 * MIB, RW_WB), 0);
	/* Counted by the code, found by the walk, taken from the allocator: all agree. */
	assert_int_equal(e.table_pages, count_tables());
	assert_int_equal(start_frames - fa.free_frames, e.table_pages);
	assert_true(e.table_pages > 40);

	ept_destroy(&e, &fa);
	assert_int_equal(fa.free_frames, start_frames);
	assert_true(frame_alloc_check(&fa));
	assert_int_equal(fa.count, 1);
	assert_int_equal(fa.free[0].start, (uint64_t)pool);
	assert_int_equal(fa.free[0].end, (uint64_t)pool + POOL_SIZE);
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&e, &zero, sizeof(e));
	/* A zeroed ept is fine to destroy again. */
	ept_destroy(&e, &fa);
	assert_int_equal(fa.free_frames, start_frames);
	assert_false(ept_translate(&e, gpa_of(0x1000), NULL, NULL, NULL));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_init_and_eptp),
	        T(test_init_out_of_memory),
	        T(test_map_4k_round_trip),
	        T(test_map_2m_round_trip),
	        T(test_map_1g_round_trip),
	        T(test_straddling_range),
	        T(test_straddling_all_three_sizes),
	        T(test_misaligned_hpa_uses_4k),
	        T(test_idempotent_remap),
	        T(test_existing_table_is_filled_in),
	        T(test_eexist_changes_nothing),
	        T(test_enomem_changes_nothing),
	        T(test_enomem_after_partial_allocation),
	        T(test_einval),
	        T(test_limits),
	        T(test_translate_unmapped),
	        T(test_leaf_slot),
	        T(test_leaf_flags_and_level),
	        T(test_walk_result),
	        T(test_walk_not_present),
	        T(test_walk_perm_anded_over_levels),
	        T(test_walk_misconfig),
	        T(test_walk_l1_tables),
	        T(test_split_2m_and_1g),
	        T(test_split_refused),
	        T(test_unmap_4k),
	        T(test_unmap_splits_large_pages),
	        T(test_unmap_whole_subtree),
	        T(test_unmap_stale_list),
	        T(test_unmap_refused),
	        T(test_destroy_returns_every_frame),
	};
	return cmocka_run_group_tests_name("ept", tests, NULL, NULL);
}
