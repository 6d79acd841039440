/*
 * How vCPU time slices end (pure, host-tested): the VMX preemption timer
 * when it is usable, else the local APIC's TSC-deadline timer.
 */
#ifndef VCPU_SLICE_POLICY_H
#define VCPU_SLICE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum slice_mode {
	SLICE_PREEMPTION_TIMER, /* pin control on for good; the value is the slice */
	SLICE_LAPIC_DEADLINE,   /* the host's timer interrupt forces the VM exit */
	SLICE_NONE,             /* nothing can end a slice: each vCPU runs until it stops */
};

/* The timer's value that means "no slice": its maximum, never reached in practice. */
#define SLICE_TIMER_SOFT_DISABLED 0xffffffffu
/* A timer that runs out sooner than this at its maximum is not trusted to stay quiet. */
#define SLICE_TIMER_MIN_MAX_MS 10000u

struct slice_caps {
	bool allow_timer;      /* the command line did not say preemption_timer=0 */
	bool timer;            /* "activate VMX-preemption timer" may be 1 */
	bool timer_save;       /* "save VMX-preemption timer value" may be 1 */
	uint64_t timer_max_ms; /* the timer's delay from its maximum value */
	bool tsc_deadline;     /* the host local APIC has TSC-deadline mode */
};

/*
 * The preemption timer needs "save value" (else every VM entry would
 * restart the slice, or cost a VMWRITE) and a maximum delay of at least
 * SLICE_TIMER_MIN_MAX_MS, so that "soft-disabled" is quiet.
 */
enum slice_mode slice_choose_mode(const struct slice_caps *c);

/*
 * The timer value for a slice of slice_tsc TSC ticks at TSC / 2^rate: at
 * least 1, below the soft-disable value. Inline: every switch arms one.
 */
static inline uint32_t slice_timer_value(uint64_t slice_tsc, uint32_t rate)
{
	uint64_t ticks = slice_tsc >> (rate & 31);

	if (ticks == 0)
		return 1;
	if (ticks >= SLICE_TIMER_SOFT_DISABLED)
		return SLICE_TIMER_SOFT_DISABLED - 1;
	return (uint32_t)ticks;
}

const char *slice_mode_name(enum slice_mode m);

#endif
