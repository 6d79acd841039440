/*
 * Host tests of nested/l2_exit.c on the fake VMCS: which of L2's exits go to
 * L1 (a nested VM exit) and which Umbra keeps (handled on vmcs02, L2
 * resumes), L1's interrupts while L2 runs, and L2's CR and MSR accesses
 * that only Umbra intercepts.
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
#include "fake_vmcs.h"
#include "nested/nested.h"
#include "nested/nested_internal.h"
#include "nested_env.h"

#define VMCS12_GPA 0x5000
#define L2_RIP     0x200000
/* Exit qualification of a CR access: CR number, access type (0 MOV to CR, 3 LMSW), GPR. */
#define CR_QUAL(cr, type, gpr) ((cr) | ((type) << 4) | ((gpr) << 8))
#define PF_INFO                0x80000b0eu /* valid, hardware exception, error code, #PF */

static struct vcpu *v;
static struct vmcs12 *c;
static uint64_t pa01, pa02;

static int setup(void **state)
{
	(void)state;
	fake_env_reset();
	v = fake_l2_running(VMCS12_GPA, L2_RIP);
	c = v->nested.vmcs12;
	pa01 = v->vmcs.vmcs_pa;
	pa02 = v->nested.vmcs02.vmcs_pa;
	fake_vmcs_set(pa02, VM_EXIT_INSTRUCTION_LEN, 3);
	fake_vmcs_reset_counts();
	return 0;
}

/* L2 exits with this reason and qualification; nested_l2_exit decides. */
static void l2_exit(uint32_t reason, uint64_t qual)
{
	v->exit_reason = reason;
	fake_vmcs_set(pa02, VM_EXIT_REASON, reason);
	fake_vmcs_set(pa02, EXIT_QUALIFICATION, qual);
	reg_cache_reset(&v->regs);
	nested_l2_exit(v);
}

static void assert_reflected(uint32_t reason)
{
	assert_false(v->nested.in_l2);
	assert_int_equal(c->vm_exit_reason, reason);
	assert_int_equal(fake_vmptrst(), pa01);
	assert_int_equal(fake_env.handled_exits, 0);
}

static void assert_kept(void)
{
	assert_true(v->nested.in_l2);
	assert_int_equal(fake_vmptrst(), pa02);
	assert_int_equal(fake_env.handled_exits, 1);
	assert_int_equal(v->nested.l0_exits_in_l2, 1);
}

/* Umbra carried it out for L1 itself: L2 goes on, nothing went to the general handlers. */
static void assert_for_l1(void)
{
	assert_true(v->nested.in_l2);
	assert_int_equal(fake_vmptrst(), pa02);
	assert_int_equal(fake_env.handled_exits, 0);
	assert_int_equal(v->nested.l0_exits_in_l2, 1);
}

static void test_l1_asked(void **state)
{
	(void)state;
	/* HLT exiting is on in L1's controls. */
	l2_exit(EXIT_REASON_HLT, 0);
	assert_reflected(EXIT_REASON_HLT);
	assert_int_equal(c->guest_rip, L2_RIP);
	/* CPUID always exits. */
	setup(NULL);
	l2_exit(EXIT_REASON_CPUID, 0);
	assert_reflected(EXIT_REASON_CPUID);
}

static void test_umbra_keeps(void **state)
{
	(void)state;
	/* L1 did not ask for external-interrupt exiting: the host's interrupt is Umbra's. */
	l2_exit(EXIT_REASON_EXTERNAL_INTERRUPT, 0);
	assert_kept();
	/* Nor for HLT now. */
	setup(NULL);
	c->cpu_based_vm_exec_control &= ~CPU_BASED_HLT_EXITING;
	l2_exit(EXIT_REASON_HLT, 0);
	assert_kept();
}

static void test_exception(void **state)
{
	(void)state;
	fake_vmcs_set(pa02, VM_EXIT_INTR_INFO, PF_INFO);
	fake_vmcs_set(pa02, VM_EXIT_INTR_ERROR_CODE, 2);
	/* Not in L1's exception bitmap: Umbra's (an exception L2 takes itself). */
	l2_exit(EXIT_REASON_EXCEPTION_NMI, 0x1000);
	assert_kept();
	/* In it: L1 gets the exit with the interruption information. */
	setup(NULL);
	c->exception_bitmap = 1u << VECTOR_PF;
	fake_vmcs_set(pa02, VM_EXIT_INTR_INFO, PF_INFO);
	fake_vmcs_set(pa02, VM_EXIT_INTR_ERROR_CODE, 2);
	l2_exit(EXIT_REASON_EXCEPTION_NMI, 0x1000);
	assert_reflected(EXIT_REASON_EXCEPTION_NMI);
	assert_int_equal(c->vm_exit_intr_info, PF_INFO);
	assert_int_equal(c->exit_qualification, 0x1000);
	assert_int_equal(c->vm_exit_intr_error_code, 2);
}

static void test_msr(void **state)
{
	(void)state;
	/* Without MSR bitmaps, every RDMSR of L2 is L1's. */
	v->gprs.rcx = MSR_EFER;
	l2_exit(EXIT_REASON_MSR_READ, 0);
	assert_reflected(EXIT_REASON_MSR_READ);
	/* With a bitmap of zeros, none is. */
	setup(NULL);
	c->cpu_based_vm_exec_control |= CPU_BASED_USE_MSR_BITMAPS;
	c->msr_bitmap = 0x9000;
	v->gprs.rcx = MSR_EFER;
	v->gprs.rax = (uint32_t)fake_vmcs_get(pa02, GUEST_IA32_EFER);
	l2_exit(EXIT_REASON_MSR_WRITE, 0);
	assert_for_l1();
	/* A bitmap outside L1's RAM reads as ones: L1's. */
	setup(NULL);
	c->cpu_based_vm_exec_control |= CPU_BASED_USE_MSR_BITMAPS;
	c->msr_bitmap = FAKE_RAM_SIZE;
	v->gprs.rcx = MSR_EFER;
	l2_exit(EXIT_REASON_MSR_READ, 0);
	assert_reflected(EXIT_REASON_MSR_READ);
}

static void test_cr_access(void **state)
{
	(void)state;
	/* MOV to CR0 changing only bits L1 does not own: Umbra carries it out for L1. */
	v->gprs.rax = c->guest_cr0;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 0, 0));
	assert_for_l1();
	/* Changing a bit L1 owns against its shadow: L1's. */
	setup(NULL);
	c->cr0_guest_host_mask = CR0_TS;
	c->cr0_read_shadow = 0;
	v->gprs.rbx = c->guest_cr0 | CR0_TS;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 0, 3));
	assert_reflected(EXIT_REASON_CR_ACCESS);
	/* LMSW: its source operand is in the qualification. */
	setup(NULL);
	c->cr0_guest_host_mask = CR0_TS;
	c->cr0_read_shadow = 0;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 3, 0) | ((uint64_t)CR0_TS << 16));
	assert_reflected(EXIT_REASON_CR_ACCESS);
}

static void test_redelivery(void **state)
{
	(void)state;
	/* Umbra's exit cut short L1's injection into L2: the next entry delivers it again. */
	fake_vmcs_set(pa02, IDT_VECTORING_INFO_FIELD, PF_INFO | (1u << 12));
	fake_vmcs_set(pa02, IDT_VECTORING_ERROR_CODE, 6);
	l2_exit(EXIT_REASON_EXTERNAL_INTERRUPT, 0);
	assert_kept();
	assert_int_equal(fake_vmcs_get(pa02, VM_ENTRY_INTR_INFO_FIELD), PF_INFO);
	assert_int_equal(fake_vmcs_get(pa02, VM_ENTRY_EXCEPTION_ERROR_CODE), 6);
	assert_int_equal(fake_vmcs_get(pa02, VM_ENTRY_INSTRUCTION_LEN), 3);
	assert_true(v->exception_injected);
	/* Umbra's own injection is events.c's to redo. */
	setup(NULL);
	fake_vmcs_set(pa02, IDT_VECTORING_INFO_FIELD, PF_INFO);
	v->injected = VECTOR_PF;
	l2_exit(EXIT_REASON_EXTERNAL_INTERRUPT, 0);
	assert_int_equal(fake_vmcs_writes(pa02, VM_ENTRY_INTR_INFO_FIELD), 0);
}

static void test_preemption_timer(void **state)
{
	(void)state;
	/* Umbra's slice ended before L1's deadline: Umbra's. */
	v->nested.l1_timer_deadline = fake_tsc + 1;
	l2_exit(EXIT_REASON_PREEMPTION_TIMER, 0);
	assert_kept();
	/* L1's deadline passed: a preemption-timer exit to L1. */
	setup(NULL);
	v->nested.l1_timer_deadline = fake_tsc;
	l2_exit(EXIT_REASON_PREEMPTION_TIMER, 0);
	assert_reflected(EXIT_REASON_PREEMPTION_TIMER);
}

static void test_entry_failure(void **state)
{
	(void)state;
	/* vmcs02 failed after Umbra's checks: L1 sees its own VM entry fail. */
	v->nested.entry_is_launch = true;
	l2_exit(VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE, 3);
	assert_reflected(VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE);
	assert_int_equal(c->exit_qualification, 3);
	assert_int_equal(c->launch_state, VMCS12_LAUNCH_CLEAR);
	assert_int_equal(v->nested.reflected_exits, 0); /* L2 never ran */
	assert_non_null(strstr(fake_env.console, "refused vmcs02"));
}

static void test_l1_interrupt(void **state)
{
	(void)state;
	/* Without external-interrupt exiting, L2 takes it. */
	assert_false(nested_l1_interrupt(v, 0x30));
	assert_true(v->nested.in_l2);
	/* With it and "acknowledge interrupt on exit": the vector in the exit information. */
	c->pin_based_vm_exec_control |= PIN_BASED_EXT_INTR_EXITING;
	c->vm_exit_controls |= VM_EXIT_ACK_INTR_ON_EXIT;
	assert_true(nested_l1_interrupt(v, 0x30));
	assert_reflected(EXIT_REASON_EXTERNAL_INTERRUPT);
	assert_int_equal(c->vm_exit_intr_info, 0x80000030);
	assert_int_equal(fake_env.acked_vector, 0x30);
	/* Without acknowledging, the interrupt stays pending in L1's local APIC. */
	setup(NULL);
	c->pin_based_vm_exec_control |= PIN_BASED_EXT_INTR_EXITING;
	assert_true(nested_l1_interrupt(v, 0x31));
	assert_int_equal(c->vm_exit_intr_info, 0);
	assert_int_equal(fake_env.acked_vector, -1);
}

/* MOV to CR0/CR4 by L2 that L1 lets through: L2's register under L1's masks and fixed bits. */
static void test_l2_cr_write(void **state)
{
	uint64_t cr0 = c->guest_cr0;

	(void)state;
	fake_vmcs_set(pa02, GUEST_CR0, cr0);
	c->cr0_guest_host_mask = CR0_TS;
	c->cr0_read_shadow = CR0_TS;
	/* L2 sets MP, its bit, and writes TS as L1's shadow says: not L1's exit. */
	v->gprs.rax = cr0 | CR0_MP | CR0_TS;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 0, 0));
	assert_for_l1();
	reg_cache_flush(&v->regs);
	assert_int_equal(fake_vmcs_get(pa02, GUEST_CR0), cr0 | CR0_MP);
	assert_int_equal(fake_vmcs_get(pa02, CR0_READ_SHADOW), cr0 | CR0_MP | CR0_TS);
	assert_int_equal(fake_vmcs_get(pa02, GUEST_RIP), L2_RIP + 3);
	assert_int_equal(fake_env.exceptions, 0);
	/* Clearing CR4.VMXE breaks VMX operation's fixed bits: #GP, nothing written. */
	setup(NULL);
	c->cr4_guest_host_mask = 0;
	fake_vmcs_set(pa02, GUEST_CR4, c->guest_cr4);
	v->gprs.rcx = c->guest_cr4 & ~CR4_VMXE;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(4, 0, 1));
	assert_int_equal(fake_env.exceptions, 1);
	assert_int_equal(fake_env.vector, VECTOR_GP);
	setup(NULL);
	c->cr4_guest_host_mask = 0;
	fake_vmcs_set(pa02, GUEST_CR4, c->guest_cr4);
	v->gprs.rcx = c->guest_cr4 | CR4_OSFXSR;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(4, 0, 1));
	assert_int_equal(fake_vmcs_get(pa02, CR4_READ_SHADOW), c->guest_cr4 | CR4_OSFXSR);
}

/* L1 gave L2 unrestricted guest: L2 may turn paging off and on (Umbra owns CR0.PG). */
static void test_l2_paging_toggle(void **state)
{
	uint64_t cr0 = c->guest_cr0;

	(void)state;
	c->cr0_guest_host_mask = 0;
	fake_vmcs_set(pa02, GUEST_CR0, cr0);
	fake_vmcs_set(pa02, GUEST_CS_AR_BYTES, 0xc09b); /* compatibility mode: may leave paging */
	/* Without unrestricted guest, PG is a fixed bit: #GP. */
	v->gprs.rax = cr0 & ~CR0_PG;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 0, 0));
	assert_int_equal(fake_env.exceptions, 1);
	assert_int_equal(fake_env.vector, VECTOR_GP);
	/* With it: paging off, out of IA-32e mode. */
	setup(NULL);
	c->cr0_guest_host_mask = 0;
	c->cpu_based_vm_exec_control |= CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	c->secondary_vm_exec_control =
	        SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST;
	fake_vmcs_set(pa02, GUEST_CR0, cr0);
	fake_vmcs_set(pa02, GUEST_CS_AR_BYTES, 0xc09b);
	v->gprs.rax = cr0 & ~CR0_PG;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 0, 0));
	assert_int_equal(fake_env.exceptions, 0);
	reg_cache_flush(&v->regs);
	assert_int_equal(fake_vmcs_get(pa02, GUEST_CR0), cr0 & ~CR0_PG);
	assert_false(fake_vmcs_get(pa02, GUEST_IA32_EFER) & EFER_LMA);
	assert_false(fake_vmcs_get(pa02, VM_ENTRY_CONTROLS) & VM_ENTRY_IA32E_MODE);
	/* vmcs12 too: the next entry builds vmcs02's controls from it, L1 writing nothing. */
	assert_false(c->vm_entry_controls & VM_ENTRY_IA32E_MODE);
	/* And on again: IA-32e mode, as EFER.LME says. */
	v->gprs.rax = cr0;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 0, 0));
	assert_int_equal(fake_env.exceptions, 0);
	reg_cache_flush(&v->regs); /* as the next VM entry does */
	assert_int_equal(fake_vmcs_get(pa02, GUEST_CR0), cr0);
	assert_true(fake_vmcs_get(pa02, GUEST_IA32_EFER) & EFER_LMA);
	assert_true(fake_vmcs_get(pa02, VM_ENTRY_CONTROLS) & VM_ENTRY_IA32E_MODE);
	assert_true(c->vm_entry_controls & VM_ENTRY_IA32E_MODE);
	/* PG without PE is #GP, unrestricted guest or not. */
	v->gprs.rax = cr0 & ~CR0_PE;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 0, 0));
	assert_int_equal(fake_env.exceptions, 1);
	/* Leaving paging from 64-bit code is #GP. */
	fake_vmcs_set(pa02, GUEST_CS_AR_BYTES, 0xa09b);
	v->gprs.rax = cr0 & ~CR0_PG;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 0, 0));
	assert_int_equal(fake_env.exceptions, 2);
	/* Without EFER.LME, turning PAE paging on loads the PDPTEs (from L2's CR3). */
	fake_vmcs_set(pa02, GUEST_CS_AR_BYTES, 0xc09b);
	fake_vmcs_set(pa02, GUEST_IA32_EFER, 0);
	v->gprs.rax = cr0 & ~CR0_PG;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 0, 0));
	reg_cache_flush(&v->regs);
	assert_int_equal(fake_env.pdpte_loads, 0);
	v->gprs.rax = cr0;
	l2_exit(EXIT_REASON_CR_ACCESS, CR_QUAL(0, 0, 0));
	assert_int_equal(fake_env.exceptions, 2);
	assert_int_equal(fake_env.pdpte_loads, 1);
	assert_false(fake_vmcs_get(pa02, GUEST_IA32_EFER) & EFER_LMA);
}

/* L2's RDMSR/WRMSR that L1's bitmap lets through: EFER and the passed-through MSRs on vmcs02. */
static void l2_msr(uint32_t msr, bool write, uint64_t val)
{
	setup(NULL);
	c->cpu_based_vm_exec_control |= CPU_BASED_USE_MSR_BITMAPS;
	c->msr_bitmap = 0x9000; /* zeros: nothing intercepted */
	v->gprs.rcx = msr;
	v->gprs.rax = (uint32_t)val;
	v->gprs.rdx = val >> 32;
	l2_exit(write ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ, 0);
}

static void test_l2_msr(void **state)
{
	(void)state;
	l2_msr(MSR_EFER, false, 0);
	assert_for_l1();
	/* The read's value: what setup's vmcs02 holds, in EDX:EAX. */
	assert_int_equal((v->gprs.rdx << 32) | (uint32_t)v->gprs.rax, c->guest_ia32_efer);
	/* SCE and NXE may change; LMA is kept as it is. */
	l2_msr(MSR_EFER, true, EFER_LME | EFER_SCE | EFER_NXE);
	assert_for_l1();
	assert_int_equal(fake_vmcs_get(pa02, GUEST_IA32_EFER) & (EFER_SCE | EFER_NXE),
	                 EFER_SCE | EFER_NXE);
	/* LME is fixed while paging is on; reserved bits #GP. */
	l2_msr(MSR_EFER, true, c->guest_ia32_efer ^ EFER_LME);
	assert_int_equal(fake_env.exceptions, 1);
	l2_msr(MSR_EFER, true, c->guest_ia32_efer | (1ULL << 20));
	assert_int_equal(fake_env.exceptions, 1);
	assert_int_equal(fake_env.vector, VECTOR_GP);
	/* The MSRs L1 reaches directly, L2 too. */
	l2_msr(MSR_FS_BASE, true, 0x1234);
	assert_for_l1();
	assert_int_equal(fake_vmcs_get(pa02, GUEST_FS_BASE), 0x1234);
	l2_msr(MSR_FS_BASE, true, 1ULL << 63);
	assert_int_equal(fake_env.exceptions, 1);
	/* Others go to the VM's general MSR handling, as L1's own access would. */
	l2_msr(MSR_IA32_APIC_BASE, false, 0);
	assert_int_equal(fake_env.handled_exits, 1);
	assert_true(v->nested.in_l2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_l1_asked, setup),
	        cmocka_unit_test_setup(test_umbra_keeps, setup),
	        cmocka_unit_test_setup(test_exception, setup),
	        cmocka_unit_test_setup(test_msr, setup),
	        cmocka_unit_test_setup(test_cr_access, setup),
	        cmocka_unit_test_setup(test_redelivery, setup),
	        cmocka_unit_test_setup(test_preemption_timer, setup),
	        cmocka_unit_test_setup(test_entry_failure, setup),
	        cmocka_unit_test_setup(test_l1_interrupt, setup),
	        cmocka_unit_test_setup(test_l2_cr_write, setup),
	        cmocka_unit_test_setup(test_l2_paging_toggle, setup),
	        cmocka_unit_test_setup(test_l2_msr, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
