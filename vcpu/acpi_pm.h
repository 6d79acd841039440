/*
 * The ACPI power-management registers the FADT names (acpi_tables.h):
 * PM1a event (status, write 1 to clear; enable), PM1a control (SCI_EN
 * always set: ACPI is always on; writing SLP_EN with the \_S5 sleep type
 * powers the VM off) and the 24-bit PM timer at 3.579545 MHz from the TSC.
 */
#ifndef VCPU_ACPI_PM_H
#define VCPU_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

struct acpi_pm {
	uint16_t status, enable, control;
	uint64_t tsc_hz;
};

enum acpi_pm_result {
	ACPI_PM_DONE,
	ACPI_PM_POWER_OFF, /* S5 asked for */
};

void acpi_pm_init(struct acpi_pm *pm, uint64_t tsc_hz);
/* Whether [port, port + size) lies inside one of the three blocks. */
bool acpi_pm_port(uint16_t port, unsigned int size);
uint32_t acpi_pm_in(const struct acpi_pm *pm, uint16_t port, unsigned int size, uint64_t tsc);
enum acpi_pm_result acpi_pm_out(struct acpi_pm *pm, uint16_t port, unsigned int size, uint32_t val);

#endif
