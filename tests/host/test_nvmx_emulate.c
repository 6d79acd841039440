/*
 * Host tests of nested/nvmx_emulate.c, nested_entry.c and nested.c on the
 * fake VMCS: the VMX instructions an L1 executes, from the exit of its
 * instruction on vmcs01 to its outcome (VMsucceed, VMfail, a fault, or the
 * nested VM entry of VMLAUNCH/VMRESUME with vmcs02 current).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_msrs.h"
#include "fake_vmcs.h"
#include "nested/nested.h"
#include "nested/nested_internal.h"
#include "nested/nvmx_rules.h"
#include "nested_env.h"
#include "vcpu/guest_walk.h"
#include "abi/umbra_abi.h"

#define L1_RIP      0x1000
#define INSN_LEN    3
#define OPERAND_GPA 0x100 /* the memory operand */
#define VMXON_GPA   0x2000
#define VMCS12_GPA  0x3000
#define OTHER_GPA   0x4000
#define MSR_GPA     0x8000
#define RFLAGS_CF   (1ULL << 0)
#define RFLAGS_ZF   (1ULL << 6)
#define SS_AR_CPL3  (0x93u | 3u << 5) /* a data segment, DPL 3 */
#define REG_RAX     0
#define REG_RCX     1
#define REG_RDX     2
/* VMX-instruction information (SDM Vol. 3 28.2.5): [disp32] through DS, 64-bit address. */
#define INFO_MEM_DS (2u << 7 | 3u << 15 | 1u << 22 | 1u << 27)
/* ...through SS, with RSP as base. */
#define INFO_MEM_SS (2u << 7 | 2u << 15 | 1u << 22 | 4u << 23)
/* A register operand: reg1 and reg2. */
#define INFO_REG(reg1, reg2) ((reg1) << 3 | 1u << 10 | (uint32_t)(reg2) << 28)
#define INFO_MEM_REG2(reg2)  (INFO_MEM_DS | (uint32_t)(reg2) << 28)

static struct vcpu *v;
static struct nested_vmx *n;
static uint64_t pa01;

static int setup(void **state)
{
	(void)state;
	fake_env_reset();
	v = fake_l1_vcpu(true);
	n = &v->nested;
	n->feature_control = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX;
	pa01 = v->vmcs.vmcs_pa;
	n->vmxon_ptr = VMXON_GPA;
	*(uint32_t *)fake_gpa(VMXON_GPA) = VMCS12_REVISION_ID;
	return 0;
}

/* L1 executed the instruction of exit `basic`: Umbra emulates it; the registers reach vmcs01. */
static void insn(uint32_t basic, uint32_t info, uint64_t disp)
{
	fake_vmcs_set(pa01, GUEST_RIP, L1_RIP);
	fake_vmcs_set(pa01, GUEST_RFLAGS, 0x2 | RFLAGS_CF | RFLAGS_ZF);
	fake_vmcs_set(pa01, VM_EXIT_INSTRUCTION_LEN, INSN_LEN);
	fake_vmcs_set(pa01, VMX_INSTRUCTION_INFO, info);
	fake_vmcs_set(pa01, EXIT_QUALIFICATION, disp);
	reg_cache_reset(&v->regs);
	fake_env.exceptions = 0;
	v->stats.total_exits++; /* counted as vcpu_run() counts each exit */
	/* Dispatched as vcpu/exit_dispatch.c does. */
	if (basic == EXIT_REASON_VMRESUME)
		nested_exit_vmresume(v);
	else
		nested_exit_vmx_instruction(v, basic);
	if (v->loaded == &v->vmcs)
		reg_cache_flush(&v->regs);
}

static void assert_succeeded(void)
{
	assert_int_equal(fake_env.exceptions, 0);
	assert_int_equal(fake_vmcs_get(pa01, GUEST_RFLAGS), 0x2);
	assert_int_equal(fake_vmcs_get(pa01, GUEST_RIP), L1_RIP + INSN_LEN);
}

static void assert_failed(uint64_t flag, uint32_t error)
{
	assert_int_equal(fake_env.exceptions, 0);
	assert_int_equal(fake_vmcs_get(pa01, GUEST_RFLAGS), 0x2 | flag);
	assert_int_equal(fake_vmcs_get(pa01, GUEST_RIP), L1_RIP + INSN_LEN);
	if (flag == RFLAGS_ZF)
		assert_int_equal(n->vmcs12->vm_instruction_error, error);
}

static void assert_fault(uint8_t vector)
{
	assert_int_equal(fake_env.exceptions, 1);
	assert_int_equal(fake_env.vector, vector);
	assert_int_equal(fake_vmcs_get(pa01, GUEST_RIP), L1_RIP);
}

/* VMPTRLD of the vmcs12 at gpa (its region holds `c` if not NULL). */
static void l1_vmptrld(uint64_t gpa, const struct vmcs12 *c)
{
	struct vmcs12 *region = fake_gpa(gpa);

	if (c)
		*region = *c;
	region->revision_id = VMCS12_REVISION_ID;
	*(uint64_t *)fake_gpa(OPERAND_GPA) = gpa;
	insn(EXIT_REASON_VMPTRLD, INFO_MEM_DS, OPERAND_GPA);
}

static void test_vmxoff_vmxon(void **state)
{
	(void)state;
	insn(EXIT_REASON_VMOFF, 0, 0);
	assert_succeeded();
	assert_false(n->vmxon);
	/* Outside VMX operation, the other instructions do not exist. */
	insn(EXIT_REASON_VMPTRST, INFO_MEM_DS, OPERAND_GPA);
	assert_fault(VECTOR_UD);
	*(uint64_t *)fake_gpa(OPERAND_GPA) = VMXON_GPA;
	insn(EXIT_REASON_VMON, INFO_MEM_DS, OPERAND_GPA);
	assert_succeeded();
	assert_true(n->vmxon);
	assert_int_equal(n->vmxon_ptr, VMXON_GPA);
	assert_int_equal(n->current_ptr, NVMX_NO_VMCS);
	/* In VMX operation already: VMfailInvalid without a current VMCS. */
	insn(EXIT_REASON_VMON, INFO_MEM_DS, OPERAND_GPA);
	assert_failed(RFLAGS_CF, 0);
}

static void test_vmxon_faults(void **state)
{
	(void)state;
	n->vmxon = false;
	/* A region of the wrong revision: VMfailInvalid. */
	*(uint64_t *)fake_gpa(OPERAND_GPA) = OTHER_GPA;
	insn(EXIT_REASON_VMON, INFO_MEM_DS, OPERAND_GPA);
	assert_failed(RFLAGS_CF, 0);
	assert_false(n->vmxon);
	/* The operand cannot be read: the fault is injected. */
	fake_env.linear_rc = GUEST_WALK_ERR(GUEST_WALK_NOT_PRESENT, 1);
	insn(EXIT_REASON_VMON, INFO_MEM_DS, OPERAND_GPA);
	assert_int_equal(fake_env.access_faults, 1);
	assert_int_equal(fake_env.fault_la, OPERAND_GPA);
	/* A non-canonical address through SS: #SS(0). */
	fake_env.linear_rc = GUEST_WALK_ERR(GUEST_WALK_NONCANONICAL, 0);
	insn(EXIT_REASON_VMON, INFO_MEM_SS, 0);
	assert_fault(VECTOR_SS);
	fake_env.linear_rc = 0;
	/* CPL 3 (SS.DPL, vcpu_cpl): #GP. */
	fake_vmcs_set(pa01, GUEST_SS_AR_BYTES, SS_AR_CPL3);
	insn(EXIT_REASON_VMON, INFO_MEM_DS, OPERAND_GPA);
	assert_fault(VECTOR_GP);
	/* IA32_FEATURE_CONTROL not locked: #GP. */
	fake_vmcs_set(pa01, GUEST_SS_AR_BYTES, 0);
	n->feature_control = 0;
	insn(EXIT_REASON_VMON, INFO_MEM_DS, OPERAND_GPA);
	assert_fault(VECTOR_GP);
}

static void test_vmptrld_vmptrst(void **state)
{
	struct vmcs12 c = {0};

	(void)state;
	c.guest_rip = 0x4321;
	c.launch_state = 77; /* garbage: taken as clear */
	l1_vmptrld(VMCS12_GPA, &c);
	assert_succeeded();
	assert_int_equal(n->current_ptr, VMCS12_GPA);
	assert_int_equal(n->vmcs12->guest_rip, 0x4321);
	assert_int_equal(n->vmcs12->launch_state, VMCS12_LAUNCH_CLEAR);
	assert_true(vmcs12_dirty_test(&n->vmcs12->dirty, VMCS12_IDX_GUEST_RIP));
	/* The shadow VMCS is linked and holds the hot fields. */
	assert_true(n->shadow_active);
	assert_int_equal(fake_vmcs_get(n->shadow_pa, GUEST_RIP), 0x4321);
	assert_int_equal(fake_vmptrst(), pa01);
	/* VMPTRST stores it. */
	insn(EXIT_REASON_VMPTRST, INFO_MEM_DS, OPERAND_GPA + 8);
	assert_succeeded();
	assert_int_equal(*(uint64_t *)fake_gpa(OPERAND_GPA + 8), VMCS12_GPA);
	/* The VMXON region cannot be a VMCS: VMfailValid(10). */
	l1_vmptrld(VMXON_GPA, NULL);
	assert_failed(RFLAGS_ZF, VMXERR_VMPTRLD_VMXON_PTR);
	/* Another VMCS: the first is written back to L1's memory, the shadow's fields too. */
	n->vmcs12->host_rip = 0x5555;
	fake_vmcs_set(n->shadow_pa, GUEST_RIP, 0x4324);
	l1_vmptrld(OTHER_GPA, NULL);
	assert_succeeded();
	assert_int_equal(((struct vmcs12 *)fake_gpa(VMCS12_GPA))->host_rip, 0x5555);
	assert_int_equal(((struct vmcs12 *)fake_gpa(VMCS12_GPA))->guest_rip, 0x4324);
	/* VMPTRST's operand cannot be written: the fault. */
	fake_env.linear_rc = GUEST_WALK_ERR(GUEST_WALK_PROTECTION, 1);
	insn(EXIT_REASON_VMPTRST, INFO_MEM_DS, OPERAND_GPA);
	assert_int_equal(fake_env.access_faults, 1);
}

static void test_vmread_vmwrite(void **state)
{
	(void)state;
	/* No current VMCS: VMfailInvalid. */
	v->gprs.rcx = GUEST_RIP;
	insn(EXIT_REASON_VMREAD, INFO_REG(REG_RDX, REG_RCX), 0);
	assert_failed(RFLAGS_CF, 0);
	l1_vmptrld(VMCS12_GPA, NULL);
	/* VMWRITE from a register, into vmcs12 and the shadow VMCS. */
	v->gprs.rax = 0x4444;
	insn(EXIT_REASON_VMWRITE, INFO_REG(REG_RAX, REG_RCX), 0);
	assert_succeeded();
	assert_int_equal(n->vmcs12->guest_rip, 0x4444);
	assert_int_equal(fake_vmcs_get(n->shadow_pa, GUEST_RIP), 0x4444);
	/* VMREAD into a register and into memory. */
	insn(EXIT_REASON_VMREAD, INFO_REG(REG_RDX, REG_RCX), 0);
	assert_succeeded();
	assert_int_equal(v->gprs.rdx, 0x4444);
	insn(EXIT_REASON_VMREAD, INFO_MEM_REG2(REG_RCX), OPERAND_GPA);
	assert_succeeded();
	assert_int_equal(*(uint64_t *)fake_gpa(OPERAND_GPA), 0x4444);
	/* VMWRITE from memory. */
	*(uint64_t *)fake_gpa(OPERAND_GPA) = 0x6666;
	insn(EXIT_REASON_VMWRITE, INFO_MEM_REG2(REG_RCX), OPERAND_GPA);
	assert_succeeded();
	assert_int_equal(n->vmcs12->guest_rip, 0x6666);
	/* No such field: VMfailValid(12). */
	v->gprs.rcx = 0x7ffe;
	insn(EXIT_REASON_VMREAD, INFO_REG(REG_RDX, REG_RCX), 0);
	assert_failed(RFLAGS_ZF, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	insn(EXIT_REASON_VMWRITE, INFO_REG(REG_RAX, REG_RCX), 0);
	assert_failed(RFLAGS_ZF, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	/* Operands that cannot be reached: the faults. */
	v->gprs.rcx = GUEST_RIP;
	fake_env.linear_rc = GUEST_WALK_ERR(GUEST_WALK_NOT_PRESENT, 1);
	insn(EXIT_REASON_VMREAD, INFO_MEM_REG2(REG_RCX), OPERAND_GPA);
	insn(EXIT_REASON_VMWRITE, INFO_MEM_REG2(REG_RCX), OPERAND_GPA);
	assert_int_equal(fake_env.access_faults, 2);
	/* Outside 64-bit mode, operands are 32 bits. */
	fake_env.linear_rc = 0;
	fake_vmcs_set(pa01, GUEST_CS_AR_BYTES, 0xc09b);
	fake_vmcs_set(pa01, GUEST_IA32_EFER, 0);
	v->gprs.rax = 0x1234567887654321ULL;
	insn(EXIT_REASON_VMWRITE, INFO_REG(REG_RAX, REG_RCX), 0);
	assert_succeeded();
	assert_int_equal(n->vmcs12->guest_rip, 0x87654321);
	insn(EXIT_REASON_VMREAD, INFO_REG(REG_RDX, REG_RCX), 0);
	assert_int_equal(v->gprs.rdx, 0x87654321);
}

static void test_vmclear(void **state)
{
	struct vmcs12 *other = fake_gpa(OTHER_GPA);

	(void)state;
	l1_vmptrld(VMCS12_GPA, NULL);
	n->vmcs12->launch_state = VMCS12_LAUNCH_LAUNCHED;
	n->vmcs12->host_rip = 0x9999;
	/* The current one: written back clear, none current, the shadow unlinked. */
	*(uint64_t *)fake_gpa(OPERAND_GPA) = VMCS12_GPA;
	insn(EXIT_REASON_VMCLEAR, INFO_MEM_DS, OPERAND_GPA);
	assert_succeeded();
	assert_int_equal(n->current_ptr, NVMX_NO_VMCS);
	assert_false(n->shadow_active);
	assert_int_equal(((struct vmcs12 *)fake_gpa(VMCS12_GPA))->launch_state,
	                 VMCS12_LAUNCH_CLEAR);
	assert_int_equal(((struct vmcs12 *)fake_gpa(VMCS12_GPA))->host_rip, 0x9999);
	/* Another one: its launch state in L1's memory. */
	other->launch_state = VMCS12_LAUNCH_LAUNCHED;
	*(uint64_t *)fake_gpa(OPERAND_GPA) = OTHER_GPA;
	insn(EXIT_REASON_VMCLEAR, INFO_MEM_DS, OPERAND_GPA);
	assert_succeeded();
	assert_int_equal(other->launch_state, VMCS12_LAUNCH_CLEAR);
	/* Not page-aligned: VMfailInvalid (no current VMCS). */
	*(uint64_t *)fake_gpa(OPERAND_GPA) = OTHER_GPA + 8;
	insn(EXIT_REASON_VMCLEAR, INFO_MEM_DS, OPERAND_GPA);
	assert_failed(RFLAGS_CF, 0);
}

static void test_not_offered(void **state)
{
	(void)state;
	insn(EXIT_REASON_VMFUNC, 0, 0);
	assert_fault(VECTOR_UD);
	n->enabled = false;
	insn(EXIT_REASON_VMOFF, 0, 0);
	assert_fault(VECTOR_UD);
	assert_false(nested_vmcall(v));
	/* VMCALL: Umbra's hypercalls pass; any other is VMfail in VMX operation. */
	n->enabled = true;
	v->gprs.rax = 0;
	assert_false(nested_vmcall(v));
	v->gprs.rax = UMBRA_HC_COUNT;
	fake_vmcs_set(pa01, GUEST_RIP, L1_RIP);
	fake_vmcs_set(pa01, VM_EXIT_INSTRUCTION_LEN, INSN_LEN);
	reg_cache_reset(&v->regs);
	fake_env.exceptions = 0;
	assert_true(nested_vmcall(v));
	reg_cache_flush(&v->regs);
	assert_failed(RFLAGS_CF, 0);
}

static void test_invvpid(void **state)
{
	uint64_t *desc = fake_gpa(OPERAND_GPA);
	bool fresh;
	int slot;

	(void)state;
	/* Single context of L1 VPID 5 that never ran: nothing to flush. */
	desc[0] = 5;
	desc[1] = 0;
	v->gprs.rcx = INVVPID_SINGLE_CONTEXT;
	insn(EXIT_REASON_INVVPID, INFO_MEM_REG2(REG_RCX), OPERAND_GPA);
	assert_succeeded();
	assert_int_equal(fake_invvpid_log.count, 0);
	/* All contexts: every one of L2's hardware VPIDs. */
	v->gprs.rcx = INVVPID_ALL_CONTEXT;
	insn(EXIT_REASON_INVVPID, INFO_MEM_REG2(REG_RCX), OPERAND_GPA);
	assert_succeeded();
	assert_int_equal(fake_invvpid_log.count, VPID_MAP_SLOTS);
	/* VPID 0 for a single context: VMfailInvalid without a current VMCS. */
	desc[0] = 0;
	v->gprs.rcx = INVVPID_SINGLE_CONTEXT;
	insn(EXIT_REASON_INVVPID, INFO_MEM_REG2(REG_RCX), OPERAND_GPA);
	assert_failed(RFLAGS_CF, 0);
	/* A type not offered: VMfail. */
	v->gprs.rcx = 7;
	insn(EXIT_REASON_INVVPID, INFO_MEM_REG2(REG_RCX), OPERAND_GPA);
	assert_failed(RFLAGS_CF, 0);
	/* A mapped VPID: its hardware VPID, one address. */
	slot = vpid_map_get(&n->vpids, 9, &fresh);
	nested_invvpid(v, INVVPID_INDIVIDUAL_ADDR, 9, 0x7000);
	assert_int_equal(fake_invvpid_log.type, INVVPID_INDIVIDUAL_ADDR);
	assert_int_equal(fake_invvpid_log.vpid, n->vpid02_base + slot);
	assert_int_equal(fake_invvpid_log.la, 0x7000);
	nested_invvpid(v, INVVPID_SINGLE_CONTEXT, 9, 0);
	assert_int_equal(fake_invvpid_log.type, INVVPID_SINGLE_CONTEXT);
}

/* nested_invept(), the shadow EPT engine's: what the emulation asked of it (--wrap). */
static struct {
	unsigned int count;
	uint64_t type, eptp;
} invept_log;

void __wrap_nested_invept(struct vcpu *vcpu, uint64_t type, uint64_t eptp);
void __wrap_nested_invept(struct vcpu *vcpu, uint64_t type, uint64_t eptp)
{
	assert_ptr_equal(vcpu, v);
	invept_log.count++;
	invept_log.type = type;
	invept_log.eptp = eptp;
}

#define EPTP_WB4 (0x5000ULL | 3u << 3 | 6u)

static void l1_invept(uint64_t type, uint64_t eptp)
{
	uint64_t *desc = fake_gpa(OPERAND_GPA);

	desc[0] = eptp;
	desc[1] = 0;
	v->gprs.rcx = type;
	insn(EXIT_REASON_INVEPT, INFO_MEM_REG2(REG_RCX), OPERAND_GPA);
}

static void test_invept(void **state)
{
	uint64_t *ev = &nested_caps.msr[MSR_IA32_VMX_EPT_VPID_CAP - NESTED_MSR_FIRST], saved = *ev;

	(void)state;
	memset(&invept_log, 0, sizeof(invept_log));
	/* No current VMCS: a bad EPTP is VMfailInvalid. */
	l1_invept(INVEPT_SINGLE_CONTEXT, EPTP_WB4 | 1u << 8);
	assert_failed(RFLAGS_CF, 0);
	l1_vmptrld(VMCS12_GPA, NULL);
	/* Single context of a valid EPTP: the engine is told, VMsucceed. */
	l1_invept(INVEPT_SINGLE_CONTEXT, EPTP_WB4);
	assert_succeeded();
	assert_int_equal(invept_log.count, 1);
	assert_int_equal(invept_log.type, INVEPT_SINGLE_CONTEXT);
	assert_int_equal(invept_log.eptp, EPTP_WB4);
	/* Each EPTP rule of VM entry: VMfailValid(28), nothing invalidated. */
	l1_invept(INVEPT_SINGLE_CONTEXT, (EPTP_WB4 & ~7ULL) | 1); /* WC */
	assert_failed(RFLAGS_ZF, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	l1_invept(INVEPT_SINGLE_CONTEXT, (EPTP_WB4 & ~(7ULL << 3)) | 4u << 3); /* 5-level */
	assert_failed(RFLAGS_ZF, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	*ev &= ~VMX_EPT_AD;
	l1_invept(INVEPT_SINGLE_CONTEXT, EPTP_WB4 | 1u << 6); /* A/D: not offered */
	assert_failed(RFLAGS_ZF, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	*ev = saved;
	l1_invept(INVEPT_SINGLE_CONTEXT, EPTP_WB4 | 1u << 8); /* reserved */
	assert_failed(RFLAGS_ZF, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	l1_invept(INVEPT_SINGLE_CONTEXT, EPTP_WB4 | 1ULL << 39); /* beyond MAXPHYADDR */
	assert_failed(RFLAGS_ZF, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	assert_int_equal(invept_log.count, 1);
	/* All contexts: the EPTP is not looked at. */
	l1_invept(INVEPT_ALL_CONTEXT, EPTP_WB4 | 1u << 6);
	assert_succeeded();
	assert_int_equal(invept_log.count, 2);
	assert_int_equal(invept_log.type, INVEPT_ALL_CONTEXT);
	/* Types not offered, the whole 64-bit register in 64-bit mode: VMfailValid(28). */
	l1_invept(0, EPTP_WB4);
	assert_failed(RFLAGS_ZF, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	invept(3, EPTP_WB4);
	assert_failed(RFLAGS_ZF, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	invept(1ULL << 32 | INVEPT_ALL_CONTEXT, EPTP_WB4);
	assert_failed(RFLAGS_ZF, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	/* Only all-context offered: single-context is a type not offered. */
	*ev &= ~VMX_EPT_INVEPT_SINGLE_CONTEXT;
	l1_invept(INVEPT_SINGLE_CONTEXT, EPTP_WB4);
	assert_failed(RFLAGS_ZF, VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	assert_int_equal(invept_log.count, 2);
	/* Without INVEPT offered the instruction does not exist. */
	*ev &= ~VMX_EPT_INVEPT;
	l1_invept(INVEPT_ALL_CONTEXT, EPTP_WB4);
	assert_fault(VECTOR_UD);
	*ev = saved;
	/* Outside VMX operation: #UD. */
	n->vmxon = false;
	l1_invept(INVEPT_ALL_CONTEXT, EPTP_WB4);
	assert_fault(VECTOR_UD);
	assert_int_equal(invept_log.count, 2);
}

/* L1 VMLAUNCHes a valid vmcs12 (changed by `c` first if given). */
static void launch(void (*change)(struct vmcs12 *c))
{
	struct vmcs12 c = {0};

	fake_valid_vmcs12(&c);
	if (change)
		change(&c);
	l1_vmptrld(VMCS12_GPA, &c);
	insn(EXIT_REASON_VMLAUNCH, 0, 0);
}

static void test_vmlaunch_vmresume(void **state)
{
	uint64_t pa02 = n->vmcs02.vmcs_pa;

	(void)state;
	launch(NULL);
	assert_true(n->in_l2);
	assert_int_equal(fake_vmptrst(), pa02);
	assert_ptr_equal(v->loaded, &n->vmcs02);
	assert_int_equal(n->vmcs12->launch_state, VMCS12_LAUNCH_LAUNCHED);
	assert_int_equal(n->entries, 1);
	assert_int_equal(fake_vmcs_get(pa02, GUEST_RIP), 0x200000);
	/* L2's VPID: the one for an L1 without VPID, flushed. */
	assert_int_equal(fake_vmcs_get(pa02, VIRTUAL_PROCESSOR_ID),
	                 n->vpid02_base + VPID_MAP_SLOTS);
	assert_int_equal(fake_invvpid_log.count, 1);
	/* Back in L1; VMLAUNCH again is VMfailValid(4), VMRESUME enters. */
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	insn(EXIT_REASON_VMLAUNCH, 0, 0);
	assert_failed(RFLAGS_ZF, VMXERR_VMLAUNCH_NONCLEAR_VMCS);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	assert_int_equal(n->entries, 2);
}

static void with_vpid(struct vmcs12 *c)
{
	c->cpu_based_vm_exec_control |= CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	c->secondary_vm_exec_control = SECONDARY_EXEC_ENABLE_VPID;
	c->virtual_processor_id = 3;
	c->pin_based_vm_exec_control |= PIN_BASED_VMX_PREEMPTION_TIMER;
	c->vmx_preemption_timer_value = 10;
	c->vm_entry_controls &= ~(VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT);
}

static void test_vmlaunch_vpid_timer(void **state)
{
	uint16_t vpid;
	unsigned int flushes;

	(void)state;
	launch(with_vpid);
	assert_true(n->in_l2);
	assert_int_equal(n->l1_timer_deadline, fake_tsc + (10 << 5));
	assert_int_equal(n->l1_efer_at_entry, v->efer);
	assert_int_equal(n->l1_pat_at_entry, 0x0007040600070406ULL);
	vpid = n->vpid02;
	/* The same L1 VPID next time: its translations are kept. */
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	flushes = fake_invvpid_log.count;
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_int_equal(n->vpid02, vpid);
	assert_int_equal(fake_invvpid_log.count, flushes);
}

static void bad_control(struct vmcs12 *c)
{
	c->cr3_target_count = 9;
}

static void bad_host(struct vmcs12 *c)
{
	c->host_cr0 = 0;
}

static void bad_guest(struct vmcs12 *c)
{
	c->guest_rflags = 0;
}

static void bad_msr_load(struct vmcs12 *c)
{
	c->vm_entry_msr_load_addr = FAKE_RAM_SIZE;
	c->vm_entry_msr_load_count = 1;
}

static void test_vmlaunch_fails(void **state)
{
	(void)state;
	launch(bad_control);
	assert_failed(RFLAGS_ZF, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
	assert_false(n->in_l2);
	assert_int_equal(fake_vmptrst(), pa01);
	setup(NULL);
	launch(bad_host);
	assert_failed(RFLAGS_ZF, VMXERR_ENTRY_INVALID_HOST_STATE_FIELD);
	/* Guest state: a VM exit with bit 31, to L1's host state. */
	setup(NULL);
	launch(bad_guest);
	assert_false(n->in_l2);
	assert_int_equal(n->vmcs12->vm_exit_reason, VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE);
	assert_int_equal(fake_vmcs_get(pa01, GUEST_RIP), n->vmcs12->host_rip);
	setup(NULL);
	launch(bad_msr_load);
	assert_int_equal(n->vmcs12->vm_exit_reason, VM_ENTRY_FAILURE | EXIT_REASON_MSR_LOAD_FAIL);
	assert_int_equal(n->vmcs12->exit_qualification, 1);
	assert_false(n->in_l2);
	assert_int_equal(fake_vmptrst(), pa01);
	/* Mov-SS blocking: VMfailValid. */
	setup(NULL);
	fake_vmcs_set(pa01, GUEST_INTERRUPTIBILITY_INFO, 2);
	launch(NULL);
	assert_false(n->in_l2);
}

static void hlt_state(struct vmcs12 *c)
{
	c->guest_activity_state = VMX_ACTIVITY_HLT;
}

static void hlt_state_injecting(struct vmcs12 *c)
{
	hlt_state(c);
	c->guest_rflags |= RFLAGS_IF;
	c->vm_entry_intr_info_field = INTR_INFO_VALID | INTR_TYPE_EXT_INTR | 0x30;
}

/*
 * The HLT activity state: an entry into it halts L2 (vmcs02 stays active,
 * Umbra halts the vCPU), and an exit while L2 is halted saves it; an
 * injected event ends it at the entry.
 */
static void test_hlt_activity_state(void **state)
{
	(void)state;
	launch(hlt_state);
	assert_true(n->in_l2);
	assert_true(n->l2_halted);
	assert_int_equal(fake_env.halts, 1);
	assert_int_equal(fake_vmcs_get(n->vmcs02.vmcs_pa, GUEST_ACTIVITY_STATE),
	                 VMX_ACTIVITY_ACTIVE);
	nested_vmexit(v, EXIT_REASON_PREEMPTION_TIMER, 0, 0);
	assert_int_equal(n->vmcs12->guest_activity_state, VMX_ACTIVITY_HLT);
	assert_false(n->l2_halted);
	/* L2 ran before this exit: active. */
	insn(EXIT_REASON_VMRESUME, 0, 0);
	n->l2_halted = false;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	assert_int_equal(n->vmcs12->guest_activity_state, VMX_ACTIVITY_ACTIVE);
	setup(NULL);
	launch(hlt_state_injecting);
	assert_true(n->in_l2);
	assert_false(n->l2_halted);
	assert_int_equal(fake_env.halts, 0);
}

/* An NMI while L2 runs: a VM exit if L1 asked for NMI exiting (NMIs then blocked), else L2's. */
static void test_nmi_in_l2(void **state)
{
	(void)state;
	launch(NULL);
	v->nmi_pending = true;
	assert_false(nested_l1_nmi(v));
	assert_true(n->in_l2);
	assert_true(v->nmi_pending);
	n->vmcs12->pin_based_vm_exec_control |= PIN_BASED_NMI_EXITING;
	assert_true(nested_l1_nmi(v));
	assert_false(n->in_l2);
	assert_false(v->nmi_pending);
	assert_int_equal(n->vmcs12->vm_exit_reason, EXIT_REASON_EXCEPTION_NMI);
	assert_int_equal(n->vmcs12->vm_exit_intr_info,
	                 INTR_INFO_VALID | INTR_TYPE_NMI | VECTOR_NMI);
	assert_int_equal(fake_vmcs_get(pa01, GUEST_INTERRUPTIBILITY_INFO), BLOCK_NMI);
}

/*
 * The controls and host state are checked again only when L1 wrote one of
 * their fields since they passed: a bad one written is caught at the next
 * VMRESUME; one Umbra did not see written is not looked at again.
 */
static void test_checks_after_writes(void **state)
{
	(void)state;
	launch(NULL);
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	/* Not written through VMWRITE (no dirty bit): the checks that passed stand. */
	n->vmcs12->cr3_target_count = 9;
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	n->vmcs12->cr3_target_count = 0;
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	/* L1 writes a bad control: VMfailValid(7) at the next VMRESUME. */
	assert_int_equal(vmcs12_write(n->vmcs12, CR3_TARGET_COUNT, 9, false), 0);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_failed(RFLAGS_ZF, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
	assert_false(n->in_l2);
	/* Fixed: it enters, and the next entry with only RIP written checks nothing more. */
	assert_int_equal(vmcs12_write(n->vmcs12, CR3_TARGET_COUNT, 0, false), 0);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	/* A bad host field written: VMfailValid(8). */
	assert_int_equal(vmcs12_write(n->vmcs12, HOST_CR0, 0, false), 0);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_failed(RFLAGS_ZF, VMXERR_ENTRY_INVALID_HOST_STATE_FIELD);
}

/*
 * The guest state likewise: whole after L1 wrote a field beyond RIP, RSP,
 * RFLAGS and the interruptibility; only the rules those fields enter
 * otherwise.
 */
static void test_guest_checks_after_writes(void **state)
{
	(void)state;
	launch(NULL);
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	/* A cold field changed without a VMWRITE is not looked at again (the CPU's checks are). */
	n->vmcs12->guest_cr0 &= ~CR0_PE;
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	n->vmcs12->guest_cr0 |= CR0_PE;
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	/* Written through VMWRITE: the whole check catches it (exit 33). */
	assert_int_equal(vmcs12_write(n->vmcs12, GUEST_TR_AR_BYTES, 0x10000, false), 0);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_false(n->in_l2);
	assert_int_equal(n->vmcs12->vm_exit_reason, VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE);
	/* Fixed, it enters; then a bad hot field alone is caught by the short check. */
	assert_int_equal(vmcs12_write(n->vmcs12, GUEST_TR_AR_BYTES, 0x8b, false), 0);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	assert_true(n->guest_checked);
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	/* RFLAGS is shadowed: L1's VMWRITE lands in the shadow VMCS. */
	if (n->shadow_pa)
		fake_vmcs_set(n->shadow_pa, GUEST_RFLAGS, 0);
	else
		assert_int_equal(vmcs12_write(n->vmcs12, GUEST_RFLAGS, 0, false), 0);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_false(n->in_l2);
	assert_int_equal(n->vmcs12->vm_exit_reason, VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE);
}

/* L1's VMWRITE of a shadowed field: into the shadow VMCS if there is one. */
static void l1_write_shadowed(uint32_t field, uint64_t val)
{
	if (n->shadow_pa)
		fake_vmcs_set(n->shadow_pa, field, val);
	else
		assert_int_equal(vmcs12_write(n->vmcs12, field, val, false), 0);
}

/*
 * The event to inject: written alone (with its error code and instruction
 * length, or the TPR threshold), only its own rules run again, and a bad
 * one is caught.
 */
static void test_event_checks_after_writes(void **state)
{
	(void)state;
	launch(NULL);
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	/* A bad control Umbra did not see written stays unchecked: only the event's rules run. */
	n->vmcs12->cr3_target_count = 9;
	l1_write_shadowed(VM_ENTRY_INTR_INFO_FIELD,
	                  INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | VECTOR_UD);
	l1_write_shadowed(VM_ENTRY_INSTRUCTION_LEN, 2);
	l1_write_shadowed(TPR_THRESHOLD, 1);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	assert_true(n->guest_checked);
	n->vmcs12->cr3_target_count = 0;
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	/* A bad event alone (an NMI's vector must be 2): VMfailValid(7). */
	l1_write_shadowed(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_NMI | VECTOR_UD);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_failed(RFLAGS_ZF, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
	assert_false(n->in_l2);
}

/*
 * A VMRESUME right after a nested exit, with only L2's hot fields written
 * through the shadow VMCS, takes the short path (nested_exit_vmresume): the
 * same entry. Anything else goes the long way: a field vmcs02 merges, an
 * exit of L1 in between, a rule that fails (the long way says which).
 */
static void test_vmresume_hot(void **state)
{
	uint64_t pa02 = n->vmcs02.vmcs_pa;

	(void)state;
	launch(NULL);
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	l1_write_shadowed(GUEST_RIP, 0x200010);
	l1_write_shadowed(GUEST_RSP, 0x7000);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	assert_int_equal(n->hot_resumes, 1);
	assert_int_equal(n->entries, 2);
	assert_int_equal(fake_vmcs_get(pa02, GUEST_RIP), 0x200010);
	assert_int_equal(fake_vmcs_get(pa02, GUEST_RSP), 0x7000);
	/* A CR read shadow is merged with Umbra's bits: the long way. */
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	l1_write_shadowed(CR4_READ_SHADOW, CR4_PAE);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	assert_int_equal(n->hot_resumes, 1);
	assert_int_equal(n->entries, 3);
	/* Another exit of L1's between the nested exit and the VMRESUME: the long way. */
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	v->stats.total_exits++;
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_int_equal(n->hot_resumes, 1);
	assert_int_equal(n->entries, 4);
	/* Umbra changed vmcs02's controls since the entry (a window exit): the long way. */
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	n->vmcs02.control_writes_all++;
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_int_equal(n->hot_resumes, 1);
	assert_int_equal(n->entries, 5);
	/* At CPL 3, #GP as the long way gives it (the short path reads SS.DPL too). */
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	fake_vmcs_set(pa01, GUEST_SS_AR_BYTES, SS_AR_CPL3);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_fault(VECTOR_GP);
	assert_false(n->in_l2);
	fake_vmcs_set(pa01, GUEST_SS_AR_BYTES, 0);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	assert_int_equal(n->hot_resumes, 1);
	/* Only RIP written again: short; then a non-canonical RIP for 64-bit L2 code fails. */
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	l1_write_shadowed(GUEST_RIP, 0x200020);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_int_equal(n->hot_resumes, 2);
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	l1_write_shadowed(GUEST_RIP, 1ULL << 50);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_false(n->in_l2);
	assert_int_equal(n->hot_resumes, 2);
	assert_int_equal(n->vmcs12->vm_exit_reason, VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE);
}

/*
 * RIP's rule reads L2's CS.L: the CPU's at the exit, not what vmcs12 last
 * held (L2 went from compatibility-mode code to 64-bit code, with no sync
 * of its state since). A 64-bit RIP above 4 GiB enters, either way.
 */
static void test_rip_rule_reads_cs_of_the_exit(void **state)
{
	uint64_t pa02 = n->vmcs02.vmcs_pa;

	(void)state;
	launch(NULL);
	n->vmcs12->guest_cs_ar_bytes =
	        0xc09b; /* a 32-bit code segment when vmcs12 was last synced */
	fake_vmcs_set(pa02, GUEST_CS_AR_BYTES, 0xa09b);
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	l1_write_shadowed(GUEST_RIP, 0xffffffff81000000ULL);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	assert_int_equal(n->hot_resumes, 1);
	/* The long way reads the same (an extra L1 exit first). */
	n->vmcs12->guest_cs_ar_bytes = 0xc09b;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	v->stats.total_exits++;
	l1_write_shadowed(GUEST_RIP, 0xffffffff81000010ULL);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_true(n->in_l2);
	assert_int_equal(n->hot_resumes, 1);
}

/*
 * RFLAGS.VM written by L1 (virtual-8086 mode): the short path's rules are
 * not enough (nested_guest_hot_check_enough); the long way runs the whole
 * guest check and refuses L2's protected-mode segments (exit 33).
 */
static void l2_protected_32bit(struct vmcs12 *c)
{
	c->vm_entry_controls &= ~VM_ENTRY_IA32E_MODE;
	c->guest_ia32_efer = 0;
	c->guest_cr4 = CR4_VMXE; /* 32-bit paging, no PAE */
	c->guest_cs_ar_bytes = 0xc09b;
}

static void test_vmresume_hot_v86_goes_long(void **state)
{
	(void)state;
	launch(l2_protected_32bit);
	assert_true(n->in_l2);
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	l1_write_shadowed(GUEST_RFLAGS, 0x2 | RFLAGS_VM);
	insn(EXIT_REASON_VMRESUME, 0, 0);
	assert_int_equal(n->hot_resumes, 0);
	assert_false(n->in_l2);
	assert_int_equal(n->vmcs12->vm_exit_reason, VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE);
}

static void test_hw_precheck(void **state)
{
	uint64_t pa02 = n->vmcs02.vmcs_pa;

	(void)state;
	nested_entry_init(true);
	/* The CPU fails the entry on the guest state it was given: the real entry goes on. */
	fake_env.enter_reason = VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE;
	launch(NULL);
	assert_true(n->in_l2);
	assert_int_equal(n->prechecks, 1);
	assert_int_equal(fake_vmcs_get(pa02, GUEST_RFLAGS), 0x2);
	/* VMfailValid: L1 gets the CPU's error. */
	setup(NULL);
	fake_env.enter_result = 1;
	fake_vmcs_set(n->vmcs02.vmcs_pa, VM_INSTRUCTION_ERROR, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
	launch(NULL);
	assert_false(n->in_l2);
	assert_failed(RFLAGS_ZF, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
	assert_non_null(strstr(fake_env.console, "pre-check"));
	/* Any other exit: refused too. */
	setup(NULL);
	fake_env.enter_reason = EXIT_REASON_HLT;
	launch(NULL);
	assert_false(n->in_l2);
	assert_int_equal(n->vmcs12->launch_state, VMCS12_LAUNCH_CLEAR);
	nested_entry_init(false);
	/* The CPU refused the real entry: VMfailValid, vmcs01 current. */
	setup(NULL);
	launch(NULL);
	nested_hw_entry_failed(v, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
	reg_cache_flush(&v->regs);
	assert_false(n->in_l2);
	assert_int_equal(fake_vmptrst(), pa01);
	assert_int_equal(n->vmcs12->vm_instruction_error, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
}

static void test_nested_msrs_and_crs(void **state)
{
	uint64_t val;
	bool gp;

	(void)state;
	/* IA32_FEATURE_CONTROL: writable until locked. */
	n->feature_control = 0;
	val = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX;
	assert_true(nested_msr(v, MSR_IA32_FEATURE_CONTROL, true, &val, &gp));
	assert_false(gp);
	assert_true(nested_msr(v, MSR_IA32_FEATURE_CONTROL, false, &val, &gp));
	assert_int_equal(val, FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
	assert_true(nested_msr(v, MSR_IA32_FEATURE_CONTROL, true, &val, &gp));
	assert_true(gp);
	/* The VMX MSRs: read-only. */
	assert_true(nested_msr(v, MSR_IA32_VMX_BASIC, false, &val, &gp));
	assert_false(gp);
	assert_int_equal(val & 0x7fffffff, VMCS12_REVISION_ID);
	assert_true(nested_msr(v, MSR_IA32_VMX_BASIC, true, &val, &gp));
	assert_true(gp);
	assert_false(nested_msr(v, MSR_EFER, false, &val, &gp));
	/* CR0/CR4 in VMX operation keep the fixed bits. */
	assert_true(nested_l1_cr_ok(v, 0, 0x80000031));
	assert_false(nested_l1_cr_ok(v, 0, 0x31));
	n->vmxon = false;
	assert_true(nested_l1_cr_ok(v, 0, 0x31));
	n->enabled = false;
	assert_false(nested_msr(v, MSR_IA32_VMX_BASIC, false, &val, &gp));
	assert_false(nested_l1_cr_ok(v, 4, CR4_VMXE));
	assert_true(nested_l1_cr_ok(v, 4, CR4_PAE));
}

static void test_init_signal_and_free(void **state)
{
	(void)state;
	launch(NULL);
	nested_init_signal(v);
	assert_false(n->vmxon);
	assert_false(n->in_l2);
	assert_int_equal(n->current_ptr, NVMX_NO_VMCS);
	assert_ptr_equal(v->loaded, &v->vmcs);
	nested_vcpu_free(v, fake_frames());
	assert_null(n->vmcs12);
	assert_int_equal(n->shadow_pa, 0);
	assert_int_equal(n->vmcs02.vmcs_pa, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_vmxoff_vmxon, setup),
	        cmocka_unit_test_setup(test_vmxon_faults, setup),
	        cmocka_unit_test_setup(test_vmptrld_vmptrst, setup),
	        cmocka_unit_test_setup(test_vmread_vmwrite, setup),
	        cmocka_unit_test_setup(test_vmclear, setup),
	        cmocka_unit_test_setup(test_not_offered, setup),
	        cmocka_unit_test_setup(test_invvpid, setup),
	        cmocka_unit_test_setup(test_invept, setup),
	        cmocka_unit_test_setup(test_vmlaunch_vmresume, setup),
	        cmocka_unit_test_setup(test_vmresume_hot, setup),
	        cmocka_unit_test_setup(test_rip_rule_reads_cs_of_the_exit, setup),
	        cmocka_unit_test_setup(test_vmresume_hot_v86_goes_long, setup),
	        cmocka_unit_test_setup(test_vmlaunch_vpid_timer, setup),
	        cmocka_unit_test_setup(test_vmlaunch_fails, setup),
	        cmocka_unit_test_setup(test_checks_after_writes, setup),
	        cmocka_unit_test_setup(test_guest_checks_after_writes, setup),
	        cmocka_unit_test_setup(test_event_checks_after_writes, setup),
	        cmocka_unit_test_setup(test_hw_precheck, setup),
	        cmocka_unit_test_setup(test_hlt_activity_state, setup),
	        cmocka_unit_test_setup(test_nmi_in_l2, setup),
	        cmocka_unit_test_setup(test_nested_msrs_and_crs, setup),
	        cmocka_unit_test_setup(test_init_signal_and_free, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
