/* Reading the VMX capability MSRs: the hardware half of caps.c. */
#include "arch/x86/msr.h"
#include "arch/x86/vmx/caps.h"

void vmx_cap_msrs_read(struct vmx_cap_msrs *raw)
{
	*raw = (struct vmx_cap_msrs){0};
	raw->basic = rdmsr(MSR_IA32_VMX_BASIC);
	raw->pinbased_ctls = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
	raw->procbased_ctls = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
	raw->exit_ctls = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
	raw->entry_ctls = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
	raw->misc = rdmsr(MSR_IA32_VMX_MISC);
	raw->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	raw->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	raw->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	raw->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	raw->vmcs_enum = rdmsr(MSR_IA32_VMX_VMCS_ENUM);

	/* Reading an MSR the CPU lacks raises #GP: each is gated as SDM Appendix A says. */
	if (vmx_caps_allowed1(raw->procbased_ctls, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		raw->procbased_ctls2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	if (vmx_caps_allowed1(raw->procbased_ctls2, SECONDARY_EXEC_ENABLE_EPT) ||
	    vmx_caps_allowed1(raw->procbased_ctls2, SECONDARY_EXEC_ENABLE_VPID))
		raw->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	if (raw->basic & VMX_BASIC_TRUE_CTLS) {
		raw->true_pinbased_ctls = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
		raw->true_procbased_ctls = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
		raw->true_exit_ctls = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
		raw->true_entry_ctls = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	}
	if (vmx_caps_allowed1(raw->procbased_ctls2, SECONDARY_EXEC_ENABLE_VMFUNC))
		raw->vmfunc = rdmsr(MSR_IA32_VMX_VMFUNC);
}
