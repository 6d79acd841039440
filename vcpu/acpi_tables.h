/*
 * ACPI tables for a VM, where firmware puts them: an RSDP in the BIOS area
 * (0xF0000, which the memory map reserves) and, after it, an RSDT and an
 * XSDT naming a MADT (the VM's vCPUs, with the PICs) and a FADT (its PM
 * timer, PM1 event and control blocks, the reset register at 0xCF9, a FACS
 * and a DSDT whose only object is \_S5, so a guest can power itself off).
 * docs/guest-abi.md describes them.
 */
#ifndef VCPU_ACPI_TABLES_H
#define VCPU_ACPI_TABLES_H

#include <stdint.h>

#define ACPI_TABLES_GPA  0xf0000ULL /* the RSDP, 16-aligned in 0xE0000-0xFFFFF */
#define ACPI_TABLES_SIZE 0x1000ULL  /* all of them */

/* The PM blocks the FADT names: I/O ports (vcpu/io.c emulates them). */
#define ACPI_PM1A_EVT_PORT 0x600 /* 4 bytes: status, enable */
#define ACPI_PM1A_CNT_PORT 0x604 /* 2 bytes */
#define ACPI_PM_TMR_PORT   0x608 /* 4 bytes, 24-bit counter */
#define ACPI_PM_TMR_HZ     3579545ULL
#define ACPI_SCI_IRQ       9
#define ACPI_S5_SLP_TYP    5 /* what \_S5 says: SLP_TYP for soft-off */
#define ACPI_PM1_SLP_EN    (1u << 13)
#define ACPI_PM1_SCI_EN    1u

/*
 * Writes the tables into ram (guest-physical x is ram[x]) at
 * ACPI_TABLES_GPA, for vcpus vCPUs with APIC IDs 0 .. vcpus - 1. Returns
 * the bytes written (at most ACPI_TABLES_SIZE).
 */
uint64_t acpi_tables_build(uint8_t *ram, uint32_t vcpus);

#endif
