#include "vcpu/cpuid_filter.h"

#include <string.h>

#include "abi/umbra_abi.h"

#define LEAF1_ECX_MONITOR      (1u << 3)
#define LEAF1_ECX_VMX          (1u << 5)
#define LEAF1_ECX_SMX          (1u << 6)
#define LEAF1_ECX_EST          (1u << 7)
#define LEAF1_ECX_TM2          (1u << 8)
#define LEAF1_ECX_PDCM         (1u << 15)
#define LEAF1_ECX_DCA          (1u << 18)
#define LEAF1_ECX_X2APIC       (1u << 21)
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF1_ECX_OSXSAVE      (1u << 27)
#define LEAF_D1_EAX_XSAVEC     (1u << 1)
#define LEAF_D1_EAX_XSAVES     (1u << 3)
#define LEAF1_ECX_HYPERVISOR   (1u << 31)
#define LEAF1_EDX_APIC         (1u << 9)
#define LEAF1_EDX_ACPI         (1u << 22)
#define LEAF1_EDX_TM           (1u << 29)
#define LEAF1_EDX_PBE          (1u << 31)
#define LEAF7_EBX_SGX          (1u << 2)
#define LEAF7_ECX_SGX_LC       (1u << 30)

void cpuid_filter(uint32_t leaf, uint32_t subleaf, const struct cpuid_guest *g,
                  struct cpuid_result *r)
{
	if (cpuid_filter_is_own_leaf(leaf)) {
		memset(r, 0, sizeof(*r));
		if (leaf == UMBRA_CPUID_SIGNATURE_LEAF) {
			r->eax = UMBRA_CPUID_MAX_LEAF;
			memcpy(&r->ebx, UMBRA_CPUID_SIGNATURE, 4);
			memcpy(&r->ecx, UMBRA_CPUID_SIGNATURE + 4, 4);
			memcpy(&r->edx, UMBRA_CPUID_SIGNATURE + 8, 4);
		} else if (leaf == UMBRA_CPUID_VERSION_LEAF) {
			r->eax = UMBRA_ABI_VERSION;
			r->ebx = g->vmcs_shadowing ? UMBRA_CPUID_F_VMCS_SHADOWING : 0;
		}
		return;
	}
	switch (leaf) {
	case 1:
		/*
		 * Hidden: VMX (unless the VM asked for nested VMX), what Umbra does not virtualise
		 * (MONITOR/MWAIT, power and thermal control, SMX, DCA, perfmon
		 * capabilities). Shown whatever the host has: the virtual local
		 * APIC, its x2APIC mode and TSC-deadline timer (vcpu/vlapic.c).
		 */
		r->ecx &= ~(LEAF1_ECX_MONITOR | LEAF1_ECX_VMX | LEAF1_ECX_SMX | LEAF1_ECX_EST |
		            LEAF1_ECX_TM2 | LEAF1_ECX_PDCM | LEAF1_ECX_DCA | LEAF1_ECX_OSXSAVE);
		r->ecx |= LEAF1_ECX_HYPERVISOR | LEAF1_ECX_X2APIC | LEAF1_ECX_TSC_DEADLINE;
		if (g->osxsave)
			r->ecx |= LEAF1_ECX_OSXSAVE;
		if (g->vmx)
			r->ecx |= LEAF1_ECX_VMX;
		r->edx &= ~(LEAF1_EDX_ACPI | LEAF1_EDX_TM | LEAF1_EDX_PBE);
		r->edx |= LEAF1_EDX_APIC;
		if (g->apic_off) /* as the APIC's global enable makes hardware say */
			r->edx &= ~LEAF1_EDX_APIC;
		r->ebx = (r->ebx & 0x00ffffff) | (g->apic_id << 24);
		return;
	case 0x15:
		/*
		 * TSC/crystal ratio: the host's may not be the TSC the guest sees.
		 * The guest's crystal is its TSC (ratio 1/1): the rate Umbra measured,
		 * which the virtual APIC timer also counts at (the SDM's APIC timer
		 * runs at the crystal clock when this leaf gives it). A kernel then
		 * knows the TSC rate and need not calibrate it against the PM timer
		 * through exits. Rates past 32 bits of Hz leave the leaf empty.
		 */
		memset(r, 0, sizeof(*r));
		if (g->tsc_hz && g->tsc_hz <= UINT32_MAX) {
			r->eax = 1;
			r->ebx = 1;
			r->ecx = (uint32_t)g->tsc_hz;
		}
		return;
	case 0x16:
		/* The TSC rate Umbra measured, as the base (and maximum) frequency in MHz. */
		if (g->tsc_mhz) {
			r->eax = g->tsc_mhz;
			r->ebx = g->tsc_mhz;
			r->ecx = 0;
			r->edx = 0;
		}
		return;
	case 7:
		/* SGX (and its launch control) is not virtualised. */
		if (subleaf == 0) {
			r->ebx &= ~LEAF7_EBX_SGX;
			r->ecx &= ~LEAF7_ECX_SGX_LC;
		}
		return;
	case 0xd:
		/*
		 * No supervisor state components: IA32_XSS stays 0 (vcpu/platform_msr.c),
		 * so EBX is the compacted size of XCR0's components (Bochs reports the
		 * standard format's size there, and Linux warns of the mismatch).
		 */
		if (subleaf == 1) {
			/*
			 * No XSAVEC/XSAVES either: only the standard format. Under Bochs,
			 * whose XSAVES does not keep to the compacted size its CPUID (or
			 * the SDM) gives, Linux's XSAVES buffers overflowed and its user
			 * processes segfaulted; Linux takes XSAVE(OPT) without them.
			 */
			r->eax &= ~(LEAF_D1_EAX_XSAVEC | LEAF_D1_EAX_XSAVES);
			r->ebx = g->xsaves_size;
			r->ecx = 0;
			r->edx = 0;
		}
		return;
	case 0x12: /* SGX capabilities */
	case 5:    /* MONITOR/MWAIT */
	case 6:    /* thermal and power management */
	case 0xa:  /* architectural performance monitoring */
	case 0xb:  /* x2APIC topology */
	case 0x1f: memset(r, 0, sizeof(*r)); return;
	default: return;
	}
}

uint32_t cpuid_xsave_compacted_size(uint64_t mask,
                                    const struct cpuid_result comp[CPUID_XSAVE_COMPONENTS])
{
	uint32_t size = 576; /* legacy area (512) and XSAVE header (64) */

	for (unsigned int i = 2; i < CPUID_XSAVE_COMPONENTS; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		if (comp[i].ecx & 2) /* aligned to 64 bytes in the compacted form */
			size = (size + 63) & ~63u;
		size += comp[i].eax;
	}
	return size;
}
