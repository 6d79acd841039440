/*
 * Scheduler fairness: count loop iterations in consecutive stretches of TSC
 * time ("sub-windows") aligned on multiples of their length, so that the
 * counts of VMs on different CPUs cover the same instants (the guest's TSC
 * is the host's). The harness adds up, per VM, the sub-windows every VM
 * counted in, and compares the sums (max/min): with more VMs than CPUs,
 * a fair scheduler gives each the same share.
 *   command line: -- sub=TICKS count=N   (defaults 1,000,000 and 40)
 * With work=N instead, it does a fixed amount of work (N million loop
 * iterations) and ends: VMs of unequal work show how well the scheduler
 * keeps every CPU busy until the last ends (make bench, vCPU migration).
 */
#include "payload.h"

PAYLOAD("sched");

#define SUB_DEFAULT   1000000ULL
#define COUNT_DEFAULT 40
#define COUNT_MAX     256

static uint64_t counts[COUNT_MAX];

TEST(progress)
{
	uint64_t sub = SUB_DEFAULT, n = COUNT_DEFAULT, first, now, work;
	char line[32];

	if (cmdline_get_u64("work", &work)) {
		uint64_t start = rdtsc_ordered();

		for (uint64_t i = 0; i < work * 1000000; i++)
			__asm__ volatile("" ::: "memory");
		printf("# sched work=%lu ticks=%lu\n", work, rdtsc_ordered() - start);
		return;
	}
	cmdline_get_u64("sub", &sub);
	cmdline_get_u64("count", &n);
	REQUIRE(sub > 0 && n > 0 && n <= COUNT_MAX, "need sub > 0 and 0 < count <= %d", COUNT_MAX);
	/* Start on the next boundary, so every VM's sub-windows line up. */
	first = (rdtsc_ordered() / sub + 1) * sub;
	while (rdtsc_ordered() < first)
		;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t end = first + (i + 1) * sub, c = 0;

		do {
			c++;
			now = rdtsc_ordered();
		} while (now < end);
		counts[i] = c;
	}
	printf("# sched first=%lu sub=%lu counts=", first, sub);
	for (uint64_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s%lu", i ? "," : "", counts[i]);
		printf("%s", line);
	}
	printf("\n");
	for (uint64_t i = 0; i < n; i++)
		CHECK(counts[i] > 0, "no iteration at all in sub-window %lu", i);
}
