/*
 * The SDM's rules for the VMX instructions an L1 executes (Vol. 3 chapter
 * 31, "VMX Instruction Reference": each instruction's pseudo-code): which
 * raise #UD or #GP, which fail and with which VM-instruction error, before
 * Umbra does what a successful one does. Pure, host-tested, in the style
 * of XTF's nested-VMX tests: one check per rule, in the SDM's order.
 */
#ifndef NESTED_NVMX_RULES_H
#define NESTED_NVMX_RULES_H

#include <stdbool.h>
#include <stdint.h>

#define NVMX_NO_VMCS UINT64_MAX /* the current-VMCS pointer when there is none */

enum nvmx_outcome_kind {
	NVMX_OUT_OK,           /* proceed (VMsucceed once done) */
	NVMX_OUT_UD,           /* #UD */
	NVMX_OUT_GP,           /* #GP(0) */
	NVMX_OUT_FAIL_INVALID, /* VMfailInvalid: CF=1 */
	NVMX_OUT_FAIL_VALID,   /* VMfailValid(error): ZF=1, error in the current VMCS */
};

struct nvmx_outcome {
	enum nvmx_outcome_kind kind;
	uint32_t error; /* for NVMX_OUT_FAIL_VALID */
};

/* What the rules look at: the L1 vCPU's state as it sees it. */
struct nvmx_l1_state {
	bool cr0_pe;      /* protected mode */
	bool cr4_vmxe;    /* CR4.VMXE as L1 set it */
	bool rflags_vm;   /* virtual-8086 mode */
	bool compat_mode; /* IA32_EFER.LMA = 1 and CS.L = 0 */
	uint8_t cpl;
	bool in_vmx; /* after VMXON, before VMXOFF */
	uint64_t vmxon_ptr;
	uint64_t current_vmcs; /* NVMX_NO_VMCS when none */
	uint8_t maxphyaddr;    /* physical-address width L1 sees (CPUID 0x80000008) */
	/* Read by nvmx_check_vmxon() only (the emulation fills them for VMXON alone): */
	bool feature_control_ok; /* IA32_FEATURE_CONTROL locked with VMXON outside SMX */
	bool cr_fixed_ok;        /* L1's CR0/CR4 honour the IA32_VMX_CR*_FIXED* it sees */
};

/* VMfail(error): VMfailValid if there is a current VMCS, else VMfailInvalid. */
struct nvmx_outcome nvmx_fail_outcome(const struct nvmx_l1_state *s, uint32_t error);

/* The #UD and #GP checks every VMX instruction but VMXON makes first. */
struct nvmx_outcome nvmx_check_common(const struct nvmx_l1_state *s);

/* VMXON with the region at ptr, whose first word is revision. */
struct nvmx_outcome nvmx_check_vmxon(const struct nvmx_l1_state *s, uint64_t ptr, uint32_t revision,
                                     uint32_t want_revision);
struct nvmx_outcome nvmx_check_vmclear(const struct nvmx_l1_state *s, uint64_t ptr);
/* VMPTRLD of ptr, whose first word is revision (bit 31: a shadow VMCS). */
struct nvmx_outcome nvmx_check_vmptrld(const struct nvmx_l1_state *s, uint64_t ptr,
                                       uint32_t revision, uint32_t want_revision,
                                       bool shadowing_offered);
/* VMREAD/VMWRITE: field_error is vmcs12_read()/vmcs12_write()'s answer (0 or 12/13). */
struct nvmx_outcome nvmx_check_vmread_vmwrite(const struct nvmx_l1_state *s, uint32_t field_error);
/* VMLAUNCH (launch = true) or VMRESUME, up to the checks of the VMCS's contents. */
struct nvmx_outcome nvmx_check_vmlaunch_vmresume(const struct nvmx_l1_state *s, bool launch,
                                                 bool launched, bool blocked_by_mov_ss);
/* INVEPT/INVVPID: type is the register operand; supported_types a bit per supported type. */
struct nvmx_outcome nvmx_check_invalidate(const struct nvmx_l1_state *s, uint64_t type,
                                          uint32_t supported_types);

#endif
