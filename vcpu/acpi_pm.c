#include "vcpu/acpi_pm.h"

#include "vcpu/acpi_tables.h"

#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK  (7u << PM1_SLP_TYP_SHIFT)
#define PM_TMR_MASK       0xffffffu

void acpi_pm_init(struct acpi_pm *pm, uint64_t tsc_hz)
{
	*pm = (struct acpi_pm){.control = ACPI_PM1_SCI_EN, .tsc_hz = tsc_hz};
}

bool acpi_pm_port(uint16_t port, unsigned int size)
{
	unsigned int end = port + size;

	return (port >= ACPI_PM1A_EVT_PORT && end <= ACPI_PM1A_EVT_PORT + 4) ||
	       (port >= ACPI_PM1A_CNT_PORT && end <= ACPI_PM1A_CNT_PORT + 2) ||
	       (port >= ACPI_PM_TMR_PORT && end <= ACPI_PM_TMR_PORT + 4);
}

/* The 32-bit word of the block port lies in, and port's byte offset in it. */
static uint32_t block_value(const struct acpi_pm *pm, uint16_t port, uint64_t tsc,
                            unsigned int *shift)
{
	if (port >= ACPI_PM_TMR_PORT) {
		*shift = (port - ACPI_PM_TMR_PORT) * 8u;
		return (uint32_t)((unsigned __int128)tsc * ACPI_PM_TMR_HZ / pm->tsc_hz) &
		       PM_TMR_MASK;
	}
	if (port >= ACPI_PM1A_CNT_PORT) {
		*shift = (port - ACPI_PM1A_CNT_PORT) * 8u;
		return pm->control;
	}
	*shift = (port - ACPI_PM1A_EVT_PORT) * 8u;
	return pm->status | (uint32_t)pm->enable << 16;
}

uint32_t acpi_pm_in(const struct acpi_pm *pm, uint16_t port, unsigned int size, uint64_t tsc)
{
	unsigned int shift;
	uint32_t v = block_value(pm, port, tsc, &shift);

	v >>= shift;
	return size == 4 ? v : v & ((1u << (size * 8)) - 1);
}

enum acpi_pm_result acpi_pm_out(struct acpi_pm *pm, uint16_t port, unsigned int size, uint32_t val)
{
	unsigned int shift;
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	uint32_t word, bits;

	if (port >= ACPI_PM_TMR_PORT)
		return ACPI_PM_DONE; /* read-only */
	word = block_value(pm, port, 0, &shift);
	bits = (val & mask) << shift;
	word = (word & ~(mask << shift)) | bits;
	if (port >= ACPI_PM1A_CNT_PORT) {
		pm->control = (uint16_t)(word | ACPI_PM1_SCI_EN);
		if ((pm->control & ACPI_PM1_SLP_EN) &&
		    ((pm->control & PM1_SLP_TYP_MASK) >> PM1_SLP_TYP_SHIFT) == ACPI_S5_SLP_TYP)
			return ACPI_PM_POWER_OFF;
		pm->control &= (uint16_t)~ACPI_PM1_SLP_EN; /* write-only: reads 0 */
		return ACPI_PM_DONE;
	}
	/* Status bits are cleared by writing 1; the enable half is stored. */
	pm->status &= (uint16_t) ~(bits & 0xffff);
	pm->enable = (uint16_t)(word >> 16);
	return ACPI_PM_DONE;
}
