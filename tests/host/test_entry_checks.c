/*
 * Host tests of nested/entry_checks.c: starting from a valid vmcs12 (a
 * 64-bit L2 and a 64-bit L1 host, as the payloads build them), one field
 * broken at a time; each must fail on the SDM rule it breaks, and only there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "arch/x86/x86_bits.h"
#include "nested/entry_checks.h"
#include "skylake_vmx.h"

#define AR_CODE64 0xa09bu
#define AR_DATA   0xc093u
#define AR_TSS64  0x008bu
#define AR_UNUSE  0x10000u
#define PAT_WB    0x0007040600070406ULL
#define EFER_64   0xd01ULL /* SCE, LME, LMA, NXE */

static struct nested_caps caps;
static struct vmcs12 c;
static uint64_t memory[512]; /* L1 "RAM" at guest-physical 0x10000 */
static struct nested_entry_env env;

static bool read64(void *ctx, uint64_t gpa, uint64_t *val)
{
	(void)ctx;
	if (gpa < 0x10000 || gpa + 8 > 0x10000 + sizeof(memory))
		return false;
	*val = memory[(gpa - 0x10000) / 8];
	return true;
}

static int setup(void **state)
{
	struct vmx_cap_msrs raw;

	(void)state;
	skylake(&raw);
	vmx_caps_decode(&vmx_caps, &raw);
	nested_caps_init(&caps, &vmx_caps, 39, false);
	env = (struct nested_entry_env){&caps, true, read64, NULL, 0x40000};
	memset(memory, 0, sizeof(memory));
	memset(&c, 0, sizeof(c));
	c.pin_based_vm_exec_control = 0x16;
	c.cpu_based_vm_exec_control = 0x04006172 | CPU_BASED_HLT_EXITING;
	c.vm_exit_controls = 0x00036dfb | VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_PAT |
	                     VM_EXIT_LOAD_IA32_EFER;
	c.vm_entry_controls = 0x000011fb | VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_PAT |
	                      VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_DEBUG_CONTROLS;
	c.host_cr0 = c.guest_cr0 = 0x80000031;
	c.host_cr4 = c.guest_cr4 = 0x2020;
	c.host_cr3 = c.guest_cr3 = 0x20000;
	c.host_cs_selector = 0x08;
	c.host_ss_selector = c.host_ds_selector = c.host_es_selector = 0x10;
	c.host_tr_selector = 0x28;
	c.host_rip = 0x100000;
	c.guest_cs_selector = 0x08;
	c.guest_ss_selector = c.guest_ds_selector = c.guest_es_selector = 0x10;
	c.guest_tr_selector = 0x28;
	c.guest_cs_limit = c.guest_ss_limit = c.guest_ds_limit = c.guest_es_limit = 0xffffffff;
	c.guest_fs_limit = c.guest_gs_limit = 0xffffffff;
	c.guest_cs_ar_bytes = AR_CODE64;
	c.guest_ss_ar_bytes = c.guest_ds_ar_bytes = c.guest_es_ar_bytes = AR_DATA;
	c.guest_fs_ar_bytes = c.guest_gs_ar_bytes = AR_DATA;
	c.guest_tr_ar_bytes = AR_TSS64;
	c.guest_tr_limit = 0x67;
	c.guest_ldtr_ar_bytes = AR_UNUSE;
	c.guest_gdtr_limit = c.guest_idtr_limit = 0xfff;
	c.guest_rflags = 0x2;
	c.guest_rip = 0x200000;
	c.guest_dr7 = 0x400;
	c.guest_ia32_pat = c.host_ia32_pat = PAT_WB;
	c.guest_ia32_efer = c.host_ia32_efer = EFER_64;
	c.vmcs_link_pointer = ~0ULL;
	return 0;
}

static void expect_rule(const char *got, const char *prefix)
{
	if (!got)
		fail_msg("passed, want a failure on rule %s", prefix);
	if (strncmp(got, prefix, strlen(prefix)) != 0)
		fail_msg("failed on \"%s\", want rule %s", got, prefix);
}

static void test_valid(void **state)
{
	uint32_t q = 99;

	(void)state;
	assert_null(nested_check_controls(&c, &env));
	assert_null(nested_check_host_state(&c, &env));
	assert_null(nested_check_guest_state(&c, &env, &q));
	assert_int_equal(q, 0);
}

static void test_controls(void **state)
{
	(void)state;
	c.pin_based_vm_exec_control |= PIN_BASED_VMX_PREEMPTION_TIMER; /* not offered */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: pin-based");
	setup(NULL);
	c.cpu_based_vm_exec_control &= ~0x2u; /* a must-be-1 bit */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: processor-based");
	setup(NULL);
	c.cpu_based_vm_exec_control |= CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	c.secondary_vm_exec_control = SECONDARY_EXEC_ENABLE_PML;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: secondary");
	/* Without "activate secondary controls" the field is ignored. */
	c.cpu_based_vm_exec_control &= ~CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	assert_null(nested_check_controls(&c, &env));
	setup(NULL);
	c.cr3_target_count = 4; /* IA32_VMX_MISC offers four */
	assert_null(nested_check_controls(&c, &env));
	c.cr3_target_count = 5;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: CR3-target count");
	setup(NULL);
	c.cpu_based_vm_exec_control |= CPU_BASED_USE_IO_BITMAPS;
	c.io_bitmap_a = 0x10800;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: I/O bitmap");
	setup(NULL);
	c.cpu_based_vm_exec_control |= CPU_BASED_USE_MSR_BITMAPS;
	c.msr_bitmap = 1ULL << 39;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: MSR bitmap");
	setup(NULL);
	c.cpu_based_vm_exec_control |= CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	c.secondary_vm_exec_control = SECONDARY_EXEC_ENABLE_VPID;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: enable VPID with VPID 0");
	c.virtual_processor_id = 1;
	assert_null(nested_check_controls(&c, &env));
	setup(NULL);
	c.vm_exit_controls |= VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.2: VM-exit controls");
	/* Offered with the timer: saving its value needs it active. */
	setup(NULL);
	nested_caps_init(&caps, &vmx_caps, 39, true);
	c.vm_exit_controls |= VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.2: save VMX-preemption timer");
	c.pin_based_vm_exec_control |= PIN_BASED_VMX_PREEMPTION_TIMER;
	assert_null(nested_check_controls(&c, &env));
	setup(NULL);
	c.vm_exit_msr_load_count = 1;
	c.vm_exit_msr_load_addr = 0x10008;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.2: VM-exit MSR-load");
	setup(NULL);
	c.vm_entry_controls |= VM_ENTRY_SMM;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.3: VM-entry controls");
	setup(NULL);
	c.vm_entry_msr_load_count = 2;
	c.vm_entry_msr_load_addr = (1ULL << 39) - 16;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.3: VM-entry MSR-load");
}

static void test_entry_injection(void **state)
{
	(void)state;
	c.vm_entry_intr_info_field = 0x80000100 | 32; /* type 1: reserved */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.3: VM-entry interruption type");
	c.vm_entry_intr_info_field = 0x80000200 | 3; /* NMI with vector 3 */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.3: NMI");
	c.vm_entry_intr_info_field = 0x80000300 | 13; /* #GP without its error code */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.3: deliver-error-code");
	c.vm_entry_intr_info_field = 0x80000b00 | 13;
	assert_null(nested_check_controls(&c, &env));
	c.vm_entry_exception_error_code = 0x10000; /* bits 31:16 of a delivered code */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.3: the error code to deliver");
	c.vm_entry_exception_error_code = 0xffff;
	assert_null(nested_check_controls(&c, &env));
	c.vm_entry_intr_info_field = 0x80000b00 | 6; /* #UD with an error code */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.3: deliver-error-code");
	c.vm_entry_intr_info_field = 0x80000400 | 0x80; /* INT 0x80, length 0 */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.3: software event");
	c.vm_entry_instruction_len = 2;
	assert_null(nested_check_controls(&c, &env));
	c.vm_entry_intr_info_field = 0x80001000;
	expect_rule(nested_check_controls(&c, &env),
	            "26.2.1.3: VM-entry interruption-information bits");
}

static void test_host_state(void **state)
{
	(void)state;
	c.host_cr0 &= ~1ULL;
	expect_rule(nested_check_host_state(&c, &env), "26.2.2: host CR0");
	setup(NULL);
	c.host_cr4 &= ~0x2000ULL;
	expect_rule(nested_check_host_state(&c, &env), "26.2.2: host CR4");
	/* A CPU with CET (CR4 bit 23 allowed): CR4.CET needs CR0.WP, host and guest. */
	setup(NULL);
	caps.msr[MSR_IA32_VMX_CR4_FIXED1 - NESTED_MSR_FIRST] |= CR4_CET;
	c.host_cr0 |= CR0_WP;
	c.guest_cr0 |= CR0_WP;
	c.host_cr4 |= CR4_CET;
	c.guest_cr4 |= CR4_CET;
	assert_null(nested_check_host_state(&c, &env));
	c.host_cr0 &= ~CR0_WP;
	expect_rule(nested_check_host_state(&c, &env), "26.2.2: host CR4.CET without CR0.WP");
	assert_null(nested_check_guest_state(&c, &env, &(uint32_t){0}));
	c.guest_cr0 &= ~CR0_WP;
	expect_rule(nested_check_guest_state(&c, &env, &(uint32_t){0}),
	            "26.3.1.1: guest CR4.CET without CR0.WP");
	setup(NULL);
	c.host_cr3 = 1ULL << 40;
	expect_rule(nested_check_host_state(&c, &env), "26.2.2: host CR3");
	setup(NULL);
	c.host_ia32_pat = 0x02;
	expect_rule(nested_check_host_state(&c, &env), "26.2.2: host IA32_PAT");
	setup(NULL);
	c.host_ia32_efer &= ~0x400ULL;
	expect_rule(nested_check_host_state(&c, &env), "26.2.2: host IA32_EFER.LMA");
	setup(NULL);
	c.host_ds_selector = 0x13;
	expect_rule(nested_check_host_state(&c, &env), "26.2.3: host selector");
	setup(NULL);
	c.host_tr_selector = 0;
	expect_rule(nested_check_host_state(&c, &env), "26.2.3: host TR selector is 0");
	setup(NULL);
	c.host_cs_selector = 0;
	expect_rule(nested_check_host_state(&c, &env), "26.2.3: host CS selector is 0");
	setup(NULL);
	c.host_gs_base = 0x0000800000000000ULL;
	expect_rule(nested_check_host_state(&c, &env), "26.2.3: host FS/GS");
	setup(NULL);
	c.vm_exit_controls &= ~VM_EXIT_HOST_ADDR_SPACE_SIZE;
	c.vm_exit_controls &= ~VM_EXIT_LOAD_IA32_EFER;
	expect_rule(nested_check_host_state(&c, &env), "26.2.4: host address-space size 0");
	setup(NULL);
	c.host_rip = 0x0000800000000000ULL;
	expect_rule(nested_check_host_state(&c, &env), "26.2.4: host RIP");
	setup(NULL);
	env.l1_long_mode = false;
	c.vm_exit_controls &= ~(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_LOAD_IA32_EFER);
	expect_rule(nested_check_host_state(&c, &env), "26.2.4: IA-32e controls");
}

static void test_guest_state(void **state)
{
	uint32_t q;

	(void)state;
	c.guest_cr0 &= ~(1ULL << 5); /* NE */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.1: guest CR0");
	setup(NULL);
	c.guest_cr4 &= ~0x20ULL; /* PAE in IA-32e mode */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.1: IA-32e mode guest");
	setup(NULL);
	c.guest_ia32_efer &= ~0x400ULL;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.1: guest IA32_EFER.LMA");
	setup(NULL);
	c.guest_dr7 = 1ULL << 32;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.1: guest IA32_DEBUGCTL");
	setup(NULL);
	c.guest_ss_selector = 0x13;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: SS.RPL");
	/* SS.DPL is the CPL even in an unusable SS: still held to its RPL. */
	setup(NULL);
	c.guest_ss_selector = 0;
	c.guest_ss_ar_bytes = AR_UNUSE;
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.guest_cs_ar_bytes = AR_CODE64 | 4u; /* conforming: CS.DPL 0 <= SS.DPL */
	c.guest_ss_ar_bytes = AR_UNUSE | 3u << 5;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: SS.DPL differs");
	setup(NULL);
	c.guest_cs_ar_bytes = 0xa093; /* a data segment in CS */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: CS type");
	/* CS is checked as if usable, whatever bit 16 says: unusable alone is no fault. */
	setup(NULL);
	c.guest_cs_ar_bytes = AR_CODE64 | (1u << 16);
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.guest_cs_ar_bytes = 0xa093 | (1u << 16);
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: CS type");
	setup(NULL);
	c.guest_cs_ar_bytes = AR_CODE64 | (1u << 14); /* L and D */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: CS.L and CS.D");
	setup(NULL);
	c.guest_ds_ar_bytes = 0xc092; /* not accessed */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: DS/ES/FS/GS type");
	setup(NULL);
	c.guest_ds_limit = 0x1000; /* G = 1 needs limit bits 11:0 all ones */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: DS/ES/FS/GS S, P");
	setup(NULL);
	c.guest_tr_ar_bytes = 0x0083; /* 16-bit busy TSS in IA-32e mode */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: TR type");
	setup(NULL);
	c.guest_ldtr_ar_bytes = 0x0082;
	c.guest_ldtr_selector = 0x4;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: LDTR selector TI");
	setup(NULL);
	c.guest_gdtr_limit = 0x10000;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.3: GDTR/IDTR limit");
	setup(NULL);
	c.guest_rip = 0x8000000000000000ULL;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.4: guest RIP");
	/* Not canonical, but bits 63:48 alike: VM entry lets it through (the fetch faults). */
	c.guest_rip = 0x0000800000000000ULL;
	assert_null(nested_check_guest_state(&c, &env, &q));
	setup(NULL);
	c.guest_rflags = 0; /* bit 1 clear: the vmx_insn payload's case */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.4: guest RFLAGS");
	assert_int_equal(q, 0);
	setup(NULL);
	c.vm_entry_intr_info_field = 0x80000000 | 0x20; /* external interrupt, IF = 0 */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.4: injecting an external");
	/* HLT is offered (IA32_VMX_MISC bit 6): with SS.DPL 0 and no STI/MOV-SS blocking. */
	setup(NULL);
	c.guest_activity_state = VMX_ACTIVITY_HLT;
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.guest_ss_ar_bytes |= 3u << 5; /* CPL 3: CS, SS and their RPLs agree */
	c.guest_cs_ar_bytes |= 3u << 5;
	c.guest_ss_selector |= 3;
	c.guest_cs_selector |= 3;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: HLT activity state with");
	c.guest_activity_state = VMX_ACTIVITY_ACTIVE;
	assert_null(nested_check_guest_state(&c, &env, &q));
	setup(NULL);
	c.guest_activity_state = VMX_ACTIVITY_HLT;
	c.guest_rflags |= 0x200;
	c.guest_interruptibility_info = 1; /* STI blocking, IF = 1 */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: blocking by STI or MOV SS");
	/* Into HLT, only what ends it may be injected: an external interrupt does, #UD does not. */
	setup(NULL);
	c.guest_activity_state = VMX_ACTIVITY_HLT;
	c.guest_rflags |= 0x200;
	c.vm_entry_intr_info_field = 0x80000000 | 0x20;
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.vm_entry_intr_info_field = 0x80000000 | 3u << 8 | 6;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: an event injected into");
	/* Shutdown and wait-for-SIPI are not offered. */
	setup(NULL);
	c.guest_activity_state = VMX_ACTIVITY_SHUTDOWN;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: activity state");
	c.guest_activity_state = VMX_ACTIVITY_WAIT_SIPI;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: activity state");
	setup(NULL);
	c.guest_interruptibility_info = 1; /* STI blocking with IF = 0 */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: blocking by STI with");
	setup(NULL);
	c.guest_interruptibility_info = 3;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: blocking by STI and");
	setup(NULL);
	c.guest_interruptibility_info = 1u << 4; /* found by the vmcs12 fuzzer */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: enclave interruption");
	c.guest_interruptibility_info = 1u << 5;
	expect_rule(nested_check_guest_state(&c, &env, &q),
	            "26.3.1.5: interruptibility-state bits");
	/* The RTM bit: only with RTM in L1's CPUID, and then beside bit 12 alone. */
	setup(NULL);
	c.guest_pending_dbg_exceptions = 1ULL << 16 | 1ULL << 12;
	expect_rule(nested_check_guest_state(&c, &env, &q),
	            "26.3.1.5: pending-debug RTM bit without");
	caps.rtm = true;
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.guest_pending_dbg_exceptions = 1ULL << 16;
	expect_rule(nested_check_guest_state(&c, &env, &q),
	            "26.3.1.5: pending-debug RTM bit beside");
}

static void test_link_pointer_and_pdptes(void **state)
{
	uint32_t q;

	(void)state;
	c.vmcs_link_pointer = 0x10000; /* RAM, but not a VMCS of the right revision */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: VMCS link pointer");
	assert_int_equal(q, ENTRY_QUAL_LINK_PTR);
	memory[0] = VMCS12_REVISION_ID;
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.vmcs_link_pointer = 0x50000; /* not RAM */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: VMCS link pointer");
	/* A valid VMCS, but the current one. */
	c.vmcs_link_pointer = 0x10000;
	env.current_vmcs = 0x10000;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.5: VMCS link pointer");
	assert_int_equal(q, ENTRY_QUAL_LINK_PTR);
	/* A 32-bit PAE L2: its PDPTEs at CR3 are checked (qualification 2). */
	setup(NULL);
	c.vm_entry_controls &= ~VM_ENTRY_IA32E_MODE;
	c.guest_ia32_efer = 0;
	c.guest_cs_ar_bytes = 0xc09b;
	c.guest_tr_ar_bytes = 0x008b;
	c.guest_cr3 = 0x10000;
	memory[1] = 0x21001; /* present, fine */
	assert_null(nested_check_guest_state(&c, &env, &q));
	memory[2] = 0x22001 | (1ULL << 6); /* present with reserved bit 6 */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.6");
	assert_int_equal(q, ENTRY_QUAL_PDPTE);
}

#define EPTP_WB4 (0x30000ULL | 3u << 3 | 6u) /* WB, 4-level */

/* EPT on (and unrestricted guest if ug), with a valid EPTP. */
static void with_ept(bool ug)
{
	c.cpu_based_vm_exec_control |= CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	c.secondary_vm_exec_control = SECONDARY_EXEC_ENABLE_EPT;
	if (ug)
		c.secondary_vm_exec_control |= SECONDARY_EXEC_UNRESTRICTED_GUEST;
	c.ept_pointer = EPTP_WB4;
}

static void test_ept_controls(void **state)
{
	(void)state;
	with_ept(true);
	assert_null(nested_check_controls(&c, &env));
	c.ept_pointer = EPTP_WB4 & ~7ULL; /* UC: offered too */
	assert_null(nested_check_controls(&c, &env));
	c.ept_pointer = (EPTP_WB4 & ~7ULL) | 1; /* WC */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: EPTP memory type");
	c.ept_pointer = (EPTP_WB4 & ~7ULL) | 7; /* reserved type */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: EPTP memory type");
	c.ept_pointer = (EPTP_WB4 & ~(7ULL << 3)) | 4u << 3; /* 5-level: not offered */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: EPTP page-walk length");
	c.ept_pointer = EPTP_WB4 & ~(7ULL << 3); /* 1-level */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: EPTP page-walk length");
	c.ept_pointer = EPTP_WB4 | 1u << 6; /* A/D: offered, as the host has them */
	assert_null(nested_check_controls(&c, &env));
	{
		struct nested_caps no_ad = caps;
		struct nested_entry_env env_no_ad = env;

		no_ad.msr[MSR_IA32_VMX_EPT_VPID_CAP - NESTED_MSR_FIRST] &= ~VMX_EPT_AD;
		env_no_ad.caps = &no_ad;
		expect_rule(nested_check_controls(&c, &env_no_ad), "26.2.1.1: EPTP A/D enable");
	}
	c.ept_pointer = EPTP_WB4 | 1u << 7;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: EPTP reserved bits");
	c.ept_pointer = EPTP_WB4 | 1u << 11;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: EPTP reserved bits");
	c.ept_pointer = EPTP_WB4 | 1ULL << 39; /* maxphyaddr 39 */
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: EPTP reserved bits");
	c.ept_pointer = EPTP_WB4 | 1ULL << 38;
	assert_null(nested_check_controls(&c, &env));
	/* Unrestricted guest needs EPT; without EPT the EPTP is not looked at. */
	c.ept_pointer = 0;
	c.secondary_vm_exec_control = SECONDARY_EXEC_UNRESTRICTED_GUEST;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: unrestricted guest without");
	/* ... and without "activate secondary controls" neither is in force. */
	c.cpu_based_vm_exec_control &= ~CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	assert_null(nested_check_controls(&c, &env));
	/* VPID keeps its rule beside EPT. */
	setup(NULL);
	with_ept(false);
	c.secondary_vm_exec_control |= SECONDARY_EXEC_ENABLE_VPID;
	expect_rule(nested_check_controls(&c, &env), "26.2.1.1: enable VPID with VPID 0");
}

static void test_eptp_helper(void **state)
{
	struct nested_caps no_uc = caps;

	(void)state;
	assert_true(nested_eptp_valid(&caps, EPTP_WB4));
	assert_true(nested_eptp_valid(&caps, EPTP_WB4 | 1u << 6));
	no_uc.msr[MSR_IA32_VMX_EPT_VPID_CAP - NESTED_MSR_FIRST] &= ~VMX_EPT_AD;
	assert_false(nested_eptp_valid(&no_uc, EPTP_WB4 | 1u << 6));
	/* The memory type is held to what IA32_VMX_EPT_VPID_CAP says. */
	no_uc.msr[MSR_IA32_VMX_EPT_VPID_CAP - NESTED_MSR_FIRST] &= ~VMX_EPT_MEMTYPE_UC;
	assert_false(nested_eptp_valid(&no_uc, EPTP_WB4 & ~7ULL));
	assert_true(nested_eptp_valid(&no_uc, EPTP_WB4));
	no_uc.maxphyaddr = 46;
	assert_true(nested_eptp_valid(&no_uc, EPTP_WB4 | 1ULL << 45));
	assert_false(nested_eptp_valid(&no_uc, EPTP_WB4 | 1ULL << 46));
}

/* A real-mode L2 under unrestricted guest: CR0.PE = PG = 0, 16-bit segments, no IA-32e mode. */
static void real_mode(void)
{
	with_ept(true);
	c.vm_entry_controls &= ~(VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER);
	c.guest_cr0 = 0x30; /* ET, NE */
	c.guest_cr4 = 0x2000;
	c.guest_cs_selector = 0x1000;
	c.guest_cs_base = 0x10000;
	c.guest_ss_selector = c.guest_ds_selector = c.guest_es_selector = 0x2003;
	c.guest_fs_selector = c.guest_gs_selector = 0;
	c.guest_ss_base = c.guest_ds_base = c.guest_es_base = 0x20030;
	c.guest_cs_limit = c.guest_ss_limit = c.guest_ds_limit = c.guest_es_limit = 0xffff;
	c.guest_fs_limit = c.guest_gs_limit = 0xffff;
	c.guest_cs_ar_bytes = 0x93; /* type 3: the real-mode style */
	c.guest_ss_ar_bytes = c.guest_ds_ar_bytes = c.guest_es_ar_bytes = 0x93;
	c.guest_fs_ar_bytes = c.guest_gs_ar_bytes = 0x93;
	c.guest_rip = 0xfff0;
}

static void test_unrestricted_guest(void **state)
{
	uint32_t q;

	(void)state;
	real_mode();
	/* RPLs 3 in SS/DS/ES with DPL 0 and CS.RPL 0: all relaxed for unrestricted guest. */
	assert_null(nested_check_controls(&c, &env));
	assert_null(nested_check_guest_state(&c, &env, &q));
	/* Protected mode without paging. */
	c.guest_cr0 |= CR0_PE;
	assert_null(nested_check_guest_state(&c, &env, &q));
	/* PG without PE is still refused. */
	c.guest_cr0 = 0x80000030;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.1: guest CR0.PG without");
	/* Without unrestricted guest, PE = 0 breaks IA32_VMX_CR0_FIXED0... */
	setup(NULL);
	real_mode();
	c.secondary_vm_exec_control &= ~SECONDARY_EXEC_UNRESTRICTED_GUEST;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.1: guest CR0 breaks");
	/* ... and so does it when the secondary controls are not active. */
	setup(NULL);
	real_mode();
	c.cpu_based_vm_exec_control &= ~CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.1: guest CR0 breaks");
	/* CS type 3 needs DPL 0. */
	setup(NULL);
	real_mode();
	c.guest_cs_ar_bytes = 0xf3;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: CS type 3");
	/* SS.DPL must be 0 with CR0.PE = 0... */
	setup(NULL);
	real_mode();
	c.guest_cs_ar_bytes = 0xfb; /* a DPL-3 code segment: CS is not type 3 */
	c.guest_ss_ar_bytes = 0xf3;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: SS.DPL not 0");
	c.guest_ss_ar_bytes = 0xf3 | AR_UNUSE; /* whether or not SS is usable */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: SS.DPL not 0");
	/* ... or with CS type 3 in protected mode; not otherwise. */
	c.guest_cr0 |= CR0_PE;
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.guest_cs_ar_bytes = 0x93;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: SS.DPL not 0");
	c.guest_ss_ar_bytes = 0x93;
	assert_null(nested_check_guest_state(&c, &env, &q));
	/* RFLAGS.VM with CR0.PE = 0. */
	setup(NULL);
	real_mode();
	c.guest_ss_base = c.guest_ds_base = c.guest_es_base = 0x20030;
	c.guest_cs_base = 0x10000;
	c.guest_cs_ar_bytes = c.guest_ss_ar_bytes = c.guest_ds_ar_bytes = c.guest_es_ar_bytes =
	        c.guest_fs_ar_bytes = c.guest_gs_ar_bytes = 0xf3;
	c.guest_rflags |= RFLAGS_VM;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.4: RFLAGS.VM with CR0.PE");
	/* Without unrestricted guest: CS type 3 and the RPL/DPL rules hold. */
	setup(NULL);
	c.guest_ds_selector = 0x13; /* RPL 3, DPL 0 data */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: DS/ES/FS/GS DPL below");
	c.guest_ds_ar_bytes = 0xc09f; /* a conforming code segment: no DPL rule */
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.guest_ds_ar_bytes = AR_DATA | AR_UNUSE; /* unusable: not checked */
	assert_null(nested_check_guest_state(&c, &env, &q));
	with_ept(true);
	c.guest_ds_ar_bytes = AR_DATA;
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.guest_ss_selector = 0x13; /* SS.RPL != CS.RPL, SS.DPL != SS.RPL */
	assert_null(nested_check_guest_state(&c, &env, &q));
}

/* A 32-bit protected-mode L2 in virtual-8086 mode (no unrestricted guest). */
static void v86(void)
{
	c.vm_entry_controls &= ~(VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER);
	c.guest_cr4 = 0x2000; /* 32-bit paging */
	c.guest_rflags |= RFLAGS_VM;
	c.guest_cs_selector = 0x1000;
	c.guest_ss_selector = c.guest_ds_selector = c.guest_es_selector = 0x2003;
	c.guest_fs_selector = c.guest_gs_selector = 0;
	c.guest_cs_base = 0x10000;
	c.guest_ss_base = c.guest_ds_base = c.guest_es_base = 0x20030;
	c.guest_fs_base = c.guest_gs_base = 0;
	c.guest_cs_limit = c.guest_ss_limit = c.guest_ds_limit = c.guest_es_limit = 0xffff;
	c.guest_fs_limit = c.guest_gs_limit = 0xffff;
	c.guest_cs_ar_bytes = c.guest_ss_ar_bytes = c.guest_ds_ar_bytes = c.guest_es_ar_bytes =
	        c.guest_fs_ar_bytes = c.guest_gs_ar_bytes = 0xf3;
	c.guest_rip = 0xfff0;
}

static void test_virtual_8086(void **state)
{
	uint32_t q;

	(void)state;
	v86();
	/* CS.RPL 0 and SS.RPL 3: not compared in virtual-8086 mode. */
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.guest_gs_base = 0x10;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: virtual-8086 segment base");
	setup(NULL);
	v86();
	c.guest_ss_limit = 0xfffff;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.2: virtual-8086 segment limit");
	setup(NULL);
	v86();
	c.guest_cs_ar_bytes = 0xfb; /* code: not the 0xf3 virtual-8086 mode requires */
	expect_rule(nested_check_guest_state(&c, &env, &q),
	            "26.3.1.2: virtual-8086 segment access");
	c.guest_cs_ar_bytes = 0xf3 | AR_UNUSE;
	expect_rule(nested_check_guest_state(&c, &env, &q),
	            "26.3.1.2: virtual-8086 segment access");
	/* In IA-32e mode RFLAGS.VM is refused whatever the segments. */
	setup(NULL);
	v86();
	c.vm_entry_controls |= VM_ENTRY_IA32E_MODE;
	c.guest_cr4 = 0x2020;
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.4: RFLAGS.VM in IA-32e");
}

/* 32-bit PAE L2 (no IA-32e mode), with or without EPT. */
static void pae32(void)
{
	c.vm_entry_controls &= ~VM_ENTRY_IA32E_MODE;
	c.guest_ia32_efer = 0;
	c.guest_cs_ar_bytes = 0xc09b;
	c.guest_tr_ar_bytes = 0x008b;
	c.guest_cr3 = 0x10000;
}

static void test_pdptes_with_ept(void **state)
{
	uint32_t q;

	(void)state;
	pae32();
	with_ept(false);
	/* With EPT, CR3 is L2's: the PDPTEs at CR3 in L1 memory are not looked at... */
	memory[2] = 0x22001 | (1ULL << 6);
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.guest_cr3 = 0x50000; /* not L1 RAM either */
	assert_null(nested_check_guest_state(&c, &env, &q));
	/* ... the guest PDPTE fields are, each of them. */
	c.guest_pdptr0 = 0x21001;
	c.guest_pdptr1 = 0x22000 | (1ULL << 6); /* not present: not checked */
	assert_null(nested_check_guest_state(&c, &env, &q));
	c.guest_pdptr3 = 0x23001 | (1ULL << 2); /* present with reserved bit 2 */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.6: a guest PDPTE field");
	assert_int_equal(q, ENTRY_QUAL_PDPTE);
	c.guest_pdptr3 = 0x23001 | (1ULL << 39); /* beyond MAXPHYADDR */
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.6: a guest PDPTE field");
	/* Without paging (unrestricted guest) there are no PDPTEs to check. */
	c.secondary_vm_exec_control |= SECONDARY_EXEC_UNRESTRICTED_GUEST;
	c.guest_cr0 &= ~CR0_PG;
	assert_null(nested_check_guest_state(&c, &env, &q));
	/* Without EPT, back to the PDPTEs at CR3. */
	setup(NULL);
	pae32();
	c.guest_pdptr0 = 1ULL << 7;
	assert_null(nested_check_guest_state(&c, &env, &q));
	memory[2] = 0x22001 | (1ULL << 6);
	expect_rule(nested_check_guest_state(&c, &env, &q), "26.3.1.6: a PDPTE at guest CR3");
}

static void test_helpers(void **state)
{
	(void)state;
	assert_true(nested_canonical(0x00007fffffffffffULL));
	assert_true(nested_canonical(0xffff800000000000ULL));
	assert_false(nested_canonical(0x0000800000000000ULL));
	assert_true(nested_pat_valid(PAT_WB));
	assert_false(nested_pat_valid(0x03));
	assert_false(nested_pat_valid(0x08ULL << 56));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_valid, setup),
	        cmocka_unit_test_setup(test_controls, setup),
	        cmocka_unit_test_setup(test_entry_injection, setup),
	        cmocka_unit_test_setup(test_host_state, setup),
	        cmocka_unit_test_setup(test_guest_state, setup),
	        cmocka_unit_test_setup(test_link_pointer_and_pdptes, setup),
	        cmocka_unit_test_setup(test_ept_controls, setup),
	        cmocka_unit_test_setup(test_eptp_helper, setup),
	        cmocka_unit_test_setup(test_unrestricted_guest, setup),
	        cmocka_unit_test_setup(test_virtual_8086, setup),
	        cmocka_unit_test_setup(test_pdptes_with_ept, setup),
	        cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
