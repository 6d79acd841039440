#include "vcpu/platform_msr.h"

#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmcs_fields.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "vcpu/vcpu.h"

#define MSR_IA32_PLATFORM_ID  0x17
#define MSR_IA32_TSC_ADJUST   0x3b
#define MSR_IA32_BIOS_SIGN_ID 0x8b
#define MSR_IA32_MCG_CAP      0x179
#define MSR_IA32_MCG_STATUS   0x17a
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_IA32_DEBUGCTL     0x1d9
#define MSR_IA32_XSS          0xda0

/*
 * IA32_DEBUGCTL's bits a guest may set: LBR and BTF (no branch-trace store,
 * no performance monitoring). It lives in the VMCS's guest field, which VM
 * entry loads and VM exit saves ("load/save debug controls").
 */
#define DEBUGCTL_WRITABLE 0x3ULL

/* Fast strings on; no branch-trace store, no PEBS (no performance monitoring is offered). */
#define MISC_ENABLE_FAST_STRINGS     (1ULL << 0)
#define MISC_ENABLE_TCC              (1ULL << 3)
#define MISC_ENABLE_BTS_UNAVAILABLE  (1ULL << 11)
#define MISC_ENABLE_PEBS_UNAVAILABLE (1ULL << 12)
#define MISC_ENABLE_RESET \
	(MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_BTS_UNAVAILABLE | MISC_ENABLE_PEBS_UNAVAILABLE)
#define MISC_ENABLE_WRITABLE (MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_TCC)
#define MCG_STATUS_BITS      7ULL /* RIPV, EIPV, MCIP */

void platform_msrs_init(struct platform_msrs *m)
{
	*m = (struct platform_msrs){.misc_enable = MISC_ENABLE_RESET};
}

/* The guest's TSC moves by delta: a new offset for vmcs01 (vmcs02 adds it, nested/vmcs02.c). */
static void tsc_move(struct vcpu *v, uint64_t delta)
{
	v->msrs.tsc_offset += delta;
	v->msrs.tsc_adjust += delta;
	if (v->nested.in_l2)
		nested_tsc_offset_moved(v); /* L1 let L2 reach its TSC */
	else
		vmcs_write64(TSC_OFFSET, v->msrs.tsc_offset);
}

enum platform_msr_result platform_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct platform_msrs *m = &v->msrs;

	if (mtrr_msr(msr)) {
		*val = mtrr_read(&m->mtrr, msr);
		return PLATFORM_MSR_DONE;
	}
	switch (msr) {
	case MSR_IA32_TSC_ADJUST: *val = m->tsc_adjust; break;
	case MSR_IA32_MISC_ENABLE: *val = m->misc_enable; break;
	case MSR_IA32_MCG_CAP: *val = 0; break; /* no banks, no MCG_CTL */
	case MSR_IA32_MCG_STATUS: *val = m->mcg_status; break;
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_BIOS_SIGN_ID: /* no microcode to report */
	case MSR_IA32_XSS: *val = 0; break;
	case MSR_IA32_DEBUGCTL: *val = vmcs_read64(GUEST_IA32_DEBUGCTL); break;
	default: return PLATFORM_MSR_NONE;
	}
	return PLATFORM_MSR_DONE;
}

enum platform_msr_result platform_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct platform_msrs *m = &v->msrs;

	if (mtrr_msr(msr))
		return mtrr_write(&m->mtrr, msr, val, cpu_features.phys_addr_bits)
		               ? PLATFORM_MSR_DONE
		               : PLATFORM_MSR_GP;
	switch (msr) {
	case MSR_IA32_TSC: tsc_move(v, val - (rdtsc() + m->tsc_offset)); break;
	case MSR_IA32_TSC_ADJUST: tsc_move(v, val - m->tsc_adjust); break;
	case MSR_IA32_MISC_ENABLE:
		/* The bits a guest may change; the others must be written as they read. */
		if ((val ^ m->misc_enable) & ~MISC_ENABLE_WRITABLE)
			return PLATFORM_MSR_GP;
		m->misc_enable = val;
		break;
	case MSR_IA32_MCG_STATUS:
		if (val & ~MCG_STATUS_BITS)
			return PLATFORM_MSR_GP;
		m->mcg_status = val;
		break;
	case MSR_IA32_BIOS_SIGN_ID: break; /* the microcode-version probe writes 0 first */
	case MSR_IA32_XSS:
		/* No supervisor state components are offered (CPUID.(0xD,1):ECX is 0). */
		if (val)
			return PLATFORM_MSR_GP;
		break;
	case MSR_IA32_DEBUGCTL:
		if (val & ~DEBUGCTL_WRITABLE)
			return PLATFORM_MSR_GP;
		vmcs_write64(GUEST_IA32_DEBUGCTL, val);
		break;
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_PLATFORM_ID: return PLATFORM_MSR_GP; /* read-only */
	default: return PLATFORM_MSR_NONE;
	}
	return PLATFORM_MSR_DONE;
}
