/* Host tests of vcpu/unknown_access.c: each access listed once, with a count. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vcpu/unknown_access.h"

static void test_listed_once_with_count(void **state)
{
	(void)state;
	struct unknown_log log = {0};
	char buf[48];

	unknown_note(&log, UNKNOWN_MSR_READ, 0x3b);
	unknown_note(&log, UNKNOWN_MSR_READ, 0x3b);
	unknown_note(&log, UNKNOWN_MSR_WRITE, 0x3b); /* a write is another line */
	unknown_note(&log, UNKNOWN_PORT_IN, 0x510);
	assert_int_equal(log.used, 3);
	assert_int_equal(log.e[0].count, 2);
	assert_int_equal(log.e[1].count, 1);
	unknown_describe(&log.e[0], buf, sizeof(buf));
	assert_string_equal(buf, "msr read 0x3b");
	unknown_describe(&log.e[2], buf, sizeof(buf));
	assert_string_equal(buf, "port in 0x510");
	log.e[0].kind = UNKNOWN_MEM_WRITE;
	log.e[0].where = 0xfec00000;
	unknown_describe(&log.e[0], buf, sizeof(buf));
	assert_string_equal(buf, "memory write 0xfec00000");
}

static void test_past_the_list_counted(void **state)
{
	(void)state;
	struct unknown_log log = {0};

	for (uint32_t i = 0; i < UNKNOWN_LISTED + 5; i++)
		unknown_note(&log, UNKNOWN_MSR_READ, i);
	unknown_note(&log, UNKNOWN_MSR_READ, 0); /* listed: counted there */
	assert_int_equal(log.used, UNKNOWN_LISTED);
	assert_int_equal(log.unlisted, 5);
	assert_int_equal(log.e[0].count, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_listed_once_with_count),
	        cmocka_unit_test(test_past_the_list_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
