/* Choosing how slices end, and the preemption timer's arithmetic. */
#include "vcpu/slice_policy.h"

enum slice_mode slice_choose_mode(const struct slice_caps *c)
{
	if (c->allow_timer && c->timer && c->timer_save &&
	    c->timer_max_ms >= SLICE_TIMER_MIN_MAX_MS)
		return SLICE_PREEMPTION_TIMER;
	if (c->tsc_deadline)
		return SLICE_LAPIC_DEADLINE;
	return SLICE_NONE;
}

uint32_t slice_timer_value(uint64_t slice_tsc, uint32_t rate)
{
	uint64_t ticks = slice_tsc >> (rate & 31);

	if (ticks == 0)
		return 1;
	if (ticks >= SLICE_TIMER_SOFT_DISABLED)
		return SLICE_TIMER_SOFT_DISABLED - 1;
	return (uint32_t)ticks;
}

const char *slice_mode_name(enum slice_mode m)
{
	switch (m) {
	case SLICE_PREEMPTION_TIMER: return "the VMX preemption timer";
	case SLICE_LAPIC_DEADLINE: return "the local APIC TSC-deadline timer";
	default: return "nothing (no usable timer): each vCPU runs until it stops";
	}
}
