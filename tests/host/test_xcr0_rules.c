/* XSETBV's rules for XCR0 (SDM Vol. 2 XSETBV, Vol. 1 13.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vcpu/xcr0_rules.h"

/* What a Skylake-X offers: x87, SSE, AVX, MPX, AVX-512, PKRU. */
#define SKX 0x2ffULL
/* And a CPU with AMX as well. */
#define SPR (SKX | XCR0_XTILECFG | XCR0_XTILEDATA)

static void test_valid_values(void **state)
{
	(void)state;
	assert_true(xcr0_valid(0x1, SKX));
	assert_true(xcr0_valid(0x3, SKX));
	assert_true(xcr0_valid(0x7, SKX));
	assert_true(xcr0_valid(0x19, SKX));  /* x87 + MPX pair */
	assert_true(xcr0_valid(0xe7, SKX));  /* AVX-512 complete */
	assert_true(xcr0_valid(0x2ff, SKX)); /* everything */
	assert_true(xcr0_valid(0x201, SKX)); /* PKRU has no partner */
	assert_true(xcr0_valid(0x60003, SPR));
}

static void test_x87_always(void **state)
{
	(void)state;
	assert_false(xcr0_valid(0x0, SKX));
	assert_false(xcr0_valid(0x6, SKX));
}

static void test_avx_needs_sse(void **state)
{
	(void)state;
	assert_false(xcr0_valid(0x5, SKX));
}

static void test_avx512_all_or_nothing(void **state)
{
	(void)state;
	assert_false(xcr0_valid(0x27, SKX)); /* the value that took the host down */
	assert_false(xcr0_valid(0x47, SKX));
	assert_false(xcr0_valid(0x87, SKX));
	assert_false(xcr0_valid(0x67, SKX));
	assert_false(xcr0_valid(0xc7, SKX));
	assert_false(xcr0_valid(0xe3, SKX)); /* AVX-512 without AVX */
}

static void test_pairs(void **state)
{
	(void)state;
	assert_false(xcr0_valid(0x9, SKX));  /* BNDREGS alone */
	assert_false(xcr0_valid(0x11, SKX)); /* BNDCSR alone */
	assert_false(xcr0_valid(0x20003, SPR));
	assert_false(xcr0_valid(0x40003, SPR));
}

static void test_unsupported_bits(void **state)
{
	(void)state;
	assert_false(xcr0_valid(0x7, 0x3));
	assert_false(xcr0_valid(0x60003, SKX));
	assert_false(xcr0_valid(0x1 | (1ULL << 63), ~0ULL >> 1));
	assert_false(xcr0_valid(0x401, SKX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_valid_values),  cmocka_unit_test(test_x87_always),
	        cmocka_unit_test(test_avx_needs_sse), cmocka_unit_test(test_avx512_all_or_nothing),
	        cmocka_unit_test(test_pairs),         cmocka_unit_test(test_unsupported_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
