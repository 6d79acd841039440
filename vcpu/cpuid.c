/* CPUID exits: the host's answer, filtered for the guest. */
#include "arch/x86/cpu.h"
#include "vcpu/cpuid_filter.h"
#include "vcpu/exits.h"
#include "vcpu/vm.h"

void vcpu_exit_cpuid(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->gprs.rax, subleaf = (uint32_t)v->gprs.rcx;
	struct cpuid_result r = {0, 0, 0, 0};
	struct cpuid_guest g = {.apic_id = v->id, .osxsave = false};

	if (!cpuid_filter_is_own_leaf(leaf)) {
		struct cpuid_regs h = cpuid_count(leaf, subleaf);

		r = (struct cpuid_result){h.eax, h.ebx, h.ecx, h.edx};
	}
	/* Only leaf 1 depends on guest state: read CR4 for it alone. */
	if (leaf == 1)
		g.osxsave = reg_cache_read(&v->regs, REG_CR4) & (1u << 18);
	cpuid_filter(leaf, subleaf, &g, &r);
	v->gprs.rax = r.eax;
	v->gprs.rbx = r.ebx;
	v->gprs.rcx = r.ecx;
	v->gprs.rdx = r.edx;
	vcpu_skip_instruction(v);
}
