/*
 * Nested VMX: set-up, per-vCPU state, the L1's VMX MSRs and CR rules, INIT,
 * switching between vmcs01 and vmcs02 (see nested.h). VM entry to L2 is
 * nested_entry.c's, L2's exits l2_exit.c's.
 */
#include "nested/nested.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/cmdline.h"
#include "lib/console.h"
#include "lib/phys_mem.h"
#include "nested/exit_route.h"
#include "nested/nested_internal.h"
#include "nested/vmcs12.h"
#include "nested/nvmx_rules.h"
#include "nested/shadow_ept.h"
#include "vcpu/slice.h"
#include "vcpu/vm.h"
#include "vcpu/vmcs_setup.h"

#define CPUID_7_EBX_RTM          (1u << 11)
#define VPID02_BIT               0x8000u
#define VPID02_SHIFT             3 /* room for VPID_MAP_SLOTS + 1 hardware VPIDs per vCPU */
#define FEATURE_CONTROL_WRITABLE (FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX)

struct nested_caps nested_caps;
extern uint64_t nested_msr_bitmap02; /* vmcs02.c */

int nested_global_init(const char *cmdline)
{
	nested_entry_init(cmdline_get_bool(cmdline, "nested_precheck", false));
	vmcs02_global_init();
	nested_caps_init(&nested_caps, &vmx_caps, (uint8_t)cpu_features.phys_addr_bits,
	                 slice_pin_controls() & PIN_BASED_VMX_PREEMPTION_TIMER);
	/* cpuid_filter.c passes RTM on: a pending RTM debug exception is L1's to load. */
	nested_caps.rtm = cpu_features.max_leaf >= 7 && (cpuid_count(7, 0).ebx & CPUID_7_EBX_RTM);
	nested_msr_bitmap02 = phys_alloc(1, FRAME_SIZE);
	if (!nested_msr_bitmap02)
		return -1;
	memset((void *)nested_msr_bitmap02, 0xff, FRAME_SIZE);
	return shadow_vmcs_global_init();
}

int nested_vcpu_alloc(struct vcpu *v, struct frame_alloc *fa)
{
	struct nested_vmx *n = &v->nested;
	uint64_t page = frame_alloc_alloc(fa, 1, FRAME_SIZE);

	n->current_ptr = NVMX_NO_VMCS;
	n->l1_timer_deadline = UINT64_MAX;
	n->eptp12_in_vmcs02 = NESTED_NO_EPTP12;
	n->vpid02_base = (uint16_t)(VPID02_BIT | v->vpid << VPID02_SHIFT);
	n->vpid02 = n->vpid02_base;
	if (!page)
		return -1;
	memset((void *)page, 0, FRAME_SIZE);
	n->vmcs12 = (struct vmcs12 *)page;
	if (shadow_vmcs_alloc(n, fa) < 0)
		return -1;
	/* The VM's EPT02 pool, shared out: each vCPU's roots are its own (shadow_ept.h). */
	if (nested_sept_alloc(v, fa, v->vm->ept02_pool / FRAME_SIZE / v->vm->vcpu_count) < 0)
		return -1;
	return loaded_vmcs_alloc(&n->vmcs02, fa, vmx_caps.revision_id);
}

void nested_vcpu_free(struct vcpu *v, struct frame_alloc *fa)
{
	struct nested_vmx *n = &v->nested;

	if (n->vmcs12)
		frame_alloc_free(fa, (uint64_t)n->vmcs12, 1);
	n->vmcs12 = NULL;
	if (n->shadow_pa)
		frame_alloc_free(fa, n->shadow_pa, 1);
	n->shadow_pa = 0;
	nested_sept_free(v, fa);
	loaded_vmcs_free(&n->vmcs02, fa);
}

void nested_vcpu_release_vmcs(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;

	if (n->vmcs02.vmcs_pa)
		loaded_vmcs_clear(&n->vmcs02);
	if (n->shadow_pa)
		vmclear(n->shadow_pa);
	/* Its EPT02 tables go back with the VM's memory: this CPU forgets them first. */
	if (n->sept)
		nested_sept_drop_all(v);
}

void nested_vcpu_arrive(struct vcpu *v)
{
	if (!v->nested.enabled)
		return;
	/* What this CPU may hold of L2's VPIDs is from an earlier stay here: stale. */
	nested_flush_vpids(v);
	if (v->nested.sept)
		nested_sept_repoint(v);
}

void nested_report(const struct vcpu *v)
{
	const struct nested_vmx *n = &v->nested;
	const struct sept_stats *st = n->sept ? &n->sept->stats : NULL;

	console_printf("umbra: nested %s.%u entries=%lu reflected_exits=%lu l0_exits_in_l2=%lu "
	               "hot_resumes=%lu prechecks=%lu\n",
	               v->vm->name, v->id, n->entries, n->reflected_exits, n->l0_exits_in_l2,
	               n->hot_resumes, n->prechecks);
	if (st && st->hits + st->misses)
		console_printf("umbra: ept02 %s.%u role_hits=%lu role_misses=%lu fills=%lu "
		               "region_hits=%lu violations=%lu misconfigs=%lu l1_mmio=%lu "
		               "invepts=%lu roots_dropped=%lu pool_resets=%lu\n",
		               v->vm->name, v->id, st->hits, st->misses, st->fills, st->region_hits,
		               st->violations, st->misconfigs, st->l1_mmio, st->invepts,
		               st->dropped, st->resets);
}

bool nested_l2_has_ept12(const struct vcpu *v)
{
	return v->nested.in_l2 && vmcs12_ept_enabled(v->nested.vmcs12);
}

void nested_vmcs12_flush(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;
	void *p;

	if (n->current_ptr == NVMX_NO_VMCS)
		return;
	shadow_vmcs_save(v, &v->vmcs);
	nested_sync_l2_rare(v);
	p = vm_gpa_to_ptr(v->vm, gpa_of(n->current_ptr), sizeof(struct vmcs12));
	if (p)
		memcpy(p, n->vmcs12, sizeof(struct vmcs12));
}

bool nested_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val, bool *gp)
{
	struct nested_vmx *n = &v->nested;

	*gp = false;
	if (!n->enabled)
		return false;
	if (msr == MSR_IA32_FEATURE_CONTROL) {
		/* Starts unlocked, as after a reset; once locked, writes #GP until the next reset. */
		if (!write)
			*val = n->feature_control;
		else if ((n->feature_control & FEATURE_CONTROL_LOCKED) ||
		         (*val & ~FEATURE_CONTROL_WRITABLE))
			*gp = true;
		else
			n->feature_control = *val;
		return true;
	}
	if (msr < NESTED_MSR_FIRST || msr > NESTED_MSR_LAST)
		return false;
	/* Read-only, and absent ones #GP like on a CPU without them. */
	if (write || !nested_caps_msr(&nested_caps, msr, val))
		*gp = true;
	return true;
}

bool nested_l1_cr_ok(struct vcpu *v, unsigned int cr, uint64_t val)
{
	uint32_t f0 = cr == 0 ? MSR_IA32_VMX_CR0_FIXED0 : MSR_IA32_VMX_CR4_FIXED0;

	if (!v->nested.enabled)
		return !(cr == 4 && (val & CR4_VMXE));
	/* In VMX operation, CR0 and CR4 keep their fixed bits (SDM 24.8); outside, anything goes. */
	if (!v->nested.vmxon)
		return true;
	return vmx_cr_valid(val, nested_caps_get(&nested_caps, f0),
	                    nested_caps_get(&nested_caps, f0 + 1));
}

void nested_init_signal(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;

	n->vmxon = false;
	n->in_l2 = false;
	n->current_ptr = NVMX_NO_VMCS;
	/* vmcs01's link pointer goes back to all ones with the SIPI state: nothing shadowed. */
	n->shadow_active = false;
	n->l2_rare_stale = false;
	v->loaded = &v->vmcs;
	nested_sept_drop_all(v);
}
