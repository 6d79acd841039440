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

/*
 * On v's CPU, not in guest mode: handles what arrived (INIT, SIPI, a due
 * timer, an interrupt for a halted vCPU) and says whether v can run now.
 */
bool vcpu_ready(struct vcpu *v, uint64_t now);

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
