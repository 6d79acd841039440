/* Host tests of vcpu/acpi_pm.c: the PM timer, PM1 control and S5. The TSC runs at 1 GHz here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vcpu/acpi_pm.h"
#include "vcpu/acpi_tables.h"

#define GHZ 1000000000ULL

static void test_timer(void **state)
{
	(void)state;
	struct acpi_pm pm;

	acpi_pm_init(&pm, GHZ);
	assert_int_equal(acpi_pm_in(&pm, ACPI_PM_TMR_PORT, 4, 0), 0);
	assert_int_equal(acpi_pm_in(&pm, ACPI_PM_TMR_PORT, 4, GHZ), ACPI_PM_TMR_HZ & 0xffffff);
	/* 24 bits: wraps every 4.69 s. */
	assert_true(acpi_pm_in(&pm, ACPI_PM_TMR_PORT, 4, 10 * GHZ) <= 0xffffff);
	assert_int_equal(acpi_pm_in(&pm, ACPI_PM_TMR_PORT + 2, 1, GHZ),
	                 (ACPI_PM_TMR_HZ >> 16) & 0xff);
}

static void test_control_and_s5(void **state)
{
	(void)state;
	struct acpi_pm pm;

	acpi_pm_init(&pm, GHZ);
	assert_int_equal(acpi_pm_in(&pm, ACPI_PM1A_CNT_PORT, 2, 0), ACPI_PM1_SCI_EN);
	/* S1 with SLP_EN: not a power-off (and SLP_EN reads 0). */
	assert_int_equal(acpi_pm_out(&pm, ACPI_PM1A_CNT_PORT, 2, (1u << 10) | ACPI_PM1_SLP_EN),
	                 ACPI_PM_DONE);
	assert_int_equal(acpi_pm_in(&pm, ACPI_PM1A_CNT_PORT, 2, 0), (1u << 10) | ACPI_PM1_SCI_EN);
	/* SLP_TYP 5 without SLP_EN: stored only. */
	assert_int_equal(acpi_pm_out(&pm, ACPI_PM1A_CNT_PORT, 2, 5u << 10), ACPI_PM_DONE);
	assert_int_equal(acpi_pm_out(&pm, ACPI_PM1A_CNT_PORT, 2, (5u << 10) | ACPI_PM1_SLP_EN),
	                 ACPI_PM_POWER_OFF);
	/* A byte write of the high half alone does it too. */
	acpi_pm_init(&pm, GHZ);
	assert_int_equal(acpi_pm_out(&pm, ACPI_PM1A_CNT_PORT + 1, 1, (5u << 2) | (1u << 5)),
	                 ACPI_PM_POWER_OFF);
}

static void test_event_block(void **state)
{
	(void)state;
	struct acpi_pm pm;

	acpi_pm_init(&pm, GHZ);
	pm.status = 0x0101;
	acpi_pm_out(&pm, ACPI_PM1A_EVT_PORT, 2, 0x0100); /* write 1 clears */
	assert_int_equal(acpi_pm_in(&pm, ACPI_PM1A_EVT_PORT, 2, 0), 0x0001);
	acpi_pm_out(&pm, ACPI_PM1A_EVT_PORT + 2, 2, 0x0120);
	assert_int_equal(acpi_pm_in(&pm, ACPI_PM1A_EVT_PORT + 2, 2, 0), 0x0120);
	assert_int_equal(acpi_pm_in(&pm, ACPI_PM1A_EVT_PORT, 2, 0), 0x0001);
	assert_true(acpi_pm_port(0x600, 4) && acpi_pm_port(0x604, 2) && acpi_pm_port(0x608, 4));
	assert_false(acpi_pm_port(0x604, 4) || acpi_pm_port(0x606, 1) || acpi_pm_port(0x60c, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_timer),
	        cmocka_unit_test(test_control_and_s5),
	        cmocka_unit_test(test_event_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
