/* Host tests of vcpu/acpi_tables.c: valid tables, read back by Umbra's own parser. */
#define _GNU_SOURCE /* memmem */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "vcpu/acpi_tables.h"

#define RAM (1u << 20)

static uint8_t ram[RAM];

static const void *reader(uint64_t pa, uint64_t len, void *ctx)
{
	(void)ctx;
	return pa < RAM && len <= RAM - pa ? ram + pa : NULL;
}

static uint8_t sum(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static uint32_t get32(uint64_t pa)
{
	uint32_t v;

	memcpy(&v, ram + pa, 4);
	return v;
}

/* The table whose signature is sig, through the XSDT. */
static uint64_t table(const char *sig)
{
	uint64_t rsdp = acpi_find_rsdp(reader, NULL), xsdt;

	memcpy(&xsdt, ram + rsdp + 24, 8);
	for (uint32_t off = 36; off < get32(xsdt + 4); off += 8) {
		uint64_t t;

		memcpy(&t, ram + xsdt + off, 8);
		if (!memcmp(ram + t, sig, 4))
			return t;
	}
	return 0;
}

static void test_umbra_reads_the_cpus_back(void **state)
{
	(void)state;
	struct acpi_cpus cpus;

	memset(ram, 0xa5, sizeof(ram));
	assert_true(acpi_tables_build(ram, 3) <= ACPI_TABLES_SIZE);
	assert_int_equal(acpi_find_rsdp(reader, NULL), ACPI_TABLES_GPA);
	assert_int_equal(acpi_find_cpus(0, reader, NULL, &cpus), 0);
	assert_true(cpus.found_madt);
	assert_int_equal(cpus.count, 3);
	assert_int_equal(cpus.apic_ids[2], 2);
	assert_int_equal(cpus.lapic_base, 0xfee00000);
}

static void test_checksums_and_fadt(void **state)
{
	(void)state;
	uint64_t fadt, dsdt, madt, facs;

	acpi_tables_build(ram, 8);
	fadt = table("FACP");
	madt = table("APIC");
	assert_true(fadt && madt);
	assert_int_equal(sum(ram + fadt, get32(fadt + 4)), 0);
	assert_int_equal(sum(ram + madt, get32(madt + 4)), 0);
	/* Eight local APICs, the I/O APIC, IRQ 0 -> pin 2 and the SCI's override. */
	assert_int_equal(get32(madt + 4), 44 + 8 * 8 + 12 + 2 * 10);
	assert_int_equal(ram[madt + 44 + 64], 1);
	assert_int_equal(get32(madt + 44 + 64 + 4), 0xfec00000);
	assert_int_equal(ram[madt + 44 + 76], 2);
	assert_int_equal(ram[madt + 44 + 76 + 3], 0);
	assert_int_equal(get32(madt + 44 + 76 + 4), 2);
	assert_int_equal(ram[madt + 44 + 86 + 3], ACPI_SCI_IRQ);
	assert_int_equal(get32(fadt + 4), 276);
	assert_int_equal(get32(fadt + 76), ACPI_PM_TMR_PORT);
	assert_int_equal(get32(fadt + 64), ACPI_PM1A_CNT_PORT);
	dsdt = get32(fadt + 40);
	facs = get32(fadt + 36);
	assert_int_equal(facs % 64, 0);
	assert_memory_equal(ram + facs, "FACS", 4);
	assert_memory_equal(ram + dsdt, "DSDT", 4);
	assert_int_equal(sum(ram + dsdt, get32(dsdt + 4)), 0);
	assert_non_null(memmem(ram + dsdt, get32(dsdt + 4), "_S5_", 4));
	/* The RSDP's two checksums. */
	assert_int_equal(sum(ram + ACPI_TABLES_GPA, 20), 0);
	assert_int_equal(sum(ram + ACPI_TABLES_GPA, 36), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_umbra_reads_the_cpus_back),
	        cmocka_unit_test(test_checksums_and_fadt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
