/* Host tests for arch/x86/acpi.c: RSDP search, RSDT/XSDT walk, MADT parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "arch/x86/acpi.h"

#define PHYS_SIZE (2 * 1024 * 1024ULL)
#define RSDP_PA   0xf0010ULL
#define RSDT_PA   0x100000ULL
#define XSDT_PA   0x101000ULL
#define MADT_PA   0x102000ULL
#define MADT2_PA  0x103000ULL
#define FACP_PA   0x104000ULL
#define LAPIC     0xfee00000U

static uint8_t phys[PHYS_SIZE];
static uint8_t window[65536];
static uint64_t hole_start, hole_end; /* unreadable [start, end) */
static struct acpi_cpus cpus;

/*
 * One poisoned window: using a pointer after the next read sees garbage.
 * Page 0 is unreadable, as with the hypervisor's reader.
 */
static const void *phys_read(uint64_t pa, uint64_t len, void *ctx)
{
	assert_ptr_equal(ctx, &phys);
	memset(window, 0xa5, sizeof(window));
	if (pa == 0 || len > sizeof(window) || pa > PHYS_SIZE || len > PHYS_SIZE - pa)
		return NULL;
	if (pa < hole_end && hole_start < pa + len)
		return NULL;
	memcpy(window, phys + pa, len);
	return window;
}

static int find(uint64_t rsdp)
{
	return acpi_find_cpus(rsdp, phys_read, &phys, &cpus);
}

static void put16(uint64_t pa, uint16_t v)
{
	memcpy(phys + pa, &v, 2);
}

static void put32(uint64_t pa, uint32_t v)
{
	memcpy(phys + pa, &v, 4);
}

static void put64(uint64_t pa, uint64_t v)
{
	memcpy(phys + pa, &v, 8);
}

static uint8_t sum(uint64_t pa, uint32_t len)
{
	uint8_t s = 0;

	for (uint32_t i = 0; i < len; i++)
		s += phys[pa + i];
	return s;
}

static void put_rsdp(uint64_t pa, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	memset(phys + pa, 0, 36);
	memcpy(phys + pa, "RSD PTR ", 8);
	memcpy(phys + pa + 9, "UMBRA ", 6);
	phys[pa + 15] = rev;
	put32(pa + 16, rsdt);
	phys[pa + 8] = (uint8_t)-sum(pa, 20);
	if (rev >= 2) {
		put32(pa + 20, 36);
		put64(pa + 24, xsdt);
		phys[pa + 32] = (uint8_t)-sum(pa, 36);
	}
}

static void put_table(uint64_t pa, const char *sig, const void *body, uint32_t body_len)
{
	memset(phys + pa, 0, 36);
	memcpy(phys + pa, sig, 4);
	put32(pa + 4, 36 + body_len);
	phys[pa + 8] = 1;
	memcpy(phys + pa + 10, "UMBRA ", 6);
	memcpy(phys + pa + 36, body, body_len);
	phys[pa + 9] = (uint8_t)-sum(pa, 36 + body_len);
}

static void put_rsdt(uint64_t pa, const uint32_t *e, uint32_t n)
{
	put_table(pa, "RSDT", e, n * 4);
}

static void put_xsdt(uint64_t pa, const uint64_t *e, uint32_t n)
{
	put_table(pa, "XSDT", e, n * 8);
}

/* MADT under construction. */
static uint8_t madt[4096];
static uint32_t madt_len;

static void madt_begin(uint32_t lapic)
{
	memset(madt, 0, sizeof(madt));
	memcpy(madt, &lapic, 4);
	madt[4] = 1; /* PCAT_COMPAT */
	madt_len = 8;
}

static void madt_lapic(uint8_t acpi_id, uint8_t apic_id, uint32_t flags)
{
	uint8_t *e = madt + madt_len;

	e[0] = 0;
	e[1] = 8;
	e[2] = acpi_id;
	e[3] = apic_id;
	memcpy(e + 4, &flags, 4);
	madt_len += 8;
}

static void madt_x2apic(uint32_t id, uint32_t flags)
{
	uint8_t *e = madt + madt_len;

	e[0] = 9;
	e[1] = 16;
	memcpy(e + 4, &id, 4);
	memcpy(e + 8, &flags, 4);
	memcpy(e + 12, &id, 4); /* uid */
	madt_len += 16;
}

static void madt_raw(uint8_t type, uint8_t len)
{
	madt[madt_len] = type;
	madt[madt_len + 1] = len;
	madt_len += len ? len : 2;
}

static void madt_put(uint64_t pa)
{
	put_table(pa, "APIC", madt, madt_len);
}

static void assert_error(const char *fragment)
{
	if (!strstr(cpus.error, fragment))
		fail_msg("error '%s' lacks '%s'", cpus.error, fragment);
}

static void assert_ids(const uint32_t *ids, uint32_t n)
{
	assert_int_equal(cpus.count, n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(cpus.apic_ids[i], ids[i]);
}

static int setup(void **state)
{
	(void)state;
	memset(phys, 0, sizeof(phys));
	hole_start = hole_end = 0;
	/* A FACP to skip over in every root table. */
	put_table(FACP_PA, "FACP", "\1\2\3\4", 4);
	return 0;
}

/* RSDP v1 -> RSDT -> (FACP, MADT) with a typical 4-CPU MADT. */
static void std_acpi1(void)
{
	const uint32_t rsdt[] = {FACP_PA, 0, MADT_PA};

	madt_begin(LAPIC);
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 0); /* disabled, not online capable */
	madt_lapic(2, 2, 2); /* online capable only */
	madt_raw(1, 12);     /* an I/O APIC: ignored */
	madt_lapic(3, 3, 3);
	madt_put(MADT_PA);
	put_rsdt(RSDT_PA, rsdt, 3);
	put_rsdp(RSDP_PA, 0, RSDT_PA, 0);
}

static void test_rsdp_v1_rsdt(void **state)
{
	(void)state;
	std_acpi1();
	assert_int_equal(find(RSDP_PA), 0);
	assert_string_equal(cpus.error, "");
	assert_true(cpus.found_madt);
	assert_ids((const uint32_t[]){0, 2, 3}, 3);
	assert_int_equal(cpus.skipped_disabled, 1);
	assert_int_equal(cpus.lapic_base, LAPIC);
}

static void test_rsdp_v2_xsdt_preferred(void **state)
{
	const uint64_t xsdt[] = {FACP_PA, MADT2_PA};

	(void)state;
	std_acpi1();
	madt_begin(LAPIC);
	madt_x2apic(7, 1);
	madt_put(MADT2_PA);
	put_xsdt(XSDT_PA, xsdt, 2);
	put_rsdp(RSDP_PA, 2, RSDT_PA, XSDT_PA);
	assert_int_equal(find(RSDP_PA), 0);
	assert_string_equal(cpus.error, "");
	assert_true(cpus.found_madt);
	assert_ids((const uint32_t[]){7}, 1);

	/* Revision 2 but no XSDT address: the RSDT is used. */
	put_rsdp(RSDP_PA, 2, RSDT_PA, 0);
	assert_int_equal(find(RSDP_PA), 0);
	assert_ids((const uint32_t[]){0, 2, 3}, 3);

	/* Revisions 0 and 1 are ACPI 1.0: the XSDT field is not theirs. */
	for (uint8_t rev = 0; rev < 2; rev++) {
		put_rsdp(RSDP_PA, rev, RSDT_PA, 0);
		put32(RSDP_PA + 20, 0); /* no valid length either */
		put64(RSDP_PA + 24, XSDT_PA);
		assert_int_equal(find(RSDP_PA), 0);
		assert_ids((const uint32_t[]){0, 2, 3}, 3);
	}
}

static void test_bad_xsdt_falls_back(void **state)
{
	const uint64_t xsdt[] = {MADT2_PA};

	(void)state;
	std_acpi1();
	madt_begin(LAPIC);
	madt_x2apic(7, 1);
	madt_put(MADT2_PA);
	put_xsdt(XSDT_PA, xsdt, 1);
	phys[XSDT_PA + 9]++; /* checksum */
	put_rsdp(RSDP_PA, 2, RSDT_PA, XSDT_PA);
	assert_int_equal(find(RSDP_PA), 0);
	assert_true(cpus.found_madt);
	assert_ids((const uint32_t[]){0, 2, 3}, 3);
	assert_error("XSDT at 0x101000: bad checksum");

	/* Both bad: no MADT, still not a hard error. */
	phys[RSDT_PA + 9]++;
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);
	assert_int_equal(cpus.count, 0);
	assert_error("XSDT");

	/* Wrong signature where the RSDT should be. */
	put_rsdp(RSDP_PA, 0, FACP_PA, 0);
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);
	assert_error("no RSDT signature at 0x104000");
}

static void test_bad_rsdp(void **state)
{
	(void)state;
	std_acpi1();
	phys[RSDP_PA + 8]++;
	assert_int_equal(find(RSDP_PA), ACPI_EINVAL);
	assert_error("bad checksum");

	put_rsdp(RSDP_PA, 2, RSDT_PA, XSDT_PA);
	phys[RSDP_PA + 32]++; /* only the extended checksum is wrong */
	assert_int_equal(find(RSDP_PA), ACPI_EINVAL);
	assert_error("bad extended checksum");

	put_rsdp(RSDP_PA, 2, RSDT_PA, XSDT_PA);
	put32(RSDP_PA + 20, 20); /* length below the v2 size */
	phys[RSDP_PA + 32] = 0;
	phys[RSDP_PA + 32] = (uint8_t)-sum(RSDP_PA, 36);
	assert_int_equal(find(RSDP_PA), ACPI_EINVAL);
	assert_error("bad length 20");

	put_rsdp(RSDP_PA, 0, RSDT_PA, 0);
	phys[RSDP_PA] = 'X';
	assert_int_equal(find(RSDP_PA), ACPI_EINVAL);
	assert_error("no RSDP signature");

	assert_int_equal(find(PHYS_SIZE - 8), ACPI_EFAULT);
	assert_error("unreadable");

	assert_int_equal(acpi_find_cpus(RSDP_PA, NULL, NULL, &cpus), ACPI_EFAULT);
}

static void test_madt_x2apic_and_duplicates(void **state)
{
	const uint32_t rsdt[] = {MADT_PA};

	(void)state;
	madt_begin(LAPIC);
	madt_lapic(0, 1, 1);
	madt_x2apic(1, 1); /* same CPU again as x2APIC */
	madt_x2apic(300, 1);
	madt_x2apic(301, 0); /* disabled */
	madt_x2apic(302, 2); /* online capable */
	madt_lapic(5, 1, 1); /* duplicate LAPIC entry */
	madt_lapic(6, 4, 1);
	madt_put(MADT_PA);
	put_rsdt(RSDT_PA, rsdt, 1);
	put_rsdp(RSDP_PA, 0, RSDT_PA, 0);
	assert_int_equal(find(RSDP_PA), 0);
	assert_string_equal(cpus.error, "");
	assert_ids((const uint32_t[]){1, 300, 302, 4}, 4);
	assert_int_equal(cpus.skipped_disabled, 1);
}

static void test_madt_override_and_bad_ids(void **state)
{
	const uint32_t rsdt[] = {MADT_PA};
	const uint64_t base = 0x1fee00000ULL;

	(void)state;
	madt_begin(LAPIC);
	madt_lapic(0, 0, 1);
	madt[madt_len] = 5;
	madt[madt_len + 1] = 12;
	memcpy(madt + madt_len + 4, &base, 8);
	madt_len += 12;
	madt_lapic(1, 0xff, 1); /* broadcast ID: not a CPU */
	madt_x2apic(UINT32_MAX, 1);
	madt_lapic(2, 0xff, 0); /* disabled placeholder: just counted */
	madt_put(MADT_PA);
	put_rsdt(RSDT_PA, rsdt, 1);
	put_rsdp(RSDP_PA, 0, RSDT_PA, 0);
	assert_int_equal(find(RSDP_PA), 0);
	assert_int_equal(cpus.lapic_base, base);
	assert_ids((const uint32_t[]){0}, 1);
	assert_int_equal(cpus.skipped_disabled, 1);
	assert_error("invalid APIC ID 0xff");
}

/* MADT type 1: an I/O APIC (id, reserved, address, GSI base). */
static void madt_ioapic(uint32_t base, uint32_t gsi_base)
{
	madt[madt_len] = 1;
	madt[madt_len + 1] = 12;
	memcpy(madt + madt_len + 4, &base, 4);
	memcpy(madt + madt_len + 8, &gsi_base, 4);
	madt_len += 12;
}

/* MADT type 2: an interrupt source override (bus, source IRQ, GSI, MPS flags). */
static void madt_irq_override(uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	madt[madt_len] = 2;
	madt[madt_len + 1] = 10;
	madt[madt_len + 2] = bus;
	madt[madt_len + 3] = irq;
	memcpy(madt + madt_len + 4, &gsi, 4);
	memcpy(madt + madt_len + 8, &flags, 2);
	madt_len += 10;
}

/* The I/O APIC at GSI 0 and the ISA overrides: what host interrupt routing needs. */
static void test_madt_ioapic_and_irq_overrides(void **state)
{
	const uint32_t rsdt[] = {MADT_PA};

	(void)state;
	madt_begin(LAPIC);
	madt_lapic(0, 0, 1);
	madt_ioapic(0xfec10000, 24); /* not the ISA one */
	madt_ioapic(0xfec00000, 0);
	madt_irq_override(0, 0, 2, 0);    /* IRQ 0 on GSI 2 */
	madt_irq_override(0, 9, 20, 0xf); /* level, active low */
	madt_irq_override(1, 4, 20, 0);   /* not ISA: ignored */
	madt_irq_override(0, 16, 0, 0);   /* past the ISA IRQs: ignored */
	madt_put(MADT_PA);
	put_rsdt(RSDT_PA, rsdt, 1);
	put_rsdp(RSDP_PA, 0, RSDT_PA, 0);
	assert_int_equal(find(RSDP_PA), 0);
	assert_string_equal(cpus.error, "");
	assert_true(cpus.found_ioapic);
	assert_int_equal(cpus.ioapic_base, 0xfec00000);
	assert_int_equal(cpus.isa_gsi[0], 2);
	assert_int_equal(cpus.isa_flags[0], 0);
	assert_int_equal(cpus.isa_gsi[4], 4);
	assert_int_equal(cpus.isa_flags[4], 0);
	assert_int_equal(cpus.isa_gsi[9], 20);
	assert_int_equal(cpus.isa_flags[9] & ACPI_IRQ_TRIGGER_MASK, ACPI_IRQ_LEVEL);
	assert_int_equal(cpus.isa_flags[9] & ACPI_IRQ_POLARITY_MASK, ACPI_IRQ_ACTIVE_LOW);
}

static void test_madt_truncated_entries(void **state)
{
	const uint32_t rsdt[] = {MADT_PA};

	(void)state;
	put_rsdt(RSDT_PA, rsdt, 1);
	put_rsdp(RSDP_PA, 0, RSDT_PA, 0);

	/* Last entry runs past the table: earlier CPUs kept, parsing stops. */
	madt_begin(LAPIC);
	madt_lapic(0, 0, 1);
	madt_lapic(1, 1, 1);
	madt_len -= 3;
	madt_put(MADT_PA);
	assert_int_equal(find(RSDP_PA), 0);
	assert_true(cpus.found_madt);
	assert_ids((const uint32_t[]){0}, 1);
	assert_error("entry type 0 at offset 52: bad length 8");

	/* Zero length would loop forever. */
	madt_begin(LAPIC);
	madt_lapic(0, 0, 1);
	madt_raw(0x7f, 0);
	madt_lapic(1, 1, 1);
	madt_put(MADT_PA);
	assert_int_equal(find(RSDP_PA), 0);
	assert_ids((const uint32_t[]){0}, 1);
	assert_error("bad length 0");

	/* Length 1. */
	madt_begin(LAPIC);
	madt_raw(0x7f, 1);
	madt_len = 8 + 2;
	madt_put(MADT_PA);
	assert_int_equal(find(RSDP_PA), 0);
	assert_error("bad length 1");

	/* A single trailing byte. */
	madt_begin(LAPIC);
	madt_lapic(0, 0, 1);
	madt_len += 1;
	madt_put(MADT_PA);
	assert_int_equal(find(RSDP_PA), 0);
	assert_ids((const uint32_t[]){0}, 1);
	assert_error("truncated entry at offset 52");

	/* Type 0 too short for its fields. */
	madt_begin(LAPIC);
	madt_raw(0, 6);
	madt_lapic(1, 1, 1);
	madt_put(MADT_PA);
	assert_int_equal(find(RSDP_PA), 0);
	assert_int_equal(cpus.count, 0);
	assert_error("too short");

	/* Type 9 too short. */
	madt_begin(LAPIC);
	madt_raw(9, 12);
	madt_put(MADT_PA);
	assert_int_equal(find(RSDP_PA), 0);
	assert_error("entry type 9 at offset 44: too short (12)");

	/* Header too short for the MADT fields. */
	put_table(MADT_PA, "APIC", "\0\0\0", 3);
	assert_int_equal(find(RSDP_PA), 0);
	assert_true(cpus.found_madt);
	assert_error("MADT too short");
}

static void test_no_madt(void **state)
{
	const uint32_t rsdt[] = {FACP_PA, MADT_PA};

	(void)state;
	/* Near misses of the "APIC" signature are other tables. */
	madt_begin(LAPIC);
	madt_lapic(0, 0, 1);
	put_table(MADT_PA, "APIc", madt, madt_len);
	put_rsdt(RSDT_PA, rsdt, 2);
	put_rsdp(RSDP_PA, 0, RSDT_PA, 0);
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);
	put_table(MADT_PA, "xPIC", madt, madt_len);
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);

	put_rsdt(RSDT_PA, rsdt, 1);
	put_rsdp(RSDP_PA, 0, RSDT_PA, 0);
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);
	assert_int_equal(cpus.count, 0);
	assert_error("no MADT");

	/* Empty RSDT. */
	put_rsdt(RSDT_PA, rsdt, 0);
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);

	/* No root table address at all. */
	put_rsdp(RSDP_PA, 0, 0, 0);
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);
	assert_error("no RSDT or XSDT");
}

static void test_bad_madt_skipped(void **state)
{
	const uint32_t rsdt[] = {FACP_PA, MADT_PA, MADT2_PA};

	(void)state;
	std_acpi1();
	phys[MADT_PA + 40]++; /* checksum */
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);
	assert_int_equal(cpus.count, 0);
	assert_error("APIC at 0x102000: bad checksum, skipped");

	/* A second, good MADT is found after the bad one. */
	madt_begin(LAPIC);
	madt_lapic(0, 9, 1);
	madt_put(MADT2_PA);
	put_rsdt(RSDT_PA, rsdt, 3);
	assert_int_equal(find(RSDP_PA), 0);
	assert_true(cpus.found_madt);
	assert_ids((const uint32_t[]){9}, 1);
	assert_error("bad checksum, skipped");

	/* Absurd and too small lengths. */
	std_acpi1();
	put32(MADT_PA + 4, 0x7fffffff);
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);
	assert_error("bad length 2147483647");
	put32(MADT_PA + 4, 35);
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);
	assert_error("bad length 35");

	/* Unreadable table in the list: skipped. */
	std_acpi1();
	const uint32_t far[] = {(uint32_t)PHYS_SIZE + 0x1000, MADT_PA};
	put_rsdt(RSDT_PA, far, 2);
	assert_int_equal(find(RSDP_PA), 0);
	assert_true(cpus.found_madt);
	assert_error("table at 0x201000 unreadable");

	/* Unreadable body (header readable). */
	std_acpi1();
	hole_start = MADT_PA + 40, hole_end = MADT_PA + 41;
	assert_int_equal(find(RSDP_PA), 0);
	assert_false(cpus.found_madt);
	assert_error("APIC at 0x102000 unreadable");
}

static void test_too_many_cpus(void **state)
{
	const uint32_t rsdt[] = {MADT_PA};

	(void)state;
	madt_begin(LAPIC);
	for (uint32_t i = 0; i < ACPI_MAX_CPUS + 6; i++)
		madt_x2apic(i * 2, 1);
	madt_put(MADT_PA);
	put_rsdt(RSDT_PA, rsdt, 1);
	put_rsdp(RSDP_PA, 0, RSDT_PA, 0);
	assert_int_equal(find(RSDP_PA), 0);
	assert_int_equal(cpus.count, ACPI_MAX_CPUS);
	assert_int_equal(cpus.apic_ids[ACPI_MAX_CPUS - 1], (ACPI_MAX_CPUS - 1) * 2);
	assert_error("more than 64 CPUs");
}

static void test_scan_bios_area(void **state)
{
	(void)state;
	std_acpi1();
	/* A decoy with a bad checksum comes first and must be skipped. */
	put_rsdp(0xe0000, 0, 0x12345678, 0);
	phys[0xe0008]++;
	/* Unaligned copies do not count. */
	put_rsdp(0xe1008, 0, RSDT_PA, 0);
	assert_int_equal(acpi_find_rsdp(phys_read, &phys), RSDP_PA);
	assert_int_equal(find(0), 0);
	assert_true(cpus.found_madt);
	assert_int_equal(cpus.count, 3);

	/* Found on the last possible 16-byte slot. */
	memset(phys + RSDP_PA, 0, 36);
	put_rsdp(0xffff0, 0, RSDT_PA, 0);
	assert_int_equal(acpi_find_rsdp(phys_read, &phys), 0xffff0);

	/* A v2 RSDP with a bad extended checksum is no match. */
	put_rsdp(0xffff0, 2, RSDT_PA, XSDT_PA);
	phys[0xffff0 + 32]++;
	assert_int_equal(acpi_find_rsdp(phys_read, &phys), 0);

	/* Nothing anywhere: hard error. */
	assert_int_equal(find(0), ACPI_ENOENT);
	assert_error("no RSDP");

	/* Unreadable BIOS area: no crash, nothing found. */
	put_rsdp(0xffff0, 0, RSDT_PA, 0);
	hole_start = 0, hole_end = PHYS_SIZE;
	assert_int_equal(acpi_find_rsdp(phys_read, &phys), 0);
	assert_int_equal(acpi_find_rsdp(NULL, NULL), 0);
}

static void test_scan_ebda_first(void **state)
{
	(void)state;
	std_acpi1();
	put16(0x40e, 0x9fc0);                     /* EBDA at 0x9fc00 */
	put_rsdp(0x9fc00 + 0x3f0, 0, RSDT_PA, 0); /* last slot of its first KiB */
	assert_int_equal(acpi_find_rsdp(phys_read, &phys), 0x9fc00 + 0x3f0);

	/* Beyond the first KiB of the EBDA: the BIOS area copy is found instead. */
	memset(phys + 0x9fc00 + 0x3f0, 0, 36);
	put_rsdp(0x9fc00 + 0x400, 0, RSDT_PA, 0);
	assert_int_equal(acpi_find_rsdp(phys_read, &phys), RSDP_PA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_rsdp_v1_rsdt, setup),
	        cmocka_unit_test_setup(test_rsdp_v2_xsdt_preferred, setup),
	        cmocka_unit_test_setup(test_bad_xsdt_falls_back, setup),
	        cmocka_unit_test_setup(test_bad_rsdp, setup),
	        cmocka_unit_test_setup(test_madt_x2apic_and_duplicates, setup),
	        cmocka_unit_test_setup(test_madt_override_and_bad_ids, setup),
	        cmocka_unit_test_setup(test_madt_ioapic_and_irq_overrides, setup),
	        cmocka_unit_test_setup(test_madt_truncated_entries, setup),
	        cmocka_unit_test_setup(test_no_madt, setup),
	        cmocka_unit_test_setup(test_bad_madt_skipped, setup),
	        cmocka_unit_test_setup(test_too_many_cpus, setup),
	        cmocka_unit_test_setup(test_scan_bios_area, setup),
	        cmocka_unit_test_setup(test_scan_ebda_first, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
