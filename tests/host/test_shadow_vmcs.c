/*
 * Host tests of nested/shadow_vmcs.c on the fake VMCS: vmcs01 links the
 * shadow VMCS; vmcs12 -> shadow after VMPTRLD and exits, shadow -> vmcs12
 * (writable fields, dirty if changed) before entries; the caller's VMCS is
 * current again after each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "arch/x86/percpu.h"
#include "fake_vmcs.h"
#include "nested/nested_internal.h"
#include "nested_env.h"

#define VMCS12_GPA 0x5000

static struct vcpu *v;
static struct vmcs12 *c;
static uint64_t pa01, shadow;

static int setup(void **state)
{
	(void)state;
	fake_env_reset();
	v = fake_l1_vcpu(true);
	c = v->nested.vmcs12;
	pa01 = v->vmcs.vmcs_pa;
	shadow = v->nested.shadow_pa;
	return 0;
}

/* vmcs01 (or `back`) current, in the fake and in Umbra's own record. */
static void assert_current(const struct loaded_vmcs *back)
{
	assert_int_equal(fake_vmptrst(), back->vmcs_pa);
	assert_ptr_equal(this_cpu()->current_vmcs, back);
}

static void test_activate_links_vmcs01(void **state)
{
	(void)state;
	assert_int_not_equal(shadow, 0);
	/* The region is a shadow VMCS: indicator bit 31 over the revision. */
	assert_int_equal(*(uint32_t *)shadow, vmx_caps.revision_id | (1u << 31));
	assert_true(fake_vmcs_is_clear(shadow));
	shadow_vmcs_activate(v, true);
	assert_true(v->nested.shadow_active);
	assert_int_equal(fake_vmcs_get(pa01, VMCS_LINK_POINTER), shadow);
	assert_int_not_equal(fake_vmcs_get(pa01, VMREAD_BITMAP), 0);
	assert_int_not_equal(fake_vmcs_get(pa01, VMWRITE_BITMAP), 0);
	assert_true(fake_vmcs_get(pa01, SECONDARY_VM_EXEC_CONTROL) & SECONDARY_EXEC_VMCS_SHADOWING);
	/* Again: nothing to do. */
	fake_vmcs_reset_counts();
	shadow_vmcs_activate(v, true);
	assert_int_equal(fake_vmcs_writes_total(pa01), 0);
	/* Off: no link pointer to a shadow VMCS without shadowing (SDM 26.3.1.5). */
	shadow_vmcs_activate(v, false);
	assert_false(v->nested.shadow_active);
	assert_int_equal(fake_vmcs_get(pa01, VMCS_LINK_POINTER), ~0ULL);
	assert_false(fake_vmcs_get(pa01, SECONDARY_VM_EXEC_CONTROL) &
	             SECONDARY_EXEC_VMCS_SHADOWING);
	/* On again: the bitmaps were written once. */
	fake_vmcs_reset_counts();
	shadow_vmcs_activate(v, true);
	assert_int_equal(fake_vmcs_writes(pa01, VMREAD_BITMAP), 0);
	assert_int_equal(fake_vmcs_get(pa01, VMCS_LINK_POINTER), shadow);
}

static void test_load_then_save(void **state)
{
	(void)state;
	fake_l1_vmptrld(v, VMCS12_GPA);
	fake_valid_vmcs12(c);
	c->vm_exit_reason = EXIT_REASON_CPUID;
	vmcs12_dirty_clear_all(&c->dirty);
	shadow_vmcs_load(v, &v->vmcs);
	assert_current(&v->vmcs);
	/* Every shadowed field, read-only ones included; no other. */
	assert_int_equal(fake_vmcs_get(shadow, GUEST_RIP), c->guest_rip);
	assert_int_equal(fake_vmcs_get(shadow, VM_EXIT_REASON), EXIT_REASON_CPUID);
	assert_int_equal(fake_vmcs_get(shadow, CPU_BASED_VM_EXEC_CONTROL),
	                 c->cpu_based_vm_exec_control);
	assert_int_equal(fake_vmcs_writes(shadow, HOST_RIP), 0);
	/* L1 advanced RIP and wrote the exit reason's place through the shadow. */
	fake_vmcs_set(shadow, GUEST_RIP, c->guest_rip + 3);
	fake_vmcs_set(shadow, VM_EXIT_REASON, 99);
	/* And a 32-bit field (a VMREAD of one has bits 63:32 clear, as here). */
	fake_vmcs_set(shadow, GUEST_INTERRUPTIBILITY_INFO, c->guest_interruptibility_info ^ 1);
	shadow_vmcs_save(v, &v->vmcs);
	assert_current(&v->vmcs);
	assert_int_equal(c->guest_rip, 0x200003);
	assert_true(vmcs12_dirty_test(&c->dirty, VMCS12_IDX_GUEST_RIP));
	assert_true(vmcs12_dirty_test(&c->dirty, VMCS12_IDX_GUEST_INTERRUPTIBILITY_INFO));
	/* Read-only fields are never copied back; unchanged ones are not dirty. */
	assert_int_equal(c->vm_exit_reason, EXIT_REASON_CPUID);
	assert_false(vmcs12_dirty_test(&c->dirty, VMCS12_IDX_GUEST_RSP));
}

static void test_back_is_vmcs02(void **state)
{
	(void)state;
	fake_l1_vmptrld(v, VMCS12_GPA);
	nested_switch_vmcs(v, &v->nested.vmcs02);
	shadow_vmcs_load(v, &v->nested.vmcs02);
	assert_current(&v->nested.vmcs02);
	shadow_vmcs_save(v, v->loaded);
	assert_current(&v->nested.vmcs02);
}

static void test_write_field(void **state)
{
	int rip = vmcs12_field_index(GUEST_RIP), host = vmcs12_field_index(HOST_RIP);

	(void)state;
	fake_l1_vmptrld(v, VMCS12_GPA);
	c->guest_rip = 0x4242;
	shadow_vmcs_write_field(v, (unsigned int)rip);
	assert_int_equal(fake_vmcs_get(shadow, GUEST_RIP), 0x4242);
	assert_current(&v->vmcs);
	/* A field the shadow does not hold: nothing. */
	fake_vmcs_reset_counts();
	shadow_vmcs_write_field(v, (unsigned int)host);
	assert_int_equal(fake_vmcs_writes_total(shadow), 0);
}

static void test_inactive_does_nothing(void **state)
{
	(void)state;
	fake_vmcs_reset_counts();
	shadow_vmcs_load(v, &v->vmcs);
	shadow_vmcs_save(v, &v->vmcs);
	shadow_vmcs_write_field(v, (unsigned int)vmcs12_field_index(GUEST_RIP));
	assert_int_equal(fake_vmcs_writes_total(shadow), 0);
	assert_current(&v->vmcs);
	/* A CPU without VMCS shadowing: never linked. */
	v->nested.shadow_pa = 0;
	shadow_vmcs_activate(v, true);
	assert_false(v->nested.shadow_active);
	assert_int_equal(fake_vmcs_get(pa01, VMCS_LINK_POINTER), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_activate_links_vmcs01, setup),
	        cmocka_unit_test_setup(test_load_then_save, setup),
	        cmocka_unit_test_setup(test_back_is_vmcs02, setup),
	        cmocka_unit_test_setup(test_write_field, setup),
	        cmocka_unit_test_setup(test_inactive_does_nothing, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
