/*
 * The firmware tables a PC kernel reads (issue 12): an RSDP in the BIOS
 * area, RSDT/XSDT, a MADT listing every CPU (each one started by the APIC
 * ID it gives), a FADT whose PM timer runs at 3.579545 MHz, and, with
 * "-- poweroff=1", the \_S5 sleep type written to PM1a control to power
 * off. "-- cpus=N" says how many CPUs the MADT must list. Bare under QEMU
 * (SeaBIOS's tables) the same tests pass.
 */
#include "payload.h"
#include "smp.h"

PAYLOAD("acpi");

#define PM_TMR_HZ     3579545ULL
#define SLP_EN        (1u << 13)
#define START_TIMEOUT 1000000

static unsigned int madt_ids(uint32_t *ids, unsigned int max)
{
	uint64_t madt = acpi_table("APIC");
	unsigned int n = 0;

	if (!madt)
		return 0;
	for (const uint8_t *e = acpi_madt_entry(madt, NULL); e; e = acpi_madt_entry(madt, e))
		if (e[0] == 0 && (e[4] & 1) && n < max)
			ids[n++] = e[3];
	return n;
}

TEST(tables_are_there_and_valid)
{
	uint64_t rsdp = acpi_rsdp(), fadt = acpi_table("FACP"), madt = acpi_table("APIC");

	printf("# RSDP at 0x%lx, FADT at 0x%lx, MADT at 0x%lx\n", rsdp, fadt, madt);
	REQUIRE(rsdp && fadt && madt, "RSDP, FADT or MADT missing");
	CHECK(acpi_checksum_ok(rsdp + 0, 20), "RSDP checksum");
	CHECK(acpi_checksum_ok(fadt, phys_read32(fadt + 4)) &&
	              acpi_checksum_ok(madt, phys_read32(madt + 4)),
	      "table checksums");
	CHECK(phys_read32(fadt + 40) &&
	              !memcmp((const void *)(uintptr_t)phys_read32(fadt + 40), "DSDT", 4),
	      "the FADT names no DSDT");
}

static volatile unsigned int started;

static void ap_main(unsigned int cpu, void *arg)
{
	(void)cpu;
	(void)arg;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
}

TEST(madt_lists_and_starts_every_cpu)
{
	uint32_t ids[SMP_MAX_CPUS];
	uint64_t want = 1;
	unsigned int n = madt_ids(ids, SMP_MAX_CPUS);

	cmdline_get_u64("cpus", &want);
	printf("# MADT: %u CPUs, %lu expected\n", n, want);
	REQUIRE(n == want, "the MADT lists %u CPUs, want %lu", n, want);
	REQUIRE(apic_set_mode(APIC_MODE_XAPIC), "no xAPIC");
	apic_cpu_init();
	REQUIRE(n == 1 || smp_init(), "no page for the AP trampoline");
	unsigned int next = 1;

	for (unsigned int i = 0; i < n; i++) {
		if (ids[i] == apic_id())
			continue;
		enum smp_start_result r =
		        smp_start_ap(next++, ids[i], ap_main, NULL, START_TIMEOUT, NULL);

		CHECK(r == SMP_STARTED, "APIC ID %u: %s", ids[i], smp_start_result_name(r));
	}
	tsc_delay_us(10000); /* each AP counts itself just after it reports in */
	CHECK(started == n - 1, "%u APs started, want %u", started, n - 1);
}

TEST(pm_timer_runs_at_its_rate)
{
	uint64_t fadt = acpi_table("FACP");
	uint16_t port;
	uint32_t t0, t1;

	REQUIRE(fadt, "no FADT");
	port = (uint16_t)phys_read32(fadt + 76);
	REQUIRE(port, "no PM timer in the FADT");
	/* Each read beside its TSC: time spent elsewhere between them counts on both. */
	t0 = inl(port) & 0xffffff;
	uint64_t c0 = rdtsc();

	tsc_delay_us(100000);
	t1 = inl(port) & 0xffffff;
	uint64_t c1 = rdtsc();
	uint64_t ticks = (t1 - t0) & 0xffffff, want = (c1 - c0) * PM_TMR_HZ / tsc_hz();

	printf("# PM timer at port 0x%x: %lu ticks where the TSC says %lu\n", port, ticks, want);
	/* Bare under TCG the TSC and the timer drift apart: only that it runs. */
	if (on_umbra())
		CHECK(ticks > want * 98 / 100 && ticks < want * 102 / 100,
		      "%lu ticks, want %lu within 2%%", ticks, want);
	else
		CHECK(ticks > 0, "the PM timer does not run");
}

/* SLP_TYPa from \_S5 in the DSDT: Name(_S5, Package(){a, b, ...}). */
static int s5_slp_typ(void)
{
	uint64_t fadt = acpi_table("FACP"), dsdt = fadt ? phys_read32(fadt + 40) : 0;

	for (uint32_t i = 36; dsdt && i + 10 < phys_read32(dsdt + 4); i++) {
		const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)(dsdt + i);

		if (p[0] != '_' || p[1] != 'S' || p[2] != '5' || p[3] != '_' || p[4] != 0x12)
			continue;
		/* PkgLength (one byte here), NumElements, then the first element. */
		p += 7;
		return p[0] == 0x0a ? p[1] : p[0] == 0x01 ? 1 : 0;
	}
	return -1;
}

TEST(s5_powers_off)
{
	uint64_t poweroff = 0, fadt = acpi_table("FACP");
	int typ = s5_slp_typ();

	cmdline_get_u64("poweroff", &poweroff);
	printf("# \\_S5 SLP_TYPa %d\n", typ);
	REQUIRE(typ >= 0 && fadt, "no \\_S5 in the DSDT");
	if (!poweroff)
		SKIP("no poweroff=1 asked for");
	serial_flush();
	outw((uint16_t)phys_read32(fadt + 64), (uint16_t)((typ << 10) | SLP_EN));
	CHECK(false, "still running after S5");
}
