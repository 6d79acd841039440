/* Finding the processors from the ACPI MADT (through RSDP, XSDT or RSDT). */
#ifndef ARCH_X86_ACPI_H
#define ARCH_X86_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_MAX_CPUS  64
#define ACPI_ERROR_MAX 128
#define ACPI_ISA_IRQS  16
/* MPS INTI flags of an interrupt source override (ACPI 5.2.12.5). */
#define ACPI_IRQ_POLARITY_MASK 0x3
#define ACPI_IRQ_ACTIVE_LOW    0x3
#define ACPI_IRQ_TRIGGER_MASK  0xc
#define ACPI_IRQ_LEVEL         0xc

/* Hard errors of acpi_find_cpus(). */
#define ACPI_ENOENT (-1) /* no RSDP */
#define ACPI_EINVAL (-2) /* RSDP signature, checksum or length wrong */
#define ACPI_EFAULT (-3) /* RSDP unreadable, or no reader */

struct acpi_cpus {
	uint32_t apic_ids[ACPI_MAX_CPUS]; /* usable CPUs, MADT order, no duplicates */
	uint32_t count;
	uint32_t skipped_disabled; /* entries neither enabled nor online capable */
	bool found_madt;
	char error[ACPI_ERROR_MAX]; /* first problem met, even when 0 is returned */
	uint64_t lapic_base;        /* from the MADT, or its type 5 override */
	/* The I/O APIC whose inputs start at GSI 0 (the ISA IRQs), if listed. */
	bool found_ioapic;
	uint64_t ioapic_base;
	/* Each ISA IRQ's GSI and MPS flags (polarity, trigger): its override, else itself and 0. */
	uint32_t isa_gsi[ACPI_ISA_IRQS];
	uint16_t isa_flags[ACPI_ISA_IRQS];
};

/*
 * Returns a readable pointer to [pa, pa + len) or NULL if that range cannot
 * be read. Each pointer is used only until the next call. (Same type as in
 * boot/boot_info.h; C11 allows the identical redefinition.)
 */
typedef const void *(*phys_reader_fn)(uint64_t pa, uint64_t len, void *ctx);

/*
 * rsdp_pa: from boot_info, or 0 to scan the BIOS areas. Returns 0 when the
 * RSDP is good, even if no MADT was usable (found_madt false, error says why;
 * the caller then runs on one CPU). Negative ACPI_E* only for a missing,
 * unreadable or corrupt RSDP.
 */
int acpi_find_cpus(uint64_t rsdp_pa, phys_reader_fn read, void *ctx, struct acpi_cpus *out);

/*
 * Scans the first KiB of the EBDA (segment in the u16 at 0x40e), then
 * 0xe0000-0xfffff, on 16-byte boundaries for a valid RSDP. 0 if none.
 */
uint64_t acpi_find_rsdp(phys_reader_fn read, void *ctx);

#endif
