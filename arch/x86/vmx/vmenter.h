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

enum vmx_enter_result vmx_vcpu_enter(struct guest_gprs *gprs, struct loaded_vmcs *vmcs,
                                     bool launched);

#endif
