/*
 * The VMX model-specific registers and their fields (SDM Vol. 3 Appendix A,
 * Vol. 4): defines only, shared by the hypervisor (caps.h) and the guest
 * payloads' mini-hypervisor (tests/guest/lib/vmx.h).
 */
#ifndef ARCH_X86_VMX_VMX_MSRS_H
#define ARCH_X86_VMX_VMX_MSRS_H

/* IA32_FEATURE_CONTROL (MSR 0x3a) bits (SDM Vol. 4). */
#define FEATURE_CONTROL_LOCKED            (1ULL << 0)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1ULL << 2)

/* The capability MSRs (SDM Appendix A). */
#define MSR_IA32_VMX_BASIC               0x480
#define MSR_IA32_VMX_PINBASED_CTLS       0x481
#define MSR_IA32_VMX_PROCBASED_CTLS      0x482
#define MSR_IA32_VMX_EXIT_CTLS           0x483
#define MSR_IA32_VMX_ENTRY_CTLS          0x484
#define MSR_IA32_VMX_MISC                0x485
#define MSR_IA32_VMX_CR0_FIXED0          0x486
#define MSR_IA32_VMX_CR0_FIXED1          0x487
#define MSR_IA32_VMX_CR4_FIXED0          0x488
#define MSR_IA32_VMX_CR4_FIXED1          0x489
#define MSR_IA32_VMX_VMCS_ENUM           0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2     0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP        0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS  0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS      0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS     0x490
#define MSR_IA32_VMX_VMFUNC              0x491

/* IA32_VMX_BASIC fields (SDM A.1). */
#define VMX_BASIC_REVISION_MASK     0x7fffffffULL
#define VMX_BASIC_VMCS_SIZE_SHIFT   32
#define VMX_BASIC_VMCS_SIZE_MASK    0x1fffULL
#define VMX_BASIC_PHYS_ADDR_32      (1ULL << 48) /* VMX structures must lie below 4 GiB */
#define VMX_BASIC_DUAL_MONITOR      (1ULL << 49)
#define VMX_BASIC_MEMTYPE_SHIFT     50
#define VMX_BASIC_MEMTYPE_MASK      0xfULL
#define VMX_BASIC_INS_OUTS_INFO     (1ULL << 54)
#define VMX_BASIC_TRUE_CTLS         (1ULL << 55)
#define VMX_BASIC_NO_HW_ERRCODE_CHK (1ULL << 56)
#define VMX_MEMTYPE_UC              0
#define VMX_MEMTYPE_WB              6

/* IA32_VMX_MISC fields (SDM A.6). */
#define VMX_MISC_TIMER_RATE_MASK     0x1fULL
#define VMX_MISC_SAVE_EFER_LMA       (1ULL << 5)
#define VMX_MISC_ACTIVITY_HLT        (1ULL << 6)
#define VMX_MISC_ACTIVITY_SHUTDOWN   (1ULL << 7)
#define VMX_MISC_ACTIVITY_WAIT_SIPI  (1ULL << 8)
#define VMX_MISC_PT_IN_VMX           (1ULL << 14)
#define VMX_MISC_RDMSR_SMBASE_IN_SMM (1ULL << 15)
#define VMX_MISC_CR3_TARGETS_SHIFT   16
#define VMX_MISC_CR3_TARGETS_MASK    0x1ffULL
#define VMX_MISC_MSR_LIST_SHIFT      25
#define VMX_MISC_MSR_LIST_MASK       0x7ULL
#define VMX_MISC_VMWRITE_ANY_FIELD   (1ULL << 29)
#define VMX_MISC_ZERO_LEN_INJECTION  (1ULL << 30)

#endif
