/*
 * The vmcs12 fields: every VMCS field Umbra supports for an L1 hypervisor,
 * in ONE X-macro list. It generates the vmcs12 layout (struct vmcs12), the
 * encoding -> field lookup used by emulated VMREAD/VMWRITE, the dirty
 * bitmap's bit numbers, the hardware shadow-VMCS VMREAD/VMWRITE bitmaps and
 * the host tests' iteration. Nothing else lists fields.
 *
 *   X(name, encoding, width, flags)
 *
 * name      the struct vmcs12 member (the encoding's name in lower case).
 * encoding  the full-access encoding (SDM Vol. 3 Appendix B), named by the
 *           constant of arch/x86/vmx/vmcs_fields.h, or defined below where
 *           that file has none. Always even: the "high" access of a 64-bit
 *           field (encoding | 1) is derived, not listed.
 * width     16, 32, 64 or NAT (natural width: 64 bits, Umbra's L1 is a
 *           64-bit hypervisor). vmcs12.c checks at compile time that it
 *           agrees with encoding bits 14:13.
 * flags     0 or an OR of:
 *   VMCS12_RO         a VM-exit information field (encoding bits 11:10 = 1;
 *                     checked at compile time): VMWRITE fails with
 *                     VM-instruction error 13 unless Umbra advertises
 *                     IA32_VMX_MISC bit 29 ("VMWRITE to any field").
 *   VMCS12_SHADOW_RO  in the hardware shadow VMCS, VMREAD does not exit
 *                     (VMWRITE still does).
 *   VMCS12_SHADOW_RW  in the hardware shadow VMCS, neither VMREAD nor
 *                     VMWRITE exits. Never combined with VMCS12_RO.
 *   VMCS12_RO_SHADOW_RO is VMCS12_RO | VMCS12_SHADOW_RO.
 *
 * What is shadowed, and why. A shadowed field lives in the hardware shadow
 * VMCS while L1 runs, so Umbra copies it there (after VMPTRLD all of them,
 * after every nested VM-exit those the exit stores) and back before every
 * nested VM-entry (shadow -> vmcs12, SHADOW_RW fields only): a SHADOW_RW
 * field costs a VMREAD per round trip whether or not L1 touches it, an
 * exit-information field a VMWRITE (shadow_vmcs.c). So
 * only the fields a typical L1 (KVM, Xen, Hyper-V, Umbra itself) reads or
 * writes on nearly every exit are shadowed, which is what makes "an L2 exit
 * handled by L1 costs exactly two L0 exits" (design.md) hold:
 * - SHADOW_RO, the exit information every exit handler reads: exit reason,
 *   exit qualification, instruction length and information, exit
 *   interruption information and error code, IDT-vectoring information and
 *   error code (re-injection of an event cut short by the exit), guest-
 *   physical address (EPT violations/misconfigurations, L1's MMIO path) and
 *   guest linear address. Read-only to L1, so VMWRITE keeps exiting and
 *   gets its VMfailValid(13) (or, with MISC bit 29, the emulated write,
 *   which must then also update the shadow VMCS copy).
 * - SHADOW_RW: guest RIP (advanced past every emulated instruction), RSP
 *   and RFLAGS (register file, interrupt-window checks), guest
 *   interruptibility (STI/MOV-SS blocking cleared on an instruction skip),
 *   the VM-entry interruption information, exception error code and
 *   instruction length (event injection on most entries), the CR0/CR4 read
 *   shadows (L1 emulating MOV to CR0/CR4 and CLTS/LMSW), the primary
 *   processor-based controls (interrupt- and NMI-window exiting toggled for
 *   every injected interrupt) and the TPR threshold (rewritten on entries
 *   by an L1 that uses the TPR shadow).
 * Left out on purpose: VM-instruction error (read only after a failure
 * Umbra itself reports), guest CR0/CR3/CR4 and segment state (read on
 * some exits only: an exit is cheaper than copying them on every one),
 * host FS/GS base (written on L1 context switches, not per exit).
 *
 * Left out of the table entirely (VMREAD/VMWRITE fail with error 12, as on
 * a processor without the feature; Umbra must not advertise the feature's
 * control to L1): posted-interrupt notification vector and descriptor,
 * EPTP index and list, APIC-access address, EOI-exit bitmaps, guest
 * interrupt status (APIC virtualization and VM functions); PML address and
 * index; VMREAD/VMWRITE bitmap addresses (no VMCS shadowing for L1);
 * executive-VMCS pointer (dual-monitor SMM); PLE gap/window; XSS, ENCLS
 * and ENCLV exiting bitmaps; TSC multiplier; tertiary controls; #VE
 * information address; guest BNDCFGS, RTIT_CTL, LBR_CTL, PKRS, S_CET and
 * the other MSR fields of features Umbra does not virtualize. Kept although
 * optional in hardware: VPID (INVVPID is emulated, so L1 may enable VPID),
 * virtual-APIC address and TPR threshold (the "use TPR shadow" control, not
 * APIC virtualization), the preemption-timer value, SMBASE, and the
 * IA32_PERF_GLOBAL_CTRL guest and host fields (the load controls are a
 * pair; the host field goes with the guest one).
 */
#ifndef NESTED_VMCS12_FIELDS_H
#define NESTED_VMCS12_FIELDS_H

#include "arch/x86/vmx/vmcs_fields.h"

#define VMCS12_RO        (1u << 0)
#define VMCS12_SHADOW_RO (1u << 1)
#define VMCS12_SHADOW_RW (1u << 2)
/* The usual flags of a shadowed exit-information field. */
#define VMCS12_RO_SHADOW_RO (VMCS12_RO | VMCS12_SHADOW_RO)

/* clang-format off */
#define VMCS12_FIELDS(X)                                                                          \
	/* 16-bit control (B.1.1) */                                                              \
	X(virtual_processor_id,          VIRTUAL_PROCESSOR_ID,          16,  0)                   \
	/* 16-bit guest state (B.1.2) */                                                          \
	X(guest_es_selector,             GUEST_ES_SELECTOR,             16,  0)                   \
	X(guest_cs_selector,             GUEST_CS_SELECTOR,             16,  0)                   \
	X(guest_ss_selector,             GUEST_SS_SELECTOR,             16,  0)                   \
	X(guest_ds_selector,             GUEST_DS_SELECTOR,             16,  0)                   \
	X(guest_fs_selector,             GUEST_FS_SELECTOR,             16,  0)                   \
	X(guest_gs_selector,             GUEST_GS_SELECTOR,             16,  0)                   \
	X(guest_ldtr_selector,           GUEST_LDTR_SELECTOR,           16,  0)                   \
	X(guest_tr_selector,             GUEST_TR_SELECTOR,             16,  0)                   \
	/* 16-bit host state (B.1.3) */                                                           \
	X(host_es_selector,              HOST_ES_SELECTOR,              16,  0)                   \
	X(host_cs_selector,              HOST_CS_SELECTOR,              16,  0)                   \
	X(host_ss_selector,              HOST_SS_SELECTOR,              16,  0)                   \
	X(host_ds_selector,              HOST_DS_SELECTOR,              16,  0)                   \
	X(host_fs_selector,              HOST_FS_SELECTOR,              16,  0)                   \
	X(host_gs_selector,              HOST_GS_SELECTOR,              16,  0)                   \
	X(host_tr_selector,              HOST_TR_SELECTOR,              16,  0)                   \
	/* 64-bit control (B.2.1) */                                                              \
	X(io_bitmap_a,                   IO_BITMAP_A,                   64,  0)                   \
	X(io_bitmap_b,                   IO_BITMAP_B,                   64,  0)                   \
	X(msr_bitmap,                    MSR_BITMAP,                    64,  0)                   \
	X(vm_exit_msr_store_addr,        VM_EXIT_MSR_STORE_ADDR,        64,  0)                   \
	X(vm_exit_msr_load_addr,         VM_EXIT_MSR_LOAD_ADDR,         64,  0)                   \
	X(vm_entry_msr_load_addr,        VM_ENTRY_MSR_LOAD_ADDR,        64,  0)                   \
	X(tsc_offset,                    TSC_OFFSET,                    64,  0)                   \
	X(virtual_apic_page_addr,        VIRTUAL_APIC_PAGE_ADDR,        64,  0)                   \
	X(ept_pointer,                   EPT_POINTER,                   64,  0)                   \
	/* 64-bit read-only data (B.2.2) */                                                       \
	X(guest_physical_address,        GUEST_PHYSICAL_ADDRESS,        64,  VMCS12_RO_SHADOW_RO) \
	/* 64-bit guest state (B.2.3) */                                                          \
	X(vmcs_link_pointer,             VMCS_LINK_POINTER,             64,  0)                   \
	X(guest_ia32_debugctl,           GUEST_IA32_DEBUGCTL,           64,  0)                   \
	X(guest_ia32_pat,                GUEST_IA32_PAT,                64,  0)                   \
	X(guest_ia32_efer,               GUEST_IA32_EFER,               64,  0)                   \
	X(guest_ia32_perf_global_ctrl,   GUEST_IA32_PERF_GLOBAL_CTRL,   64,  0)                   \
	X(guest_pdptr0,                  GUEST_PDPTR0,                  64,  0)                   \
	X(guest_pdptr1,                  GUEST_PDPTR1,                  64,  0)                   \
	X(guest_pdptr2,                  GUEST_PDPTR2,                  64,  0)                   \
	X(guest_pdptr3,                  GUEST_PDPTR3,                  64,  0)                   \
	/* 64-bit host state (B.2.4) */                                                           \
	X(host_ia32_pat,                 HOST_IA32_PAT,                 64,  0)                   \
	X(host_ia32_efer,                HOST_IA32_EFER,                64,  0)                   \
	X(host_ia32_perf_global_ctrl,    HOST_IA32_PERF_GLOBAL_CTRL,    64,  0)                   \
	/* 32-bit control (B.3.1) */                                                              \
	X(pin_based_vm_exec_control,     PIN_BASED_VM_EXEC_CONTROL,     32,  0)                   \
	X(cpu_based_vm_exec_control,     CPU_BASED_VM_EXEC_CONTROL,     32,  VMCS12_SHADOW_RW)    \
	X(exception_bitmap,              EXCEPTION_BITMAP,              32,  0)                   \
	X(page_fault_error_code_mask,    PAGE_FAULT_ERROR_CODE_MASK,    32,  0)                   \
	X(page_fault_error_code_match,   PAGE_FAULT_ERROR_CODE_MATCH,   32,  0)                   \
	X(cr3_target_count,              CR3_TARGET_COUNT,              32,  0)                   \
	X(vm_exit_controls,              VM_EXIT_CONTROLS,              32,  0)                   \
	X(vm_exit_msr_store_count,       VM_EXIT_MSR_STORE_COUNT,       32,  0)                   \
	X(vm_exit_msr_load_count,        VM_EXIT_MSR_LOAD_COUNT,        32,  0)                   \
	X(vm_entry_controls,             VM_ENTRY_CONTROLS,             32,  0)                   \
	X(vm_entry_msr_load_count,       VM_ENTRY_MSR_LOAD_COUNT,       32,  0)                   \
	X(vm_entry_intr_info_field,      VM_ENTRY_INTR_INFO_FIELD,      32,  VMCS12_SHADOW_RW)    \
	X(vm_entry_exception_error_code, VM_ENTRY_EXCEPTION_ERROR_CODE, 32,  VMCS12_SHADOW_RW)    \
	X(vm_entry_instruction_len,      VM_ENTRY_INSTRUCTION_LEN,      32,  VMCS12_SHADOW_RW)    \
	X(tpr_threshold,                 TPR_THRESHOLD,                 32,  VMCS12_SHADOW_RW)    \
	X(secondary_vm_exec_control,     SECONDARY_VM_EXEC_CONTROL,     32,  0)                   \
	/* 32-bit read-only data (B.3.2) */                                                       \
	X(vm_instruction_error,          VM_INSTRUCTION_ERROR,          32,  VMCS12_RO)           \
	X(vm_exit_reason,                VM_EXIT_REASON,                32,  VMCS12_RO_SHADOW_RO) \
	X(vm_exit_intr_info,             VM_EXIT_INTR_INFO,             32,  VMCS12_RO_SHADOW_RO) \
	X(vm_exit_intr_error_code,       VM_EXIT_INTR_ERROR_CODE,       32,  VMCS12_RO_SHADOW_RO) \
	X(idt_vectoring_info_field,      IDT_VECTORING_INFO_FIELD,      32,  VMCS12_RO_SHADOW_RO) \
	X(idt_vectoring_error_code,      IDT_VECTORING_ERROR_CODE,      32,  VMCS12_RO_SHADOW_RO) \
	X(vm_exit_instruction_len,       VM_EXIT_INSTRUCTION_LEN,       32,  VMCS12_RO_SHADOW_RO) \
	X(vmx_instruction_info,          VMX_INSTRUCTION_INFO,          32,  VMCS12_RO_SHADOW_RO) \
	/* 32-bit guest state (B.3.3) */                                                          \
	X(guest_es_limit,                GUEST_ES_LIMIT,                32,  0)                   \
	X(guest_cs_limit,                GUEST_CS_LIMIT,                32,  0)                   \
	X(guest_ss_limit,                GUEST_SS_LIMIT,                32,  0)                   \
	X(guest_ds_limit,                GUEST_DS_LIMIT,                32,  0)                   \
	X(guest_fs_limit,                GUEST_FS_LIMIT,                32,  0)                   \
	X(guest_gs_limit,                GUEST_GS_LIMIT,                32,  0)                   \
	X(guest_ldtr_limit,              GUEST_LDTR_LIMIT,              32,  0)                   \
	X(guest_tr_limit,                GUEST_TR_LIMIT,                32,  0)                   \
	X(guest_gdtr_limit,              GUEST_GDTR_LIMIT,              32,  0)                   \
	X(guest_idtr_limit,              GUEST_IDTR_LIMIT,              32,  0)                   \
	X(guest_es_ar_bytes,             GUEST_ES_AR_BYTES,             32,  0)                   \
	X(guest_cs_ar_bytes,             GUEST_CS_AR_BYTES,             32,  0)                   \
	X(guest_ss_ar_bytes,             GUEST_SS_AR_BYTES,             32,  0)                   \
	X(guest_ds_ar_bytes,             GUEST_DS_AR_BYTES,             32,  0)                   \
	X(guest_fs_ar_bytes,             GUEST_FS_AR_BYTES,             32,  0)                   \
	X(guest_gs_ar_bytes,             GUEST_GS_AR_BYTES,             32,  0)                   \
	X(guest_ldtr_ar_bytes,           GUEST_LDTR_AR_BYTES,           32,  0)                   \
	X(guest_tr_ar_bytes,             GUEST_TR_AR_BYTES,             32,  0)                   \
	X(guest_interruptibility_info,   GUEST_INTERRUPTIBILITY_INFO,   32,  VMCS12_SHADOW_RW)    \
	X(guest_activity_state,          GUEST_ACTIVITY_STATE,          32,  0)                   \
	X(guest_smbase,                  GUEST_SMBASE,                  32,  0)                   \
	X(guest_sysenter_cs,             GUEST_SYSENTER_CS,             32,  0)                   \
	X(vmx_preemption_timer_value,    VMX_PREEMPTION_TIMER_VALUE,    32,  0)                   \
	/* 32-bit host state (B.3.4) */                                                           \
	X(host_ia32_sysenter_cs,         HOST_IA32_SYSENTER_CS,         32,  0)                   \
	/* Natural-width control (B.4.1) */                                                       \
	X(cr0_guest_host_mask,           CR0_GUEST_HOST_MASK,           NAT, 0)                   \
	X(cr4_guest_host_mask,           CR4_GUEST_HOST_MASK,           NAT, 0)                   \
	X(cr0_read_shadow,               CR0_READ_SHADOW,               NAT, VMCS12_SHADOW_RW)    \
	X(cr4_read_shadow,               CR4_READ_SHADOW,               NAT, VMCS12_SHADOW_RW)    \
	X(cr3_target_value0,             CR3_TARGET_VALUE0,             NAT, 0)                   \
	X(cr3_target_value1,             CR3_TARGET_VALUE1,             NAT, 0)                   \
	X(cr3_target_value2,             CR3_TARGET_VALUE2,             NAT, 0)                   \
	X(cr3_target_value3,             CR3_TARGET_VALUE3,             NAT, 0)                   \
	/* Natural-width read-only data (B.4.2) */                                                \
	X(exit_qualification,            EXIT_QUALIFICATION,            NAT, VMCS12_RO_SHADOW_RO) \
	X(io_rcx,                        IO_RCX,                        NAT, VMCS12_RO)           \
	X(io_rsi,                        IO_RSI,                        NAT, VMCS12_RO)           \
	X(io_rdi,                        IO_RDI,                        NAT, VMCS12_RO)           \
	X(io_rip,                        IO_RIP,                        NAT, VMCS12_RO)           \
	X(guest_linear_address,          GUEST_LINEAR_ADDRESS,          NAT, VMCS12_RO_SHADOW_RO) \
	/* Natural-width guest state (B.4.3) */                                                   \
	X(guest_cr0,                     GUEST_CR0,                     NAT, 0)                   \
	X(guest_cr3,                     GUEST_CR3,                     NAT, 0)                   \
	X(guest_cr4,                     GUEST_CR4,                     NAT, 0)                   \
	X(guest_es_base,                 GUEST_ES_BASE,                 NAT, 0)                   \
	X(guest_cs_base,                 GUEST_CS_BASE,                 NAT, 0)                   \
	X(guest_ss_base,                 GUEST_SS_BASE,                 NAT, 0)                   \
	X(guest_ds_base,                 GUEST_DS_BASE,                 NAT, 0)                   \
	X(guest_fs_base,                 GUEST_FS_BASE,                 NAT, 0)                   \
	X(guest_gs_base,                 GUEST_GS_BASE,                 NAT, 0)                   \
	X(guest_ldtr_base,               GUEST_LDTR_BASE,               NAT, 0)                   \
	X(guest_tr_base,                 GUEST_TR_BASE,                 NAT, 0)                   \
	X(guest_gdtr_base,               GUEST_GDTR_BASE,               NAT, 0)                   \
	X(guest_idtr_base,               GUEST_IDTR_BASE,               NAT, 0)                   \
	X(guest_dr7,                     GUEST_DR7,                     NAT, 0)                   \
	X(guest_rsp,                     GUEST_RSP,                     NAT, VMCS12_SHADOW_RW)    \
	X(guest_rip,                     GUEST_RIP,                     NAT, VMCS12_SHADOW_RW)    \
	X(guest_rflags,                  GUEST_RFLAGS,                  NAT, VMCS12_SHADOW_RW)    \
	X(guest_pending_dbg_exceptions,  GUEST_PENDING_DBG_EXCEPTIONS,  NAT, 0)                   \
	X(guest_sysenter_esp,            GUEST_SYSENTER_ESP,            NAT, 0)                   \
	X(guest_sysenter_eip,            GUEST_SYSENTER_EIP,            NAT, 0)                   \
	/* Natural-width host state (B.4.4) */                                                    \
	X(host_cr0,                      HOST_CR0,                      NAT, 0)                   \
	X(host_cr3,                      HOST_CR3,                      NAT, 0)                   \
	X(host_cr4,                      HOST_CR4,                      NAT, 0)                   \
	X(host_fs_base,                  HOST_FS_BASE,                  NAT, 0)                   \
	X(host_gs_base,                  HOST_GS_BASE,                  NAT, 0)                   \
	X(host_tr_base,                  HOST_TR_BASE,                  NAT, 0)                   \
	X(host_gdtr_base,                HOST_GDTR_BASE,                NAT, 0)                   \
	X(host_idtr_base,                HOST_IDTR_BASE,                NAT, 0)                   \
	X(host_ia32_sysenter_esp,        HOST_IA32_SYSENTER_ESP,        NAT, 0)                   \
	X(host_ia32_sysenter_eip,        HOST_IA32_SYSENTER_EIP,        NAT, 0)                   \
	X(host_rsp,                      HOST_RSP,                      NAT, 0)                   \
	X(host_rip,                      HOST_RIP,                      NAT, 0)
/* clang-format on */

#endif
