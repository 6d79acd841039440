/* The host's I/O APIC: see ioapic.h. */
#include "arch/x86/ioapic.h"

#define IOAPIC_REGSEL    0x00
#define IOAPIC_WINDOW    0x10
#define IOAPIC_REG_VER   0x01
#define IOAPIC_REG_RTE   0x10 /* entry n: 0x10 + 2n (low), 0x11 + 2n (high) */
#define RTE_ACTIVE_LOW   (1u << 13)
#define RTE_LEVEL        (1u << 15)
#define RTE_DEST_SHIFT   24 /* in the high word: an 8-bit physical APIC ID */
#define VER_MAX_RTE(ver) (((ver) >> 16) & 0xff)

static uint32_t ioapic_read(uint64_t base, uint32_t reg)
{
	*(volatile uint32_t *)(base + IOAPIC_REGSEL) = reg;
	return *(volatile uint32_t *)(base + IOAPIC_WINDOW);
}

static void ioapic_write(uint64_t base, uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(base + IOAPIC_REGSEL) = reg;
	*(volatile uint32_t *)(base + IOAPIC_WINDOW) = val;
}

bool ioapic_route_isa_irq(const struct acpi_cpus *madt, unsigned int irq, uint8_t vector,
                          uint32_t apic_id, uint32_t *pin, const char **why)
{
	uint64_t base = madt->ioapic_base;
	uint32_t low = vector;
	uint16_t flags;

	if (!madt->found_ioapic || irq >= ACPI_ISA_IRQS) {
		*why = "the MADT lists no I/O APIC for the ISA interrupts";
		return false;
	}
	if (apic_id > 0xff) {
		*why = "the CPU's APIC ID does not fit an I/O APIC destination";
		return false;
	}
	*pin = madt->isa_gsi[irq];
	if (*pin > VER_MAX_RTE(ioapic_read(base, IOAPIC_REG_VER))) {
		*why = "its GSI is past the I/O APIC's pins";
		return false;
	}
	/* ISA's default is edge-triggered, active high: an override may say otherwise. */
	flags = madt->isa_flags[irq];
	if ((flags & ACPI_IRQ_POLARITY_MASK) == ACPI_IRQ_ACTIVE_LOW)
		low |= RTE_ACTIVE_LOW;
	if ((flags & ACPI_IRQ_TRIGGER_MASK) == ACPI_IRQ_LEVEL)
		low |= RTE_LEVEL;
	ioapic_write(base, IOAPIC_REG_RTE + 2 * *pin + 1, apic_id << RTE_DEST_SHIFT);
	ioapic_write(base, IOAPIC_REG_RTE + 2 * *pin, low); /* unmasked last */
	return true;
}
