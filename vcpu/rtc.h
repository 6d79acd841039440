/*
 * The CMOS real-time clock at ports 0x70/0x71 (an MC146818, as on a PC):
 * the date and time, kept from the host's clock at boot and the TSC since;
 * registers A-D; the rest of the 128 bytes as plain storage. Port 0x70's
 * bit 7 is the NMI mask. No alarm, periodic or update interrupts: register
 * C never shows a flag (docs/guest-abi.md).
 */
#ifndef VCPU_RTC_H
#define VCPU_RTC_H

#include <stdbool.h>
#include <stdint.h>

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT  0x71

struct rtc {
	uint8_t index;    /* port 0x70 as last written, NMI mask bit included */
	uint8_t ram[128]; /* registers A-D and the storage bytes; time bytes when set */
	int64_t epoch;    /* seconds since 1970 at tsc0 */
	uint64_t tsc0, tsc_hz;
};

/* The clock reads `epoch` (seconds since 1970-01-01 UTC) at TSC tsc0. */
void rtc_init(struct rtc *r, int64_t epoch, uint64_t tsc0, uint64_t tsc_hz);
uint8_t rtc_in(struct rtc *r, uint16_t port, uint64_t now);
void rtc_out(struct rtc *r, uint16_t port, uint8_t val, uint64_t now);
/* Port 0x70's bit 7: NMIs masked. */
bool rtc_nmi_masked(const struct rtc *r);

#endif
