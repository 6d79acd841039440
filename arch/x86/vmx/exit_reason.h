/*
 * Decoding a VM exit's reason (SDM 28.2.1): its basic number, its
 * entry-failure bit and its name. What to do about an exit is the vCPU's
 * business (vcpu/exit_dispatch.c).
 */
#ifndef ARCH_X86_VMX_EXIT_REASON_H
#define ARCH_X86_VMX_EXIT_REASON_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmx/vmx_bits.h"

/* Bits 15:0: the basic exit reason (Appendix C). */
static inline uint32_t vmx_exit_basic(uint32_t reason)
{
	return reason & 0xffff;
}

/* Bit 31: the VM entry failed (on guest state or MSR loading) and nothing of the guest ran. */
static inline bool vmx_exit_entry_failed(uint32_t reason)
{
	return (reason & VM_ENTRY_FAILURE) != 0;
}

/* "CPUID", "EPT_VIOLATION", ... for a basic exit reason. */
const char *vmx_exit_reason_name(uint32_t basic);

#endif
