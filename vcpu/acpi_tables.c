#include "vcpu/acpi_tables.h"

#include <string.h>

#include "vcpu/vioapic.h"
#include "vcpu/vm_irq.h"

/* Offsets from ACPI_TABLES_GPA. */
#define OFF_RSDP 0x000
#define OFF_RSDT 0x040
#define OFF_XSDT 0x080
#define OFF_FACS 0x0c0 /* 64-byte aligned */
#define OFF_FADT 0x100
#define OFF_DSDT 0x240
#define OFF_MADT 0x300

#define HDR_SIZE       36
#define FADT_SIZE      276 /* ACPI 6 */
#define FACS_SIZE      64
#define MADT_LAPIC     0xfee00000u
#define MADT_PCAT      1u /* the 8259 PICs are there too */
#define LAPIC_ENTRY    0
#define LAPIC_LEN      8
#define LAPIC_ENABLED  1u
#define IOAPIC_ENTRY   1
#define IOAPIC_LEN     12
#define ISO_ENTRY      2 /* interrupt source override */
#define ISO_LEN        10
#define ISO_LEVEL_HIGH 0x000du /* active high, level-triggered */
#define FADT_WBINVD    (1u << 0)
#define FADT_PROC_C1   (1u << 2)
#define FADT_RESET_REG (1u << 10)
#define GAS_IO         1
#define RESET_PORT     0xcf9
#define RESET_VALUE    0x06

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint8_t checksum(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/* A table header: signature, length, revision, OEM fields; the checksum last (finish). */
static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "UMBRA ", 6);   /* OEM ID */
	memcpy(t + 16, "UMBRAVM ", 8); /* OEM table ID */
	put32(t + 24, 1);              /* OEM revision */
	memcpy(t + 28, "UMBR", 4);     /* creator ID */
	put32(t + 32, 1);              /* creator revision */
}

static void finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = checksum(t, len);
}

/* A Generic Address Structure for an I/O port block. */
static void gas_io(uint8_t *g, uint8_t bits, uint16_t port)
{
	g[0] = GAS_IO;
	g[1] = bits;
	g[2] = 0;
	g[3] = bits >= 32 ? 3 : bits >= 16 ? 2 : 1; /* access size */
	put64(g + 4, port);
}

/* Name(_S5, Package() {5, 5, 0, 0}): the sleep type soft-off writes to PM1 control. */
static const uint8_t s5_aml[] = {
        0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, ACPI_S5_SLP_TYP, 0x0a, ACPI_S5_SLP_TYP,
        0x00, 0x00};

static void build_fadt(uint8_t *t, uint32_t base)
{
	header(t, "FACP", FADT_SIZE, 6);
	put32(t + 36, base + OFF_FACS); /* FIRMWARE_CTRL */
	put32(t + 40, base + OFF_DSDT); /* DSDT */
	put16(t + 46, ACPI_SCI_IRQ);    /* SCI_INT; SMI_CMD 0: ACPI is always on */
	put32(t + 56, ACPI_PM1A_EVT_PORT);
	put32(t + 64, ACPI_PM1A_CNT_PORT);
	put32(t + 76, ACPI_PM_TMR_PORT);
	t[88] = 4;            /* PM1_EVT_LEN */
	t[89] = 2;            /* PM1_CNT_LEN */
	t[91] = 4;            /* PM_TMR_LEN */
	put16(t + 96, 0x65);  /* P_LVL2_LAT > 100: no C2 */
	put16(t + 98, 0x3e9); /* P_LVL3_LAT > 1000: no C3 */
	put16(t + 109, 0x5);  /* IAPC_BOOT_ARCH: legacy devices, no VGA; no 8042 */
	put32(t + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_RESET_REG);
	gas_io(t + 116, 8, RESET_PORT); /* RESET_REG */
	t[128] = RESET_VALUE;
	/* FADT minor version (131): 0, ACPI 6.0. */
	put64(t + 132, base + OFF_FACS); /* X_FIRMWARE_CTRL */
	put64(t + 140, base + OFF_DSDT); /* X_DSDT */
	gas_io(t + 148, 32, ACPI_PM1A_EVT_PORT);
	gas_io(t + 172, 16, ACPI_PM1A_CNT_PORT);
	gas_io(t + 208, 32, ACPI_PM_TMR_PORT);
	finish(t, FADT_SIZE);
}

/* An interrupt source override: ISA IRQ irq is the I/O APIC's pin gsi. */
static uint8_t *put_override(uint8_t *e, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	e[0] = ISO_ENTRY;
	e[1] = ISO_LEN;
	e[2] = 0; /* ISA */
	e[3] = irq;
	put32(e + 4, gsi);
	put16(e + 8, flags);
	return e + ISO_LEN;
}

static uint32_t build_madt(uint8_t *t, uint32_t vcpus)
{
	uint32_t len = 44 + vcpus * LAPIC_LEN + IOAPIC_LEN + 2 * ISO_LEN;
	uint8_t *e = t + 44 + vcpus * LAPIC_LEN;

	header(t, "APIC", len, 4);
	put32(t + 36, MADT_LAPIC);
	put32(t + 40, MADT_PCAT);
	for (uint32_t i = 0; i < vcpus; i++) {
		uint8_t *l = t + 44 + i * LAPIC_LEN;

		l[0] = LAPIC_ENTRY;
		l[1] = LAPIC_LEN;
		l[2] = (uint8_t)i; /* ACPI processor UID */
		l[3] = (uint8_t)i; /* APIC ID: the vCPU's number */
		put32(l + 4, LAPIC_ENABLED);
	}
	/* The I/O APIC (ID after the vCPUs', GSIs from 0), and how ISA IRQs land on it (vm_irq.h). */
	e[0] = IOAPIC_ENTRY;
	e[1] = IOAPIC_LEN;
	e[2] = 0; /* its ID register reads 0 */
	put32(e + 4, (uint32_t)VIOAPIC_BASE);
	put32(e + 8, 0);
	e = put_override(e + IOAPIC_LEN, 0, VM_IRQ_TIMER_PIN, 0); /* the PIT, as on PCs */
	put_override(e, ACPI_SCI_IRQ, ACPI_SCI_IRQ, ISO_LEVEL_HIGH);
	finish(t, len);
	return len;
}

uint64_t acpi_tables_build(uint8_t *ram, uint32_t vcpus)
{
	const uint32_t base = (uint32_t)ACPI_TABLES_GPA;
	uint8_t *p = ram + ACPI_TABLES_GPA;
	uint32_t madt_len;

	memset(p, 0, ACPI_TABLES_SIZE);
	/* RSDP, ACPI 2.0: RSDT and XSDT. */
	memcpy(p + OFF_RSDP, "RSD PTR ", 8);
	memcpy(p + OFF_RSDP + 9, "UMBRA ", 6);
	p[OFF_RSDP + 15] = 2;
	put32(p + OFF_RSDP + 16, base + OFF_RSDT);
	put32(p + OFF_RSDP + 20, 36);
	put64(p + OFF_RSDP + 24, base + OFF_XSDT);
	p[OFF_RSDP + 8] = checksum(p + OFF_RSDP, 20);
	p[OFF_RSDP + 32] = checksum(p + OFF_RSDP, 36);

	header(p + OFF_RSDT, "RSDT", HDR_SIZE + 8, 1);
	put32(p + OFF_RSDT + HDR_SIZE, base + OFF_FADT);
	put32(p + OFF_RSDT + HDR_SIZE + 4, base + OFF_MADT);
	finish(p + OFF_RSDT, HDR_SIZE + 8);

	header(p + OFF_XSDT, "XSDT", HDR_SIZE + 16, 1);
	put64(p + OFF_XSDT + HDR_SIZE, base + OFF_FADT);
	put64(p + OFF_XSDT + HDR_SIZE + 8, base + OFF_MADT);
	finish(p + OFF_XSDT, HDR_SIZE + 16);

	memcpy(p + OFF_FACS, "FACS", 4);
	put32(p + OFF_FACS + 4, FACS_SIZE);
	p[OFF_FACS + 32] = 2; /* version */

	build_fadt(p + OFF_FADT, base);

	header(p + OFF_DSDT, "DSDT", HDR_SIZE + sizeof(s5_aml), 2);
	memcpy(p + OFF_DSDT + HDR_SIZE, s5_aml, sizeof(s5_aml));
	finish(p + OFF_DSDT, HDR_SIZE + sizeof(s5_aml));

	madt_len = build_madt(p + OFF_MADT, vcpus);
	return OFF_MADT + madt_len;
}
