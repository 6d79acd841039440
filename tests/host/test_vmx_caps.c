/* Host tests for arch/x86/vmx/caps.c: the VMX capability MSRs decoded, and the arithmetic. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "arch/x86/vmx/caps.h"

#include "skylake_vmx.h"

static struct vmx_cap_msrs raw;

static int setup(void **state)
{
	(void)state;
	skylake(&raw);
	memset(&vmx_caps, 0xcc, sizeof(vmx_caps)); /* decode must not rely on zeroed memory */
	return 0;
}

/* Decodes raw into the global snapshot the predicates read. */
static void decode(void)
{
	vmx_caps_decode(&vmx_caps, &raw);
}

/* ---- vmx_caps_hide (vmx_hide=) ---- */

static void test_hide(void **state)
{
	char bad[8];

	(void)state;
	decode();
	assert_true(cpu_has_vmx_vmcs_shadowing() && cpu_has_vmx_ept_ad() &&
	            cpu_has_vmx_preemption_timer() && cpu_has_vmx_ept_1g_pages());
	assert_int_equal(vmx_caps_hide(&raw, "shadowing,ept_ad,,ept_1g", bad, sizeof(bad)), 0);
	decode();
	assert_false(cpu_has_vmx_vmcs_shadowing());
	assert_false(cpu_has_vmx_ept_ad());
	assert_false(cpu_has_vmx_ept_1g_pages());
	assert_true(cpu_has_vmx_preemption_timer() && cpu_has_vmx_save_preemption_timer());
	assert_true(cpu_has_vmx_ept() && cpu_has_vmx_vpid() && cpu_has_vmx_unrestricted_guest());
	assert_int_equal(vmx_caps_hide(&raw, "timer_save", bad, sizeof(bad)), 0);
	decode();
	assert_true(cpu_has_vmx_preemption_timer());
	assert_false(cpu_has_vmx_save_preemption_timer());
	assert_int_equal(vmx_caps_hide(&raw, "timer,ept,ug,vpid", bad, sizeof(bad)), 0);
	decode();
	assert_false(cpu_has_vmx_preemption_timer());
	assert_false(cpu_has_vmx_ept() || cpu_has_vmx_vpid() || cpu_has_vmx_unrestricted_guest());
	/* An unknown name stops the list, named (cut to fit). */
	assert_int_equal(vmx_caps_hide(&raw, "shadowing,no_such_thing", bad, sizeof(bad)), -1);
	assert_string_equal(bad, "no_such");
	assert_int_equal(vmx_caps_hide(&raw, "", bad, sizeof(bad)), 0);
}

/* ---- vmx_caps_decode ---- */

static void test_decode_skylake(void **state)
{
	(void)state;
	struct vmx_caps c;

	memset(&c, 0xcc, sizeof(c));
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.revision_id, 4);
	assert_int_equal(c.vmcs_size, 1024);
	assert_int_equal(c.vmcs_memtype, VMX_MEMTYPE_WB);
	assert_true(c.true_ctls);
	assert_false(c.phys_addr_32);
	assert_true(c.ins_outs_info);
	assert_false(c.no_hw_errcode_check);
	/* Bit 55 set: the TRUE_ MSRs, whose default1 bits may be 0. */
	assert_int_equal(c.pin_ctls, SKL_TRUE_PIN);
	assert_int_equal(c.proc_ctls, SKL_TRUE_PROC);
	assert_int_equal(c.exit_ctls, SKL_TRUE_EXIT);
	assert_int_equal(c.entry_ctls, SKL_TRUE_ENTRY);
	assert_int_equal(c.proc2_ctls, SKL_PROC2);
	assert_int_equal(c.ept_vpid_cap, SKL_EPT_VPID);
	assert_int_equal(c.vmfunc, VMX_VMFUNC_EPTP_SWITCHING);
	assert_int_equal(c.misc, SKL_MISC);
	assert_int_equal(c.preemption_timer_rate, 5);
	assert_int_equal(c.cr3_target_count, 4);
	assert_int_equal(c.max_msr_list, 512);
	assert_int_equal(c.cr0_fixed0, 0x80000021);
	assert_int_equal(c.cr0_fixed1, 0xffffffff);
	assert_int_equal(c.cr4_fixed0, 0x2000);
	assert_int_equal(c.cr4_fixed1, 0x3727ff);
	assert_int_equal(c.vmcs_max_index, 23);
}

static void test_decode_basic_fields(void **state)
{
	(void)state;
	struct vmx_caps c;

	/* Revision id is 31 bits: bit 31 (always 0 on real CPUs) is not part of it. */
	raw.basic = 0x80001234ULL | (4096ULL << 32) | VMX_BASIC_PHYS_ADDR_32 |
	            VMX_BASIC_NO_HW_ERRCODE_CHK | ((uint64_t)VMX_MEMTYPE_UC << 50);
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.revision_id, 0x1234);
	assert_int_equal(c.vmcs_size, 4096);
	assert_int_equal(c.vmcs_memtype, VMX_MEMTYPE_UC);
	assert_true(c.phys_addr_32);
	assert_true(c.no_hw_errcode_check);
	assert_false(c.ins_outs_info);
	assert_false(c.true_ctls);

	/* The size field is 13 bits (bits 44:32): bit 45 is not part of it. */
	raw.basic = (0x3fffULL << 32) | 1;
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.vmcs_size, 0x1fff);
	assert_int_equal(c.vmcs_memtype, 0);
	assert_int_equal(c.revision_id, 1);
}

static void test_decode_without_true_ctls(void **state)
{
	(void)state;
	struct vmx_caps c;

	raw.basic = SKL_BASIC & ~VMX_BASIC_TRUE_CTLS;
	vmx_caps_decode(&c, &raw);
	assert_false(c.true_ctls);
	assert_int_equal(c.pin_ctls, SKL_PIN);
	assert_int_equal(c.proc_ctls, SKL_PROC);
	assert_int_equal(c.exit_ctls, SKL_EXIT);
	assert_int_equal(c.entry_ctls, SKL_ENTRY);
	/* Everything else is unaffected. */
	assert_int_equal(c.proc2_ctls, SKL_PROC2);
	assert_int_equal(c.ept_vpid_cap, SKL_EPT_VPID);
	assert_int_equal(c.revision_id, 4);

	/* And the TRUE_ MSRs are not consulted even if (wrongly) nonzero. */
	raw.true_procbased_ctls = 0;
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.proc_ctls, SKL_PROC);
	assert_int_equal(c.proc2_ctls, SKL_PROC2);
}

static void test_decode_no_secondary_controls(void **state)
{
	(void)state;
	struct vmx_caps c;

	/* "Activate secondary controls" may not be 1: the secondary MSRs do not exist. */
	raw.true_procbased_ctls = CTLS(0x7ff9fffe, 0x04006172);
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.proc_ctls, CTLS(0x7ff9fffe, 0x04006172));
	assert_int_equal(c.proc2_ctls, 0);
	assert_int_equal(c.ept_vpid_cap, 0);
	assert_int_equal(c.vmfunc, 0);
	/* Nothing else is lost with them. */
	assert_int_equal(c.pin_ctls, SKL_TRUE_PIN);
	assert_int_equal(c.preemption_timer_rate, 5);

	/* The gate is the allowed-1 half: bit 31 in allowed-0 alone does not open it. */
	raw.true_procbased_ctls = CTLS(0x7ff9fffe, 0x84006172);
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.proc2_ctls, 0);

	/* Without TRUE_ controls the primary MSR is the gate. */
	raw.basic = SKL_BASIC & ~VMX_BASIC_TRUE_CTLS;
	raw.procbased_ctls = CTLS(0x7ff9fffe, CPU_BASED_DEFAULT1);
	raw.true_procbased_ctls = SKL_TRUE_PROC;
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.proc2_ctls, 0);
	assert_int_equal(c.ept_vpid_cap, 0);
}

static void test_decode_ept_vpid_halves(void **state)
{
	(void)state;
	struct vmx_caps c;

	/* EPT only: the VPID half (bits 63:32) is dropped. */
	raw.procbased_ctls2 = CTLS(0x0217ffff & ~SECONDARY_EXEC_ENABLE_VPID, 0);
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.ept_vpid_cap, SKL_EPT_VPID & 0xffffffffULL);
	assert_int_equal(c.ept_vpid_cap, 0x06734141ULL);

	/* VPID only: the EPT half is dropped. */
	raw.procbased_ctls2 = CTLS(0x0217ffff & ~SECONDARY_EXEC_ENABLE_EPT, 0);
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.ept_vpid_cap, 0x00000f0100000000ULL);

	/* Neither. */
	raw.procbased_ctls2 =
	        CTLS(0x0217ffff & ~(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID), 0);
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.ept_vpid_cap, 0);

	/* EPT in allowed-0 only (malformed) does not count as "may be 1". */
	raw.procbased_ctls2 = CTLS(SECONDARY_EXEC_ENABLE_VPID, SECONDARY_EXEC_ENABLE_EPT);
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.ept_vpid_cap, 0x00000f0100000000ULL);
}

static void test_decode_vmfunc_gated(void **state)
{
	(void)state;
	struct vmx_caps c;

	raw.procbased_ctls2 = CTLS(0x0217ffff & ~SECONDARY_EXEC_ENABLE_VMFUNC, 0);
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.vmfunc, 0);
	assert_int_equal(c.ept_vpid_cap, SKL_EPT_VPID);

	raw.procbased_ctls2 = CTLS(SECONDARY_EXEC_ENABLE_VMFUNC, 0);
	raw.vmfunc = 0x7;
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.vmfunc, 0x7);
	assert_int_equal(c.ept_vpid_cap, 0);
}

static void test_decode_misc_fields(void **state)
{
	(void)state;
	struct vmx_caps c;

	for (uint32_t n = 0; n < 8; n++) {
		raw.misc = ((uint64_t)n << VMX_MISC_MSR_LIST_SHIFT);
		vmx_caps_decode(&c, &raw);
		assert_int_equal(c.max_msr_list, 512 * (n + 1));
		assert_int_equal(c.preemption_timer_rate, 0);
		assert_int_equal(c.cr3_target_count, 0);
	}
	/* Every field at its maximum, with the bits around them set too. */
	raw.misc = ~0ULL;
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.preemption_timer_rate, 31);
	assert_int_equal(c.cr3_target_count, 511);
	assert_int_equal(c.max_msr_list, 4096);
	assert_int_equal(c.misc, ~0ULL);

	/* Each field alone. */
	raw.misc = 0x1f;
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.preemption_timer_rate, 31);
	assert_int_equal(c.cr3_target_count, 0);
	raw.misc = 0x1ffULL << VMX_MISC_CR3_TARGETS_SHIFT;
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.preemption_timer_rate, 0);
	assert_int_equal(c.cr3_target_count, 511);
	assert_int_equal(c.max_msr_list, 512);

	/* IA32_VMX_VMCS_ENUM: bits 9:1, bit 0 and bits above 9 ignored. */
	raw.vmcs_enum = 0x2f;
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.vmcs_max_index, 23);
	raw.vmcs_enum = ~0ULL;
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.vmcs_max_index, 0x1ff);
	raw.vmcs_enum = 0x400;
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.vmcs_max_index, 0);
}

static void test_decode_all_zero(void **state)
{
	(void)state;
	struct vmx_caps c;

	/* Stale contents are cleared: nothing allowed, nothing reported. */
	memset(&raw, 0, sizeof(raw));
	memset(&c, 0xff, sizeof(c));
	vmx_caps_decode(&c, &raw);
	assert_int_equal(c.revision_id, 0);
	assert_int_equal(c.vmcs_size, 0);
	assert_false(c.true_ctls);
	assert_false(c.phys_addr_32);
	assert_int_equal(c.pin_ctls | c.proc_ctls | c.proc2_ctls | c.exit_ctls | c.entry_ctls, 0);
	assert_int_equal(c.ept_vpid_cap | c.vmfunc | c.misc, 0);
	assert_int_equal(c.preemption_timer_rate | c.cr3_target_count | c.vmcs_max_index, 0);
	assert_int_equal(c.cr0_fixed0 | c.cr0_fixed1 | c.cr4_fixed0 | c.cr4_fixed1, 0);
	assert_int_equal(c.max_msr_list, 512); /* N = 0 still means 512 */
}

/* ---- vmx_adjust_controls ---- */

static void test_adjust_controls_optional(void **state)
{
	(void)state;
	uint32_t out = 0xdeadbeef, missing = 0xdeadbeef;

	/* Skylake pin-based: posted interrupts (bit 7) are not allowed-1, so dropped. */
	assert_int_equal(vmx_adjust_controls(PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING,
	                                     PIN_BASED_VMX_PREEMPTION_TIMER | PIN_BASED_POSTED_INTR,
	                                     SKL_TRUE_PIN, &out, &missing),
	                 0);
	assert_int_equal(out, 0x16 | PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING |
	                              PIN_BASED_VMX_PREEMPTION_TIMER);
	assert_int_equal(out, 0x5f);
	assert_int_equal(missing, 0);

	/* Allowed-0 bits are forced on even when neither required nor optional. */
	out = missing = 0xdeadbeef;
	assert_int_equal(vmx_adjust_controls(0, 0, SKL_PROC, &out, &missing), 0);
	assert_int_equal(out, CPU_BASED_DEFAULT1);
	assert_int_equal(missing, 0);

	/* Optional bits that are allowed-1 are kept, the others (bits 17, 18) dropped. */
	assert_int_equal(vmx_adjust_controls(CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
	                                     CPU_BASED_USE_MSR_BITMAPS |
	                                             CPU_BASED_ACTIVATE_TERTIARY_CONTROLS |
	                                             (1u << 18),
	                                     SKL_TRUE_PROC, &out, &missing),
	                 0);
	assert_int_equal(out, 0x04006172u | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS |
	                              CPU_BASED_USE_MSR_BITMAPS);

	/* Nothing allowed-1 at all: the optional bits all go, the allowed-0 bits stay. */
	assert_int_equal(vmx_adjust_controls(0, 0xffffffff, CTLS(0, 0), &out, &missing), 0);
	assert_int_equal(out, 0);
}

static void test_adjust_controls_missing(void **state)
{
	(void)state;
	uint32_t out = 0xdeadbeef, missing = 0;
	/* A CPU without the preemption timer or posted interrupts. */
	const uint64_t cap = CTLS(0x0000003f, 0x00000016);

	assert_int_equal(vmx_adjust_controls(PIN_BASED_NMI_EXITING |
	                                             PIN_BASED_VMX_PREEMPTION_TIMER |
	                                             PIN_BASED_POSTED_INTR,
	                                     PIN_BASED_VIRTUAL_NMIS, cap, &out, &missing),
	                 -1);
	/* Exactly the required bits that may not be 1; the optional one is not "missing". */
	assert_int_equal(missing, PIN_BASED_VMX_PREEMPTION_TIMER | PIN_BASED_POSTED_INTR);
	assert_int_equal(out, 0xdeadbeef);

	/* An optional bit that is not allowed is never "missing". */
	missing = 0xdeadbeef;
	assert_int_equal(vmx_adjust_controls(0, PIN_BASED_POSTED_INTR, cap, &out, &missing), 0);
	assert_int_equal(missing, 0);
	assert_int_equal(out, 0x16);

	/* Secondary controls on a CPU without MBEC. */
	out = 0x12345678;
	assert_int_equal(
	        vmx_adjust_controls(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_MODE_BASED_EPT_EXEC,
	                            SECONDARY_EXEC_ENABLE_VPID, SKL_PROC2, &out, &missing),
	        -1);
	assert_int_equal(missing, SECONDARY_EXEC_MODE_BASED_EPT_EXEC);
	assert_int_equal(out, 0x12345678);
}

/* ---- CR0/CR4 fixed bits ---- */

static void test_fixed_cr(void **state)
{
	(void)state;
	const uint64_t cr0_f0 = 0x80000021, cr0_f1 = 0xffffffff;
	const uint64_t cr4_f0 = 0x2000, cr4_f1 = 0x3727ff;

	/* CR0: PG, NE and PE forced on; bits above 31 forced off. */
	assert_int_equal(vmx_fixed_cr(0x11, cr0_f0, cr0_f1), 0x80000031);
	assert_int_equal(vmx_fixed_cr(0x100000011ULL, cr0_f0, cr0_f1), 0x80000031);
	assert_false(vmx_cr_valid(0x11, cr0_f0, cr0_f1));
	assert_false(vmx_cr_valid(0x80000010, cr0_f0, cr0_f1)); /* PE, NE missing */
	assert_true(vmx_cr_valid(0x80000031, cr0_f0, cr0_f1));
	assert_true(vmx_cr_valid(0xe0050033, cr0_f0, cr0_f1));

	/* CR4: VMXE forced on; bits the CPU does not have (22: PKS; 23: CET) forced off. */
	assert_int_equal(vmx_fixed_cr(0x20, cr4_f0, cr4_f1), 0x2020);
	assert_int_equal(vmx_fixed_cr(0x20 | (1ULL << 22) | (1ULL << 23), cr4_f0, cr4_f1), 0x2020);
	assert_false(vmx_cr_valid(0x20, cr4_f0, cr4_f1));
	assert_false(vmx_cr_valid(0x2020 | (1ULL << 22), cr4_f0, cr4_f1));
	assert_true(vmx_cr_valid(0x2020, cr4_f0, cr4_f1));
	assert_true(vmx_cr_valid(0x3727ff, cr4_f0, cr4_f1));
	/* Value 0 with no fixed bits is fine; with any fixed0 bit it is not. */
	assert_true(vmx_cr_valid(0, 0, 0));
	assert_false(vmx_cr_valid(0, 1, ~0ULL));
}

/* ---- preemption timer ---- */

static void test_preemption_timer_max_ms(void **state)
{
	(void)state;
	/* 2 GHz TSC, rate 5: 0xffffffff << 5 ticks = 68719.47... ms. */
	assert_int_equal(vmx_preemption_timer_max_ms(5, 2000000), 68719);
	/* Rate 0: the timer runs at the TSC rate. */
	assert_int_equal(vmx_preemption_timer_max_ms(0, 2000000), 2147);
	/* Unknown TSC frequency. */
	assert_int_equal(vmx_preemption_timer_max_ms(5, 0), 0);
	assert_int_equal(vmx_preemption_timer_max_ms(31, 0), 0);
	/* The largest shift: 0xffffffff << 31 still fits in 64 bits. */
	assert_int_equal(vmx_preemption_timer_max_ms(31, 2000000), 4611686017353ULL);
	assert_int_equal(vmx_preemption_timer_max_ms(31, 1), 0xffffffffULL << 31);
	/* Rounded down, not to nearest: 0xffffffff / 1000 = 4294967.295. */
	assert_int_equal(vmx_preemption_timer_max_ms(0, 1000), 4294967);
	/* 0xffffffff << 1 = 8589934590 ticks at 3 GHz = 2863.3 ms. */
	assert_int_equal(vmx_preemption_timer_max_ms(1, 3000000), 2863);
}

/* ---- predicates over the decoded snapshot ---- */

static void test_predicates_skylake(void **state)
{
	(void)state;
	decode();
	assert_true(cpu_has_vmx_secondary_exec());
	assert_true(cpu_has_vmx_ept());
	assert_true(cpu_has_vmx_vpid());
	assert_true(cpu_has_vmx_unrestricted_guest());
	assert_true(cpu_has_vmx_vmcs_shadowing());
	assert_true(cpu_has_vmx_vmfunc());
	assert_true(cpu_has_vmx_preemption_timer());
	assert_true(cpu_has_vmx_save_preemption_timer());
	assert_true(cpu_has_vmx_ept_4levels());
	assert_true(cpu_has_vmx_ept_wb());
	assert_true(cpu_has_vmx_ept_2m_pages());
	assert_true(cpu_has_vmx_ept_1g_pages());
	assert_true(cpu_has_vmx_ept_ad());
	assert_true(cpu_has_vmx_ept_execute_only());
	assert_true(cpu_has_vmx_invept_single());
	assert_true(cpu_has_vmx_invept_all());
	assert_true(cpu_has_vmx_invvpid_single());
	assert_true(cpu_has_vmx_invvpid_all());
	assert_true(cpu_has_vmx_load_efer());
	assert_true(cpu_has_vmx_save_efer());
	assert_true(cpu_has_vmx_load_pat());
	assert_true(cpu_has_vmx_save_pat());
	assert_true(cpu_has_vmx_msr_bitmaps());
	assert_true(cpu_has_vmx_io_bitmaps());
	assert_true(cpu_has_vmx_tsc_offsetting());
	assert_true(cpu_has_vmx_hlt_exiting());
	assert_true(cpu_has_vmx_activity_hlt());
}

static void test_predicates_nothing(void **state)
{
	(void)state;
	memset(&raw, 0, sizeof(raw));
	decode();
	assert_false(cpu_has_vmx_secondary_exec());
	assert_false(cpu_has_vmx_ept());
	assert_false(cpu_has_vmx_vpid());
	assert_false(cpu_has_vmx_unrestricted_guest());
	assert_false(cpu_has_vmx_vmfunc());
	assert_false(cpu_has_vmx_preemption_timer());
	assert_false(cpu_has_vmx_save_preemption_timer());
	assert_false(cpu_has_vmx_ept_4levels());
	assert_false(cpu_has_vmx_invept_single());
	assert_false(cpu_has_vmx_invvpid_all());
	assert_false(cpu_has_vmx_load_efer());
	assert_false(cpu_has_vmx_load_pat());
	assert_false(cpu_has_vmx_msr_bitmaps());
	assert_false(cpu_has_vmx_hlt_exiting());
	assert_false(cpu_has_vmx_activity_hlt());
}

static void test_predicates_invept_invvpid_need_both_bits(void **state)
{
	(void)state;
	/* The single-context type without INVEPT itself, and the reverse. */
	raw.ept_vpid_cap = VMX_EPT_PAGE_WALK_4 | VMX_EPT_INVEPT_SINGLE_CONTEXT |
	                   VMX_EPT_INVEPT_ALL_CONTEXT | VMX_VPID_INVVPID_SINGLE_CONTEXT |
	                   VMX_VPID_INVVPID_ALL_CONTEXT;
	decode();
	assert_true(cpu_has_vmx_ept_4levels());
	assert_false(cpu_has_vmx_invept_single());
	assert_false(cpu_has_vmx_invept_all());
	assert_false(cpu_has_vmx_invvpid_single());
	assert_false(cpu_has_vmx_invvpid_all());

	raw.ept_vpid_cap = VMX_EPT_INVEPT | VMX_VPID_INVVPID;
	decode();
	assert_false(cpu_has_vmx_invept_single());
	assert_false(cpu_has_vmx_invept_all());
	assert_false(cpu_has_vmx_invvpid_single());
	assert_false(cpu_has_vmx_invvpid_all());

	/* One type each. */
	raw.ept_vpid_cap = VMX_EPT_INVEPT | VMX_EPT_INVEPT_ALL_CONTEXT | VMX_VPID_INVVPID |
	                   VMX_VPID_INVVPID_SINGLE_CONTEXT;
	decode();
	assert_false(cpu_has_vmx_invept_single());
	assert_true(cpu_has_vmx_invept_all());
	assert_true(cpu_has_vmx_invvpid_single());
	assert_false(cpu_has_vmx_invvpid_all());
}

static void test_predicates_follow_decode_gating(void **state)
{
	(void)state;
	/* EPT capabilities reported, but EPT may not be enabled: none of them count. */
	raw.procbased_ctls2 = CTLS(0x0217ffff & ~SECONDARY_EXEC_ENABLE_EPT, 0);
	decode();
	assert_false(cpu_has_vmx_ept());
	assert_false(cpu_has_vmx_ept_4levels());
	assert_false(cpu_has_vmx_ept_wb());
	assert_false(cpu_has_vmx_ept_ad());
	assert_false(cpu_has_vmx_invept_single());
	assert_true(cpu_has_vmx_vpid());
	assert_true(cpu_has_vmx_invvpid_single());

	/* No secondary controls at all: no EPT, VPID, unrestricted guest or VM functions. */
	skylake(&raw);
	raw.true_procbased_ctls = CTLS(0x7ff9fffe, 0x04006172);
	decode();
	assert_false(cpu_has_vmx_secondary_exec());
	assert_false(cpu_has_vmx_ept());
	assert_false(cpu_has_vmx_vpid());
	assert_false(cpu_has_vmx_unrestricted_guest());
	assert_false(cpu_has_vmx_vmfunc());
	assert_false(cpu_has_vmx_invvpid_all());
	assert_true(cpu_has_vmx_msr_bitmaps());
}

static void test_predicates_use_allowed1(void **state)
{
	(void)state;
	/* Allowed-0 bits alone (a malformed MSR) are not "may be 1". */
	raw.true_pinbased_ctls = CTLS(0x3f, PIN_BASED_VMX_PREEMPTION_TIMER | 0x16);
	raw.true_exit_ctls = CTLS(0x01ffffff & ~VM_EXIT_LOAD_IA32_EFER, VM_EXIT_LOAD_IA32_EFER);
	decode();
	assert_false(cpu_has_vmx_preemption_timer());
	assert_true(cpu_has_vmx_save_preemption_timer());
	/* Loading EFER needs the entry and the exit control. */
	assert_false(cpu_has_vmx_load_efer());
	assert_true(cpu_has_vmx_save_efer());
	assert_true(cpu_has_vmx_load_pat());

	skylake(&raw);
	raw.true_entry_ctls = CTLS(0x0003ffff & ~VM_ENTRY_LOAD_IA32_PAT, 0x11fb);
	decode();
	assert_false(cpu_has_vmx_load_pat());
	assert_true(cpu_has_vmx_save_pat());
	assert_true(cpu_has_vmx_load_efer());

	/* Activity HLT comes from IA32_VMX_MISC bit 6. */
	skylake(&raw);
	raw.misc = SKL_MISC & ~VMX_MISC_ACTIVITY_HLT;
	decode();
	assert_false(cpu_has_vmx_activity_hlt());
}

/* IA32_FEATURE_CONTROL: when VMXON may run, and what Umbra writes first. */
static void test_feature_control(void **state)
{
	(void)state;
	/* Unlocked: Umbra may enable it, and writes the lock with VMXON outside SMX. */
	assert_true(vmx_feature_control_allows(0));
	assert_int_equal(vmx_feature_control_to_write(0), 0x5);
	assert_int_equal(vmx_feature_control_to_write(0x2), 0x7); /* SMX bit kept */
	/* Locked with VMX outside SMX: fine, nothing to write. */
	assert_true(vmx_feature_control_allows(0x5));
	assert_int_equal(vmx_feature_control_to_write(0x5), 0x5);
	/* Locked off by the firmware (only in SMX, or not at all): refused, never rewritten. */
	assert_false(vmx_feature_control_allows(0x1));
	assert_false(vmx_feature_control_allows(0x3));
	assert_int_equal(vmx_feature_control_to_write(0x1), 0x1);
	assert_int_equal(vmx_feature_control_to_write(0x3), 0x3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_hide, setup),
	        cmocka_unit_test_setup(test_decode_skylake, setup),
	        cmocka_unit_test_setup(test_decode_basic_fields, setup),
	        cmocka_unit_test_setup(test_decode_without_true_ctls, setup),
	        cmocka_unit_test_setup(test_decode_no_secondary_controls, setup),
	        cmocka_unit_test_setup(test_decode_ept_vpid_halves, setup),
	        cmocka_unit_test_setup(test_decode_vmfunc_gated, setup),
	        cmocka_unit_test_setup(test_decode_misc_fields, setup),
	        cmocka_unit_test_setup(test_decode_all_zero, setup),
	        cmocka_unit_test_setup(test_adjust_controls_optional, setup),
	        cmocka_unit_test_setup(test_adjust_controls_missing, setup),
	        cmocka_unit_test_setup(test_fixed_cr, setup),
	        cmocka_unit_test_setup(test_preemption_timer_max_ms, setup),
	        cmocka_unit_test_setup(test_predicates_skylake, setup),
	        cmocka_unit_test_setup(test_predicates_nothing, setup),
	        cmocka_unit_test_setup(test_predicates_invept_invvpid_need_both_bits, setup),
	        cmocka_unit_test_setup(test_predicates_follow_decode_gating, setup),
	        cmocka_unit_test_setup(test_predicates_use_allowed1, setup),
	        cmocka_unit_test(test_feature_control),
	};
	return cmocka_run_group_tests_name("vmx_caps", tests, NULL, NULL);
}
