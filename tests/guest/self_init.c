/*
 * INIT IPIs a CPU sends to itself, once ignored by Umbra (issue 16). An AP
 * that sends itself an INIT stops and waits for a SIPI, which starts it
 * again; the INIT is edge-triggered with the level bit clear, which modern
 * APICs take as an INIT all the same (only level-triggered level 0 is the
 * old "de-assert"). The boot CPU's INIT resets the machine: under Umbra,
 * which has no firmware to restart it, that ends the VM with its own line.
 * Run with vcpus=2 (bare: 2 CPUs).
 */
#include "smp.h"

PAYLOAD("self_init");

#define AP_APIC_ID 1
/*
 * Generous: beside a dozen VMs on two CPUs, a CPU that prints an ended
 * VM's statistics (synchronously, at 115200 baud) schedules nobody for
 * 100 ms and more, and the AP's start waits for it.
 */
#define START_TIMEOUT_US 2000000
#define WATCH_US         20000

static volatile uint64_t ap_loops;
static volatile bool restarted;

static void ap_init_itself(unsigned int me, void *arg)
{
	(void)me;
	(void)arg;
	apic_send_ipi(apic_id(), APIC_ICR_INIT); /* edge, level bit clear */
	for (;;)
		__atomic_add_fetch(&ap_loops, 1, __ATOMIC_SEQ_CST);
}

static void ap_restarted(unsigned int me, void *arg)
{
	(void)me;
	(void)arg;
	restarted = true;
}

TEST(ap_init_to_itself_stops_it_until_sipi)
{
	enum smp_start_result r;
	struct smp_start_times t = {0};
	uint64_t before, after;

	apic_cpu_init();
	pic_init_masked(0x20);
	if (!smp_init())
		SKIP("no page for the trampoline");
	r = smp_start_ap(1, AP_APIC_ID, ap_init_itself, NULL, START_TIMEOUT_US, &t);
	/* How long the AP took from its SIPI to its report: the margin of the timeout. */
	printf("# AP start: %lu us from SIPI to online (timeout %u us)\n",
	       t.sipi_to_online * 1000 / tsc_ticks_at_least_us(1000), START_TIMEOUT_US);
	if (r == SMP_TIMEOUT)
		SKIP("no CPU with APIC ID %u", AP_APIC_ID);
	REQUIRE(r == SMP_STARTED, "AP start: %s", smp_start_result_name(r));
	tsc_delay_us(WATCH_US); /* the INIT lands within a few instructions */
	before = ap_loops;
	tsc_delay_us(WATCH_US);
	after = ap_loops;
	CHECK(before == after, "the AP ran on after its INIT (%lu then %lu loops)", before, after);
	/* Waiting for a SIPI: INIT-SIPI-SIPI starts it again. */
	r = smp_start_ap(2, AP_APIC_ID, ap_restarted, NULL, START_TIMEOUT_US, NULL);
	CHECK(r == SMP_STARTED && restarted, "AP restart after its own INIT: %s",
	      smp_start_result_name(r));
}

TEST(bsp_init_to_itself_resets_the_vm)
{
	REQUIRE_UMBRA(); /* bare, the machine resets into its firmware and boots again */
	printf("# expecting Umbra to end this VM: INIT to the boot CPU\n");
	apic_send_ipi(apic_id(), APIC_ICR_INIT);
	tsc_delay_us(WATCH_US);
	CHECK(false, "still running");
}
