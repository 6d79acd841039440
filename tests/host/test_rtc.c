/* Host tests of vcpu/rtc.c: the CMOS clock's registers, formats and setting it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/calendar.h"
#include "vcpu/rtc.h"

#define HZ    1000000ULL
#define EPOCH 1796491845 /* 2026-12-05 17:30:45 UTC, a Saturday */

static uint8_t reg(struct rtc *r, uint8_t index, uint64_t now)
{
	rtc_out(r, RTC_INDEX_PORT, index, now);
	return rtc_in(r, RTC_DATA_PORT, now);
}

static void set_reg(struct rtc *r, uint8_t index, uint8_t val, uint64_t now)
{
	rtc_out(r, RTC_INDEX_PORT, index, now);
	rtc_out(r, RTC_DATA_PORT, val, now);
}

static void test_calendar(void **state)
{
	(void)state;
	int64_t y;
	unsigned int m, d;

	assert_int_equal(calendar_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(calendar_days_from_civil(2000, 3, 1), 11017);
	calendar_civil_from_days(EPOCH / 86400, &y, &m, &d);
	assert_int_equal(y, 2026);
	assert_int_equal(m, 12);
	assert_int_equal(d, 5);
	calendar_civil_from_days(calendar_days_from_civil(2024, 2, 29), &y, &m, &d);
	assert_true(y == 2024 && m == 2 && d == 29);
}

static void test_bcd_24h_at_boot(void **state)
{
	(void)state;
	struct rtc r;

	rtc_init(&r, EPOCH, 1000, HZ);
	assert_int_equal(reg(&r, 0x00, 1000), 0x45);
	assert_int_equal(reg(&r, 0x02, 1000), 0x30);
	assert_int_equal(reg(&r, 0x04, 1000), 0x17);
	assert_int_equal(reg(&r, 0x06, 1000), 7); /* Saturday */
	assert_int_equal(reg(&r, 0x07, 1000), 0x05);
	assert_int_equal(reg(&r, 0x08, 1000), 0x12);
	assert_int_equal(reg(&r, 0x09, 1000), 0x26);
	assert_int_equal(reg(&r, 0x32, 1000), 0x20);
	assert_int_equal(reg(&r, 0x0d, 1000), 0x80); /* battery good */
	assert_int_equal(reg(&r, 0x0a, 1000) & 0x80, 0);
	/* 75 seconds of TSC later: 17:32:00. */
	assert_int_equal(reg(&r, 0x00, 1000 + 75 * HZ), 0x00);
	assert_int_equal(reg(&r, 0x02, 1000 + 75 * HZ), 0x32);
}

static void test_binary_and_12h(void **state)
{
	(void)state;
	struct rtc r;

	rtc_init(&r, EPOCH, 0, HZ);
	set_reg(&r, 0x0b, 0x04, 0); /* binary, 12-hour */
	assert_int_equal(reg(&r, 0x00, 0), 45);
	assert_int_equal(reg(&r, 0x04, 0), 0x80 | 5); /* 5 PM */
	assert_int_equal(reg(&r, 0x09, 0), 26);
}

static void test_set_the_clock(void **state)
{
	(void)state;
	struct rtc r;

	rtc_init(&r, EPOCH, 0, HZ);
	set_reg(&r, 0x0b, 0x82, 0); /* SET, BCD, 24h */
	set_reg(&r, 0x04, 0x08, 0);
	set_reg(&r, 0x02, 0x00, 0);
	set_reg(&r, 0x00, 0x00, 0);
	assert_int_equal(reg(&r, 0x04, 5 * HZ), 0x08); /* frozen while SET */
	set_reg(&r, 0x0b, 0x02, 10 * HZ);              /* runs from 08:00:00 */
	assert_int_equal(reg(&r, 0x00, 12 * HZ), 0x02);
	assert_int_equal(reg(&r, 0x04, 12 * HZ), 0x08);
	assert_int_equal(reg(&r, 0x07, 12 * HZ), 0x05); /* the date stays */
	/* A time register written while it runs: it runs on from there. */
	set_reg(&r, 0x02, 0x45, 12 * HZ);
	assert_int_equal(reg(&r, 0x02, 13 * HZ), 0x45);
	assert_int_equal(reg(&r, 0x04, 13 * HZ), 0x08);
}

static void test_index_nmi_and_storage(void **state)
{
	(void)state;
	struct rtc r;

	rtc_init(&r, EPOCH, 0, HZ);
	assert_false(rtc_nmi_masked(&r));
	set_reg(&r, 0x80 | 0x40, 0x5a, 0); /* NMI masked, storage byte 0x40 */
	assert_true(rtc_nmi_masked(&r));
	assert_int_equal(reg(&r, 0x40, 0), 0x5a);
	set_reg(&r, 0x0d, 0x00, 0); /* D is read-only */
	assert_int_equal(reg(&r, 0x0d, 0), 0x80);
	assert_int_equal(reg(&r, 0x0c, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_calendar),
	        cmocka_unit_test(test_bcd_24h_at_boot),
	        cmocka_unit_test(test_binary_and_12h),
	        cmocka_unit_test(test_set_the_clock),
	        cmocka_unit_test(test_index_nmi_and_storage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
