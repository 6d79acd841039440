/*
 * Host tests of the identity-map builder (arch/x86/paging.c): the tables are
 * built in a host buffer handed to the real frame allocator, then walked
 * like the MMU would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "arch/x86/paging.h"
#include "lib/frame_alloc.h"

#define POOL_SIZE (64 * 4096)

static struct frame_alloc fa;
static void *pool;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(posix_memalign(&pool, 4096, POOL_SIZE), 0);
	frame_alloc_init(&fa);
	assert_int_equal(frame_alloc_add(&fa, (uint64_t)pool, (uint64_t)pool + POOL_SIZE), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(pool);
	return 0;
}

/* Translates like the MMU; returns false if not mapped. Records the page size. */
static bool walk(uint64_t pml4, uint64_t va, uint64_t *pa, uint64_t *page_size)
{
	uint64_t *t = (uint64_t *)pml4;
	uint64_t e = t[(va >> 39) & 511];

	if (!(e & PTE_PRESENT) || !(e & PTE_WRITE))
		return false;
	t = (uint64_t *)(e & PTE_ADDR_MASK);
	e = t[(va >> 30) & 511];
	if (!(e & PTE_PRESENT) || !(e & PTE_WRITE))
		return false;
	if (e & PTE_LARGE) {
		*page_size = PAGE_SIZE_1G;
		*pa = (e & PTE_ADDR_MASK & ~(PAGE_SIZE_1G - 1)) | (va & (PAGE_SIZE_1G - 1));
		return true;
	}
	t = (uint64_t *)(e & PTE_ADDR_MASK);
	e = t[(va >> 21) & 511];
	if (!(e & PTE_PRESENT) || !(e & PTE_WRITE) || !(e & PTE_LARGE))
		return false;
	*page_size = PAGE_SIZE_2M;
	*pa = (e & PTE_ADDR_MASK & ~(PAGE_SIZE_2M - 1)) | (va & (PAGE_SIZE_2M - 1));
	return true;
}

static void assert_identity(uint64_t pml4, uint64_t va, uint64_t want_size)
{
	uint64_t pa = 0, size = 0;

	assert_true(walk(pml4, va, &pa, &size));
	assert_int_equal(pa, va);
	assert_int_equal(size, want_size);
}

static void assert_unmapped(uint64_t pml4, uint64_t va)
{
	uint64_t pa, size;

	assert_false(walk(pml4, va, &pa, &size));
}

static void test_small_ram_maps_low_4g_with_2m_pages(void **state)
{
	(void)state;
	uint64_t frames_before = fa.free_frames;
	uint64_t pml4 = paging_build_identity(&fa, 512ULL << 20, true);

	assert_int_not_equal(pml4, 0);
	assert_identity(pml4, 0, PAGE_SIZE_2M);
	assert_identity(pml4, 0x200123, PAGE_SIZE_2M);
	assert_identity(pml4, 0xfee00000, PAGE_SIZE_2M); /* local APIC: MMIO stays mapped */
	assert_identity(pml4, 0xffffffff, PAGE_SIZE_2M);
	assert_unmapped(pml4, 0x100000000ULL);
	/* PML4 + PDPT + 4 PDs. */
	assert_int_equal(frames_before - fa.free_frames, 6);
}

static void test_large_ram_uses_1g_pages_above_4g(void **state)
{
	(void)state;
	/* 6.5 GiB of RAM: rounded up to whole GiB. */
	uint64_t pml4 = paging_build_identity(&fa, 0x1a0000000ULL, true);

	assert_int_not_equal(pml4, 0);
	assert_identity(pml4, 0xc0000000ULL, PAGE_SIZE_2M);
	assert_identity(pml4, 0x100000000ULL, PAGE_SIZE_1G);
	assert_identity(pml4, 0x1a0000000ULL, PAGE_SIZE_1G);
	assert_identity(pml4, 0x1bfffffffULL, PAGE_SIZE_1G);
	assert_unmapped(pml4, 0x1c0000000ULL);
}

static void test_no_1g_pages_means_2m_everywhere(void **state)
{
	(void)state;
	uint64_t frames_before = fa.free_frames;
	uint64_t pml4 = paging_build_identity(&fa, 6ULL << 30, false);

	assert_int_not_equal(pml4, 0);
	assert_identity(pml4, 0x150000000ULL, PAGE_SIZE_2M);
	assert_identity(pml4, (6ULL << 30) - 1, PAGE_SIZE_2M);
	assert_unmapped(pml4, 6ULL << 30);
	assert_int_equal(frames_before - fa.free_frames, 2 + 6);
}

static void test_beyond_512g_needs_second_pdpt(void **state)
{
	(void)state;
	uint64_t pml4 = paging_build_identity(&fa, 513ULL << 30, true);

	assert_int_not_equal(pml4, 0);
	assert_identity(pml4, 511ULL << 30, PAGE_SIZE_1G);
	assert_identity(pml4, 512ULL << 30, PAGE_SIZE_1G);
	assert_unmapped(pml4, 513ULL << 30);
}

static void test_out_of_frames_fails_cleanly(void **state)
{
	(void)state;
	struct frame_alloc tiny;

	frame_alloc_init(&tiny);
	assert_int_equal(frame_alloc_add(&tiny, (uint64_t)pool, (uint64_t)pool + 3 * 4096), 0);
	assert_int_equal(paging_build_identity(&tiny, 0, true), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_small_ram_maps_low_4g_with_2m_pages, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_large_ram_uses_1g_pages_above_4g, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_no_1g_pages_means_2m_everywhere, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_beyond_512g_needs_second_pdpt, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_out_of_frames_fails_cleanly, setup, teardown),
	};
	return cmocka_run_group_tests_name("paging", tests, NULL, NULL);
}
