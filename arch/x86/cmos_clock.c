#include "arch/x86/cmos_clock.h"

#include "arch/x86/cpu.h"

#define CMOS_INDEX   0x70
#define CMOS_DATA    0x71
#define NMI_DISABLE  0x80 /* kept set while Umbra reads: no NMI mid-sequence */
#define REG_A_UIP    0x80
#define REG_B_BINARY 0x04
#define REG_B_24H    0x02
#define SPIN_LIMIT   1000000

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, NMI_DISABLE | reg);
	return inb(CMOS_DATA);
}

static unsigned int from_bcd(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10u + (v & 0xfu);
}

bool cmos_clock_read(struct cmos_time *t)
{
	uint8_t b, hour;
	bool binary;

	/* Not during an update: the registers may be mid-change (MC146818 datasheet). */
	for (int i = 0; i < SPIN_LIMIT && (cmos_read(0x0a) & REG_A_UIP); i++)
		;
	b = cmos_read(0x0b);
	binary = b & REG_B_BINARY;
	t->second = from_bcd(cmos_read(0x00), binary);
	t->minute = from_bcd(cmos_read(0x02), binary);
	hour = cmos_read(0x04);
	t->day = from_bcd(cmos_read(0x07), binary);
	t->month = from_bcd(cmos_read(0x08), binary);
	t->year = 2000 + from_bcd(cmos_read(0x09), binary);
	if (b & REG_B_24H) {
		t->hour = from_bcd(hour, binary);
	} else {
		t->hour = from_bcd(hour & 0x7f, binary) % 12 + ((hour & 0x80) ? 12 : 0);
	}
	return t->month >= 1 && t->month <= 12 && t->day >= 1 && t->day <= 31 && t->hour < 24 &&
	       t->minute < 60 && t->second < 60;
}
