/* The only VM entry (vmenter.S): the contract is in that file's header. */
#ifndef ARCH_X86_VMX_VMENTER_H
#define ARCH_X86_VMX_VMENTER_H

#include <stdbool.h>

#include "arch/x86/vmx/guest_gprs.h"
#include "arch/x86/vmx/vmcs.h"

enum vmx_enter_result {
	VMX_ENTER_EXITED = 0,       /* the guest ran (or its entry failed late): a VM exit */
	VMX_ENTER_FAIL_VALID = 1,   /* VMfailValid: the error is in VM_INSTRUCTION_ERROR */
	VMX_ENTER_FAIL_INVALID = 2, /* VMfailInvalid: no current VMCS */
};

/*
 * Enters the guest on `vmcs` (current here) and returns at its next VM
 * exit, or on a VMfail. The guest's values replace the registers, and the
 * stub restores only RBP and RBX (not four more callee-saved registers at
 * every exit): the rest are clobbered here, and the compiler keeps across
 * the entry only what it needs after it. The compiler does not see the
 * call inside the asm: -mno-red-zone keeps the stack below RSP free for it.
 */
static inline enum vmx_enter_result vmx_vcpu_enter(struct guest_gprs *gprs,
                                                   struct loaded_vmcs *vmcs, bool launched)
{
	uint64_t result, launched_reg = launched;

	__asm__ volatile("call vmx_vcpu_enter_stub"
	                 : "=a"(result), "+D"(gprs), "+S"(vmcs), "+d"(launched_reg)
	                 :
	                 : "rcx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory",
	                   "cc");
	return (enum vmx_enter_result)result;
}

#endif
