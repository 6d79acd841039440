/* CPUID exits: the host's answer, filtered for the guest. */
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "vcpu/cpuid_filter.h"
#include "vcpu/exits.h"
#include "vcpu/vm.h"

static void set_result(struct vcpu *v, uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	v->gprs.rax = eax;
	v->gprs.rbx = ebx;
	v->gprs.rcx = ecx;
	v->gprs.rdx = edx;
	vcpu_skip_instruction(v);
}

/* The leaves Umbra rewrites or answers itself. */
static __attribute__((noinline)) void exit_cpuid_filtered(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->gprs.rax, subleaf = (uint32_t)v->gprs.rcx;
	struct cpuid_result r = {0, 0, 0, 0};
	struct cpuid_guest g = {
	        .apic_id = v->id,
	        .osxsave = false,
	        .tsc_mhz = (uint32_t)((tsc_khz() + 500) / 1000), /* 19999 kHz is 20 MHz */
	        .tsc_hz = tsc_khz() * 1000,
	        .vmx = v->nested.enabled,
	        .vmcs_shadowing = v->nested.enabled && v->nested.shadow_pa};

	if (!cpuid_filter_is_own_leaf(leaf)) {
		struct cpuid_regs h = cpuid_count(leaf, subleaf);

		r = (struct cpuid_result){h.eax, h.ebx, h.ecx, h.edx};
	}
	/* Leaf 0xD.1's size follows the guest's XCR0 (each component's size from leaf 0xD). */
	if (leaf == 0xd && subleaf == 1) {
		struct cpuid_result comp[CPUID_XSAVE_COMPONENTS] = {{0, 0, 0, 0}};
		uint64_t xcr0 = v->cpu_state.xcr0;

		for (unsigned int i = 2; i < CPUID_XSAVE_COMPONENTS; i++) {
			if (!(xcr0 & (1ULL << i)))
				continue;
			struct cpuid_regs c = cpuid_count(0xd, i);

			comp[i] = (struct cpuid_result){c.eax, c.ebx, c.ecx, c.edx};
		}
		g.xsaves_size = cpuid_xsave_compacted_size(xcr0, comp);
	}
	/* Leaf 1 depends on guest state: read CR4 and the APIC's enable for it alone. */
	if (leaf == 1) {
		g.osxsave = reg_cache_read(&v->regs, REG_CR4) & CR4_OSXSAVE;
		g.apic_off = !vlapic_enabled(&v->lapic);
	}
	cpuid_filter(leaf, subleaf, &g, &r);
	set_result(v, r.eax, r.ebx, r.ecx, r.edx);
}

void vcpu_exit_cpuid(struct vcpu *v)
{
	if (cpuid_filter_changes((uint32_t)v->gprs.rax)) {
		exit_cpuid_filtered(v);
		return;
	}
	/* Most leaves pass unchanged: the CPU's answer is the guest's. */
	cpuid_to_regs(v->gprs.rax, v->gprs.rcx, &v->gprs.rax, &v->gprs.rbx, &v->gprs.rcx,
	              &v->gprs.rdx);
	vcpu_skip_instruction(v);
}
