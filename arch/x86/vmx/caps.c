/* Decoding the VMX capability MSRs, and the pure arithmetic over them. */
#include "arch/x86/vmx/caps.h"

#include <string.h>

struct vmx_caps vmx_caps;

/* The EPT bits of IA32_VMX_EPT_VPID_CAP are in its low half, the VPID bits in its high half. */
#define EPT_CAP_BITS  0x00000000ffffffffULL
#define VPID_CAP_BITS 0xffffffff00000000ULL

void vmx_caps_decode(struct vmx_caps *c, const struct vmx_cap_msrs *raw)
{
	uint64_t basic = raw->basic;
	bool ept, vpid;

	memset(c, 0, sizeof(*c));
	c->revision_id = (uint32_t)(basic & VMX_BASIC_REVISION_MASK);
	c->vmcs_size = (uint32_t)((basic >> VMX_BASIC_VMCS_SIZE_SHIFT) & VMX_BASIC_VMCS_SIZE_MASK);
	c->vmcs_memtype = (uint32_t)((basic >> VMX_BASIC_MEMTYPE_SHIFT) & VMX_BASIC_MEMTYPE_MASK);
	c->true_ctls = basic & VMX_BASIC_TRUE_CTLS;
	c->phys_addr_32 = basic & VMX_BASIC_PHYS_ADDR_32;
	c->ins_outs_info = basic & VMX_BASIC_INS_OUTS_INFO;
	c->no_hw_errcode_check = basic & VMX_BASIC_NO_HW_ERRCODE_CHK;

	/* The TRUE_ MSRs may allow default1 bits to be 0; allowed-1 bits are the same. */
	c->pin_ctls = c->true_ctls ? raw->true_pinbased_ctls : raw->pinbased_ctls;
	c->proc_ctls = c->true_ctls ? raw->true_procbased_ctls : raw->procbased_ctls;
	c->exit_ctls = c->true_ctls ? raw->true_exit_ctls : raw->exit_ctls;
	c->entry_ctls = c->true_ctls ? raw->true_entry_ctls : raw->entry_ctls;

	/* Each of these MSRs exists only if the control that gates it may be 1. */
	if (vmx_caps_allowed1(c->proc_ctls, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		c->proc2_ctls = raw->procbased_ctls2;
	ept = vmx_caps_allowed1(c->proc2_ctls, SECONDARY_EXEC_ENABLE_EPT);
	vpid = vmx_caps_allowed1(c->proc2_ctls, SECONDARY_EXEC_ENABLE_VPID);
	c->ept_vpid_cap =
	        raw->ept_vpid_cap & ((ept ? EPT_CAP_BITS : 0) | (vpid ? VPID_CAP_BITS : 0));
	if (vmx_caps_allowed1(c->proc2_ctls, SECONDARY_EXEC_ENABLE_VMFUNC))
		c->vmfunc = raw->vmfunc;

	c->misc = raw->misc;
	c->preemption_timer_rate = (uint32_t)(raw->misc & VMX_MISC_TIMER_RATE_MASK);
	c->cr3_target_count =
	        (uint32_t)((raw->misc >> VMX_MISC_CR3_TARGETS_SHIFT) & VMX_MISC_CR3_TARGETS_MASK);
	c->max_msr_list =
	        512 *
	        ((uint32_t)((raw->misc >> VMX_MISC_MSR_LIST_SHIFT) & VMX_MISC_MSR_LIST_MASK) + 1);
	c->cr0_fixed0 = raw->cr0_fixed0;
	c->cr0_fixed1 = raw->cr0_fixed1;
	c->cr4_fixed0 = raw->cr4_fixed0;
	c->cr4_fixed1 = raw->cr4_fixed1;
	c->vmcs_max_index = (uint32_t)((raw->vmcs_enum >> 1) & 0x1ff);
}

int vmx_adjust_controls(uint32_t required, uint32_t optional, uint64_t cap, uint32_t *out,
                        uint32_t *missing)
{
	uint32_t allowed0 = (uint32_t)cap;
	uint32_t allowed1 = (uint32_t)(cap >> 32);

	*missing = required & ~allowed1;
	if (*missing)
		return -1;
	*out = allowed0 | ((required | optional) & allowed1);
	return 0;
}

bool vmx_feature_control_allows(uint64_t fc)
{
	return !(fc & FEATURE_CONTROL_LOCKED) || (fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
}

uint64_t vmx_feature_control_to_write(uint64_t fc)
{
	if (fc & FEATURE_CONTROL_LOCKED)
		return fc;
	return fc | FEATURE_CONTROL_VMXON_OUTSIDE_SMX | FEATURE_CONTROL_LOCKED;
}

uint64_t vmx_fixed_cr(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
	return (value | fixed0) & fixed1;
}

bool vmx_cr_valid(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
	return vmx_fixed_cr(value, fixed0, fixed1) == value;
}

uint64_t vmx_preemption_timer_max_ms(uint32_t rate_shift, uint64_t tsc_khz)
{
	/* At most 0xffffffff << 31: no overflow. */
	uint64_t tsc_ticks = 0xffffffffULL << (rate_shift & VMX_MISC_TIMER_RATE_MASK);

	if (!tsc_khz)
		return 0;
	return tsc_ticks / tsc_khz;
}

/* Clears may-be-1 bits (the high half) of a control capability MSR. */
static void disallow(uint64_t *msr, uint32_t bits)
{
	*msr &= ~((uint64_t)bits << 32);
}

static bool hide_one(struct vmx_cap_msrs *raw, const char *name, unsigned int len)
{
#define IS(s) (len == sizeof(s) - 1 && !memcmp(name, s, len))
	if (IS("shadowing")) {
		disallow(&raw->procbased_ctls2, SECONDARY_EXEC_VMCS_SHADOWING);
	} else if (IS("ept_ad")) {
		raw->ept_vpid_cap &= ~VMX_EPT_AD;
	} else if (IS("ept_1g")) {
		raw->ept_vpid_cap &= ~VMX_EPT_1GB_PAGE;
	} else if (IS("timer")) {
		disallow(&raw->pinbased_ctls, PIN_BASED_VMX_PREEMPTION_TIMER);
		disallow(&raw->true_pinbased_ctls, PIN_BASED_VMX_PREEMPTION_TIMER);
		disallow(&raw->exit_ctls, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
		disallow(&raw->true_exit_ctls, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
	} else if (IS("timer_save")) {
		disallow(&raw->exit_ctls, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
		disallow(&raw->true_exit_ctls, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
	} else if (IS("ept")) {
		disallow(&raw->procbased_ctls2, SECONDARY_EXEC_ENABLE_EPT);
	} else if (IS("ug")) {
		disallow(&raw->procbased_ctls2, SECONDARY_EXEC_UNRESTRICTED_GUEST);
	} else if (IS("vpid")) {
		disallow(&raw->procbased_ctls2, SECONDARY_EXEC_ENABLE_VPID);
	} else {
		return false;
	}
	return true;
#undef IS
}

int vmx_caps_hide(struct vmx_cap_msrs *raw, const char *list, char *bad, unsigned int bad_size)
{
	while (list && *list) {
		const char *end = strchr(list, ',');
		unsigned int len = (unsigned int)(end ? (size_t)(end - list) : strlen(list));

		if (len && !hide_one(raw, list, len)) {
			unsigned int n = len < bad_size - 1 ? len : bad_size - 1;

			memcpy(bad, list, n);
			bad[n] = 0;
			return -1;
		}
		list = end ? end + 1 : NULL;
	}
	return 0;
}
