/* Host tests of vcpu/runq.c: round robin, and who goes next after a removal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vcpu/runq.h"

/* The queue only stores pointers: any distinct addresses will do. */
static char slots[RUNQ_MAX + 1];
#define V(i) ((struct vcpu *)&slots[i])

static struct runq q;

static int setup(void **state)
{
	(void)state;
	memset(&q, 0, sizeof(q));
	return 0;
}

/* Asserts the next n picks. */
static void expect_picks(const int *want, int n)
{
	for (int i = 0; i < n; i++)
		assert_ptr_equal(runq_pick(&q), V(want[i]));
}
#define EXPECT_PICKS(...)                                            \
	do {                                                         \
		const int w_[] = {__VA_ARGS__};                      \
		expect_picks(w_, (int)(sizeof(w_) / sizeof(w_[0]))); \
	} while (0)

static void test_empty(void **state)
{
	(void)state;
	assert_null(runq_pick(&q));
	runq_remove(&q, V(1)); /* not there: nothing happens */
	assert_int_equal(q.count, 0);
}

static void test_round_robin(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(runq_add(&q, V(i)));
	EXPECT_PICKS(0, 1, 2, 0, 1, 2, 0);
}

static void test_alone(void **state)
{
	(void)state;
	runq_add(&q, V(5));
	EXPECT_PICKS(5, 5, 5);
}

static void test_added_goes_last(void **state)
{
	(void)state;
	runq_add(&q, V(0));
	runq_add(&q, V(1));
	runq_add(&q, V(2));
	EXPECT_PICKS(0); /* 1's turn next */
	runq_add(&q, V(3));
	/* Everyone already there runs before the newcomer. */
	EXPECT_PICKS(1, 2, 0, 3, 1, 2, 0, 3);
}

static void test_remove_keeps_the_turn(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++)
		runq_add(&q, V(i));
	EXPECT_PICKS(0, 1);    /* 2's turn next */
	runq_remove(&q, V(0)); /* before the turn */
	EXPECT_PICKS(2, 3, 1);
	runq_remove(&q, V(2)); /* the one whose turn is next */
	EXPECT_PICKS(3, 1, 3);
	runq_remove(&q, V(3)); /* the last one in the array, its turn passed */
	EXPECT_PICKS(1, 1);
	runq_remove(&q, V(1));
	assert_int_equal(q.count, 0);
	assert_null(runq_pick(&q));
}

static void test_remove_last_when_its_turn(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		runq_add(&q, V(i));
	EXPECT_PICKS(0, 1); /* 2's turn next: the last slot */
	runq_remove(&q, V(2));
	EXPECT_PICKS(0, 1, 0);
}

static void test_full(void **state)
{
	(void)state;
	for (int i = 0; i < RUNQ_MAX; i++)
		assert_true(runq_add(&q, V(i)));
	assert_false(runq_add(&q, V(RUNQ_MAX)));
	assert_int_equal(q.count, RUNQ_MAX);
	for (int i = 0; i < RUNQ_MAX; i++)
		assert_ptr_equal(runq_pick(&q), V(i));
}

/* Peeking moves no turn; the turn can then be set after any of them. */
static void test_peek_and_turn_after(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++)
		assert_true(runq_add(&q, V(i)));
	EXPECT_PICKS(0, 1); /* the turn is 2's */
	assert_ptr_equal(runq_peek(&q, 0), V(2));
	assert_ptr_equal(runq_peek(&q, 1), V(3));
	assert_ptr_equal(runq_peek(&q, 2), V(0)); /* wraps */
	assert_ptr_equal(runq_peek(&q, 3), V(1));
	EXPECT_PICKS(2);        /* peeking moved nothing */
	runq_turn_after(&q, 1); /* after 0 (1 turn from 3's) */
	EXPECT_PICKS(1, 2, 3, 0);
	runq_turn_after(&q, 3); /* after 0 again: wraps */
	EXPECT_PICKS(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_empty, setup),
	        cmocka_unit_test_setup(test_round_robin, setup),
	        cmocka_unit_test_setup(test_alone, setup),
	        cmocka_unit_test_setup(test_added_goes_last, setup),
	        cmocka_unit_test_setup(test_remove_keeps_the_turn, setup),
	        cmocka_unit_test_setup(test_remove_last_when_its_turn, setup),
	        cmocka_unit_test_setup(test_full, setup),
	        cmocka_unit_test_setup(test_peek_and_turn_after, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
