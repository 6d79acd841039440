/* The 8254's channel 2 as a stopwatch against the TSC (see payload.h). */
#include "payload.h"

#define PIT_PORT_61   0x61
#define P61_GATE2     0x01
#define P61_SPEAKER   0x02
#define P61_OUT2      0x20
#define PIT_CH2_MODE0 0xb0 /* channel 2, low then high byte, mode 0, binary */
#define SPINS_MAX     100000000

uint64_t pit_channel2_tsc_ticks(unsigned int periods)
{
	uint64_t total = 0;

	outb(PIT_PORT_61, (uint8_t)((inb(PIT_PORT_61) & ~P61_SPEAKER) | P61_GATE2));
	for (unsigned int i = 0; i < periods; i++) {
		uint64_t spins = 0, t0;

		outb(0x43, PIT_CH2_MODE0);
		outb(0x42, 0xff);
		outb(0x42, 0xff);
		t0 = rdtsc();
		while (!(inb(PIT_PORT_61) & P61_OUT2))
			if (++spins > SPINS_MAX)
				return 0;
		total += rdtsc() - t0;
	}
	return total;
}
