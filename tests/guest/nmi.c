/*
 * NMIs a guest sends (issue 12): a self-NMI is delivered; a second NMI
 * waits while the first one's handler runs and is delivered after its
 * IRET (blocking by NMI), once; with "-- cpus=2" an NMI from another CPU
 * wakes a CPU halted with interrupts off. Bare under QEMU the same.
 */
#include "payload.h"
#include "smp.h"

PAYLOAD("nmi");

#define ICR_NMI    (4u << 8)
#define SPIN       200000
#define TIMEOUT_US 1000000

static volatile unsigned int nmis, depth, max_depth, resend;
static volatile unsigned int seen_in_handler; /* NMIs counted while the first handler ran */

static void send_self_nmi(void)
{
	apic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_ASSERT | ICR_NMI);
}

static void on_nmi(void)
{
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	nmis++;
	if (resend) {
		resend = 0;
		send_self_nmi(); /* blocked until this handler's IRET */
		for (volatile int i = 0; i < SPIN; i++)
			;
		seen_in_handler = nmis;
	}
	depth--;
}

static bool wait_for(unsigned int count)
{
	uint64_t end = rdtsc() + tsc_ticks_at_least_us(TIMEOUT_US);

	while (nmis < count && rdtsc() < end)
		__asm__ volatile("pause");
	return nmis >= count;
}

TEST(self_nmi_is_delivered)
{
	REQUIRE(apic_set_mode(APIC_MODE_XAPIC), "no xAPIC");
	apic_cpu_init();
	nmi_set_handler(on_nmi);
	send_self_nmi();
	CHECK(wait_for(1), "no NMI delivered");
	CHECK(nmis == 1, "%u NMIs for one", nmis);
}

TEST(nmi_blocked_until_iret)
{
	unsigned int before = nmis;

	resend = 1;
	send_self_nmi();
	CHECK(wait_for(before + 2), "%u NMIs, want 2 (the second after the first's IRET)",
	      nmis - before);
	CHECK(max_depth == 1, "NMIs nested %u deep: the second did not wait for IRET", max_depth);
	CHECK(seen_in_handler == before + 1, "the second NMI came inside the first's handler");
	tsc_delay_us(1000);
	CHECK(nmis == before + 2, "%u NMIs: more than were sent", nmis - before);
}

static volatile bool bsp_halting;
static uint32_t bsp_apic;

static void ap_sends_nmi(unsigned int cpu, void *arg)
{
	(void)cpu;
	(void)arg;
	while (!bsp_halting)
		__asm__ volatile("pause");
	tsc_delay_us(5000); /* the BSP is in HLT by now */
	apic_send_ipi(bsp_apic, APIC_ICR_ASSERT | ICR_NMI);
}

TEST(nmi_wakes_hlt_with_interrupts_off)
{
	uint64_t cpus = 1;
	unsigned int before = nmis;
	enum smp_start_result r;

	cmdline_get_u64("cpus", &cpus);
	if (cpus < 2)
		SKIP("needs cpus=2");
	REQUIRE(smp_init(), "no page for the AP trampoline");
	bsp_apic = apic_id();
	r = smp_start_ap(1, bsp_apic + 1, ap_sends_nmi, NULL, TIMEOUT_US, NULL);
	REQUIRE(r == SMP_STARTED, "AP 1: %s", smp_start_result_name(r));
	__asm__ volatile("cli");
	bsp_halting = true;
	if (nmis == before)
		__asm__ volatile("hlt");
	CHECK(nmis == before + 1, "woke from HLT with %u NMIs, want 1", nmis - before);
}
