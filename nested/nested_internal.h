/* What the nested/ files share among themselves (not for the rest of Umbra). */
#ifndef NESTED_NESTED_INTERNAL_H
#define NESTED_NESTED_INTERNAL_H

#include <stdint.h>

#include "arch/x86/cpu.h"
#include "arch/x86/vmx/vmcs_fields.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/x86_bits.h"
#include "lib/frame_alloc.h"
#include "nested/vmcs12.h"
#include "vcpu/slice.h"
#include "vcpu/vcpu.h"

/*
 * nvmx_result.c: VMsucceed / VMfail(error) (VMfailInvalid without a current
 * VMCS) / VMfailInvalid, then past the instruction.
 */
void nvmx_succeed(struct vcpu *v);
void nvmx_fail(struct vcpu *v, uint32_t error);
void nvmx_fail_invalid(struct vcpu *v);

/* nested.c: writes the cached vmcs12 back to the L1's region (if there is a current VMCS). */
void nested_vmcs12_flush(struct vcpu *v);

/* nested_entry.c, at set-up: the hot fields, and whether every entry is pre-checked. */
void nested_entry_init(bool hw_precheck_on);

/*
 * The CPU refused vmcs02 after Umbra's checks passed it (`when`: the
 * pre-check or the entry; `what` and `code`: its answer): said on the
 * console, and the entry undone (not in L2, launch state as before a
 * failed VMLAUNCH or VMRESUME). The caller gives L1 the CPU's answer.
 */
void nested_entry_refused(struct vcpu *v, const char *when, const char *what, uint32_t code);
/*
 * nested_exit_vmresume() (nested.h) takes L1's VMRESUME the short way when
 * it is L1's first exit after a nested exit and L1 wrote only L2's hot
 * fields through the shadow VMCS: what a full nested_vmentry() would do,
 * less what cannot have changed (the checks of what L1 did not write, the
 * controls' merge, the MSR lists). nested_resume_hot_arm(), at the nested
 * exit (after L1's host state), decides whether the next exit may.
 */
static inline void nested_resume_hot_arm(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;
	const struct vmcs12 *c = n->vmcs12;

	/*
	 * What the last full entry left (resume_hot_ok, nested_entry.c), and
	 * what the exit stored that the short path's rules would read: no HLT
	 * state, no virtual-8086 mode; L1 in the mode its checks were for.
	 * Then L1's next exit may, if it is its VMRESUME.
	 */
	n->resume_hot_at = n->resume_hot_ok && c->guest_activity_state == VMX_ACTIVITY_ACTIVE &&
	                                   !(c->guest_rflags & RFLAGS_VM) &&
	                                   n->checked_l1_long_mode == ((v->efer & EFER_LME) != 0)
	                           ? v->stats.total_exits + 1
	                           : 0;
}

/* INVVPID of L1's `type` for its VPID vpid12 (and address la): on L2's hardware VPIDs. */
void nested_invvpid(struct vcpu *v, uint64_t type, uint16_t vpid12, uint64_t la);
/* Every hardware VPID of L2's (each L1 VPID's slot, and the one without), flushed on this CPU. */
void nested_flush_vpids(struct vcpu *v);

/*
 * shadow_ept.c: L2's EPT violations with EPT12 on: given to L1 (a nested
 * VM exit done), or EPT02 filled, or an access to what EPT12 maps onto
 * L1's devices (*l1_gpa: where), for the caller to carry out as L1's.
 */
enum sept_result { SEPT_GIVEN_TO_L1, SEPT_FILLED, SEPT_L1_MMIO };
enum sept_result nested_sept_violation(struct vcpu *v, uint64_t hw_qual, uint64_t *l1_gpa);
/* The EPTP02 for L1's EPTP12 at a nested entry (its role's root, made current). */
uint64_t nested_sept_eptp(struct vcpu *v, uint64_t eptp12);

/*
 * INVEPT of L1's `type` (INVEPT_SINGLE_CONTEXT: for its EPTP eptp12, already
 * checked as VM entry checks an EPTP; INVEPT_ALL_CONTEXT: eptp12 not
 * meaningful), after the SDM's checks passed: the roots it covers dropped.
 */
void nested_invept(struct vcpu *v, uint64_t type, uint64_t eptp12);
/* Every root dropped (VMXOFF, the vCPU's end), on the vCPU's CPU. */
void nested_sept_drop_all(struct vcpu *v);
/* After roots were dropped: vmcs02 (current) names its role's root again if L2 runs on EPT12. */
void nested_sept_repoint(struct vcpu *v);
/* VM creation: the vCPU's shadow-EPT state and its pool of pool_pages table frames. */
int nested_sept_alloc(struct vcpu *v, struct frame_alloc *fa, uint64_t pool_pages);
void nested_sept_free(struct vcpu *v, struct frame_alloc *fa);

/*
 * Makes `vmcs` the vCPU's current VMCS: register cache flushed and
 * forgotten, slice re-armed. Inline: twice in each nested round trip.
 */
static inline __attribute__((always_inline)) void nested_switch_vmcs(struct vcpu *v,
                                                                     struct loaded_vmcs *vmcs)
{
	reg_cache_flush(&v->regs);
	loaded_vmcs_load(vmcs);
	v->loaded = vmcs;
	reg_cache_reset(&v->regs);
	/* L2 wrote L1's TSC (it let L2 reach the MSR): vmcs01 takes the new offset. */
	if (__builtin_expect(vmcs == &v->vmcs && v->nested.l1_tsc_offset_stale, 0)) {
		vmcs_write64(TSC_OFFSET, v->msrs.tsc_offset);
		v->nested.l1_tsc_offset_stale = false;
	}
	/* The slice timer's value is per VMCS: the new one gets what is left. */
	slice_arm(v, rdtsc());
}

/*
 * What L1's write of a field through the shadow VMCS asks of its next
 * VMRESUME (nested_entry.c): the rules to run again, or the long way. A
 * constant for a constant field: shadow_vmcs_save() ORs them together.
 */
enum {
	WROTE_RIP = 1 << 0,         /* RIP's rule */
	WROTE_GUEST_RULES = 1 << 1, /* the guest's short rules (RFLAGS, interruptibility, event) */
	WROTE_EVENT = 1 << 2,       /* the event's rules (its fields; the TPR threshold) */
	WROTE_MERGED = 1 << 3,      /* a field vmcs02 merges with Umbra's, or not L2's hot state */
};

static inline unsigned int nested_wrote_class(uint32_t encoding)
{
	switch (encoding) {
	case GUEST_RIP: return WROTE_RIP;
	case GUEST_RSP: return 0; /* no rule reads it */
	case GUEST_RFLAGS:
	case GUEST_INTERRUPTIBILITY_INFO: return WROTE_GUEST_RULES;
	case VM_ENTRY_INTR_INFO_FIELD: return WROTE_GUEST_RULES | WROTE_EVENT;
	case VM_ENTRY_EXCEPTION_ERROR_CODE:
	case VM_ENTRY_INSTRUCTION_LEN:
	case TPR_THRESHOLD: return WROTE_EVENT;
	default: return WROTE_MERGED;
	}
}

/* shadow_vmcs.c: hardware VMCS shadowing (see there). */
int shadow_vmcs_global_init(void);
int shadow_vmcs_alloc(struct nested_vmx *n, struct frame_alloc *fa);
/* vmcs12 -> shadow VMCS (every shadowed field); `back` is made current again after. */
void shadow_vmcs_load(struct vcpu *v, struct loaded_vmcs *back);
/* The same after a nested VM exit: only the shadowed fields the exit stores in vmcs12. */
void shadow_vmcs_load_exit(struct vcpu *v, struct loaded_vmcs *back);
/*
 * shadow VMCS -> vmcs12 (the fields L1 may write, dirty if changed); then
 * `back` current, or with NULL no VMCS of Umbra's: the caller loads the one
 * it needs next (the nested entry goes straight on to vmcs02). Returns the
 * nested_wrote_class() bits of the fields that changed.
 */
unsigned int shadow_vmcs_save(struct vcpu *v, struct loaded_vmcs *back);
/* One field Umbra changed in vmcs12 (an emulated VMWRITE): into the shadow too. */
void shadow_vmcs_write_field(struct vcpu *v, unsigned int idx);
/* Links (on) or unlinks the shadow VMCS in vmcs01, which must be current. */
void shadow_vmcs_activate(struct vcpu *v, bool on);

/* nested_exit.c: L2's rarely read guest state, vmcs02 -> vmcs12, if not done since the exit. */
void nested_sync_l2_rare(struct vcpu *v);

/*
 * vmcs02.c: guest fields vmcs02 holds Umbra's own value of (link pointer,
 * PDPTEs, preemption timer...): never copied between vmcs12 and vmcs02.
 */
bool vmcs02_umbra_field(uint32_t encoding);

/* vmcs02.c: vmcs12's dirty fields into vmcs02 (current), Umbra's fixed ones the first time. */
void vmcs02_prepare(struct vcpu *v);
/*
 * The same for the VMRESUME's short path (nested_exit_vmresume): L1 wrote
 * only the shadow VMCS's writable fields that vmcs02 copies (carried_moved:
 * and L2 starts with other EFER, PAT or debug state of L1's, also marked
 * dirty); vmcs02's controls are as the last entry left them.
 */
void vmcs02_prepare_hot(struct vcpu *v, bool carried_moved);
/* Once, at start-up: what each dirty vmcs12 field asks of vmcs02. */
void vmcs02_global_init(void);

/*
 * The MSRs a guest reaches directly (vmcs_setup.c's passthrough set), read
 * or written for the guest on the current VMCS: by the MSR lists, and for
 * an L2 whose L1 does not intercept them. MSR_PASS_OTHER if msr is not one
 * of them, MSR_PASS_GP (nothing written) if WRMSR of that value would #GP
 * (non-canonical address, reserved bits).
 */
enum msr_pass { MSR_PASS_DONE, MSR_PASS_GP, MSR_PASS_OTHER };
enum msr_pass nested_msr_passthrough(uint32_t msr, bool write, uint64_t *val);

/*
 * l2_exit.c: RDMSR/WRMSR of msr in L2's context (vmcs02 current) where
 * Umbra keeps L2's own value: EFER and nested_msr_passthrough's set.
 */
enum msr_pass nested_l2_msr(uint32_t msr, bool write, uint64_t *val);

/*
 * nested_exit.c: the MSR-load list at guest-physical addr, loaded in order
 * on the current VMCS (L2's at a VM entry, after its guest state; L1's at a
 * VM exit). 0, or the 1-based entry that failed (those before it loaded,
 * as on the CPU).
 */
uint32_t nested_load_msr_list(struct vcpu *v, uint64_t addr, uint32_t count);

#endif
