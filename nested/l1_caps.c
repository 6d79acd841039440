/* The IA32_VMX_* MSRs an L1 sees: see l1_caps.h. */
#include "nested/l1_caps.h"

#include <string.h>

#include "nested/vmcs12.h"

#define PIN_OFFERED (PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING)
#define PROC_OFFERED                                                                            \
	(CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_HLT_EXITING | \
	 CPU_BASED_INVLPG_EXITING | CPU_BASED_MWAIT_EXITING | CPU_BASED_RDPMC_EXITING |         \
	 CPU_BASED_RDTSC_EXITING | CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |   \
	 CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING | CPU_BASED_MOV_DR_EXITING |  \
	 CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |   \
	 CPU_BASED_MONITOR_EXITING | CPU_BASED_PAUSE_EXITING |                                  \
	 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
#define PROC2_OFFERED                                                       \
	(SECONDARY_EXEC_DESC_TABLE_EXITING | SECONDARY_EXEC_ENABLE_RDTSCP | \
	 SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_WBINVD_EXITING |       \
	 SECONDARY_EXEC_RDRAND_EXITING | SECONDARY_EXEC_ENABLE_INVPCID |    \
	 SECONDARY_EXEC_RDSEED_EXITING | SECONDARY_EXEC_ENABLE_EPT |        \
	 SECONDARY_EXEC_UNRESTRICTED_GUEST)
#define EXIT_OFFERED                                                                             \
	(VM_EXIT_SAVE_DEBUG_CONTROLS | VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_ACK_INTR_ON_EXIT | \
	 VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_IA32_EFER |                \
	 VM_EXIT_LOAD_IA32_EFER)
#define ENTRY_OFFERED                                                                  \
	(VM_ENTRY_LOAD_DEBUG_CONTROLS | VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_PAT | \
	 VM_ENTRY_LOAD_IA32_EFER)
/*
 * IA32_VMX_MISC bits passed on: EFER.LMA stored on exit, the HLT activity
 * state (Umbra halts L2 as it halts any vCPU), VMWRITE to exit-information
 * fields.
 */
#define MISC_OFFERED (VMX_MISC_SAVE_EFER_LMA | VMX_MISC_ACTIVITY_HLT | VMX_MISC_VMWRITE_ANY_FIELD)

/* CR3-target values offered: the CPU's count, at most vmcs12's four fields. */
static uint32_t cr3_targets(uint64_t misc)
{
	uint32_t n = (uint32_t)(misc >> VMX_MISC_CR3_TARGETS_SHIFT & VMX_MISC_CR3_TARGETS_MASK);

	return n < VMCS12_CR3_TARGETS ? n : VMCS12_CR3_TARGETS;
}
#define VPID_OFFERED                                                                             \
	(VMX_VPID_INVVPID | VMX_VPID_INVVPID_INDIVIDUAL_ADDR | VMX_VPID_INVVPID_SINGLE_CONTEXT | \
	 VMX_VPID_INVVPID_ALL_CONTEXT | VMX_VPID_INVVPID_SINGLE_NO_GLOBAL)
/*
 * EPT as shadow EPT emulates it (nested/shadow_ept.c): a 4-level walk,
 * write-back and uncached tables, the CPU's page sizes and execute-only
 * entries (EPT02 holds what EPT12 allows, so the CPU must accept it too),
 * the accessed and dirty flags (set in L1's tables as EPT02 is filled),
 * INVEPT single-context and all-context.
 */
#define EPT_OFFERED                                                                             \
	(VMX_EPT_EXECUTE_ONLY | VMX_EPT_PAGE_WALK_4 | VMX_EPT_MEMTYPE_UC | VMX_EPT_MEMTYPE_WB | \
	 VMX_EPT_2MB_PAGE | VMX_EPT_1GB_PAGE | VMX_EPT_INVEPT | VMX_EPT_AD |                    \
	 VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT)
#define VMCS_ENUM_INDEX_SHIFT 1
#define VMCS_ENUM_INDEX_MASK  0x1ffu

/* must-be-1 bits (the host's, plus `forced`), may-be-1 bits (the host's we offer, plus those). */
static uint64_t ctl_cap(uint64_t host, uint32_t offered, uint32_t forced)
{
	uint32_t must = (uint32_t)host | forced;
	uint32_t may = ((uint32_t)(host >> 32) & offered) | must;

	return (uint64_t)may << 32 | must;
}

static void set(struct nested_caps *n, uint32_t msr, uint64_t val)
{
	n->msr[msr - NESTED_MSR_FIRST] = val;
	n->present |= 1u << (msr - NESTED_MSR_FIRST);
}

/* The highest field index (encoding bits 9:1) of the vmcs12 table, for IA32_VMX_VMCS_ENUM. */
static uint32_t vmcs12_max_index(void)
{
	uint32_t max = 0;

	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		uint32_t idx =
		        (vmcs12_fields[i].encoding >> VMCS_ENUM_INDEX_SHIFT) & VMCS_ENUM_INDEX_MASK;

		if (idx > max)
			max = idx;
	}
	return max;
}

void nested_caps_init(struct nested_caps *n, const struct vmx_caps *host, uint8_t maxphyaddr,
                      bool timer)
{
	bool secondary, vpid, ept;
	uint64_t pin, proc, exit, entry;

	memset(n, 0, sizeof(*n));
	n->maxphyaddr = maxphyaddr;
	set(n, MSR_IA32_VMX_BASIC,
	    VMCS12_REVISION_ID | (uint64_t)VMCS12_SIZE << VMX_BASIC_VMCS_SIZE_SHIFT |
	            (uint64_t)VMX_MEMTYPE_WB << VMX_BASIC_MEMTYPE_SHIFT |
	            (host->ins_outs_info ? VMX_BASIC_INS_OUTS_INFO : 0) | VMX_BASIC_TRUE_CTLS);

	/* The TRUE_ MSRs: the host's must-be-1 bits (it may let some default1 bits be 0). */
	pin = ctl_cap(host->pin_ctls, PIN_OFFERED | (timer ? PIN_BASED_VMX_PREEMPTION_TIMER : 0),
	              0);
	proc = ctl_cap(host->proc_ctls, PROC_OFFERED, 0);
	exit = ctl_cap(host->exit_ctls,
	               EXIT_OFFERED | (timer ? VM_EXIT_SAVE_VMX_PREEMPTION_TIMER : 0), 0);
	entry = ctl_cap(host->entry_ctls, ENTRY_OFFERED, 0);
	set(n, MSR_IA32_VMX_TRUE_PINBASED_CTLS, pin);
	set(n, MSR_IA32_VMX_TRUE_PROCBASED_CTLS, proc);
	set(n, MSR_IA32_VMX_TRUE_EXIT_CTLS, exit);
	set(n, MSR_IA32_VMX_TRUE_ENTRY_CTLS, entry);
	/* The legacy MSRs: default1 bits are must-be-1 (SDM A.2). */
	set(n, MSR_IA32_VMX_PINBASED_CTLS, ctl_cap(pin, ~0u, PIN_BASED_DEFAULT1));
	set(n, MSR_IA32_VMX_PROCBASED_CTLS, ctl_cap(proc, ~0u, CPU_BASED_DEFAULT1));
	set(n, MSR_IA32_VMX_EXIT_CTLS, ctl_cap(exit, ~0u, VM_EXIT_DEFAULT1));
	set(n, MSR_IA32_VMX_ENTRY_CTLS, ctl_cap(entry, ~0u, VM_ENTRY_DEFAULT1));

	/*
	 * The timer's rate if offered; of the activity states only HLT; the
	 * CPU's CR3-target values, up to the four vmcs12 holds (vmcs02 takes
	 * L1's as they are); 512 MSRs.
	 */
	set(n, MSR_IA32_VMX_MISC,
	    (host->misc & (MISC_OFFERED | (timer ? VMX_MISC_TIMER_RATE_MASK : 0))) |
	            (uint64_t)cr3_targets(host->misc) << VMX_MISC_CR3_TARGETS_SHIFT);
	set(n, MSR_IA32_VMX_CR0_FIXED0, host->cr0_fixed0);
	set(n, MSR_IA32_VMX_CR0_FIXED1, host->cr0_fixed1);
	set(n, MSR_IA32_VMX_CR4_FIXED0, host->cr4_fixed0);
	set(n, MSR_IA32_VMX_CR4_FIXED1, host->cr4_fixed1);
	set(n, MSR_IA32_VMX_VMCS_ENUM, (uint64_t)vmcs12_max_index() << VMCS_ENUM_INDEX_SHIFT);

	secondary = vmx_caps_allowed1(proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	if (secondary) {
		uint64_t proc2 = ctl_cap(host->proc2_ctls, PROC2_OFFERED, 0);

		set(n, MSR_IA32_VMX_PROCBASED_CTLS2, proc2);
		vpid = vmx_caps_allowed1(proc2, SECONDARY_EXEC_ENABLE_VPID);
		ept = vmx_caps_allowed1(proc2, SECONDARY_EXEC_ENABLE_EPT);
		if (vpid || ept)
			set(n, MSR_IA32_VMX_EPT_VPID_CAP,
			    host->ept_vpid_cap &
			            ((vpid ? VPID_OFFERED : 0) | (ept ? EPT_OFFERED : 0)));
	}
}

bool nested_caps_msr(const struct nested_caps *n, uint32_t msr, uint64_t *val)
{
	if (msr < NESTED_MSR_FIRST || msr > NESTED_MSR_LAST ||
	    !(n->present & (1u << (msr - NESTED_MSR_FIRST))))
		return false;
	*val = nested_caps_get(n, msr);
	return true;
}

/*
 * The types of an invalidation instruction L1 may use (bit n: type n):
 * none without the instruction's own capability bit, else each type whose
 * bit (type_bits[type], 0 for none) IA32_VMX_EPT_VPID_CAP sets.
 */
static uint32_t inv_types(const struct nested_caps *n, uint64_t insn_bit,
                          const uint64_t type_bits[4])
{
	uint64_t cap = nested_caps_get(n, MSR_IA32_VMX_EPT_VPID_CAP);
	uint32_t types = 0;

	if (!(cap & insn_bit))
		return 0;
	for (unsigned int t = 0; t < 4; t++)
		if (cap & type_bits[t])
			types |= 1u << t;
	return types;
}

uint32_t nested_caps_invvpid_types(const struct nested_caps *n)
{
	static const uint64_t bits[4] = {
	        [INVVPID_INDIVIDUAL_ADDR] = VMX_VPID_INVVPID_INDIVIDUAL_ADDR,
	        [INVVPID_SINGLE_CONTEXT] = VMX_VPID_INVVPID_SINGLE_CONTEXT,
	        [INVVPID_ALL_CONTEXT] = VMX_VPID_INVVPID_ALL_CONTEXT,
	        [INVVPID_SINGLE_CONTEXT_NO_GLOBALS] = VMX_VPID_INVVPID_SINGLE_NO_GLOBAL,
	};

	return inv_types(n, VMX_VPID_INVVPID, bits);
}

uint32_t nested_caps_invept_types(const struct nested_caps *n)
{
	static const uint64_t bits[4] = {
	        [INVEPT_SINGLE_CONTEXT] = VMX_EPT_INVEPT_SINGLE_CONTEXT,
	        [INVEPT_ALL_CONTEXT] = VMX_EPT_INVEPT_ALL_CONTEXT,
	};

	return inv_types(n, VMX_EPT_INVEPT, bits);
}
