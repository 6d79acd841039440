/*
 * Host tests of nested/exit_route.c: which L2 exits go to L1, read against
 * the L1's vmcs12 (SDM Vol. 3 25.1, 25.2), which Umbra keeps, and which it
 * carries out for L1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "arch/x86/vmx/vmx_bits.h"
#include "nested/exit_route.h"

#define IO_A  0x10000ULL
#define IO_B  0x11000ULL
#define MSRBM 0x12000ULL

static struct vmcs12 c;
static uint8_t io_a[4096], io_b[4096], msr_bm[4096];

static bool bit(void *ctx, uint64_t gpa, uint32_t b)
{
	const uint8_t *page = gpa == IO_A    ? io_a
	                      : gpa == IO_B  ? io_b
	                      : gpa == MSRBM ? msr_bm
	                                     : NULL;

	(void)ctx;
	assert_non_null(page);
	assert_true(b < 4096 * 8);
	return (page[b / 8] >> (b % 8)) & 1;
}

static struct l2_exit ex(uint32_t reason, uint64_t qual)
{
	return (struct l2_exit){.reason = reason, .qual = qual, .bitmap_bit = bit};
}

static int setup(void **state)
{
	(void)state;
	memset(&c, 0, sizeof(c));
	memset(io_a, 0, sizeof(io_a));
	memset(io_b, 0, sizeof(io_b));
	memset(msr_bm, 0, sizeof(msr_bm));
	c.io_bitmap_a = IO_A;
	c.io_bitmap_b = IO_B;
	c.msr_bitmap = MSRBM;
	return 0;
}

static void test_unconditional(void **state)
{
	static const uint32_t always[] = {EXIT_REASON_TRIPLE_FAULT, EXIT_REASON_CPUID,
	                                  EXIT_REASON_VMCALL,       EXIT_REASON_VMLAUNCH,
	                                  EXIT_REASON_INVD,         EXIT_REASON_XSETBV,
	                                  EXIT_REASON_TASK_SWITCH,  EXIT_REASON_GETSEC};
	struct l2_exit e;

	(void)state;
	for (unsigned int i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
		e = ex(always[i], 0);
		assert_true(nested_exit_to_l1(&c, &e));
	}
}

/* The L2 exit path's shortcut names only exits the router sends to L1 whatever vmcs12 says. */
static void test_always_mask(void **state)
{
	struct l2_exit e;
	unsigned int n = 0;

	(void)state;
	for (uint32_t r = 0; r < 64; r++) {
		if (!nested_exit_always_to_l1(r))
			continue;
		n++;
		e = ex(r, 0);
		assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_REFLECT);
		memset(&c, 0xff, sizeof(c)); /* whatever vmcs12 says */
		assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_REFLECT);
		setup(NULL);
	}
	assert_int_equal(n, 18);
	assert_false(nested_exit_always_to_l1(EXIT_REASON_VMFUNC));
	assert_false(nested_exit_always_to_l1(EXIT_REASON_HLT));
	assert_false(nested_exit_always_to_l1(64));
}

static void test_umbra_keeps(void **state)
{
	static const uint32_t umbra[] = {EXIT_REASON_EXTERNAL_INTERRUPT,
	                                 EXIT_REASON_PREEMPTION_TIMER, EXIT_REASON_EPT_VIOLATION};
	struct l2_exit e;

	(void)state;
	/* Even with L1's external-interrupt exiting: host interrupts are Umbra's. */
	c.pin_based_vm_exec_control = PIN_BASED_EXT_INTR_EXITING;
	for (unsigned int i = 0; i < sizeof(umbra) / sizeof(umbra[0]); i++) {
		e = ex(umbra[i], 0);
		assert_false(nested_exit_to_l1(&c, &e));
	}
}

static void test_conditional_controls(void **state)
{
	struct l2_exit e = ex(EXIT_REASON_HLT, 0);

	(void)state;
	assert_false(nested_exit_to_l1(&c, &e));
	c.cpu_based_vm_exec_control = CPU_BASED_HLT_EXITING;
	assert_true(nested_exit_to_l1(&c, &e));
	e = ex(EXIT_REASON_INTERRUPT_WINDOW, 0);
	assert_false(nested_exit_to_l1(&c, &e));
	c.cpu_based_vm_exec_control |= CPU_BASED_INTR_WINDOW_EXITING;
	assert_true(nested_exit_to_l1(&c, &e));
	/* A secondary control counts only with "activate secondary controls". */
	e = ex(EXIT_REASON_WBINVD, 0);
	c.secondary_vm_exec_control = SECONDARY_EXEC_WBINVD_EXITING;
	assert_false(nested_exit_to_l1(&c, &e));
	c.cpu_based_vm_exec_control |= CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	assert_true(nested_exit_to_l1(&c, &e));
}

static void test_exceptions(void **state)
{
	struct l2_exit e = ex(EXIT_REASON_EXCEPTION_NMI, 0);

	(void)state;
	/* A physical NMI is Umbra's kick, whatever L1's NMI exiting says. */
	e.intr_info = INTR_INFO_VALID | INTR_TYPE_NMI | 2;
	c.pin_based_vm_exec_control = PIN_BASED_NMI_EXITING;
	assert_false(nested_exit_to_l1(&c, &e));
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_UMBRA);
	c.pin_based_vm_exec_control = 0;
	e.intr_info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 6;
	assert_false(nested_exit_to_l1(&c, &e));
	c.exception_bitmap = 1u << 6;
	assert_true(nested_exit_to_l1(&c, &e));
	/* #PF: bit 14 set and error code matching -> exit; not matching -> no exit. */
	e.intr_info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | 14;
	c.exception_bitmap = 1u << 14;
	c.page_fault_error_code_mask = 1;
	c.page_fault_error_code_match = 1;
	e.intr_error = 1;
	assert_true(nested_exit_to_l1(&c, &e));
	e.intr_error = 0;
	assert_false(nested_exit_to_l1(&c, &e));
	/* Bit 14 clear: the mismatch exits instead. */
	c.exception_bitmap = 0;
	assert_true(nested_exit_to_l1(&c, &e));
}

static void test_io(void **state)
{
	/* OUT to port 0x3f8, 1 byte; port 0x7fff, 2 bytes (crosses into bitmap B). */
	struct l2_exit e = ex(EXIT_REASON_IO_INSTRUCTION, 0x3f8ULL << 16);

	(void)state;
	assert_false(nested_exit_to_l1(&c, &e));
	c.cpu_based_vm_exec_control = CPU_BASED_UNCOND_IO_EXITING;
	assert_true(nested_exit_to_l1(&c, &e));
	/* With bitmaps the unconditional control is ignored. */
	c.cpu_based_vm_exec_control |= CPU_BASED_USE_IO_BITMAPS;
	assert_false(nested_exit_to_l1(&c, &e));
	io_a[0x3f8 / 8] |= 1u << (0x3f8 % 8);
	assert_true(nested_exit_to_l1(&c, &e));
	e = ex(EXIT_REASON_IO_INSTRUCTION, (0x7fffULL << 16) | 1);
	assert_false(nested_exit_to_l1(&c, &e));
	io_b[0] = 1;
	assert_true(nested_exit_to_l1(&c, &e));
	/* A 4-byte access at 0xfffe wraps: it exits. */
	e = ex(EXIT_REASON_IO_INSTRUCTION, (0xfffeULL << 16) | 3);
	assert_true(nested_exit_to_l1(&c, &e));
}

static void test_msr(void **state)
{
	struct l2_exit e = ex(EXIT_REASON_MSR_READ, 0);

	(void)state;
	e.msr = 0xc0000100;
	assert_true(nested_exit_to_l1(&c, &e)); /* no bitmaps: every MSR exits */
	c.cpu_based_vm_exec_control = CPU_BASED_USE_MSR_BITMAPS;
	assert_false(nested_exit_to_l1(&c, &e));
	msr_bm[1024 + 0x100 / 8] |= 1u << (0x100 % 8); /* high read bitmap */
	assert_true(nested_exit_to_l1(&c, &e));
	e.reason = EXIT_REASON_MSR_WRITE;
	assert_false(nested_exit_to_l1(&c, &e));
	msr_bm[3072 + 0x100 / 8] |= 1u << (0x100 % 8); /* high write bitmap */
	assert_true(nested_exit_to_l1(&c, &e));
	e.msr = 0x10;
	assert_false(nested_exit_to_l1(&c, &e));
	msr_bm[2048 + 0x10 / 8] |= 1u << (0x10 % 8); /* low write bitmap */
	assert_true(nested_exit_to_l1(&c, &e));
	e.msr = 0x40000000; /* outside both ranges */
	assert_true(nested_exit_to_l1(&c, &e));
}

static void test_cr(void **state)
{
	/* MOV to CR0 from RAX; MOV to CR4; CLTS; LMSW. */
	struct l2_exit e = ex(EXIT_REASON_CR_ACCESS, 0);

	(void)state;
	c.cr0_guest_host_mask = 1ULL << 31;
	c.cr0_read_shadow = 1ULL << 31;
	e.cr_value = (1ULL << 31) | (1ULL << 5); /* PG as shadowed, NE changes (Umbra's) */
	assert_false(nested_exit_to_l1(&c, &e));
	e.cr_value = 1ULL << 5; /* PG cleared: L1 owns it */
	assert_true(nested_exit_to_l1(&c, &e));
	e = ex(EXIT_REASON_CR_ACCESS, 4);
	c.cr4_guest_host_mask = 1ULL << 7;
	e.cr_value = 1ULL << 13;
	assert_false(nested_exit_to_l1(&c, &e));
	e.cr_value |= 1ULL << 7;
	assert_true(nested_exit_to_l1(&c, &e));
	e = ex(EXIT_REASON_CR_ACCESS, 3); /* MOV to CR3 */
	assert_false(nested_exit_to_l1(&c, &e));
	c.cpu_based_vm_exec_control = CPU_BASED_CR3_LOAD_EXITING;
	assert_true(nested_exit_to_l1(&c, &e));
	/* A CR3-target value among the first count does not exit (SDM 25.1.3). */
	e.cr_value = 0x5000;
	c.cr3_target_count = 2;
	c.cr3_target_value1 = 0x5000;
	assert_false(nested_exit_to_l1(&c, &e));
	c.cr3_target_count = 1; /* value1 is past the count */
	assert_true(nested_exit_to_l1(&c, &e));
	c.cr3_target_count = 0;
	e = ex(EXIT_REASON_CR_ACCESS, 3 | (1u << 4)); /* MOV from CR3 */
	assert_false(nested_exit_to_l1(&c, &e));
	e = ex(EXIT_REASON_CR_ACCESS, 2u << 4); /* CLTS */
	c.cr0_guest_host_mask = 1ULL << 3;
	c.cr0_read_shadow = 0;
	assert_false(nested_exit_to_l1(&c, &e));
	c.cr0_read_shadow = 1ULL << 3;
	assert_true(nested_exit_to_l1(&c, &e));
	e = ex(EXIT_REASON_CR_ACCESS, 3u << 4); /* LMSW setting PE, which L1 owns and shadows 0 */
	c.cr0_guest_host_mask = 1;
	c.cr0_read_shadow = 0;
	e.cr_value = 1;
	assert_true(nested_exit_to_l1(&c, &e));
	c.cr0_read_shadow = 1;
	e.cr_value = 0; /* LMSW cannot clear PE: no exit */
	assert_false(nested_exit_to_l1(&c, &e));
}

/* The three answers: Umbra's own, reflected to L1, or carried out for L1. */
static void test_owner(void **state)
{
	struct l2_exit e;

	(void)state;
	/* Umbra's own reasons, whatever L1's controls say. */
	c.pin_based_vm_exec_control = PIN_BASED_EXT_INTR_EXITING | PIN_BASED_VMX_PREEMPTION_TIMER;
	e = ex(EXIT_REASON_EXTERNAL_INTERRUPT, 0);
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_UMBRA);
	e = ex(EXIT_REASON_EPT_VIOLATION, 0);
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_UMBRA);
	e = ex(EXIT_REASON_NMI_WINDOW, 0);
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_UMBRA);
	/* The preemption timer: Umbra's slice, until L1's own deadline has passed. */
	e = ex(EXIT_REASON_PREEMPTION_TIMER, 0);
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_UMBRA);
	e.l1_timer_due = true;
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_REFLECT);
	/* Unconditional exits go to L1. */
	e = ex(EXIT_REASON_CPUID, 0);
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_REFLECT);
	/* HLT: L1's if it asked, else L2 halts as on L1's CPU. */
	e = ex(EXIT_REASON_HLT, 0);
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_FOR_L1);
	c.cpu_based_vm_exec_control = CPU_BASED_HLT_EXITING;
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_REFLECT);
	/* A port L1's bitmap lets through reaches the VM's devices for L1. */
	c.cpu_based_vm_exec_control = CPU_BASED_USE_IO_BITMAPS;
	e = ex(EXIT_REASON_IO_INSTRUCTION, 0x5000ULL << 16);
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_FOR_L1);
	io_a[0x5000 / 8] |= 1u << (0x5000 % 8);
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_REFLECT);
	/* MSRs: the bitmap decides. */
	c.cpu_based_vm_exec_control = CPU_BASED_USE_MSR_BITMAPS;
	e = ex(EXIT_REASON_MSR_READ, 0);
	e.msr = 0x10;
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_FOR_L1);
	msr_bm[0x10 / 8] |= 1u << (0x10 % 8);
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_REFLECT);
	/* MOV to CR0: a bit L1 does not own is carried out under L1's masks; one it owns, L1's. */
	c.cr0_guest_host_mask = 1ULL << 5;
	c.cr0_read_shadow = 0;
	e = ex(EXIT_REASON_CR_ACCESS, 0);
	e.cr_value = 1ULL << 3;
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_FOR_L1);
	e.cr_value |= 1ULL << 5;
	assert_int_equal(nested_l2_exit_owner(&c, &e), L2_EXIT_REFLECT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_unconditional, setup),
	        cmocka_unit_test_setup(test_always_mask, setup),
	        cmocka_unit_test_setup(test_umbra_keeps, setup),
	        cmocka_unit_test_setup(test_conditional_controls, setup),
	        cmocka_unit_test_setup(test_exceptions, setup),
	        cmocka_unit_test_setup(test_io, setup),
	        cmocka_unit_test_setup(test_msr, setup),
	        cmocka_unit_test_setup(test_cr, setup),
	        cmocka_unit_test_setup(test_owner, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
