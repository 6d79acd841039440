/*
 * MSR exits. The bitmap lets a few MSRs through (vmcs_setup.c); the local
 * APIC's, nested VMX's and the platform's (platform_msr.c) are emulated.
 * Any other MSR does not exist on the virtual CPU: #GP, as on hardware,
 * noted in the VM's report; with strict=1 it ends the VM instead.
 */
#include "arch/x86/idt.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "vcpu/exits.h"
#include "vcpu/guest_efer.h"
#include "vcpu/lapic_access.h"
#include "vcpu/platform_msr.h"
#include "vcpu/vm.h"

/* EFER: LMA follows LME and the guest's CR0.PG, and IA-32e mode follows LMA. */
static bool efer_write(struct vcpu *v, uint64_t val)
{
	bool paging = reg_cache_read(&v->regs, REG_CR0) & CR0_PG;

	if (val & ~EFER_GUEST_ALLOWED)
		return false;
	/* LME may not change while paging is on (SDM: #GP). */
	if (paging && ((val ^ v->efer) & EFER_LME))
		return false;
	v->efer = val & EFER_GUEST_WRITABLE;
	val = v->efer;
	if (paging && (val & EFER_LME))
		val |= EFER_LMA;
	vmcs_write64(GUEST_IA32_EFER, val);
	return true;
}

void vcpu_msr_done(struct vcpu *v, bool write, uint64_t val)
{
	/* #GP leaves RIP and the registers as they were. */
	if (v->exception_injected)
		return;
	if (!write) {
		v->gprs.rax = (uint32_t)val;
		v->gprs.rdx = val >> 32;
	}
	vcpu_skip_instruction(v);
}

enum vcpu_msr_result vcpu_msr_access(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	bool gp;

	/* IA32_FEATURE_CONTROL and the VMX capabilities of a nested-enabled VM. */
	if (nested_msr(v, msr, write, val, &gp))
		return gp ? VCPU_MSR_GP : VCPU_MSR_DONE;
	if (vcpu_lapic_msr(v, msr, write, val))
		return VCPU_MSR_DONE;
	switch (write ? platform_msr_write(v, msr, *val) : platform_msr_read(v, msr, val)) {
	case PLATFORM_MSR_DONE: return VCPU_MSR_DONE;
	case PLATFORM_MSR_GP: return VCPU_MSR_GP;
	case PLATFORM_MSR_NONE: break;
	}
	if (write && msr == MSR_EFER)
		return efer_write(v, *val) ? VCPU_MSR_DONE : VCPU_MSR_GP;
	return VCPU_MSR_UNKNOWN;
}

void vcpu_exit_msr(struct vcpu *v, bool write)
{
	uint32_t msr = (uint32_t)v->gprs.rcx;
	uint64_t val = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;

	switch (vcpu_msr_access(v, msr, write, &val)) {
	case VCPU_MSR_DONE: vcpu_msr_done(v, write, val); return;
	case VCPU_MSR_GP: vcpu_inject_exception(v, VECTOR_GP, true, 0); return;
	case VCPU_MSR_UNKNOWN: break;
	}
	if (v->vm->strict) {
		if (write)
			vm_end_error(v->vm, "forbidden MSR write 0x%x (value 0x%lx) at rip 0x%lx",
			             msr, val, reg_cache_read(&v->regs, REG_RIP));
		else
			vm_end_error(v->vm, "forbidden MSR read 0x%x at rip 0x%lx", msr,
			             reg_cache_read(&v->regs, REG_RIP));
		return;
	}
	vm_note_unknown(v->vm, write ? UNKNOWN_MSR_WRITE : UNKNOWN_MSR_READ, msr);
	vcpu_inject_exception(v, VECTOR_GP, true, 0);
}
