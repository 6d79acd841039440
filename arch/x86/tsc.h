/* Time: the TSC, calibrated once against the PIT. */
#ifndef ARCH_X86_TSC_H
#define ARCH_X86_TSC_H

#include <stdint.h>

/* BSP, once: measures TSC ticks per millisecond (PIT channel 2). */
void tsc_calibrate(void);
uint64_t tsc_khz(void);
void udelay(uint64_t us);
/* TSC value `us` microseconds from now, for bounded waits. */
uint64_t tsc_deadline_us(uint64_t us);

#endif
