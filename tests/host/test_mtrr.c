/* Host tests of vcpu/mtrr.c: which MTRR writes hardware takes, and what reads back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vcpu/mtrr.h"

#define MAXPHY 40

static void test_cap_is_read_only(void **state)
{
	(void)state;
	struct mtrr_state m = {0};

	assert_int_equal(mtrr_read(&m, MSR_IA32_MTRRCAP) & 0xff, MTRR_VARIABLE);
	assert_true(mtrr_read(&m, MSR_IA32_MTRRCAP) & (1 << 8)); /* fixed ranges */
	assert_false(mtrr_write(&m, MSR_IA32_MTRRCAP, 0, MAXPHY));
}

static void test_which_msrs(void **state)
{
	(void)state;
	assert_true(mtrr_msr(0xfe));
	assert_true(mtrr_msr(0x200));
	assert_true(mtrr_msr(0x20f));
	assert_false(mtrr_msr(0x210)); /* past the 8 pairs MTRRCAP counts */
	assert_true(mtrr_msr(0x250));
	assert_false(mtrr_msr(0x251));
	assert_true(mtrr_msr(0x258));
	assert_true(mtrr_msr(0x259));
	assert_false(mtrr_msr(0x25a));
	assert_true(mtrr_msr(0x268));
	assert_true(mtrr_msr(0x26f));
	assert_false(mtrr_msr(0x270));
	assert_true(mtrr_msr(0x2ff));
}

static void test_def_type(void **state)
{
	(void)state;
	struct mtrr_state m = {0};

	assert_true(mtrr_write(&m, MSR_IA32_MTRR_DEF_TYPE, 0xc06, MAXPHY));
	assert_int_equal(mtrr_read(&m, MSR_IA32_MTRR_DEF_TYPE), 0xc06);
	assert_false(mtrr_write(&m, MSR_IA32_MTRR_DEF_TYPE, 0xc02, MAXPHY)); /* type 2 */
	assert_false(mtrr_write(&m, MSR_IA32_MTRR_DEF_TYPE, 0xc07, MAXPHY)); /* type 7 */
	assert_false(mtrr_write(&m, MSR_IA32_MTRR_DEF_TYPE, 0xe06, MAXPHY)); /* bit 9 */
	assert_false(mtrr_write(&m, MSR_IA32_MTRR_DEF_TYPE, 0x1c06, MAXPHY));
	assert_int_equal(mtrr_read(&m, MSR_IA32_MTRR_DEF_TYPE), 0xc06); /* refused: unchanged */
}

static void test_variable(void **state)
{
	(void)state;
	struct mtrr_state m = {0};

	assert_true(mtrr_write(&m, 0x206, 0x80000001, MAXPHY));
	assert_int_equal(mtrr_read(&m, 0x206), 0x80000001);
	assert_true(mtrr_write(&m, 0x207, 0xff00000800ULL, MAXPHY));
	assert_int_equal(mtrr_read(&m, 0x207), 0xff00000800ULL);
	assert_int_equal(mtrr_read(&m, 0x200), 0);
	assert_false(mtrr_write(&m, 0x200, 0x80000003, MAXPHY));           /* type 3 */
	assert_false(mtrr_write(&m, 0x200, 0x80000106, MAXPHY));           /* bit 8 */
	assert_false(mtrr_write(&m, 0x200, (1ULL << MAXPHY) | 6, MAXPHY)); /* past MAXPHYADDR */
	assert_true(mtrr_write(&m, 0x200, (1ULL << (MAXPHY - 1)) | 6, MAXPHY));
	assert_false(mtrr_write(&m, 0x201, 0x801, MAXPHY)); /* mask bit 0 */
	assert_false(mtrr_write(&m, 0x201, 1ULL << MAXPHY, MAXPHY));
}

static void test_fixed(void **state)
{
	(void)state;
	struct mtrr_state m = {0};

	assert_true(mtrr_write(&m, 0x250, 0x0606060606060606ULL, MAXPHY));
	assert_int_equal(mtrr_read(&m, 0x250), 0x0606060606060606ULL);
	assert_false(mtrr_write(&m, 0x250, 0x0606060606020606ULL, MAXPHY));
	assert_true(mtrr_write(&m, 0x26f, 0x0005000500050005ULL, MAXPHY));
	assert_int_equal(mtrr_read(&m, 0x26f), 0x0005000500050005ULL);
	assert_int_equal(mtrr_read(&m, 0x268), 0);
	assert_true(mtrr_write(&m, 0x259, 0x0101010101010101ULL, MAXPHY));
	assert_int_equal(mtrr_read(&m, 0x258), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cap_is_read_only),
	        cmocka_unit_test(test_which_msrs),
	        cmocka_unit_test(test_def_type),
	        cmocka_unit_test(test_variable),
	        cmocka_unit_test(test_fixed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
