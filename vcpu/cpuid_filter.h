/* What a guest's CPUID shows: the host's answer, filtered (pure, host-tested). */
#ifndef VCPU_CPUID_FILTER_H
#define VCPU_CPUID_FILTER_H

#include <stdbool.h>
#include <stdint.h>

struct cpuid_result {
	uint32_t eax, ebx, ecx, edx;
};

struct cpuid_guest {
	uint32_t apic_id;     /* the vCPU's */
	bool osxsave;         /* the guest's CR4.OSXSAVE */
	uint32_t tsc_mhz;     /* the TSC rate Umbra measured (0: unknown) */
	uint64_t tsc_hz;      /* the same in Hz, for leaf 0x15 */
	bool vmx;             /* the VM asked for nested VMX (nested=1): VMX is shown */
	bool vmcs_shadowing;  /* ... and its VMREAD/VMWRITE go to a hardware shadow VMCS */
	bool apic_off;        /* IA32_APIC_BASE.EN is clear: CPUID.1:EDX.APIC is too */
	uint32_t xsaves_size; /* leaf 0xD.1 EBX: cpuid_xsave_compacted_size() of XCR0 (XSS is 0) */
};

#define CPUID_XSAVE_COMPONENTS 19 /* x87 .. the last one leaf 0xD describes */

/*
 * The size of an XSAVES (compacted) area holding the components in mask
 * (SDM Vol. 1, 13.4.3): the 576-byte legacy area and header, then each
 * component i >= 2 in mask in order, at a 64-byte boundary when
 * CPUID.(0xD,i).ECX bit 1 says so; comp[i] is CPUID.(0xD,i).
 */
uint32_t cpuid_xsave_compacted_size(uint64_t mask,
                                    const struct cpuid_result comp[CPUID_XSAVE_COMPONENTS]);

/* True if the leaf is answered by Umbra alone (no need to ask the CPU). */
static inline bool cpuid_filter_is_own_leaf(uint32_t leaf)
{
	return leaf >= 0x40000000u && leaf <= 0x4fffffffu;
}
/* False for a leaf the guest sees exactly as the CPU answers it (the common case). */
static inline bool cpuid_filter_changes(uint32_t leaf)
{
	switch (leaf) {
	case 1:
	case 5:
	case 7:
	case 0xd:
	case 0x12:
	case 6:
	case 0xa:
	case 0xb:
	case 0x15:
	case 0x16:
	case 0x1f: return true;
	default: return cpuid_filter_is_own_leaf(leaf);
	}
}

/* Rewrites `r` (the host's answer for leaf/subleaf) into what the guest sees. */
void cpuid_filter(uint32_t leaf, uint32_t subleaf, const struct cpuid_guest *g,
                  struct cpuid_result *r);

#endif
