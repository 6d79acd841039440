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

const char *slice_mode_name(enum slice_mode m)
{
	switch (m) {
	case SLICE_PREEMPTION_TIMER: return "the VMX preemption timer";
	case SLICE_LAPIC_DEADLINE: return "the local APIC TSC-deadline timer";
	default: return "nothing (no usable timer): each vCPU runs until it stops";
	}
}
