/* Host tests of vcpu/slice_policy.c: which mechanism ends a slice, and the timer value. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vcpu/slice_policy.h"

static const struct slice_caps good = {
        .allow_timer = true,
        .timer = true,
        .timer_save = true,
        .timer_max_ms = 214000, /* TSC/1 at 20 MHz: 2^32 / 20e6 s */
        .tsc_deadline = true,
};

static void test_timer_when_usable(void **state)
{
	(void)state;
	assert_int_equal(slice_choose_mode(&good), SLICE_PREEMPTION_TIMER);
}

static void test_timer_refused(void **state)
{
	(void)state;
	struct slice_caps c = good;

	c.allow_timer = false; /* preemption_timer=0 */
	assert_int_equal(slice_choose_mode(&c), SLICE_LAPIC_DEADLINE);
	c = good;
	c.timer = false;
	assert_int_equal(slice_choose_mode(&c), SLICE_LAPIC_DEADLINE);
	c = good;
	c.timer_save = false; /* each entry would restart the slice */
	assert_int_equal(slice_choose_mode(&c), SLICE_LAPIC_DEADLINE);
	c = good;
	c.timer_max_ms = SLICE_TIMER_MIN_MAX_MS - 1; /* soft-disable would not stay quiet */
	assert_int_equal(slice_choose_mode(&c), SLICE_LAPIC_DEADLINE);
	c.timer_max_ms = SLICE_TIMER_MIN_MAX_MS;
	assert_int_equal(slice_choose_mode(&c), SLICE_PREEMPTION_TIMER);
}

static void test_nothing_usable(void **state)
{
	(void)state;
	struct slice_caps c = good;

	c.timer = false;
	c.tsc_deadline = false;
	assert_int_equal(slice_choose_mode(&c), SLICE_NONE);
}

static void test_timer_value(void **state)
{
	(void)state;
	/* 10 ms at 20 MHz = 200,000 TSC ticks; the timer ticks every 2^rate of them. */
	assert_int_equal(slice_timer_value(200000, 0), 200000);
	assert_int_equal(slice_timer_value(200000, 5), 6250);
	/* Never 0 (an immediate exit, every time) and never the soft-disable value. */
	assert_int_equal(slice_timer_value(0, 0), 1);
	assert_int_equal(slice_timer_value(3, 5), 1);
	assert_int_equal(slice_timer_value(1ULL << 40, 0), SLICE_TIMER_SOFT_DISABLED - 1);
	assert_int_equal(slice_timer_value(0xffffffffULL, 0), SLICE_TIMER_SOFT_DISABLED - 1);
	assert_int_equal(slice_timer_value(0xfffffffeULL, 0), 0xfffffffeu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_timer_when_usable),
	        cmocka_unit_test(test_timer_refused),
	        cmocka_unit_test(test_nothing_usable),
	        cmocka_unit_test(test_timer_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
