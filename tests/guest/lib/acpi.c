/* Finding the firmware's ACPI tables (see payload.h). */
#include "payload.h"

uint32_t phys_read32(uint64_t pa)
{
	return *(const volatile uint32_t *)(uintptr_t)pa;
}

bool acpi_checksum_ok(uint64_t pa, uint32_t len)
{
	uint8_t s = 0;

	for (uint32_t i = 0; i < len; i++)
		s = (uint8_t)(s + *(const volatile uint8_t *)(uintptr_t)(pa + i));
	return s == 0;
}

uint64_t acpi_rsdp(void)
{
	for (uint64_t pa = 0xe0000; pa < 0x100000; pa += 16)
		if (!memcmp((const void *)(uintptr_t)pa, "RSD PTR ", 8) && acpi_checksum_ok(pa, 20))
			return pa;
	return 0;
}

uint64_t acpi_table(const char *sig)
{
	uint64_t rsdp = acpi_rsdp(), rsdt;

	if (!rsdp)
		return 0;
	rsdt = phys_read32(rsdp + 16);
	for (uint32_t off = 36; off + 4 <= phys_read32(rsdt + 4); off += 4) {
		uint64_t t = phys_read32(rsdt + off);

		if (!memcmp((const void *)(uintptr_t)t, sig, 4))
			return t;
	}
	return 0;
}

const uint8_t *acpi_madt_entry(uint64_t madt, const uint8_t *prev)
{
	uint64_t end = madt + phys_read32(madt + 4);
	uint64_t at = prev ? (uint64_t)(uintptr_t)prev + prev[1] : madt + 44;
	const uint8_t *e = (const uint8_t *)(uintptr_t)at;

	if (at + 2 > end || e[1] < 2 || at + e[1] > end)
		return NULL;
	return e;
}
