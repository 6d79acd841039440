/* Host tests of lib/symbols.c: address -> function+offset for backtraces. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "lib/symbols.h"

static const char names[] = "alpha\0beta\0gamma";
static const struct symtab_entry entries[] = {
        {0x1000, 0, 0},
        {0x1040, 6, 0},
        {0x2000, 11, 0},
};
static const struct symtab table = {entries, 3, names};

static void test_lookup_inside_and_at_starts(void **state)
{
	(void)state;
	uint64_t off = 99;

	assert_string_equal(symtab_lookup(&table, 0x1000, 0x3000, &off), "alpha");
	assert_int_equal(off, 0);
	assert_string_equal(symtab_lookup(&table, 0x103f, 0x3000, &off), "alpha");
	assert_int_equal(off, 0x3f);
	assert_string_equal(symtab_lookup(&table, 0x1040, 0x3000, &off), "beta");
	assert_int_equal(off, 0);
	assert_string_equal(symtab_lookup(&table, 0x1fff, 0x3000, &off), "beta");
	assert_int_equal(off, 0xfbf);
	assert_string_equal(symtab_lookup(&table, 0x2fff, 0x3000, &off), "gamma");
	assert_int_equal(off, 0xfff);
}

static void test_lookup_outside(void **state)
{
	(void)state;
	uint64_t off;
	const struct symtab empty = {entries, 0, names};

	assert_null(symtab_lookup(&table, 0xfff, 0x3000, &off));
	assert_null(symtab_lookup(&table, 0x3000, 0x3000, &off));
	assert_null(symtab_lookup(&empty, 0x1000, 0x3000, &off));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_lookup_inside_and_at_starts),
	        cmocka_unit_test(test_lookup_outside),
	};
	return cmocka_run_group_tests_name("symbols", tests, NULL, NULL);
}
