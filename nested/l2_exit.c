/*
 * L2's exits: reflected to L1 when it asked for them (exit_route.c,
 * nested_exit.c), else handled by Umbra as for any guest, on vmcs02; L1's
 * own interrupts while L2 runs; the CR and MSR accesses of L2 that only
 * Umbra intercepts.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/exit_reason.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "nested/entry_checks.h"
#include "nested/exit_route.h"
#include "nested/nested.h"
#include "nested/nested_internal.h"
#include "nested/vmcs12.h"
#include "vcpu/exit_dispatch.h"
#include "vcpu/exits.h"
#include "vcpu/guest_efer.h"
#include "vcpu/guest_mem.h"
#include "vcpu/vm.h"

#define IDT_VECTORING_RESERVED (1u << 12) /* undefined in the IDT-vectoring field */

/* The bit of an L1 bitmap page (I/O or MSR) at guest-physical gpa; missing memory reads ones. */
static bool l1_bitmap_bit(void *ctx, uint64_t gpa, uint32_t bit)
{
	const uint8_t *p = vm_gpa_to_ptr(ctx, gpa_of(gpa + bit / 8), 1);

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

	if (!(idt & INTR_INFO_VALID) || v->injected >= 0)
		return;
	if (idt & INTR_INFO_DELIVER_CODE)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(IDT_VECTORING_ERROR_CODE));
	vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, idt & ~IDT_VECTORING_RESERVED);
	/* It goes first: an interrupt for L2 waits for its window (events.c). */
	v->exception_injected = true;
	v->irq_hint = true;
}

/*
 * L2 turned paging on or off (L1 gave it unrestricted guest): EFER.LMA and
 * the IA-32e mode guest control follow EFER.LME, and PAE paging outside
 * IA-32e mode loads the PDPTEs from L2's CR3 (SDM 4.1.2, 4.4.1). False if
 * the CPU would refuse the write (#GP).
 */
static bool l2_paging_changed(struct vcpu *v, uint64_t cr0)
{
	uint64_t efer = vmcs_read64(GUEST_IA32_EFER), cr4 = reg_cache_read(&v->regs, REG_CR4);
	bool pg = cr0 & CR0_PG;

	if (pg && (efer & EFER_LME) && !(cr4 & CR4_PAE))
		return false;
	/* Leaving paging: never with PCIDs on, nor from 64-bit code. */
	if (!pg &&
	    ((cr4 & CR4_PCIDE) || ((efer & EFER_LMA) && (vmcs_read32(GUEST_CS_AR_BYTES) & AR_L))))
		return false;
	/*
	 * vmcs12's IA-32e mode control follows too (IA32_VMX_MISC bit 5 saves it
	 * at the exit): the next entry builds vmcs02's controls from it, even
	 * when L1 writes nothing in between.
	 */
	if (pg && (efer & EFER_LME)) {
		efer |= EFER_LMA;
		entry_controls_setbit(&v->nested.vmcs02, VM_ENTRY_IA32E_MODE);
		v->nested.vmcs12->vm_entry_controls |= VM_ENTRY_IA32E_MODE;
	} else {
		efer &= ~EFER_LMA;
		entry_controls_clearbit(&v->nested.vmcs02, VM_ENTRY_IA32E_MODE);
		v->nested.vmcs12->vm_entry_controls &= ~VM_ENTRY_IA32E_MODE;
	}
	if (pg && (cr4 & CR4_PAE) && !(efer & EFER_LMA) && !vcpu_load_pdptes(v))
		return false;
	vmcs_write64(GUEST_IA32_EFER, efer);
	return true;
}

/* MOV to CR0/CR4 by L2 that L1 does not intercept (Umbra's masks): L2's CR under L1's. */
static void l2_cr_write(struct vcpu *v, unsigned int cr, uint64_t val)
{
	const struct vmcs12 *c = v->nested.vmcs12;
	uint64_t mask12 = cr == 0 ? c->cr0_guest_host_mask : c->cr4_guest_host_mask;
	uint64_t shadow12 = cr == 0 ? c->cr0_read_shadow : c->cr4_read_shadow;
	enum reg_id reg = cr == 0 ? REG_CR0 : REG_CR4;
	uint32_t f0 = cr == 0 ? MSR_IA32_VMX_CR0_FIXED0 : MSR_IA32_VMX_CR4_FIXED0;
	uint64_t old = reg_cache_read(&v->regs, reg), fixed0 = nested_caps_get(&nested_caps, f0);
	/* Bits L1 owns keep their value; the rest take L2's. */
	uint64_t real = (old & mask12) | (val & ~mask12);

	/* With unrestricted guest, PE and PG are L2's to clear (SDM 26.3.1.1, 24.8). */
	if (cr == 0 && vmcs12_unrestricted_guest(c))
		fixed0 &= ~(CR0_PE | CR0_PG);
	/* L2 runs in VMX non-root operation of L1's CPU: the fixed bits hold (SDM 24.8). */
	if (!vmx_cr_valid(real, fixed0, nested_caps_get(&nested_caps, f0 + 1)) ||
	    (cr == 0 && (real & CR0_PG) && !(real & CR0_PE)) ||
	    (cr == 0 && ((old ^ real) & CR0_PG) && !l2_paging_changed(v, real))) {
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

enum msr_pass nested_l2_msr(uint32_t msr, bool write, uint64_t *val)
{
	uint64_t efer;

	if (msr != MSR_EFER)
		/* What Umbra lets L1 reach directly, L2 reaches too (L1 did not intercept it). */
		return nested_msr_passthrough(msr, write, val);
	efer = vmcs_read64(GUEST_IA32_EFER);
	if (!write) {
		*val = efer;
		return MSR_PASS_DONE;
	}
	/* LMA is read-only and LME fixed while paging is on, which it always is in L2. */
	if ((*val & ~EFER_GUEST_ALLOWED) || ((*val ^ efer) & EFER_LME))
		return MSR_PASS_GP;
	vmcs_write64(GUEST_IA32_EFER, (*val & ~EFER_LMA) | (efer & EFER_LMA));
	return MSR_PASS_DONE;
}

/*
 * An EPT violation of L2 with EPT12: EPT02 filled, or L1 told (shadow_ept.c),
 * or an access EPT12 sends to L1's devices, carried out as L1's own.
 */
static void l2_ept_violation(struct vcpu *v, const struct l2_exit *e)
{
	uint64_t l1_gpa = 0;

	switch (nested_sept_violation(v, e->qual, &l1_gpa)) {
	case SEPT_GIVEN_TO_L1: return;
	case SEPT_FILLED: redeliver_l2_event(v); return;
	case SEPT_L1_MMIO:
		redeliver_l2_event(v);
		vcpu_mmio_access(v, l1_gpa, e->qual);
		return;
	}
}

/*
 * An L2 instruction L1 let through and Umbra intercepts: what L1's CPU
 * would do for L2. CR0/CR4 writes and L2's MSRs are L2's state under L1's
 * vmcs12; the rest (ports, HLT, RDPMC, MONITOR/MWAIT, other MSRs, CR8)
 * reach the VM's devices and vCPU as L1's own accesses would.
 */
static void for_l1(struct vcpu *v, const struct l2_exit *e)
{
	uint64_t val;

	if (e->reason == EXIT_REASON_CR_ACCESS && CR_QUAL_TYPE(e->qual) == CR_TYPE_MOV_TO &&
	    (CR_QUAL_CR(e->qual) == 0 || CR_QUAL_CR(e->qual) == 4)) {
		l2_cr_write(v, CR_QUAL_CR(e->qual), e->cr_value);
		return;
	}
	if (e->reason == EXIT_REASON_MSR_READ || e->reason == EXIT_REASON_MSR_WRITE) {
		bool write = e->reason == EXIT_REASON_MSR_WRITE;

		val = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;
		switch (nested_l2_msr(e->msr, write, &val)) {
		case MSR_PASS_DONE: vcpu_msr_done(v, write, val); return;
		case MSR_PASS_GP: vcpu_inject_exception(v, VECTOR_GP, true, 0); return;
		case MSR_PASS_OTHER: break;
		}
	}
	vcpu_handle_exit(v);
}

/* An exit L1 may not have asked for: nested_l2_exit_owner() decides, on what it reads. */
static __attribute__((noinline)) void route(struct vcpu *v, uint32_t reason, uint64_t qual)
{
	struct vmcs12 *c = v->nested.vmcs12;
	struct l2_exit e = {.reason = vmx_exit_basic(reason),
	                    .qual = qual,
	                    .bitmap_bit = l1_bitmap_bit,
	                    .ctx = v->vm};

	e.l1_timer_due =
	        e.reason == EXIT_REASON_PREEMPTION_TIMER && rdtsc() >= v->nested.l1_timer_deadline;
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
		                     : vcpu_reg_read(v, CR_QUAL_GPR(e.qual)); /* RSP too */
		break;
	default: break;
	}
	switch (nested_l2_exit_owner(c, &e)) {
	case L2_EXIT_REFLECT:
		/* The CPU's exit information is L1's, a preemption-timer exit's too. */
		nested_vmexit(v, reason, e.qual,
		              (uint32_t)reg_cache_read(&v->regs, REG_EXIT_INTR_INFO));
		return;
	case L2_EXIT_FOR_L1:
		v->nested.l0_exits_in_l2++;
		if (e.reason == EXIT_REASON_EPT_VIOLATION) {
			l2_ept_violation(v, &e); /* redelivers only if L2 resumes */
			return;
		}
		redeliver_l2_event(v);
		/* HLT as L1's CPU runs it for L2: the HLT activity state until L2 runs again. */
		v->nested.l2_halted = e.reason == EXIT_REASON_HLT;
		for_l1(v, &e);
		return;
	case L2_EXIT_UMBRA:
		v->nested.l0_exits_in_l2++;
		redeliver_l2_event(v);
		vcpu_handle_exit(v);
		return;
	}
}

void nested_l2_exit(struct vcpu *v)
{
	uint32_t reason = v->exit_reason;

	v->nested.l2_halted = false; /* it ran */
	if (reason & VM_ENTRY_FAILURE) {
		/* vmcs02 failed after Umbra's checks: L1 gets it as its own entry failure. */
		nested_entry_refused(v, "nested VM entry", "exit reason", reason);
		/* Not in L2: no L2 state to save. */
		nested_vmexit(v, reason, reg_cache_read(&v->regs, REG_EXIT_QUALIFICATION), 0);
		return;
	}
	if (nested_exit_always_to_l1(vmx_exit_basic(reason))) {
		/* The exit information, as it is, read together (a batch: vmx_ops.h). */
		uint64_t qual = vmcs_read_batched(EXIT_QUALIFICATION);
		uint32_t info = (uint32_t)vmcs_read_batched(VM_EXIT_INTR_INFO);

		vmx_batch_check("the L2 exit's information");
		vmx_count_reads(3); /* with the check's */
		nested_vmexit(v, reason, qual, info);
		return;
	}
	/* Out of line, route()'s frame is not built for the exits above. */
	route(v, reason, reg_cache_read(&v->regs, REG_EXIT_QUALIFICATION));
}

bool nested_l2_halt_takes_interrupts(const struct vcpu *v)
{
	return v->nested.in_l2 &&
	       (v->nested.vmcs12->pin_based_vm_exec_control & PIN_BASED_EXT_INTR_EXITING);
}

bool nested_l1_timer_expired(struct vcpu *v, uint64_t now)
{
	if (now < nested_l2_timer_deadline(&v->nested))
		return false;
	nested_vmexit(v, EXIT_REASON_PREEMPTION_TIMER, 0, 0);
	return true;
}

bool nested_l1_nmi(struct vcpu *v)
{
	if (!(v->nested.vmcs12->pin_based_vm_exec_control & PIN_BASED_NMI_EXITING))
		return false;
	v->nmi_pending = false;
	nested_vmexit(v, EXIT_REASON_EXCEPTION_NMI, 0,
	              INTR_INFO_VALID | INTR_TYPE_NMI | VECTOR_NMI);
	/* An NMI's VM exit leaves NMIs blocked until L1's next IRET, as delivery would. */
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, BLOCK_NMI);
	return true;
}

bool nested_l1_interrupt(struct vcpu *v, uint8_t vector)
{
	struct vmcs12 *c = v->nested.vmcs12;
	uint32_t info = 0;

	if (!(c->pin_based_vm_exec_control & PIN_BASED_EXT_INTR_EXITING))
		return false;
	/* "Acknowledge interrupt on exit": the vector is in the exit information, and taken. */
	if (c->vm_exit_controls & VM_EXIT_ACK_INTR_ON_EXIT) {
		info = INTR_INFO_VALID | INTR_TYPE_EXT_INTR | vector;
		spin_lock(&v->lock);
		vlapic_ack(&v->lapic, vector);
		spin_unlock(&v->lock);
	}
	nested_vmexit(v, EXIT_REASON_EXTERNAL_INTERRUPT, 0, info);
	return true;
}
