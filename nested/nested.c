/*
 * Nested VMX: per-vCPU state, the L1's VMX MSRs and CR rules, VM entry to
 * L2 and the dispatch of L2's exits (see nested.h).
 */
#include "nested/nested.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/idt.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/exit.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/cmdline.h"
#include "lib/console.h"
#include "lib/phys_mem.h"
#include "nested/entry_checks.h"
#include "nested/exit_route.h"
#include "nested/nested_internal.h"
#include "nested/vmcs12.h"
#include "nested/vmx_rules.h"
#include "vcpu/events.h"
#include "vcpu/exits.h"
#include "vcpu/guest_mem.h"
#include "vcpu/slice.h"
#include "vcpu/vm.h"
#include "vcpu/vmcs_setup.h"

#define VPID02_BIT               0x8000u
#define VPID02_SHIFT             3 /* room for VPID_MAP_SLOTS + 1 hardware VPIDs per vCPU */
#define CR_QUAL_CR(q)            ((q)&15u)
#define CR_QUAL_TYPE(q)          (((q) >> 4) & 3u)
#define CR_QUAL_GPR(q)           (((q) >> 8) & 15u)
#define CR_QUAL_LMSW(q)          (((q) >> 16) & 0xffffu)
#define CR_TYPE_MOV_TO           0u
#define CR_TYPE_LMSW             3u
#define INTR_VALID               (1u << 31)
#define INTR_TYPE_EXT            (0u << 8)
#define IDT_VECTORING_RESERVED   (1u << 12) /* undefined in the IDT-vectoring field */
#define FEATURE_CONTROL_WRITABLE (FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX)
#define EFER_ALLOWED             (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

struct nested_caps nested_caps;
/* The vmcs12 fields an L1 writes on nearly every exit (the shadowed read-write ones). */
static struct vmcs12_dirty hot_fields;
/* nested_precheck=1: every nested entry is first tried on the CPU (hw_precheck). */
static bool precheck;

/* vmenter.S: 0 after a VM exit, 1 on VMfailValid, 2 on VMfailInvalid. */
int vmx_vcpu_enter(struct vcpu_gprs *gprs, struct loaded_vmcs *vmcs, bool launched);
extern uint64_t nested_msr_bitmap02; /* vmcs02.c */

int nested_global_init(const char *cmdline)
{
	precheck = cmdline_get_bool(cmdline, "nested_precheck", false);
	nested_caps_init(&nested_caps, &vmx_caps, (uint8_t)cpu_features.phys_addr_bits,
	                 slice_pin_controls() & PIN_BASED_VMX_PREEMPTION_TIMER);
	vmcs12_dirty_of_flags(&hot_fields, VMCS12_SHADOW_RW);
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

	n->current_ptr = VMX_NO_VMCS;
	n->l1_timer_deadline = UINT64_MAX;
	n->vpid02_base = (uint16_t)(VPID02_BIT | v->vpid << VPID02_SHIFT);
	n->vpid02 = n->vpid02_base;
	if (!page)
		return -1;
	memset((void *)page, 0, FRAME_SIZE);
	n->vmcs12 = (struct vmcs12 *)page;
	if (shadow_vmcs_alloc(n, fa) < 0)
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
	loaded_vmcs_free(&n->vmcs02, fa);
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
	n->current_ptr = VMX_NO_VMCS;
	/* vmcs01's link pointer goes back to all ones with the SIPI state: nothing shadowed. */
	n->shadow_active = false;
	n->l2_rare_stale = false;
	v->loaded = &v->vmcs;
}

/* Every TLB entry of hardware VPID vpid (the all-context flush if the CPU has no other). */
static void flush_vpid(uint16_t vpid)
{
	if (cpu_has_vmx_invvpid_single())
		invvpid(INVVPID_SINGLE_CONTEXT, vpid, 0);
	else
		invvpid(INVVPID_ALL_CONTEXT, 0, 0);
}

void nested_invvpid(struct vcpu *v, uint64_t type, uint16_t vpid12, uint64_t la)
{
	struct nested_vmx *n = &v->nested;
	int slot = vpid_map_find(&n->vpids, vpid12);

	if (type == INVVPID_ALL_CONTEXT) {
		for (unsigned int s = 0; s < VPID_MAP_SLOTS; s++)
			flush_vpid((uint16_t)(n->vpid02_base + s));
		return;
	}
	if (slot < 0)
		return; /* nothing of that VPID is cached under any of L2's */
	if (type == INVVPID_INDIVIDUAL_ADDR &&
	    (vmx_caps.ept_vpid_cap & VMX_VPID_INVVPID_INDIVIDUAL_ADDR))
		invvpid(INVVPID_INDIVIDUAL_ADDR, (uint16_t)(n->vpid02_base + slot), la);
	else
		flush_vpid((uint16_t)(n->vpid02_base + slot)); /* a superset of what was asked */
}

/* L2's hardware VPID for this entry: its L1 VPID's slot, flushed if new or if L1 has none. */
static void select_vpid02(struct vcpu *v, const struct vmcs12 *c, bool vpid12)
{
	struct nested_vmx *n = &v->nested;
	uint16_t vpid = (uint16_t)(n->vpid02_base + VPID_MAP_SLOTS);
	bool fresh = true;

	/* An L1 without VPID has its L2's translations flushed by every entry, as on hardware. */
	if (vpid12)
		vpid = (uint16_t)(n->vpid02_base +
		                  vpid_map_get(&n->vpids, c->virtual_processor_id, &fresh));
	if (fresh)
		flush_vpid(vpid);
	if (vpid != n->vpid02) {
		vmcs_write16(VIRTUAL_PROCESSOR_ID, vpid);
		n->vpid02 = vpid;
	}
}

void nested_switch_vmcs(struct vcpu *v, struct loaded_vmcs *vmcs)
{
	reg_cache_flush(&v->regs);
	loaded_vmcs_load(vmcs);
	v->loaded = vmcs;
	reg_cache_reset(&v->regs);
	/* The slice timer's value is per VMCS: the new one gets what is left. */
	slice_arm(v, rdtsc());
}

static bool l1_read64(void *ctx, uint64_t gpa, uint64_t *val)
{
	return vcpu_read_guest64(ctx, gpa, val);
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
static bool hw_precheck(struct vcpu *v, bool launch)
{
	struct nested_vmx *n = &v->nested;
	uint64_t rflags = vmcs_readl(GUEST_RFLAGS);
	int fail;

	vmcs_writel(GUEST_RFLAGS, 0);
	fail = vmx_vcpu_enter(&v->gprs, &n->vmcs02, n->vmcs02.launched);
	n->prechecks++;
	if (fail == 0 &&
	    vmcs_read32(VM_EXIT_REASON) == (VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE)) {
		vmcs_writel(GUEST_RFLAGS, rflags);
		return true;
	}
	console_printf("umbra: vm %s: nested pre-check: the CPU refused vmcs02 (%s %u) after "
	               "Umbra's checks passed L1's %s\n",
	               v->vm->name, fail ? "VMfail" : "exit reason",
	               fail == 1 ? vmcs_read32(VM_INSTRUCTION_ERROR) : vmcs_read32(VM_EXIT_REASON),
	               launch ? "VMLAUNCH" : "VMRESUME");
	nested_hw_entry_failed(v, fail == 1 ? vmcs_read32(VM_INSTRUCTION_ERROR)
	                                    : VMXERR_ENTRY_INVALID_CONTROL_FIELD);
	return false;
}

void nested_vmentry(struct vcpu *v, bool launch)
{
	struct nested_vmx *n = &v->nested;
	struct vmcs12 *c = n->vmcs12;
	struct nested_entry_env env = {&nested_caps, (v->efer & EFER_LME) != 0, l1_read64, v->vm};
	const char *why;
	uint32_t qual, bad, err;
	bool vpid12;

	/* What L1 wrote through the shadow VMCS (RIP, event injection...) counts now. */
	shadow_vmcs_save(v, &v->vmcs);
	/*
	 * The checks read L2's whole state. Fields L1 did not write hold what
	 * the CPU saved at the last exit, which passed these checks then; only
	 * when L1 wrote more than the hot fields must vmcs12 be made whole.
	 */
	if (vmcs12_dirty_beyond(&c->dirty, &hot_fields))
		nested_sync_l2_rare(v);
	vpid12 = (c->cpu_based_vm_exec_control & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	         (c->secondary_vm_exec_control & SECONDARY_EXEC_ENABLE_VPID);
	why = nested_check_controls(c, &env);
	err = VMXERR_ENTRY_INVALID_CONTROL_FIELD;
	if (!why) {
		why = nested_check_host_state(c, &env);
		err = VMXERR_ENTRY_INVALID_HOST_STATE_FIELD;
	}
	if (why) {
		console_debugf("umbra: debug: vm %s: %s fails: %s\n", v->vm->name,
		               launch ? "VMLAUNCH" : "VMRESUME", why);
		nested_vmx_fail(v, err);
		return;
	}
	why = nested_check_guest_state(c, &env, &qual);
	if (why) {
		entry_failure_exit(v, EXIT_REASON_INVALID_STATE, qual, why);
		return;
	}
	bad = nested_load_msr_list(v, c->vm_entry_msr_load_addr, c->vm_entry_msr_load_count);
	if (bad) {
		entry_failure_exit(v, EXIT_REASON_MSR_LOAD_FAIL, bad, "VM-entry MSR-load list");
		return;
	}
	/* Without the load controls, L2 starts with L1's EFER and PAT. */
	if (!(c->vm_entry_controls & VM_ENTRY_LOAD_IA32_EFER) && n->l1_efer_at_entry != v->efer) {
		n->l1_efer_at_entry = v->efer;
		vmcs12_write(c, GUEST_IA32_EFER, c->guest_ia32_efer, true);
	}
	if (!(c->vm_entry_controls & VM_ENTRY_LOAD_IA32_PAT)) {
		uint64_t pat = vmcs_read64(GUEST_IA32_PAT);

		if (pat != n->l1_pat_at_entry) {
			n->l1_pat_at_entry = pat;
			vmcs12_write(c, GUEST_IA32_PAT, c->guest_ia32_pat, true);
		}
	}
	n->entry_is_launch = launch;
	nested_switch_vmcs(v, &n->vmcs02);
	vmcs02_prepare(v);
	select_vpid02(v, c, vpid12);
	if (precheck && !hw_precheck(v, launch))
		return;
	c->launch_state = VMCS12_LAUNCH_LAUNCHED;
	n->in_l2 = true;
	n->entries++;
	/* L1's preemption timer counts from its vmcs12 value; Umbra's slice timer takes the sooner. */
	if (c->pin_based_vm_exec_control & PIN_BASED_VMX_PREEMPTION_TIMER) {
		uint64_t now = rdtsc();

		n->l1_timer_deadline = now + ((uint64_t)c->vmx_preemption_timer_value
		                              << vmx_caps.preemption_timer_rate);
		slice_arm(v, now);
	}
}

void nested_hw_entry_failed(struct vcpu *v, uint32_t err)
{
	struct nested_vmx *n = &v->nested;

	/* Umbra's checks let through what the CPU refused: L1 gets the CPU's answer. */
	console_printf("umbra: vm %s: nested VM entry: the CPU refused vmcs02 (error %u) after "
	               "Umbra's checks passed it\n",
	               v->vm->name, err);
	n->in_l2 = false;
	/* A failed VMLAUNCH leaves the VMCS clear; a failed VMRESUME, launched. */
	if (n->entry_is_launch)
		n->vmcs12->launch_state = VMCS12_LAUNCH_CLEAR;
	nested_switch_vmcs(v, &v->vmcs);
	/* vmcs01 still holds L1 at its VMLAUNCH/VMRESUME. */
	nested_vmx_fail(v, err);
}

/* The bit of an L1 bitmap page (I/O or MSR) at guest-physical gpa; missing memory reads ones. */
static bool l1_bitmap_bit(void *ctx, uint64_t gpa, uint32_t bit)
{
	const uint8_t *p = vm_gpa_to_ptr(ctx, gpa + bit / 8, 1);

	return !p || (*p >> (bit % 8)) & 1;
}

/*
 * An exit Umbra keeps may have cut short the delivery of an event to L2
 * (one L1 injected, or L2's own exception): the CPU reports it in the
 * IDT-vectoring information, and the next entry delivers it again, as L1
 * expects of the CPU (SDM 28.2.4). Umbra's own injections are events.c's.
 */
static void redeliver_l2_event(struct vcpu *v)
{
	uint32_t idt = vmcs_read32(IDT_VECTORING_INFO_FIELD);

	if (!(idt & INTR_VALID) || v->injected >= 0)
		return;
	if (idt & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(IDT_VECTORING_ERROR_CODE));
	vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, idt & ~IDT_VECTORING_RESERVED);
	/* It goes first: an interrupt for L2 waits for its window (events.c). */
	v->exception_injected = true;
	v->irq_hint = true;
}

void nested_l2_exit(struct vcpu *v)
{
	struct vmcs12 *c = v->nested.vmcs12;
	uint32_t reason = v->exit_reason;
	struct l2_exit e = {.reason = reason & 0xffff,
	                    .qual = reg_cache_read(&v->regs, REG_EXIT_QUALIFICATION),
	                    .bitmap_bit = l1_bitmap_bit,
	                    .ctx = v->vm};

	if (reason & VM_ENTRY_FAILURE) {
		/* vmcs02 failed after Umbra's checks: L1 gets it as its own entry failure. */
		console_printf("umbra: vm %s: nested VM entry: the CPU refused L2's guest state "
		               "(reason %u) after Umbra's checks passed it\n",
		               v->vm->name, e.reason);
		c->launch_state = VMCS12_LAUNCH_CLEAR;
		v->nested.in_l2 = false; /* no L2 state to save: it never ran */
		nested_vmexit(v, reason, e.qual, 0);
		return;
	}
	/* The preemption timer is Umbra's and, once L1's deadline passed, L1's too. */
	if (e.reason == EXIT_REASON_PREEMPTION_TIMER && rdtsc() >= v->nested.l1_timer_deadline) {
		nested_vmexit(v, EXIT_REASON_PREEMPTION_TIMER, 0, 0);
		return;
	}
	switch (e.reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		e.intr_info = (uint32_t)reg_cache_read(&v->regs, REG_EXIT_INTR_INFO);
		e.intr_error = vmcs_read32(VM_EXIT_INTR_ERROR_CODE);
		break;
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE: e.msr = (uint32_t)v->gprs.rcx; break;
	case EXIT_REASON_CR_ACCESS:
		e.cr_value = CR_QUAL_TYPE(e.qual) == CR_TYPE_LMSW
		                     ? CR_QUAL_LMSW(e.qual)
		                     : *vcpu_gpr(&v->gprs, CR_QUAL_GPR(e.qual));
		break;
	default: break;
	}
	if (nested_exit_to_l1(c, &e)) {
		nested_vmexit(v, reason, e.qual,
		              e.reason == EXIT_REASON_EXCEPTION_NMI
		                      ? e.intr_info
		                      : (uint32_t)reg_cache_read(&v->regs, REG_EXIT_INTR_INFO));
		return;
	}
	/* Umbra's own: handled as for any guest, on vmcs02. */
	v->nested.l0_exits_in_l2++;
	redeliver_l2_event(v);
	vmx_handle_exit(v);
}

bool nested_l1_interrupt(struct vcpu *v, uint8_t vector)
{
	struct vmcs12 *c = v->nested.vmcs12;
	uint32_t info = 0;

	if (!(c->pin_based_vm_exec_control & PIN_BASED_EXT_INTR_EXITING))
		return false;
	/* "Acknowledge interrupt on exit": the vector is in the exit information, and taken. */
	if (c->vm_exit_controls & VM_EXIT_ACK_INTR_ON_EXIT) {
		info = INTR_VALID | INTR_TYPE_EXT | vector;
		spin_lock(&v->lock);
		vlapic_ack(&v->lapic, vector);
		spin_unlock(&v->lock);
	}
	nested_vmexit(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, info);
	return true;
}

void nested_l2_cr_write(struct vcpu *v, unsigned int cr, uint64_t val)
{
	const struct vmcs12 *c = v->nested.vmcs12;
	uint64_t mask12 = cr == 0 ? c->cr0_guest_host_mask : c->cr4_guest_host_mask;
	uint64_t shadow12 = cr == 0 ? c->cr0_read_shadow : c->cr4_read_shadow;
	enum reg_id reg = cr == 0 ? REG_CR0 : REG_CR4;
	uint32_t f0 = cr == 0 ? MSR_IA32_VMX_CR0_FIXED0 : MSR_IA32_VMX_CR4_FIXED0;
	/* Bits L1 owns keep their value; the rest take L2's. */
	uint64_t real = (reg_cache_read(&v->regs, reg) & mask12) | (val & ~mask12);

	/* L2 runs in VMX non-root operation of L1's CPU: the fixed bits hold (SDM 24.8). */
	if (!vmx_cr_valid(real, nested_caps_get(&nested_caps, f0),
	                  nested_caps_get(&nested_caps, f0 + 1))) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return;
	}
	reg_cache_write(&v->regs, reg, real);
	if (cr == 0)
		vmcs_writel(CR0_READ_SHADOW, (shadow12 & mask12) | (val & ~mask12));
	else
		vmcs_writel(CR4_READ_SHADOW, (shadow12 & mask12) | (val & ~mask12));
	vcpu_skip_instruction(v);
}

bool nested_l2_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	uint64_t efer;

	switch (msr) {
	case MSR_EFER:
		if (!write) {
			*val = vmcs_read64(GUEST_IA32_EFER);
			return true;
		}
		efer = vmcs_read64(GUEST_IA32_EFER);
		/* LMA is read-only and LME fixed while paging is on, which it always is in L2. */
		if ((*val & ~EFER_ALLOWED) || ((*val ^ efer) & EFER_LME)) {
			vcpu_inject_exception(v, VECTOR_GP, true, 0);
			return true;
		}
		vmcs_write64(GUEST_IA32_EFER, (*val & ~EFER_LMA) | (efer & EFER_LMA));
		return true;
	default:
		/* What Umbra lets L1 reach directly, L2 reaches too (L1 did not intercept it). */
		if (!nested_msr_passthrough(msr, write, val))
			return false;
		return true;
	}
}
