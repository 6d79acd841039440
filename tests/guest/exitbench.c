/*
 * The cost of one VM exit of each common kind, as the guest sees it (TSC
 * cycles per iteration) and as Umbra counts it (its exit statistics). Each
 * kind prints one "# bench" line (README.md gives the format) and is a test
 * that Umbra counted exactly one exit per iteration.
 *   command line: -- extra_cpuids=N   (N more CPUIDs, untimed and silent,
 *   before the CPUID bench: make bench runs it with and without them under
 *   Umbra in Umbra, and the outer Umbra's exits differ by those of N CPUIDs)
 */
#include "payload.h"

PAYLOAD("exitbench");

#define ITERATIONS         1000
#define WARMUP             100 /* untimed first runs: caches, TLBs, branch predictors */
#define EXIT_REASON_CPUID  10
#define EXIT_REASON_VMCALL 18
#define EXIT_REASON_IO     30
#define POST_PORT          0x80

struct bench {
	const char *name;
	unsigned int reason;
	void (*loop)(unsigned int n);
};

/*
 * The loops share one shape: the same registers set up around the
 * instruction, so the baseline's cycles are what the guest itself spends.
 */
static void loop_none(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t a = 0, b, c = 0, d;

		__asm__ volatile("" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	}
}

static void loop_cpuid(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t a = 0, b, c = 0, d;

		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	}
}

static void loop_vmcall(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t a = UMBRA_HC_VERSION, b = 0, c = 0, d = 0;

		__asm__ volatile("vmcall" : "+a"(a), "+b"(b), "+c"(c), "+d"(d) : : "memory");
	}
}

static void loop_io(unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t a = 0, b, c = 0, d;

		__asm__ volatile("outb %%al, %4"
		                 : "+a"(a), "=b"(b), "+c"(c), "=d"(d)
		                 : "i"(POST_PORT));
	}
}

static const struct bench none = {"none", 0, loop_none};
static const struct bench cpuid_exit = {"cpuid", EXIT_REASON_CPUID, loop_cpuid};
static const struct bench vmcall_exit = {"vmcall", EXIT_REASON_VMCALL, loop_vmcall};
static const struct bench io_exit = {"io", EXIT_REASON_IO, loop_io};

static struct umbra_exit_stats before, after;

/* TSC cycles per iteration of b's loop, rounded down. */
static uint64_t time_loop(const struct bench *b)
{
	uint64_t t0, t1;

	t0 = rdtsc_ordered();
	b->loop(ITERATIONS);
	t1 = rdtsc_ordered();
	return (t1 - t0) / ITERATIONS;
}

/* after - before for one reason; each counter only grows. */
static struct umbra_exit_counts counts_delta(unsigned int reason)
{
	const struct umbra_exit_counts *a = &before.reason[reason], *b = &after.reason[reason];

	return (struct umbra_exit_counts){
	        .exits = b->exits - a->exits,
	        .vmreads = b->vmreads - a->vmreads,
	        .vmwrites = b->vmwrites - a->vmwrites,
	        .vmwrites_skipped = b->vmwrites_skipped - a->vmwrites_skipped,
	        .l0_cycles = b->l0_cycles - a->l0_cycles,
	        .control_vmwrites = b->control_vmwrites - a->control_vmwrites,
	};
}

static uint64_t sub_floor0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/*
 * Two back-to-back EXIT_STATS calls differ by exactly one EXIT_STATS exit
 * (the first's work after its copy plus the second's up to its copy): the
 * share of a VMCALL delta that is the bracketing calls, not the loop.
 */
static bool stats_call_cost(struct umbra_exit_counts *cost)
{
	if (!CHECK(umbra_exit_stats(&before) == 0, "EXIT_STATS failed") ||
	    !CHECK(umbra_exit_stats(&after) == 0, "EXIT_STATS failed"))
		return false;
	*cost = counts_delta(EXIT_REASON_VMCALL);
	return CHECK(cost->exits == 1, "two EXIT_STATS calls differ by %lu VMCALL exits, want 1",
	             cost->exits);
}

/* x / exits with two decimals, as "N.NN" in integer math. */
static void print_per_exit(const char *label, uint64_t x, uint64_t exits)
{
	uint64_t hundredths = exits ? x * 100 / exits : 0;

	printf(" %s_per_exit=%lu.%02lu", label, hundredths / 100, hundredths % 100);
}

/*
 * Warm up, then time the loop between two EXIT_STATS calls; the deltas of
 * this kind's exit reason are then the loop's own exits (for VMCALL, less
 * the one EXIT_STATS exit the bracket adds).
 */
static void bench_exit(const struct bench *b)
{
	struct umbra_exit_counts d, cost = {0};
	uint64_t cycles;

	if (b->reason == EXIT_REASON_VMCALL && !stats_call_cost(&cost))
		return;
	b->loop(WARMUP);
	REQUIRE(umbra_exit_stats(&before) == 0, "EXIT_STATS failed");
	/* No output in here: COM1 writes are I/O exits too. */
	cycles = time_loop(b);
	REQUIRE(umbra_exit_stats(&after) == 0, "EXIT_STATS failed");
	d = counts_delta(b->reason);
	if (b->reason == EXIT_REASON_VMCALL) {
		d.exits = sub_floor0(d.exits, cost.exits);
		d.vmreads = sub_floor0(d.vmreads, cost.vmreads);
		d.vmwrites = sub_floor0(d.vmwrites, cost.vmwrites);
		d.control_vmwrites = sub_floor0(d.control_vmwrites, cost.control_vmwrites);
		d.vmwrites_skipped = sub_floor0(d.vmwrites_skipped, cost.vmwrites_skipped);
		d.l0_cycles = sub_floor0(d.l0_cycles, cost.l0_cycles);
	}
	printf("# bench exit=%s iterations=%d cycles_per_iter=%lu exits=%lu", b->name, ITERATIONS,
	       cycles, d.exits);
	print_per_exit("vmreads", d.vmreads, d.exits);
	print_per_exit("vmwrites", d.vmwrites, d.exits);
	print_per_exit("control_vmwrites", d.control_vmwrites, d.exits);
	print_per_exit("skipped", d.vmwrites_skipped, d.exits);
	printf(" l0_cycles_per_exit=%lu\n", d.exits ? d.l0_cycles / d.exits : 0);
	CHECK(d.exits == ITERATIONS, "%lu %s exits for %d iterations, want one each", d.exits,
	      b->name, ITERATIONS);
}

TEST(baseline)
{
	uint64_t cycles;

	/* Only useful next to the exit lines, which need Umbra. */
	REQUIRE_UMBRA();
	loop_none(WARMUP);
	cycles = time_loop(&none);
	printf("# bench exit=none iterations=%d cycles_per_iter=%lu\n", ITERATIONS, cycles);
}

TEST(cpuid_exits)
{
	uint64_t extra = 0;

	REQUIRE_UMBRA();
	cmdline_get_u64("extra_cpuids", &extra);
	loop_cpuid((unsigned int)extra);
	bench_exit(&cpuid_exit);
}

TEST(vmcall_exits)
{
	REQUIRE_UMBRA();
	bench_exit(&vmcall_exit);
}

TEST(io_exits)
{
	REQUIRE_UMBRA();
	bench_exit(&io_exit);
}
