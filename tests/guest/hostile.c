/*
 * What an attacker's guest tried first, each once a hole in Umbra (issue
 * 16): values hardware refuses in privileged instructions, counters the
 * guest must not read, leaving paging from 64-bit code, a local APIC timer
 * storm, and CPU state one VM leaves in the CPU for the next. Several
 * copies run on one CPU (-- seed=N gives each its own values): each must
 * find the SDM's reset values at start and keep its own values while the
 * others run. Bare (Bochs), the same tests are the reference.
 */
#include "apic.h"
#include "vmx.h"

PAYLOAD("hostile");

#define VECTOR_GP 13

#define CR4_OSFXSR     (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define CR4_OSXSAVE    (1ULL << 18)
#define CR0_PG         (1ULL << 31)

#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_CSTAR          0xc0000083
#define MSR_SFMASK         0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX        0xc0000103

#define DR6_RESET   0xffff0ff0ULL
#define MXCSR_RESET 0x1f80
#define FCW_RESET   0x037f

#define VEC_STORM       0x40
#define STORM_IRQS      200
#define STORM_TICKS     (1ULL << 32) /* a bound, never reached when the storm is served */
#define HOLD_US_DEFAULT 200000

static uint64_t seed = 1;

static void write_cr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static bool has_xsave(void)
{
	return cpuid(1, 0).ecx & (1u << 26);
}

static bool has_rdtscp(void)
{
	return cpuid(0x80000001, 0).edx & (1u << 27);
}

static uint64_t xcr0_supported(void)
{
	struct cpuid_regs r = cpuid(0xd, 0);

	return ((uint64_t)r.edx << 32) | r.eax;
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

static void xsetbv_fn(void *arg)
{
	uint64_t v = *(uint64_t *)arg;

	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* The SDM's XSETBV rules for XCR0, written apart from Umbra's own. */
static bool xcr0_ok(uint64_t v, uint64_t sup)
{
	uint64_t avx512 = 0xe0, mpx = 0x18, amx = 0x60000;

	if (!(v & 1) || (v & ~sup) || ((v & 4) && !(v & 2)))
		return false;
	if ((v & mpx) && (v & mpx) != mpx)
		return false;
	if ((v & amx) && (v & amx) != amx)
		return false;
	if ((v & avx512) && ((v & avx512) != avx512 || !(v & 4)))
		return false;
	return true;
}

static uint64_t cr8_read(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void cr8_write(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

#define DR(n)                                                     \
	static uint64_t dr##n##_read(void)                        \
	{                                                         \
		uint64_t v;                                       \
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(v)); \
		return v;                                         \
	}                                                         \
	static void dr##n##_write(uint64_t v)                     \
	{                                                         \
		__asm__ volatile("mov %0, %%db" #n : : "r"(v));   \
	}
DR(0)
DR(1)
DR(2)
DR(3)
DR(6)
#undef DR

static uint64_t dr_read(unsigned int n)
{
	switch (n) {
	case 0: return dr0_read();
	case 1: return dr1_read();
	case 2: return dr2_read();
	default: return dr3_read();
	}
}

static void dr_write(unsigned int n, uint64_t v)
{
	switch (n) {
	case 0: dr0_write(v); break;
	case 1: dr1_write(v); break;
	case 2: dr2_write(v); break;
	default: dr3_write(v); break;
	}
}

/* XMM0-XMM15's low quadwords, through general registers (asm: the payload has no SSE code). */
#define XMM_COUNT 16
#define XMM_LIST(X) \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

static void xmm_read(uint64_t *out)
{
#define XMM_GET(n) __asm__ volatile("movq %%xmm" #n ", %0" : "=r"(out[n]));
	XMM_LIST(XMM_GET)
#undef XMM_GET
}

static void xmm_write(const uint64_t *in)
{
#define XMM_SET(n) __asm__ volatile("movq %0, %%xmm" #n : : "r"(in[n]));
	XMM_LIST(XMM_SET)
#undef XMM_SET
}

static uint32_t mxcsr_read(void)
{
	uint32_t v;

	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static void mxcsr_write(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static uint16_t fcw_read(void)
{
	uint16_t v;

	__asm__ volatile("fnstcw %0" : "=m"(v));
	return v;
}

static void fcw_write(uint16_t v)
{
	__asm__ volatile("fldcw %0" : : "m"(v));
}

static const uint32_t syscall_msrs[] = {MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
                                        MSR_KERNEL_GS_BASE};
#define SYSCALL_MSRS (sizeof(syscall_msrs) / sizeof(syscall_msrs[0]))

/* Everything this VM sets, derived from its seed; read back the same way. */
struct cpu_values {
	uint64_t xcr0, dr[4], dr6, msr[SYSCALL_MSRS], tsc_aux, cr8, xmm[XMM_COUNT];
	uint32_t mxcsr;
	uint16_t fcw;
};

static void values_read(struct cpu_values *c)
{
	c->xcr0 = has_xsave() ? xgetbv0() : 0;
	for (unsigned int i = 0; i < 4; i++)
		c->dr[i] = dr_read(i);
	c->dr6 = dr6_read();
	for (unsigned int i = 0; i < SYSCALL_MSRS; i++)
		c->msr[i] = rdmsr(syscall_msrs[i]);
	c->tsc_aux = has_rdtscp() ? rdmsr(MSR_TSC_AUX) : 0;
	c->cr8 = cr8_read();
	xmm_read(c->xmm);
	c->mxcsr = mxcsr_read();
	c->fcw = fcw_read();
}

/* Canonical, seed-specific, and harmless with DR7 and CR8's interrupts left off. */
static void values_for_seed(struct cpu_values *c)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL;

	/* XCR0 = 1 too: SSE state is the guest's even when XCR0 leaves it out. */
	c->xcr0 = has_xsave() ? ((seed & 1) ? 1 : (xcr0_supported() & 0x7)) : 0;
	for (unsigned int i = 0; i < 4; i++)
		c->dr[i] = (s + i * 0x1000) & 0x00007ffffffff000ULL;
	c->dr6 = DR6_RESET | (seed & 0xf); /* B0-B3 are the guest's to write */
	for (unsigned int i = 0; i < SYSCALL_MSRS; i++)
		c->msr[i] = (s ^ (i * 0x10101)) & 0x00007ffffffff000ULL;
	c->msr[3] &= 0xffffffffULL; /* SFMASK: the high half is reserved */
	c->msr[0] &= 0xffffffffffff0000ULL;
	c->tsc_aux = has_rdtscp() ? (uint32_t)s : 0;
	c->cr8 = 0;
	for (unsigned int i = 0; i < XMM_COUNT; i++)
		c->xmm[i] = s + i;
	c->mxcsr = MXCSR_RESET ^ ((seed & 3) << 13); /* rounding control */
	c->fcw = FCW_RESET ^ ((seed & 3) << 10);
}

static void values_write(const struct cpu_values *c)
{
	if (has_xsave())
		xsetbv_fn((void *)&c->xcr0);
	for (unsigned int i = 0; i < 4; i++)
		dr_write(i, c->dr[i]);
	dr6_write(c->dr6);
	for (unsigned int i = 0; i < SYSCALL_MSRS; i++)
		wrmsr(syscall_msrs[i], c->msr[i]);
	if (has_rdtscp())
		wrmsr(MSR_TSC_AUX, c->tsc_aux);
	xmm_write(c->xmm);
	mxcsr_write(c->mxcsr);
	fcw_write(c->fcw);
}

/* CHECKs each field of got against want; returns the number that differ. */
static unsigned int values_compare(const char *when, const struct cpu_values *got,
                                   const struct cpu_values *want)
{
	unsigned int bad = 0;

#define SAME(field, name)                                                                   \
	bad += !CHECK(got->field == want->field, "%s: %s is 0x%lx, want 0x%lx", when, name, \
	              (uint64_t)got->field, (uint64_t)want->field)
	SAME(xcr0, "XCR0");
	SAME(dr[0], "DR0");
	SAME(dr[1], "DR1");
	SAME(dr[2], "DR2");
	SAME(dr[3], "DR3");
	SAME(dr6, "DR6");
	SAME(msr[0], "STAR");
	SAME(msr[1], "LSTAR");
	SAME(msr[2], "CSTAR");
	SAME(msr[3], "SFMASK");
	SAME(msr[4], "KERNEL_GS_BASE");
	SAME(tsc_aux, "TSC_AUX");
	SAME(cr8, "CR8");
	for (unsigned int i = 0; i < XMM_COUNT; i++)
		bad += !CHECK(got->xmm[i] == want->xmm[i], "%s: XMM%u is 0x%lx, want 0x%lx", when,
		              i, got->xmm[i], want->xmm[i]);
	SAME(mxcsr, "MXCSR");
	SAME(fcw, "x87 FCW");
#undef SAME
	return bad;
}

static void xsetbv_xcr2(void *arg)
{
	(void)arg;
	__asm__ volatile("xsetbv" : : "c"(2), "a"(1), "d"(0));
}

static void rdpmc_fn(void *arg)
{
	uint32_t lo, hi;

	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(*(uint32_t *)arg));
}

static void cr0_clear_pg(void *arg)
{
	(void)arg;
	__asm__ volatile("mov %0, %%cr0" : : "r"(read_cr0() & ~CR0_PG) : "memory");
}

static void cr8_write_fn(void *arg)
{
	cr8_write(*(uint64_t *)arg);
}

/* First of all: what a VM finds is the SDM's reset state, never another VM's. */
TEST(cpu_state_at_start_is_reset_state)
{
	struct cpu_values got, want = {0};

	cmdline_get_u64("seed", &seed);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT | (has_xsave() ? CR4_OSXSAVE : 0));
	values_read(&got);
	want.xcr0 = has_xsave() ? 1 : 0;
	want.dr6 = DR6_RESET;
	want.mxcsr = MXCSR_RESET;
	/*
	 * The SDM gives the SYSCALL MSRs and KERNEL_GS_BASE no reset value:
	 * Umbra starts them at 0; bare Bochs has SFMASK 0x20200 (docs/bochs.md).
	 */
	for (unsigned int i = 0; i < SYSCALL_MSRS && !on_umbra(); i++)
		want.msr[i] = got.msr[i];
	want.fcw = got.fcw; /* firmware may leave 0x40 (power-on) or 0x37f (FNINIT) */
	CHECK(got.fcw == 0x40 || got.fcw == FCW_RESET, "x87 FCW is 0x%x", got.fcw);
	values_compare("at start", &got, &want);
}

TEST(xsetbv_follows_the_sdm)
{
	static const uint64_t cases[] = {0x1,
	                                 0x3,
	                                 0x7,
	                                 0x0,
	                                 0x2,
	                                 0x5,
	                                 0x27,
	                                 0x47,
	                                 0x87,
	                                 0x67,
	                                 0xc7,
	                                 0xe7,
	                                 0xe3,
	                                 0x9,
	                                 0x11,
	                                 0x19,
	                                 0x207,
	                                 0x2e7,
	                                 0x8000000000000003ULL,
	                                 0x60003,
	                                 0x20003};
	uint64_t sup;

	if (!has_xsave())
		SKIP("no XSAVE");
	sup = xcr0_supported();
	printf("# XCR0 bits this CPU supports: 0x%lx\n", sup);
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = cases[i];
		struct exc_info info;
		int vec = catch_exception(xsetbv_fn, &v, &info);
		bool ok = xcr0_ok(v, sup);

		if (ok) {
			CHECK(vec < 0, "XSETBV 0x%lx: %s, want success", v,
			      exception_name((unsigned int)vec));
			CHECK(vec >= 0 || xgetbv0() == v, "XSETBV 0x%lx: XGETBV reads 0x%lx", v,
			      xgetbv0());
		} else {
			CHECK(vec == VECTOR_GP, "XSETBV 0x%lx: %s, want #GP", v,
			      vec < 0 ? "no fault" : exception_name((unsigned int)vec));
		}
	}
	/* XCR 1 (only with XSAVE's XINUSE support, absent here) and others: #GP. */
	CHECK(catch_exception(xsetbv_xcr2, NULL, NULL) == VECTOR_GP, "XSETBV to XCR2: no #GP");
	xsetbv_fn(&(uint64_t){1});
}

/* CPUID leaf 0xA says how many counters there are; RDPMC of one that is not there is #GP. */
TEST(rdpmc_without_counters_is_gp)
{
	struct cpuid_regs a = cpuid(0, 0).eax >= 0xa ? cpuid(0xa, 0) : (struct cpuid_regs){0};
	unsigned int gp = (a.eax >> 8) & 0xff, fixed = a.edx & 0x1f;

	if (gp || fixed)
		SKIP("this CPU shows %u general and %u fixed counters", gp, fixed);
	CHECK(catch_exception(rdpmc_fn, &(uint32_t){0}, NULL) == VECTOR_GP,
	      "RDPMC 0 read a counter CPUID does not show");
	CHECK(catch_exception(rdpmc_fn, &(uint32_t){1u << 30}, NULL) == VECTOR_GP,
	      "RDPMC fixed 0 read a counter CPUID does not show");
}

/* Paging can be left only from compatibility mode: in 64-bit code, #GP. */
TEST(clearing_cr0_pg_in_64bit_mode_is_gp)
{
	struct exc_info info;
	int vec = catch_exception(cr0_clear_pg, NULL, &info);

	CHECK(vec == VECTOR_GP, "MOV CR0 without PG: %s, want #GP",
	      vec < 0 ? "no fault" : exception_name((unsigned int)vec));
	CHECK(read_cr0() & CR0_PG, "paging is off");
}

/* CR8 is the TPR: this VM's own, read back as written. */
TEST(cr8_is_this_vms_tpr)
{
	cr8_write(0xf);
	CHECK(cr8_read() == 0xf, "CR8 reads 0x%lx after 0xf", cr8_read());
	CHECK((apic_read(APIC_TPR) >> 4) == 0xf || !apic_present(), "TPR is 0x%x after CR8 0xf",
	      apic_read(APIC_TPR));
	CHECK(catch_exception(cr8_write_fn, &(uint64_t){0x10}, NULL) == VECTOR_GP,
	      "CR8 0x10 (reserved bit) did not raise #GP");
	cr8_write(0);
}

/* Expiries of a storm coalesce in IRR: the guest progresses, and the run goes on. */
static volatile uint64_t storm_irqs;

/*
 * With a period of one tick an interrupt is always pending: as on hardware,
 * the code it interrupts gets no instruction in. The handler itself stops
 * the storm after STORM_IRQS deliveries.
 */
static void storm_handler(unsigned int vector)
{
	(void)vector;
	if (++storm_irqs == STORM_IRQS)
		apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_STORM);
	apic_eoi();
}

static void storm_start(void)
{
	storm_irqs = 0;
	apic_timer_set_divide(1);
	apic_timer_periodic(VEC_STORM, 1);
}

static void storm_stop(void)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_STORM);
	apic_write(APIC_TIMER_ICR, 0);
}

TEST(apic_timer_storm_with_interrupts_on)
{
	apic_cpu_init();
	pic_init_masked(0x20);
	irq_set_handler(VEC_STORM, storm_handler);
	storm_start();
	irq_enable();
	bool done = spin_until(storm_irqs >= STORM_IRQS, STORM_TICKS);
	irq_disable();
	storm_stop();
	CHECK(done, "%lu of %u interrupts while spinning", storm_irqs, STORM_IRQS);
}

TEST(apic_timer_storm_with_hlt)
{
	uint64_t end = rdtsc() + STORM_TICKS;

	storm_start();
	while (storm_irqs < STORM_IRQS && rdtsc() < end)
		halt_until_interrupt();
	storm_stop();
	CHECK(storm_irqs >= STORM_IRQS, "%lu of %u interrupts with HLT", storm_irqs, STORM_IRQS);
}

TEST(apic_timer_storm_with_interrupts_off_coalesces)
{
	volatile uint64_t loops = 0;
	uint64_t end;

	storm_start();
	end = rdtsc() + tsc_ticks_at_least_us(20000);
	while (rdtsc() < end)
		loops++;
	storm_stop();
	CHECK(loops > 100, "only %lu loops in 20 ms under the storm", loops);
	CHECK(apic_irr_test(VEC_STORM), "no expiry is pending after the storm");
	irq_enable();
	tsc_delay_us(1000);
	irq_disable();
	/* However many periods expired while IF was 0: one interrupt. */
	CHECK(storm_irqs == 1, "%lu interrupts after the storm, want 1", storm_irqs);
}

/* A scratch page for hypercalls that write: nothing else of the payload's is in reach. */
static uint8_t scratch[2 * 4096] __attribute__((aligned(4096)));
static struct umbra_exit_stats stats_buf;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A guest-physical address for an argument: in the scratch page, past RAM, or absurd. */
static uint64_t random_gpa(uint64_t r)
{
	switch (r % 5) {
	case 0: return (uintptr_t)scratch + (r >> 8) % 4096;
	case 1: return mem_ram_top() - (r >> 8) % 64; /* may run past the end */
	case 2: return mem_ram_top() + ((r >> 8) & 0xffffff);
	case 3: return ~0ULL - ((r >> 8) & 0xfff); /* wraps */
	default: return (r >> 8) | (1ULL << 52);
	}
}

/* 10,000 hypercalls with random numbers and arguments: each gets a documented answer. */
TEST(random_hypercalls_get_documented_answers)
{
	uint64_t s = 0x2545f4914f6cdd1dULL ^ seed, odd = 0;

	REQUIRE_UMBRA();
	for (int i = 0; i < 10000; i++) {
		uint64_t r = xorshift(&s), nr = r % 8, gpa = random_gpa(xorshift(&s));
		uint64_t len = (xorshift(&s) & 1) ? (r >> 32) % 8 : (r >> 20);
		long ret;

		if (nr == UMBRA_HC_EXIT)
			nr = UMBRA_HC_COUNT + (r >> 3) % 1000; /* unknown, never the exit */
		if (nr == UMBRA_HC_CONSOLE_WRITE) {
			/* Writes only what is in the scratch page: spaces (no new console lines). */
			memset(scratch, ' ', sizeof(scratch));
			ret = umbra_hypercall(nr, gpa, len, 0);
			odd += !(ret == (long)len || ret == UMBRA_EINVAL || ret == UMBRA_EFAULT);
		} else if (nr == UMBRA_HC_EXIT_STATS) {
			if (r & 0x100)
				gpa = (uintptr_t)&stats_buf;
			ret = umbra_hypercall(nr, gpa, len, 0);
			odd += !(ret == 0 || ret == UMBRA_EINVAL || ret == UMBRA_EFAULT);
		} else if (nr == UMBRA_HC_VERSION) {
			ret = umbra_hypercall(nr, gpa, len, 0);
			odd += ret != UMBRA_ABI_VERSION;
		} else {
			ret = umbra_hypercall(nr, gpa, len, 0);
			odd += ret != UMBRA_ENOSYS;
		}
	}
	printf("\n");
	CHECK(odd == 0, "%lu of 10000 hypercalls got an undocumented answer", odd);
}

/* At CPL 3 without VMX offered: every VMX instruction is #UD; VMCALL exits and is refused. */
TEST(vmx_instructions_and_vmcall_at_cpl3)
{
	cpl3_init();
	for (int insn = 0; insn < VMX_INSNS; insn++) {
		uint64_t out = 0;
		struct vmx_result r = vmx_exec_cpl3((enum vmx_insn)insn, 0, 0, &out);

		if (insn == VMX_INSN_VMCALL && on_umbra())
			continue; /* Umbra's hypercall ABI: below */
		if (insn == VMX_INSN_VMCALL)
			CHECK(r.kind == VMX_FAULT && r.vector == VMX_VECTOR_UD,
			      "VMCALL at CPL 3 bare: want #UD");
		else
			CHECK(r.kind == VMX_FAULT && r.vector == VMX_VECTOR_UD,
			      "%s at CPL 3: want #UD, got kind %d vector %u", vmx_insn_name(insn),
			      r.kind, r.vector);
	}
}

/* Self-IPIs by the thousand: with IF=0 they merge in IRR (one delivery), with IF=1 each lands. */
#define VEC_SELF_STORM 0x44
static volatile uint64_t self_irqs;

static void self_handler(unsigned int vector)
{
	(void)vector;
	self_irqs++;
	apic_eoi();
}

TEST(self_ipi_storm)
{
	irq_set_handler(VEC_SELF_STORM, self_handler);
	self_irqs = 0;
	for (int i = 0; i < 10000; i++)
		apic_self_ipi(VEC_SELF_STORM);
	irq_enable();
	tsc_delay_us(1000);
	irq_disable();
	CHECK(self_irqs == 1, "%lu deliveries of 10000 self-IPIs sent with IF=0, want 1",
	      self_irqs);
	self_irqs = 0;
	irq_enable();
	for (int i = 0; i < 10000; i++)
		apic_self_ipi(VEC_SELF_STORM);
	spin_until(self_irqs == 10000, tsc_ticks_at_least_us(1000000));
	irq_disable();
	CHECK(self_irqs == 10000, "%lu deliveries of 10000 self-IPIs sent with IF=1", self_irqs);
}

/* Last: this VM's values stay its own while the other copies run on its CPU. */
TEST(cpu_state_stays_this_vms)
{
	struct cpu_values want, got;
	uint64_t hold_us = HOLD_US_DEFAULT, end, checks = 0;

	cmdline_get_u64("hold_us", &hold_us);
	values_for_seed(&want);
	values_write(&want);
	end = rdtsc() + tsc_ticks_at_least_us(hold_us);
	do {
		values_read(&got);
		checks++;
		if (values_compare("while others ran", &got, &want))
			break;
	} while (rdtsc() < end);
	printf("# %lu checks over %lu us (seed %lu)\n", checks, hold_us, seed);
}
