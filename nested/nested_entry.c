/*
 * The nested VM entry of L1's VMLAUNCH/VMRESUME: the SDM's checks on
 * vmcs12 (entry_checks.c), the VM-entry MSR-load list, vmcs02 (vmcs02.c)
 * and L2's hardware VPID, the optional hardware pre-check, and what
 * happens when the CPU refuses vmcs02 all the same.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/vmenter.h"
#include "arch/x86/vmx/tlb_flush.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/console.h"
#include "nested/entry_checks.h"
#include "nested/nested.h"
#include "nested/nested_internal.h"
#include "nested/vmcs12.h"
#include "vcpu/events.h"
#include "vcpu/guest_mem.h"
#include "vcpu/vm.h"

/* The vmcs12 fields an L1 writes on nearly every exit (the shadowed read-write ones). */
static struct vmcs12_dirty hot_fields;
/*
 * What the checks of the controls and host state read: every control and
 * host-state field, and guest CR0 (its PE bit decides whether an injected
 * exception delivers an error code, 26.2.1.3).
 */
static struct vmcs12_dirty control_host_fields;
/*
 * Those of them but the fields L1 writes to inject an event, and the TPR
 * threshold: written alone, these are checked by nested_check_entry_intr.
 */
static struct vmcs12_dirty control_host_beyond_event;
/*
 * The fields L1 writes on nearly every exit that only the guest checks'
 * short part reads (RIP, RSP, RFLAGS, interruptibility, VM-entry
 * interruption information) or none reads (the event's error code and
 * instruction length, the TPR threshold): written alone, the guest checks
 * are short.
 */
static struct vmcs12_dirty hot_guest_fields;
/* nested_precheck=1: every nested entry is first tried on the CPU (hw_precheck). */
static bool precheck;

void nested_entry_init(bool hw_precheck_on)
{
	precheck = hw_precheck_on;
	vmcs12_dirty_of_flags(&hot_fields, VMCS12_SHADOW_RW);
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		uint32_t enc = vmcs12_fields[i].encoding, type = VMCS_FIELD_TYPE(enc);

		unsigned int wrote = nested_wrote_class(enc);
		bool event = wrote & WROTE_EVENT;

		if (type == VMCS_TYPE_CONTROL || type == VMCS_TYPE_HOST || enc == GUEST_CR0) {
			vmcs12_dirty_set(&control_host_fields, i);
			if (!event)
				vmcs12_dirty_set(&control_host_beyond_event, i);
		}
		if (!(wrote & WROTE_MERGED))
			vmcs12_dirty_set(&hot_guest_fields, i);
	}
}

/*
 * The controls and host state (26.2): checked unless they passed at an
 * entry since which L1 changed none of the fields they read (a VMPTRLD
 * marks every field) and L1's mode is the same; if it changed only the
 * event to inject (or the TPR threshold), the event's rules. NULL if they
 * pass, else the rule, with *err the VM-instruction error.
 */
static const char *check_controls_host(struct vcpu *v, const struct nested_entry_env *env,
                                       uint32_t *err)
{
	struct nested_vmx *n = &v->nested;
	const struct vmcs12 *c = n->vmcs12;
	const char *why;

	*err = VMXERR_ENTRY_INVALID_CONTROL_FIELD;
	if (n->controls_checked && n->checked_l1_long_mode == env->l1_long_mode) {
		if (!vmcs12_dirty_any(&c->dirty, &control_host_fields))
			return NULL;
		/* The other rules passed: still checked, whatever the event's answer. */
		if (!vmcs12_dirty_any(&c->dirty, &control_host_beyond_event))
			return nested_check_entry_intr(c);
	}
	n->controls_checked = false;
	why = nested_check_controls(c, env);
	if (!why) {
		*err = VMXERR_ENTRY_INVALID_HOST_STATE_FIELD;
		why = nested_check_host_state(c, env);
	}
	if (!why) {
		n->controls_checked = true;
		n->checked_l1_long_mode = env->l1_long_mode;
	}
	return why;
}

/*
 * The guest state (26.3): whole, unless it passed at the last entry and L1
 * wrote only hot_guest_fields since (RIP, RSP, RFLAGS, the interruptibility,
 * the event to inject, the TPR threshold); then the rules that read those
 * (entry_checks.h). NULL if it passes, else the rule.
 */
static const char *check_guest(struct vcpu *v, const struct nested_entry_env *env, uint32_t *qual)
{
	struct nested_vmx *n = &v->nested;
	const struct vmcs12 *c = n->vmcs12;
	const char *why;

	*qual = 0;
	if (n->guest_checked && !vmcs12_dirty_beyond(&c->dirty, &hot_guest_fields) &&
	    nested_guest_hot_check_enough(c))
		return nested_check_guest_hot(c, env);
	why = nested_check_guest_state(c, env, qual);
	n->guest_checked = !why;
	return why;
}

void nested_flush_vpids(struct vcpu *v)
{
	for (unsigned int s = 0; s <= VPID_MAP_SLOTS; s++)
		flush_vpid_context((uint16_t)(v->nested.vpid02_base + s));
}

void nested_invvpid(struct vcpu *v, uint64_t type, uint16_t vpid12, uint64_t la)
{
	struct nested_vmx *n = &v->nested;
	int slot = vpid_map_find(&n->vpids, vpid12);

	if (type == INVVPID_ALL_CONTEXT) {
		for (unsigned int s = 0; s < VPID_MAP_SLOTS; s++)
			flush_vpid_context((uint16_t)(n->vpid02_base + s));
		return;
	}
	if (slot < 0)
		return; /* nothing of that VPID is cached under any of L2's */
	if (type == INVVPID_INDIVIDUAL_ADDR &&
	    (vmx_caps.ept_vpid_cap & VMX_VPID_INVVPID_INDIVIDUAL_ADDR))
		invvpid(INVVPID_INDIVIDUAL_ADDR, (uint16_t)(n->vpid02_base + slot), la);
	else /* a superset of what was asked */
		flush_vpid_context((uint16_t)(n->vpid02_base + slot));
}

/* L2's hardware VPID for this entry: its L1 VPID's slot, flushed if new or if L1 has none. */
static inline void select_vpid02(struct vcpu *v, const struct vmcs12 *c, bool vpid12)
{
	struct nested_vmx *n = &v->nested;
	uint16_t vpid = (uint16_t)(n->vpid02_base + VPID_MAP_SLOTS);
	bool fresh = true;

	/* An L1 without VPID has its L2's translations flushed by every entry, as on hardware. */
	if (vpid12)
		vpid = (uint16_t)(n->vpid02_base +
		                  vpid_map_get(&n->vpids, c->virtual_processor_id, &fresh));
	if (fresh)
		flush_vpid_context(vpid);
	if (vpid != n->vpid02) {
		vmcs_write16(VIRTUAL_PROCESSOR_ID, vpid);
		n->vpid02 = vpid;
	}
}

static bool l1_read64(void *ctx, uint64_t gpa, uint64_t *val)
{
	return vcpu_read_guest64(ctx, gpa, val);
}

/* What the checks read beyond vmcs12: L1's capabilities, its mode, memory and VMCS pointer. */
static struct nested_entry_env entry_env(struct vcpu *v)
{
	return (struct nested_entry_env){&nested_caps, (v->efer & EFER_LME) != 0, l1_read64, v->vm,
	                                 v->nested.current_ptr};
}

/* A VM entry that fails on guest state or MSR loading: a VM exit to L1 with bit 31 set. */
static void entry_failure_exit(struct vcpu *v, uint32_t reason, uint64_t qual, const char *why)
{
	console_debugf("umbra: debug: vm %s: nested VM entry failed: %s (exit reason %u, "
	               "qualification %lu)\n",
	               v->vm->name, why, reason, qual);
	nested_vmexit(v, VM_ENTRY_FAILURE | reason, qual, 0);
}

/*
 * The hardware pre-check: a VM entry on vmcs02 made to fail on its guest
 * state (RFLAGS bit 1, reserved to 1, cleared), after the CPU checked the
 * controls and the host state and before it loaded any guest state. A
 * VMfailValid here is a case the CPU refuses that Umbra's checks let
 * through: said on the console, and L1 gets the CPU's answer. True if the
 * real entry may go on.
 */
static bool hw_precheck(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;
	uint64_t rflags = vmcs_readl(GUEST_RFLAGS);
	uint32_t reason, err = VMXERR_ENTRY_INVALID_CONTROL_FIELD;
	enum vmx_enter_result entered;

	vmcs_writel(GUEST_RFLAGS, 0);
	entered = vmx_vcpu_enter(&v->gprs, &n->vmcs02, n->vmcs02.launched);
	n->prechecks++;
	if (entered == VMX_ENTER_FAIL_VALID) {
		err = vmcs_read32(VM_INSTRUCTION_ERROR);
		nested_entry_refused(v, "nested pre-check", "VM-instruction error", err);
	} else {
		/* VMfailInvalid cannot be (vmcs02 is current); the exit must be the one arranged. */
		reason = entered == VMX_ENTER_EXITED ? vmcs_read32(VM_EXIT_REASON) : 0;
		if (reason == (VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE)) {
			vmcs_writel(GUEST_RFLAGS, rflags);
			return true;
		}
		nested_entry_refused(v, "nested pre-check", "exit reason", reason);
	}
	nested_switch_vmcs(v, &v->vmcs);
	nvmx_fail(v, err);
	return false;
}

/* What L2 starts with of L1's own state, unless vmcs12 loads it (26.3.2.1). */
struct l1_carried {
	uint64_t pat, dr7, debugctl;
};

/* Read from vmcs01, where L1 ran: before the entry leaves it (a batch: vmx_ops.h). */
static inline void l1_carried_read(const struct vmcs12 *c, struct l1_carried *l1)
{
	unsigned int reads = 0;

	if (!(c->vm_entry_controls & VM_ENTRY_LOAD_IA32_PAT)) {
		l1->pat = vmcs_read_batched(GUEST_IA32_PAT);
		reads++;
	}
	if (!(c->vm_entry_controls & VM_ENTRY_LOAD_DEBUG_CONTROLS)) {
		l1->dr7 = vmcs_read_batched(GUEST_DR7);
		l1->debugctl = vmcs_read_batched(GUEST_IA32_DEBUGCTL);
		reads += 2;
	}
	vmx_batch_check("L1's state that L2 starts with");
	vmx_count_reads(reads + 1); /* with the check's */
}

/*
 * Without the load controls, L2 starts with L1's EFER, PAT, DR7 and
 * IA32_DEBUGCTL: the vmcs12 fields vmcs02 takes them into are marked dirty
 * when L1's differ from those of the last entry. After the checks: the
 * marks are Umbra's, not L1's writes, which the checks look for.
 */
static inline bool l1_carried_mark(struct vcpu *v, struct vmcs12 *c, const struct l1_carried *l1)
{
	struct nested_vmx *n = &v->nested;
	bool moved = false;

	if (!(c->vm_entry_controls & VM_ENTRY_LOAD_IA32_EFER) && n->l1_efer_at_entry != v->efer) {
		n->l1_efer_at_entry = v->efer;
		vmcs12_dirty_set(&c->dirty, VMCS12_IDX_GUEST_IA32_EFER);
		moved = true;
	}
	if (!(c->vm_entry_controls & VM_ENTRY_LOAD_IA32_PAT) && l1->pat != n->l1_pat_at_entry) {
		n->l1_pat_at_entry = l1->pat;
		vmcs12_dirty_set(&c->dirty, VMCS12_IDX_GUEST_IA32_PAT);
		moved = true;
	}
	if (!(c->vm_entry_controls & VM_ENTRY_LOAD_DEBUG_CONTROLS) &&
	    (l1->dr7 != n->l1_dr7_at_entry || l1->debugctl != n->l1_debugctl_at_entry)) {
		n->l1_dr7_at_entry = l1->dr7;
		n->l1_debugctl_at_entry = l1->debugctl;
		vmcs12_dirty_set(&c->dirty, VMCS12_IDX_GUEST_DR7);
		moved = true;
	}
	return moved;
}

/*
 * What a VMRESUME's short path leaves out, as a full entry left it: the
 * checks passed (the guest's short ones enough), with no pre-check,
 * MSR-load list (the VM-exit one may move L1's TSC, whose offset vmcs02
 * adds: vmcs02_prepare_hot does not look) or preemption timer of L1's.
 * Only a full entry changes it.
 */
static bool resume_hot_possible(const struct nested_vmx *n, const struct vmcs12 *c)
{
	return !precheck && n->shadow_active && n->controls_checked && n->guest_checked &&
	       !c->vm_entry_msr_load_count && !c->vm_exit_msr_load_count &&
	       !(c->pin_based_vm_exec_control & PIN_BASED_VMX_PREEMPTION_TIMER) &&
	       nested_guest_hot_check_enough(c);
}

void nested_vmentry(struct vcpu *v, bool launch)
{
	struct nested_vmx *n = &v->nested;
	struct vmcs12 *c = n->vmcs12;
	struct nested_entry_env env = entry_env(v);
	const char *why;
	struct l1_carried l1 = {0, 0, 0};
	uint32_t qual, bad, err;
	bool vpid12;

	/*
	 * vmcs01 is left here for vmcs02 (current again only for the rare sync
	 * below, or when the checks fail): L1's cached registers go to it
	 * first, and L1's values that L2 may start with are read from it
	 * (l1_carried_read; the VM-entry controls that decide it are not in
	 * the shadow VMCS, so the save below cannot change them).
	 */
	reg_cache_flush(&v->regs);
	l1_carried_read(c, &l1);
	/*
	 * What L1 wrote through the shadow VMCS (RIP, event injection...)
	 * counts now; the shadow VMCS stays current, vmcs02 comes next.
	 */
	shadow_vmcs_save(v, NULL);
	/*
	 * The checks read L2's whole state. Fields L1 did not write hold what
	 * the CPU saved at the last exit, which passed these checks then; only
	 * when L1 wrote more than the hot fields must vmcs12 be made whole.
	 */
	if (vmcs12_dirty_beyond(&c->dirty, &hot_fields))
		nested_sync_l2_rare(v);
	vpid12 = (c->cpu_based_vm_exec_control & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	         (c->secondary_vm_exec_control & SECONDARY_EXEC_ENABLE_VPID);
	why = check_controls_host(v, &env, &err);
	if (why) {
		console_debugf("umbra: debug: vm %s: %s fails: %s\n", v->vm->name,
		               launch ? "VMLAUNCH" : "VMRESUME", why);
		loaded_vmcs_load(&v->vmcs);
		nvmx_fail(v, err);
		return;
	}
	why = check_guest(v, &env, &qual);
	if (why) {
		loaded_vmcs_load(&v->vmcs);
		entry_failure_exit(v, EXIT_REASON_INVALID_STATE, qual, why);
		return;
	}
	l1_carried_mark(v, c, &l1);
	n->entry_is_launch = launch;
	/*
	 * L1's preemption timer counts from its vmcs12 value; the switch to
	 * vmcs02 arms the timer for the sooner of it and Umbra's slice.
	 */
	if (c->pin_based_vm_exec_control & PIN_BASED_VMX_PREEMPTION_TIMER)
		n->l1_timer_deadline = rdtsc() + ((uint64_t)c->vmx_preemption_timer_value
		                                  << vmx_caps.preemption_timer_rate);
	n->in_l2 = true;
	nested_switch_vmcs(v, &n->vmcs02);
	vmcs02_prepare(v);
	n->vmcs02_controls_at_entry = n->vmcs02.control_writes_all;
	select_vpid02(v, c, vpid12);
	if (precheck && !hw_precheck(v))
		return;
	/* After L2's guest state, on vmcs02 (SDM 26.4): the list's values win over vmcs12's. */
	bad = c->vm_entry_msr_load_count ? nested_load_msr_list(v, c->vm_entry_msr_load_addr,
	                                                        c->vm_entry_msr_load_count)
	                                 : 0;
	if (bad) {
		/* Those before it stay loaded, as on the CPU; L2 never ran. */
		n->in_l2 = false;
		n->l1_timer_deadline = UINT64_MAX;
		entry_failure_exit(v, EXIT_REASON_MSR_LOAD_FAIL, bad, "VM-entry MSR-load list");
		return;
	}
	c->launch_state = VMCS12_LAUNCH_LAUNCHED;
	n->entries++;
	n->resume_hot_ok = resume_hot_possible(n, c);
	/*
	 * The HLT activity state: L2 halts before its first instruction, as
	 * after a HLT of its own, unless an injected event ends it (26.7).
	 */
	if (c->guest_activity_state == VMX_ACTIVITY_HLT &&
	    !(c->vm_entry_intr_info_field & INTR_INFO_VALID)) {
		n->l2_halted = true;
		vcpu_halt(v);
	}
}

/*
 * The rules that read what L1 wrote (nested_wrote_class): the event's, the
 * guest's short ones, or RIP's alone. True if one fails.
 */
static bool hot_rules_fail(struct vcpu *v, const struct vmcs12 *c, unsigned int wrote)
{
	if ((wrote & WROTE_EVENT) && nested_check_entry_intr(c))
		return true;
	if (wrote & WROTE_GUEST_RULES) {
		struct nested_entry_env env = entry_env(v);

		/* Not enough (L1 set RFLAGS.VM, say): the long way checks the guest whole. */
		return !nested_guest_hot_check_enough(c) || nested_check_guest_hot(c, &env) != NULL;
	}
	return (wrote & WROTE_RIP) && nested_check_guest_rip(c);
}

static inline bool vmresume_hot(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;
	struct vmcs12 *c = n->vmcs12;
	struct l1_carried l1 = {0, 0, 0};
	unsigned int wrote;
	bool moved;

	/*
	 * Armed by the nested exit before (nested_resume_hot_arm), with this
	 * VMRESUME L1's first exit since, and vmcs02's controls as the last
	 * entry merged them (Umbra set no window exit in them since).
	 */
	if (v->stats.total_exits != n->resume_hot_at ||
	    n->vmcs02.control_writes_all != n->vmcs02_controls_at_entry)
		return false;
	/* VMRESUME's own checks (nvmx_check_vmlaunch_vmresume) that can fail here. */
	if (vcpu_cpl(v) || (vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & BLOCK_MOV_SS))
		return false;
	/* The last entry took the dirty set; nothing of L1's since (its writes exit) but... */
	if (!vmcs12_dirty_none(&c->dirty))
		return false;
	reg_cache_flush(&v->regs);
	l1_carried_read(c, &l1);
	/* ...what it wrote through the shadow VMCS, found here. */
	wrote = shadow_vmcs_save(v, NULL);
	if ((wrote & WROTE_MERGED) || hot_rules_fail(v, c, wrote)) {
		/* The long way, which says what failed (the save found all there was). */
		loaded_vmcs_load(&v->vmcs);
		return false;
	}
	moved = l1_carried_mark(v, c, &l1);
	n->entry_is_launch = false;
	n->in_l2 = true;
	nested_switch_vmcs(v, &n->vmcs02);
	vmcs02_prepare_hot(v, moved);
	select_vpid02(v, c,
	              (c->cpu_based_vm_exec_control & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	                      (c->secondary_vm_exec_control & SECONDARY_EXEC_ENABLE_VPID));
	n->entries++;
	n->hot_resumes++;
	return true;
}

void nested_exit_vmresume(struct vcpu *v)
{
	/* L1 executed it: vmcs01 current (as for every VMX instruction, nvmx_emulate.c). */
	VMCS_ASSERT_CURRENT(&v->vmcs);
	/* Never armed without nested VMX (nested_resume_hot_arm). */
	if (!vmresume_hot(v))
		nested_exit_vmx_instruction(v, EXIT_REASON_VMRESUME);
}

void nested_entry_refused(struct vcpu *v, const char *when, const char *what, uint32_t code)
{
	struct nested_vmx *n = &v->nested;

	console_printf("umbra: vm %s: %s: the CPU refused vmcs02 (%s %u) after Umbra's checks "
	               "passed it\n",
	               v->vm->name, when, what, code);
	n->in_l2 = false;
	n->l1_timer_deadline = UINT64_MAX;
	/* A failed VMLAUNCH leaves the VMCS clear; a failed VMRESUME, launched. */
	if (n->entry_is_launch)
		n->vmcs12->launch_state = VMCS12_LAUNCH_CLEAR;
}

void nested_hw_entry_failed(struct vcpu *v, uint32_t err)
{
	/* Umbra's checks let through what the CPU refused: L1 gets the CPU's answer. */
	nested_entry_refused(v, "nested VM entry", "VM-instruction error", err);
	nested_switch_vmcs(v, &v->vmcs);
	/* vmcs01 still holds L1 at its VMLAUNCH/VMRESUME. */
	nvmx_fail(v, err);
}
