/*
 * Flushing one context's cached translations on this CPU: the
 * single-context INVEPT/INVVPID, or the all-context one (a superset) on a
 * CPU without it. Umbra requires one of the two types of each (vmx.c).
 */
#ifndef ARCH_X86_VMX_TLB_FLUSH_H
#define ARCH_X86_VMX_TLB_FLUSH_H

#include <stdint.h>

#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"

/* What this CPU cached from the EPT tables eptp names. */
static inline void flush_ept_context(uint64_t eptp)
{
	if (cpu_has_vmx_invept_single())
		invept(INVEPT_SINGLE_CONTEXT, eptp);
	else
		invept(INVEPT_ALL_CONTEXT, 0);
}

/* Every TLB entry this CPU holds for hardware VPID vpid. */
static inline void flush_vpid_context(uint16_t vpid)
{
	if (cpu_has_vmx_invvpid_single())
		invvpid(INVVPID_SINGLE_CONTEXT, vpid, 0);
	else
		invvpid(INVVPID_ALL_CONTEXT, 0, 0);
}

#endif
