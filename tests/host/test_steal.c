/* Host tests of vcpu/steal.c: which CPU an idle CPU asks for a vCPU. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vcpu/steal.h"

static void test_busiest_wins(void **state)
{
	const uint32_t ready[] = {0, 2, 4, 3};

	(void)state;
	assert_int_equal(steal_victim(ready, 4, 0), 2);
}

static void test_lowest_index_among_equals(void **state)
{
	const uint32_t ready[] = {3, 0, 3, 3};

	(void)state;
	assert_int_equal(steal_victim(ready, 4, 1), 0);
}

/* Taking a CPU's only runnable vCPU moves the work without adding a CPU to it. */
static void test_one_ready_is_not_enough(void **state)
{
	const uint32_t ready[] = {0, 1, 1, 1};

	(void)state;
	assert_int_equal(steal_victim(ready, 4, 0), -1);
}

static void test_never_itself(void **state)
{
	const uint32_t ready[] = {5, 2};

	(void)state;
	assert_int_equal(steal_victim(ready, 2, 0), 1);
	assert_int_equal(steal_victim(ready, 1, 0), -1);
}

static void test_no_cpus(void **state)
{
	(void)state;
	assert_int_equal(steal_victim(NULL, 0, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_busiest_wins),
	        cmocka_unit_test(test_lowest_index_among_equals),
	        cmocka_unit_test(test_one_ready_is_not_enough),
	        cmocka_unit_test(test_never_itself),
	        cmocka_unit_test(test_no_cpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
