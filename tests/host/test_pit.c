/* Host tests of vcpu/pit.c: the 8254 as kernels calibrate with it. The TSC runs at PIT_HZ here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vcpu/pit.h"

static uint16_t read16(struct pit *p, uint16_t port, uint64_t t)
{
	uint8_t lo = pit_in(p, port, t);

	return (uint16_t)(lo | pit_in(p, port, t) << 8);
}

static void load(struct pit *p, unsigned int ch, uint8_t mode, uint16_t count, uint64_t t)
{
	pit_out(p, PIT_COMMAND_PORT, (uint8_t)((ch << 6) | 0x30 | (mode << 1)), t);
	pit_out(p, (uint16_t)(PIT_FIRST_PORT + ch), (uint8_t)count, t);
	pit_out(p, (uint16_t)(PIT_FIRST_PORT + ch), (uint8_t)(count >> 8), t);
}

/* Linux's pit_calibrate_tsc: channel 2, mode 0, gate on, poll OUT2 at port 0x61 bit 5. */
static void test_mode0_channel2_out2(void **state)
{
	(void)state;
	struct pit p;

	pit_init(&p, PIT_HZ);
	pit_out(&p, PIT_PORT_61, 0x01, 100);
	load(&p, 2, 0, 0x1000, 100);
	assert_int_equal(pit_in(&p, PIT_PORT_61, 100) & 0x21, 0x01); /* gate on, OUT2 low */
	assert_int_equal(read16(&p, 0x42, 100 + 0x800), 0x800);
	assert_int_equal(pit_in(&p, PIT_PORT_61, 100 + 0xfff) & 0x20, 0);
	assert_int_equal(pit_in(&p, PIT_PORT_61, 100 + 0x1000) & 0x20, 0x20);
	assert_int_equal(read16(&p, 0x42, 100 + 0x1001), 0xffff); /* on past 0 */
}

static void test_gate_low_holds_mode0(void **state)
{
	(void)state;
	struct pit p;

	pit_init(&p, PIT_HZ);
	load(&p, 2, 0, 0x1000, 0); /* gate low: held */
	assert_int_equal(read16(&p, 0x42, 0x500), 0x1000);
	pit_out(&p, PIT_PORT_61, 0x01, 0x500);
	assert_int_equal(read16(&p, 0x42, 0x600), 0xf00);
	pit_out(&p, PIT_PORT_61, 0x00, 0x600);
	assert_int_equal(read16(&p, 0x42, 0x900), 0xf00);
	pit_out(&p, PIT_PORT_61, 0x01, 0x900);
	assert_int_equal(read16(&p, 0x42, 0x910), 0xef0);
}

static void test_latch_and_readback(void **state)
{
	(void)state;
	struct pit p;

	pit_init(&p, PIT_HZ);
	load(&p, 0, 2, 1000, 0);
	assert_int_equal(read16(&p, 0x40, 10), 990);
	assert_int_equal(read16(&p, 0x40, 1005), 995); /* mode 2 reloads */
	pit_out(&p, PIT_COMMAND_PORT, 0x00, 1100);     /* latch channel 0 */
	assert_int_equal(read16(&p, 0x40, 1500), 900);
	/* Read-back: status and count of channel 0. */
	pit_out(&p, PIT_COMMAND_PORT, 0xc2, 1200);
	assert_int_equal(pit_in(&p, 0x40, 1300), 0x80 | 0x30 | (2 << 1));
	assert_int_equal(read16(&p, 0x40, 1300), 800);
}

static void test_byte_access_and_square_wave(void **state)
{
	(void)state;
	struct pit p;

	pit_init(&p, PIT_HZ);
	pit_out(&p, PIT_COMMAND_PORT, 0x16, 0); /* channel 0, low byte only, mode 3 */
	pit_out(&p, 0x40, 100, 0);
	assert_int_equal(pit_in(&p, 0x40, 10), 80); /* by twos */
	pit_out(&p, PIT_COMMAND_PORT, 0xc2, 10);
	assert_true(pit_in(&p, 0x40, 10) & 0x80); /* first half: high */
	pit_out(&p, PIT_COMMAND_PORT, 0xe2, 60);
	assert_false(pit_in(&p, 0x40, 60) & 0x80); /* second half: low */
}

static void test_port61(void **state)
{
	(void)state;
	struct pit p;

	pit_init(&p, PIT_HZ);
	pit_out(&p, PIT_PORT_61, 0xff, 0);
	assert_int_equal(pit_in(&p, PIT_PORT_61, 0) & 0x0f, 0x0f);
	assert_true(pit_in(&p, PIT_PORT_61, 0) !=
	            pit_in(&p, PIT_PORT_61, 18)); /* refresh toggles */
	assert_true(pit_port(0x40) && pit_port(0x43) && pit_port(0x61));
	assert_false(pit_port(0x44) || pit_port(0x60));
}

/* IRQ 0: channel 0's rising edges, each period in mode 2, once in mode 0; missed ones coalesce. */
static void test_irq0_edges(void **state)
{
	(void)state;
	struct pit p;

	pit_init(&p, PIT_HZ * 2);                        /* two TSC ticks per PIT tick */
	assert_int_equal(pit_irq0_next(&p), UINT64_MAX); /* nothing loaded */
	load(&p, 0, 2, 100, 1000);
	assert_int_equal(pit_irq0_next(&p), 1200);
	assert_false(pit_irq0_update(&p, 1199));
	assert_true(pit_irq0_update(&p, 1200));
	assert_false(pit_irq0_update(&p, 1201));
	assert_int_equal(pit_irq0_next(&p), 1400);
	assert_true(pit_irq0_update(&p, 2000)); /* four periods late: one edge */
	assert_int_equal(pit_irq0_next(&p), 2200);
	/* Mode 0: one edge at the terminal count, then none. */
	load(&p, 0, 0, 50, 3000);
	assert_int_equal(pit_irq0_next(&p), 3100);
	assert_true(pit_irq0_update(&p, 3100));
	assert_int_equal(pit_irq0_next(&p), UINT64_MAX);
	/* Mode 4: the pulse ends a tick after the count reaches 0. */
	load(&p, 0, 4, 50, 4000);
	assert_int_equal(pit_irq0_next(&p), 4102);
	/* Modes 1 and 5 wait for a gate edge channel 0 never sees. */
	load(&p, 0, 1, 50, 5000);
	assert_int_equal(pit_irq0_next(&p), UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mode0_channel2_out2),
	        cmocka_unit_test(test_gate_low_holds_mode0),
	        cmocka_unit_test(test_latch_and_readback),
	        cmocka_unit_test(test_byte_access_and_square_wave),
	        cmocka_unit_test(test_port61),
	        cmocka_unit_test(test_irq0_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
