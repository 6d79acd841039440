#include "vcpu/rtc.h"

#include <string.h>

#include "lib/calendar.h"

#define REG_SECONDS 0x00
#define REG_MINUTES 0x02
#define REG_HOURS   0x04
#define REG_WEEKDAY 0x06
#define REG_DAY     0x07
#define REG_MONTH   0x08
#define REG_YEAR    0x09
#define REG_A       0x0a
#define REG_B       0x0b
#define REG_C       0x0c
#define REG_D       0x0d
#define REG_CENTURY 0x32

#define A_UIP       0x80
#define B_SET       0x80
#define B_BINARY    0x04
#define B_24H       0x02
#define D_VRT       0x80 /* the battery is good */
#define NMI_MASK    0x80
#define DAY_SECONDS 86400

static bool is_time_reg(unsigned int reg)
{
	return reg <= REG_YEAR || reg == REG_CENTURY;
}

static uint8_t encode(const struct rtc *r, unsigned int v)
{
	return (r->ram[REG_B] & B_BINARY) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned int decode(const struct rtc *r, uint8_t v)
{
	return (r->ram[REG_B] & B_BINARY) ? v : (v >> 4) * 10u + (v & 0xfu);
}

static int64_t now_seconds(const struct rtc *r, uint64_t now)
{
	return r->epoch + (int64_t)(r->tsc_hz ? (now - r->tsc0) / r->tsc_hz : 0);
}

/* The time registers at `now`, in the format register B asks for. */
static void time_to_regs(struct rtc *r, uint64_t now)
{
	int64_t t = now_seconds(r, now), days = t / DAY_SECONDS, y;
	unsigned int m, d, secs = (unsigned int)(t % DAY_SECONDS), hour = secs / 3600;

	if (t % DAY_SECONDS < 0) {
		days--;
		secs = (unsigned int)(t % DAY_SECONDS + DAY_SECONDS);
		hour = secs / 3600;
	}
	calendar_civil_from_days(days, &y, &m, &d);
	r->ram[REG_SECONDS] = encode(r, secs % 60);
	r->ram[REG_MINUTES] = encode(r, secs / 60 % 60);
	if (r->ram[REG_B] & B_24H)
		r->ram[REG_HOURS] = encode(r, hour);
	else /* 12-hour: 12, 1-11, with bit 7 for PM */
		r->ram[REG_HOURS] =
		        (uint8_t)(encode(r, hour % 12 ? hour % 12 : 12) | (hour >= 12 ? 0x80 : 0));
	r->ram[REG_WEEKDAY] = encode(r, (unsigned int)((days % 7 + 11) % 7) + 1); /* 1 = Sunday */
	r->ram[REG_DAY] = encode(r, d);
	r->ram[REG_MONTH] = encode(r, m);
	r->ram[REG_YEAR] = encode(r, (unsigned int)(y % 100));
	r->ram[REG_CENTURY] = encode(r, (unsigned int)(y / 100));
}

/* SET cleared: the clock runs on from what the guest wrote into the time registers. */
static void regs_to_time(struct rtc *r, uint64_t now)
{
	unsigned int hour_raw = r->ram[REG_HOURS], hour;
	int64_t y = decode(r, r->ram[REG_CENTURY]) * 100 + decode(r, r->ram[REG_YEAR]);

	if (r->ram[REG_B] & B_24H) {
		hour = decode(r, (uint8_t)hour_raw);
	} else {
		hour = decode(r, (uint8_t)(hour_raw & 0x7f)) % 12;
		if (hour_raw & 0x80)
			hour += 12;
	}
	r->epoch = calendar_days_from_civil(y, decode(r, r->ram[REG_MONTH]),
	                                    decode(r, r->ram[REG_DAY])) *
	                   DAY_SECONDS +
	           hour * 3600 + decode(r, r->ram[REG_MINUTES]) * 60 +
	           decode(r, r->ram[REG_SECONDS]);
	r->tsc0 = now;
}

void rtc_init(struct rtc *r, int64_t epoch, uint64_t tsc0, uint64_t tsc_hz)
{
	memset(r, 0, sizeof(*r));
	r->epoch = epoch;
	r->tsc0 = tsc0;
	r->tsc_hz = tsc_hz;
	r->ram[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz periodic rate */
	r->ram[REG_B] = B_24H;
	r->ram[REG_D] = D_VRT;
}

uint8_t rtc_in(struct rtc *r, uint16_t port, uint64_t now)
{
	unsigned int reg = r->index & 0x7f;
	uint8_t v;

	if (port == RTC_INDEX_PORT)
		return r->index;
	if (is_time_reg(reg) && !(r->ram[REG_B] & B_SET))
		time_to_regs(r, now);
	v = r->ram[reg];
	if (reg == REG_A)
		v &= (uint8_t)~A_UIP; /* an update never looks under way: the registers are computed */
	if (reg == REG_C)
		r->ram[REG_C] = 0; /* read clears the flags (none are ever raised) */
	return v;
}

void rtc_out(struct rtc *r, uint16_t port, uint8_t val, uint64_t now)
{
	unsigned int reg = r->index & 0x7f;

	if (port == RTC_INDEX_PORT) {
		r->index = val;
		return;
	}
	switch (reg) {
	case REG_B:
		/* Setting SET freezes the registers where they are; clearing it starts from them. */
		if ((val & B_SET) && !(r->ram[REG_B] & B_SET))
			time_to_regs(r, now);
		if (!(val & B_SET) && (r->ram[REG_B] & B_SET)) {
			r->ram[REG_B] =
			        val | B_SET; /* decoded in the format they were written in */
			regs_to_time(r, now);
		}
		r->ram[REG_B] = val;
		return;
	case REG_C:
	case REG_D: return; /* read-only */
	case REG_A: r->ram[REG_A] = val & (uint8_t)~A_UIP; return;
	default:
		if (!is_time_reg(reg) || (r->ram[REG_B] & B_SET)) {
			r->ram[reg] = val;
			return;
		}
		/* A time register written while the clock runs: it runs on from there. */
		time_to_regs(r, now);
		r->ram[reg] = val;
		regs_to_time(r, now);
		return;
	}
}

bool rtc_nmi_masked(const struct rtc *r)
{
	return r->index & NMI_MASK;
}
