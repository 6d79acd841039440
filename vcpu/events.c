/* Interrupts between vCPUs and into the guest, HLT, INIT and SIPI: see events.h. */
#include "vcpu/events.h"

#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/console.h"
#include "vcpu/slice.h"
#include "vcpu/vm.h"
#include "vcpu/vm_irq.h"
#include "vcpu/vmcs_setup.h"

void vcpu_events_reset(struct vcpu *v, bool bsp)
{
	vlapic_reset(&v->lapic, v->id, bsp);
	v->irq_hint = false;
	v->init_pending = false;
	v->sipi_pending = false;
	v->nmi_pending = false;
	v->injected = -1;
	v->timer_next = UINT64_MAX;
}

/*
 * v's CPU should look at it: stop halting, or leave guest mode and let the
 * scheduler see v (the vCPU running there may have had the CPU to itself).
 */
static void kick(struct vcpu *v)
{
	/*
	 * Read after the caller's v->lock: a vCPU moving to another CPU
	 * (sched.c) either is seen there, or saw under the lock what was set.
	 */
	uint32_t index = __atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE);
	struct percpu *cpu = &percpu_area[index];
	struct vcpu *running;

	__atomic_store_n(&cpu->look_all, true, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cpu->resched, true, __ATOMIC_SEQ_CST);
	/*
	 * The IPI makes a vCPU in guest mode exit; one in Umbra between exits
	 * sees its hint before entering (Bochs does not exit at VM entry for
	 * an interrupt that arrived in between when the guest has IF=0).
	 */
	running = __atomic_load_n(&cpu->running, __ATOMIC_ACQUIRE);
	if (running)
		running->irq_hint = true;
	if (index != this_cpu()->index)
		slice_kick_cpu(cpu->apic_id);
}

/*
 * When v must next look at its interrupts: its APIC timer's next expiry
 * that matters, and on vCPU 0 the VM's next device edge (vm_irq.c).
 */
static uint64_t wake_at(const struct vcpu *v)
{
	uint64_t t = vlapic_timer_wake(&v->lapic);
	uint64_t l1 = nested_l2_timer_deadline(&v->nested); /* ends a halt of L2's */

	if (l1 < t)
		t = l1;
	uint64_t d =
	        v->id == 0 ? __atomic_load_n(&v->vm->device_next, __ATOMIC_RELAXED) : UINT64_MAX;

	return d < t ? d : t;
}

/* The VM's device edges that are due (vCPU 0 keeps its device time); inline: mostly none is. */
static inline void poll_devices(struct vcpu *v, uint64_t now)
{
	if (v->id == 0 && __atomic_load_n(&v->vm->device_next, __ATOMIC_RELAXED) <= now)
		vm_irq_poll_due(v, now);
}

bool vcpu_running(const struct vcpu *v)
{
	uint32_t cpu = __atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE);

	return __atomic_load_n(&percpu_area[cpu].running, __ATOMIC_ACQUIRE) == v;
}

void vcpu_wake_for_device(struct vcpu *src, struct vcpu *v)
{
	spin_lock(&v->lock);
	v->timer_next = wake_at(v);
	v->irq_hint = true;
	spin_unlock(&v->lock);
	if (v != src)
		kick(v);
	else /* vCPU 0 moved its own device time, here: the next look sees it */
		this_cpu()->look_all = true;
}

/* What hardware ignores silently is noted at debug level. */
static void note_ignored_icr(const struct vcpu *src, const struct vlapic_icr *icr, uint32_t targets)
{
	static const char *const modes[8] = {"fixed", "lowest", "SMI",  "reserved(3)",
	                                     "NMI",   "INIT",   "SIPI", "reserved(7)"};

	if (icr->mode == VLAPIC_DM_SMI || icr->mode == 3 || icr->mode == 7)
		console_debugf("umbra: debug: vm %s vcpu %u: %s IPI (vector 0x%x) dropped: not "
		               "virtualised\n",
		               src->vm->name, src->id, modes[icr->mode & 7], icr->vector);
	else if (!targets && icr->shorthand == VLAPIC_SH_NONE)
		console_debugf(
		        "umbra: debug: vm %s vcpu %u: %s IPI to %s destination 0x%x: no such "
		        "vCPU, ignored\n",
		        src->vm->name, src->id, modes[icr->mode & 7],
		        icr->logical ? "logical" : "physical", icr->dest);
}

void vcpu_deliver_icr(struct vcpu *src, const struct vlapic_icr *icr)
{
	struct vm *vm = src->vm;
	uint32_t targets = 0;

	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *t = &vm->vcpus[i];
		bool wake = true;

		spin_lock(&t->lock);
		if (!vlapic_icr_targets(&t->lapic, icr)) {
			spin_unlock(&t->lock);
			continue;
		}
		targets++;
		switch (icr->mode) {
		case VLAPIC_DM_FIXED:
		case VLAPIC_DM_LOWEST:
			vlapic_accept_interrupt(&t->lapic, icr->vector, icr->trigger_level);
			t->irq_hint = true;
			break;
		case VLAPIC_DM_INIT:
			/*
			 * INIT level de-assert (level-triggered, level 0) only mattered
			 * to old APICs: ignored, as on hardware. An edge-triggered INIT
			 * is an INIT whatever its level bit (SDM 10.6.1: modern CPUs
			 * ignore the bit for other modes).
			 */
			if (icr->level || !icr->trigger_level) {
				/* An INIT also cancels a SIPI its CPU has not applied yet. */
				t->init_pending = true;
				t->sipi_pending = false;
				t->irq_hint = true; /* what makes its CPU look */
			} else {
				wake = false;
			}
			break;
		case VLAPIC_DM_SIPI:
			/*
			 * A SIPI counts only while the target waits for one; an INIT
			 * its CPU has not applied yet counts as applied (hardware
			 * applies it at once).
			 */
			if ((t->state == VCPU_WAIT_SIPI || t->init_pending) && !t->sipi_pending) {
				t->sipi_pending = true;
				t->sipi_vector = icr->vector;
			} else {
				wake = false;
			}
			break;
		case VLAPIC_DM_NMI:
			/* Edge-triggered: one pending at most, as on hardware. A CPU waiting for a SIPI ignores it. */
			if (t->state == VCPU_WAIT_SIPI) {
				wake = false;
				break;
			}
			t->nmi_pending = true;
			t->irq_hint = true;
			break;
		default: /* SMI is not virtualised: dropped */ wake = false; break;
		}
		spin_unlock(&t->lock);
		if (wake && t != src)
			kick(t);
		else if (wake) /* its own INIT or IPI, here: no kick, but the next look sees it */
			this_cpu()->look_all = true;
		/* Lowest priority: one target is enough (the first, as arbitration allows). */
		if (icr->mode == VLAPIC_DM_LOWEST)
			break;
	}
	note_ignored_icr(src, icr, targets);
}

void vcpu_lapic_changed(struct vcpu *v, uint64_t now)
{
	uint64_t next = wake_at(v);

	if (next != v->timer_next) {
		v->timer_next = next;
		slice_arm(v, now);
	}
	/* A write may have unmasked or raised something (TPR, EOI, self-IPI). */
	v->irq_hint = true;
}

/*
 * Under v->lock: fires a due timer, and looks again at when the next
 * expiry matters (its vector may have left IRR since: vlapic_timer_wake).
 */
static void timer_due_locked(struct vcpu *v, uint64_t now)
{
	/*
	 * Also when no wake-up was due (the vector still pending in IRR): an
	 * expiry then merges into it, as on hardware, instead of firing again
	 * after the ack.
	 */
	if (now >= v->timer_next)
		v->irq_hint = true;
	if (vlapic_timer_due(&v->lapic, now))
		vlapic_timer_update(&v->lapic, now);
	v->timer_next = wake_at(v);
}

bool vcpu_ready_look(struct vcpu *v, uint64_t now)
{
	bool ready;

	poll_devices(v, now);
	spin_lock(&v->lock);
	if (v->init_pending) {
		/*
		 * INIT: the APIC keeps its ID and base; the vCPU waits for a SIPI
		 * (one may already be pending: it came after this INIT).
		 */
		v->init_pending = false;
		/*
		 * The boot vCPU would restart at the reset vector, in firmware a
		 * VM does not have: its INIT is the VM's reset, and ends it.
		 */
		if (v->id == 0) {
			spin_unlock(&v->lock);
			vm_end_error(v->vm,
			             "reset: INIT to the boot vCPU (Umbra has no firmware to "
			             "restart it)");
			return true; /* picked, to be let go of (the VM has ended) */
		}
		vlapic_init_signal(&v->lapic);
		nested_init_signal(v);
		v->timer_next = UINT64_MAX;
		v->state = VCPU_WAIT_SIPI;
	}
	if (v->state == VCPU_WAIT_SIPI && v->sipi_pending) {
		v->sipi_pending = false;
		v->start_at_sipi = true;
		v->state = VCPU_RUNNABLE;
		v->woken = true;
	}
	timer_due_locked(v, now);
	/*
	 * An interrupt wakes HLT with IF set; an NMI wakes it whatever IF says;
	 * L1's preemption timer ends a halt of L2's (the entry then exits to L1).
	 */
	if (v->state == VCPU_HALTED &&
	    ((v->halted_with_if && (vlapic_pending(&v->lapic) >= 0 ||
	                            (!v->halted_apic_only && vm_irq_extint_pending(v)))) ||
	     v->nmi_pending || now >= nested_l2_timer_deadline(&v->nested))) {
		v->state = VCPU_RUNNABLE;
		v->woken = true;
	}
	ready = v->state == VCPU_RUNNABLE;
	spin_unlock(&v->lock);
	return ready;
}

static void vcpu_events_after_exit(struct vcpu *v)
{
	uint32_t info = vmcs_read32(IDT_VECTORING_INFO_FIELD);

	/* The exit interrupted the injected interrupt's or NMI's delivery: deliver it again. */
	if ((info & INTR_INFO_VALID) && ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_EXT_INTR ||
	                                 (info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI))
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info & ~INTR_INFO_DELIVER_CODE);
	v->injected = -1;
}

/*
 * The pending NMI into this entry, or an NMI-window exit for when it can
 * go. True when nothing else may be injected at this entry.
 */
static bool inject_nmi(struct vcpu *v, uint64_t now)
{
	uint32_t blocking = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	if (v->exception_injected || (blocking & (BLOCK_NMI | BLOCK_STI | BLOCK_MOV_SS))) {
		/* Blocked (by an NMI in service, STI or MOV SS) or behind an exception. */
		if (vmcs_base()->pin & PIN_BASED_VIRTUAL_NMIS)
			exec_controls_setbit(v->loaded, CPU_BASED_NMI_WINDOW_EXITING);
		return false; /* an interrupt may still go; the hint stays for the NMI */
	}
	v->nmi_pending = false;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_NMI | VECTOR_NMI);
	v->injected = VECTOR_NMI;
	slice_arm(v, now);
	return true;
}

/* True if the guest takes an external interrupt at this entry (IF, no STI/MOV SS shadow). */
static bool interruptible(struct vcpu *v)
{
	return (reg_cache_read(&v->regs, REG_RFLAGS) & RFLAGS_IF) &&
	       !(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & (BLOCK_STI | BLOCK_MOV_SS));
}

/*
 * The PIC's interrupt into this entry (acknowledged on the PIC only now,
 * when the CPU takes it), or an interrupt window for when it can go. True
 * when nothing else may be injected at this entry.
 */
static bool inject_extint(struct vcpu *v, uint64_t now)
{
	uint8_t vector;

	if (v->exception_injected || !interruptible(v)) {
		exec_controls_setbit(v->loaded, CPU_BASED_INTR_WINDOW_EXITING);
		v->exception_injected = false;
		slice_arm(v, now);
		return true;
	}
	vector = vm_irq_extint_ack(v);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | vector);
	v->injected = vector; /* irq_hint stays set: checked after the exit */
	slice_arm(v, now);
	return true;
}

void vcpu_events_before_entry(struct vcpu *v, uint64_t now)
{
	int vector;

	/* A vCPU placed here became runnable: the scheduler decides who runs. */
	if (__atomic_load_n(&this_cpu()->resched, __ATOMIC_ACQUIRE)) {
		v->yield = true;
		return;
	}
	/* The last entry injected an interrupt: its delivery may not have completed. */
	if (v->injected >= 0)
		vcpu_events_after_exit(v);

	if (v->init_pending) {
		v->yield = true; /* the scheduler applies it (vcpu_ready) */
		return;
	}
	/*
	 * L1's preemption timer for L2 ran out (while L2 halted, say): L1 runs
	 * now, read against the TSC of this moment (the HLT's wake did). An
	 * event already set up for L2 goes first; the timer then exits after it.
	 */
	if (v->nested.in_l2 && !v->exception_injected && nested_l1_timer_expired(v, rdtsc())) {
		vcpu_events_before_entry(v, now);
		return;
	}
	/* An NMI goes before interrupts; while L2 runs, to L1 as an exit if L1 asked. */
	if (v->nmi_pending && v->nested.in_l2 && !v->exception_injected && nested_l1_nmi(v)) {
		vcpu_events_before_entry(v, now); /* now in L1: inject what is still pending */
		return;
	}
	if (v->nmi_pending && inject_nmi(v, now))
		return;
	poll_devices(v, now);
	/* The PIC's INTR goes first, as the APIC passes ExtINT by (it has no priority there). */
	if (!v->nested.in_l2 && vm_irq_extint_pending(v) && inject_extint(v, now))
		return;
	spin_lock(&v->lock);
	timer_due_locked(v, now);
	vector = vlapic_pending(&v->lapic);
	spin_unlock(&v->lock);
	if (vector < 0) {
		slice_arm(v, now);
		v->exception_injected = false;
		v->irq_hint = v->nmi_pending; /* an NMI still waiting looks again next entry */
		return;
	}
	/* L2 runs: the interrupt is L1's, which may have asked to get it as a VM exit. */
	if (v->nested.in_l2 && !v->exception_injected && nested_l1_interrupt(v, (uint8_t)vector)) {
		slice_arm(v, now);
		vcpu_events_before_entry(v, now); /* now in L1: inject what is still pending */
		return;
	}
	/* An exception this exit injects goes first; the interrupt waits for its entry. */
	if (v->exception_injected) {
		v->exception_injected = false;
		exec_controls_setbit(v->loaded, CPU_BASED_INTR_WINDOW_EXITING);
		slice_arm(v, now);
		return;
	}
	if (interruptible(v)) {
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD,
		             INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (uint32_t)vector);
		spin_lock(&v->lock);
		vlapic_ack(&v->lapic, (uint8_t)vector);
		/* Out of IRR, the timer's vector can be raised again: its next expiry counts. */
		v->timer_next = wake_at(v);
		spin_unlock(&v->lock);
		v->injected = (int16_t)vector; /* irq_hint stays set: checked after the exit */
		slice_arm(v, now);
		return;
	}
	exec_controls_setbit(v->loaded, CPU_BASED_INTR_WINDOW_EXITING);
	slice_arm(v, now);
}

void vcpu_exit_interrupt_window(struct vcpu *v)
{
	exec_controls_clearbit(v->loaded, CPU_BASED_INTR_WINDOW_EXITING);
	v->irq_hint = true;
}

void vcpu_exit_nmi_window(struct vcpu *v)
{
	exec_controls_clearbit(v->loaded, CPU_BASED_NMI_WINDOW_EXITING);
	v->irq_hint = true;
}

/* True if some vCPU of the VM could still run, or be woken by something of its own. */
static bool vm_can_progress(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu *o = &vm->vcpus[i];

		if (o->state == VCPU_RUNNABLE || o->sipi_pending || o->init_pending ||
		    o->nmi_pending ||
		    (o->state == VCPU_HALTED &&
		     ((o->halted_with_if && o->timer_next != UINT64_MAX) ||
		      nested_l2_timer_deadline(&o->nested) != UINT64_MAX)))
			return true;
	}
	return false;
}

void vcpu_exit_hlt(struct vcpu *v)
{
	uint32_t blocking = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);

	vcpu_skip_instruction(v);
	/* HLT completed: an STI or MOV SS shadow before it is over. */
	if (blocking & (BLOCK_STI | BLOCK_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, blocking & ~(BLOCK_STI | BLOCK_MOV_SS));
	vcpu_halt(v);
}

void vcpu_halt(struct vcpu *v)
{
	uint64_t rflags = reg_cache_read(&v->regs, REG_RFLAGS);
	bool wake, if_on, apic_only;

	/*
	 * In L2, L1's local-APIC interrupts with external-interrupt exiting
	 * end the halt whatever IF says (they exit to L1); the PIC's reach only
	 * an L2 that takes them (L1's wait while L2 runs: docs/guest-abi.md).
	 */
	if_on = rflags & RFLAGS_IF;
	apic_only = !if_on && nested_l2_halt_takes_interrupts(v);
	spin_lock(&v->lock);
	wake = ((if_on || apic_only) && vlapic_pending(&v->lapic) >= 0) ||
	       (if_on && vm_irq_extint_pending(v)) || v->nmi_pending ||
	       rdtsc() >= nested_l2_timer_deadline(&v->nested);
	if (!wake) {
		v->state = VCPU_HALTED;
		v->halted_with_if = if_on || apic_only;
		v->halted_apic_only = apic_only;
		v->timer_next = wake_at(v);
		/* On v's CPU: its next pick counts one fewer to run, and this wake-up time. */
		this_cpu()->look_all = true;
	}
	spin_unlock(&v->lock);
	if (wake) {
		/* What woke it is delivered before the next entry, timers re-armed (L1's may be due). */
		v->irq_hint = true;
		return;
	}
	v->yield = true;
	if (!vm_can_progress(v->vm))
		vm_end_error(v->vm,
		             "every vCPU halted with nothing to wake it (last HLT at rip 0x%lx, "
		             "interrupts %s)",
		             reg_cache_read(&v->regs, REG_RIP), rflags & RFLAGS_IF ? "on" : "off");
}
