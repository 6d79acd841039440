/*
 * The TSC's frequency, for delays that must last at least so long (the
 * SDM's INIT/SIPI waits) and for timeouts. CPUID 0x15 gives it exactly,
 * CPUID 0x16 nominally; without either (Umbra, QEMU TCG) there is no
 * clock a guest can trust to measure it against, so we assume an upper
 * bound: delays then last at least as long as asked, maybe a few times more.
 */
#include "payload.h"

#define LEAF_TSC_CRYSTAL 0x15
#define LEAF_FREQUENCY   0x16
#define MHZ              1000000ULL
#define US_PER_S         1000000ULL

static uint64_t hz;
static const char *source;
static bool nominal; /* CPUID 0x16: the base frequency, which the TSC only approximates */

static void tsc_probe(void)
{
	uint32_t max = cpuid(0, 0).eax;

	if (max >= LEAF_TSC_CRYSTAL) {
		/* EAX = denominator, EBX = numerator, ECX = crystal Hz (0: not given). */
		struct cpuid_regs r = cpuid(LEAF_TSC_CRYSTAL, 0);

		if (r.eax && r.ebx && r.ecx) {
			hz = (uint64_t)r.ecx * r.ebx / r.eax;
			source = "CPUID 0x15";
		}
	}
	if (!hz && max >= LEAF_FREQUENCY) {
		uint32_t base_mhz = cpuid(LEAF_FREQUENCY, 0).eax & 0xffff;

		if (base_mhz) {
			hz = base_mhz * MHZ;
			source = "CPUID 0x16 base frequency";
			nominal = true;
		}
	}
	if (!hz) {
		hz = TSC_HZ_ASSUMED_MAX;
		source = "assumed upper bound";
	}
}

uint64_t tsc_hz(void)
{
	if (!hz)
		tsc_probe();
	return hz;
}

const char *tsc_hz_source(void)
{
	if (!hz)
		tsc_probe();
	return source;
}

uint64_t tsc_ticks_at_least_us(uint64_t us)
{
	uint64_t f = tsc_hz();

	if (nominal)
		f += f / 4;
	/* Rounded up; us * f fits in 64 bits up to hours at 5 GHz. */
	return (us * f + US_PER_S - 1) / US_PER_S;
}

void tsc_delay_us(uint64_t us)
{
	uint64_t end = rdtsc_ordered() + tsc_ticks_at_least_us(us);

	while (rdtsc_ordered() < end)
		cpu_relax();
}
