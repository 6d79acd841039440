/*
 * VMX capabilities: the IA32_VMX_* MSRs read once by the BSP (caps_read.c,
 * the only part that touches hardware), decoded into one snapshot that
 * one-line predicates answer from (all CPUs of a machine are assumed
 * alike), and the pure arithmetic over them: adjusting wanted controls to
 * what the CPU allows, CR0/CR4 fixed bits, the preemption timer's range.
 */
#ifndef ARCH_X86_VMX_CAPS_H
#define ARCH_X86_VMX_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_msrs.h"

/*
 * Raw MSR values. An MSR the CPU does not have (see vmx_cap_msrs_read)
 * stays 0, which decodes as "nothing allowed".
 */
struct vmx_cap_msrs {
	uint64_t basic;
	uint64_t pinbased_ctls, procbased_ctls, exit_ctls, entry_ctls;
	uint64_t misc;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t vmcs_enum;
	uint64_t procbased_ctls2;
	uint64_t ept_vpid_cap;
	uint64_t true_pinbased_ctls, true_procbased_ctls, true_exit_ctls, true_entry_ctls;
	uint64_t vmfunc;
};

/*
 * The decoded snapshot. Each *_ctls is a control capability as the CPU
 * reports it: low 32 bits allowed-0 settings (bits that must be 1), high
 * 32 bits allowed-1 settings (bits that may be 1), from the TRUE_ MSR when
 * the CPU has them. Capabilities that do not exist are 0.
 */
struct vmx_caps {
	uint32_t revision_id;
	uint32_t vmcs_size;       /* bytes of a VMCS or VMXON region */
	uint32_t vmcs_memtype;    /* memory type for VMX structures: VMX_MEMTYPE_* */
	bool true_ctls;           /* the *_ctls below come from the TRUE_ MSRs */
	bool phys_addr_32;        /* VMX structures must be below 4 GiB */
	bool ins_outs_info;       /* INS/OUTS exits report instruction information */
	bool no_hw_errcode_check; /* any hardware exception may be injected with or without a code */
	uint64_t pin_ctls, proc_ctls, proc2_ctls, exit_ctls, entry_ctls;
	uint64_t misc;
	uint32_t preemption_timer_rate; /* the timer ticks every 2^rate TSC cycles */
	uint32_t cr3_target_count;
	uint32_t max_msr_list; /* recommended maximum entries per MSR load/store list */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint32_t vmcs_max_index; /* highest index of any VMCS field encoding */
	uint64_t ept_vpid_cap;   /* VMX_EPT_* and VMX_VPID_* bits */
	uint64_t vmfunc;         /* VMX_VMFUNC_* bits */
};

/* Filled once by the BSP (vmx_platform_check), then only read. */
extern struct vmx_caps vmx_caps;

/* Hardware: reads the capability MSRs this CPU has; the others are left 0. */
void vmx_cap_msrs_read(struct vmx_cap_msrs *raw);

/* Decodes raw MSR values into c (pure). */
void vmx_caps_decode(struct vmx_caps *c, const struct vmx_cap_msrs *raw);

/*
 * `vmx_hide=` on Umbra's command line: a comma-separated list of VMX
 * features to take out of raw before it is decoded, so that Umbra runs as
 * on a CPU without them (each fallback tested on one CPU, docs/nested.md):
 * shadowing (VMCS shadowing), ept_ad (EPT accessed/dirty flags), ept_1g
 * (1 GiB EPT pages), timer (the VMX-preemption timer), timer_save (saving
 * its value on exit), and what Umbra needs, to see it refused by name:
 * ept, ug (unrestricted guest), vpid. Returns 0, or -1 with the first
 * unknown name copied to bad (bad_size bytes).
 */
int vmx_caps_hide(struct vmx_cap_msrs *raw, const char *list, char *bad, unsigned int bad_size);

/* True if every bit of `bits` may be 1 under control capability `cap`. */
static inline bool vmx_caps_allowed1(uint64_t cap, uint32_t bits)
{
	return ((uint32_t)(cap >> 32) & bits) == bits;
}

/*
 * The control value for `cap`: its allowed-0 bits, plus the required and
 * optional bits it allows. Returns 0, or -1 if some required bits are not
 * allowed-1: then *missing holds them and *out is not written. *missing is
 * 0 on success.
 */
int vmx_adjust_controls(uint32_t required, uint32_t optional, uint64_t cap, uint32_t *out,
                        uint32_t *missing);

/* True if VMXON may run outside SMX: unlocked (we can enable it), or locked with it enabled. */
bool vmx_feature_control_allows(uint64_t fc);
/*
 * The value to write before VMXON: an unlocked MSR gets VMXON-outside-SMX
 * and the lock (the SDM's recipe; a reset clears it); a locked one stays.
 */
uint64_t vmx_feature_control_to_write(uint64_t fc);

/* CR0/CR4 forced to VMX's fixed bits: (value | fixed0) & fixed1. */
uint64_t vmx_fixed_cr(uint64_t value, uint64_t fixed0, uint64_t fixed1);
/* True if value already honours the fixed bits. */
bool vmx_cr_valid(uint64_t value, uint64_t fixed0, uint64_t fixed1);

/*
 * Milliseconds (rounded down) the preemption timer takes to count down
 * from its maximum, 0xffffffff, at TSC / 2^rate_shift; 0 if tsc_khz is
 * unknown (0).
 */
uint64_t vmx_preemption_timer_max_ms(uint32_t rate_shift, uint64_t tsc_khz);

/* Predicates over vmx_caps. */
static inline bool cpu_has_vmx_secondary_exec(void)
{
	return vmx_caps_allowed1(vmx_caps.proc_ctls, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
}
static inline bool cpu_has_vmx_ept(void)
{
	return vmx_caps_allowed1(vmx_caps.proc2_ctls, SECONDARY_EXEC_ENABLE_EPT);
}
static inline bool cpu_has_vmx_vpid(void)
{
	return vmx_caps_allowed1(vmx_caps.proc2_ctls, SECONDARY_EXEC_ENABLE_VPID);
}
static inline bool cpu_has_vmx_unrestricted_guest(void)
{
	return vmx_caps_allowed1(vmx_caps.proc2_ctls, SECONDARY_EXEC_UNRESTRICTED_GUEST);
}
static inline bool cpu_has_vmx_vmcs_shadowing(void)
{
	return vmx_caps_allowed1(vmx_caps.proc2_ctls, SECONDARY_EXEC_VMCS_SHADOWING);
}
static inline bool cpu_has_vmx_vmfunc(void)
{
	return vmx_caps_allowed1(vmx_caps.proc2_ctls, SECONDARY_EXEC_ENABLE_VMFUNC);
}
static inline bool cpu_has_vmx_preemption_timer(void)
{
	return vmx_caps_allowed1(vmx_caps.pin_ctls, PIN_BASED_VMX_PREEMPTION_TIMER);
}
static inline bool cpu_has_vmx_save_preemption_timer(void)
{
	return vmx_caps_allowed1(vmx_caps.exit_ctls, VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
}
static inline bool cpu_has_vmx_ept_4levels(void)
{
	return vmx_caps.ept_vpid_cap & VMX_EPT_PAGE_WALK_4;
}
static inline bool cpu_has_vmx_ept_wb(void)
{
	return vmx_caps.ept_vpid_cap & VMX_EPT_MEMTYPE_WB;
}
static inline bool cpu_has_vmx_ept_2m_pages(void)
{
	return vmx_caps.ept_vpid_cap & VMX_EPT_2MB_PAGE;
}
static inline bool cpu_has_vmx_ept_1g_pages(void)
{
	return vmx_caps.ept_vpid_cap & VMX_EPT_1GB_PAGE;
}
static inline bool cpu_has_vmx_ept_ad(void)
{
	return vmx_caps.ept_vpid_cap & VMX_EPT_AD;
}
static inline bool cpu_has_vmx_ept_execute_only(void)
{
	return vmx_caps.ept_vpid_cap & VMX_EPT_EXECUTE_ONLY;
}
static inline bool cpu_has_vmx_invept_single(void)
{
	return (vmx_caps.ept_vpid_cap & (VMX_EPT_INVEPT | VMX_EPT_INVEPT_SINGLE_CONTEXT)) ==
	       (VMX_EPT_INVEPT | VMX_EPT_INVEPT_SINGLE_CONTEXT);
}
static inline bool cpu_has_vmx_invept_all(void)
{
	return (vmx_caps.ept_vpid_cap & (VMX_EPT_INVEPT | VMX_EPT_INVEPT_ALL_CONTEXT)) ==
	       (VMX_EPT_INVEPT | VMX_EPT_INVEPT_ALL_CONTEXT);
}
static inline bool cpu_has_vmx_invvpid_single(void)
{
	return (vmx_caps.ept_vpid_cap & (VMX_VPID_INVVPID | VMX_VPID_INVVPID_SINGLE_CONTEXT)) ==
	       (VMX_VPID_INVVPID | VMX_VPID_INVVPID_SINGLE_CONTEXT);
}
static inline bool cpu_has_vmx_invvpid_all(void)
{
	return (vmx_caps.ept_vpid_cap & (VMX_VPID_INVVPID | VMX_VPID_INVVPID_ALL_CONTEXT)) ==
	       (VMX_VPID_INVVPID | VMX_VPID_INVVPID_ALL_CONTEXT);
}
/* Load on entry and on exit: what switching the MSR between guest and host needs. */
static inline bool cpu_has_vmx_load_efer(void)
{
	return vmx_caps_allowed1(vmx_caps.entry_ctls, VM_ENTRY_LOAD_IA32_EFER) &&
	       vmx_caps_allowed1(vmx_caps.exit_ctls, VM_EXIT_LOAD_IA32_EFER);
}
static inline bool cpu_has_vmx_save_efer(void)
{
	return vmx_caps_allowed1(vmx_caps.exit_ctls, VM_EXIT_SAVE_IA32_EFER);
}
static inline bool cpu_has_vmx_load_pat(void)
{
	return vmx_caps_allowed1(vmx_caps.entry_ctls, VM_ENTRY_LOAD_IA32_PAT) &&
	       vmx_caps_allowed1(vmx_caps.exit_ctls, VM_EXIT_LOAD_IA32_PAT);
}
static inline bool cpu_has_vmx_save_pat(void)
{
	return vmx_caps_allowed1(vmx_caps.exit_ctls, VM_EXIT_SAVE_IA32_PAT);
}
static inline bool cpu_has_vmx_msr_bitmaps(void)
{
	return vmx_caps_allowed1(vmx_caps.proc_ctls, CPU_BASED_USE_MSR_BITMAPS);
}
static inline bool cpu_has_vmx_io_bitmaps(void)
{
	return vmx_caps_allowed1(vmx_caps.proc_ctls, CPU_BASED_USE_IO_BITMAPS);
}
static inline bool cpu_has_vmx_tsc_offsetting(void)
{
	return vmx_caps_allowed1(vmx_caps.proc_ctls, CPU_BASED_USE_TSC_OFFSETTING);
}
static inline bool cpu_has_vmx_hlt_exiting(void)
{
	return vmx_caps_allowed1(vmx_caps.proc_ctls, CPU_BASED_HLT_EXITING);
}
static inline bool cpu_has_vmx_activity_hlt(void)
{
	return vmx_caps.misc & VMX_MISC_ACTIVITY_HLT;
}

#endif
