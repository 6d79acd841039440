/*
 * Host tests of nested/vmcs02.c on the fake VMCS: vmcs12 -> vmcs02 before a
 * nested VM entry, Umbra's fixed fields once, then only the dirty fields.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "fake_vmcs.h"
#include "arch/x86/msr.h"
#include "nested/nested_internal.h"
#include "nested_env.h"
#include "vcpu/vmcs_setup.h"

#define VMCS12_GPA  0x5000
#define L1_EFER     (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define L1_PAT      0x0007040600070406ULL
#define L1_DR7      0x401ULL /* L1's, as nested_vmentry reads them from vmcs01 */
#define L1_DEBUGCTL 0x2ULL

extern uint64_t nested_msr_bitmap02; /* vmcs02.c */

static struct vcpu *v;
static struct vmcs12 *c;
static uint64_t pa02;

static int setup(void **state)
{
	(void)state;
	fake_env_reset();
	v = fake_l1_vcpu(false);
	fake_l1_vmptrld(v, VMCS12_GPA);
	c = v->nested.vmcs12;
	fake_valid_vmcs12(c);
	v->nested.l1_efer_at_entry = L1_EFER;
	v->nested.l1_pat_at_entry = L1_PAT;
	v->nested.l1_dr7_at_entry = L1_DR7;
	v->nested.l1_debugctl_at_entry = L1_DEBUGCTL;
	pa02 = v->nested.vmcs02.vmcs_pa;
	nested_switch_vmcs(v, &v->nested.vmcs02);
	return 0;
}

static uint64_t f02(uint32_t field)
{
	return fake_vmcs_get(pa02, field);
}

/* Prepares vmcs02 and returns how many VMWRITEs that took. */
static unsigned int prepare(void)
{
	fake_vmcs_reset_counts();
	vmcs02_prepare(v);
	return fake_vmcs_writes_total(pa02);
}

static void test_first_entry(void **state)
{
	const struct vmcs_base *b = vmcs_base();

	(void)state;
	assert_false(v->nested.vmcs02_set_up);
	prepare();
	assert_true(v->nested.vmcs02_set_up);
	/* Umbra's own fields. */
	assert_int_equal(fake_env.host_state_setups, 1);
	assert_int_equal(f02(IO_BITMAP_A), b->io_bitmap_a);
	assert_int_equal(f02(IO_BITMAP_B), b->io_bitmap_b);
	assert_int_equal(f02(MSR_BITMAP), nested_msr_bitmap02);
	assert_int_equal(f02(VMCS_LINK_POINTER), ~0ULL);
	assert_int_equal(f02(VIRTUAL_PROCESSOR_ID), v->nested.vpid02);
	assert_int_equal(f02(PIN_BASED_VM_EXEC_CONTROL), b->pin);
	assert_int_equal(f02(VM_EXIT_CONTROLS), b->exit);
	/* L1's guest state, every field (all dirty after VMPTRLD). */
	assert_int_equal(f02(GUEST_RIP), c->guest_rip);
	assert_int_equal(f02(GUEST_CS_SELECTOR), c->guest_cs_selector);
	assert_int_equal(f02(GUEST_TR_AR_BYTES), c->guest_tr_ar_bytes);
	assert_int_equal(f02(GUEST_CR3), c->guest_cr3);
	assert_int_equal(f02(GUEST_IA32_EFER), c->guest_ia32_efer);
	assert_int_equal(f02(GUEST_IA32_PAT), c->guest_ia32_pat);
	assert_int_equal(f02(GUEST_DR7), c->guest_dr7);
	/* Nothing is dirty any more. */
	assert_int_equal(vmcs12_dirty_next(&c->dirty, 0), VMCS12_FIELD_COUNT);
	/* Set up once: a second entry does not repeat it. */
	prepare();
	assert_int_equal(fake_env.host_state_setups, 1);
}

static void test_only_dirty_fields(void **state)
{
	(void)state;
	prepare();
	/* Nothing written by L1: no VMWRITE at all (the control setters skip theirs). */
	assert_int_equal(prepare(), 0);
	/* L1 advanced L2's RIP: one VMWRITE. */
	assert_int_equal(vmcs12_write(c, GUEST_RIP, 0x200010, false), 0);
	assert_int_equal(prepare(), 1);
	assert_int_equal(fake_vmcs_writes(pa02, GUEST_RIP), 1);
	assert_int_equal(f02(GUEST_RIP), 0x200010);
	/* An event injection: the three entry fields, as L1 wrote them. */
	assert_int_equal(vmcs12_write(c, VM_ENTRY_INTR_INFO_FIELD, 0x80000b0e, false), 0);
	assert_int_equal(vmcs12_write(c, VM_ENTRY_EXCEPTION_ERROR_CODE, 2, false), 0);
	assert_int_equal(vmcs12_write(c, VM_ENTRY_INSTRUCTION_LEN, 3, false), 0);
	assert_int_equal(prepare(), 3);
	assert_int_equal(f02(VM_ENTRY_INTR_INFO_FIELD), 0x80000b0e);
	assert_int_equal(f02(VM_ENTRY_EXCEPTION_ERROR_CODE), 2);
	assert_int_equal(f02(VM_ENTRY_INSTRUCTION_LEN), 3);
}

static void test_fields_not_copied(void **state)
{
	(void)state;
	c->vmcs_link_pointer = 0x7000;
	c->vmx_preemption_timer_value = 1234;
	c->guest_pdptr0 = 0x1111;
	c->host_rip = 0xdead;
	c->io_bitmap_a = 0x9000;
	c->msr_bitmap = 0x9000;
	c->exception_bitmap = 1u << 14;
	prepare();
	/* Umbra's own values, not L1's. */
	assert_int_equal(f02(VMCS_LINK_POINTER), ~0ULL);
	assert_int_equal(f02(VMX_PREEMPTION_TIMER_VALUE), 0);
	assert_int_equal(f02(GUEST_PDPTR0), 0);
	assert_int_equal(f02(HOST_RIP), 0xffffffff80001000ULL);
	assert_int_equal(f02(IO_BITMAP_A), vmcs_base()->io_bitmap_a);
	assert_int_equal(f02(MSR_BITMAP), nested_msr_bitmap02);
	/* A control L2 takes as L1 wrote it. */
	assert_int_equal(f02(EXCEPTION_BITMAP), 1u << 14);
	assert_true(vmcs02_umbra_field(VMCS_LINK_POINTER));
	/* L1's with EPT12 (write_pdptes), else Umbra's from memory: not a fixed Umbra field. */
	assert_false(vmcs02_umbra_field(GUEST_PDPTR3));
	assert_false(vmcs02_umbra_field(GUEST_RIP));
}

static void test_cr_masks(void **state)
{
	(void)state;
	c->cr0_guest_host_mask = CR0_TS;
	c->cr0_read_shadow = CR0_TS;
	c->guest_cr0 = CR0_PE | CR0_PG | CR0_NE | CR0_ET;
	c->cr4_guest_host_mask = CR4_OSFXSR;
	c->cr4_read_shadow = 0;
	c->guest_cr4 = CR4_PAE | CR4_VMXE | CR4_OSFXSR;
	prepare();
	/* Umbra owns PG/NE and VMXE on top of L1's bits. */
	assert_int_equal(f02(CR0_GUEST_HOST_MASK), CR0_TS | VMCS_CR0_HOST_OWNED);
	assert_int_equal(f02(CR4_GUEST_HOST_MASK), CR4_OSFXSR | VMCS_CR4_HOST_OWNED);
	/* L1's bits read as L1's shadow says, the rest as L2's real value. */
	assert_int_equal(f02(CR0_READ_SHADOW), CR0_TS | CR0_PE | CR0_PG | CR0_NE | CR0_ET);
	assert_int_equal(f02(CR4_READ_SHADOW), CR4_PAE | CR4_VMXE);
	/* A shadow alone rewrites the four mask and shadow fields, not the guest CR. */
	assert_int_equal(vmcs12_write(c, CR0_READ_SHADOW, 0, false), 0);
	assert_int_equal(prepare(), 4);
	assert_int_equal(f02(CR0_READ_SHADOW), CR0_PE | CR0_PG | CR0_NE | CR0_ET);
	assert_int_equal(fake_vmcs_writes(pa02, GUEST_CR0), 0);
}

static void test_msr_state_without_load_controls(void **state)
{
	(void)state;
	c->vm_entry_controls &=
	        ~(VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_DEBUG_CONTROLS);
	c->guest_ia32_efer = 0;
	c->guest_ia32_pat = 0;
	c->guest_dr7 = 0xff;
	c->guest_ia32_debugctl = 1;
	prepare();
	/* L1's EFER, PAT, DR7 and DEBUGCTL carry over; LMA/LME follow the IA-32e mode control. */
	assert_int_equal(f02(GUEST_IA32_EFER), L1_EFER);
	assert_int_equal(f02(GUEST_IA32_PAT), L1_PAT);
	assert_int_equal(f02(GUEST_DR7), L1_DR7);
	assert_int_equal(f02(GUEST_IA32_DEBUGCTL), L1_DEBUGCTL);
	assert_true(vmcs12_write(c, VM_ENTRY_CONTROLS, c->vm_entry_controls & ~VM_ENTRY_IA32E_MODE,
	                         false) == 0);
	prepare();
	assert_int_equal(f02(GUEST_IA32_EFER), EFER_SCE | EFER_NXE);
	/* The entry controls vmcs02 gets: Umbra's, plus IA-32e mode only from L1. */
	assert_int_equal(f02(VM_ENTRY_CONTROLS), vmcs_base()->entry);
}

static void test_pae_pdptes(void **state)
{
	uint64_t *pdpt = fake_gpa(0x30000);

	(void)state;
	for (int i = 0; i < 4; i++)
		pdpt[i] = 0x40001 + 0x1000 * (uint64_t)i;
	c->vm_entry_controls &= ~VM_ENTRY_IA32E_MODE;
	c->guest_cr3 = 0x30000;
	prepare();
	assert_int_equal(f02(GUEST_PDPTR0), 0x40001);
	assert_int_equal(f02(GUEST_PDPTR3), 0x43001);
	/* In IA-32e mode the PDPTEs are not loaded. */
	pdpt[0] = 0x50001;
	c->vm_entry_controls |= VM_ENTRY_IA32E_MODE;
	vmcs12_dirty_set(&c->dirty, VMCS12_IDX_GUEST_CR3);
	prepare();
	assert_int_equal(f02(GUEST_PDPTR0), 0x40001);
}

static void test_controls(void **state)
{
	const struct vmcs_base *b = vmcs_base();
	uint32_t proc = CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
	                CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS |
	                CPU_BASED_CR8_LOAD_EXITING;

	(void)state;
	c->cpu_based_vm_exec_control = proc;
	c->secondary_vm_exec_control = SECONDARY_EXEC_ENABLE_RDTSCP |
	                               SECONDARY_EXEC_WBINVD_EXITING |
	                               SECONDARY_EXEC_VMCS_SHADOWING;
	prepare();
	/* L1's exiting controls stay; its bitmaps and I/O exiting are replaced by Umbra's. */
	assert_int_equal(f02(CPU_BASED_VM_EXEC_CONTROL),
	                 CPU_BASED_HLT_EXITING | CPU_BASED_CR8_LOAD_EXITING |
	                         CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING |
	                         CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |
	                         CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	/* Secondary: Umbra's EPT/VPID/UG, and of L1's only what is offered. */
	assert_int_equal(f02(SECONDARY_VM_EXEC_CONTROL),
	                 SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID |
	                         SECONDARY_EXEC_UNRESTRICTED_GUEST | SECONDARY_EXEC_ENABLE_RDTSCP |
	                         SECONDARY_EXEC_WBINVD_EXITING);
	/* Without "activate secondary controls", L1's secondary field does not count. */
	c->cpu_based_vm_exec_control &= ~CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	prepare();
	assert_int_equal(f02(SECONDARY_VM_EXEC_CONTROL),
	                 b->secondary & ~SECONDARY_EXEC_ENABLE_RDTSCP);
}

static void test_tsc_offset(void **state)
{
	(void)state;
	v->msrs.tsc_offset = 100;
	c->tsc_offset = 20;
	prepare();
	/* Without L1's offsetting, L2 runs on the vCPU's own offset. */
	assert_int_equal(f02(TSC_OFFSET), 100);
	c->cpu_based_vm_exec_control |= CPU_BASED_USE_TSC_OFFSETTING;
	assert_int_equal(prepare(), 2); /* the processor-based controls and the offset */
	assert_int_equal(f02(TSC_OFFSET), 120);
	/* L2 wrote the vCPU's TSC: vmcs02 now, vmcs01 when L1 runs again. */
	v->msrs.tsc_offset = 300;
	nested_tsc_offset_moved(v);
	assert_int_equal(f02(TSC_OFFSET), 320);
	assert_true(v->nested.l1_tsc_offset_stale);
	nested_switch_vmcs(v, &v->vmcs);
	assert_int_equal(fake_vmcs_get(v->vmcs.vmcs_pa, TSC_OFFSET), 300);
	assert_false(v->nested.l1_tsc_offset_stale);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_first_entry, setup),
	        cmocka_unit_test_setup(test_only_dirty_fields, setup),
	        cmocka_unit_test_setup(test_fields_not_copied, setup),
	        cmocka_unit_test_setup(test_cr_masks, setup),
	        cmocka_unit_test_setup(test_msr_state_without_load_controls, setup),
	        cmocka_unit_test_setup(test_pae_pdptes, setup),
	        cmocka_unit_test_setup(test_controls, setup),
	        cmocka_unit_test_setup(test_tsc_offset, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
