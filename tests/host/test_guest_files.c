/* Host tests of vcpu/guest_files.c: which modules are files, and where they go. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vcpu/guest_files.h"

static void test_for_key(void **state)
{
	(void)state;
	char name[32], err[96];

	assert_false(guest_file_for("name=a mem=8M", name, sizeof(name), err, sizeof(err)));
	assert_true(guest_file_for("for=vm1 -- x=1", name, sizeof(name), err, sizeof(err)));
	assert_string_equal(name, "vm1");
	assert_string_equal(err, "");
	assert_true(guest_file_for("/boot/f.bin for=vm1", name, sizeof(name), err, sizeof(err)));
	assert_string_equal(err, "");
	/* A file takes for= only: a VM's keys there are a mistake. */
	assert_true(guest_file_for("for=vm1 mem=8M", name, sizeof(name), err, sizeof(err)));
	assert_non_null(strstr(err, "'mem=8M'"));
	assert_true(guest_file_for("for= -- x", name, sizeof(name), err, sizeof(err)));
	assert_string_equal(err, "for= names no VM");
	/* for= after "--" is the guest's word, not Umbra's. */
	assert_false(guest_file_for("name=a -- for=b", name, sizeof(name), err, sizeof(err)));
}

static void test_place(void **state)
{
	(void)state;
	static uint8_t ram[0x10000];
	const uint8_t data[] = {1, 2, 3};
	struct guest_file f;
	uint64_t next = 0x1234;

	assert_true(guest_file_place(ram, sizeof(ram), &next, data, 3, "a", &f));
	assert_int_equal(f.start, 0x2000);
	assert_int_equal(f.end, 0x2003);
	assert_memory_equal(ram + 0x2000, data, 3);
	assert_true(guest_file_place(ram, sizeof(ram), &next, data, 0, "b", &f));
	assert_int_equal(f.start, 0x3000); /* page-aligned, after the last */
	assert_true(guest_file_place(ram, sizeof(ram), &next, data, 3, "c", &f));
	assert_int_equal(f.start, 0x4000);
	next = 0xf000;
	assert_false(guest_file_place(ram, sizeof(ram), &next, ram, 0x1001, "d", &f));
	assert_true(guest_file_place(ram, sizeof(ram), &next, ram, 0x1000, "e", &f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_for_key),
	        cmocka_unit_test(test_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
