/*
 * Host tests of nested/nvmx_rules.c: one test per SDM rule of the VMX
 * instructions (Vol. 3 chapter 31), each naming the outcome the SDM gives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arch/x86/vmx/vmx_bits.h"
#include "nested/nvmx_rules.h"

#define REV 0x2b

/* An L1 in VMX root operation at CPL 0 in 64-bit mode, with a current VMCS. */
static struct nvmx_l1_state root(void)
{
	return (struct nvmx_l1_state){
	        .cr0_pe = true,
	        .cr4_vmxe = true,
	        .cpl = 0,
	        .in_vmx = true,
	        .vmxon_ptr = 0x10000,
	        .current_vmcs = 0x11000,
	        .maxphyaddr = 36,
	        .feature_control_ok = true,
	        .cr_fixed_ok = true,
	};
}

static void expect(struct nvmx_outcome o, enum nvmx_outcome_kind kind, uint32_t error)
{
	assert_int_equal(o.kind, kind);
	if (kind == NVMX_OUT_FAIL_VALID)
		assert_int_equal(o.error, error);
}

static void test_vmxon(void **state)
{
	(void)state;
	struct nvmx_l1_state s = root();

	s.in_vmx = false;
	s.current_vmcs = NVMX_NO_VMCS;
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_OK, 0);
	/* #UD: CR4.VMXE clear, real mode, virtual-8086, compatibility mode. */
	s.cr4_vmxe = false;
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_UD, 0);
	s = root(), s.in_vmx = false, s.cr0_pe = false;
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_UD, 0);
	s = root(), s.in_vmx = false, s.rflags_vm = true;
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_UD, 0);
	s = root(), s.in_vmx = false, s.compat_mode = true;
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_UD, 0);
	/* #GP: CPL > 0, CR0/CR4 fixed bits, IA32_FEATURE_CONTROL. */
	s = root(), s.in_vmx = false, s.cpl = 3;
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_GP, 0);
	s = root(), s.in_vmx = false, s.cr_fixed_ok = false;
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_GP, 0);
	s = root(), s.in_vmx = false, s.feature_control_ok = false;
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_GP, 0);
	/* VMfailInvalid: misaligned, beyond MAXPHYADDR, wrong revision, shadow bit. */
	s = root(), s.in_vmx = false;
	expect(nvmx_check_vmxon(&s, 0x10008, REV, REV), NVMX_OUT_FAIL_INVALID, 0);
	expect(nvmx_check_vmxon(&s, 1ULL << 36, REV, REV), NVMX_OUT_FAIL_INVALID, 0);
	expect(nvmx_check_vmxon(&s, 0x10000, REV + 1, REV), NVMX_OUT_FAIL_INVALID, 0);
	expect(nvmx_check_vmxon(&s, 0x10000, REV | 0x80000000u, REV), NVMX_OUT_FAIL_INVALID, 0);
	/* In VMX root operation: #GP at CPL > 0, else VMfail(15), valid with a current VMCS. */
	s = root();
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_FAIL_VALID, VMXERR_VMXON_IN_ROOT);
	s.current_vmcs = NVMX_NO_VMCS;
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_FAIL_INVALID, 0);
	s.cpl = 1;
	expect(nvmx_check_vmxon(&s, 0x10000, REV, REV), NVMX_OUT_GP, 0);
}

static void test_common_ud_gp(void **state)
{
	(void)state;
	struct nvmx_l1_state s = root();

	expect(nvmx_check_common(&s), NVMX_OUT_OK, 0);
	s.in_vmx = false; /* before VMXON: #UD for all but VMXON */
	expect(nvmx_check_common(&s), NVMX_OUT_UD, 0);
	s = root(), s.compat_mode = true;
	expect(nvmx_check_common(&s), NVMX_OUT_UD, 0);
	s = root(), s.cpl = 3;
	expect(nvmx_check_common(&s), NVMX_OUT_GP, 0);
	/* #UD before #GP */
	s.in_vmx = false;
	expect(nvmx_check_common(&s), NVMX_OUT_UD, 0);
}

static void test_vmclear(void **state)
{
	(void)state;
	struct nvmx_l1_state s = root();

	expect(nvmx_check_vmclear(&s, 0x12000), NVMX_OUT_OK, 0);
	expect(nvmx_check_vmclear(&s, 0x12004), NVMX_OUT_FAIL_VALID, VMXERR_VMCLEAR_INVALID_ADDR);
	expect(nvmx_check_vmclear(&s, 1ULL << 40), NVMX_OUT_FAIL_VALID,
	       VMXERR_VMCLEAR_INVALID_ADDR);
	expect(nvmx_check_vmclear(&s, 0x10000), NVMX_OUT_FAIL_VALID, VMXERR_VMCLEAR_VMXON_PTR);
	/* No current VMCS: the same failures are VMfailInvalid. */
	s.current_vmcs = NVMX_NO_VMCS;
	expect(nvmx_check_vmclear(&s, 0x10000), NVMX_OUT_FAIL_INVALID, 0);
	s.cpl = 3;
	expect(nvmx_check_vmclear(&s, 0x12000), NVMX_OUT_GP, 0);
}

static void test_vmptrld(void **state)
{
	(void)state;
	struct nvmx_l1_state s = root();

	expect(nvmx_check_vmptrld(&s, 0x12000, REV, REV, false), NVMX_OUT_OK, 0);
	expect(nvmx_check_vmptrld(&s, 0x12800, REV, REV, false), NVMX_OUT_FAIL_VALID,
	       VMXERR_VMPTRLD_INVALID_ADDR);
	expect(nvmx_check_vmptrld(&s, 0x10000, REV, REV, false), NVMX_OUT_FAIL_VALID,
	       VMXERR_VMPTRLD_VMXON_PTR);
	expect(nvmx_check_vmptrld(&s, 0x12000, REV + 1, REV, false), NVMX_OUT_FAIL_VALID,
	       VMXERR_VMPTRLD_INCORRECT_REVISION_ID);
	/* A shadow VMCS (bit 31) is refused unless VMCS shadowing is offered. */
	expect(nvmx_check_vmptrld(&s, 0x12000, REV | 0x80000000u, REV, false), NVMX_OUT_FAIL_VALID,
	       VMXERR_VMPTRLD_INCORRECT_REVISION_ID);
	expect(nvmx_check_vmptrld(&s, 0x12000, REV | 0x80000000u, REV, true), NVMX_OUT_OK, 0);
	s.current_vmcs = NVMX_NO_VMCS;
	expect(nvmx_check_vmptrld(&s, 0x10000, REV, REV, false), NVMX_OUT_FAIL_INVALID, 0);
}

static void test_vmread_vmwrite(void **state)
{
	(void)state;
	struct nvmx_l1_state s = root();

	expect(nvmx_check_vmread_vmwrite(&s, 0), NVMX_OUT_OK, 0);
	expect(nvmx_check_vmread_vmwrite(&s, VMXERR_UNSUPPORTED_VMCS_COMPONENT),
	       NVMX_OUT_FAIL_VALID, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	expect(nvmx_check_vmread_vmwrite(&s, VMXERR_VMWRITE_READ_ONLY_COMPONENT),
	       NVMX_OUT_FAIL_VALID, VMXERR_VMWRITE_READ_ONLY_COMPONENT);
	/* No current VMCS: VMfailInvalid, before the field is looked at. */
	s.current_vmcs = NVMX_NO_VMCS;
	expect(nvmx_check_vmread_vmwrite(&s, 0), NVMX_OUT_FAIL_INVALID, 0);
	expect(nvmx_check_vmread_vmwrite(&s, VMXERR_UNSUPPORTED_VMCS_COMPONENT),
	       NVMX_OUT_FAIL_INVALID, 0);
}

static void test_vmlaunch_vmresume(void **state)
{
	(void)state;
	struct nvmx_l1_state s = root();

	expect(nvmx_check_vmlaunch_vmresume(&s, true, false, false), NVMX_OUT_OK, 0);
	expect(nvmx_check_vmlaunch_vmresume(&s, false, true, false), NVMX_OUT_OK, 0);
	expect(nvmx_check_vmlaunch_vmresume(&s, true, true, false), NVMX_OUT_FAIL_VALID,
	       VMXERR_VMLAUNCH_NONCLEAR_VMCS);
	expect(nvmx_check_vmlaunch_vmresume(&s, false, false, false), NVMX_OUT_FAIL_VALID,
	       VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	/* MOV SS blocking comes before the launch state. */
	expect(nvmx_check_vmlaunch_vmresume(&s, true, true, true), NVMX_OUT_FAIL_VALID,
	       VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS);
	s.current_vmcs = NVMX_NO_VMCS;
	expect(nvmx_check_vmlaunch_vmresume(&s, true, false, false), NVMX_OUT_FAIL_INVALID, 0);
}

static void test_invept_invvpid(void **state)
{
	(void)state;
	struct nvmx_l1_state s = root();
	uint32_t single_and_all = (1u << 1) | (1u << 2);

	expect(nvmx_check_invalidate(&s, 1, single_and_all), NVMX_OUT_OK, 0);
	expect(nvmx_check_invalidate(&s, 2, single_and_all), NVMX_OUT_OK, 0);
	expect(nvmx_check_invalidate(&s, 0, single_and_all), NVMX_OUT_FAIL_VALID,
	       VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	expect(nvmx_check_invalidate(&s, 1ULL << 40, single_and_all), NVMX_OUT_FAIL_VALID,
	       VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	/* INVEPT's type 3 (none), and a type whose bit is outside the 32-bit mask. */
	expect(nvmx_check_invalidate(&s, 3, single_and_all), NVMX_OUT_FAIL_VALID,
	       VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	expect(nvmx_check_invalidate(&s, 33, single_and_all), NVMX_OUT_FAIL_VALID,
	       VMXERR_INVALID_INVEPT_INVVPID_OPERAND);
	/* Without a current VMCS, VMfail is VMfailInvalid. */
	s.current_vmcs = NVMX_NO_VMCS;
	expect(nvmx_check_invalidate(&s, 0, single_and_all), NVMX_OUT_FAIL_INVALID, 0);
	s.current_vmcs = 0x11000;
	s.cpl = 3;
	expect(nvmx_check_invalidate(&s, 1, single_and_all), NVMX_OUT_GP, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vmxon),          cmocka_unit_test(test_common_ud_gp),
	        cmocka_unit_test(test_vmclear),        cmocka_unit_test(test_vmptrld),
	        cmocka_unit_test(test_vmread_vmwrite), cmocka_unit_test(test_vmlaunch_vmresume),
	        cmocka_unit_test(test_invept_invvpid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
