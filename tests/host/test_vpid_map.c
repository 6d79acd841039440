/* Host tests of nested/vpid_map.c: L1 VPIDs to hardware VPID slots. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "nested/vpid_map.h"

static void test_same_vpid_same_slot(void **state)
{
	struct vpid_map m;
	bool fresh;
	unsigned int s;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(vpid_map_find(&m, 5), -1);
	s = vpid_map_get(&m, 5, &fresh);
	assert_true(fresh);
	assert_int_equal(vpid_map_get(&m, 5, &fresh), s);
	assert_false(fresh);
	assert_int_equal(vpid_map_find(&m, 5), (int)s);
}

/* Each VPID its own slot while they fit; then the oldest slot is taken (and flushed). */
static void test_round_robin(void **state)
{
	struct vpid_map m;
	bool fresh;
	unsigned int slots[VPID_MAP_SLOTS];

	(void)state;
	memset(&m, 0, sizeof(m));
	for (unsigned int i = 0; i < VPID_MAP_SLOTS; i++) {
		slots[i] = vpid_map_get(&m, (uint16_t)(10 + i), &fresh);
		assert_true(fresh);
		for (unsigned int j = 0; j < i; j++)
			assert_int_not_equal(slots[i], slots[j]);
	}
	for (unsigned int i = 0; i < VPID_MAP_SLOTS; i++) {
		assert_int_equal(vpid_map_get(&m, (uint16_t)(10 + i), &fresh), slots[i]);
		assert_false(fresh);
	}
	assert_int_equal(vpid_map_get(&m, 99, &fresh), slots[0]);
	assert_true(fresh);
	assert_int_equal(vpid_map_find(&m, 10), -1); /* its entries went with the slot */
	assert_int_equal(vpid_map_find(&m, 0), -1);  /* VPID 0 never has a slot */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_same_vpid_same_slot),
	        cmocka_unit_test(test_round_robin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
