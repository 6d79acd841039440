/*
 * The VMX capabilities an L1 sees: its IA32_VMX_* MSRs, derived from the
 * host's (arch/x86/vmx/caps.h) minus what Umbra does not emulate. Pure and
 * host-tested. Whatever is advertised here works under nested VMX; the
 * VM-entry checks (entry_checks.h) hold an L1's vmcs12 to exactly these.
 *
 * Offered: the processor-based controls Umbra reflects or passes through
 * (exiting on HLT, INVLPG, MWAIT, RDPMC, RDTSC, CR3/CR8 accesses, MOV DR,
 * I/O, MSRs, MONITOR, PAUSE, interrupt windows; TSC offsetting; I/O and MSR
 * bitmaps), external-interrupt and NMI exiting, VPID with INVVPID, the
 * RDTSCP/INVPCID/WBINVD/RDRAND/RDSEED/descriptor-table secondary controls,
 * EPT (shadow EPT: 4-level, WB and UC, the CPU's page sizes, execute-only
 * and A/D flags, INVEPT single and all-context) with unrestricted guest,
 * and the EFER/PAT/debug-control save and load controls.
 * The VMX-preemption timer is offered when Umbra's slices use it too.
 * Not offered yet: virtual NMIs and NMI-window
 * exiting, the TPR shadow and APIC virtualization, the monitor trap flag,
 * VMCS shadowing for L1, activity states other than active, CR3-target
 * values, VM functions, PML.
 */
#ifndef NESTED_L1_CAPS_H
#define NESTED_L1_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmx/caps.h"

#define NESTED_MSR_FIRST MSR_IA32_VMX_BASIC
#define NESTED_MSR_LAST  MSR_IA32_VMX_VMFUNC

struct nested_caps {
	/* Indexed by MSR - NESTED_MSR_FIRST. */
	uint64_t msr[NESTED_MSR_LAST - NESTED_MSR_FIRST + 1];
	/* Which of them exist (RDMSR of the others is #GP, as on a CPU without them). */
	uint32_t present;
	uint8_t maxphyaddr; /* the physical-address width L1 sees (CPUID 0x80000008) */
	bool rtm;           /* L1's CPUID shows RTM (leaf 7 EBX bit 11): the host's, passed on */
};

/*
 * The L1's MSRs from the host's capabilities; maxphyaddr is the L1's CPUID
 * value; timer: offer the VMX-preemption timer (Umbra ends its slices with
 * it, so it can run L1's beside its own: vcpu/slice.c).
 */
void nested_caps_init(struct nested_caps *n, const struct vmx_caps *host, uint8_t maxphyaddr,
                      bool timer);

/* RDMSR of an IA32_VMX_* MSR: false if msr is not one L1 has. */
bool nested_caps_msr(const struct nested_caps *n, uint32_t msr, uint64_t *val);

/* Control capability accessors (low half: must-be-1, high half: may-be-1), TRUE_ values. */
static inline uint64_t nested_caps_get(const struct nested_caps *n, uint32_t msr)
{
	return n->msr[msr - NESTED_MSR_FIRST];
}
/* True if ctl honours capability cap: every must-be-1 bit set, no bit outside may-be-1. */
static inline bool nested_ctl_ok(uint64_t cap, uint32_t ctl)
{
	return (ctl & (uint32_t)cap) == (uint32_t)cap && !(ctl & ~(uint32_t)(cap >> 32));
}

/* The INVVPID types L1 may use (bit n: type n), from IA32_VMX_EPT_VPID_CAP. */
uint32_t nested_caps_invvpid_types(const struct nested_caps *n);
/* The INVEPT types L1 may use (bit n: type n), from IA32_VMX_EPT_VPID_CAP. */
uint32_t nested_caps_invept_types(const struct nested_caps *n);

#endif
