/*
 * Several CPUs in one VM, started and driven the way an OS would without
 * firmware tables: the BSP sends INIT-SIPI-SIPI to the APIC IDs it expects
 * (lib/smp.c), each AP reaches long mode through a real-mode trampoline,
 * reports its APIC ID and waits in HLT with interrupts on; then IPIs go
 * BSP -> each AP, each AP -> BSP, and BSP -> all but itself. The APs end
 * halted with interrupts off.
 *   command line: -- cpus=N x2apic=1   (N: default vcpus= if given, else 4;
 *   x2apic=1 runs every CPU in x2APIC mode, default xAPIC)
 * The APIC IDs are taken to be 0 .. N-1 (Umbra's vCPU numbers, QEMU's -smp).
 */
#include "smp.h"

PAYLOAD("smp");

#define VEC_PING     0x40 /* BSP -> one AP; also wakes an AP to read its command */
#define VEC_REPLY    0x41 /* AP -> BSP */
#define VEC_BCAST    0x42 /* BSP -> all but self */
#define VEC_PIC_BASE 0x20 /* the 8259s, masked */

#define CPUS_DEFAULT     4
#define START_TIMEOUT_US 200000 /* per AP, after the second STARTUP */
#define DELIVER_US       100000
#define QUIET_US         5000
#define STRAGGLER_US     10000 /* after the last AP: time for a repeated start to show */

enum ap_cmd { CMD_NONE, CMD_REPLY, CMD_PARK };

struct cpu_state {
	uint32_t want_id;  /* the APIC ID we sent INIT-SIPI-SIPI to */
	uint32_t apic_id;  /* what the AP read from its APIC */
	uint32_t cpuid_id; /* what the AP read from CPUID.1:EBX[31:24] */
	uint64_t pings, bcasts, replies_from;
	int cmd;
	bool parked;
};

static struct cpu_state cpu[SMP_MAX_CPUS];
static unsigned int ncpus;
static unsigned int reported; /* APs that reached ap_main */
static int last_sender;       /* the AP whose VEC_REPLY is on its way */

static void count_on_this_cpu(unsigned int vector)
{
	int me = smp_this_cpu();

	if (me >= 0) {
		if (vector == VEC_PING)
			__atomic_add_fetch(&cpu[me].pings, 1, __ATOMIC_SEQ_CST);
		else
			__atomic_add_fetch(&cpu[me].bcasts, 1, __ATOMIC_SEQ_CST);
	}
	apic_eoi();
}

static void reply_handler(unsigned int vector)
{
	int from = __atomic_load_n(&last_sender, __ATOMIC_SEQ_CST);

	(void)vector;
	if (from > 0 && from < SMP_MAX_CPUS)
		__atomic_add_fetch(&cpu[from].replies_from, 1, __ATOMIC_SEQ_CST);
	apic_eoi();
}

/* Each AP: report, then serve commands, halting with interrupts on in between. */
static void ap_main(unsigned int me, void *arg)
{
	(void)arg;
	cpu[me].apic_id = apic_id();
	cpu[me].cpuid_id = apic_initial_id();
	__atomic_add_fetch(&reported, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		/* Interrupts are off here: a wake-up after this look is not lost (STI; HLT). */
		int c = __atomic_exchange_n(&cpu[me].cmd, CMD_NONE, __ATOMIC_SEQ_CST);

		if (c == CMD_REPLY) {
			__atomic_store_n(&last_sender, (int)me, __ATOMIC_SEQ_CST);
			apic_send_ipi(smp_cpu_apic_id(0),
			              APIC_ICR_ASSERT | APIC_ICR_FIXED | VEC_REPLY);
		} else if (c == CMD_PARK) {
			__atomic_store_n(&cpu[me].parked, true, __ATOMIC_SEQ_CST);
			halt_forever();
		}
		halt_until_interrupt();
	}
}

static unsigned int aps_online(void)
{
	unsigned int n = 0;

	for (unsigned int i = 1; i < ncpus; i++)
		n += smp_cpu_online(i);
	return n;
}

#define REQUIRE_APS()                         \
	do {                                  \
		if (!aps_online())            \
			SKIP("no AP online"); \
	} while (0)

static uint64_t load(uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

TEST(aps_start)
{
	uint64_t n = CPUS_DEFAULT, x2 = 0, page;
	uint32_t bsp, next = 0;
	enum apic_mode mode;

	if (!cmdline_get_u64("cpus", &n))
		cmdline_get_u64("vcpus", &n);
	cmdline_get_u64("x2apic", &x2);
	REQUIRE(n >= 1 && n <= SMP_MAX_CPUS, "cpus=%lu: want 1 to %d", n, SMP_MAX_CPUS);
	REQUIRE(apic_present(), "no local APIC (CPUID.1:EDX bit 9 clear)");
	mode = x2 ? APIC_MODE_X2APIC : APIC_MODE_XAPIC;
	REQUIRE(apic_set_mode(mode), "cannot use %s mode (x2apic=%lu)", apic_mode_name(mode), x2);
	/* The BSP takes interrupts: nothing from the PICs (a BIOS may leave IRQ 0 on vector 8). */
	pic_init_masked(VEC_PIC_BASE);
	apic_cpu_init();
	irq_set_handler(VEC_PING, count_on_this_cpu);
	irq_set_handler(VEC_BCAST, count_on_this_cpu);
	irq_set_handler(VEC_REPLY, reply_handler);
	page = smp_init();
	REQUIRE(page, "no free page below 1 MiB for the trampoline");
	ncpus = (unsigned int)n;
	bsp = apic_id();
	cpu[0].want_id = cpu[0].apic_id = bsp;
	cpu[0].cpuid_id = apic_initial_id();
	printf("# %u CPUs, %s mode, BSP APIC ID %u; trampoline at 0x%lx (STARTUP vector 0x%02lx); "
	       "TSC %lu Hz (%s)\n",
	       ncpus, apic_mode_name(mode), bsp, page, page >> 12, tsc_hz(), tsc_hz_source());

	for (unsigned int i = 1; i < ncpus; i++) {
		struct smp_start_times t;
		enum smp_start_result r;

		if (next == bsp)
			next++;
		cpu[i].want_id = next++;
		r = smp_start_ap(i, cpu[i].want_id, ap_main, NULL, START_TIMEOUT_US, &t);
		printf("# cpu %u (APIC ID %u): %s; INIT->STARTUP %lu TSC ticks, STARTUP->STARTUP "
		       "%lu, STARTUP->report %lu\n",
		       i, cpu[i].want_id, smp_start_result_name(r), t.init_to_sipi, t.sipi_to_sipi,
		       t.sipi_to_online);
		CHECK(r == SMP_STARTED, "cpu %u (APIC ID %u): %s", i, cpu[i].want_id,
		      smp_start_result_name(r));
	}
	/* A second STARTUP must not restart a running AP: give a repeat time to show. */
	tsc_delay_us(STRAGGLER_US);
	CHECK(__atomic_load_n(&reported, __ATOMIC_SEQ_CST) == ncpus - 1, "%u APs reported, want %u",
	      __atomic_load_n(&reported, __ATOMIC_SEQ_CST), ncpus - 1);
	CHECK(smp_trampoline_entries() == ncpus - 1,
	      "the trampoline ran %u times for %u APs started", smp_trampoline_entries(),
	      ncpus - 1);
	CHECK(smp_stray_aps() == 0, "%u APs came up with an APIC ID nobody started",
	      smp_stray_aps());
}

TEST(ap_apic_ids)
{
	REQUIRE_APS();
	for (unsigned int i = 1; i < ncpus; i++) {
		if (!smp_cpu_online(i))
			continue;
		CHECK(cpu[i].apic_id == cpu[i].want_id, "cpu %u reads APIC ID %u, started as %u", i,
		      cpu[i].apic_id, cpu[i].want_id);
		/* CPUID's initial APIC ID is 8 bits wide. */
		CHECK(cpu[i].cpuid_id == (cpu[i].want_id & 0xff),
		      "cpu %u: CPUID.1:EBX[31:24] is %u, APIC ID %u", i, cpu[i].cpuid_id,
		      cpu[i].want_id);
		for (unsigned int j = 0; j < i; j++)
			if (j == 0 || smp_cpu_online(j))
				CHECK(cpu[i].apic_id != cpu[j].apic_id,
				      "cpus %u and %u both have APIC ID %u", j, i, cpu[i].apic_id);
	}
}

TEST(ipi_bsp_to_each_ap)
{
	uint64_t deliver = tsc_ticks_at_least_us(DELIVER_US), before[SMP_MAX_CPUS];

	REQUIRE_APS();
	for (unsigned int i = 1; i < ncpus; i++) {
		if (!smp_cpu_online(i))
			continue;
		for (unsigned int j = 0; j < ncpus; j++)
			before[j] = load(&cpu[j].pings);
		CHECK(apic_send_ipi(cpu[i].want_id, APIC_ICR_ASSERT | APIC_ICR_FIXED | VEC_PING),
		      "ICR delivery status stuck busy");
		CHECK(spin_until(load(&cpu[i].pings) == before[i] + 1, deliver),
		      "cpu %u (APIC ID %u) did not receive its IPI", i, cpu[i].want_id);
		tsc_delay_us(QUIET_US);
		for (unsigned int j = 0; j < ncpus; j++)
			CHECK(load(&cpu[j].pings) == before[j] + (j == i),
			      "IPI to cpu %u: cpu %u counted %lu", i, j,
			      load(&cpu[j].pings) - before[j]);
	}
}

TEST(ipi_ap_to_bsp)
{
	uint64_t deliver = tsc_ticks_at_least_us(DELIVER_US), before;

	REQUIRE_APS();
	for (unsigned int i = 1; i < ncpus; i++) {
		if (!smp_cpu_online(i))
			continue;
		before = load(&cpu[i].replies_from);
		__atomic_store_n(&cpu[i].cmd, CMD_REPLY, __ATOMIC_SEQ_CST);
		apic_send_ipi(cpu[i].want_id, APIC_ICR_ASSERT | APIC_ICR_FIXED | VEC_PING);
		irq_enable();
		CHECK(spin_until(load(&cpu[i].replies_from) == before + 1, deliver),
		      "no IPI from cpu %u (APIC ID %u) reached the BSP", i, cpu[i].want_id);
		tsc_delay_us(QUIET_US);
		irq_disable();
		CHECK(load(&cpu[i].replies_from) == before + 1, "cpu %u: %lu IPIs for one request",
		      i, load(&cpu[i].replies_from) - before);
	}
}

TEST(broadcast_all_but_self)
{
	uint64_t deliver = tsc_ticks_at_least_us(DELIVER_US), before[SMP_MAX_CPUS];

	REQUIRE_APS();
	for (unsigned int j = 0; j < ncpus; j++)
		before[j] = load(&cpu[j].bcasts);
	CHECK(apic_send_ipi(0,
	                    APIC_ICR_ALL_BUT_SELF | APIC_ICR_ASSERT | APIC_ICR_FIXED | VEC_BCAST),
	      "ICR delivery status stuck busy");
	/* The BSP listens too: it must get nothing. */
	irq_enable();
	for (unsigned int i = 1; i < ncpus; i++)
		if (smp_cpu_online(i))
			CHECK(spin_until(load(&cpu[i].bcasts) == before[i] + 1, deliver),
			      "cpu %u (APIC ID %u) missed the broadcast", i, cpu[i].want_id);
	tsc_delay_us(QUIET_US);
	irq_disable();
	CHECK(load(&cpu[0].bcasts) == before[0], "the BSP received its own all-but-self broadcast");
	for (unsigned int i = 1; i < ncpus; i++)
		if (smp_cpu_online(i))
			CHECK(load(&cpu[i].bcasts) == before[i] + 1,
			      "cpu %u counted %lu broadcasts", i, load(&cpu[i].bcasts) - before[i]);
}

TEST(aps_park)
{
	uint64_t deliver = tsc_ticks_at_least_us(DELIVER_US);

	REQUIRE_APS();
	for (unsigned int i = 1; i < ncpus; i++) {
		if (!smp_cpu_online(i))
			continue;
		__atomic_store_n(&cpu[i].cmd, CMD_PARK, __ATOMIC_SEQ_CST);
		apic_send_ipi(cpu[i].want_id, APIC_ICR_ASSERT | APIC_ICR_FIXED | VEC_PING);
		CHECK(spin_until(__atomic_load_n(&cpu[i].parked, __ATOMIC_SEQ_CST), deliver),
		      "cpu %u did not halt when told to", i);
	}
}

TEST(no_stray_interrupts)
{
	unsigned int last;
	uint64_t n = irq_unhandled(&last);

	CHECK(n == 0, "%lu interrupts without a handler, the last on vector 0x%x", n, last);
}
