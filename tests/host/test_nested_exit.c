/*
 * Host tests of nested/nested_exit.c on the fake VMCS: a nested VM exit
 * saves L2's state from vmcs02 into vmcs12 with the exit information, loads
 * L1's host state into vmcs01 and makes vmcs01 current; the MSR lists and
 * the MSRs a guest reaches directly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "fake_vmcs.h"
#include "nested/nested.h"
#include "nested/nested_internal.h"
#include "nested_env.h"

#define VMCS12_GPA   0x5000
#define MSR_LIST_GPA 0x8000
#define L2_RIP       0x200123
#define AR_DATA      0xc093u

static struct vcpu *v;
static struct vmcs12 *c;
static uint64_t pa01, pa02;

/* One entry of an MSR list (SDM 26.4): index, reserved, value. */
struct msr_entry {
	uint32_t index, reserved;
	uint64_t value;
};

/* L2 runs on vmcs02, which holds what the CPU saved at its exit. */
static int setup(void **state)
{
	(void)state;
	fake_env_reset();
	v = fake_l2_running(VMCS12_GPA, L2_RIP);
	c = v->nested.vmcs12;
	pa01 = v->vmcs.vmcs_pa;
	pa02 = v->nested.vmcs02.vmcs_pa;
	fake_vmcs_set(pa02, GUEST_RSP, 0x7ff0);
	fake_vmcs_set(pa02, GUEST_RFLAGS, 0x202);
	fake_vmcs_set(pa02, GUEST_INTERRUPTIBILITY_INFO, 1);
	fake_vmcs_set(pa02, VM_EXIT_INSTRUCTION_LEN, 2);
	fake_vmcs_set(pa02, IDT_VECTORING_INFO_FIELD, 0x80000b0e);
	fake_vmcs_set(pa02, IDT_VECTORING_ERROR_CODE, 4);
	fake_vmcs_set(pa02, GUEST_CS_SELECTOR, 0x33);
	fake_vmcs_set(pa02, GUEST_CR3, 0x77000);
	fake_vmcs_set(pa02, GUEST_IA32_EFER, EFER_LME | EFER_LMA);
	v->injected = 14;
	return 0;
}

/* The same with VMCS shadowing: L1 wrote vmcs12 through the shadow, which holds its values. */
static int setup_shadowed(void **state)
{
	(void)state;
	fake_env_reset();
	v = fake_l1_vcpu(true);
	fake_l1_vmptrld(v, VMCS12_GPA);
	c = v->nested.vmcs12;
	fake_valid_vmcs12(c);
	shadow_vmcs_load(v, &v->vmcs);
	v->nested.in_l2 = true;
	nested_switch_vmcs(v, &v->nested.vmcs02);
	vmcs02_prepare(v);
	pa01 = v->vmcs.vmcs_pa;
	pa02 = v->nested.vmcs02.vmcs_pa;
	fake_vmcs_set(pa02, GUEST_RIP, L2_RIP);
	fake_vmcs_set(pa02, GUEST_RSP, 0x7ff0);
	fake_vmcs_set(pa02, GUEST_RFLAGS, 0x202);
	fake_vmcs_set(pa02, VM_EXIT_INSTRUCTION_LEN, 2);
	return 0;
}

static uint64_t f01(uint32_t field)
{
	return fake_vmcs_get(pa01, field);
}

static void test_exit_saves_l2_and_loads_l1(void **state)
{
	(void)state;
	c->vm_entry_intr_info_field = 0x80000300;
	c->host_rsp = 0x9000;
	c->host_fs_base = 0xf5000;
	c->host_fs_selector = 0x10;
	c->host_gdtr_base = 0x6000;
	c->host_tr_base = 0x6100;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	/* L2's state and the exit information, in vmcs12. */
	assert_int_equal(c->guest_rip, L2_RIP);
	assert_int_equal(c->guest_rsp, 0x7ff0);
	assert_int_equal(c->guest_rflags, 0x202);
	assert_int_equal(c->guest_interruptibility_info, 1);
	assert_int_equal(c->vm_exit_instruction_len, 2);
	assert_int_equal(c->idt_vectoring_info_field, 0x80000b0e);
	assert_int_equal(c->idt_vectoring_error_code, 4);
	assert_int_equal(c->vm_exit_reason, EXIT_REASON_CPUID);
	assert_int_equal(c->vm_entry_intr_info_field, 0x300); /* valid bit cleared */
	/* The rare state stays in vmcs02 until it is needed. */
	assert_true(v->nested.l2_rare_stale);
	assert_int_not_equal(c->guest_cs_selector, 0x33);
	assert_false(v->nested.in_l2);
	assert_int_equal(v->injected, -1);
	assert_int_equal(v->nested.reflected_exits, 1);
	/* vmcs01 is current again, with L1's host state as its guest state. */
	assert_int_equal(fake_vmptrst(), pa01);
	assert_ptr_equal(v->loaded, &v->vmcs);
	assert_int_equal(f01(GUEST_RIP), c->host_rip);
	assert_int_equal(f01(GUEST_RSP), 0x9000);
	assert_int_equal(f01(GUEST_RFLAGS), 0x2);
	assert_int_equal(f01(CR0_READ_SHADOW), c->host_cr0);
	assert_int_equal(f01(GUEST_CR0), c->host_cr0 | CR0_NE);
	assert_int_equal(f01(GUEST_CR4), c->host_cr4 | CR4_VMXE);
	assert_int_equal(f01(GUEST_CR3), c->host_cr3);
	assert_int_equal(f01(GUEST_CS_SELECTOR), 0x08);
	assert_int_equal(f01(GUEST_CS_AR_BYTES), AR_CODE64);
	assert_int_equal(f01(GUEST_SS_AR_BYTES), AR_DATA);
	assert_int_equal(f01(GUEST_FS_BASE), 0xf5000);
	assert_int_equal(f01(GUEST_GS_AR_BYTES), AR_UNUSABLE); /* selector 0 */
	assert_int_equal(f01(GUEST_TR_SELECTOR), 0x28);
	assert_int_equal(f01(GUEST_TR_BASE), 0x6100);
	assert_int_equal(f01(GUEST_LDTR_AR_BYTES), AR_UNUSABLE);
	assert_int_equal(f01(GUEST_GDTR_BASE), 0x6000);
	assert_int_equal(f01(GUEST_GDTR_LIMIT), 0xffff);
	assert_int_equal(f01(GUEST_IA32_EFER), c->host_ia32_efer);
	assert_int_equal(f01(GUEST_IA32_PAT), c->host_ia32_pat);
	assert_int_equal(f01(GUEST_DR7), 0x400);
	assert_true(f01(VM_ENTRY_CONTROLS) & VM_ENTRY_IA32E_MODE);
	assert_false(fake_env.vm_ended);
}

/*
 * After the exit, the shadow VMCS holds vmcs12's value of every shadowed
 * field, though the exit wrote only those it changed: L1 reads the exit
 * information and L2's state there, and writes back what it reads.
 */
static void test_exit_leaves_shadow_whole(void **state)
{
	uint64_t shadow = v->nested.shadow_pa;

	(void)state;
	assert_true(v->nested.shadow_active);
	c->vm_entry_intr_info_field = 0x80000300;
	c->guest_physical_address = 0x123000; /* as shadow_ept.c stores it before the exit */
	nested_vmexit(v, EXIT_REASON_EPT_VIOLATION, 0x181, 0x80000b0e);
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++)
		if (vmcs12_fields[i].flags & (VMCS12_SHADOW_RO | VMCS12_SHADOW_RW))
			assert_int_equal(fake_vmcs_get(shadow, vmcs12_fields[i].encoding),
			                 vmcs12_get(c, i));
	assert_int_equal(fake_vmcs_get(shadow, GUEST_RSP), 0x7ff0);
	assert_int_equal(fake_vmcs_get(shadow, EXIT_QUALIFICATION), 0x181);
}

/* The VMWRITEs the exit counts (its loops count once) are those it made. */
static void test_exit_counts_exact(void **state)
{
	struct umbra_exit_counts *acct = this_cpu()->vmx_acct;
	uint64_t writes;

	for (int pat = 0; pat < 2; pat++) {
		setup_shadowed(state);
		acct = this_cpu()->vmx_acct;
		if (!pat)
			c->vm_exit_controls &= ~VM_EXIT_LOAD_IA32_PAT;
		fake_vmcs_reset_counts();
		writes = acct->vmwrites;
		nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
		assert_int_equal(acct->vmwrites - writes,
		                 fake_vmcs_writes_total(pa01) + fake_vmcs_writes_total(pa02) +
		                         fake_vmcs_writes_total(v->nested.shadow_pa));
	}
}

static void test_exit_to_32bit_host(void **state)
{
	(void)state;
	c->vm_exit_controls &= ~(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_EFER);
	v->efer = EFER_SCE | EFER_LME | EFER_LMA;
	c->host_ds_selector = 0;
	nested_vmexit(v, EXIT_REASON_HLT, 0, 0);
	assert_int_equal(f01(GUEST_CS_AR_BYTES), AR_CODE32);
	assert_int_equal(f01(GUEST_DS_AR_BYTES), AR_UNUSABLE);
	/* EFER.LMA/LME follow the host address-space size. */
	assert_int_equal(f01(GUEST_IA32_EFER), EFER_SCE);
	assert_int_equal(v->efer, EFER_SCE);
	assert_false(f01(VM_ENTRY_CONTROLS) & VM_ENTRY_IA32E_MODE);
}

static void test_exit_without_l2(void **state)
{
	(void)state;
	/* A failed VM entry: L2 never ran, nothing of it is saved. */
	nested_switch_vmcs(v, &v->vmcs);
	v->nested.in_l2 = false;
	c->guest_rip = 0x1111;
	nested_vmexit(v, VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE, 2, 0);
	assert_int_equal(c->guest_rip, 0x1111);
	assert_int_equal(c->vm_exit_reason, VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE);
	assert_int_equal(c->exit_qualification, 2);
	assert_int_equal(v->nested.reflected_exits, 0);
	assert_int_equal(f01(GUEST_RIP), c->host_rip);
}

static void test_sync_l2_rare(void **state)
{
	(void)state;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	fake_vmcs_reset_counts();
	nested_sync_l2_rare(v);
	assert_int_equal(c->guest_cs_selector, 0x33);
	assert_int_equal(c->guest_cr3, 0x77000);
	assert_true(c->vm_entry_controls & VM_ENTRY_IA32E_MODE);
	/* EFER is saved only if L1 asked (VM_EXIT_SAVE_IA32_EFER). */
	assert_int_equal(c->guest_ia32_efer, 0xd01);
	assert_false(v->nested.l2_rare_stale);
	assert_int_equal(fake_vmptrst(), pa01);
	/* Done once: the next call reads nothing. */
	fake_vmcs_set(pa02, GUEST_CR3, 0x88000);
	nested_sync_l2_rare(v);
	assert_int_equal(c->guest_cr3, 0x77000);
	/* IA-32e mode follows EFER.LMA; a saved EFER is copied. */
	v->nested.l2_rare_stale = true;
	c->vm_exit_controls |= VM_EXIT_SAVE_IA32_EFER;
	fake_vmcs_set(pa02, GUEST_IA32_EFER, 0);
	nested_sync_l2_rare(v);
	assert_false(c->vm_entry_controls & VM_ENTRY_IA32E_MODE);
	assert_int_equal(c->guest_ia32_efer, 0);
	assert_int_equal(c->guest_cr3, 0x88000);
}

/*
 * L1 wrote a rare guest field after the exit, before anything made vmcs12
 * whole: its write wins over what the CPU saved (found as an L3 WRMSR lost
 * under Umbra in Umbra: the VMRESUME's sync put the old value back).
 */
static void test_sync_keeps_l1_writes(void **state)
{
	(void)state;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	fake_vmcs_set(pa02, GUEST_SYSENTER_ESP, 0x1111);
	assert_int_equal(vmcs12_write(c, GUEST_SYSENTER_ESP, 0x2222, false), 0);
	assert_int_equal(vmcs12_write(c, VM_ENTRY_CONTROLS,
	                              c->vm_entry_controls & ~VM_ENTRY_IA32E_MODE, false),
	                 0);
	nested_sync_l2_rare(v);
	assert_int_equal(c->guest_sysenter_esp, 0x2222);
	assert_false(c->vm_entry_controls & VM_ENTRY_IA32E_MODE);
	/* Fields L1 did not write come from the CPU as before. */
	assert_int_equal(c->guest_cs_selector, 0x33);
}

static void test_l1_preemption_timer_saved(void **state)
{
	(void)state;
	c->pin_based_vm_exec_control |= PIN_BASED_VMX_PREEMPTION_TIMER;
	c->vm_exit_controls |= VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
	/* 100 ticks of the timer (rate 5: 32 TSC ticks each) are left. */
	v->nested.l1_timer_deadline = fake_tsc + (100 << 5);
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	assert_int_equal(c->vmx_preemption_timer_value, 100);
	assert_int_equal(v->nested.l1_timer_deadline, UINT64_MAX);
	/* Expired: 0. */
	setup(NULL);
	c->pin_based_vm_exec_control |= PIN_BASED_VMX_PREEMPTION_TIMER;
	c->vm_exit_controls |= VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
	v->nested.l1_timer_deadline = fake_tsc - 1;
	nested_vmexit(v, EXIT_REASON_PREEMPTION_TIMER, 0, 0);
	assert_int_equal(c->vmx_preemption_timer_value, 0);
	/* Not saved without the save control. */
	setup(NULL);
	c->pin_based_vm_exec_control |= PIN_BASED_VMX_PREEMPTION_TIMER;
	c->vmx_preemption_timer_value = 7;
	v->nested.l1_timer_deadline = fake_tsc + 1000;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	assert_int_equal(c->vmx_preemption_timer_value, 7);
	assert_int_equal(v->nested.l1_timer_deadline, UINT64_MAX);
}

static void test_msr_store_list(void **state)
{
	struct msr_entry *e = fake_gpa(MSR_LIST_GPA);

	(void)state;
	e[0] = (struct msr_entry){MSR_FS_BASE, 0, 0};
	e[1] = (struct msr_entry){MSR_IA32_SYSENTER_CS, 0, 0};
	e[2] = (struct msr_entry){MSR_LSTAR, 0, 0};
	fake_vmcs_set(pa02, GUEST_FS_BASE, 0xabc000);
	fake_vmcs_set(pa02, GUEST_SYSENTER_CS, 0x10);
	fake_msr_set(MSR_LSTAR, 0xffffffff81000000ULL);
	c->vm_exit_msr_store_addr = MSR_LIST_GPA;
	c->vm_exit_msr_store_count = 3;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	assert_false(fake_env.vm_ended);
	assert_int_equal(e[0].value, 0xabc000);
	assert_int_equal(e[1].value, 0x10);
	assert_int_equal(e[2].value, 0xffffffff81000000ULL);
	/* An x2APIC MSR cannot be stored: a VMX abort ends the L1. */
	setup(NULL);
	e[0] = (struct msr_entry){MSR_X2APIC_BASE + 8, 0, 0};
	c->vm_exit_msr_store_addr = MSR_LIST_GPA;
	c->vm_exit_msr_store_count = 1;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	assert_true(fake_env.vm_ended);
	assert_non_null(strstr(fake_env.end_reason, "MSR-store list"));
}

static void test_msr_load_list(void **state)
{
	struct msr_entry *e = fake_gpa(MSR_LIST_GPA);
	const struct vmcs12 *saved = fake_gpa(VMCS12_GPA);

	(void)state;
	e[0] = (struct msr_entry){MSR_IA32_SYSENTER_ESP, 0, 0xffff800000001000ULL};
	e[1] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0x5000};
	e[2] = (struct msr_entry){MSR_GS_BASE, 0, 0x6000};
	c->vm_exit_msr_load_addr = MSR_LIST_GPA;
	c->vm_exit_msr_load_count = 2;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	assert_false(fake_env.vm_ended);
	assert_int_equal(f01(GUEST_SYSENTER_ESP), 0xffff800000001000ULL);
	assert_int_equal(fake_msr_read(MSR_KERNEL_GS_BASE), 0x5000);
	/* GS base may not be in a load list (SDM 28.6): abort indicator 1, written back. */
	setup(NULL);
	e[0] = (struct msr_entry){MSR_IA32_SYSENTER_ESP, 0, 0xffff800000001000ULL};
	e[1] = (struct msr_entry){MSR_KERNEL_GS_BASE, 0, 0x5000};
	e[2] = (struct msr_entry){MSR_GS_BASE, 0, 0x6000};
	c->vm_exit_msr_load_addr = MSR_LIST_GPA;
	c->vm_exit_msr_load_count = 3;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	assert_true(fake_env.vm_ended);
	assert_non_null(strstr(fake_env.end_reason, "MSR-load entry 3"));
	assert_int_equal(c->abort, 1);
	assert_int_equal(saved->abort, 1);
	assert_int_equal(saved->guest_rip, L2_RIP);
	/* A list outside RAM or with a reserved half refuses its first entry. */
	assert_int_equal(nested_load_msr_list(v, FAKE_RAM_SIZE, 1), 1);
	e[0].reserved = 1;
	assert_int_equal(nested_load_msr_list(v, MSR_LIST_GPA, 1), 1);
}

/*
 * Any MSR the virtual CPU has goes in a list (SDM 26.4, 28.4, 28.6), not
 * only the pass-through ones: IA32_TSC stored and loaded, and a list of
 * 512 entries (IA32_VMX_MISC's recommended maximum) whole.
 */
static void test_msr_lists_any_msr(void **state)
{
	struct msr_entry *e = fake_gpa(MSR_LIST_GPA);

	(void)state;
	for (unsigned int i = 0; i < 512; i++)
		e[i] = (struct msr_entry){MSR_IA32_TSC, 0, 1000 + i};
	c->vm_exit_msr_store_addr = MSR_LIST_GPA;
	c->vm_exit_msr_store_count = 1;
	c->vm_exit_msr_load_addr = MSR_LIST_GPA + 16;
	c->vm_exit_msr_load_count = 511;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	assert_false(fake_env.vm_ended);
	/* L2's TSC: nested_msr_passthrough reads it, as the VMCS offsets it. */
	assert_int_not_equal(e[0].value, 1000);
	assert_int_equal(fake_env.tsc_writes, 511);
	assert_int_equal(fake_env.tsc_written, 1000 + 511);
	/* Past the 512 entries IA32_VMX_MISC recommends, the first entry beyond is refused. */
	setup(NULL);
	for (unsigned int i = 0; i < 513; i++)
		e[i] = (struct msr_entry){MSR_IA32_TSC, 0, 1000 + i};
	c->vm_exit_msr_load_addr = MSR_LIST_GPA;
	c->vm_exit_msr_load_count = 0xffffffffu;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	assert_true(fake_env.vm_ended);
	assert_non_null(strstr(fake_env.end_reason, "MSR-load entry 513"));
	assert_int_equal(fake_env.tsc_writes, 512);
	/* An MSR the virtual CPU lacks is refused at its place in the list. */
	setup(NULL);
	e[0] = (struct msr_entry){MSR_IA32_TSC, 0, 5};
	e[1] = (struct msr_entry){0x12345678, 0, 0};
	c->vm_exit_msr_load_addr = MSR_LIST_GPA;
	c->vm_exit_msr_load_count = 2;
	nested_vmexit(v, EXIT_REASON_CPUID, 0, 0);
	assert_true(fake_env.vm_ended);
	assert_non_null(strstr(fake_env.end_reason, "MSR-load entry 2"));
	assert_int_equal(fake_env.tsc_writes, 1); /* the first was loaded, as on the CPU */
}

/*
 * A batch's failed VMWRITE (here: an encoding that is no field) is found by
 * its vmx_batch_check() from the error number the failure left; a batch
 * that failed nothing passes, whatever else the error field holds.
 */
static void test_batch_check(void **state)
{
	(void)state;
	loaded_vmcs_load(&v->vmcs);
	fake_vmcs_set(pa01, VM_INSTRUCTION_ERROR, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
	vmcs_write_batched(GUEST_RIP, 0x1000);
	vmx_batch_check("a test batch");
	assert_int_equal(f01(GUEST_RIP), 0x1000);
	vmcs_write_batched(GUEST_CR0 | 1, 1); /* the "high" half of a natural-width field */
	expect_assert_failure(vmx_batch_check("a test batch"));
}

static void test_msr_passthrough(void **state)
{
	uint64_t val;
	static const struct {
		uint32_t msr, field;
	} vmcs_msrs[] = {
	        {MSR_IA32_SYSENTER_CS, GUEST_SYSENTER_CS},
	        {MSR_IA32_SYSENTER_ESP, GUEST_SYSENTER_ESP},
	        {MSR_IA32_SYSENTER_EIP, GUEST_SYSENTER_EIP},
	        {MSR_FS_BASE, GUEST_FS_BASE},
	        {MSR_GS_BASE, GUEST_GS_BASE},
	        {MSR_IA32_PAT, GUEST_IA32_PAT},
	};

	(void)state;
	nested_switch_vmcs(v, &v->vmcs);
	for (unsigned int i = 0; i < sizeof(vmcs_msrs) / sizeof(vmcs_msrs[0]); i++) {
		val = 0x0006060606060606ULL & 0xffffffff;
		assert_int_equal(nested_msr_passthrough(vmcs_msrs[i].msr, true, &val),
		                 MSR_PASS_DONE);
		assert_int_equal(f01(vmcs_msrs[i].field), val);
		val = 0;
		assert_int_equal(nested_msr_passthrough(vmcs_msrs[i].msr, false, &val),
		                 MSR_PASS_DONE);
		assert_int_equal(val, 0x06060606);
	}
	/* The TSC as the VMCS offsets it; writing it is not for this path. */
	fake_vmcs_set(pa01, CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_USE_TSC_OFFSETTING);
	fake_vmcs_set(pa01, TSC_OFFSET, 50);
	assert_int_equal(nested_msr_passthrough(MSR_IA32_TSC, false, &val), MSR_PASS_DONE);
	assert_int_equal(val, fake_tsc + 50);
	fake_vmcs_set(pa01, CPU_BASED_VM_EXEC_CONTROL, 0);
	assert_int_equal(nested_msr_passthrough(MSR_IA32_TSC, false, &val), MSR_PASS_DONE);
	assert_int_equal(val, fake_tsc);
	assert_int_equal(nested_msr_passthrough(MSR_IA32_TSC, true, &val), MSR_PASS_OTHER);
	/* Values WRMSR would #GP on: nothing written. */
	val = 0x0000800000000000ULL;
	assert_int_equal(nested_msr_passthrough(MSR_LSTAR, true, &val), MSR_PASS_GP);
	val = 0x08;
	assert_int_equal(nested_msr_passthrough(MSR_IA32_PAT, true, &val), MSR_PASS_GP);
	val = 1ULL << 32;
	assert_int_equal(nested_msr_passthrough(MSR_TSC_AUX, true, &val), MSR_PASS_GP);
	assert_int_equal(nested_msr_passthrough(MSR_EFER, false, &val), MSR_PASS_OTHER);
	/* Registers the VMCS does not switch: the real MSR. */
	val = 7;
	assert_int_equal(nested_msr_passthrough(MSR_TSC_AUX, true, &val), MSR_PASS_DONE);
	assert_int_equal(fake_msr_read(MSR_TSC_AUX), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_exit_saves_l2_and_loads_l1, setup),
	        cmocka_unit_test_setup(test_exit_leaves_shadow_whole, setup_shadowed),
	        cmocka_unit_test(test_exit_counts_exact),
	        cmocka_unit_test_setup(test_exit_to_32bit_host, setup),
	        cmocka_unit_test_setup(test_exit_without_l2, setup),
	        cmocka_unit_test_setup(test_sync_l2_rare, setup),
	        cmocka_unit_test_setup(test_sync_keeps_l1_writes, setup),
	        cmocka_unit_test_setup(test_l1_preemption_timer_saved, setup),
	        cmocka_unit_test_setup(test_msr_store_list, setup),
	        cmocka_unit_test_setup(test_msr_load_list, setup),
	        cmocka_unit_test_setup(test_msr_lists_any_msr, setup),
	        cmocka_unit_test_setup(test_msr_passthrough, setup),
	        cmocka_unit_test_setup(test_batch_check, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
