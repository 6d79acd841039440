/*
 * The local APIC driver (apic.h): xAPIC MMIO or x2APIC MSRs, mode
 * switches through IA32_APIC_BASE, IPIs and the timer.
 */
#include "apic.h"

#define CPUID_1_EBX_APIC_ID_SHIFT 24
#define XAPIC_ID_SHIFT            24
#define XAPIC_DEST_SHIFT          24
#define LVT_TIMER_MODE_MASK       (3u << 17)
#define TIMER_COUNT_MAX           0xffffffffu
#define ISR_REGS                  8
#define REG_STRIDE                0x10
/* Far longer than any ICR delivery: a stuck busy bit is a failure, not a hang. */
#define ICR_IDLE_TIMEOUT_US 1000

static enum apic_mode drv_mode = APIC_MODE_DISABLED;
static bool adopted; /* the driver has a mode (the BSP's first apic_cpu_init or apic_set_mode) */
static uint64_t mmio = APIC_DEFAULT_PHYS;

const char *apic_mode_name(enum apic_mode m)
{
	switch (m) {
	case APIC_MODE_DISABLED: return "disabled";
	case APIC_MODE_XAPIC: return "xAPIC";
	case APIC_MODE_X2APIC: return "x2APIC";
	default: return "invalid";
	}
}

bool apic_present(void)
{
	return cpuid(1, 0).edx & CPUID_1_EDX_APIC;
}

bool x2apic_supported(void)
{
	return cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC;
}

bool tsc_deadline_supported(void)
{
	return cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE;
}

uint32_t apic_initial_id(void)
{
	return cpuid(1, 0).ebx >> CPUID_1_EBX_APIC_ID_SHIFT;
}

uint64_t apic_base_read(void)
{
	return rdmsr(MSR_IA32_APIC_BASE);
}

void apic_base_write(uint64_t v)
{
	wrmsr(MSR_IA32_APIC_BASE, v);
}

enum apic_mode apic_base_mode(uint64_t base)
{
	bool en = base & APIC_BASE_EN, extd = base & APIC_BASE_EXTD;

	if (en)
		return extd ? APIC_MODE_X2APIC : APIC_MODE_XAPIC;
	return extd ? APIC_MODE_INVALID : APIC_MODE_DISABLED;
}

enum apic_mode apic_hw_mode(void)
{
	return apic_base_mode(apic_base_read());
}

enum apic_mode apic_mode(void)
{
	return drv_mode;
}

/* This CPU's APIC to `to` by allowed steps; false if x2APIC is asked for and missing. */
static bool hw_set_mode(enum apic_mode to)
{
	uint64_t base = apic_base_read();
	enum apic_mode from = apic_base_mode(base);
	uint64_t off = base & ~(APIC_BASE_EN | APIC_BASE_EXTD);

	if (to == APIC_MODE_X2APIC && !x2apic_supported())
		return false;
	if (from == to)
		return true;
	/* Leaving x2APIC (except for disabled) and the invalid state go through disabled. */
	if (from == APIC_MODE_X2APIC || from == APIC_MODE_INVALID || to == APIC_MODE_DISABLED) {
		apic_base_write(off);
		from = APIC_MODE_DISABLED;
	}
	if (to == APIC_MODE_DISABLED)
		return true;
	if (from == APIC_MODE_DISABLED)
		apic_base_write(off | APIC_BASE_EN);
	if (to == APIC_MODE_X2APIC)
		apic_base_write(off | APIC_BASE_EN | APIC_BASE_EXTD);
	mmio = off & APIC_BASE_ADDR_MASK;
	return true;
}

bool apic_set_mode(enum apic_mode m)
{
	if (m != APIC_MODE_XAPIC && m != APIC_MODE_X2APIC && m != APIC_MODE_DISABLED)
		return false;
	if (!hw_set_mode(m))
		return false;
	drv_mode = m;
	adopted = true;
	return true;
}

uint32_t apic_read(uint32_t reg)
{
	if (drv_mode == APIC_MODE_X2APIC)
		return (uint32_t)rdmsr(X2APIC_MSR(reg));
	return *(volatile uint32_t *)(uintptr_t)(mmio + reg);
}

void apic_write(uint32_t reg, uint32_t val)
{
	if (drv_mode == APIC_MODE_X2APIC)
		wrmsr(X2APIC_MSR(reg), val);
	else
		*(volatile uint32_t *)(uintptr_t)(mmio + reg) = val;
}

uint32_t apic_id(void)
{
	uint32_t id = apic_read(APIC_ID);

	return drv_mode == APIC_MODE_X2APIC ? id : id >> XAPIC_ID_SHIFT;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

static bool reg_bit(uint32_t reg0, uint8_t vector)
{
	return apic_read(reg0 + (vector / 32u) * REG_STRIDE) & (1u << (vector % 32u));
}

bool apic_isr_test(uint8_t vector)
{
	return reg_bit(APIC_ISR0, vector);
}

bool apic_irr_test(uint8_t vector)
{
	return reg_bit(APIC_IRR0, vector);
}

static void spurious_handler(unsigned int vector)
{
	(void)vector; /* a spurious interrupt is not in service: no EOI */
}

void apic_cpu_init(void)
{
	bool busy = true;

	if (!adopted) {
		drv_mode = apic_hw_mode() == APIC_MODE_X2APIC ? APIC_MODE_X2APIC : APIC_MODE_XAPIC;
		adopted = true;
	}
	hw_set_mode(drv_mode);
	irq_set_handler(APIC_SPURIOUS_VECTOR, spurious_handler);
	apic_write(APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
	apic_write(APIC_TPR, 0);
	apic_timer_stop();
	apic_timer_set_divide(1);
	apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
	apic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
	apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
	/* Whatever a loader left in service would hold back every lower class. */
	for (int i = 0; i < 256 && busy; i++) {
		busy = false;
		for (uint32_t r = 0; r < ISR_REGS; r++)
			busy |= apic_read(APIC_ISR0 + r * REG_STRIDE) != 0;
		if (busy)
			apic_eoi();
	}
	/* The ESR latches on a write: write, then read. */
	apic_write(APIC_ESR, 0);
	(void)apic_read(APIC_ESR);
}

static bool icr_idle(void)
{
	return spin_until(!(apic_read(APIC_ICR_LOW) & APIC_ICR_BUSY),
	                  tsc_ticks_at_least_us(ICR_IDLE_TIMEOUT_US));
}

bool apic_send_ipi(uint32_t dest, uint32_t icr_low)
{
	bool was_on = irq_enabled(), ok = true;

	if (drv_mode == APIC_MODE_X2APIC) {
		wrmsr(X2APIC_MSR(APIC_ICR_LOW), (uint64_t)dest << 32 | icr_low);
		return true;
	}
	/* An interrupt between the two writes must not send its own IPI in between. */
	irq_disable();
	ok = icr_idle();
	apic_write(APIC_ICR_HIGH, dest << XAPIC_DEST_SHIFT);
	apic_write(APIC_ICR_LOW, icr_low);
	ok = icr_idle() && ok;
	if (was_on)
		irq_enable();
	return ok;
}

void apic_self_ipi(uint8_t vector)
{
	if (drv_mode == APIC_MODE_X2APIC)
		wrmsr(X2APIC_MSR(APIC_SELF_IPI), vector);
	else
		apic_send_ipi(0, APIC_ICR_SELF | APIC_ICR_ASSERT | APIC_ICR_FIXED | vector);
}

void apic_timer_set_divide(unsigned int div)
{
	/* DCR bits 3, 1:0: 000 = 2, 001 = 4, ..., 011 = 16, 100 = 32, ..., 110 = 128, 111 = 1. */
	uint32_t k = 7;

	for (unsigned int d = 2, i = 0; d <= 128; d <<= 1, i++)
		if (d == div)
			k = i;
	apic_write(APIC_TIMER_DCR, (k & 3) | (k & 4) << 1);
}

void apic_timer_oneshot(uint8_t vector, uint32_t count)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | vector);
	apic_write(APIC_TIMER_ICR, count);
}

void apic_timer_periodic(uint8_t vector, uint32_t count)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | vector);
	apic_write(APIC_TIMER_ICR, count);
}

void apic_timer_deadline(uint8_t vector, uint64_t tsc)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | vector);
	/* The SDM: the LVT write must complete before IA32_TSC_DEADLINE is written. */
	mfence();
	wrmsr(MSR_IA32_TSC_DEADLINE, tsc);
}

void apic_timer_stop(void)
{
	uint32_t lvt = apic_read(APIC_LVT_TIMER);

	/* Each mode ignores the other's arming register: disarm in the mode we are in. */
	if ((lvt & LVT_TIMER_MODE_MASK) == APIC_LVT_TIMER_TSC_DEADLINE && tsc_deadline_supported())
		wrmsr(MSR_IA32_TSC_DEADLINE, 0);
	apic_write(APIC_TIMER_ICR, 0);
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_LVT_TIMER_ONESHOT | APIC_SPURIOUS_VECTOR);
}

/* A TSC reading close to that of a CCR read, and the count it returned. */
static uint64_t ccr_sample(uint32_t *count)
{
	uint64_t before = rdtsc_ordered(), after;

	*count = apic_read(APIC_TIMER_CCR);
	after = rdtsc_ordered();
	return before + (after - before) / 2;
}

uint64_t apic_timer_calibrate(uint64_t window)
{
	uint32_t c0, c1;
	uint64_t t0, t1;

	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_LVT_TIMER_ONESHOT | APIC_SPURIOUS_VECTOR);
	apic_write(APIC_TIMER_ICR, TIMER_COUNT_MAX);
	t0 = ccr_sample(&c0);
	while (rdtsc_ordered() - t0 < window)
		cpu_relax();
	t1 = ccr_sample(&c1);
	apic_timer_stop();
	if (c1 >= c0)
		return 0;
	return ((t1 - t0) << 16) / (c0 - c1);
}
