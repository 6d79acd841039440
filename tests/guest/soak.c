/*
 * A soak (make soak): two CPUs of one VM each make `exits` CPUID exits,
 * sending each other a fixed IPI every 1,000 and sleeping on a one-shot
 * APIC timer every 10,000, while other VMs share the machine. Nothing may
 * be lost: the VM's CPUID exits grow by exactly what both CPUs made, each
 * CPU takes every IPI the other sent, every timer wakes its sleeper.
 * With die_at=K the BSP triple-faults after K exits while its AP still
 * runs: Umbra must end the VM and take the AP out of guest mode.
 *   command line: -- exits=N die_at=K   (defaults 100000 and none)
 */
#include "smp.h"

PAYLOAD("soak");

#define EXITS_DEFAULT    100000
#define IPI_EVERY        1000
#define SLEEP_EVERY      10000
#define SLEEP_TICKS      20000
#define VEC_IPI          0x41
#define VEC_TIMER        0x42
#define AP_APIC_ID       1
#define START_TIMEOUT_US 200000

static uint64_t exits = EXITS_DEFAULT, die_at;
static volatile bool go;
static volatile uint64_t done_cpus;
static volatile uint64_t ipis_sent[2], ipis_taken[2], wakeups[2], sleeps[2], bad_cpuid[2];

static void ipi_handler(unsigned int vector)
{
	int me = smp_this_cpu();

	(void)vector;
	__atomic_add_fetch(&ipis_taken[me == 0 ? 0 : 1], 1, __ATOMIC_SEQ_CST);
	apic_eoi();
}

static void timer_handler(unsigned int vector)
{
	int me = smp_this_cpu();

	(void)vector;
	__atomic_add_fetch(&wakeups[me == 0 ? 0 : 1], 1, __ATOMIC_SEQ_CST);
	apic_eoi();
}

static void triple_fault(void)
{
	static const struct desc_ptr none = {0, 0};

	lidt(&none);
	__asm__ volatile("int3");
}

/* The loop both CPUs run: CPUID exits, an IPI to the other now and then, a nap. */
static void work(unsigned int me)
{
	uint32_t other = me == 0 ? smp_cpu_apic_id(1) : smp_cpu_apic_id(0);
	struct cpuid_regs want = cpuid(0, 0);

	irq_enable();
	for (uint64_t i = 1; i <= exits; i++) {
		struct cpuid_regs r = cpuid(0, 0);

		if (r.eax != want.eax || r.ebx != want.ebx)
			bad_cpuid[me]++;
		/* One IPI in flight at a time: two pending ones of a vector would merge. */
		if (i % IPI_EVERY == 0 && ipis_taken[1 - me] == ipis_sent[me]) {
			ipis_sent[me]++;
			apic_send_ipi(other, APIC_ICR_ASSERT | APIC_ICR_FIXED | VEC_IPI);
		}
		if (i % SLEEP_EVERY == 0) {
			irq_disable();
			sleeps[me]++;
			apic_timer_oneshot(VEC_TIMER, SLEEP_TICKS);
			while (wakeups[me] < sleeps[me])
				halt_until_interrupt();
			irq_enable();
		}
		if (me == 0 && die_at && i == die_at)
			triple_fault();
	}
	irq_disable();
}

static void ap_main(unsigned int me, void *arg)
{
	(void)arg;
	while (!go)
		cpu_relax();
	work(me);
	__atomic_add_fetch(&done_cpus, 1, __ATOMIC_SEQ_CST);
	/* Takes the BSP's last IPIs until the end. */
	for (;;) {
		irq_disable();
		halt_until_interrupt();
	}
}

TEST(soak)
{
	struct umbra_exit_stats before, after;
	enum smp_start_result r;

	REQUIRE_UMBRA(); /* the count of exits is Umbra's */
	cmdline_get_u64("exits", &exits);
	cmdline_get_u64("die_at", &die_at);
	pic_init_masked(0x20);
	apic_cpu_init();
	apic_timer_set_divide(1);
	irq_set_handler(VEC_IPI, ipi_handler);
	irq_set_handler(VEC_TIMER, timer_handler);
	REQUIRE(smp_init(), "no page for the trampoline");
	r = smp_start_ap(1, AP_APIC_ID, ap_main, NULL, START_TIMEOUT_US, NULL);
	REQUIRE(r == SMP_STARTED, "AP start: %s", smp_start_result_name(r));
	REQUIRE(umbra_exit_stats(&before) == 0, "exit statistics");
	printf("# %lu exits on each of 2 CPUs%s\n", exits, die_at ? ", dying on the way" : "");
	go = true;
	work(0);
	spin_until(done_cpus == 1, tsc_ticks_at_least_us(10000000));
	REQUIRE(done_cpus == 1, "the AP did not finish");
	REQUIRE(umbra_exit_stats(&after) == 0, "exit statistics");
	uint64_t cpuid_exits = after.reason[10].exits - before.reason[10].exits;

	/* Each CPU made `exits` CPUIDs in work() and one before it. */
	CHECK(cpuid_exits == 2 * (exits + 1), "%lu CPUID exits, want %lu", cpuid_exits,
	      2 * (exits + 1));
	for (unsigned int c = 0; c < 2; c++) {
		CHECK(bad_cpuid[c] == 0, "cpu %u: %lu CPUIDs with another answer", c, bad_cpuid[c]);
		CHECK(wakeups[c] == sleeps[c], "cpu %u: %lu of %lu naps woke", c, wakeups[c],
		      sleeps[c]);
	}
	/* Give the last IPIs time to land, then all must have. */
	irq_enable();
	spin_until(ipis_taken[1] == ipis_sent[0] && ipis_taken[0] == ipis_sent[1],
	           tsc_ticks_at_least_us(1000000));
	irq_disable();
	CHECK(ipis_taken[1] == ipis_sent[0], "the AP took %lu of %lu IPIs", ipis_taken[1],
	      ipis_sent[0]);
	CHECK(ipis_taken[0] == ipis_sent[1], "the BSP took %lu of %lu IPIs", ipis_taken[0],
	      ipis_sent[1]);
	printf("# %lu CPUID exits, %lu + %lu IPIs, %lu + %lu naps\n", cpuid_exits, ipis_sent[0],
	       ipis_sent[1], sleeps[0], sleeps[1]);
}
