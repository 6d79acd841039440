/*
 * Events between vCPUs and into a guest: interrupts from the virtual local
 * APIC (IPIs, the timer), their injection at VM entry, HLT that waits for
 * one, and INIT/SIPI, which start an AP the way hardware does.
 */
#ifndef VCPU_EVENTS_H
#define VCPU_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/vcpu.h"
#include "vcpu/vm.h"
#include "vcpu/vlapic.h"

/* Power-on state of a vCPU's events (before its first run). */
void vcpu_events_reset(struct vcpu *v, bool bsp);

/* Delivers an interrupt command the vCPU `src` wrote to every vCPU of its VM it targets. */
void vcpu_deliver_icr(struct vcpu *src, const struct vlapic_icr *icr);

/*
 * Something of the VM's (a device edge, the PIC's INTR) concerns v: it
 * looks at its interrupts again, and its CPU is told if that is not src's.
 */
void vcpu_wake_for_device(struct vcpu *src, struct vcpu *v);
/* True if v is in vcpu_run() on its CPU now (in guest mode, or handling an exit). */
bool vcpu_running(const struct vcpu *v);

/* After the guest touched its local APIC: the timer's next expiry may have moved. */
void vcpu_lapic_changed(struct vcpu *v, uint64_t now);

/* vcpu_ready()'s full look, under v's lock. */
bool vcpu_ready_look(struct vcpu *v, uint64_t now);

/*
 * On v's CPU, not in guest mode: handles what arrived (INIT, SIPI, a due
 * timer, an interrupt for a halted vCPU) and says whether v can run now.
 * A runnable vCPU with no INIT pending, before its timer_next and (vCPU 0)
 * its VM's next device edge, has nothing to apply: no lock, no call. Every
 * change that brings its wake-up earlier recomputes timer_next (a timer
 * register write, an interrupt taken out of IRR, a device's new edge), and
 * an INIT sets init_pending before its kick.
 */
static inline bool vcpu_ready(struct vcpu *v, uint64_t now)
{
	if (v->state == VCPU_RUNNABLE && now < __atomic_load_n(&v->timer_next, __ATOMIC_RELAXED) &&
	    (v->id != 0 || now < __atomic_load_n(&v->vm->device_next, __ATOMIC_RELAXED)) &&
	    !__atomic_load_n(&v->init_pending, __ATOMIC_RELAXED))
		return true;
	return vcpu_ready_look(v, now);
}

/*
 * Before VM entry, when something may be pending (v->irq_hint, also set by
 * an INIT and kept while an injected interrupt's delivery is unconfirmed):
 * re-injects an interrupt whose delivery the last exit cut short, injects
 * the next one or asks for an interrupt window.
 */
void vcpu_events_before_entry(struct vcpu *v, uint64_t now);

/* Exits. */
void vcpu_exit_hlt(struct vcpu *v);
/*
 * The vCPU halts, as after a HLT (RIP already past it): it waits, off its
 * CPU, for what ends a halt; at once if that is already pending.
 */
void vcpu_halt(struct vcpu *v);
void vcpu_exit_interrupt_window(struct vcpu *v);
/* NMI-window exit: the NMI that was blocked may go now. */
void vcpu_exit_nmi_window(struct vcpu *v);

#endif
