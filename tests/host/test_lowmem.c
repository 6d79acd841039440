/* Host tests of boot/lowmem.c: where the AP trampoline may go. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "boot/lowmem.h"

static struct boot_info bi;

static void add_mem(uint64_t base, uint64_t len, uint32_t type)
{
	bi.mem[bi.mem_count++] = (struct boot_mem_range){base, len, type};
}

static int setup(void **state)
{
	(void)state;
	memset(&bi, 0, sizeof(bi));
	add_mem(0, 0x9fc00, BOOT_MEM_USABLE); /* typical BIOS: last KiBs are the EBDA */
	add_mem(0x9fc00, 0x400, BOOT_MEM_RESERVED);
	add_mem(0x100000, 0x1000000, BOOT_MEM_USABLE);
	return 0;
}

static void test_highest_free_page(void **state)
{
	(void)state;
	/* 0x9f000 would run into the reserved EBDA at 0x9fc00. */
	assert_int_equal(lowmem_find_trampoline(&bi, 100), 0x9e000);
	assert_int_equal(lowmem_find_trampoline(&bi, 0x1800), 0x9d000);
}

static void test_avoids_boot_info_and_modules(void **state)
{
	(void)state;
	bi.info_start = 0x9e800;
	bi.info_end = 0x9e900;
	assert_int_equal(lowmem_find_trampoline(&bi, 100), 0x9d000);
	bi.modules[0] = (struct boot_module){.start = 0x9c000, .end = 0x9d001};
	bi.module_count = 1;
	assert_int_equal(lowmem_find_trampoline(&bi, 100), 0x9b000);
}

static void test_never_page_zero_and_none_found(void **state)
{
	(void)state;
	memset(&bi, 0, sizeof(bi));
	add_mem(0, 0x2000, BOOT_MEM_USABLE);
	assert_int_equal(lowmem_find_trampoline(&bi, 100), 0x1000);
	bi.mem[0].length = 0x1000; /* only page 0 is usable */
	assert_int_equal(lowmem_find_trampoline(&bi, 100), 0);
	memset(&bi, 0, sizeof(bi));
	add_mem(0x100000, 0x100000, BOOT_MEM_USABLE); /* nothing below 1 MiB */
	assert_int_equal(lowmem_find_trampoline(&bi, 100), 0);
}

static void test_bad_sizes(void **state)
{
	(void)state;
	assert_int_equal(lowmem_find_trampoline(&bi, 0), 0);
	assert_int_equal(lowmem_find_trampoline(&bi, LOWMEM_LIMIT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_highest_free_page, setup),
	        cmocka_unit_test_setup(test_avoids_boot_info_and_modules, setup),
	        cmocka_unit_test_setup(test_never_page_zero_and_none_found, setup),
	        cmocka_unit_test_setup(test_bad_sizes, setup),
	};
	return cmocka_run_group_tests_name("lowmem", tests, NULL, NULL);
}
