/* Host tests of vcpu/vpic.c: the 8259A pair as PC kernels program and use it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vcpu/vpic.h"

static struct vpic p;

/* The usual PC set-up: master at 0x20, slave at 0x28 on IRQ 2, 8086 mode, all unmasked. */
static int setup(void **state)
{
	(void)state;
	memset(&p, 0xcc, sizeof(p));
	vpic_reset(&p);
	vpic_out(&p, 0x20, 0x11);
	vpic_out(&p, 0x21, 0x20);
	vpic_out(&p, 0x21, 0x04);
	vpic_out(&p, 0x21, 0x01);
	vpic_out(&p, 0xa0, 0x11);
	vpic_out(&p, 0xa1, 0x28);
	vpic_out(&p, 0xa1, 0x02);
	vpic_out(&p, 0xa1, 0x01);
	vpic_out(&p, 0x21, 0x00);
	vpic_out(&p, 0xa1, 0x00);
	return 0;
}

static void pulse(unsigned int irq)
{
	vpic_set_irq(&p, irq, true);
	vpic_set_irq(&p, irq, false);
}

static void test_reset_masks_everything(void **state)
{
	(void)state;
	vpic_reset(&p);
	assert_int_equal(vpic_in(&p, 0x21), 0xff);
	assert_int_equal(vpic_in(&p, 0xa1), 0xff);
	pulse(0);
	assert_false(vpic_intr(&p));
	assert_int_equal(vpic_in(&p, 0x20), 0x01); /* latched in IRR all the same */
}

static void test_edge_priority_and_eoi(void **state)
{
	(void)state;

	pulse(4);
	pulse(1);
	assert_true(vpic_intr(&p));
	assert_int_equal(vpic_ack(&p), 0x21); /* IRQ 1 beats IRQ 4 */
	assert_false(vpic_intr(&p));          /* IRQ 4 waits behind IRQ 1 in service */
	vpic_out(&p, 0x20, 0x0b);             /* OCW3: read ISR */
	assert_int_equal(vpic_in(&p, 0x20), 0x02);
	vpic_out(&p, 0x20, 0x0a); /* read IRR */
	assert_int_equal(vpic_in(&p, 0x20), 0x10);
	pulse(0); /* higher priority: nests */
	assert_true(vpic_intr(&p));
	assert_int_equal(vpic_ack(&p), 0x20);
	vpic_out(&p, 0x20, 0x20); /* non-specific EOI: IRQ 0 */
	vpic_out(&p, 0x20, 0x61); /* specific EOI: IRQ 1 */
	assert_true(vpic_intr(&p));
	assert_int_equal(vpic_ack(&p), 0x24);
	vpic_out(&p, 0x20, 0x20);
	assert_false(vpic_intr(&p));
}

static void test_mask_holds_request(void **state)
{
	(void)state;

	vpic_out(&p, 0x21, 0x01);
	pulse(0);
	assert_false(vpic_intr(&p));
	vpic_out(&p, 0x21, 0x00);
	assert_true(vpic_intr(&p));
	assert_int_equal(vpic_ack(&p), 0x20);
}

static void test_cascade(void **state)
{
	(void)state;

	pulse(12);
	assert_true(vpic_intr(&p));
	assert_int_equal(vpic_ack(&p), 0x2c);
	vpic_out(&p, 0xa0, 0x0b);
	assert_int_equal(vpic_in(&p, 0xa0), 0x10);
	vpic_out(&p, 0x20, 0x0b);
	assert_int_equal(vpic_in(&p, 0x20), 0x04); /* IRQ 2 in service on the master */
	/* Masking the slave's line on the master holds it. */
	pulse(9);
	assert_false(vpic_intr(&p)); /* IRQ 2 still in service */
	vpic_out(&p, 0xa0, 0x20);
	vpic_out(&p, 0x20, 0x20);
	assert_true(vpic_intr(&p));
	assert_int_equal(vpic_ack(&p), 0x29);
}

static void test_level_and_elcr(void **state)
{
	(void)state;

	vpic_out(&p, VPIC_ELCR_PORT, 0xff);
	assert_int_equal(vpic_in(&p, VPIC_ELCR_PORT), 0xf8); /* IRQ 0-2 stay edge */
	vpic_out(&p, VPIC_ELCR_PORT + 1, 0xff);
	assert_int_equal(vpic_in(&p, VPIC_ELCR_PORT + 1), 0xde);
	vpic_set_irq(&p, 5, true);
	assert_int_equal(vpic_ack(&p), 0x25);
	vpic_out(&p, 0x20, 0x20);
	assert_true(vpic_intr(&p)); /* still high: requested again */
	vpic_set_irq(&p, 5, false);
	assert_false(vpic_intr(&p));
}

static void test_spurious_and_auto_eoi(void **state)
{
	(void)state;

	assert_int_equal(vpic_ack(&p), 0x27); /* nothing requested: IRQ 7, not in service */
	vpic_out(&p, 0x20, 0x0b);
	assert_int_equal(vpic_in(&p, 0x20), 0);
	/* Auto-EOI (ICW4 bit 1): nothing stays in service. */
	vpic_out(&p, 0x20, 0x11);
	vpic_out(&p, 0x21, 0x20);
	vpic_out(&p, 0x21, 0x04);
	vpic_out(&p, 0x21, 0x03);
	vpic_out(&p, 0x21, 0x00);
	pulse(3);
	assert_int_equal(vpic_ack(&p), 0x23);
	pulse(3);
	assert_true(vpic_intr(&p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reset_masks_everything),
	        cmocka_unit_test_setup(test_edge_priority_and_eoi, setup),
	        cmocka_unit_test_setup(test_mask_holds_request, setup),
	        cmocka_unit_test_setup(test_cascade, setup),
	        cmocka_unit_test_setup(test_level_and_elcr, setup),
	        cmocka_unit_test_setup(test_spurious_and_auto_eoi, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
