/*
 * What nested VMX costs: an L2 CPUID that its L1 handles (read the exit
 * reason, the instruction length and RIP, write RIP, VMRESUME), timed by
 * the L1's TSC over many round trips. Run bare on Bochs it gives the
 * hardware's cost; as an L1 of Umbra, Umbra's (under Bochs the TSC counts
 * instructions, so both are exact and repeatable). Under Umbra the L1 also
 * reads Umbra's exit statistics around the loop: how many L0 exits each
 * L2 exit cost, and how many VMWRITEs each nested VM entry made when the
 * L1 changed only RIP, and when it also wrote K_FIELDS other fields.
 * Prints "# nbench ..." lines (scripts/bench-nested.awk reads them).
 */
#include "vmx.h"

PAYLOAD("nestedbench");

#define ITERATIONS 500
#define WARMUP     50
#define K_FIELDS   4

void l2_cpuid_loop(void);
__asm__(".text\n"
        ".globl l2_cpuid_loop\n"
        "l2_cpuid_loop:\n"
        "	xor %eax, %eax\n"
        "	cpuid\n"
        "	jmp l2_cpuid_loop\n");

static struct umbra_exit_stats before, after;

/* The L1's exit handler for the L2's CPUID: what a minimal hypervisor reads and writes. */
static void handle_cpuid_exit(unsigned int extra, unsigned int i)
{
	uint64_t reason, len, rip;

	vmx_vmread(VM_EXIT_REASON, &reason);
	vmx_vmread(VM_EXIT_INSTRUCTION_LEN, &len);
	vmx_vmread(GUEST_RIP, &rip);
	vmx_vmwrite(GUEST_RIP, rip + len);
	/* Fields L2 ignores here, each given a new value. */
	if (extra) {
		vmx_vmwrite(GUEST_RSP, 0x8000 + (i & 1) * 0x10);
		vmx_vmwrite(TPR_THRESHOLD, i & 1);
		vmx_vmwrite(VM_ENTRY_INSTRUCTION_LEN, 1 + (i & 1));
		vmx_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, i & 1);
	}
}

/* n round trips L2 CPUID -> L1 -> L2; TSC ticks for them all. */
static uint64_t run(struct vmx_vcpu *v, unsigned int n, unsigned int extra)
{
	uint64_t t0 = rdtsc();

	for (unsigned int i = 0; i < n; i++) {
		handle_cpuid_exit(extra, i);
		if (vmx_vmresume(v).kind != VMX_OK || v->exit_reason != EXIT_REASON_CPUID)
			return 0;
	}
	return rdtsc() - t0;
}

static void measure(const char *name, unsigned int extra)
{
	struct vmx_vcpu v = {0};
	const char *why = vmx_unavailable();
	uint64_t ticks;
	bool umbra = on_umbra();

	if (why)
		SKIP("%s", why);
	why = vmx_root_with_l2(l2_cpuid_loop);
	REQUIRE(!why, "%s", why);
	REQUIRE(vmx_vmlaunch(&v).kind == VMX_OK && v.exit_reason == EXIT_REASON_CPUID,
	        "VMLAUNCH to the first CPUID");
	REQUIRE(run(&v, WARMUP, extra) != 0, "warm-up round trips");
	if (umbra)
		REQUIRE(umbra_exit_stats(&before) == 0, "exit statistics");
	ticks = run(&v, ITERATIONS, extra);
	if (umbra)
		REQUIRE(umbra_exit_stats(&after) == 0, "exit statistics");
	REQUIRE(ticks != 0, "a round trip failed");
	printf("# nbench %s mode=%s iterations=%u tsc_per_roundtrip=%lu", name,
	       umbra ? "nested" : "bare", ITERATIONS, ticks / ITERATIONS);
	if (umbra) {
		const struct umbra_exit_counts *r = &after.reason[EXIT_REASON_VMRESUME];
		const struct umbra_exit_counts *r0 = &before.reason[EXIT_REASON_VMRESUME];
		uint64_t exits = after.total_exits - before.total_exits;
		/* The statistics hypercall itself is one exit of the window. */
		uint64_t l0 = exits - 1;

		printf(" l0_exits_per_l2_exit=%lu.%02lu vmresume_exits=%lu "
		       "vmwrites_per_nested_entry=%lu.%02lu",
		       l0 / ITERATIONS, l0 % ITERATIONS * 100 / ITERATIONS, r->exits - r0->exits,
		       (r->vmwrites - r0->vmwrites) / ITERATIONS,
		       (r->vmwrites - r0->vmwrites) % ITERATIONS * 100 / ITERATIONS);
		CHECK(r->exits - r0->exits == ITERATIONS, "%lu VMRESUME exits for %u round trips",
		      r->exits - r0->exits, ITERATIONS);
	}
	printf(" extra_fields=%u\n", extra);
	vmx_leave();
}

TEST(l2_cpuid_rip_only)
{
	measure("l2_cpuid", 0);
}

TEST(l2_cpuid_k_fields)
{
	measure("l2_cpuid_k", K_FIELDS);
}
