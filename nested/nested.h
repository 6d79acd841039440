/*
 * Nested VMX: an L1 guest that runs its own hypervisor (docs/nested.md).
 *
 * Per vCPU, Umbra keeps what the L1's VMX operation is (VMXON region,
 * current VMCS, the cached vmcs12) and a second hardware VMCS, vmcs02, on
 * which the L1's guest (L2) runs. While L2 runs, vmcs02 is the vCPU's
 * current VMCS (vcpu->loaded); every other time, vmcs01 is.
 *
 *   l1_caps.c       the IA32_VMX_* MSRs L1 sees (pure)
 *   nvmx_emulate.c   the VMX instructions L1 executes (exits from vmcs01)
 *   nvmx_result.c    how each ends for L1: VMsucceed, VMfailInvalid, VMfailValid
 *   vmcs12.c        the vmcs12 fields, VMREAD/VMWRITE emulation, dirty bits (pure)
 *   shadow_vmcs.c   hardware VMCS shadowing of vmcs12's hot fields
 *   entry_checks.c  the SDM's VM-entry checks on a vmcs12 (pure)
 *   nested_entry.c  VMLAUNCH/VMRESUME: checks, vmcs02, L2's VPID, pre-check
 *   vmcs02.c        vmcs12 -> vmcs02 before a nested entry, dirty fields only
 *   shadow_ept.c    EPT02 = EPT12 composed with EPT01, filled on L2's EPT violations
 *   vpid_map.c      a hardware VPID per L1 VPID (pure)
 *   exit_route.c    which L2 exits L1 asked for (pure)
 *   l2_exit.c       L2's exits: reflected, or Umbra's own
 *   nested_exit.c   a nested VM exit: L2 state into vmcs12, L1's host state loaded
 *   nested.c        set-up, per-vCPU state, L1's VMX MSRs and CR rules, the
 *                   vmcs12 cache's write-back
 */
#ifndef NESTED_NESTED_H
#define NESTED_NESTED_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmx/vmcs.h"
#include "nested/l1_caps.h"
#include "nested/vpid_map.h"

struct vcpu;
struct vmcs12;

#define NESTED_NO_EPTP12 UINT64_MAX /* vmcs02 runs L2 on EPT01 */

struct nested_vmx {
	bool enabled;             /* the VM asked for nested=1 */
	bool vmxon;               /* L1 is in VMX operation */
	bool in_l2;               /* vmcs02 is current: L2 runs */
	bool l2_halted;           /* L2 is in the HLT activity state: halted, not run since */
	bool vmcs02_set_up;       /* vmcs02 holds Umbra's constant fields */
	uint64_t feature_control; /* IA32_FEATURE_CONTROL as L1 wrote it */
	uint64_t vmxon_ptr;
	uint64_t current_ptr;  /* NVMX_NO_VMCS when none */
	struct vmcs12 *vmcs12; /* the current vmcs12, cached (one host page) */
	struct loaded_vmcs vmcs02;
	uint64_t shadow_pa;   /* the shadow VMCS vmcs01 links (0: the CPU has no VMCS shadowing) */
	bool shadow_active;   /* vmcs01 shadows the current vmcs12's hot fields (shadow_vmcs.c) */
	bool shadow_linked;   /* vmcs01 holds the VMREAD/VMWRITE bitmap addresses */
	bool l2_rare_stale;   /* L2's rarely read guest state is still only in vmcs02 */
	bool entry_is_launch; /* the nested entry under way is a VMLAUNCH (not a VMRESUME) */
	/* vmcs12's controls and host state passed their checks, with L1 in this mode (nested_entry.c). */
	bool controls_checked, checked_l1_long_mode;
	bool guest_checked; /* vmcs12's guest state passed its checks whole at the last entry */
	/* L2's hardware VPIDs: vpid02_base + a vpid_map slot per L1 VPID, + VPID_MAP_SLOTS without. */
	struct vpid_map vpids;
	uint16_t vpid02_base;
	uint16_t vpid02; /* the one vmcs02 holds */
	/* TSC at which L1's preemption timer expires while L2 runs (UINT64_MAX: none). */
	uint64_t l1_timer_deadline;
	/* L2's EFER and PAT derive from L1's without the load controls. */
	uint64_t l1_efer_at_entry, l1_pat_at_entry;
	uint64_t l1_dr7_at_entry, l1_debugctl_at_entry; /* L2's without "load debug controls" */
	/* vmcs02's TSC offset: L1's own (a TSC it wrote) plus L1's for L2 (vmcs02.c). */
	uint64_t tsc_offset02;
	bool l1_tsc_offset_stale; /* L2 moved L1's TSC: vmcs01's offset is rewritten on the exit */
	/* Shadow EPT (shadow_ept.h): L2's EPT02 roots when L1 gives it EPT. */
	struct shadow_ept *sept;
	uint64_t eptp02;           /* vmcs02's EPT_POINTER: EPT01's or an EPT02 root's */
	uint64_t eptp12_in_vmcs02; /* the EPTP12 whose root eptp02 is, or NESTED_NO_EPTP12 */
	/*
	 * INVEPTs of the VM's other vCPUs for this one's roots (shadow_ept.c),
	 * under the vCPU's lock: what to drop, and the requests asked (req)
	 * and done (ack, by this vCPU on its CPU before it enters again).
	 */
	uint64_t sept_req, sept_ack;
	bool sept_drop_all;
	uint32_t sept_drop_count;
	uint64_t sept_drop_ep4ta[4];
	/*
	 * The VMRESUME's short path (nested_entry.c): the vCPU's exit count
	 * (vcpu.c) at which L1's VMRESUME may take it, 0 for none; vmcs02's
	 * control_writes_all after the last entry's merge of the controls.
	 */
	uint64_t resume_hot_at, vmcs02_controls_at_entry;
	bool resume_hot_ok; /* the last full entry left what the short path leaves out */
	/* Counters, printed when the VM ends (`umbra: nested VM.VCPU ...`, vcpu/sched.c). */
	uint64_t entries, reflected_exits, l0_exits_in_l2, hot_resumes, prechecks;
};

/* The IA32_VMX_* values every L1 sees (nested_global_init). */
extern struct nested_caps nested_caps;

/*
 * BSP, once, after vmcs_setup_global(): the L1 capabilities and vmcs02's
 * shared bitmaps. Umbra's command line may ask for the hardware pre-check
 * of every nested VM entry (`nested_precheck=1`, docs/nested.md).
 */
int nested_global_init(const char *cmdline);

/*
 * The vCPU's own TSC offset moved (a guest write of IA32_TSC or
 * TSC_ADJUST) while L2 runs: vmcs02 takes the new sum now, vmcs01 when L1
 * runs again.
 */
void nested_tsc_offset_moved(struct vcpu *v);

/* VM creation (nested=1): the vmcs12 cache and vmcs02 pages. 0, or -1 when out of memory. */
struct frame_alloc;
int nested_vcpu_alloc(struct vcpu *v, struct frame_alloc *fa);
void nested_vcpu_free(struct vcpu *v, struct frame_alloc *fa);
/*
 * On the vCPU's CPU as it finishes, or as it leaves for another CPU
 * (vcpu/migrate.c): VMCLEARs vmcs02 and the shadow VMCS, whichever exist,
 * and drops its EPT02 roots, with an INVEPT of each on this CPU, the one
 * that used them.
 */
void nested_vcpu_release_vmcs(struct vcpu *v);
/*
 * On the CPU it moved to, after nested_vcpu_release_vmcs() on the old one,
 * with v->loaded current: L2's VPIDs flushed here; if L2 runs on EPT12,
 * vmcs02 gets a root again.
 */
void nested_vcpu_arrive(struct vcpu *v);

/* RDMSR/WRMSR by L1 of IA32_FEATURE_CONTROL and the IA32_VMX_* MSRs; false if not one of them. */
bool nested_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val, bool *gp);

/* The VMX instruction exits of L1 (nvmx_emulate.c), and VMCALL in VMX operation. */
void nested_exit_vmx_instruction(struct vcpu *v, uint32_t basic);
/* VMRESUME's exit: the short way when it applies (nested_entry.c), else as the others. */
void nested_exit_vmresume(struct vcpu *v);
/* VMCALL of a nested-enabled L1: true if handled (not an Umbra hypercall). */
bool nested_vmcall(struct vcpu *v);

/* The nested VM entry of VMLAUNCH/VMRESUME, after the instruction's own checks. */
void nested_vmentry(struct vcpu *v, bool launch);

/*
 * An exit while L2 ran: reflected to L1 if it asked for it, else handled
 * by Umbra as for any guest (with vmcs02 current).
 */
void nested_l2_exit(struct vcpu *v);

/*
 * A nested VM exit to L1 with this exit information (reason, qualification,
 * interruption information): L2 state saved if L2 ran, L1's host state
 * loaded into vmcs01, which becomes current.
 */
void nested_vmexit(struct vcpu *v, uint32_t reason, uint64_t qual, uint32_t intr_info);

/* Hardware refused vmcs02 (VMfailValid err): L1 gets the failure Umbra's checks missed. */
void nested_hw_entry_failed(struct vcpu *v, uint32_t err);

/*
 * An L1 interrupt is pending while L2 runs: if L1 asked for external-
 * interrupt exiting, a nested VM exit delivers it (true); else it goes to L2.
 */
bool nested_l1_interrupt(struct vcpu *v, uint8_t vector);
/*
 * An NMI is pending for the vCPU while L2 runs: if L1 asked for NMI
 * exiting, a nested VM exit delivers it (true); else it goes to L2.
 */
bool nested_l1_nmi(struct vcpu *v);

/*
 * L2 halted (L1 lets it run HLT): what ends the halt besides what ends
 * L1's own. An interrupt of L1's exits to L1 whatever L2's IF says when L1
 * asked for external-interrupt exiting; L1's preemption timer runs on
 * (UINT64_MAX: not armed, or not in L2).
 */
bool nested_l2_halt_takes_interrupts(const struct vcpu *v);
/* Inline: the scheduler asks on every look at a vCPU's timers. */
static inline uint64_t nested_l2_timer_deadline(const struct nested_vmx *n)
{
	return n->in_l2 ? n->l1_timer_deadline : UINT64_MAX;
}
/*
 * Before an entry into L2: if L1's preemption timer has run out, the VM
 * exit to L1 happens now (true), before L2 runs another instruction (a
 * halted L2's timer may have run out while Umbra handled its HLT).
 */
bool nested_l1_timer_expired(struct vcpu *v, uint64_t now);

/*
 * The memory of L2 at its guest-physical address l2gpa, through L1's EPT12
 * (L2 runs with EPT): NULL if EPT12 does not map it onto L1's RAM, or if
 * [l2gpa, l2gpa + len) crosses a 4 KiB page.
 */
void *nested_l2_gpa_to_ptr(struct vcpu *v, uint64_t l2gpa, uint64_t len);
/* True if L2 runs with L1's EPT (vmcs02 current, EPT12 enabled in vmcs12). */
bool nested_l2_has_ept12(const struct vcpu *v);

/*
 * When the vCPU starts to run (if nested_sept_asked): an INVEPT another
 * vCPU of the VM asked of this one's roots is carried out here, on this
 * CPU, before guest mode (shadow_ept.c, vcpu_run).
 */
void nested_sept_shootdown(struct vcpu *v);
static inline bool nested_sept_asked(struct nested_vmx *n)
{
	return __builtin_expect(__atomic_load_n(&n->sept_req, __ATOMIC_ACQUIRE) != n->sept_ack, 0);
}

/* When the VM ends: `umbra: nested VM.VCPU ...` and, if L2 ran with EPT, `umbra: ept02 ...`. */
void nested_report(const struct vcpu *v);

/* INIT: Umbra does not keep L1's VMX operation across it (real CPUs block INIT there). */
void nested_init_signal(struct vcpu *v);

/* CR0/CR4 writes by L1: false (#GP) if they break VMX operation's fixed bits. */
bool nested_l1_cr_ok(struct vcpu *v, unsigned int cr, uint64_t val);

#endif
