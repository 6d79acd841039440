/*
 * Control-register exits. The guest owns CR0 and CR4 except the bits in
 * the guest/host masks (vmcs_setup.c): CR0.PG (entering or leaving paging
 * changes EFER.LMA and the IA-32e-mode entry control), CR0.NE and
 * CR4.VMXE (forced on underneath). Writes that touch those bits exit here.
 */
#include "arch/x86/idt.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "vcpu/exits.h"
#include "vcpu/guest_mem.h"
#include "vcpu/lapic_access.h"
#include "vcpu/vm.h"

#define CR8_RESERVED (~0xfULL)

/*
 * IA-32e mode needs TR to be a 64-bit busy TSS (a VM-entry check), but a
 * CPU enters long mode with whatever TR holds: an AP from real mode still
 * has its 16-bit one. Only the type is fixed, as the guest cannot see it
 * until it loads its own TR.
 */
static void long_mode_tr_fixup(void)
{
	uint32_t ar = vmcs_read32(GUEST_TR_AR_BYTES);

	if ((ar & AR_TYPE_MASK) != AR_TYPE_TSS_BUSY)
		vmcs_write32(GUEST_TR_AR_BYTES, (ar & ~AR_TYPE_MASK) | AR_TYPE_TSS_BUSY);
}

static bool guest_write_cr0(struct vcpu *v, uint64_t val)
{
	uint64_t old = reg_cache_read(&v->regs, REG_CR0);
	uint64_t cr4 = reg_cache_read(&v->regs, REG_CR4);
	bool pg = val & CR0_PG, was_pg = old & CR0_PG;
	bool lme = v->efer & EFER_LME;

	if ((val >> 32) || (pg && !(val & CR0_PE)) || !nested_l1_cr_ok(v, 0, val))
		return false;
	if (pg && !was_pg && lme && !(cr4 & CR4_PAE))
		return false;
	/* Leaving paging: never with PCIDs on, nor from 64-bit code (only compatibility mode). */
	if (!pg && was_pg &&
	    ((cr4 & CR4_PCIDE) || (lme && (vmcs_read32(GUEST_CS_AR_BYTES) & AR_L))))
		return false;
	vmcs_writel(CR0_READ_SHADOW, val);
	reg_cache_write(&v->regs, REG_CR0, val | CR0_NE);
	if (pg != was_pg) {
		uint64_t efer = v->efer;

		if (pg && lme) {
			efer |= EFER_LMA;
			entry_controls_setbit(&v->vmcs, VM_ENTRY_IA32E_MODE);
			long_mode_tr_fixup();
		} else {
			entry_controls_clearbit(&v->vmcs, VM_ENTRY_IA32E_MODE);
		}
		vmcs_write64(GUEST_IA32_EFER, efer);
		if (pg && !lme && (cr4 & CR4_PAE) && !vcpu_load_pdptes(v))
			return false;
	}
	return true;
}

static bool guest_write_cr4(struct vcpu *v, uint64_t val)
{
	bool long_mode = v->efer & EFER_LME && (reg_cache_read(&v->regs, REG_CR0) & CR0_PG);

	/* VMXE only where VMX is offered (nested=1); in VMX operation the fixed bits hold. */
	if (!nested_l1_cr_ok(v, 4, val) || (val >> 32))
		return false;
	if (long_mode && !(val & CR4_PAE))
		return false;
	vmcs_writel(CR4_READ_SHADOW, val);
	reg_cache_write(&v->regs, REG_CR4, val | CR4_VMXE);
	return true;
}

void vcpu_exit_cr_access(struct vcpu *v)
{
	uint64_t qual = reg_cache_read(&v->regs, REG_EXIT_QUALIFICATION);
	unsigned int cr = CR_QUAL_CR(qual), type = CR_QUAL_TYPE(qual);
	unsigned int gpr = CR_QUAL_GPR(qual);
	uint64_t val = type == CR_TYPE_MOV_TO ? vcpu_reg_read(v, gpr) : 0;
	bool ok = true;

	if (type == CR_TYPE_MOV_TO && cr == 0) {
		ok = guest_write_cr0(v, val);
	} else if (type == CR_TYPE_MOV_TO && cr == 4) {
		ok = guest_write_cr4(v, val);
	} else if (type == CR_TYPE_MOV_TO && cr == 3) {
		reg_cache_write(&v->regs, REG_CR3, val);
	} else if (type == CR_TYPE_MOV_FROM && cr == 3) {
		vcpu_reg_write(v, gpr, reg_cache_read(&v->regs, REG_CR3));
	} else if (type == CR_TYPE_MOV_TO && cr == 8) {
		/* CR8 is the local APIC's TPR: the virtual one, never the host's. */
		ok = !(val & CR8_RESERVED);
		if (ok)
			vcpu_lapic_set_cr8(v, val);
	} else if (type == CR_TYPE_MOV_FROM && cr == 8) {
		vcpu_reg_write(v, gpr, vcpu_lapic_cr8(v));
	} else {
		vm_end_error(
		        v->vm,
		        "unsupported control-register access (qualification 0x%lx) at rip 0x%lx",
		        qual, reg_cache_read(&v->regs, REG_RIP));
		return;
	}
	if (!ok) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return;
	}
	vcpu_skip_instruction(v);
}
