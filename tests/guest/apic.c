/*
 * The local APIC and the legacy PIC, from inside one CPU: registers, the
 * timer in its three modes (timed against the TSC, after calibrating the
 * timer's clock, never assumed), masking, EOI and TPR priority, self-IPIs,
 * xAPIC <-> x2APIC switches through IA32_APIC_BASE, HLT woken by the timer,
 * and the 8259s' programming. Written for hardware: bare it passes under
 * QEMU (x2APIC and TSC-deadline tests skip when CPUID lacks them).
 */
#include "apic.h"

PAYLOAD("apic");

#define VEC_TIMER    0x30
#define VEC_NO_EOI   0x50 /* its handler sends no EOI */
#define VEC_CLASS5   0x55
#define VEC_CLASS7   0x75
#define VEC_SELF     0x60
#define VEC_X2_SELF  0x61
#define VEC_PIC_BASE 0x20 /* the 8259s as we program them: 0x20-0x27, 0x28-0x2f */

#define VECTOR_GP 13
/*
 * Calibration: the median of 3 measurements over 2^24 TSC ticks each. Each
 * timer test waits about 5 * 10^7 TSC ticks (10-50 ms at 1-5 GHz): long
 * enough that an emulator's or a scheduler's interrupt latency stays small
 * next to it.
 */
#define CALIBRATION_WINDOW (1ULL << 24)
#define CALIBRATION_RUNS   3
#define TIMER_TARGET       50000000ULL
#define Q16                16
#define PERIODS            6
#define FIRES_MAX          16
/* How long "not delivered" is watched, and how long "delivered" may take: at least. */
#define QUIET_US   2000
#define DELIVER_US 20000

/* 8259 ports and commands. */
#define PIC1_CMD          0x20
#define PIC1_DATA         0x21
#define PIC2_CMD          0xa0
#define PIC2_DATA         0xa1
#define PIC_ICW1_INIT     0x11 /* edge, cascade, ICW4 follows */
#define PIC_ICW3_MASTER   0x04 /* slave on IRQ2 */
#define PIC_ICW3_SLAVE    0x02 /* its cascade identity */
#define PIC_ICW4_8086     0x01
#define PIC_OCW3_READ_IRR 0x0a
#define PIC_OCW3_READ_ISR 0x0b
#define POST_PORT         0x80 /* a write to it is the classic I/O delay */

static uint64_t tsc_per_count; /* at divide 1, in 1/65536ths; 0 until calibrated */
static bool oneshot_ok;
static volatile unsigned int fires;
static volatile uint64_t fire_tsc[FIRES_MAX];

static void timer_handler(unsigned int vector)
{
	unsigned int n = fires;

	(void)vector;
	if (n < FIRES_MAX)
		fire_tsc[n] = rdtsc();
	fires = n + 1;
	apic_eoi();
}

static void eoi_handler(unsigned int vector)
{
	(void)vector;
	apic_eoi();
}

static void no_eoi_handler(unsigned int vector)
{
	(void)vector;
}

/*
 * Every test starts here: xAPIC mode, software-enabled, nothing pending,
 * interrupts off; the first time also the PICs moved to VEC_PIC_BASE and
 * masked (a BIOS may have left the PIT unmasked on vector 8).
 */
static void baseline(void)
{
	static bool pic_masked;

	irq_disable();
	if (!pic_masked) {
		pic_init_masked(VEC_PIC_BASE);
		pic_masked = true;
	}
	apic_set_mode(APIC_MODE_XAPIC);
	apic_cpu_init();
}

/*
 * CPUID.1:EDX.APIC as it was at start: it reads 0 while the APIC is
 * globally disabled, which a failed mode switch may leave behind.
 */
static bool have_apic(void)
{
	static int present = -1;

	if (present < 0)
		present = apic_present();
	return present;
}

#define APIC_SETUP()                                                              \
	do {                                                                      \
		if (!have_apic())                                                 \
			SKIP("no local APIC (CPUID.1:EDX bit 9 clear)");          \
		baseline();                                                       \
		REQUIRE(apic_hw_mode() == APIC_MODE_XAPIC,                        \
		        "cannot return to xAPIC mode: IA32_APIC_BASE 0x%lx (%s)", \
		        apic_base_read(), apic_mode_name(apic_hw_mode()));        \
	} while (0)
#define REQUIRE_X2APIC()                                              \
	do {                                                          \
		if (!x2apic_supported())                              \
			SKIP("no x2APIC (CPUID.1:ECX bit 21 clear)"); \
	} while (0)
#define REQUIRE_CALIBRATED()                                       \
	do {                                                       \
		if (!tsc_per_count)                                \
			SKIP("the APIC timer was not calibrated"); \
	} while (0)

/* Runs with interrupts on for `ticks` TSC ticks, or at least `us` microseconds. */
static void interrupts_for_ticks(uint64_t ticks)
{
	uint64_t end = rdtsc_ordered() + ticks;

	irq_enable();
	while (rdtsc_ordered() < end)
		cpu_relax();
	irq_disable();
}

static void interrupts_for_us(uint64_t us)
{
	interrupts_for_ticks(tsc_ticks_at_least_us(us));
}

/* With interrupts on, waits up to `ticks` for cond. */
#define WAIT_WITH_INTERRUPTS(cond, ticks)           \
	({                                          \
		bool __ok;                          \
		irq_enable();                       \
		__ok = spin_until((cond), (ticks)); \
		irq_disable();                      \
		__ok;                               \
	})

/* A timer count of about TIMER_TARGET TSC ticks at divide 1, and what it should take. */
static uint32_t target_count(uint64_t *expect)
{
	uint64_t count = (TIMER_TARGET << Q16) / tsc_per_count;

	if (count == 0)
		count = 1;
	if (count > 0xffffffffULL)
		count = 0xffffffffULL;
	*expect = (count * tsc_per_count) >> Q16;
	return (uint32_t)count;
}

static bool in_window(uint64_t got, uint64_t expect)
{
	return got >= expect / 2 && got <= 3 * expect;
}

static void print_q16(const char *what, uint64_t q)
{
	printf("%s%lu.%03lu", what, q >> Q16, ((q & 0xffff) * 1000) >> Q16);
}

TEST(lapic_present)
{
	struct cpuid_regs r = cpuid(1, 0);

	printf("# CPUID.1: APIC %d, x2APIC %d, TSC-deadline %d; TSC %lu Hz (%s)\n",
	       !!(r.edx & CPUID_1_EDX_APIC), !!(r.ecx & CPUID_1_ECX_X2APIC),
	       !!(r.ecx & CPUID_1_ECX_TSC_DEADLINE), tsc_hz(), tsc_hz_source());
	CHECK(have_apic(), "CPUID.1:EDX bit 9 (APIC) is clear");
}

TEST(lapic_enabled_and_id)
{
	uint64_t base;
	uint32_t svr, id, ver;

	if (!have_apic())
		SKIP("no local APIC (CPUID.1:EDX bit 9 clear)");
	base = apic_base_read();
	printf("# IA32_APIC_BASE 0x%lx at start: %s\n", base, apic_mode_name(apic_base_mode(base)));
	CHECK(base & APIC_BASE_EN, "IA32_APIC_BASE 0x%lx: globally disabled", base);
	CHECK(base & APIC_BASE_BSP, "IA32_APIC_BASE 0x%lx: BSP flag clear on the BSP", base);
	CHECK((base & APIC_BASE_ADDR_MASK) == APIC_DEFAULT_PHYS,
	      "IA32_APIC_BASE 0x%lx: registers not at 0x%llx", base, APIC_DEFAULT_PHYS);
	baseline();
	CHECK(apic_hw_mode() == APIC_MODE_XAPIC, "mode %s after enabling xAPIC",
	      apic_mode_name(apic_hw_mode()));
	svr = apic_read(APIC_SVR);
	CHECK((svr & (APIC_SVR_ENABLE | 0xff)) == (APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR),
	      "SVR reads 0x%x after writing 0x%x", svr, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	id = apic_id();
	CHECK(id == apic_initial_id(), "APIC ID %u, CPUID.1:EBX[31:24] says %u", id,
	      apic_initial_id());
	ver = apic_read(APIC_VERSION);
	/* 0x1X: an integrated APIC; Max LVT Entry + 1 >= 4 (timer, LINT0, LINT1, error). */
	CHECK((ver & 0xf0) == 0x10, "version register 0x%x: not an integrated APIC", ver);
	CHECK(((ver >> 16) & 0xff) >= 3, "version register 0x%x: only %u LVT entries", ver,
	      ((ver >> 16) & 0xff) + 1);
	printf("# APIC ID %u, version 0x%x (%u LVT entries)\n", id, ver, ((ver >> 16) & 0xff) + 1);
}

TEST(tpr_ppr)
{
	static const uint32_t values[] = {0x00, 0x20, 0x4b, 0xf0, 0x00};

	APIC_SETUP();
	for (unsigned int i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint32_t tpr, ppr;

		apic_write(APIC_TPR, values[i]);
		tpr = apic_read(APIC_TPR) & 0xff;
		ppr = apic_read(APIC_PPR) & 0xff;
		CHECK(tpr == values[i], "TPR reads 0x%x after writing 0x%x", tpr, values[i]);
		/* Nothing in service: the PPR is the TPR. */
		CHECK(ppr == values[i], "PPR 0x%x with TPR 0x%x and nothing in service", ppr,
		      values[i]);
	}
}

/* The median of CALIBRATION_RUNS calibrations at divide `div`: one preempted run cannot skew it. */
static uint64_t calibrate(unsigned int div)
{
	uint64_t q[CALIBRATION_RUNS], t;

	apic_timer_set_divide(div);
	for (unsigned int i = 0; i < CALIBRATION_RUNS; i++)
		q[i] = apic_timer_calibrate(CALIBRATION_WINDOW);
	apic_timer_set_divide(1);
	for (unsigned int i = 1; i < CALIBRATION_RUNS; i++)
		for (unsigned int j = i; j > 0 && q[j - 1] > q[j]; j--) {
			t = q[j];
			q[j] = q[j - 1];
			q[j - 1] = t;
		}
	return q[CALIBRATION_RUNS / 2];
}

TEST(timer_calibration)
{
	uint64_t q1, q16, ratio;

	APIC_SETUP();
	q1 = calibrate(1);
	q16 = calibrate(16);
	REQUIRE(q1 != 0, "the timer did not count down at divide 1");
	REQUIRE(q16 != 0, "the timer did not count down at divide 16");
	print_q16("# APIC timer: ", q1);
	print_q16(" TSC ticks per count at divide 1, ", q16);
	printf(" at divide 16\n");
	/* Divide 16 must count 16 times slower (within 25%). */
	ratio = q16 * 100 / q1;
	CHECK(ratio >= 1200 && ratio <= 2000,
	      "divide 16 counts %lu.%02lu times slower than divide 1, want 16", ratio / 100,
	      ratio % 100);
	tsc_per_count = q1;
}

TEST(timer_oneshot)
{
	uint64_t expect, t0, dt;
	uint32_t count, ccr;
	bool fired;

	APIC_SETUP();
	REQUIRE_CALIBRATED();
	count = target_count(&expect);
	irq_set_handler(VEC_TIMER, timer_handler);
	fires = 0;
	t0 = rdtsc_ordered();
	apic_timer_oneshot(VEC_TIMER, count);
	fired = WAIT_WITH_INTERRUPTS(fires >= 1, 10 * expect);
	/* A one-shot timer fires once: watch three more periods. */
	interrupts_for_ticks(3 * expect);
	ccr = apic_read(APIC_TIMER_CCR);
	apic_timer_stop();
	REQUIRE(fired, "no interrupt within 10x the expected %lu TSC ticks (count %u)", expect,
	        count);
	dt = fire_tsc[0] - t0;
	printf("# one-shot of %u counts: fired after %lu TSC ticks, expected %lu\n", count, dt,
	       expect);
	CHECK(in_window(dt, expect), "fired after %lu TSC ticks, expected %lu (0.5x-3x)", dt,
	      expect);
	CHECK(fires == 1, "a one-shot timer fired %u times", fires);
	CHECK(ccr == 0, "current count %u after the one-shot expired, want 0", ccr);
	oneshot_ok = fires == 1 && in_window(dt, expect);
}

TEST(timer_periodic)
{
	uint64_t expect, t0, mean, prev;
	uint32_t count, ccr;
	unsigned int n;
	bool got;

	APIC_SETUP();
	REQUIRE_CALIBRATED();
	count = target_count(&expect);
	irq_set_handler(VEC_TIMER, timer_handler);
	fires = 0;
	t0 = rdtsc_ordered();
	apic_timer_periodic(VEC_TIMER, count);
	got = WAIT_WITH_INTERRUPTS(fires >= PERIODS, (PERIODS + 10) * expect);
	ccr = apic_read(APIC_TIMER_CCR);
	apic_timer_stop();
	n = fires;
	REQUIRE(got, "%u of %d interrupts within %d periods of %lu TSC ticks", n, PERIODS,
	        PERIODS + 10, expect);
	CHECK(ccr <= count, "current count %u while running, above the initial %u", ccr, count);
	/* Stopped (initial count 0): no more. */
	interrupts_for_ticks(3 * expect);
	CHECK(fires == n, "%u interrupts after the timer was stopped", fires - n);
	mean = (fire_tsc[PERIODS - 1] - t0) / PERIODS;
	printf("# periodic, %u counts (expected %lu TSC ticks): intervals", count, expect);
	prev = t0;
	for (unsigned int i = 0; i < PERIODS; i++) {
		printf(" %lu", fire_tsc[i] - prev);
		prev = fire_tsc[i];
	}
	printf("\n");
	CHECK(in_window(mean, expect), "mean interval %lu TSC ticks, expected %lu (0.5x-3x)", mean,
	      expect);
	/*
	 * Equal spacing: interrupt k keeps to its slot t0 + (k + 1) * mean,
	 * never half a period early nor two late. (Arrival to arrival would
	 * count one late delivery twice, as a long and a short interval.)
	 */
	for (unsigned int i = 0; i < PERIODS; i++) {
		uint64_t at = fire_tsc[i] - t0, slot = (i + 1) * mean;

		CHECK(at + mean / 2 >= slot && at <= slot + 2 * mean,
		      "interrupt %u at %lu TSC ticks, its slot at %lu (period %lu)", i, at, slot,
		      mean);
	}
}

TEST(timer_tsc_deadline)
{
	uint64_t deadline, late, msr;
	bool got;

	APIC_SETUP();
	if (!tsc_deadline_supported())
		SKIP("no TSC-deadline timer (CPUID.1:ECX bit 24 clear)");
	irq_set_handler(VEC_TIMER, timer_handler);

	/* Fires once the TSC reaches the deadline, not before. */
	fires = 0;
	deadline = rdtsc_ordered() + TIMER_TARGET;
	apic_timer_deadline(VEC_TIMER, deadline);
	CHECK(apic_read(APIC_TIMER_CCR) == 0, "current count %u in TSC-deadline mode, want 0",
	      apic_read(APIC_TIMER_CCR));
	got = WAIT_WITH_INTERRUPTS(fires >= 1, 11 * TIMER_TARGET);
	interrupts_for_ticks(2 * TIMER_TARGET);
	msr = rdmsr(MSR_IA32_TSC_DEADLINE);
	REQUIRE(got, "no interrupt within 10x %llu TSC ticks after the deadline", TIMER_TARGET);
	CHECK(fire_tsc[0] >= deadline, "fired %lu TSC ticks before the deadline",
	      deadline - fire_tsc[0]);
	late = fire_tsc[0] >= deadline ? fire_tsc[0] - deadline : 0;
	printf("# TSC deadline %llu ticks ahead: fired %lu ticks after it\n", TIMER_TARGET, late);
	CHECK(late <= 3 * TIMER_TARGET, "fired %lu TSC ticks after the deadline", late);
	CHECK(fires == 1, "fired %u times for one deadline", fires);
	/* The SDM: firing disarms the timer and clears IA32_TSC_DEADLINE. */
	CHECK(msr == 0, "IA32_TSC_DEADLINE reads 0x%lx after firing, want 0", msr);

	/* A deadline already passed fires at once. */
	fires = 0;
	apic_timer_deadline(VEC_TIMER, rdtsc_ordered() - 1);
	got = WAIT_WITH_INTERRUPTS(fires >= 1, tsc_ticks_at_least_us(DELIVER_US));
	CHECK(got, "a deadline in the past did not fire");

	/* Writing 0 disarms. */
	fires = 0;
	apic_timer_deadline(VEC_TIMER, rdtsc_ordered() + TIMER_TARGET);
	wrmsr(MSR_IA32_TSC_DEADLINE, 0);
	interrupts_for_ticks(3 * TIMER_TARGET);
	CHECK(fires == 0, "fired %u times after being disarmed", fires);
	apic_timer_stop();
}

TEST(timer_masked_lvt)
{
	uint64_t expect;
	uint32_t count, ccr;
	bool pending;

	APIC_SETUP();
	REQUIRE_CALIBRATED();
	count = target_count(&expect);
	irq_set_handler(VEC_TIMER, timer_handler);
	fires = 0;
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
	apic_write(APIC_TIMER_ICR, count);
	interrupts_for_ticks(3 * expect);
	ccr = apic_read(APIC_TIMER_CCR);
	pending = apic_irr_test(VEC_TIMER);
	apic_timer_stop();
	CHECK(fires == 0, "a masked timer interrupted %u times", fires);
	CHECK(!pending, "a masked timer set its vector in the IRR");
	/* Masking stops the interrupt, not the count. */
	CHECK(ccr == 0, "current count %u after 3x the expected time, want 0", ccr);
}

TEST(eoi_gates_same_vector)
{
	uint64_t base, deliver = tsc_ticks_at_least_us(DELIVER_US);
	uint32_t ppr;

	APIC_SETUP();
	irq_set_handler(VEC_NO_EOI, no_eoi_handler);
	base = irq_count(VEC_NO_EOI);
	apic_self_ipi(VEC_NO_EOI);
	CHECK(spin_until(apic_irr_test(VEC_NO_EOI), deliver),
	      "a self-IPI with interrupts off is not pending in the IRR");
	REQUIRE(WAIT_WITH_INTERRUPTS(irq_count(VEC_NO_EOI) == base + 1, deliver),
	        "the first self-IPI of 0x%x was not delivered", VEC_NO_EOI);
	CHECK(apic_isr_test(VEC_NO_EOI), "0x%x not in service before its EOI", VEC_NO_EOI);
	ppr = apic_read(APIC_PPR) & 0xff;
	CHECK(ppr == (VEC_NO_EOI & 0xf0), "PPR 0x%x with 0x%x in service and TPR 0, want 0x%x", ppr,
	      VEC_NO_EOI, VEC_NO_EOI & 0xf0);

	/* In service: the same vector waits in the IRR. */
	apic_self_ipi(VEC_NO_EOI);
	interrupts_for_us(QUIET_US);
	CHECK(irq_count(VEC_NO_EOI) == base + 1, "a second 0x%x was delivered before the EOI",
	      VEC_NO_EOI);
	CHECK(apic_irr_test(VEC_NO_EOI), "the second 0x%x is not pending in the IRR", VEC_NO_EOI);

	/* The EOI lets it through. */
	apic_eoi();
	CHECK(WAIT_WITH_INTERRUPTS(irq_count(VEC_NO_EOI) == base + 2, deliver),
	      "the second 0x%x was not delivered after the EOI", VEC_NO_EOI);
	CHECK(apic_isr_test(VEC_NO_EOI), "the second 0x%x is not in service", VEC_NO_EOI);
	apic_eoi();
	CHECK(!apic_isr_test(VEC_NO_EOI), "0x%x still in service after its EOI", VEC_NO_EOI);
	ppr = apic_read(APIC_PPR) & 0xff;
	CHECK(ppr == 0, "PPR 0x%x with nothing in service and TPR 0", ppr);
	CHECK(irq_count(VEC_NO_EOI) == base + 2, "0x%x delivered %lu times, want 2", VEC_NO_EOI,
	      irq_count(VEC_NO_EOI) - base);
}

TEST(tpr_masks_by_class)
{
	uint64_t deliver = tsc_ticks_at_least_us(DELIVER_US);
	uint64_t b5, b7;
	uint32_t ppr;

	APIC_SETUP();
	irq_set_handler(VEC_CLASS5, eoi_handler);
	irq_set_handler(VEC_CLASS7, eoi_handler);
	b5 = irq_count(VEC_CLASS5);
	b7 = irq_count(VEC_CLASS7);

	/* TPR class 6: 0x55 (class 5) waits. */
	apic_write(APIC_TPR, 0x60);
	apic_self_ipi(VEC_CLASS5);
	interrupts_for_us(QUIET_US);
	CHECK(irq_count(VEC_CLASS5) == b5, "0x%x delivered with TPR 0x60", VEC_CLASS5);
	CHECK(apic_irr_test(VEC_CLASS5), "0x%x not pending in the IRR with TPR 0x60", VEC_CLASS5);
	ppr = apic_read(APIC_PPR) & 0xff;
	CHECK(ppr == 0x60, "PPR 0x%x with TPR 0x60 and nothing in service", ppr);

	/* A higher class gets through. */
	apic_self_ipi(VEC_CLASS7);
	CHECK(WAIT_WITH_INTERRUPTS(irq_count(VEC_CLASS7) == b7 + 1, deliver),
	      "0x%x (class 7) not delivered with TPR 0x60", VEC_CLASS7);

	/* TPR 0x50 still holds class 5 back: delivery needs a class above the TPR's. */
	apic_write(APIC_TPR, 0x50);
	interrupts_for_us(QUIET_US);
	CHECK(irq_count(VEC_CLASS5) == b5, "0x%x delivered with TPR 0x50 (same class)", VEC_CLASS5);

	/* Lowering the TPR below its class delivers it. */
	irq_enable();
	apic_write(APIC_TPR, 0x40);
	CHECK(spin_until(irq_count(VEC_CLASS5) == b5 + 1, deliver),
	      "0x%x not delivered after lowering the TPR to 0x40", VEC_CLASS5);
	irq_disable();
	apic_write(APIC_TPR, 0);
	CHECK(irq_count(VEC_CLASS5) == b5 + 1, "0x%x delivered %lu times, want 1", VEC_CLASS5,
	      irq_count(VEC_CLASS5) - b5);
}

TEST(self_ipi_xapic)
{
	uint64_t deliver = tsc_ticks_at_least_us(DELIVER_US), base;
	bool idle;

	APIC_SETUP();
	irq_set_handler(VEC_SELF, eoi_handler);
	base = irq_count(VEC_SELF);

	/* The ICR's "self" shorthand. */
	idle = apic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_ASSERT | APIC_ICR_FIXED | VEC_SELF);
	CHECK(idle, "ICR delivery status stuck busy");
	CHECK(WAIT_WITH_INTERRUPTS(irq_count(VEC_SELF) == base + 1, deliver),
	      "self-IPI (shorthand) of 0x%x not delivered", VEC_SELF);

	/* A physical destination: our own APIC ID. */
	idle = apic_send_ipi(apic_id(), APIC_ICR_ASSERT | APIC_ICR_FIXED | VEC_SELF);
	CHECK(idle, "ICR delivery status stuck busy");
	CHECK(WAIT_WITH_INTERRUPTS(irq_count(VEC_SELF) == base + 2, deliver),
	      "IPI of 0x%x to our own APIC ID %u not delivered", VEC_SELF, apic_id());
	interrupts_for_us(QUIET_US);
	CHECK(irq_count(VEC_SELF) == base + 2, "0x%x delivered %lu times for 2 IPIs", VEC_SELF,
	      irq_count(VEC_SELF) - base);
}

TEST(hlt_wakes_on_timer)
{
	uint64_t expect, t0, dt;
	uint32_t count;

	APIC_SETUP();
	REQUIRE_CALIBRATED();
	/* HLT with a timer that never fires would never return. */
	if (!oneshot_ok)
		SKIP("the one-shot timer did not work: HLT might wait forever");
	count = target_count(&expect);
	irq_set_handler(VEC_TIMER, timer_handler);
	fires = 0;
	t0 = rdtsc_ordered();
	apic_timer_oneshot(VEC_TIMER, count);
	halt_until_interrupt();
	dt = rdtsc_ordered() - t0;
	apic_timer_stop();
	printf("# HLT returned after %lu TSC ticks, the timer expected at %lu\n", dt, expect);
	CHECK(fires == 1, "HLT returned with %u timer interrupts taken, want 1", fires);
	CHECK(dt >= expect / 2, "HLT returned after %lu TSC ticks, before the timer (%lu)", dt,
	      expect);
}

static void pic_out(uint16_t port, uint8_t v)
{
	outb(port, v);
	outb(POST_PORT, 0); /* the 8259 wants a moment between writes on old boards */
}

TEST(pic_program_and_mask)
{
	uint64_t before[16];
	uint8_t m1, m2, isr1, isr2;

	for (unsigned int i = 0; i < 16; i++)
		before[i] = irq_count(VEC_PIC_BASE + i);
	/* ICW1-4: vectors 0x20/0x28, the slave on IRQ2, 8086 mode. */
	pic_out(PIC1_CMD, PIC_ICW1_INIT);
	pic_out(PIC2_CMD, PIC_ICW1_INIT);
	pic_out(PIC1_DATA, VEC_PIC_BASE);
	pic_out(PIC2_DATA, VEC_PIC_BASE + 8);
	pic_out(PIC1_DATA, PIC_ICW3_MASTER);
	pic_out(PIC2_DATA, PIC_ICW3_SLAVE);
	pic_out(PIC1_DATA, PIC_ICW4_8086);
	pic_out(PIC2_DATA, PIC_ICW4_8086);
	/* Initialisation clears the mask registers. */
	m1 = inb(PIC1_DATA);
	m2 = inb(PIC2_DATA);
	CHECK(m1 == 0 && m2 == 0, "masks 0x%02x/0x%02x after ICW1-4, want 0x00/0x00", m1, m2);

	/* OCW1 and reading it back. */
	pic_out(PIC1_DATA, 0xa5);
	pic_out(PIC2_DATA, 0x5a);
	m1 = inb(PIC1_DATA);
	m2 = inb(PIC2_DATA);
	CHECK(m1 == 0xa5 && m2 == 0x5a, "masks read 0x%02x/0x%02x after writing 0xa5/0x5a", m1, m2);
	pic_out(PIC1_DATA, 0xff);
	pic_out(PIC2_DATA, 0xff);
	m1 = inb(PIC1_DATA);
	m2 = inb(PIC2_DATA);
	CHECK(m1 == 0xff && m2 == 0xff, "masks read 0x%02x/0x%02x after masking all", m1, m2);

	/* OCW3: nothing is in service. */
	pic_out(PIC1_CMD, PIC_OCW3_READ_ISR);
	pic_out(PIC2_CMD, PIC_OCW3_READ_ISR);
	isr1 = inb(PIC1_CMD);
	isr2 = inb(PIC2_CMD);
	pic_out(PIC1_CMD, PIC_OCW3_READ_IRR);
	pic_out(PIC2_CMD, PIC_OCW3_READ_IRR);
	CHECK(isr1 == 0 && isr2 == 0, "ISR 0x%02x/0x%02x with everything masked", isr1, isr2);

	/* Masked, it raises nothing. */
	if (have_apic()) {
		baseline();
		interrupts_for_us(QUIET_US);
	}
	for (unsigned int i = 0; i < 16; i++)
		CHECK(irq_count(VEC_PIC_BASE + i) == before[i],
		      "interrupt on the PIC's vector 0x%x", VEC_PIC_BASE + i);
}

static void read_msr_fn(void *arg)
{
	*(uint64_t *)arg = rdmsr(X2APIC_MSR(APIC_ID));
}

static void write_base_fn(void *arg)
{
	apic_base_write(*(uint64_t *)arg);
}

TEST(x2apic_msrs_fault_in_xapic_mode)
{
	uint64_t val = 0;
	int vec;

	APIC_SETUP();
	REQUIRE_X2APIC();
	vec = catch_exception(read_msr_fn, &val, NULL);
	CHECK(vec == VECTOR_GP, "RDMSR 0x%x in xAPIC mode: %s, want #GP", X2APIC_MSR(APIC_ID),
	      vec < 0 ? "no exception" : exception_name((unsigned int)vec));
}

TEST(xapic_to_x2apic_keeps_id)
{
	uint64_t deliver = tsc_ticks_at_least_us(DELIVER_US), base, expect;
	uint32_t id, ver, x2id, ldr, want_ldr;

	APIC_SETUP();
	REQUIRE_X2APIC();
	id = apic_id();
	ver = apic_read(APIC_VERSION);
	REQUIRE(apic_set_mode(APIC_MODE_X2APIC), "cannot switch to x2APIC");
	CHECK(apic_hw_mode() == APIC_MODE_X2APIC, "IA32_APIC_BASE says %s after the switch",
	      apic_mode_name(apic_hw_mode()));
	x2id = apic_id();
	CHECK(x2id == id, "x2APIC ID %u, xAPIC ID was %u", x2id, id);
	CHECK(apic_read(APIC_VERSION) == ver, "version 0x%x in x2APIC mode, 0x%x in xAPIC mode",
	      apic_read(APIC_VERSION), ver);
	/* The logical ID derives from the x2APIC ID: cluster in 31:16, one bit in 15:0. */
	ldr = apic_read(APIC_LDR);
	want_ldr = ((x2id >> 4) << 16) | (1u << (x2id & 0xf));
	CHECK(ldr == want_ldr, "x2APIC LDR 0x%x, want 0x%x", ldr, want_ldr);
	CHECK(apic_read(APIC_SVR) & APIC_SVR_ENABLE, "software-disabled after the switch");

	/* It works: registers, an IPI to our own x2APIC ID, the timer. */
	apic_write(APIC_TPR, 0x30);
	CHECK((apic_read(APIC_TPR) & 0xff) == 0x30, "x2APIC TPR reads 0x%x after writing 0x30",
	      apic_read(APIC_TPR) & 0xff);
	apic_write(APIC_TPR, 0);
	irq_set_handler(VEC_SELF, eoi_handler);
	base = irq_count(VEC_SELF);
	apic_send_ipi(x2id, APIC_ICR_ASSERT | APIC_ICR_FIXED | VEC_SELF);
	CHECK(WAIT_WITH_INTERRUPTS(irq_count(VEC_SELF) == base + 1, deliver),
	      "x2APIC IPI to our own ID %u not delivered", x2id);
	if (tsc_per_count) {
		uint32_t count = target_count(&expect);

		irq_set_handler(VEC_TIMER, timer_handler);
		fires = 0;
		apic_timer_oneshot(VEC_TIMER, count);
		CHECK(WAIT_WITH_INTERRUPTS(fires >= 1, 10 * expect),
		      "x2APIC one-shot timer of %u counts did not fire", count);
		apic_timer_stop();
	}

	/* And back (by way of disabled): the same ID through the MMIO page. */
	baseline();
	CHECK(apic_hw_mode() == APIC_MODE_XAPIC, "mode %s after switching back",
	      apic_mode_name(apic_hw_mode()));
	CHECK(apic_id() == id, "xAPIC ID %u after the round trip, was %u", apic_id(), id);
}

TEST(self_ipi_x2apic)
{
	uint64_t deliver = tsc_ticks_at_least_us(DELIVER_US), base;

	APIC_SETUP();
	REQUIRE_X2APIC();
	REQUIRE(apic_set_mode(APIC_MODE_X2APIC), "cannot switch to x2APIC");
	apic_cpu_init();
	irq_set_handler(VEC_X2_SELF, eoi_handler);
	base = irq_count(VEC_X2_SELF);

	/* The SELF IPI register (MSR 0x83F), x2APIC only. */
	wrmsr(X2APIC_MSR(APIC_SELF_IPI), VEC_X2_SELF);
	CHECK(WAIT_WITH_INTERRUPTS(irq_count(VEC_X2_SELF) == base + 1, deliver),
	      "SELF IPI MSR write of 0x%x not delivered", VEC_X2_SELF);
	/* The 64-bit ICR's self shorthand. */
	wrmsr(X2APIC_MSR(APIC_ICR_LOW), APIC_ICR_SELF | APIC_ICR_ASSERT | VEC_X2_SELF);
	CHECK(WAIT_WITH_INTERRUPTS(irq_count(VEC_X2_SELF) == base + 2, deliver),
	      "x2APIC ICR self-IPI of 0x%x not delivered", VEC_X2_SELF);
	interrupts_for_us(QUIET_US);
	CHECK(irq_count(VEC_X2_SELF) == base + 2, "0x%x delivered %lu times for 2 IPIs",
	      VEC_X2_SELF, irq_count(VEC_X2_SELF) - base);
	baseline();
}

TEST(x2apic_to_xapic_faults)
{
	uint64_t deliver = tsc_ticks_at_least_us(DELIVER_US), base, v;
	uint32_t id;
	int vec;

	APIC_SETUP();
	REQUIRE_X2APIC();
	id = apic_id();
	REQUIRE(apic_set_mode(APIC_MODE_X2APIC), "cannot switch to x2APIC");
	base = apic_base_read();

	/* x2APIC -> xAPIC directly is not a transition the SDM allows. */
	v = (base & ~APIC_BASE_EXTD) | APIC_BASE_EN;
	vec = catch_exception(write_base_fn, &v, NULL);
	CHECK(vec == VECTOR_GP, "IA32_APIC_BASE 0x%lx -> 0x%lx: %s, want #GP", base, v,
	      vec < 0 ? "no exception" : exception_name((unsigned int)vec));
	CHECK(apic_hw_mode() == APIC_MODE_X2APIC, "mode %s after the refused write",
	      apic_mode_name(apic_hw_mode()));

	/* Disabled first, then xAPIC: both allowed. */
	v = base & ~(APIC_BASE_EXTD | APIC_BASE_EN);
	vec = catch_exception(write_base_fn, &v, NULL);
	CHECK(vec < 0, "disabling from x2APIC (0x%lx): %s", v, exception_name((unsigned int)vec));
	CHECK(apic_hw_mode() == APIC_MODE_DISABLED, "mode %s after disabling",
	      apic_mode_name(apic_hw_mode()));
	v = (base & ~APIC_BASE_EXTD) | APIC_BASE_EN;
	vec = catch_exception(write_base_fn, &v, NULL);
	CHECK(vec < 0, "enabling xAPIC from disabled (0x%lx): %s", v,
	      exception_name((unsigned int)vec));
	REQUIRE(apic_hw_mode() == APIC_MODE_XAPIC, "mode %s after enabling xAPIC",
	        apic_mode_name(apic_hw_mode()));

	/* xAPIC works again: the ID through the MMIO page, a self-IPI. */
	apic_set_mode(APIC_MODE_XAPIC);
	apic_cpu_init();
	CHECK(apic_id() == id, "xAPIC ID %u, x2APIC ID was %u", apic_id(), id);
	irq_set_handler(VEC_SELF, eoi_handler);
	base = irq_count(VEC_SELF);
	apic_self_ipi(VEC_SELF);
	CHECK(WAIT_WITH_INTERRUPTS(irq_count(VEC_SELF) == base + 1, deliver),
	      "xAPIC self-IPI not delivered after leaving x2APIC");
}

TEST(no_stray_interrupts)
{
	unsigned int last;
	uint64_t n = irq_unhandled(&last);

	printf("# spurious interrupts (0x%x): %lu\n", APIC_SPURIOUS_VECTOR,
	       irq_count(APIC_SPURIOUS_VECTOR));
	CHECK(n == 0, "%lu interrupts without a handler, the last on vector 0x%x", n, last);
}
