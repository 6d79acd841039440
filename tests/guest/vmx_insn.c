/*
 * The VMX instructions as the SDM defines them (Vol. 3 chapter 31, "VMX
 * Instruction Reference": each instruction's pseudo-code gives its #UD
 * and #GP conditions and its VMfail cases, 31.4 the error numbers): one
 * TEST per rule, each asserting the exact outcome, which it also prints
 * as "# outcome <label> <kind> <error>" (lib/vmx.h) so that a harness can
 * compare a bare run (a CPU with VMX: Bochs) with a nested one (under
 * Umbra) line by line.
 *
 * Reminders the tests rely on:
 * - VMfail(n) is VMfailValid(n) only with a current VMCS; without one it
 *   is VMfailInvalid. So the VMfailValid tests load a VMCS first, and a
 *   few tests show the VMfailInvalid side.
 * - VMXON leaves no current VMCS (the pointer is all ones).
 *
 * Each test starts out of VMX operation (VMXOFF if a test before left it
 * on) and sets up what it needs. Without VMX (CPUID.1:ECX.VMX clear, as
 * under Umbra today) every test SKIPs.
 */
#include "vmx.h"

PAYLOAD("vmx_insn");

/* vmx_region() slots. */
#define SLOT_VMXON 0
#define SLOT_A     1
#define SLOT_B     2
#define SLOT_EPT   3

#define OK            ((struct vmx_result){VMX_OK, 0, 0})
#define FAIL_INVALID  ((struct vmx_result){VMX_FAIL_INVALID, 0, 0})
#define FAIL_VALID(e) ((struct vmx_result){VMX_FAIL_VALID, (e), 0})
#define UD            ((struct vmx_result){VMX_FAULT, 0, VMX_VECTOR_UD})
#define GP0           ((struct vmx_result){VMX_FAULT, 0, VMX_VECTOR_GP})
#define SS0           ((struct vmx_result){VMX_FAULT, 0, VMX_VECTOR_SS})

/* SDM 31.4 numbers vmx_bits.h does not name. */
#define VMXERR_ENTRY_MOV_SS_BLOCKING  26
#define VMXERR_INVALID_INVEPT_INVVPID 28

#define EXIT_REASON_ENTRY_FAIL_GUEST_STATE (VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE)
#define CPUID_LEN                          2 /* 0f a2 */
#define VMCALL_LEN                         3 /* 0f 01 c1 */
#define L2_MARKER                          0x600dcafe0000beefULL
#define EPTP_WB_4LEVEL(pa)                 ((pa) | (3ULL << 3) | 6)
#define EPTP_UC_4LEVEL(pa)                 ((pa) | (3ULL << 3) | 0)
#define CANONICAL_ADDR                     0x1000ULL
#define NONCANONICAL_ADDR                  0x0000800000000000ULL

/* The Bochs bugs docs/bochs.md lists, as the tests name them. */
#define BUG_VMCALL_DUAL_MONITOR "VMCALL in VMX root skips the dual-monitor check"
#define BUG_INV_TYPE_32BIT      "INVEPT/INVVPID read bits 31:0 of the type register only (no REX.W)"
#define BUG_SHADOW_VMCS_ENTRY   "VM entry ignores the shadow-VMCS indicator"

static uint64_t vmxon_pa;

/* ---- expectations ---- */

/* Prints the outcome line; fails the test unless got is want. */
static bool expect(int line, const char *label, struct vmx_result got, struct vmx_result want)
{
	char g[48], w[48];

	vmx_outcome_print(label, got);
	if (vmx_result_equal(got, want))
		return true;
	vmx_result_format(g, sizeof(g), got);
	vmx_result_format(w, sizeof(w), want);
	test_fail(line, "%s: %s, want %s", label, g, w);
	return false;
}
#define EXPECT(label, got, want) expect(__LINE__, label, got, want)

/*
 * As expect(), but bare on Bochs the outcome `bochs` is tolerated too: a
 * Bochs bug that docs/bochs.md lists, named by `bug`.
 */
static bool expect_bochs(int line, const char *label, struct vmx_result got, struct vmx_result want,
                         struct vmx_result bochs, const char *bug)
{
	char w[48];

	if (!vmx_result_equal(got, want) && vmx_bare_bochs() && vmx_result_equal(got, bochs)) {
		vmx_outcome_print(label, got);
		vmx_result_format(w, sizeof(w), want);
		printf("# %s: tolerated Bochs bug (docs/bochs.md): %s; the SDM says %s\n", label,
		       bug, w);
		return true;
	}
	return expect(line, label, got, want);
}
#define EXPECT_BOCHS(label, got, want, bochs, bug) \
	expect_bochs(__LINE__, label, got, want, bochs, bug)

/* A set-up step that must succeed (no outcome line: not what the test asserts); SETUP is vmx.h's. */
static bool setup_ok(int line, const char *what, struct vmx_result r)
{
	char s[48];

	if (r.kind == VMX_OK)
		return true;
	vmx_result_format(s, sizeof(s), r);
	test_fail(line, "set-up %s: %s", what, s);
	return false;
}

/* ---- fixtures ---- */

/* SKIP without VMX; else out of VMX operation (VMXOFF if a test left it on). */
#define REQUIRE_VMX()                                 \
	do {                                          \
		const char *why_ = vmx_unavailable(); \
		if (why_)                             \
			SKIP("%s", why_);             \
		vmx_leave();                          \
	} while (0)

/* VMX enabled (IA32_FEATURE_CONTROL locked with VMX on, CR0, CR4), not in VMX operation. */
#define ENABLE_VMX()                    \
	do {                            \
		const char *e_;         \
		REQUIRE_VMX();          \
		e_ = vmx_enable();      \
		if (e_)                 \
			SKIP("%s", e_); \
	} while (0)

/* In VMX root operation (fresh VMXON region), no current VMCS. */
#define ENTER_ROOT()                                                     \
	do {                                                             \
		ENABLE_VMX();                                            \
		vmxon_pa = vmx_region(SLOT_VMXON, vmx_caps()->revision); \
		SETUP(vmx_vmxon(vmxon_pa));                              \
	} while (0)

/* A fresh VMCS in slot, VMCLEARed and made current; its address in *pa. */
static struct vmx_result fresh_vmcs(unsigned int slot, uint64_t *pa)
{
	struct vmx_result r;

	*pa = vmx_region(slot, vmx_caps()->revision);
	r = vmx_vmclear(*pa);
	return r.kind == VMX_OK ? vmx_vmptrld(*pa) : r;
}

/* fresh_vmcs(), then a complete VMCS for vmx_l2_cpuid_vmcall. */
static struct vmx_result l2_vmcs(unsigned int slot, uint64_t *pa)
{
	struct vmx_result r = fresh_vmcs(slot, pa);

	return r.kind == VMX_OK ? vmx_vmcs_init_l2(vmx_l2_cpuid_vmcall) : r;
}

/* VMLAUNCH of the current l2_vmcs(), which must exit on its CPUID. */
static bool launch_to_cpuid(int line, struct vmx_vcpu *v)
{
	struct vmx_result r = vmx_vmlaunch(v);

	if (!setup_ok(line, "VMLAUNCH", r))
		return false;
	if (v->exit_reason != EXIT_REASON_CPUID) {
		test_fail(line, "set-up VMLAUNCH: exit reason 0x%x, want %u (CPUID)",
		          v->exit_reason, EXIT_REASON_CPUID);
		return false;
	}
	return true;
}
#define LAUNCH_TO_CPUID(v)                         \
	do {                                       \
		if (!launch_to_cpuid(__LINE__, v)) \
			return;                    \
	} while (0)

static uint64_t beyond_maxphyaddr(uint64_t pa)
{
	return pa | 1ULL << vmx_caps()->maxphyaddr;
}

static bool ept_supported(void)
{
	return vmx_controls_allow(vmx_caps()->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	       vmx_controls_allow(vmx_caps()->proc2, SECONDARY_EXEC_ENABLE_EPT);
}

static bool vpid_supported(void)
{
	return vmx_controls_allow(vmx_caps()->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	       vmx_controls_allow(vmx_caps()->proc2, SECONDARY_EXEC_ENABLE_VPID);
}

/* MOV to CR0 or CR4 as an outcome: VMX_OK, or the fault. */
struct cr_write {
	int cr;
	uint64_t value;
};

static void cr_write_fn(void *p)
{
	struct cr_write *w = p;

	if (w->cr == 0)
		__asm__ volatile("mov %0, %%cr0" : : "r"(w->value) : "memory");
	else
		__asm__ volatile("mov %0, %%cr4" : : "r"(w->value) : "memory");
}

static struct vmx_result cr_write(int cr, uint64_t value)
{
	struct cr_write w = {cr, value};
	struct exc_info info;
	int v = catch_exception(cr_write_fn, &w, &info);

	if (v < 0)
		return OK;
	return (struct vmx_result){VMX_FAULT, (uint32_t)info.error_code, (uint8_t)v};
}

/* ---- capabilities ---- */

/* Appendix A: the capability MSRs are self-consistent. */
TEST(vmx_capability_msrs)
{
	const struct vmx_caps *c;
	const uint64_t *ctls[5];
	static const char *const names[5] = {"pin", "proc", "proc2", "exit", "entry"};
	unsigned int memtype;

	REQUIRE_VMX();
	c = vmx_caps();
	memtype = (unsigned int)(c->basic >> VMX_BASIC_MEMTYPE_SHIFT & VMX_BASIC_MEMTYPE_MASK);
	ctls[0] = &c->pin;
	ctls[1] = &c->proc;
	ctls[2] = &c->proc2;
	ctls[3] = &c->exit;
	ctls[4] = &c->entry;
	printf("# IA32_VMX_BASIC 0x%016lx: revision 0x%x, region size %u, memory type %u, "
	       "true controls %d\n",
	       c->basic, c->revision, c->vmcs_size, memtype, c->true_ctls);
	printf("# controls pin 0x%016lx proc 0x%016lx proc2 0x%016lx exit 0x%016lx entry "
	       "0x%016lx\n",
	       c->pin, c->proc, c->proc2, c->exit, c->entry);
	printf("# misc 0x%016lx ept_vpid 0x%016lx vmcs_enum 0x%lx vmfunc 0x%lx\n", c->misc,
	       c->ept_vpid, c->vmcs_enum, c->vmfunc);
	printf("# cr0 fixed0 0x%lx fixed1 0x%lx, cr4 fixed0 0x%lx fixed1 0x%lx, MAXPHYADDR %u, "
	       "IA32_FEATURE_CONTROL 0x%lx\n",
	       c->cr0_fixed0, c->cr0_fixed1, c->cr4_fixed0, c->cr4_fixed1, c->maxphyaddr,
	       rdmsr(MSR_IA32_FEATURE_CONTROL));
	/* A.1: bit 31 is 0; the region size is at most 4096; memory type UC or WB. */
	CHECK(!(c->basic & VMX_BASIC_SHADOW_VMCS), "IA32_VMX_BASIC bit 31 is set");
	CHECK(c->vmcs_size > 0 && c->vmcs_size <= 4096, "VMCS region size %u", c->vmcs_size);
	CHECK(memtype == 0 || memtype == 6, "VMCS memory type %u, want 0 (UC) or 6 (WB)", memtype);
	/* A.3-A.5: a control that must be 1 may be 1. */
	for (int i = 0; i < 5; i++)
		CHECK(((uint32_t)*ctls[i] & ~(uint32_t)(*ctls[i] >> 32)) == 0,
		      "%s controls: bits required 1 but not allowed 1: 0x%x", names[i],
		      (uint32_t)*ctls[i] & ~(uint32_t)(*ctls[i] >> 32));
	/* A.7, A.8: a bit fixed to 1 may be 1; CR4.VMXE is fixed to 1 (24.8). */
	CHECK((c->cr0_fixed0 & ~c->cr0_fixed1) == 0, "CR0 fixed0 0x%lx not within fixed1 0x%lx",
	      c->cr0_fixed0, c->cr0_fixed1);
	CHECK((c->cr4_fixed0 & ~c->cr4_fixed1) == 0, "CR4 fixed0 0x%lx not within fixed1 0x%lx",
	      c->cr4_fixed0, c->cr4_fixed1);
	CHECK(c->cr4_fixed0 & CR4_VMXE, "CR4.VMXE is not fixed to 1: CR4 fixed0 0x%lx",
	      c->cr4_fixed0);
}

/* ---- VMXON ---- */

/* VMXON: CR4.VMXE = 0 -> #UD. */
TEST(vmxon_vmxe_clear_ud)
{
	REQUIRE_VMX();
	vmx_cr4_vmxe_clear();
	EXPECT("vmxon_vmxe_clear", vmx_vmxon(vmx_region(SLOT_VMXON, vmx_caps()->revision)), UD);
}

/* VMXON outside VMX operation: IA32_FEATURE_CONTROL lock bit clear -> #GP(0). */
TEST(vmxon_feature_control_unlocked_gp)
{
	uint64_t fc;

	REQUIRE_VMX();
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (fc & FEATURE_CONTROL_LOCKED)
		SKIP("IA32_FEATURE_CONTROL is already locked (0x%lx): only a reset unlocks it", fc);
	vmx_enable_cr();
	EXPECT("vmxon_feature_control_unlocked",
	       vmx_vmxon(vmx_region(SLOT_VMXON, vmx_caps()->revision)), GP0);
}

/* VMXON outside VMX operation: CR0 not as IA32_VMX_CR0_FIXED0 requires (NE = 0) -> #GP(0). */
TEST(vmxon_cr0_fixed_bit_clear_gp)
{
	uint64_t cr0;
	struct vmx_result r;

	ENABLE_VMX();
	if (!(vmx_caps()->cr0_fixed0 & CR0_NE))
		SKIP("CR0.NE is not fixed to 1 (IA32_VMX_CR0_FIXED0 0x%lx)",
		     vmx_caps()->cr0_fixed0);
	cr0 = read_cr0();
	SETUP(cr_write(0, cr0 & ~CR0_NE));
	r = vmx_vmxon(vmx_region(SLOT_VMXON, vmx_caps()->revision));
	vmx_leave(); /* if it wrongly succeeded: CR0.NE may not be set back in VMX operation */
	SETUP(cr_write(0, cr0));
	EXPECT("vmxon_cr0_ne_clear", r, GP0);
}

/* VMXON outside VMX operation at CPL > 0 -> #GP(0). */
TEST(vmxon_cpl3_gp)
{
	ENABLE_VMX();
	EXPECT("vmxon_cpl3",
	       vmx_exec_cpl3(VMX_INSN_VMXON, vmx_region(SLOT_VMXON, vmx_caps()->revision), 0, NULL),
	       GP0);
}

/* VMXON: pointer not 4 KiB-aligned -> VMfailInvalid. */
TEST(vmxon_misaligned_fail_invalid)
{
	uint64_t pa;
	uint32_t rev;

	ENABLE_VMX();
	rev = vmx_caps()->revision;
	pa = vmx_region(SLOT_VMXON, rev);
	/* A revision identifier where the pointer points too: alignment is the only fault. */
	memcpy((void *)(uintptr_t)(pa + 0x800), &rev, sizeof(rev));
	EXPECT("vmxon_misaligned", vmx_vmxon(pa + 0x800), FAIL_INVALID);
}

/* VMXON: pointer with bits set beyond the physical-address width -> VMfailInvalid. */
TEST(vmxon_beyond_maxphyaddr_fail_invalid)
{
	ENABLE_VMX();
	EXPECT("vmxon_beyond_maxphyaddr",
	       vmx_vmxon(beyond_maxphyaddr(vmx_region(SLOT_VMXON, vmx_caps()->revision))),
	       FAIL_INVALID);
}

/* VMXON: rev[30:0] is not the VMCS revision identifier -> VMfailInvalid. */
TEST(vmxon_wrong_revision_fail_invalid)
{
	ENABLE_VMX();
	EXPECT("vmxon_wrong_revision",
	       vmx_vmxon(vmx_region(SLOT_VMXON, (vmx_caps()->revision + 1) & 0x7fffffff)),
	       FAIL_INVALID);
}

/* VMXON: rev[31] (shadow-VMCS indicator) = 1 -> VMfailInvalid. */
TEST(vmxon_shadow_indicator_fail_invalid)
{
	ENABLE_VMX();
	EXPECT("vmxon_shadow_indicator",
	       vmx_vmxon(vmx_region(SLOT_VMXON, vmx_caps()->revision | VMX_BASIC_SHADOW_VMCS)),
	       FAIL_INVALID);
}

/* VMXON of a valid region enters VMX root operation: VMsucceed. */
TEST(vmxon_valid_region_succeeds)
{
	ENABLE_VMX();
	vmxon_pa = vmx_region(SLOT_VMXON, vmx_caps()->revision);
	EXPECT("vmxon_valid_region", vmx_vmxon(vmxon_pa), OK);
}

/* VMXON sets the current-VMCS pointer to FFFFFFFF_FFFFFFFFH: VMPTRST stores that. */
TEST(vmptrst_no_current_vmcs)
{
	uint64_t p = 0;

	ENTER_ROOT();
	if (EXPECT("vmptrst_no_current_vmcs", vmx_vmptrst(&p), OK))
		CHECK(p == VMCS_POINTER_NONE, "VMPTRST stored 0x%lx, want all ones", p);
}

/* VMXON in VMX root operation: VMfail(15), VMfailInvalid without a current VMCS. */
TEST(vmxon_in_root_no_vmcs_fail_invalid)
{
	ENTER_ROOT();
	EXPECT("vmxon_in_root_no_vmcs", vmx_vmxon(vmxon_pa), FAIL_INVALID);
}

/* VMXON in VMX root operation with a current VMCS: VMfailValid(15). */
TEST(vmxon_in_root_fail_valid_15)
{
	uint64_t a;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	EXPECT("vmxon_in_root", vmx_vmxon(vmxon_pa), FAIL_VALID(VMXERR_VMXON_IN_ROOT));
}

/* In VMX root operation, every VMX instruction at CPL > 0 -> #GP(0) (VMXON included). */
TEST(vmx_insns_in_root_cpl3_gp)
{
	uint64_t a, out;
	char label[48];

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	for (int i = 0; i < VMX_INSNS; i++) {
		struct vmx_result want = GP0;
		uint64_t op = a;

		if (i == VMX_INSN_VMREAD || i == VMX_INSN_VMWRITE)
			op = GUEST_RIP;
		else if (i == VMX_INSN_INVEPT || i == VMX_INSN_INVVPID)
			op = 2; /* all-context */
		/* Without EPT (VPID) the CPU has no INVEPT (INVVPID): #UD first. */
		if ((i == VMX_INSN_INVEPT && !ept_supported()) ||
		    (i == VMX_INSN_INVVPID && !vpid_supported()))
			want = UD;
		snprintf(label, sizeof(label), "%s_cpl3_in_root", vmx_insn_name(i));
		EXPECT(label, vmx_exec_cpl3(i, op, 0, &out), want);
	}
}

/* Outside VMX operation (CR4.VMXE = 1), every VMX instruction but VMXON -> #UD. */
TEST(vmx_insns_outside_vmx_ud)
{
	uint64_t out, pa;
	char label[48];

	ENABLE_VMX();
	pa = vmx_region(SLOT_A, vmx_caps()->revision);
	for (int i = 0; i < VMX_INSNS; i++) {
		uint64_t op = pa;

		if (i == VMX_INSN_VMXON)
			continue;
		if (i == VMX_INSN_VMREAD || i == VMX_INSN_VMWRITE)
			op = GUEST_RIP;
		else if (i == VMX_INSN_INVEPT || i == VMX_INSN_INVVPID)
			op = 2;
		snprintf(label, sizeof(label), "%s_outside_vmx", vmx_insn_name(i));
		EXPECT(label, vmx_exec(i, op, 0, &out), UD);
	}
}

/* ---- VMCLEAR ---- */

/* VMCLEAR: pointer not 4 KiB-aligned -> VMfailValid(2). */
TEST(vmclear_misaligned_fail_valid_2)
{
	uint64_t a;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	EXPECT("vmclear_misaligned", vmx_vmclear(vmx_region(SLOT_B, 0) + 0x800),
	       FAIL_VALID(VMXERR_VMCLEAR_INVALID_ADDR));
}

/* VMCLEAR: pointer beyond the physical-address width -> VMfailValid(2). */
TEST(vmclear_beyond_maxphyaddr_fail_valid_2)
{
	uint64_t a;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	EXPECT("vmclear_beyond_maxphyaddr",
	       vmx_vmclear(beyond_maxphyaddr(vmx_region(SLOT_B, vmx_caps()->revision))),
	       FAIL_VALID(VMXERR_VMCLEAR_INVALID_ADDR));
}

/* VMCLEAR of the VMXON pointer -> VMfailValid(3). */
TEST(vmclear_vmxon_pointer_fail_valid_3)
{
	uint64_t a;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	EXPECT("vmclear_vmxon_pointer", vmx_vmclear(vmxon_pa),
	       FAIL_VALID(VMXERR_VMCLEAR_VMXON_PTR));
}

/* VMCLEAR fails with VMfailInvalid when there is no current VMCS. */
TEST(vmclear_misaligned_no_vmcs_fail_invalid)
{
	ENTER_ROOT();
	EXPECT("vmclear_misaligned_no_vmcs", vmx_vmclear(vmx_region(SLOT_B, 0) + 0x800),
	       FAIL_INVALID);
}

/* VMCLEAR of the current VMCS: VMsucceed, and there is no current VMCS after it. */
TEST(vmclear_current_vmcs_invalidates_pointer)
{
	uint64_t a, p = 0;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	EXPECT("vmclear_current_vmcs", vmx_vmclear(a), OK);
	SETUP(vmx_vmptrst(&p));
	CHECK(p == VMCS_POINTER_NONE, "VMPTRST after VMCLEAR of the current VMCS: 0x%lx", p);
}

/* VMCLEAR does not check the revision identifier: VMsucceed. */
TEST(vmclear_ignores_revision)
{
	ENTER_ROOT();
	EXPECT("vmclear_wrong_revision",
	       vmx_vmclear(vmx_region(SLOT_B, (vmx_caps()->revision + 1) & 0x7fffffff)), OK);
}

/* ---- VMPTRLD ---- */

/* VMPTRLD: pointer not 4 KiB-aligned -> VMfailValid(9). */
TEST(vmptrld_misaligned_fail_valid_9)
{
	uint64_t a;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	EXPECT("vmptrld_misaligned", vmx_vmptrld(vmx_region(SLOT_B, vmx_caps()->revision) + 0x800),
	       FAIL_VALID(VMXERR_VMPTRLD_INVALID_ADDR));
}

/* VMPTRLD: pointer beyond the physical-address width -> VMfailValid(9). */
TEST(vmptrld_beyond_maxphyaddr_fail_valid_9)
{
	uint64_t a;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	EXPECT("vmptrld_beyond_maxphyaddr",
	       vmx_vmptrld(beyond_maxphyaddr(vmx_region(SLOT_B, vmx_caps()->revision))),
	       FAIL_VALID(VMXERR_VMPTRLD_INVALID_ADDR));
}

/* VMPTRLD of the VMXON pointer -> VMfailValid(10). */
TEST(vmptrld_vmxon_pointer_fail_valid_10)
{
	uint64_t a;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	EXPECT("vmptrld_vmxon_pointer", vmx_vmptrld(vmxon_pa),
	       FAIL_VALID(VMXERR_VMPTRLD_VMXON_PTR));
}

/* VMPTRLD: wrong revision identifier -> VMfailValid(11); the current VMCS stays. */
TEST(vmptrld_wrong_revision_fail_valid_11)
{
	uint64_t a, p = 0;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	EXPECT("vmptrld_wrong_revision",
	       vmx_vmptrld(vmx_region(SLOT_B, (vmx_caps()->revision + 1) & 0x7fffffff)),
	       FAIL_VALID(VMXERR_VMPTRLD_INCORRECT_REVISION_ID));
	SETUP(vmx_vmptrst(&p));
	CHECK(p == a, "current VMCS 0x%lx after the failed VMPTRLD, want 0x%lx", p, a);
}

/*
 * VMPTRLD: rev[31] = 1 (a shadow VMCS) -> VMfailValid(11) unless the CPU
 * supports VMCS shadowing (then VMsucceed).
 */
TEST(vmptrld_shadow_indicator)
{
	uint64_t a, b, p = 0;
	bool shadowing = vmx_controls_allow(vmx_caps()->proc2, SECONDARY_EXEC_VMCS_SHADOWING);

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	b = vmx_region(SLOT_B, vmx_caps()->revision | VMX_BASIC_SHADOW_VMCS);
	SETUP(vmx_vmclear(b));
	printf("# VMCS shadowing %ssupported\n", shadowing ? "" : "not ");
	if (!EXPECT("vmptrld_shadow_indicator", vmx_vmptrld(b),
	            shadowing ? OK : FAIL_VALID(VMXERR_VMPTRLD_INCORRECT_REVISION_ID)))
		return;
	SETUP(vmx_vmptrst(&p));
	CHECK(p == (shadowing ? b : a), "current VMCS 0x%lx, want 0x%lx", p, shadowing ? b : a);
}

/* VMPTRLD fails with VMfailInvalid when there is no current VMCS. */
TEST(vmptrld_misaligned_no_vmcs_fail_invalid)
{
	ENTER_ROOT();
	EXPECT("vmptrld_misaligned_no_vmcs",
	       vmx_vmptrld(vmx_region(SLOT_B, vmx_caps()->revision) + 0x800), FAIL_INVALID);
}

/* ---- VMPTRST ---- */

/* VMPTRST stores the current-VMCS pointer. */
TEST(vmptrst_current_vmcs)
{
	uint64_t a, b, p = 0;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	if (EXPECT("vmptrst_a", vmx_vmptrst(&p), OK))
		CHECK(p == a, "VMPTRST 0x%lx, want 0x%lx", p, a);
	SETUP(fresh_vmcs(SLOT_B, &b));
	if (EXPECT("vmptrst_b", vmx_vmptrst(&p), OK))
		CHECK(p == b, "VMPTRST 0x%lx, want 0x%lx", p, b);
}

/* ---- VMREAD / VMWRITE ---- */

/* VMREAD and VMWRITE in VMX root operation without a current VMCS -> VMfailInvalid. */
TEST(vmread_vmwrite_no_vmcs_fail_invalid)
{
	uint64_t v;

	ENTER_ROOT();
	EXPECT("vmread_no_vmcs", vmx_vmread(GUEST_RIP, &v), FAIL_INVALID);
	EXPECT("vmwrite_no_vmcs", vmx_vmwrite(GUEST_RIP, 0), FAIL_INVALID);
}

/*
 * An encoding that is no VMCS field (reserved bits 12, 15 or 63:32 set, or
 * the "high" access type of a field that is not 64-bit) -> VMfailValid(12).
 */
TEST(vmread_vmwrite_unsupported_field_fail_valid_12)
{
	static const struct {
		const char *name;
		uint64_t field;
	} bad[] = {
	        {"bit12", 0x1000 | GUEST_RIP},
	        {"bit15", 0x8000 | GUEST_RIP},
	        {"bit32", 1ULL << 32 | GUEST_RIP},
	        {"high_of_32bit", VM_INSTRUCTION_ERROR | VMCS_FIELD_HIGH},
	};
	uint64_t a, v;
	char label[48];

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(label, sizeof(label), "vmread_unsupported_%s", bad[i].name);
		EXPECT(label, vmx_vmread(bad[i].field, &v),
		       FAIL_VALID(VMXERR_UNSUPPORTED_VMCS_COMPONENT));
		snprintf(label, sizeof(label), "vmwrite_unsupported_%s", bad[i].name);
		EXPECT(label, vmx_vmwrite(bad[i].field, 0),
		       FAIL_VALID(VMXERR_UNSUPPORTED_VMCS_COMPONENT));
	}
}

/*
 * VMWRITE to a read-only field (VM_EXIT_REASON): VMfailValid(13), unless
 * IA32_VMX_MISC bit 29 says VMWRITE may write any field (then VMsucceed
 * and VMREAD returns what was written).
 */
TEST(vmwrite_read_only_field)
{
	uint64_t a, v = 0;
	bool any = vmx_caps()->misc & VMX_MISC_VMWRITE_ANY_FIELD;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	printf("# IA32_VMX_MISC bit 29 (VMWRITE to read-only fields) %d\n", any);
	if (!EXPECT("vmwrite_read_only", vmx_vmwrite(VM_EXIT_REASON, 0x1234),
	            any ? OK : FAIL_VALID(VMXERR_VMWRITE_READ_ONLY_COMPONENT)) ||
	    !any)
		return;
	SETUP(vmx_vmread(VM_EXIT_REASON, &v));
	CHECK(v == 0x1234, "VM_EXIT_REASON reads 0x%lx after VMWRITE of 0x1234", v);
}

/*
 * Field widths (SDM 25.11.2, VMREAD/VMWRITE): a narrower field takes the
 * low bits of VMWRITE's source, VMREAD zero-extends, and the "high" access
 * type of a 64-bit field is its bits 63:32.
 */
TEST(vmread_vmwrite_field_widths)
{
	uint64_t a, v;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	EXPECT("vmwrite_16bit", vmx_vmwrite(GUEST_ES_SELECTOR, 0xffffffffffff1238ULL), OK);
	if (EXPECT("vmread_16bit", vmx_vmread(GUEST_ES_SELECTOR, &v), OK))
		CHECK(v == 0x1238, "16-bit field reads 0x%lx, want 0x1238", v);
	EXPECT("vmwrite_32bit", vmx_vmwrite(EXCEPTION_BITMAP, 0xdeadbeef12345678ULL), OK);
	if (EXPECT("vmread_32bit", vmx_vmread(EXCEPTION_BITMAP, &v), OK))
		CHECK(v == 0x12345678, "32-bit field reads 0x%lx, want 0x12345678", v);
	EXPECT("vmwrite_natural", vmx_vmwrite(GUEST_RIP, 0xffffffff81234567ULL), OK);
	if (EXPECT("vmread_natural", vmx_vmread(GUEST_RIP, &v), OK))
		CHECK(v == 0xffffffff81234567ULL, "natural-width field reads 0x%lx", v);
	EXPECT("vmwrite_64bit", vmx_vmwrite(TSC_OFFSET, 0x1122334455667788ULL), OK);
	if (EXPECT("vmread_64bit_high", vmx_vmread(TSC_OFFSET | VMCS_FIELD_HIGH, &v), OK))
		CHECK(v == 0x11223344, "TSC_OFFSET high reads 0x%lx, want 0x11223344", v);
	EXPECT("vmwrite_64bit_high", vmx_vmwrite(TSC_OFFSET | VMCS_FIELD_HIGH, 0xaabbccdd), OK);
	if (EXPECT("vmread_64bit", vmx_vmread(TSC_OFFSET, &v), OK))
		CHECK(v == 0xaabbccdd55667788ULL, "TSC_OFFSET reads 0x%lx, want 0xaabbccdd55667788",
		      v);
}

/* ---- VMLAUNCH / VMRESUME ---- */

/* VMLAUNCH and VMRESUME without a current VMCS -> VMfailInvalid. */
TEST(vmlaunch_vmresume_no_vmcs_fail_invalid)
{
	struct vmx_vcpu v = {0};

	ENTER_ROOT();
	EXPECT("vmlaunch_no_vmcs", vmx_vmlaunch(&v), FAIL_INVALID);
	EXPECT("vmresume_no_vmcs", vmx_vmresume(&v), FAIL_INVALID);
}

/*
 * A minimal L2 runs: VMLAUNCH enters it, its CPUID exits (reason 10,
 * qualification 0, instruction length 2, before CPUID ran: the GPRs are
 * as entered), VMRESUME after skipping it, and its VMCALL exits (18, 3).
 */
TEST(vmlaunch_runs_l2_cpuid_vmcall)
{
	struct vmx_vcpu v = {0};
	uint64_t a;
	uintptr_t entry = (uintptr_t)vmx_l2_cpuid_vmcall;

	ENTER_ROOT();
	SETUP(l2_vmcs(SLOT_A, &a));
	v.gprs.rax = 0;
	v.gprs.rbx = L2_MARKER;
	v.gprs.r15 = ~L2_MARKER;
	if (!EXPECT("vmlaunch_l2", vmx_vmlaunch(&v), OK))
		return;
	printf("# exit vmlaunch_l2 reason %u qualification 0x%lx length %u rip 0x%lx\n",
	       v.exit_reason, v.exit_qualification, v.exit_instruction_len, v.guest_rip);
	CHECK(v.exit_reason == EXIT_REASON_CPUID, "exit reason 0x%x, want %u (CPUID)",
	      v.exit_reason, EXIT_REASON_CPUID);
	CHECK(v.exit_qualification == 0, "CPUID exit qualification 0x%lx", v.exit_qualification);
	CHECK(v.exit_instruction_len == CPUID_LEN, "CPUID exit instruction length %u, want %u",
	      v.exit_instruction_len, CPUID_LEN);
	CHECK(v.guest_rip == entry, "guest RIP 0x%lx at the CPUID exit, want 0x%lx", v.guest_rip,
	      (uint64_t)entry);
	CHECK(v.gprs.rax == 0 && v.gprs.rbx == L2_MARKER && v.gprs.r15 == ~L2_MARKER,
	      "guest GPRs changed by an exiting CPUID: rax 0x%lx rbx 0x%lx r15 0x%lx", v.gprs.rax,
	      v.gprs.rbx, v.gprs.r15);
	SETUP(vmx_skip_instruction(&v));
	if (!EXPECT("vmresume_l2", vmx_vmresume(&v), OK))
		return;
	printf("# exit vmresume_l2 reason %u qualification 0x%lx length %u rip 0x%lx\n",
	       v.exit_reason, v.exit_qualification, v.exit_instruction_len, v.guest_rip);
	CHECK(v.exit_reason == EXIT_REASON_VMCALL, "exit reason 0x%x, want %u (VMCALL)",
	      v.exit_reason, EXIT_REASON_VMCALL);
	CHECK(v.exit_qualification == 0, "VMCALL exit qualification 0x%lx", v.exit_qualification);
	CHECK(v.exit_instruction_len == VMCALL_LEN, "VMCALL exit instruction length %u, want %u",
	      v.exit_instruction_len, VMCALL_LEN);
	CHECK(v.guest_rip == entry + CPUID_LEN, "guest RIP 0x%lx at the VMCALL exit, want 0x%lx",
	      v.guest_rip, (uint64_t)(entry + CPUID_LEN));
}

/* VMLAUNCH of a launched VMCS -> VMfailValid(4). */
TEST(vmlaunch_launched_vmcs_fail_valid_4)
{
	struct vmx_vcpu v = {0};
	uint64_t a;

	ENTER_ROOT();
	SETUP(l2_vmcs(SLOT_A, &a));
	LAUNCH_TO_CPUID(&v);
	EXPECT("vmlaunch_launched_vmcs", vmx_vmlaunch(&v),
	       FAIL_VALID(VMXERR_VMLAUNCH_NONCLEAR_VMCS));
}

/* VMRESUME of a clear VMCS -> VMfailValid(5). */
TEST(vmresume_clear_vmcs_fail_valid_5)
{
	struct vmx_vcpu v = {0};
	uint64_t a;

	ENTER_ROOT();
	SETUP(l2_vmcs(SLOT_A, &a));
	EXPECT("vmresume_clear_vmcs", vmx_vmresume(&v),
	       FAIL_VALID(VMXERR_VMRESUME_NONLAUNCHED_VMCS));
}

/*
 * VMCLEAR makes a launched VMCS clear and keeps its contents: after
 * VMPTRLD, VMRESUME -> VMfailValid(5) and VMLAUNCH runs the L2 again.
 */
TEST(vmclear_makes_launched_vmcs_clear)
{
	struct vmx_vcpu v = {0};
	uint64_t a;

	ENTER_ROOT();
	SETUP(l2_vmcs(SLOT_A, &a));
	LAUNCH_TO_CPUID(&v);
	SETUP(vmx_vmclear(a));
	SETUP(vmx_vmptrld(a));
	EXPECT("vmresume_after_vmclear", vmx_vmresume(&v),
	       FAIL_VALID(VMXERR_VMRESUME_NONLAUNCHED_VMCS));
	if (EXPECT("vmlaunch_after_vmclear", vmx_vmlaunch(&v), OK))
		CHECK(v.exit_reason == EXIT_REASON_CPUID, "exit reason 0x%x, want %u (CPUID)",
		      v.exit_reason, EXIT_REASON_CPUID);
}

/*
 * VM entry with an invalid control field (CR3-target count above what
 * IA32_VMX_MISC bits 24:16 allow, SDM 26.2.1.1) -> VMfailValid(7), for
 * VMLAUNCH and VMRESUME alike.
 */
TEST(vmentry_invalid_control_fail_valid_7)
{
	struct vmx_vcpu v = {0};
	uint64_t a, targets = vmx_caps()->misc >> VMX_MISC_CR3_TARGETS_SHIFT &
	                      VMX_MISC_CR3_TARGETS_MASK;

	ENTER_ROOT();
	SETUP(l2_vmcs(SLOT_A, &a));
	SETUP(vmx_vmwrite(CR3_TARGET_COUNT, targets + 1));
	EXPECT("vmlaunch_invalid_control", vmx_vmlaunch(&v),
	       FAIL_VALID(VMXERR_ENTRY_INVALID_CONTROL_FIELD));
	SETUP(vmx_vmwrite(CR3_TARGET_COUNT, 0));
	LAUNCH_TO_CPUID(&v);
	SETUP(vmx_vmwrite(CR3_TARGET_COUNT, targets + 1));
	EXPECT("vmresume_invalid_control", vmx_vmresume(&v),
	       FAIL_VALID(VMXERR_ENTRY_INVALID_CONTROL_FIELD));
}

/*
 * VM entry with an invalid host-state field (TR selector 0, SDM 26.2.3)
 * -> VMfailValid(8), for VMLAUNCH and VMRESUME alike.
 */
TEST(vmentry_invalid_host_state_fail_valid_8)
{
	struct vmx_vcpu v = {0};
	uint64_t a;

	ENTER_ROOT();
	SETUP(l2_vmcs(SLOT_A, &a));
	SETUP(vmx_vmwrite(HOST_TR_SELECTOR, 0));
	EXPECT("vmlaunch_invalid_host_state", vmx_vmlaunch(&v),
	       FAIL_VALID(VMXERR_ENTRY_INVALID_HOST_STATE_FIELD));
	SETUP(vmx_vmwrite(HOST_TR_SELECTOR, GDT_SEL_TSS));
	LAUNCH_TO_CPUID(&v);
	SETUP(vmx_vmwrite(HOST_TR_SELECTOR, 0));
	EXPECT("vmresume_invalid_host_state", vmx_vmresume(&v),
	       FAIL_VALID(VMXERR_ENTRY_INVALID_HOST_STATE_FIELD));
}

/*
 * VM entry with invalid guest state (RFLAGS bit 1 clear, SDM 26.3.1.4) is
 * not a VMfail but a VM exit: reason 33 with bit 31 set, qualification 0;
 * the VMCS stays clear (a VMRESUME after it -> VMfailValid(5)).
 */
TEST(vmentry_invalid_guest_state_exits_33)
{
	struct vmx_vcpu v = {0};
	uint64_t a;

	ENTER_ROOT();
	SETUP(l2_vmcs(SLOT_A, &a));
	SETUP(vmx_vmwrite(GUEST_RFLAGS, 0));
	if (EXPECT("vmlaunch_invalid_guest_state", vmx_vmlaunch(&v), OK)) {
		printf("# exit vmlaunch_invalid_guest_state reason 0x%x qualification 0x%lx\n",
		       v.exit_reason, v.exit_qualification);
		CHECK(v.exit_reason == EXIT_REASON_ENTRY_FAIL_GUEST_STATE,
		      "exit reason 0x%x, want 0x%x", v.exit_reason,
		      EXIT_REASON_ENTRY_FAIL_GUEST_STATE);
		CHECK(v.exit_qualification == 0, "exit qualification 0x%lx, want 0",
		      v.exit_qualification);
	}
	EXPECT("vmresume_after_failed_entry", vmx_vmresume(&v),
	       FAIL_VALID(VMXERR_VMRESUME_NONLAUNCHED_VMCS));
}

/* VMLAUNCH right after MOV SS (events blocked by MOV SS) -> VMfailValid(26). */
TEST(vmlaunch_mov_ss_blocking_fail_valid_26)
{
	struct vmx_vcpu v = {0};
	uint64_t a;

	ENTER_ROOT();
	SETUP(l2_vmcs(SLOT_A, &a));
	EXPECT("vmlaunch_mov_ss_blocking", vmx_vmlaunch_after_mov_ss(&v),
	       FAIL_VALID(VMXERR_ENTRY_MOV_SS_BLOCKING));
}

/*
 * VMLAUNCH or VMRESUME with a shadow VMCS (rev[31] = 1) as the current VMCS
 * -> VMfailInvalid (SDM 26.1, step 4: before the MOV SS and launch-state
 * checks). The VMCS is complete and valid otherwise. Bochs 2.7 does not
 * check the indicator: VMRESUME of the clear VMCS -> VMfailValid(5), and
 * VMLAUNCH enters the L2 (which exits on its CPUID): tolerated bare on Bochs.
 */
TEST(vmentry_shadow_vmcs_fail_invalid)
{
	struct vmx_vcpu v = {0};
	uint64_t b;

	ENTER_ROOT();
	if (!vmx_controls_allow(vmx_caps()->proc2, SECONDARY_EXEC_VMCS_SHADOWING))
		SKIP("no VMCS shadowing: VMPTRLD refuses a shadow VMCS (vmptrld_shadow_indicator)");
	b = vmx_region(SLOT_B, vmx_caps()->revision | VMX_BASIC_SHADOW_VMCS);
	SETUP(vmx_vmclear(b));
	SETUP(vmx_vmptrld(b));
	SETUP(vmx_vmcs_init_l2(vmx_l2_cpuid_vmcall));
	EXPECT_BOCHS("vmresume_shadow_vmcs", vmx_vmresume(&v), FAIL_INVALID,
	             FAIL_VALID(VMXERR_VMRESUME_NONLAUNCHED_VMCS), BUG_SHADOW_VMCS_ENTRY);
	EXPECT_BOCHS("vmlaunch_shadow_vmcs", vmx_vmlaunch(&v), FAIL_INVALID, OK,
	             BUG_SHADOW_VMCS_ENTRY);
}

/* ---- VMCALL ---- */

/*
 * VMCALL in VMX root operation, outside SMM and without the dual-monitor
 * treatment -> VMfail(1): VMfailInvalid without a current VMCS,
 * VMfailValid(1) with one (launched here). Bochs 2.7 skips that check and
 * goes on to the dual-monitor activation's: VMfailValid(19) for a
 * launched VMCS (and a panic, which ends Bochs, for a clear one: not
 * tested).
 */
TEST(vmcall_in_root_fail_1)
{
	struct vmx_vcpu v = {0};
	uint64_t a;

	ENTER_ROOT();
	EXPECT("vmcall_in_root_no_vmcs", vmx_vmcall(), FAIL_INVALID);
	SETUP(l2_vmcs(SLOT_A, &a));
	LAUNCH_TO_CPUID(&v);
	EXPECT_BOCHS("vmcall_in_root", vmx_vmcall(), FAIL_VALID(VMXERR_VMCALL_IN_ROOT),
	             FAIL_VALID(VMXERR_VMCALL_NONCLEAR_VMCS), BUG_VMCALL_DUAL_MONITOR);
}

/*
 * A memory operand that is not canonical faults with #SS(0) when its
 * segment is SS (base RSP or RBP), with #GP(0) otherwise (SDM Vol. 3,
 * VMPTRLD's 64-bit-mode exceptions; the same for every VMX instruction
 * with a memory operand).
 */
TEST(vmptrld_noncanonical_through_ss_is_ss)
{
	ENTER_ROOT();
	EXPECT("vmptrld_rsp_noncanonical", vmx_vmptrld_through_ss(NONCANONICAL_ADDR), SS0);
}

/* ---- INVEPT / INVVPID ---- */

/*
 * INVEPT with a type IA32_VMX_EPT_VPID_CAP does not list -> VMfailValid(28).
 * In 64-bit mode the type is the whole 64-bit register, so 0x1_00000002 is
 * no type either; Bochs 2.7 reads only bits 31:0 of it (unless REX.W is
 * given) and does an all-context INVEPT: tolerated bare on Bochs.
 */
TEST(invept_unsupported_type_fail_valid_28)
{
	uint64_t a, eptp;
	const uint64_t ev = vmx_caps()->ept_vpid;
	char label[48];
	static const uint64_t types[] = {0, INVEPT_SINGLE_CONTEXT, INVEPT_ALL_CONTEXT, 3,
	                                 1ULL << 32 | INVEPT_ALL_CONTEXT};

	if (!vmx_unavailable() && !ept_supported())
		SKIP("no EPT: INVEPT does not exist (#UD)");
	ENTER_ROOT();
	if (!(ev & VMX_EPT_INVEPT))
		SKIP("IA32_VMX_EPT_VPID_CAP bit 20 (INVEPT) is clear");
	SETUP(fresh_vmcs(SLOT_A, &a));
	eptp = EPTP_WB_4LEVEL(vmx_region(SLOT_EPT, 0));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		uint64_t t = types[i];
		bool supported =
		        (t == INVEPT_SINGLE_CONTEXT && (ev & VMX_EPT_INVEPT_SINGLE_CONTEXT)) ||
		        (t == INVEPT_ALL_CONTEXT && (ev & VMX_EPT_INVEPT_ALL_CONTEXT));

		if (supported)
			continue;
		snprintf(label, sizeof(label), "invept_type_0x%lx", t);
		if (t >> 32)
			EXPECT_BOCHS(label, vmx_invept(t, eptp),
			             FAIL_VALID(VMXERR_INVALID_INVEPT_INVVPID), OK,
			             BUG_INV_TYPE_32BIT);
		else
			EXPECT(label, vmx_invept(t, eptp),
			       FAIL_VALID(VMXERR_INVALID_INVEPT_INVVPID));
	}
}

/* INVEPT with each type IA32_VMX_EPT_VPID_CAP lists (and a valid EPTP) -> VMsucceed. */
TEST(invept_supported_types_succeed)
{
	uint64_t a, eptp;
	const uint64_t ev = vmx_caps()->ept_vpid;

	if (!vmx_unavailable() && !ept_supported())
		SKIP("no EPT: INVEPT does not exist (#UD)");
	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	eptp = vmx_region(SLOT_EPT, 0);
	eptp = ev & VMX_EPT_MEMTYPE_WB ? EPTP_WB_4LEVEL(eptp) : EPTP_UC_4LEVEL(eptp);
	if (!(ev & VMX_EPT_INVEPT) ||
	    !(ev & (VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT)))
		SKIP("IA32_VMX_EPT_VPID_CAP 0x%lx lists no INVEPT type", ev);
	if (ev & VMX_EPT_INVEPT_SINGLE_CONTEXT)
		EXPECT("invept_single_context", vmx_invept(INVEPT_SINGLE_CONTEXT, eptp), OK);
	if (ev & VMX_EPT_INVEPT_ALL_CONTEXT)
		EXPECT("invept_all_context", vmx_invept(INVEPT_ALL_CONTEXT, eptp), OK);
}

/*
 * Single-context INVEPT with an EPTP VM entry would refuse -> VMfailValid(28),
 * one EPTP rule at a time (26.2.1.1): memory type, page-walk length, A/D
 * enable without IA32_VMX_EPT_VPID_CAP bit 21, reserved bits 11:7, bits
 * beyond MAXPHYADDR. All-context INVEPT does not look at the EPTP: VMsucceed.
 */
TEST(invept_bad_eptp_fail_valid_28)
{
	uint64_t a, eptp;
	const uint64_t ev = vmx_caps()->ept_vpid;
	const struct vmx_result want = FAIL_VALID(VMXERR_INVALID_INVEPT_INVVPID);

	if (!vmx_unavailable() && !ept_supported())
		SKIP("no EPT: INVEPT does not exist (#UD)");
	ENTER_ROOT();
	if (!(ev & VMX_EPT_INVEPT) || !(ev & VMX_EPT_INVEPT_SINGLE_CONTEXT) ||
	    !(ev & VMX_EPT_MEMTYPE_WB))
		SKIP("IA32_VMX_EPT_VPID_CAP 0x%lx: no single-context INVEPT or no WB EPT", ev);
	SETUP(fresh_vmcs(SLOT_A, &a));
	eptp = EPTP_WB_4LEVEL(vmx_region(SLOT_EPT, 0));
	EXPECT("invept_eptp_memtype_wc", vmx_invept(INVEPT_SINGLE_CONTEXT, (eptp & ~7ULL) | 1),
	       want);
	EXPECT("invept_eptp_walk_length_5",
	       vmx_invept(INVEPT_SINGLE_CONTEXT, (eptp & ~(7ULL << 3)) | 4ULL << 3), want);
	/* With EPT A/D flags offered the EPTP is valid. */
	EXPECT("invept_eptp_ad_enable", vmx_invept(INVEPT_SINGLE_CONTEXT, eptp | 1ULL << 6),
	       ev & VMX_EPT_AD ? OK : want);
	EXPECT("invept_eptp_reserved_bit_7", vmx_invept(INVEPT_SINGLE_CONTEXT, eptp | 1ULL << 7),
	       want);
	EXPECT("invept_eptp_reserved_bit_11", vmx_invept(INVEPT_SINGLE_CONTEXT, eptp | 1ULL << 11),
	       want);
	EXPECT("invept_eptp_beyond_maxphyaddr",
	       vmx_invept(INVEPT_SINGLE_CONTEXT, beyond_maxphyaddr(eptp)), want);
	if (ev & VMX_EPT_INVEPT_ALL_CONTEXT)
		EXPECT("invept_all_context_ignores_eptp",
		       vmx_invept(INVEPT_ALL_CONTEXT, (eptp & ~7ULL) | 1 | 1ULL << 11), OK);
}

/*
 * INVEPT and INVVPID whose descriptor is addressed through RSP at a
 * non-canonical address -> #SS(0) (the type valid, so the operand is read),
 * as for VMPTRLD above.
 */
TEST(inv_noncanonical_through_ss_is_ss)
{
	const uint64_t ev = vmx_caps()->ept_vpid;

	REQUIRE_VMX();
	if (!ept_supported() && !vpid_supported())
		SKIP("neither EPT nor VPID: no INVEPT or INVVPID");
	ENTER_ROOT();
	if (ept_supported() && (ev & VMX_EPT_INVEPT) && (ev & VMX_EPT_INVEPT_ALL_CONTEXT))
		EXPECT("invept_rsp_noncanonical",
		       vmx_inv_through_ss(VMX_INSN_INVEPT, INVEPT_ALL_CONTEXT, NONCANONICAL_ADDR),
		       SS0);
	if (vpid_supported() && (ev & VMX_VPID_INVVPID) && (ev & VMX_VPID_INVVPID_ALL_CONTEXT))
		EXPECT("invvpid_rsp_noncanonical",
		       vmx_inv_through_ss(VMX_INSN_INVVPID, INVVPID_ALL_CONTEXT, NONCANONICAL_ADDR),
		       SS0);
}

static bool invvpid_type_supported(uint64_t t)
{
	static const uint64_t bits[] = {
	        VMX_VPID_INVVPID_INDIVIDUAL_ADDR, VMX_VPID_INVVPID_SINGLE_CONTEXT,
	        VMX_VPID_INVVPID_ALL_CONTEXT, VMX_VPID_INVVPID_SINGLE_NO_GLOBAL};

	return t < 4 && (vmx_caps()->ept_vpid & bits[t]);
}

/*
 * INVVPID with a type IA32_VMX_EPT_VPID_CAP does not list -> VMfailValid(28),
 * 0x1_00000002 included (the same Bochs bug as INVEPT's, tolerated).
 */
TEST(invvpid_unsupported_type_fail_valid_28)
{
	uint64_t a;
	char label[48];
	static const uint64_t types[] = {0, 1, 2, 3, 4, 1ULL << 32 | INVVPID_ALL_CONTEXT};

	if (!vmx_unavailable() && !vpid_supported())
		SKIP("no VPID: INVVPID does not exist (#UD)");
	ENTER_ROOT();
	if (!(vmx_caps()->ept_vpid & VMX_VPID_INVVPID))
		SKIP("IA32_VMX_EPT_VPID_CAP bit 32 (INVVPID) is clear");
	SETUP(fresh_vmcs(SLOT_A, &a));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (invvpid_type_supported(types[i]))
			continue;
		snprintf(label, sizeof(label), "invvpid_type_0x%lx", types[i]);
		if (types[i] >> 32)
			EXPECT_BOCHS(label, vmx_invvpid(types[i], 1, CANONICAL_ADDR),
			             FAIL_VALID(VMXERR_INVALID_INVEPT_INVVPID), OK,
			             BUG_INV_TYPE_32BIT);
		else
			EXPECT(label, vmx_invvpid(types[i], 1, CANONICAL_ADDR),
			       FAIL_VALID(VMXERR_INVALID_INVEPT_INVVPID));
	}
}

/* INVVPID with each type IA32_VMX_EPT_VPID_CAP lists (VPID 1, canonical address) -> VMsucceed. */
TEST(invvpid_supported_types_succeed)
{
	uint64_t a;
	char label[48];

	if (!vmx_unavailable() && !vpid_supported())
		SKIP("no VPID: INVVPID does not exist (#UD)");
	ENTER_ROOT();
	if (!(vmx_caps()->ept_vpid & VMX_VPID_INVVPID))
		SKIP("IA32_VMX_EPT_VPID_CAP bit 32 (INVVPID) is clear");
	SETUP(fresh_vmcs(SLOT_A, &a));
	for (uint64_t t = 0; t < 4; t++) {
		if (!invvpid_type_supported(t))
			continue;
		snprintf(label, sizeof(label), "invvpid_type_%lu", t);
		EXPECT(label, vmx_invvpid(t, 1, CANONICAL_ADDR), OK);
	}
}

/*
 * INVVPID with a bad descriptor -> VMfailValid(28): bits 63:16 set (any
 * type), VPID 0 (all types but all-context), a non-canonical address
 * (individual-address).
 */
TEST(invvpid_bad_descriptor_fail_valid_28)
{
	uint64_t a;
	const struct vmx_result want = FAIL_VALID(VMXERR_INVALID_INVEPT_INVVPID);

	if (!vmx_unavailable() && !vpid_supported())
		SKIP("no VPID: INVVPID does not exist (#UD)");
	ENTER_ROOT();
	if (!(vmx_caps()->ept_vpid & VMX_VPID_INVVPID))
		SKIP("IA32_VMX_EPT_VPID_CAP bit 32 (INVVPID) is clear");
	SETUP(fresh_vmcs(SLOT_A, &a));
	for (uint64_t t = 0; t < 4; t++) {
		char label[48];

		if (!invvpid_type_supported(t))
			continue;
		snprintf(label, sizeof(label), "invvpid_type_%lu_reserved_bits", t);
		EXPECT(label, vmx_invvpid(t, 1 | 1ULL << 16, CANONICAL_ADDR), want);
		if (t != INVVPID_ALL_CONTEXT) {
			snprintf(label, sizeof(label), "invvpid_type_%lu_vpid_0", t);
			EXPECT(label, vmx_invvpid(t, 0, CANONICAL_ADDR), want);
		}
		if (t == INVVPID_INDIVIDUAL_ADDR)
			EXPECT("invvpid_type_0_noncanonical", vmx_invvpid(t, 1, NONCANONICAL_ADDR),
			       want);
	}
}

/* ---- CR0/CR4 in VMX operation, VMXOFF ---- */

/*
 * In VMX operation, MOV to CR0/CR4 that would break a fixed bit (clear
 * CR4.VMXE, clear CR0.NE) -> #GP(0) (SDM 24.8).
 */
TEST(cr_fixed_bits_in_vmx_gp)
{
	ENTER_ROOT();
	EXPECT("mov_cr4_clear_vmxe_in_vmx", cr_write(4, read_cr4() & ~CR4_VMXE), GP0);
	if (vmx_caps()->cr0_fixed0 & CR0_NE)
		EXPECT("mov_cr0_clear_ne_in_vmx", cr_write(0, read_cr0() & ~CR0_NE), GP0);
}

/*
 * VMXOFF leaves VMX operation: VMsucceed; then VMREAD and VMXOFF -> #UD,
 * and CR4.VMXE may be cleared.
 */
TEST(vmxoff_leaves_vmx_operation)
{
	uint64_t a, v;

	ENTER_ROOT();
	SETUP(fresh_vmcs(SLOT_A, &a));
	if (!EXPECT("vmxoff", vmx_vmxoff(), OK))
		return;
	EXPECT("vmread_after_vmxoff", vmx_vmread(GUEST_RIP, &v), UD);
	EXPECT("vmxoff_after_vmxoff", vmx_vmxoff(), UD);
	EXPECT("mov_cr4_clear_vmxe_after_vmxoff", cr_write(4, read_cr4() & ~CR4_VMXE), OK);
}
