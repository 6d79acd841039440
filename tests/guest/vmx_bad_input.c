/*
 * What a careless or hostile L1 may do: VMCS pointers to memory that is
 * not RAM (beyond it, a local APIC page), VMCSs full of garbage, VMLAUNCH
 * in a loop. Each gets the SDM's answer (Vol. 3 chapters 26 and 31), and
 * the hypervisor under it and the VMs beside it go on (the bochs-nested
 * system test runs a bystander). Runs bare on Bochs too: "# outcome"
 * lines for the harness to compare.
 */
#include "nested/vmcs12_fields.h"
#include "vmx.h"

PAYLOAD("vmx_bad_input");

#define SLOT_VMXON 0
#define NOT_RAM    0x40000000ULL /* 1 GiB: beyond this payload's RAM, bare or as a VM */
#define LAPIC_PAGE 0xfee00000ULL
#define SEEDS      6
#define LOOPS      200

/* The vmcs12 fields Umbra knows, from its own table: garbage goes into each. */
static const uint32_t fields[] = {
#define VMCS12_X(name, encoding, width, flags) (encoding),
        VMCS12_FIELDS(VMCS12_X)
#undef VMCS12_X
};

#define ENC_TYPE(e)  (((e) >> 10) & 3u)
#define TYPE_CONTROL 0u
#define TYPE_RO      1u
#define TYPE_GUEST   2u
#define TYPE_HOST    3u

static uint64_t rng;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static bool enter_root(void)
{
	const char *why = vmx_unavailable();

	if (why) {
		test_skip("%s", why);
		return false;
	}
	vmx_leave();
	why = vmx_enable();
	if (why) {
		test_skip("%s", why);
		return false;
	}
	return vmx_vmxon(vmx_region(SLOT_VMXON, vmx_caps()->revision)).kind == VMX_OK;
}

static bool expect(const char *label, struct vmx_result got, struct vmx_result want)
{
	vmx_outcome_print(label, got);
	return vmx_result_equal(got, want);
}

#define OK            ((struct vmx_result){VMX_OK, 0, 0})
#define FAIL_INVALID  ((struct vmx_result){VMX_FAIL_INVALID, 0, 0})
#define FAIL_VALID(e) ((struct vmx_result){VMX_FAIL_VALID, (e), 0})

/* VMCS pointers to what is not RAM: unbacked memory reads as all ones, no revision matches. */
TEST(pointers_to_no_ram)
{
	if (!enter_root())
		return;
	REQUIRE(!vmx_fresh_l2_vmcs(vmx_l2_cpuid_vmcall), "VMCS set-up");
	CHECK(expect("vmptrld_beyond_ram", vmx_vmptrld(NOT_RAM),
	             FAIL_VALID(VMXERR_VMPTRLD_INCORRECT_REVISION_ID)),
	      "VMPTRLD of a pointer beyond RAM");
	CHECK(expect("vmptrld_lapic_page", vmx_vmptrld(LAPIC_PAGE),
	             FAIL_VALID(VMXERR_VMPTRLD_INCORRECT_REVISION_ID)),
	      "VMPTRLD of the local APIC page");
	/* VMCLEAR looks at no revision: it succeeds, and the current VMCS stays. */
	CHECK(expect("vmclear_beyond_ram", vmx_vmclear(NOT_RAM), OK), "VMCLEAR beyond RAM");
	vmx_leave();
	vmx_enable();
	CHECK(expect("vmxon_beyond_ram", vmx_vmxon(NOT_RAM), FAIL_INVALID), "VMXON beyond RAM");
	vmx_leave();
}

/* Garbage in every field of one kind (`type`), the rest valid; then VMLAUNCH. */
static void garbage_round(const char *kind, uint32_t type, unsigned int seed,
                          struct vmx_result want, uint32_t want_reason)
{
	struct vmx_vcpu v = {0};
	struct vmx_result r;
	char label[48];

	REQUIRE(!vmx_fresh_l2_vmcs(vmx_l2_cpuid_vmcall), "VMCS set-up");
	rng = 0x9e3779b97f4a7c15ULL * (seed + 1);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (type == ~0u ? ENC_TYPE(fields[i]) != TYPE_RO : ENC_TYPE(fields[i]) == type)
			vmx_vmwrite(fields[i], next_random()); /* a field Bochs lacks fails: fine */
	r = vmx_vmlaunch(&v);
	snprintf(label, sizeof(label), "garbage_%s_%u", kind, seed);
	vmx_outcome_print(label, r);
	if (want.kind == VMX_OK) {
		printf("# outcome %s_exit reason 0x%x\n", label,
		       r.kind == VMX_OK ? v.exit_reason : 0);
		CHECK(r.kind == VMX_OK && v.exit_reason == want_reason,
		      "%s: want exit 0x%x, got kind %d reason 0x%x", label, want_reason, r.kind,
		      v.exit_reason);
	} else {
		CHECK(vmx_result_equal(r, want), "%s: want VMfailValid(%u), got kind %d error %u",
		      label, want.error, r.kind, r.error);
	}
}

TEST(garbage_everywhere)
{
	if (!enter_root())
		return;
	for (unsigned int s = 0; s < SEEDS; s++)
		garbage_round("all", ~0u, s, FAIL_VALID(VMXERR_ENTRY_INVALID_CONTROL_FIELD), 0);
	vmx_leave();
}

TEST(garbage_in_host_state)
{
	if (!enter_root())
		return;
	for (unsigned int s = 0; s < SEEDS; s++)
		garbage_round("host", TYPE_HOST, s,
		              FAIL_VALID(VMXERR_ENTRY_INVALID_HOST_STATE_FIELD), 0);
	vmx_leave();
}

TEST(garbage_in_guest_state)
{
	if (!enter_root())
		return;
	for (unsigned int s = 0; s < SEEDS; s++)
		garbage_round("guest", TYPE_GUEST, s, OK,
		              VM_ENTRY_FAILURE | EXIT_REASON_INVALID_STATE);
	vmx_leave();
}

/* VMLAUNCH again and again: of a launched VMCS (VMfailValid(4)), and launch-exit cycles. */
TEST(vmlaunch_loops)
{
	struct vmx_vcpu v = {0};
	unsigned int fails = 0, exits = 0;

	if (!enter_root())
		return;
	REQUIRE(!vmx_fresh_l2_vmcs(vmx_l2_cpuid_vmcall), "VMCS set-up");
	REQUIRE(vmx_vmlaunch(&v).kind == VMX_OK, "first VMLAUNCH");
	for (unsigned int i = 0; i < LOOPS; i++)
		fails += vmx_result_equal(vmx_vmlaunch(&v),
		                          FAIL_VALID(VMXERR_VMLAUNCH_NONCLEAR_VMCS));
	CHECK(fails == LOOPS, "%u of %u VMLAUNCHes of a launched VMCS gave VMfailValid(4)", fails,
	      LOOPS);
	for (unsigned int i = 0; i < LOOPS; i++) {
		if (vmx_fresh_l2_vmcs(vmx_l2_cpuid_vmcall))
			break;
		exits += vmx_vmlaunch(&v).kind == VMX_OK && v.exit_reason == EXIT_REASON_CPUID;
	}
	CHECK(exits == LOOPS, "%u of %u launch-exit cycles reached L2's CPUID", exits, LOOPS);
	printf("# outcome vmlaunch_loops fails %u exits %u\n", fails, exits);
	vmx_leave();
}
