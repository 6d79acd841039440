#include "vcpu/guest_cpu_state.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/extable.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "vcpu/vcpu.h"
#include "vcpu/xcr0_rules.h"

#define FXSAVE_SIZE      512
#define FXSAVE_FCW       0
#define FXSAVE_MXCSR     24
#define FCW_RESET        0x037f /* as FNINIT and XRSTOR's init state leave it */
#define MXCSR_RESET      0x1f80
#define LEAF1_ECX_XSAVE  (1u << 26)
#define CPUID_XSAVE_LEAF 0xd

static bool has_xsave;
static uint64_t xcr0_all; /* every XCR0 bit this CPU supports */
static uint32_t area_size;

/* The vCPU whose state each CPU holds (NULL: nobody's worth keeping). */
static struct vcpu *owner[MAX_CPUS];

void guest_cpu_state_init(void)
{
	has_xsave = cpu_features.leaf1_ecx & LEAF1_ECX_XSAVE;
	area_size = FXSAVE_SIZE;
	if (has_xsave) {
		struct cpuid_regs r = cpuid_count(CPUID_XSAVE_LEAF, 0);

		xcr0_all = ((uint64_t)r.edx << 32) | r.eax;
		area_size = r.ecx; /* the XSAVE image of every supported component */
	}
}

int guest_cpu_state_alloc(struct guest_cpu_state *s, struct frame_alloc *fa)
{
	uint8_t *area;

	memset(s, 0, sizeof(*s));
	s->area_frames = (area_size + FRAME_SIZE - 1) / FRAME_SIZE;
	s->area_pa = frame_alloc_alloc(fa, s->area_frames, FRAME_SIZE);
	if (!s->area_pa)
		return -1;
	area = (uint8_t *)s->area_pa;
	/* An empty XSAVE header: XRSTOR puts every component in its initial state. */
	memset(area, 0, (size_t)s->area_frames * FRAME_SIZE);
	*(uint16_t *)(area + FXSAVE_FCW) = FCW_RESET;
	*(uint32_t *)(area + FXSAVE_MXCSR) = MXCSR_RESET; /* loaded whatever the header says */
	s->xcr0 = XCR0_RESET;
	s->dr6 = DR6_RESET;
	return 0;
}

void guest_cpu_state_free(struct guest_cpu_state *s, struct frame_alloc *fa)
{
	if (s->area_pa)
		frame_alloc_free(fa, s->area_pa, s->area_frames);
	s->area_pa = 0;
}

static void save(struct guest_cpu_state *s)
{
	void *area = (void *)s->area_pa;

	/*
	 * XCR0 holds every component (see guest_cpu_state_load): SSE state is
	 * the guest's even when its own XCR0 left it out.
	 */
	if (has_xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
	s->dr[0] = read_dr0();
	s->dr[1] = read_dr1();
	s->dr[2] = read_dr2();
	s->dr[3] = read_dr3();
	s->dr6 = read_dr6();
	s->star = rdmsr(MSR_STAR);
	s->lstar = rdmsr(MSR_LSTAR);
	s->cstar = rdmsr(MSR_CSTAR);
	s->sfmask = rdmsr(MSR_SFMASK);
	s->kernel_gs_base = rdmsr(MSR_KERNEL_GS_BASE);
	if (cpu_has_rdtscp())
		s->tsc_aux = rdmsr(MSR_TSC_AUX);
}

static void load(const struct guest_cpu_state *s)
{
	const void *area = (const void *)s->area_pa;

	if (has_xsave) {
		/*
		 * With every component enabled, XRSTOR also resets what this
		 * vCPU never enabled: nothing of the last owner's survives.
		 * The values were checked when the guest set them.
		 */
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
		xsetbv_checked(0, s->xcr0);
	} else {
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
	}
	write_dr0(s->dr[0]);
	write_dr1(s->dr[1]);
	write_dr2(s->dr[2]);
	write_dr3(s->dr[3]);
	write_dr6(s->dr6);
	wrmsr(MSR_STAR, s->star);
	wrmsr(MSR_LSTAR, s->lstar);
	wrmsr(MSR_CSTAR, s->cstar);
	wrmsr(MSR_SFMASK, s->sfmask);
	wrmsr(MSR_KERNEL_GS_BASE, s->kernel_gs_base);
	if (cpu_has_rdtscp())
		wrmsr(MSR_TSC_AUX, s->tsc_aux);
}

void guest_cpu_state_load(struct vcpu *v)
{
	struct vcpu **here = &owner[this_cpu()->index];

	if (*here == v)
		return;
	/* XSAVE and XRSTOR act on XCR0's components: give them all of them. */
	if (has_xsave)
		xsetbv_checked(0, xcr0_all);
	if (*here)
		save(&(*here)->cpu_state);
	load(&v->cpu_state);
	*here = v;
}

void guest_cpu_state_save_out(struct vcpu *v)
{
	struct vcpu **here = &owner[this_cpu()->index];

	if (*here != v)
		return;
	if (has_xsave)
		xsetbv_checked(0, xcr0_all);
	save(&v->cpu_state);
	*here = NULL;
}

void guest_cpu_state_drop(struct vcpu *v)
{
	struct vcpu **here = &owner[this_cpu()->index];

	if (*here == v)
		*here = NULL;
}

int guest_cpu_state_set_xcr0(struct vcpu *v, uint64_t xcr0)
{
	if (!has_xsave || !xcr0_valid(xcr0, xcr0_all) || xsetbv_checked(0, xcr0) < 0)
		return -1;
	v->cpu_state.xcr0 = xcr0;
	return 0;
}
