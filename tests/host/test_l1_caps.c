/*
 * Host tests of nested/l1_caps.c: what an L1 is offered, from a Skylake-like
 * host. Whatever is offered must be emulated; whatever is not must not appear.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>

#include "nested/l1_caps.h"
#include "nested/vmcs12.h"
#include "skylake_vmx.h"

static struct nested_caps n;

static int setup(void **state)
{
	struct vmx_cap_msrs raw;

	(void)state;
	skylake(&raw);
	vmx_caps_decode(&vmx_caps, &raw);
	nested_caps_init(&n, &vmx_caps, 39, false);
	return 0;
}

static uint64_t msr(uint32_t m)
{
	uint64_t v = 0;

	assert_true(nested_caps_msr(&n, m, &v));
	return v;
}

static void test_basic(void **state)
{
	uint64_t b = msr(MSR_IA32_VMX_BASIC);

	(void)state;
	assert_int_equal(b & VMX_BASIC_REVISION_MASK, VMCS12_REVISION_ID);
	assert_int_equal((b >> VMX_BASIC_VMCS_SIZE_SHIFT) & VMX_BASIC_VMCS_SIZE_MASK, 4096);
	assert_int_equal((b >> VMX_BASIC_MEMTYPE_SHIFT) & VMX_BASIC_MEMTYPE_MASK, VMX_MEMTYPE_WB);
	assert_true(b & VMX_BASIC_TRUE_CTLS);
	/* No dual-monitor treatment, no 32-bit limit, no relaxed error-code check. */
	assert_false(b & (VMX_BASIC_DUAL_MONITOR | VMX_BASIC_PHYS_ADDR_32 |
	                  VMX_BASIC_NO_HW_ERRCODE_CHK));
	assert_int_equal(n.maxphyaddr, 39);
}

/* Every control capability is consistent: must-be-1 bits may be 1. */
static void test_controls_consistent(void **state)
{
	static const uint32_t ctls[] = {
	        MSR_IA32_VMX_PINBASED_CTLS,       MSR_IA32_VMX_PROCBASED_CTLS,
	        MSR_IA32_VMX_EXIT_CTLS,           MSR_IA32_VMX_ENTRY_CTLS,
	        MSR_IA32_VMX_PROCBASED_CTLS2,     MSR_IA32_VMX_TRUE_PINBASED_CTLS,
	        MSR_IA32_VMX_TRUE_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS,
	        MSR_IA32_VMX_TRUE_ENTRY_CTLS,
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(ctls) / sizeof(ctls[0]); i++) {
		uint64_t c = msr(ctls[i]);

		assert_int_equal((uint32_t)c & ~(uint32_t)(c >> 32), 0);
	}
	/* The legacy MSRs force the default1 bits; the TRUE ones keep the host's. */
	assert_int_equal((uint32_t)msr(MSR_IA32_VMX_PROCBASED_CTLS) & CPU_BASED_DEFAULT1,
	                 CPU_BASED_DEFAULT1);
	assert_int_equal((uint32_t)msr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS), 0x04006172);
}

/* What is not emulated is not offered. */
static void test_not_offered(void **state)
{
	uint32_t pin = (uint32_t)(msr(MSR_IA32_VMX_TRUE_PINBASED_CTLS) >> 32);
	uint32_t proc = (uint32_t)(msr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS) >> 32);
	uint32_t proc2 = (uint32_t)(msr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32);
	uint32_t exit = (uint32_t)(msr(MSR_IA32_VMX_TRUE_EXIT_CTLS) >> 32);
	uint32_t entry = (uint32_t)(msr(MSR_IA32_VMX_TRUE_ENTRY_CTLS) >> 32);
	uint64_t v;

	(void)state;
	assert_false(pin & (PIN_BASED_VMX_PREEMPTION_TIMER | PIN_BASED_VIRTUAL_NMIS |
	                    PIN_BASED_POSTED_INTR));
	assert_false(proc & (CPU_BASED_TPR_SHADOW | CPU_BASED_MONITOR_TRAP_FLAG |
	                     CPU_BASED_NMI_WINDOW_EXITING | CPU_BASED_ACTIVATE_TERTIARY_CONTROLS));
	assert_false(proc2 & (SECONDARY_EXEC_VMCS_SHADOWING | SECONDARY_EXEC_ENABLE_VMFUNC |
	                      SECONDARY_EXEC_ENABLE_PML | SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES |
	                      SECONDARY_EXEC_XSAVES));
	assert_false(exit &
	             (VM_EXIT_SAVE_VMX_PREEMPTION_TIMER | VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL));
	assert_false(entry & (VM_ENTRY_SMM | VM_ENTRY_DEACT_DUAL_MONITOR |
	                      VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL));
	/* Offered: VPID, EPT with unrestricted guest, and the exits Umbra reflects. */
	assert_true(proc2 & SECONDARY_EXEC_ENABLE_VPID);
	assert_true(proc2 & SECONDARY_EXEC_ENABLE_EPT);
	assert_true(proc2 & SECONDARY_EXEC_UNRESTRICTED_GUEST);
	assert_true(proc & CPU_BASED_USE_MSR_BITMAPS);
	assert_true(entry & VM_ENTRY_IA32E_MODE);
	/*
	 * EPT as shadow EPT emulates it (no 5-level walk, no advanced exit
	 * information), INVVPID kept; no timer or activity states; 4 CR3
	 * targets.
	 */
	v = msr(MSR_IA32_VMX_EPT_VPID_CAP);
	assert_int_equal(v & 0xffffffffULL,
	                 SKL_EPT_VPID &
	                         (VMX_EPT_EXECUTE_ONLY | VMX_EPT_PAGE_WALK_4 | VMX_EPT_MEMTYPE_UC |
	                          VMX_EPT_MEMTYPE_WB | VMX_EPT_2MB_PAGE | VMX_EPT_1GB_PAGE |
	                          VMX_EPT_INVEPT | VMX_EPT_AD | VMX_EPT_INVEPT_SINGLE_CONTEXT |
	                          VMX_EPT_INVEPT_ALL_CONTEXT));
	assert_true(v & VMX_EPT_AD); /* the host has the A/D flags: shadow EPT sets them */
	assert_false(v & (VMX_EPT_PAGE_WALK_5 | VMX_EPT_ADVANCED_EXIT_INFO));
	assert_int_equal(nested_caps_invept_types(&n),
	                 1u << INVEPT_SINGLE_CONTEXT | 1u << INVEPT_ALL_CONTEXT);
	assert_true(v & VMX_VPID_INVVPID);
	v = msr(MSR_IA32_VMX_MISC);
	assert_int_equal(v & VMX_MISC_TIMER_RATE_MASK, 0);
	/* Of the activity states, HLT (Umbra halts L2 itself); not shutdown or wait-for-SIPI. */
	assert_true(v & VMX_MISC_ACTIVITY_HLT);
	assert_false(v & (VMX_MISC_ACTIVITY_SHUTDOWN | VMX_MISC_ACTIVITY_WAIT_SIPI));
	assert_int_equal(v >> VMX_MISC_CR3_TARGETS_SHIFT & VMX_MISC_CR3_TARGETS_MASK, 4);
	/* No VM functions: RDMSR of IA32_VMX_VMFUNC is #GP (absent). */
	assert_false(nested_caps_msr(&n, MSR_IA32_VMX_VMFUNC, &v));
	assert_false(nested_caps_msr(&n, MSR_IA32_VMX_VMFUNC + 1, &v));
}

/* With Umbra's slices on the preemption timer, L1 gets it too, at the host's rate. */
static void test_timer_offered(void **state)
{
	uint32_t pin, exit;

	(void)state;
	nested_caps_init(&n, &vmx_caps, 39, true);
	pin = (uint32_t)(msr(MSR_IA32_VMX_TRUE_PINBASED_CTLS) >> 32);
	exit = (uint32_t)(msr(MSR_IA32_VMX_TRUE_EXIT_CTLS) >> 32);
	assert_true(pin & PIN_BASED_VMX_PREEMPTION_TIMER);
	assert_true(exit & VM_EXIT_SAVE_VMX_PREEMPTION_TIMER);
	assert_int_equal(msr(MSR_IA32_VMX_MISC) & VMX_MISC_TIMER_RATE_MASK,
	                 SKL_MISC & VMX_MISC_TIMER_RATE_MASK);
}

static void test_invvpid_types(void **state)
{
	(void)state;
	assert_int_equal(nested_caps_invvpid_types(&n), 0xf);
}

/* IA32_VMX_VMCS_ENUM covers every field of the table. */
static void test_vmcs_enum(void **state)
{
	uint32_t max = (uint32_t)(msr(MSR_IA32_VMX_VMCS_ENUM) >> 1) & 0x1ff;

	(void)state;
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++)
		assert_true(((vmcs12_fields[i].encoding >> 1) & 0x1ff) <= max);
}

static void test_ctl_ok(void **state)
{
	uint64_t cap = ((uint64_t)0xf0 << 32) | 0x10;

	(void)state;
	assert_true(nested_ctl_ok(cap, 0x10));
	assert_true(nested_ctl_ok(cap, 0xf0));
	assert_false(nested_ctl_ok(cap, 0x20));  /* must-be-1 bit missing */
	assert_false(nested_ctl_ok(cap, 0x110)); /* bit outside may-be-1 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_basic, setup),
	        cmocka_unit_test_setup(test_controls_consistent, setup),
	        cmocka_unit_test_setup(test_not_offered, setup),
	        cmocka_unit_test_setup(test_invvpid_types, setup),
	        cmocka_unit_test_setup(test_timer_offered, setup),
	        cmocka_unit_test_setup(test_vmcs_enum, setup),
	        cmocka_unit_test(test_ctl_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
