/*
 * Host tests: vmx_vcpu_enter() is the fake environment's function
 * (fake/src/nested_env.c), not the real header's asm call.
 */
#ifndef FAKE_ARCH_X86_VMX_VMENTER_H
#define FAKE_ARCH_X86_VMX_VMENTER_H

#define vmx_vcpu_enter hw_vmx_vcpu_enter
#include_next "arch/x86/vmx/vmenter.h"
#undef vmx_vcpu_enter

enum vmx_enter_result vmx_vcpu_enter(struct guest_gprs *gprs, struct loaded_vmcs *vmcs,
                                     bool launched);

#endif
