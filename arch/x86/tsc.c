#include "arch/x86/tsc.h"

#include "arch/x86/cpu.h"

#define PIT_HZ        1193182ULL
#define PIT_CH2_DATA  0x42
#define PIT_CMD       0x43
#define PIT_GATE_PORT 0x61
#define PIT_GATE_CH2  0x01
#define PIT_SPEAKER   0x02
#define PIT_OUT_CH2   0x20
#define CALIBRATE_MS  10
/* No PIT (some modern boards gate it off): assume a plausible rate. */
#define FALLBACK_KHZ   2000000ULL
#define PIT_POLL_LIMIT 50000000

static uint64_t khz = FALLBACK_KHZ;

void tsc_calibrate(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;
	uint8_t gate = inb(PIT_GATE_PORT) & ~(PIT_SPEAKER | PIT_GATE_CH2);

	outb(PIT_GATE_PORT, gate);
	outb(PIT_CMD, 0xb0); /* channel 2, lobyte/hibyte, mode 0 */
	outb(PIT_CH2_DATA, count & 0xff);
	outb(PIT_CH2_DATA, count >> 8);
	uint64_t start = rdtsc();

	outb(PIT_GATE_PORT, gate | PIT_GATE_CH2); /* gate high: count down */
	for (long i = 0; i < PIT_POLL_LIMIT; i++) {
		if (inb(PIT_GATE_PORT) & PIT_OUT_CH2) {
			uint64_t ticks = rdtsc() - start;

			if (ticks > 0)
				khz = ticks / CALIBRATE_MS;
			break;
		}
	}
	outb(PIT_GATE_PORT, gate);
}

uint64_t tsc_khz(void)
{
	return khz;
}

uint64_t tsc_deadline_us(uint64_t us)
{
	return rdtsc() + us * khz / 1000;
}

void udelay(uint64_t us)
{
	uint64_t end = tsc_deadline_us(us);

	while (rdtsc() < end)
		cpu_relax();
}
