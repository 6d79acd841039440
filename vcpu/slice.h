/*
 * vCPU time slices on the hardware (the policy is slice_policy.h). The
 * preemption timer stays on in the pin-based controls once set up: each
 * switch-in programs the slice, or the timer's maximum ("soft-disabled")
 * when the vCPU has its CPU to itself, and an expiry then is ignored.
 * With the TSC-deadline timer instead, a vCPU in a slice also has RDTSC
 * exiting, and kicks are NMIs too (Bochs: docs/scheduler.md).
 */
#ifndef VCPU_SLICE_H
#define VCPU_SLICE_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"

#include "vcpu/slice_policy.h"
#include "vcpu/vcpu.h"

/* BSP, once, after the VMX capabilities and the TSC rate: slice_ms=, preemption_timer=. */
void slice_init(const char *cmdline);
/* Controls every vCPU's VMCS gets for the chosen mode. */
uint32_t slice_pin_controls(void);
uint32_t slice_exit_controls(void);
/*
 * Makes a CPU look at its vCPUs again: the wake-up IPI, which ends its HLT
 * or its vCPU's guest mode. With TSC-deadline slices also an NMI: Bochs
 * holds the IPI back from a guest entered with IF=0 (docs/bochs.md), and
 * nothing else would end that guest's run; the NMI's exit does.
 */
void slice_kick_cpu(uint32_t apic_id);
/* Every CPU that runs vCPUs. */
void slice_cpu_init(void);
/* Before running v (its VMCS current) at TSC `now`: a slice, or none when it runs alone. */
void slice_begin(struct vcpu *v, bool alone, uint64_t now);
/*
 * Programs the timer for v's next event, the sooner of its slice's end and
 * its local APIC timer (v->next_event); soft-disabled when there is none.
 */
void slice_arm(struct vcpu *v, uint64_t now);
/*
 * After an exit at `now` >= v->next_event: the slice is over, or the APIC
 * timer is due (the injection path fires it and re-arms). Inline: every
 * slice's end comes through here.
 */
static inline void slice_event(struct vcpu *v, uint64_t now)
{
	if (now >= v->slice_end)
		v->yield = true;
	if (now >= v->timer_next)
		v->irq_hint = true;
}
/* A spurious expiry (soft-disabled, yet expired after minutes): the timer again. */
void slice_timer_spurious(struct vcpu *v, uint64_t now);
/*
 * The preemption timer's exit that vcpu_run() passes on: a spurious one
 * (before v->next_event), or one of L2's, which may have been at it
 * (vcpu_run() handles that case itself outside L2, with slice_event()).
 */
static inline void slice_exit_preemption_timer(struct vcpu *v)
{
	uint64_t now = rdtsc();

	if (now < v->next_event)
		slice_timer_spurious(v, now);
}

#endif
