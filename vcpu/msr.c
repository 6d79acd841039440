/*
 * MSR exits. The bitmap lets a few MSRs through (vmcs_setup.c); here a
 * handful more are emulated; any other MSR is forbidden and ends the VM.
 */
#include "arch/x86/idt.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "vcpu/exits.h"
#include "vcpu/lapic_access.h"
#include "vcpu/vm.h"

#define MSR_IA32_PLATFORM_ID     0x17
#define MSR_IA32_BIOS_SIGN_ID    0x8b
#define MSR_IA32_MTRRCAP         0xfe
#define MSR_IA32_MISC_ENABLE     0x1a0
#define MSR_IA32_MTRR_DEF_TYPE   0x2ff
#define MISC_ENABLE_FAST_STRINGS 1
#define MTRR_DEF_TYPE_WB_ENABLED 0xc06
#define EFER_GUEST_WRITABLE      (EFER_SCE | EFER_LME | EFER_NXE)

static bool msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	(void)v;
	switch (msr) {
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_IA32_MTRRCAP: /* no variable or fixed MTRRs to program */ *val = 0; return true;
	case MSR_IA32_MISC_ENABLE: *val = MISC_ENABLE_FAST_STRINGS; return true;
	case MSR_IA32_MTRR_DEF_TYPE: *val = MTRR_DEF_TYPE_WB_ENABLED; return true;
	default: return false;
	}
}

/* EFER: LMA follows LME and the guest's CR0.PG, and IA-32e mode follows LMA. */
static bool efer_write(struct vcpu *v, uint64_t val)
{
	bool paging = reg_cache_read(&v->regs, REG_CR0) & (1u << 31);

	if (val & ~(EFER_GUEST_WRITABLE | EFER_LMA))
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

/* An emulated RDMSR/WRMSR is done: a read's value into EDX:EAX, RIP past it. */
static void msr_done(struct vcpu *v, bool write, uint64_t val)
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

void vcpu_exit_msr(struct vcpu *v, bool write)
{
	uint32_t msr = (uint32_t)v->gprs.rcx;
	uint64_t val = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;

	bool gp;

	/* L2's MSRs that its L1 lets through: L2's state on vmcs02. */
	if (v->nested.in_l2 && nested_l2_msr(v, msr, write, &val)) {
		msr_done(v, write, val);
		return;
	}
	/* IA32_FEATURE_CONTROL and the VMX capabilities of a nested-enabled VM. */
	if (nested_msr(v, msr, write, &val, &gp)) {
		if (gp)
			vcpu_inject_exception(v, VECTOR_GP, true, 0);
		msr_done(v, write, val);
		return;
	}
	if (vcpu_lapic_msr(v, msr, write, &val)) {
		msr_done(v, write, val);
		return;
	}

	if (write) {
		bool ok;

		switch (msr) {
		case MSR_EFER:
			ok = efer_write(v, val);
			if (!ok) {
				vcpu_inject_exception(v, VECTOR_GP, true, 0);
				return;
			}
			break;
		case MSR_IA32_BIOS_SIGN_ID: /* microcode-version probe: harmless */
			ok = true;
			break;
		default: ok = false;
		}
		if (!ok) {
			vm_end_error(v->vm, "forbidden MSR write 0x%x (value 0x%lx) at rip 0x%lx",
			             msr, val, reg_cache_read(&v->regs, REG_RIP));
			return;
		}
	} else {
		if (!msr_read(v, msr, &val)) {
			vm_end_error(v->vm, "forbidden MSR read 0x%x at rip 0x%lx", msr,
			             reg_cache_read(&v->regs, REG_RIP));
			return;
		}
	}
	msr_done(v, write, val);
}
