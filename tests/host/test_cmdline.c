/* Host tests of lib/cmdline.c: key lookup, numbers with suffixes, booleans. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/cmdline.h"

static void test_get_values_and_bare_keys(void **state)
{
	(void)state;
	const char *cl = "  name=basic mem=32M  verbose x2apic=0\tlast=end ";
	char v[16];

	assert_true(cmdline_get(cl, "name", v, sizeof(v)));
	assert_string_equal(v, "basic");
	assert_true(cmdline_get(cl, "verbose", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_true(cmdline_get(cl, "last", v, sizeof(v)));
	assert_string_equal(v, "end");
	assert_false(cmdline_get(cl, "missing", v, sizeof(v)));
}

static void test_get_does_not_match_prefixes(void **state)
{
	(void)state;
	char v[16];

	/* "mem" must not match "memory=..." nor "xmem=..." */
	assert_false(cmdline_get("memory=1 xmem=2", "mem", v, sizeof(v)));
	assert_true(cmdline_get("memory=1 mem=3", "mem", v, sizeof(v)));
	assert_string_equal(v, "3");
	/* The first occurrence wins. */
	assert_true(cmdline_get("a=1 a=2", "a", v, sizeof(v)));
	assert_string_equal(v, "1");
}

static void test_get_value_too_long(void **state)
{
	(void)state;
	char v[4];

	assert_false(cmdline_get("name=toolong", "name", v, sizeof(v)));
	assert_true(cmdline_get("name=abc", "name", v, sizeof(v)));
	assert_string_equal(v, "abc");
	assert_false(cmdline_get("flag", "flag", v, 0));
}

static void test_get_stops_at_double_dash(void **state)
{
	(void)state;
	char v[16];

	/* The words after "--" belong to someone else (a guest's kernel). */
	assert_false(cmdline_get("name=a -- nested=1", "nested", v, sizeof(v)));
	assert_false(cmdline_get("-- name=a", "name", v, sizeof(v)));
	assert_true(cmdline_get("name=a --x nested=1 -- b", "nested", v, sizeof(v)));
	assert_string_equal(v, "1");
	/* Tabs and newlines separate words as spaces do. */
	assert_true(cmdline_get("a=1\tb=2\nc=3", "c", v, sizeof(v)));
	assert_string_equal(v, "3");
}

static void test_after_dashes(void **state)
{
	(void)state;
	assert_string_equal(cmdline_after_dashes("name=a mem=8M -- seed=1 x"), "seed=1 x");
	assert_string_equal(cmdline_after_dashes("name=a mem=8M"), "");
	assert_string_equal(cmdline_after_dashes("name=a --"), "");
	assert_string_equal(cmdline_after_dashes("-- a -- b"), "a -- b");
	assert_string_equal(cmdline_after_dashes("a --x b"), "");
	assert_string_equal(cmdline_after_dashes(""), "");
}

static void test_next_word(void **state)
{
	(void)state;
	const char *p = " one\ttwo -- three";
	const char *w;
	size_t len;

	assert_true(cmdline_next_word(&p, &w, &len));
	assert_int_equal(len, 3);
	assert_memory_equal(w, "one", 3);
	assert_true(cmdline_next_word(&p, &w, &len));
	assert_memory_equal(w, "two", 3);
	assert_false(cmdline_next_word(&p, &w, &len));
	assert_string_equal(p, " three");
}

static void test_parse_u64(void **state)
{
	(void)state;
	uint64_t v;

	assert_true(cmdline_parse_u64("0", &v));
	assert_int_equal(v, 0);
	assert_true(cmdline_parse_u64("123", &v));
	assert_int_equal(v, 123);
	assert_true(cmdline_parse_u64("0x1F", &v));
	assert_int_equal(v, 31);
	assert_true(cmdline_parse_u64("32M", &v));
	assert_int_equal(v, 32ULL << 20);
	assert_true(cmdline_parse_u64("4k", &v));
	assert_int_equal(v, 4096);
	assert_true(cmdline_parse_u64("2G", &v));
	assert_int_equal(v, 2ULL << 30);
	assert_true(cmdline_parse_u64("18446744073709551615", &v));
	assert_int_equal(v, UINT64_MAX);

	assert_false(cmdline_parse_u64("", &v));
	assert_false(cmdline_parse_u64("0x", &v));
	assert_false(cmdline_parse_u64("12abc", &v));
	assert_false(cmdline_parse_u64("32MB", &v));
	assert_false(cmdline_parse_u64("-1", &v));
	assert_false(cmdline_parse_u64("18446744073709551616", &v)); /* overflow */
	assert_false(cmdline_parse_u64("17179869184G", &v));         /* suffix overflow */
}

static void test_get_u64_and_bool(void **state)
{
	(void)state;
	uint64_t v = 7;

	assert_true(cmdline_get_u64("vcpus=4 mem=0x100000", "mem", &v));
	assert_int_equal(v, 0x100000);
	assert_false(cmdline_get_u64("vcpus=four", "vcpus", &v));
	assert_false(cmdline_get_u64("", "vcpus", &v));

	assert_true(cmdline_get_bool("x2apic", "x2apic", false));
	assert_true(cmdline_get_bool("x2apic=on", "x2apic", false));
	assert_false(cmdline_get_bool("x2apic=0", "x2apic", true));
	assert_false(cmdline_get_bool("x2apic=off", "x2apic", true));
	assert_true(cmdline_get_bool("", "x2apic", true));
	assert_false(cmdline_get_bool("x2apic=maybe", "x2apic", false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_values_and_bare_keys),
	        cmocka_unit_test(test_get_does_not_match_prefixes),
	        cmocka_unit_test(test_get_value_too_long),
	        cmocka_unit_test(test_get_stops_at_double_dash),
	        cmocka_unit_test(test_next_word),
	        cmocka_unit_test(test_after_dashes),
	        cmocka_unit_test(test_parse_u64),
	        cmocka_unit_test(test_get_u64_and_bool),
	};
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
