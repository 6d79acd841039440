/*
 * A Skylake-like host's VMX capability MSRs: the fixture the host tests of
 * the capability decoding and of nested VMX (what L1 is offered) share.
 */
#ifndef TESTS_HOST_SKYLAKE_VMX_H
#define TESTS_HOST_SKYLAKE_VMX_H

#include "arch/x86/vmx/caps.h"

/* A control capability MSR: high half allowed-1 (may be 1), low half allowed-0 (must be 1). */
#define CTLS(allowed1, allowed0) (((uint64_t)(allowed1) << 32) | (uint32_t)(allowed0))

/*
 * Skylake-like IA32_VMX_BASIC: revision 4, 1024-byte VMCS, WB, dual monitor,
 * INS/OUTS info, TRUE_ controls (bits 49, 54, 55), no 32-bit limit (bit 48 clear).
 */
#define SKL_BASIC 0x00da040000000004ULL
/* The non-TRUE controls report the default1 bits as required. */
#define SKL_PIN        CTLS(0x0000007f, PIN_BASED_DEFAULT1)
#define SKL_PROC       CTLS(0xfff9fffe, CPU_BASED_DEFAULT1)
#define SKL_EXIT       CTLS(0x01ffffff, VM_EXIT_DEFAULT1)
#define SKL_ENTRY      CTLS(0x0003ffff, VM_ENTRY_DEFAULT1)
#define SKL_TRUE_PIN   CTLS(0x0000007f, 0x00000016)
#define SKL_TRUE_PROC  CTLS(0xfff9fffe, 0x04006172)
#define SKL_TRUE_EXIT  CTLS(0x01ffffff, 0x00036dfb)
#define SKL_TRUE_ENTRY CTLS(0x0003ffff, 0x000011fb)
/* Secondary controls 0-18, 20, 25 (no SPP, MBEC, PT-use-GPA...). */
#define SKL_PROC2 CTLS(0x0217ffff, 0)
/* Rate 5, HLT/shutdown/wait-for-SIPI, 4 CR3 targets, MSR list N=0, VMWRITE any field. */
#define SKL_MISC 0x000000007004c1e5ULL
/* Execute-only, 4-level walk, UC and WB, 2M and 1G pages, INVEPT (single, all), A/D,
 * advanced exit info; INVVPID (individual, single, all, single-keeping-globals). */
#define SKL_EPT_VPID  0x00000f0106734141ULL
#define SKL_VMCS_ENUM 0x2eULL /* highest field index 23 */

static inline void skylake(struct vmx_cap_msrs *r)
{
	*r = (struct vmx_cap_msrs){
	        .basic = SKL_BASIC,
	        .pinbased_ctls = SKL_PIN,
	        .procbased_ctls = SKL_PROC,
	        .exit_ctls = SKL_EXIT,
	        .entry_ctls = SKL_ENTRY,
	        .misc = SKL_MISC,
	        .cr0_fixed0 = 0x80000021,
	        .cr0_fixed1 = 0xffffffff,
	        .cr4_fixed0 = 0x2000,
	        .cr4_fixed1 = 0x3727ff,
	        .vmcs_enum = SKL_VMCS_ENUM,
	        .procbased_ctls2 = SKL_PROC2,
	        .ept_vpid_cap = SKL_EPT_VPID,
	        .true_pinbased_ctls = SKL_TRUE_PIN,
	        .true_procbased_ctls = SKL_TRUE_PROC,
	        .true_exit_ctls = SKL_TRUE_EXIT,
	        .true_entry_ctls = SKL_TRUE_ENTRY,
	        .vmfunc = VMX_VMFUNC_EPTP_SWITCHING,
	};
}

#endif
