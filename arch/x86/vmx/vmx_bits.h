/*
 * VMX bit definitions from the Intel SDM Vol. 3: the VM-execution, VM-exit
 * and VM-entry control bits (chapter 25), the EPT/VPID capability bits
 * (Appendix A.10), INVEPT/INVVPID types, the basic exit reasons (Appendix C)
 * and the VM-instruction error numbers (section 31.4).
 */
#ifndef ARCH_X86_VMX_VMX_BITS_H
#define ARCH_X86_VMX_VMX_BITS_H

/* Pin-based VM-execution controls (SDM Table 25-5). */
#define PIN_BASED_EXT_INTR_EXITING     (1u << 0)
#define PIN_BASED_NMI_EXITING          (1u << 3)
#define PIN_BASED_VIRTUAL_NMIS         (1u << 5)
#define PIN_BASED_VMX_PREEMPTION_TIMER (1u << 6)
#define PIN_BASED_POSTED_INTR          (1u << 7)
/* Default1 class: reserved bits that must be 1 unless the TRUE_ MSR says otherwise. */
#define PIN_BASED_DEFAULT1 0x00000016u

/*
 * Interruption information: the VM-entry field an injection writes, and the
 * exit's IDT-vectoring field (SDM 25.8.3, 28.2.4).
 */
#define INTR_INFO_VECTOR(i)    ((i)&0xffu)
#define INTR_INFO_TYPE_MASK    (7u << 8)
#define INTR_TYPE_EXT_INTR     (0u << 8)
#define INTR_TYPE_NMI          (2u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)
#define INTR_INFO_DELIVER_CODE (1u << 11)
#define INTR_INFO_RESERVED     0x7ffff000u /* in the VM-entry field */
#define INTR_INFO_VALID        (1u << 31)

/* Guest interruptibility state (SDM Table 25-3). */
#define BLOCK_STI      (1u << 0)
#define BLOCK_MOV_SS   (1u << 1)
#define BLOCK_SMI      (1u << 2)
#define BLOCK_NMI      (1u << 3)
#define BLOCK_ENCLAVE  (1u << 4)
#define BLOCK_RESERVED (~0u << 5)

/* Control-register access exit qualification (SDM Table 28-3). */
#define CR_QUAL_CR(q)    ((q)&15u)
#define CR_QUAL_TYPE(q)  (((q) >> 4) & 3u)
#define CR_QUAL_GPR(q)   (((q) >> 8) & 15u)
#define CR_QUAL_LMSW(q)  (((q) >> 16) & 0xffffu) /* LMSW's source data */
#define CR_TYPE_MOV_TO   0u
#define CR_TYPE_MOV_FROM 1u
#define CR_TYPE_CLTS     2u
#define CR_TYPE_LMSW     3u

/* I/O instruction exit qualification (SDM Table 28-5). */
#define IO_QUAL_SIZE(q) (((q)&7u) + 1) /* bytes: 1, 2 or 4 */
#define IO_QUAL_IN      (1u << 3)
#define IO_QUAL_STRING  (1u << 4)
#define IO_QUAL_REP     (1u << 5)
#define IO_QUAL_PORT(q) (((q) >> 16) & 0xffffu)

/* EPT-violation exit qualification (SDM Table 28-7). */
#define EPT_QUAL_READ          (1ULL << 0)
#define EPT_QUAL_WRITE         (1ULL << 1)
#define EPT_QUAL_FETCH         (1ULL << 2)
#define EPT_QUAL_ACCESS_MASK   0x7ULL /* 2:0 the access that faulted */
#define EPT_QUAL_PERM_SHIFT    3      /* 5:3 the entries' R, W, X AND-ed over the walk */
#define EPT_QUAL_PERM_MASK     (0x7ULL << EPT_QUAL_PERM_SHIFT)
#define EPT_QUAL_GLA_VALID     (1ULL << 7)
#define EPT_QUAL_GLA_XLATE     (1ULL << 8) /* the access was to the linear address, not a walk */
#define EPT_QUAL_NMI_UNBLOCKED (1ULL << 12)

/* Primary processor-based VM-execution controls (SDM Table 25-6). */
#define CPU_BASED_INTR_WINDOW_EXITING         (1u << 2)
#define CPU_BASED_USE_TSC_OFFSETTING          (1u << 3)
#define CPU_BASED_HLT_EXITING                 (1u << 7)
#define CPU_BASED_INVLPG_EXITING              (1u << 9)
#define CPU_BASED_MWAIT_EXITING               (1u << 10)
#define CPU_BASED_RDPMC_EXITING               (1u << 11)
#define CPU_BASED_RDTSC_EXITING               (1u << 12)
#define CPU_BASED_CR3_LOAD_EXITING            (1u << 15)
#define CPU_BASED_CR3_STORE_EXITING           (1u << 16)
#define CPU_BASED_ACTIVATE_TERTIARY_CONTROLS  (1u << 17)
#define CPU_BASED_CR8_LOAD_EXITING            (1u << 19)
#define CPU_BASED_CR8_STORE_EXITING           (1u << 20)
#define CPU_BASED_TPR_SHADOW                  (1u << 21)
#define CPU_BASED_NMI_WINDOW_EXITING          (1u << 22)
#define CPU_BASED_MOV_DR_EXITING              (1u << 23)
#define CPU_BASED_UNCOND_IO_EXITING           (1u << 24)
#define CPU_BASED_USE_IO_BITMAPS              (1u << 25)
#define CPU_BASED_MONITOR_TRAP_FLAG           (1u << 27)
#define CPU_BASED_USE_MSR_BITMAPS             (1u << 28)
#define CPU_BASED_MONITOR_EXITING             (1u << 29)
#define CPU_BASED_PAUSE_EXITING               (1u << 30)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS (1u << 31)
#define CPU_BASED_DEFAULT1                    0x0401e172u

/* Secondary processor-based VM-execution controls (SDM Table 25-7). */
#define SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES (1u << 0)
#define SECONDARY_EXEC_ENABLE_EPT               (1u << 1)
#define SECONDARY_EXEC_DESC_TABLE_EXITING       (1u << 2)
#define SECONDARY_EXEC_ENABLE_RDTSCP            (1u << 3)
#define SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE   (1u << 4)
#define SECONDARY_EXEC_ENABLE_VPID              (1u << 5)
#define SECONDARY_EXEC_WBINVD_EXITING           (1u << 6)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST       (1u << 7)
#define SECONDARY_EXEC_APIC_REGISTER_VIRT       (1u << 8)
#define SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY    (1u << 9)
#define SECONDARY_EXEC_PAUSE_LOOP_EXITING       (1u << 10)
#define SECONDARY_EXEC_RDRAND_EXITING           (1u << 11)
#define SECONDARY_EXEC_ENABLE_INVPCID           (1u << 12)
#define SECONDARY_EXEC_ENABLE_VMFUNC            (1u << 13)
#define SECONDARY_EXEC_VMCS_SHADOWING           (1u << 14)
#define SECONDARY_EXEC_ENCLS_EXITING            (1u << 15)
#define SECONDARY_EXEC_RDSEED_EXITING           (1u << 16)
#define SECONDARY_EXEC_ENABLE_PML               (1u << 17)
#define SECONDARY_EXEC_EPT_VIOLATION_VE         (1u << 18)
#define SECONDARY_EXEC_PT_CONCEAL_VMX           (1u << 19)
#define SECONDARY_EXEC_XSAVES                   (1u << 20)
#define SECONDARY_EXEC_MODE_BASED_EPT_EXEC      (1u << 22)
#define SECONDARY_EXEC_EPT_SUB_PAGE_WRITE       (1u << 23)
#define SECONDARY_EXEC_PT_USE_GPA               (1u << 24)
#define SECONDARY_EXEC_TSC_SCALING              (1u << 25)
#define SECONDARY_EXEC_ENABLE_USER_WAIT_PAUSE   (1u << 26)
#define SECONDARY_EXEC_ENABLE_PCONFIG           (1u << 27)
#define SECONDARY_EXEC_ENCLV_EXITING            (1u << 28)
#define SECONDARY_EXEC_BUS_LOCK_DETECTION       (1u << 30)
#define SECONDARY_EXEC_INSTRUCTION_TIMEOUT      (1u << 31)

/* Primary VM-exit controls (SDM Table 25-13). */
#define VM_EXIT_SAVE_DEBUG_CONTROLS         (1u << 2)
#define VM_EXIT_HOST_ADDR_SPACE_SIZE        (1u << 9)
#define VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL  (1u << 12)
#define VM_EXIT_ACK_INTR_ON_EXIT            (1u << 15)
#define VM_EXIT_SAVE_IA32_PAT               (1u << 18)
#define VM_EXIT_LOAD_IA32_PAT               (1u << 19)
#define VM_EXIT_SAVE_IA32_EFER              (1u << 20)
#define VM_EXIT_LOAD_IA32_EFER              (1u << 21)
#define VM_EXIT_SAVE_VMX_PREEMPTION_TIMER   (1u << 22)
#define VM_EXIT_CLEAR_IA32_BNDCFGS          (1u << 23)
#define VM_EXIT_PT_CONCEAL_PIP              (1u << 24)
#define VM_EXIT_CLEAR_IA32_RTIT_CTL         (1u << 25)
#define VM_EXIT_CLEAR_IA32_LBR_CTL          (1u << 26)
#define VM_EXIT_CLEAR_UINV                  (1u << 27)
#define VM_EXIT_LOAD_CET_STATE              (1u << 28)
#define VM_EXIT_LOAD_PKRS                   (1u << 29)
#define VM_EXIT_SAVE_IA32_PERF_GLOBAL_CTL   (1u << 30)
#define VM_EXIT_ACTIVATE_SECONDARY_CONTROLS (1u << 31)
#define VM_EXIT_DEFAULT1                    0x00036dffu

/* VM-entry controls (SDM Table 25-15). */
#define VM_ENTRY_LOAD_DEBUG_CONTROLS        (1u << 2)
#define VM_ENTRY_IA32E_MODE                 (1u << 9)
#define VM_ENTRY_SMM                        (1u << 10)
#define VM_ENTRY_DEACT_DUAL_MONITOR         (1u << 11)
#define VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL (1u << 13)
#define VM_ENTRY_LOAD_IA32_PAT              (1u << 14)
#define VM_ENTRY_LOAD_IA32_EFER             (1u << 15)
#define VM_ENTRY_LOAD_IA32_BNDCFGS          (1u << 16)
#define VM_ENTRY_PT_CONCEAL_PIP             (1u << 17)
#define VM_ENTRY_LOAD_IA32_RTIT_CTL         (1u << 18)
#define VM_ENTRY_LOAD_UINV                  (1u << 19)
#define VM_ENTRY_LOAD_CET_STATE             (1u << 20)
#define VM_ENTRY_LOAD_IA32_LBR_CTL          (1u << 21)
#define VM_ENTRY_LOAD_PKRS                  (1u << 22)
#define VM_ENTRY_DEFAULT1                   0x000011ffu

/* IA32_VMX_EPT_VPID_CAP (MSR 0x48c) bits (SDM Appendix A.10). */
#define VMX_EPT_EXECUTE_ONLY              (1ULL << 0)
#define VMX_EPT_PAGE_WALK_4               (1ULL << 6)
#define VMX_EPT_PAGE_WALK_5               (1ULL << 7)
#define VMX_EPT_MEMTYPE_UC                (1ULL << 8)
#define VMX_EPT_MEMTYPE_WB                (1ULL << 14)
#define VMX_EPT_2MB_PAGE                  (1ULL << 16)
#define VMX_EPT_1GB_PAGE                  (1ULL << 17)
#define VMX_EPT_INVEPT                    (1ULL << 20)
#define VMX_EPT_AD                        (1ULL << 21)
#define VMX_EPT_ADVANCED_EXIT_INFO        (1ULL << 22)
#define VMX_EPT_SUPERVISOR_SHADOW_STACK   (1ULL << 23)
#define VMX_EPT_INVEPT_SINGLE_CONTEXT     (1ULL << 25)
#define VMX_EPT_INVEPT_ALL_CONTEXT        (1ULL << 26)
#define VMX_VPID_INVVPID                  (1ULL << 32)
#define VMX_VPID_INVVPID_INDIVIDUAL_ADDR  (1ULL << 40)
#define VMX_VPID_INVVPID_SINGLE_CONTEXT   (1ULL << 41)
#define VMX_VPID_INVVPID_ALL_CONTEXT      (1ULL << 42)
#define VMX_VPID_INVVPID_SINGLE_NO_GLOBAL (1ULL << 43)

/* IA32_VMX_VMFUNC (MSR 0x491): the VM functions "enable VM functions" may allow. */
#define VMX_VMFUNC_EPTP_SWITCHING (1ULL << 0)

/* INVEPT and INVVPID types (the register operand). */
#define INVEPT_SINGLE_CONTEXT             1
#define INVEPT_ALL_CONTEXT                2
#define INVVPID_INDIVIDUAL_ADDR           0
#define INVVPID_SINGLE_CONTEXT            1
#define INVVPID_ALL_CONTEXT               2
#define INVVPID_SINGLE_CONTEXT_NO_GLOBALS 3

/* A VMCS region's first word (SDM 25.2): revision identifier, shadow-VMCS indicator. */
#define VMCS_REVISION_MASK    0x7fffffffu
#define SHADOW_VMCS_INDICATOR (1u << 31)

/* Guest activity states (the GUEST_ACTIVITY_STATE field). */
#define VMX_ACTIVITY_ACTIVE    0
#define VMX_ACTIVITY_HLT       1
#define VMX_ACTIVITY_SHUTDOWN  2
#define VMX_ACTIVITY_WAIT_SIPI 3

/* The exit-reason field (SDM Table 25-18): bits 15:0 are the basic exit reason. */
#define EXIT_REASON_BASIC_MASK  0xffffu
#define EXIT_REASON_ENCLAVE     (1u << 27)
#define EXIT_REASON_PENDING_MTF (1u << 28)
#define EXIT_REASON_FROM_ROOT   (1u << 29)
/* Set when VM entry failed (then the basic reason is 33, 34 or 41). */
#define VM_ENTRY_FAILURE (1u << 31)

/* Basic exit reasons (SDM Appendix C). */
#define EXIT_REASON_EXCEPTION_NMI       0
#define EXIT_REASON_EXTERNAL_INTERRUPT  1
#define EXIT_REASON_TRIPLE_FAULT        2
#define EXIT_REASON_INIT_SIGNAL         3
#define EXIT_REASON_SIPI_SIGNAL         4
#define EXIT_REASON_IO_SMI              5
#define EXIT_REASON_OTHER_SMI           6
#define EXIT_REASON_INTERRUPT_WINDOW    7
#define EXIT_REASON_NMI_WINDOW          8
#define EXIT_REASON_TASK_SWITCH         9
#define EXIT_REASON_CPUID               10
#define EXIT_REASON_GETSEC              11
#define EXIT_REASON_HLT                 12
#define EXIT_REASON_INVD                13
#define EXIT_REASON_INVLPG              14
#define EXIT_REASON_RDPMC               15
#define EXIT_REASON_RDTSC               16
#define EXIT_REASON_RSM                 17
#define EXIT_REASON_VMCALL              18
#define EXIT_REASON_VMCLEAR             19
#define EXIT_REASON_VMLAUNCH            20
#define EXIT_REASON_VMPTRLD             21
#define EXIT_REASON_VMPTRST             22
#define EXIT_REASON_VMREAD              23
#define EXIT_REASON_VMRESUME            24
#define EXIT_REASON_VMWRITE             25
#define EXIT_REASON_VMOFF               26
#define EXIT_REASON_VMON                27
#define EXIT_REASON_CR_ACCESS           28
#define EXIT_REASON_DR_ACCESS           29
#define EXIT_REASON_IO_INSTRUCTION      30
#define EXIT_REASON_MSR_READ            31
#define EXIT_REASON_MSR_WRITE           32
#define EXIT_REASON_INVALID_STATE       33
#define EXIT_REASON_MSR_LOAD_FAIL       34
#define EXIT_REASON_MWAIT_INSTRUCTION   36
#define EXIT_REASON_MONITOR_TRAP_FLAG   37
#define EXIT_REASON_MONITOR_INSTRUCTION 39
#define EXIT_REASON_PAUSE_INSTRUCTION   40
#define EXIT_REASON_MCE_DURING_VMENTRY  41
#define EXIT_REASON_TPR_BELOW_THRESHOLD 43
#define EXIT_REASON_APIC_ACCESS         44
#define EXIT_REASON_EOI_INDUCED         45
#define EXIT_REASON_GDTR_IDTR           46
#define EXIT_REASON_LDTR_TR             47
#define EXIT_REASON_EPT_VIOLATION       48
#define EXIT_REASON_EPT_MISCONFIG       49
#define EXIT_REASON_INVEPT              50
#define EXIT_REASON_RDTSCP              51
#define EXIT_REASON_PREEMPTION_TIMER    52
#define EXIT_REASON_INVVPID             53
#define EXIT_REASON_WBINVD              54
#define EXIT_REASON_XSETBV              55
#define EXIT_REASON_APIC_WRITE          56
#define EXIT_REASON_RDRAND              57
#define EXIT_REASON_INVPCID             58
#define EXIT_REASON_VMFUNC              59
#define EXIT_REASON_ENCLS               60
#define EXIT_REASON_RDSEED              61
#define EXIT_REASON_PML_FULL            62
#define EXIT_REASON_XSAVES              63
#define EXIT_REASON_XRSTORS             64
#define EXIT_REASON_PCONFIG             65
#define EXIT_REASON_SPP                 66
#define EXIT_REASON_UMWAIT              67
#define EXIT_REASON_TPAUSE              68
#define EXIT_REASON_LOADIWKEY           69
#define EXIT_REASON_ENCLV               70
#define EXIT_REASON_ENQCMD_PASID_FAIL   72
#define EXIT_REASON_ENQCMDS_PASID_FAIL  73
#define EXIT_REASON_BUS_LOCK            74
#define EXIT_REASON_INSTRUCTION_TIMEOUT 75
#define EXIT_REASON_SEAMCALL            76
#define EXIT_REASON_TDCALL              77
#define EXIT_REASON_RDMSRLIST           78
#define EXIT_REASON_WRMSRLIST           79

/* VM-instruction error numbers (SDM 31.4), read from VM_INSTRUCTION_ERROR. */
#define VMXERR_VMCALL_IN_ROOT                  1
#define VMXERR_VMCLEAR_INVALID_ADDR            2
#define VMXERR_VMCLEAR_VMXON_PTR               3
#define VMXERR_VMLAUNCH_NONCLEAR_VMCS          4
#define VMXERR_VMRESUME_NONLAUNCHED_VMCS       5
#define VMXERR_VMRESUME_AFTER_VMXOFF           6
#define VMXERR_ENTRY_INVALID_CONTROL_FIELD     7
#define VMXERR_ENTRY_INVALID_HOST_STATE_FIELD  8
#define VMXERR_VMPTRLD_INVALID_ADDR            9
#define VMXERR_VMPTRLD_VMXON_PTR               10
#define VMXERR_VMPTRLD_INCORRECT_REVISION_ID   11
#define VMXERR_UNSUPPORTED_VMCS_COMPONENT      12
#define VMXERR_VMWRITE_READ_ONLY_COMPONENT     13
#define VMXERR_VMXON_IN_ROOT                   15
#define VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS    16
#define VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE     17
#define VMXERR_ENTRY_EXECUTIVE_NOT_VMXON_PTR   18
#define VMXERR_VMCALL_NONCLEAR_VMCS            19
#define VMXERR_VMCALL_INVALID_EXIT_CONTROLS    20
#define VMXERR_VMCALL_INCORRECT_MSEG_REVISION  22
#define VMXERR_VMXOFF_UNDER_DUAL_MONITOR       23
#define VMXERR_VMCALL_INVALID_SMM_FEATURES     24
#define VMXERR_ENTRY_INVALID_EXECUTIVE_CONTROL 25
#define VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS  26
#define VMXERR_INVALID_INVEPT_INVVPID_OPERAND  28

#endif
