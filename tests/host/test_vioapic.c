/* Host tests of vcpu/vioapic.c: the I/O APIC's registers, triggers and EOIs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vcpu/vioapic.h"

static struct vioapic io;

static int setup(void **state)
{
	(void)state;
	memset(&io, 0xcc, sizeof(io));
	vioapic_reset(&io);
	return 0;
}

static uint32_t rd(uint32_t reg)
{
	vioapic_write(&io, VIOAPIC_REG_SEL, reg);
	return vioapic_read(&io, VIOAPIC_REG_WIN);
}

static uint32_t wr(uint32_t reg, uint32_t val)
{
	vioapic_write(&io, VIOAPIC_REG_SEL, reg);
	return vioapic_write(&io, VIOAPIC_REG_WIN, val);
}

static void test_reset_and_registers(void **state)
{
	(void)state;

	assert_int_equal(rd(VIOAPIC_VERSION), 0x00170011);
	assert_int_equal(rd(VIOAPIC_ID), 0);
	wr(VIOAPIC_ID, 0xffffffff);
	assert_int_equal(rd(VIOAPIC_ID), 0x0f000000);
	wr(VIOAPIC_VERSION, 0); /* read-only */
	assert_int_equal(rd(VIOAPIC_VERSION), 0x00170011);
	for (unsigned int pin = 0; pin < VIOAPIC_PINS; pin++) {
		assert_int_equal(rd(VIOAPIC_REDIR0 + 2 * pin), 0x10000);
		assert_int_equal(rd(VIOAPIC_REDIR0 + 2 * pin + 1), 0);
	}
	/* Read-only and reserved bits do not stick. */
	wr(VIOAPIC_REDIR0 + 4, 0xffffffff);
	wr(VIOAPIC_REDIR0 + 5, 0xffffffff);
	assert_int_equal(rd(VIOAPIC_REDIR0 + 4), 0x1afff);
	assert_int_equal(rd(VIOAPIC_REDIR0 + 5), 0xff000000);
	/* Past the last pin: nothing. */
	assert_int_equal(wr(VIOAPIC_REDIR0 + 48, 0x30), 0);
	assert_int_equal(rd(VIOAPIC_REDIR0 + 48), 0);
	assert_int_equal(vioapic_read(&io, 0x20), 0);
}

static void test_edge_pin(void **state)
{
	(void)state;
	struct vlapic_icr msg;

	assert_int_equal(vioapic_set_pin(&io, 2, true), 0); /* masked: the edge is lost */
	vioapic_set_pin(&io, 2, false);
	assert_int_equal(wr(VIOAPIC_REDIR0 + 4, 0x31), 0);
	wr(VIOAPIC_REDIR0 + 5, 0x01000000);
	assert_int_equal(vioapic_set_pin(&io, 2, true), 1u << 2);
	assert_int_equal(vioapic_set_pin(&io, 2, true), 0); /* still high: no new edge */
	vioapic_set_pin(&io, 2, false);
	assert_int_equal(vioapic_set_pin(&io, 2, true), 1u << 2);
	vioapic_message(&io, 2, &msg);
	assert_int_equal(msg.vector, 0x31);
	assert_int_equal(msg.mode, VLAPIC_DM_FIXED);
	assert_int_equal(msg.dest, 1);
	assert_false(msg.logical);
	assert_false(msg.trigger_level);
	assert_int_equal(msg.shorthand, VLAPIC_SH_NONE);
	/* Edge pins never hold a remote IRR. */
	assert_int_equal(rd(VIOAPIC_REDIR0 + 4) & (1u << 14), 0);
}

static void test_level_pin_remote_irr(void **state)
{
	(void)state;
	struct vlapic_icr msg;

	wr(VIOAPIC_REDIR0 + 8, 0x18000 | 0x44); /* pin 4: level, masked, vector 0x44 */
	assert_int_equal(vioapic_set_pin(&io, 4, true), 0);
	/* Unmasking an asserted level pin delivers. */
	assert_int_equal(wr(VIOAPIC_REDIR0 + 8, 0x8000 | 0x44), 1u << 4);
	assert_int_equal(rd(VIOAPIC_REDIR0 + 8), 0xc044); /* remote IRR */
	vioapic_message(&io, 4, &msg);
	assert_true(msg.trigger_level);
	/* No second message until the EOI; an EOI of another vector changes nothing. */
	assert_int_equal(vioapic_set_pin(&io, 4, true), 0);
	assert_int_equal(vioapic_eoi(&io, 0x45), 0);
	/* EOI with the line still high: delivered again. */
	assert_int_equal(vioapic_eoi(&io, 0x44), 1u << 4);
	/* Line dropped, then EOI: remote IRR clear, nothing sent. */
	vioapic_set_pin(&io, 4, false);
	assert_int_equal(vioapic_eoi(&io, 0x44), 0);
	assert_int_equal(rd(VIOAPIC_REDIR0 + 8), 0x8044);
	/* Rising again: delivered. */
	assert_int_equal(vioapic_set_pin(&io, 4, true), 1u << 4);
	/* Switching to edge clears the remote IRR. */
	wr(VIOAPIC_REDIR0 + 8, 0x44);
	assert_int_equal(rd(VIOAPIC_REDIR0 + 8), 0x44);
}

static void test_logical_broadcast_message(void **state)
{
	(void)state;
	struct vlapic_icr msg;

	wr(VIOAPIC_REDIR0 + 2 * 9, 0x0900 | 0x51); /* lowest priority, logical */
	wr(VIOAPIC_REDIR0 + 2 * 9 + 1, 0xff000000);
	vioapic_message(&io, 9, &msg);
	assert_int_equal(msg.mode, VLAPIC_DM_LOWEST);
	assert_true(msg.logical);
	assert_int_equal(msg.dest, 0xff);
	assert_int_equal(msg.vector, 0x51);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_reset_and_registers, setup),
	        cmocka_unit_test_setup(test_edge_pin, setup),
	        cmocka_unit_test_setup(test_level_pin_remote_irr, setup),
	        cmocka_unit_test_setup(test_logical_broadcast_message, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
