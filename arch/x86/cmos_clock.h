/* The host's CMOS real-time clock, read once at boot: the wall time VMs' clocks start from. */
#ifndef ARCH_X86_CMOS_CLOCK_H
#define ARCH_X86_CMOS_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct cmos_time {
	unsigned int year, month, day, hour, minute, second;
};

/* False if the clock reads as no clock (all ones, an impossible date). */
bool cmos_clock_read(struct cmos_time *t);

#endif
