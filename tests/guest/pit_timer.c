/*
 * The 8254 timer as PC kernels use it (issue 12): channel 2 in mode 0,
 * gated by port 0x61 bit 0, its output read at bit 5, to calibrate the
 * TSC (as Linux's pit_calibrate_tsc does); latched reads counting down;
 * channel 0 as a rate generator. Under Umbra the PIT-calibrated TSC rate
 * must be within 1% of CPUID leaf 0x16's. Bare under QEMU the same tests
 * pass (there is no leaf 0x16 to compare with).
 */
#include "payload.h"

PAYLOAD("pit_timer");

#define PIT_HZ  1193182ULL
#define PERIODS 5 /* of 65535 ticks: 275 ms, so polling's granularity stays far below 1% */

static uint16_t latch_read(unsigned int ch)
{
	outb(0x43, (uint8_t)(ch << 6)); /* counter latch */
	uint8_t lo = inb((uint16_t)(0x40 + ch));

	return (uint16_t)(lo | inb((uint16_t)(0x40 + ch)) << 8);
}

TEST(channel2_out2_rises_and_calibrates_the_tsc)
{
	uint64_t ticks = pit_channel2_tsc_ticks(PERIODS), hz;
	uint32_t mhz = cpuid(0, 0).eax >= 0x16 ? cpuid(0x16, 0).eax : 0;

	REQUIRE(ticks, "OUT2 (port 0x61 bit 5) never rose");
	hz = ticks * PIT_HZ / (PERIODS * 0xffffULL);
	printf("# PIT-calibrated TSC %lu kHz; CPUID 0x16 says %u MHz\n", hz / 1000, mhz);
	if (!on_umbra() || !mhz)
		SKIP("no CPUID 0x16 rate of Umbra's to compare with");
	uint64_t want = (uint64_t)mhz * 1000000;
	uint64_t diff = hz > want ? hz - want : want - hz;

	CHECK(diff * 100 <= want, "%lu Hz against CPUID's %lu Hz: more than 1%% apart", hz, want);
}

TEST(latched_count_goes_down)
{
	uint16_t a, b;

	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	a = latch_read(2);
	tsc_delay_us(2000);
	b = latch_read(2);
	printf("# channel 2: 0x%x, then 0x%x 2 ms later\n", a, b);
	/* 2 ms is 2386 ticks; allow for the time the reads take. */
	CHECK(a > b && a - b >= 2000 && a - b < 20000, "0x%x then 0x%x", a, b);
}

TEST(channel0_rate_generator)
{
	uint16_t seen_max = 0, seen_min = 0xffff;

	outb(0x43, 0x34); /* channel 0, low then high byte, mode 2 */
	outb(0x40, 1000 & 0xff);
	outb(0x40, 1000 >> 8);
	for (int i = 0; i < 200; i++) {
		uint16_t v = latch_read(0);

		if (v > seen_max)
			seen_max = v;
		if (v < seen_min)
			seen_min = v;
	}
	printf("# channel 0, mode 2, count 1000: read %u to %u\n", seen_min, seen_max);
	CHECK(seen_min >= 1 && seen_max <= 1000, "read %u to %u, outside 1-1000", seen_min,
	      seen_max);
}
