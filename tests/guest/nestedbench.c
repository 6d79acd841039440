/*
 * What nested VMX costs: an L2 CPUID that its L1 handles (read the exit
 * reason, the instruction length and RIP, write RIP, VMRESUME), timed by
 * the L1's TSC over many round trips. Run bare on Bochs it gives the
 * hardware's cost; as an L1 of Umbra, Umbra's (under Bochs the TSC counts
 * instructions, so both are exact and repeatable). Under Umbra the L1 also
 * reads Umbra's exit statistics around the loop: how many L0 exits each
 * L2 exit cost, and how many VMWRITEs each nested VM entry made when the
 * L1 changed only RIP, and when it also wrote K_FIELDS other fields.
 *
 * With EPT (shadow EPT under Umbra): the same round trip with L1 giving
 * L2 an identity EPT12 of 2 MiB leaves over its first 4 GiB; and the cost
 * of filling EPT02: EPT12 maps a 16 MiB region of L1's RAM with 4 KiB
 * leaves, L2 reads each of its pages once (one L0 EPT violation each under
 * Umbra), then again (none), each pass timed by L1 around one VMRESUME.
 * Prints "# nbench ..." lines (scripts/bench-nested.awk reads them).
 */
#include "vmx.h"

PAYLOAD("nestedbench");

#define ITERATIONS 500
#define WARMUP     50
#define K_FIELDS   4

#define PAGE_SIZE  ((uint64_t)4096)
#define MIB2       (((uint64_t)2) << 20)
#define FILL_BYTES (((uint64_t)16) << 20)
#define FILL_PAGES (FILL_BYTES / PAGE_SIZE)
#define FILL_PTS   (FILL_BYTES / MIB2)
#define EPT_RWX    ((uint64_t)7)
#define EPT_MT_WB  (((uint64_t)6) << 3)
#define EPT_PS     (((uint64_t)1) << 7)
#define EPTP_WB    ((uint64_t)6)
#define EPTP_WALK4 (((uint64_t)3) << 3)

void l2_cpuid_loop(void);
__asm__(".text\n"
        ".globl l2_cpuid_loop\n"
        "l2_cpuid_loop:\n"
        "	xor %eax, %eax\n"
        "	cpuid\n"
        "	jmp l2_cpuid_loop\n");

/*
 * L2 for the fill: CPUID (L1 then sets RSI = first page, RDI = the end),
 * one read per 4 KiB page, CPUID again.
 */
void l2_touch(void);
__asm__(".text\n"
        ".globl l2_touch\n"
        "l2_touch:\n"
        "	xor %eax, %eax\n"
        "	cpuid\n"
        "1:	mov (%rsi), %rax\n"
        "	add $4096, %rsi\n"
        "	cmp %rdi, %rsi\n"
        "	jb 1b\n"
        "	jmp l2_touch\n");

static struct umbra_exit_stats before, after;

/* EPT12: 4 GiB identity, 2 MiB leaves; for the fill, FILL_PTS of them 4 KiB leaves. */
static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt[512] __attribute__((aligned(4096)));
static uint64_t ept_pd[4][512] __attribute__((aligned(4096)));
static uint64_t ept_pt[FILL_PTS][512] __attribute__((aligned(4096)));

/* NULL if L1 can give L2 EPT as built here, else why not. */
static const char *ept_unavailable(void)
{
	const struct vmx_caps *c = vmx_caps();
	const uint64_t need = VMX_EPT_PAGE_WALK_4 | VMX_EPT_MEMTYPE_WB | VMX_EPT_2MB_PAGE;

	if (!vmx_controls_allow(c->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		return "no secondary controls (IA32_VMX_PROCBASED_CTLS bit 63)";
	if (!vmx_controls_allow(c->proc2, SECONDARY_EXEC_ENABLE_EPT))
		return "no EPT (IA32_VMX_PROCBASED_CTLS2 bit 33)";
	if ((c->ept_vpid & need) != need)
		return "no 4-level EPT walk, WB tables or 2 MiB leaves (IA32_VMX_EPT_VPID_CAP bits "
		       "6, 14, 16)";
	return NULL;
}

/*
 * EPT12 as above (fill: the 2 MiB leaves over [fill, fill + FILL_BYTES)
 * replaced by page tables of 4 KiB leaves), the current VMCS's L2 given
 * it, and every EPT-derived translation of an earlier test forgotten
 * (all-context INVEPT if offered: the tables are the same pages). NULL on
 * success, else why not.
 */
static const char *ept_enable(uint64_t fill)
{
	const struct vmx_caps *c = vmx_caps();

	memset(ept_pml4, 0, sizeof(ept_pml4));
	memset(ept_pdpt, 0, sizeof(ept_pdpt));
	ept_pml4[0] = (uintptr_t)ept_pdpt | EPT_RWX;
	for (uint64_t g = 0; g < 4; g++) {
		ept_pdpt[g] = (uintptr_t)ept_pd[g] | EPT_RWX;
		for (uint64_t i = 0; i < 512; i++)
			ept_pd[g][i] = ((g << 30) + i * MIB2) | EPT_MT_WB | EPT_RWX | EPT_PS;
	}
	for (uint64_t t = 0; fill && t < FILL_PTS; t++) {
		uint64_t base = fill + t * MIB2;

		for (uint64_t i = 0; i < 512; i++)
			ept_pt[t][i] = (base + i * PAGE_SIZE) | EPT_MT_WB | EPT_RWX;
		ept_pd[base >> 30][(base >> 21) & 511] = (uintptr_t)ept_pt[t] | EPT_RWX;
	}
	if (vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL,
	                vmx_controls(c->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
	                    .kind != VMX_OK ||
	    vmx_vmwrite(SECONDARY_VM_EXEC_CONTROL,
	                vmx_controls(c->proc2, SECONDARY_EXEC_ENABLE_EPT))
	                    .kind != VMX_OK ||
	    vmx_vmwrite(EPT_POINTER, (uintptr_t)ept_pml4 | EPTP_WALK4 | EPTP_WB).kind != VMX_OK)
		return "VMCS set-up for EPT failed";
	if ((c->ept_vpid & (VMX_EPT_INVEPT | VMX_EPT_INVEPT_ALL_CONTEXT)) ==
	            (VMX_EPT_INVEPT | VMX_EPT_INVEPT_ALL_CONTEXT) &&
	    vmx_invept(INVEPT_ALL_CONTEXT, 0).kind != VMX_OK)
		return "all-context INVEPT failed";
	return NULL;
}

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

static void measure(const char *name, unsigned int extra, bool ept)
{
	struct vmx_vcpu v = {0};
	const char *why = vmx_unavailable();
	uint64_t ticks;
	bool umbra = on_umbra();

	if (why)
		SKIP("%s", why);
	if (ept && (why = ept_unavailable()))
		SKIP("%s", why);
	why = vmx_root_with_l2(l2_cpuid_loop);
	REQUIRE(!why, "%s", why);
	if (ept) {
		why = ept_enable(0);
		REQUIRE(!why, "%s", why);
	}
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
	measure("l2_cpuid", 0, false);
}

TEST(l2_cpuid_k_fields)
{
	measure("l2_cpuid_k", K_FIELDS, false);
}

TEST(l2_cpuid_ept)
{
	measure("l2_cpuid_ept", 0, true);
}

/* The first 2 MiB-aligned FILL_BYTES of usable RAM above the image, or 0. */
static uint64_t fill_region(void)
{
	uint64_t base = (payload_image_end() + MIB2 - 1) & ~(MIB2 - 1);

	for (unsigned int i = 0; i < mem_usable_count; i++) {
		uint64_t s = (mem_usable[i].start + MIB2 - 1) & ~(MIB2 - 1);

		if (s < base)
			s = base;
		if (s + FILL_BYTES <= mem_usable[i].end && s + FILL_BYTES <= PAYLOAD_MAPPED_END)
			return s;
	}
	return 0;
}

struct pass {
	uint64_t ticks;
	uint64_t l0_exits, ept_violations; /* under Umbra, the statistics hypercall not counted */
};

/* L2 reads each page of [region, region + FILL_BYTES) once: one VMRESUME, timed. */
static bool touch_pass(struct vmx_vcpu *v, uint64_t region, bool umbra, struct pass *p)
{
	uint64_t t0;
	bool ok;

	if (vmx_skip_instruction(v).kind != VMX_OK)
		return false;
	v->gprs.rsi = region;
	v->gprs.rdi = region + FILL_BYTES;
	if (umbra && umbra_exit_stats(&before) != 0)
		return false;
	t0 = rdtsc();
	ok = vmx_vmresume(v).kind == VMX_OK && v->exit_reason == EXIT_REASON_CPUID;
	p->ticks = rdtsc() - t0;
	if (umbra && umbra_exit_stats(&after) != 0)
		return false;
	if (umbra) {
		p->l0_exits = after.total_exits - before.total_exits - 1;
		p->ept_violations = after.reason[EXIT_REASON_EPT_VIOLATION].exits -
		                    before.reason[EXIT_REASON_EPT_VIOLATION].exits;
	}
	return ok && v->gprs.rsi == region + FILL_BYTES;
}

/*
 * EPT02's fill: L2's first touch of each 4 KiB page EPT12 maps, then the
 * same pages again. Under Umbra the first pass takes one EPT-violation
 * exit per page, the second none.
 */
TEST(l2_ept_fill)
{
	struct vmx_vcpu v = {0};
	struct pass first = {0}, again = {0};
	const char *why = vmx_unavailable();
	uint64_t region = fill_region();
	bool umbra = on_umbra();

	if (why || (why = ept_unavailable()))
		SKIP("%s", why);
	REQUIRE(region, "no %lu MiB of usable RAM above the image (RAM top 0x%lx)",
	        FILL_BYTES >> 20, mem_ram_top());
	why = vmx_root_with_l2(l2_touch);
	REQUIRE(!why, "%s", why);
	why = ept_enable(region);
	REQUIRE(!why, "%s", why);
	/* To the first CPUID: EPT02's root and L2's code and page tables, outside the passes. */
	REQUIRE(vmx_vmlaunch(&v).kind == VMX_OK && v.exit_reason == EXIT_REASON_CPUID,
	        "VMLAUNCH to the first CPUID");
	REQUIRE(touch_pass(&v, region, umbra, &first), "first pass over the region");
	REQUIRE(touch_pass(&v, region, umbra, &again), "second pass over the region");
	printf("# nbench l2_ept_fill mode=%s region=0x%lx pages=%lu first_touch_per_page=%lu "
	       "again_per_page=%lu",
	       umbra ? "nested" : "bare", region, FILL_PAGES, first.ticks / FILL_PAGES,
	       again.ticks / FILL_PAGES);
	if (umbra) {
		printf(" first_l0_exits=%lu first_ept_violations=%lu again_l0_exits=%lu "
		       "again_ept_violations=%lu",
		       first.l0_exits, first.ept_violations, again.l0_exits, again.ept_violations);
		CHECK(again.ept_violations == 0, "%lu EPT violations on the second pass",
		      again.ept_violations);
	}
	printf("\n");
	vmx_leave();
}
