#include "vcpu/sched.h"

#include <stdio.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/idt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/tsc.h"
#include "arch/x86/vmx/exit_reason.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/console.h"
#include "lib/phys_mem.h"
#include "vcpu/events.h"
#include "vcpu/guest_files.h"
#include "vcpu/migrate.h"
#include "vcpu/runq.h"
#include "vcpu/slice.h"
#include "vcpu/steal.h"
#include "vcpu/vm.h"
#include "vcpu/vm_create.h"
#include "vcpu/vmcs_setup.h"

static struct vm vms[VM_MAX];
_Static_assert(VM_MAX >= BOOT_MAX_MODULES, "a VM for every module the boot keeps");
static uint32_t vm_count;
/* The CPUs in VMX operation. */
static uint32_t sched_cpus[MAX_CPUS], sched_cpu_count;

#define NO_CPU (-1)
/* How often a CPU with nothing to run looks again for a vCPU to take. */
#define STEAL_RETRY_MS 10

/* Per CPU in VMX operation: its vCPUs, and what work stealing needs of it. */
struct sched_cpu {
	struct runq q;  /* only this CPU changes it */
	uint32_t ready; /* its vCPUs that could run at its last whole look: what thieves compare */
	/* Then the soonest of a halted vCPU's timer and a runnable vCPU 0's device edge. */
	uint64_t look_all_at;
	int32_t thief;        /* a CPU with nothing to run that asked for one (NO_CPU: none) */
	struct vcpu *given;   /* a vCPU another CPU gave this one, not yet in q */
	int32_t asked;        /* the CPU this one asked, until it answers (NO_CPU: none) */
	uint64_t migrations;  /* vCPUs it took from other CPUs */
	uint64_t busy_cycles; /* TSC ticks on its vCPUs: switch-in to the run's end, ending VMs */
};
static struct sched_cpu cpu_sched[MAX_CPUS];
static volatile uint32_t ended_count;
static volatile bool started;
/* TSC when the vCPUs were placed, and when the last VM ended. */
static uint64_t started_at, all_ended_at;
static uint32_t failed_to_create;

static const char *verdict_name(enum vm_verdict v)
{
	return v == VM_PASS ? "pass" : v == VM_FAIL ? "fail" : "error";
}

/* "umbra: stats <vm> <REASON> ..." for a VM, "umbra: stats-all <REASON> ..." for all (who NULL). */
static void print_counts(const char *who, uint32_t reason, const struct umbra_exit_counts *c)
{
	console_printf("umbra: stats%s%s %s exits=%lu vmreads=%lu vmwrites=%lu "
	               "control_vmwrites=%lu vmwrites_skipped=%lu l0_cycles=%lu\n",
	               who ? " " : "-all", who ? who : "", vmx_exit_reason_name(reason), c->exits,
	               c->vmreads, c->vmwrites, c->control_vmwrites, c->vmwrites_skipped,
	               c->l0_cycles);
}

static void vm_report(const struct vm *vm, const struct umbra_exit_stats *stats)
{
	char what[48];

	for (uint32_t r = 0; stats && r < UMBRA_EXIT_REASONS; r++)
		if (stats->reason[r].exits)
			print_counts(vm->name, r, &stats->reason[r]);
	/* What it touched that its platform lacks: hardware's answer was given, and is listed. */
	for (uint32_t i = 0; i < vm->unknown.used; i++) {
		unknown_describe(&vm->unknown.e[i], what, sizeof(what));
		console_printf("umbra: vm %s unknown %s: %lu time%s\n", vm->name, what,
		               (unsigned long)vm->unknown.e[i].count,
		               vm->unknown.e[i].count == 1 ? "" : "s");
	}
	if (vm->unknown.unlisted)
		console_printf("umbra: vm %s unknown: %lu more accesses not listed\n", vm->name,
		               (unsigned long)vm->unknown.unlisted);
	console_printf("umbra: vm %s exit=%ld verdict=%s reason=%s\n", vm->name,
	               (long)vm->exit_code, verdict_name(vm->verdict), vm->end_reason);
}

/* Every VM's statistics added up, per exit reason. */
static void report_totals(void)
{
	static struct umbra_exit_stats all, one;

	for (uint32_t i = 0; i < vm_count; i++) {
		vm_stats(&vms[i], &one);
		vm_stats_add(&all, &one);
	}
	for (uint32_t r = 0; r < UMBRA_EXIT_REASONS; r++)
		if (all.reason[r].exits)
			print_counts(NULL, r, &all.reason[r]);
}

/* Modules past the limit that get a refusal line each. */
#define PAST_LIMIT_LISTED 64

/*
 * Module `index` will not run: its error line (with its command line, if
 * any) and its verdict line, as for a VM that ended. Without a name of its
 * own yet, it is named by its place among the modules.
 */
static void refuse_module(struct vm *vm, uint32_t index, const char *cmdline, const char *why)
{
	if (!vm->name[0])
		snprintf(vm->name, sizeof(vm->name), "module%u", index);
	if (cmdline)
		console_printf("umbra: error: module %u ('%s'): %s\n", index, cmdline, why);
	else
		console_printf("umbra: error: module %u: %s\n", index, why);
	vm_end_error(vm, "bad module: %s", why);
	vm_report(vm, NULL);
	failed_to_create++;
}

/* A file whose for= names no VM that was made is refused, as a module would be. */
static void refuse_orphan_files(const struct boot_info *bi)
{
	char owner[VM_NAME_MAX], err[VM_REASON_MAX];

	for (uint32_t i = 0; i < bi->module_count; i++) {
		bool claimed = false;

		if (!guest_file_for(bi->modules[i].cmdline, owner, sizeof(owner), err,
		                    sizeof(err)) ||
		    err[0])
			continue;
		for (uint32_t v = 0; v < vm_count && !claimed; v++)
			claimed = !strcmp(vms[v].name, owner);
		if (claimed)
			continue;
		struct vm *vm = &vms[vm_count]; /* a free slot: the module is no VM */

		memset(vm, 0, sizeof(*vm));
		snprintf(err, sizeof(err), "for=%s names no VM", owner);
		refuse_module(vm, i, bi->modules[i].cmdline, err);
	}
}

/* Host frames free before any VM was made: all of them again once every VM has ended. */
static uint64_t frames_before_vms;

void sched_create_vms(const struct boot_info *bi)
{
	char err[VM_REASON_MAX];

	frames_before_vms = phys_free_frames();
	for (uint32_t i = 0; i < bi->module_count; i++) {
		struct vm *vm = &vms[vm_count];
		char owner[VM_NAME_MAX];

		/* A file for a VM (for=NAME) is no VM: its VM takes it (vm_create). */
		if (guest_file_for(bi->modules[i].cmdline, owner, sizeof(owner), err,
		                   sizeof(err)) &&
		    !err[0])
			continue;
		if (err[0]) {
			memset(vm, 0, sizeof(*vm));
			refuse_module(vm, i, bi->modules[i].cmdline, err);
			continue;
		}
		if (vm_create(vm, vm_count, &bi->modules[i], bi->modules, bi->module_count, err,
		              sizeof(err)) < 0) {
			refuse_module(vm, i, bi->modules[i].cmdline, err);
			continue;
		}
		if (vm->entry_esi)
			console_printf(
			        "umbra: vm %s: %lu MiB RAM at 0x%lx, entry 0x%x (Linux), zero "
			        "page at 0x%x\n",
			        vm->name, (unsigned long)(vm->ram_size >> 20), hpa_val(vm->ram_hpa),
			        vm->entry, vm->entry_esi);
		else
			console_printf(
			        "umbra: vm %s: %lu MiB RAM at 0x%lx, entry 0x%x (Multiboot%u), "
			        "boot info at 0x%x\n",
			        vm->name, (unsigned long)(vm->ram_size >> 20), hpa_val(vm->ram_hpa),
			        vm->entry, vm->entry_magic == 0x36d76289u ? 2 : 1, vm->entry_info);
		vm_count++;
	}
	refuse_orphan_files(bi);
	/*
	 * Each module the loader gave past the limit is refused; the others
	 * run. A count no loader could mean (a Multiboot1 mods_count of 4e9)
	 * gets one line for the rest, not a line each.
	 */
	uint32_t listed = bi->modules_past_limit < PAST_LIMIT_LISTED ? bi->modules_past_limit
	                                                             : PAST_LIMIT_LISTED;

	for (uint32_t i = 0; i < listed; i++) {
		static struct vm
		        past; /* vms[] may be full: it has a slot per module below the limit */
		char why[64];

		memset(&past, 0, sizeof(past));
		snprintf(why, sizeof(why), "past Umbra's limit of %u modules", BOOT_MAX_MODULES);
		refuse_module(&past, BOOT_MAX_MODULES + i, NULL, why);
	}
	if (bi->modules_past_limit > listed) {
		console_printf("umbra: error: %u more modules past Umbra's limit of %u, refused "
		               "and not listed\n",
		               bi->modules_past_limit - listed, BOOT_MAX_MODULES);
		failed_to_create += bi->modules_past_limit - listed;
	}
}

/* Every CPU that runs vCPUs, except this one. */
static void wake_other_cpus(void)
{
	for (uint32_t i = 0; i < sched_cpu_count; i++)
		if (sched_cpus[i] != this_cpu()->index)
			lapic_send_fixed(percpu_area[sched_cpus[i]].apic_id, VECTOR_WAKEUP);
}

/* The VM has ended: its other vCPUs leave guest mode, wherever they run. */
static void vm_kick_vcpus(struct vm *vm)
{
	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = &vm->vcpus[i];
		uint32_t cpu;

		/* Under its lock: a vCPU moving now is seen on its new CPU, or sees the end there. */
		spin_lock(&v->lock);
		cpu = v->cpu;
		spin_unlock(&v->lock);
		__atomic_store_n(&percpu_area[cpu].look_all, true, __ATOMIC_SEQ_CST);
		if (cpu != this_cpu()->index)
			slice_kick_cpu(percpu_area[cpu].apic_id);
	}
}

/* Since `began`, this CPU worked for the VM: counted before the VM counts as ended. */
static void vm_finish(struct vm *vm, struct sched_cpu *c, uint64_t began)
{
	struct umbra_exit_stats stats;

	vm_console_flush(vm);
	vm_stats(vm, &stats);
	vm_report(vm, &stats);
	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		const struct vmcs_controls_shadow *w = &v->vmcs.control_writes;

		console_printf("umbra: vmcs %s.%u control_vmwrites pin=%u exec=%u secondary=%u "
		               "entry=%u exit=%u spurious_timer_exits=%lu\n",
		               vm->name, v->id, w->pin, w->exec, w->secondary_exec, w->entry,
		               w->exit, v->spurious_timer_exits);
		if (v->nested.enabled)
			nested_report(v);
	}
	vm_free(vm); /* every vCPU's CPU has let go of its VMCS */
	c->busy_cycles += rdtsc() - began;
	/* The last VM to end wakes the idle CPUs: the BSP prints the summary. */
	if (__atomic_add_fetch(&ended_count, 1, __ATOMIC_ACQ_REL) == vm_count) {
		__atomic_store_n(&all_ended_at, rdtsc(), __ATOMIC_RELEASE);
		wake_other_cpus();
	}
}

/* On v's CPU, after its VM ended: its VMCS is let go here; the last vCPU finishes the VM. */
static void vcpu_finish(struct vcpu *v, struct sched_cpu *c)
{
	struct vm *vm = v->vm;
	uint64_t began = rdtsc();

	if (!__atomic_exchange_n(&vm->kicked, true, __ATOMIC_ACQ_REL))
		vm_kick_vcpus(vm);
	guest_cpu_state_drop(v);
	loaded_vmcs_clear(&v->vmcs);
	nested_vcpu_release_vmcs(v);
	if (__atomic_add_fetch(&vm->vcpus_done, 1, __ATOMIC_ACQ_REL) == vm->vcpu_count)
		vm_finish(vm, c, began);
	else
		c->busy_cycles += rdtsc() - began;
}

/*
 * Makes v's VMCS current here and starts its slice at `now`; the first
 * time, sets it up (the boot vCPU at the kernel's entry); after a SIPI,
 * starts it there.
 */
static void switch_to(struct vcpu *v, bool alone, uint64_t now)
{
	struct vm *vm = v->vm;

	loaded_vmcs_load(v->loaded);
	if (v->arrived)
		vcpu_migrate_in(v);
	if (!v->set_up) {
		vmcs_setup_vcpu(v);
		if (v->id == 0) {
			vmcs_guest_multiboot(v, vm->entry, vm->entry_magic, vm->entry_info);
			v->gprs.rsi = vm->entry_esi;
		}
		v->set_up = true;
	}
	if (v->start_at_sipi) {
		v->start_at_sipi = false;
		vmcs_guest_sipi(v, v->sipi_vector);
	}
	slice_begin(v, alone, now);
}

/*
 * The next vCPU here that can run, or whose VM has ended (to let go of it);
 * NULL if none. A vCPU that has just woken (an interrupt for its HLT, a
 * SIPI) goes first, once, without moving the turn: it used no CPU while it
 * waited, and whoever woke it (an AP start, an IPI) waits for it. *wake is
 * the soonest TSC at which a halted vCPU's timer makes it runnable. Counts
 * the vCPUs that can run (c->ready), and *spare is one of them other than
 * the one picked, the last in turn (NULL if none): what a thief may get.
 * c->look_all_at: when pick_first() no longer does (*wake, or a runnable
 * vCPU 0's next device edge, which its look would raise).
 */
static struct vcpu *pick(struct sched_cpu *c, uint64_t now, uint64_t *wake, struct vcpu **spare)
{
	struct runq *q = &c->q;
	struct vcpu *found = NULL, *woken = NULL, *last = NULL, *before_last = NULL, *picked;
	uint32_t ready_count = 0, found_at = 0;
	uint64_t devices_due = UINT64_MAX;
	bool woken_more = false;

	*wake = UINT64_MAX;
	for (uint32_t i = 0; i < q->count; i++) {
		struct vcpu *v = runq_peek(q, i);
		bool ended = v->vm->state == VM_ENDED;
		bool ready = ended || vcpu_ready(v, now);

		if (ready && !found) {
			found = v;
			found_at = i;
		}
		if (ready && v->woken) {
			if (woken)
				woken_more = true;
			else
				woken = v;
		}
		if (ready && !ended) {
			ready_count++;
			before_last = last;
			last = v;
		}
		/* A runnable vCPU 0's look polls its VM's devices (the PIT's edges...). */
		if (ready && !ended && v->id == 0) {
			uint64_t d = __atomic_load_n(&v->vm->device_next, __ATOMIC_RELAXED);

			if (d < devices_due)
				devices_due = d;
		}
		if (!ready && v->state == VCPU_HALTED && v->timer_next < *wake)
			*wake = v->timer_next;
	}
	__atomic_store_n(&c->ready, ready_count, __ATOMIC_RELAXED);
	/* Another woken vCPU goes first next time: a look at all of them finds it. */
	c->look_all_at = woken_more ? 0 : *wake < devices_due ? *wake : devices_due;
	if (woken) {
		woken->woken = false;
		picked = woken; /* the turn stays where it was */
	} else {
		/* Start the next turn after the one found. */
		if (found)
			runq_turn_after(q, found_at);
		picked = found;
	}
	*spare = last != picked ? last : before_last;
	return picked;
}

/*
 * pick() when nothing can have changed for the vCPUs here since its last
 * look but the run of the one that ran (look_all and look_all_at say when
 * something may have): the same vCPU, found by looking only up to it. None
 * after it can have woken, so none would go before it, and c->ready holds.
 * (A vCPU 0 looked at here may raise a device edge that wakes one: that
 * kick sets look_all and resched, and the one picked yields at its entry.)
 * NULL if none can run: then pick() looks.
 */
static struct vcpu *pick_first(struct sched_cpu *c, uint64_t now)
{
	struct runq *q = &c->q;

	for (uint32_t i = 0; i < q->count; i++) {
		struct vcpu *v = runq_peek(q, i);

		if (v->vm->state != VM_ENDED && !vcpu_ready(v, now))
			continue;
		if (v->woken)
			v->woken = false; /* the turn stays where it was */
		else
			runq_turn_after(q, i);
		return v;
	}
	return NULL;
}

/*
 * A CPU with nothing to run asked this one for a vCPU: it gets `spare`
 * (let go of here first), if this CPU keeps one that can run, else
 * nothing; either way it is told, and may ask again.
 */
static void answer_thief(struct sched_cpu *c, struct vcpu *spare)
{
	int32_t thief = __atomic_load_n(&c->thief, __ATOMIC_ACQUIRE);

	if (thief == NO_CPU)
		return;
	if (spare && c->ready >= STEAL_MIN_READY) {
		runq_remove(&c->q, spare);
		vcpu_migrate_out(spare);
		/* Under its lock, as kicks read it after taking the lock (events.c). */
		spin_lock(&spare->lock);
		spare->cpu = (uint32_t)thief;
		spin_unlock(&spare->lock);
		__atomic_store_n(&cpu_sched[thief].given, spare, __ATOMIC_RELEASE);
		/* What other thieves compare: one fewer now, not what pick() counted. */
		__atomic_store_n(&c->ready, c->ready - 1, __ATOMIC_RELAXED);
		console_debugf("umbra: debug: sched: vm %s vcpu %u moves from cpu %u to cpu %d\n",
		               spare->vm->name, spare->id, this_cpu()->index, thief);
	}
	__atomic_store_n(&c->thief, NO_CPU, __ATOMIC_RELEASE);
	lapic_send_fixed(percpu_area[thief].apic_id, VECTOR_WAKEUP);
}

/* A vCPU another CPU gave this one joins its queue (it asked for one: steal()). */
static bool take_given(struct sched_cpu *c)
{
	struct vcpu *v = __atomic_exchange_n(&c->given, NULL, __ATOMIC_ACQUIRE);

	if (!v)
		return false;
	runq_add(&c->q, v);
	c->migrations++;
	return true;
}

/*
 * This CPU has nothing to run: it asks the CPU with the most vCPUs that
 * can run (steal_victim) for one, which answers at its next look
 * (answer_thief). True if a vCPU has been given; else *wake becomes when
 * to look again, while some CPU might have one to spare.
 */
static bool steal(struct sched_cpu *c, uint64_t *wake)
{
	uint32_t self = this_cpu()->index, ready[MAX_CPUS], me = 0;
	int victim;

	if (c->asked != NO_CPU) {
		if (__atomic_load_n(&cpu_sched[c->asked].thief, __ATOMIC_ACQUIRE) ==
		    (int32_t)self) {
			*wake = rdtsc() + STEAL_RETRY_MS * tsc_khz(); /* or its answer's IPI */
			return false;
		}
		c->asked = NO_CPU;
		if (__atomic_load_n(&c->given, __ATOMIC_ACQUIRE))
			return true;
	}
	for (uint32_t i = 0; i < sched_cpu_count; i++) {
		ready[i] = __atomic_load_n(&cpu_sched[sched_cpus[i]].ready, __ATOMIC_RELAXED);
		if (sched_cpus[i] == self)
			me = i;
	}
	victim = steal_victim(ready, sched_cpu_count, me);
	*wake = rdtsc() + STEAL_RETRY_MS * tsc_khz();
	if (victim < 0)
		return false; /* none has a vCPU to spare now; halted ones may wake */
	int32_t expected = NO_CPU;
	uint32_t cpu = sched_cpus[victim];

	/* One thief per victim at a time; another may have asked it first. */
	if (__atomic_compare_exchange_n(&cpu_sched[cpu].thief, &expected, (int32_t)self, false,
	                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		c->asked = (int32_t)cpu;
		/* Its running vCPU yields at the kick's exit, so it answers now (it may run alone). */
		__atomic_store_n(&percpu_area[cpu].resched, true, __ATOMIC_SEQ_CST);
		slice_kick_cpu(percpu_area[cpu].apic_id);
	}
	return false;
}

/* Halts until an interrupt: a wake-up IPI, or the timer for `wake` (UINT64_MAX: none). */
static void idle_wait(uint64_t wake)
{
	if (wake != UINT64_MAX) {
		/* Without a TSC-deadline timer nothing would wake us in time: look again soon. */
		if (!cpu_has_tsc_deadline()) {
			cpu_relax();
			return;
		}
		lapic_deadline_arm(wake);
	}
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void sched_run_vms(void)
{
	struct sched_cpu *c = &cpu_sched[this_cpu()->index];
	struct runq *q = &c->q;
	uint64_t yielded_at = 0;

	slice_cpu_init();
	while (__atomic_load_n(&ended_count, __ATOMIC_ACQUIRE) < vm_count) {
		uint64_t wake, began;
		struct vcpu *v = NULL, *spare;
		bool look_all = take_given(c);

		/* Cleared before looking: a vCPU woken from now on sets them again (events.c). */
		__atomic_store_n(&this_cpu()->resched, false, __ATOMIC_SEQ_CST);
		look_all |= __atomic_exchange_n(&this_cpu()->look_all, false, __ATOMIC_SEQ_CST);
		began = rdtsc(); /* the look's time, and the slice's start */
		/*
		 * A vCPU here changes whether it can run only by what sets
		 * look_all (a kick: a wake-up, INIT, SIPI, a VM's end; a halt), or
		 * at look_all_at (a halted vCPU's timer, vCPU 0's device edge).
		 * A thief needs the whole look's spare.
		 */
		if (!look_all && began < c->look_all_at &&
		    __atomic_load_n(&c->thief, __ATOMIC_ACQUIRE) == NO_CPU)
			v = pick_first(c, began);
		if (!v) {
			v = pick(c, began, &wake, &spare);
			answer_thief(c, spare);
		}

		if (!v) {
			if (!q->count && steal(c, &wake))
				continue; /* a vCPU was given: run it */
			idle_wait(wake);
			yielded_at = 0; /* idle time is no switch's */
			continue;
		}
		if (v->vm->state == VM_ENDED) {
			runq_remove(q, v);
			vcpu_finish(
			        v,
			        c); /* adds its time to busy_cycles before the VM counts as ended */
			yielded_at = 0; /* reporting an ended VM is no switch's either */
			continue;
		}
		/*
		 * Alone means the only vCPU placed here: one that waits (halted,
		 * for a SIPI) may be woken at any moment, and its wake-up IPI alone
		 * is not enough under Bochs (docs/bochs.md), so the runner keeps
		 * its slices and the scheduler looks again at each one's end.
		 */
		switch_to(v, q->count == 1, began);
		if (yielded_at) {
			q->switches++;
			q->switch_cycles += rdtsc() - yielded_at;
		}
		/* Sequentially consistent: vcpu_run's first look at what other vCPUs asked follows it. */
		__atomic_store_n(&this_cpu()->running, v, __ATOMIC_SEQ_CST);
		vcpu_run(v);
		__atomic_store_n(&this_cpu()->running, NULL, __ATOMIC_RELEASE);
		yielded_at = rdtsc();
		c->busy_cycles += yielded_at - began;
		if (v->vm->state == VM_ENDED)
			yielded_at = 0;
	}
}

/* Places every VM's vCPUs on the CPUs in VMX operation, in turn. */
void sched_start(void)
{
	uint32_t next = 0;

	for (uint32_t i = 0; i < MAX_CPUS; i++) {
		cpu_sched[i].thief = cpu_sched[i].asked = NO_CPU;
		if (percpu_area[i].online && percpu_area[i].vmx_on)
			sched_cpus[sched_cpu_count++] = i;
	}
	for (uint32_t i = 0; i < vm_count; i++) {
		for (uint32_t j = 0; j < vms[i].vcpu_count; j++) {
			struct vcpu *v = &vms[i].vcpus[j];

			v->cpu = sched_cpus[next++ % sched_cpu_count];
			/* The boot vCPU starts at the kernel's entry; the others wait for a SIPI. */
			v->state = j == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
			vcpu_events_reset(v, j == 0);
			runq_add(&cpu_sched[v->cpu].q, v);
		}
	}
	console_printf("umbra: sched: %u VMs (%u vCPUs) on %u CPUs\n", vm_count, next,
	               sched_cpu_count);
	started_at = rdtsc();
	__atomic_store_n(&started, true, __ATOMIC_RELEASE);
}

void sched_ap_wait_and_run(void)
{
	while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
		cpu_relax();
	sched_run_vms();
}

/*
 * Context switches per CPU: "umbra: sched cpu=N switches=S switch_cycles=C";
 * then for all CPUs, "umbra: sched all cpus=N migrations=M run_cycles=R
 * busy_cycles=B": vCPUs moved, the TSC from placement to the last VM's
 * end, and the TSC the CPUs spent on vCPUs (running them, ending their
 * VMs), added up: R * N / B is how much longer than that work needs on N
 * CPUs the VMs took, 1 when no CPU ever idled.
 */
static void report_switches(void)
{
	uint64_t migrations = 0, busy = 0;

	for (uint32_t i = 0; i < sched_cpu_count; i++) {
		const struct sched_cpu *c = &cpu_sched[sched_cpus[i]];

		if (c->q.switches)
			console_printf("umbra: sched cpu=%u switches=%lu switch_cycles=%lu\n",
			               sched_cpus[i], c->q.switches, c->q.switch_cycles);
		migrations += c->migrations;
		busy += c->busy_cycles;
	}
	console_printf("umbra: sched all cpus=%u migrations=%lu run_cycles=%lu busy_cycles=%lu\n",
	               sched_cpu_count, migrations, vm_count ? all_ended_at - started_at : 0, busy);
}

struct sched_result sched_wait_all(void)
{
	struct sched_result r = {vm_count + failed_to_create, 0, failed_to_create};

	while (__atomic_load_n(&ended_count, __ATOMIC_ACQUIRE) < vm_count ||
	       (vm_count && !__atomic_load_n(&all_ended_at, __ATOMIC_ACQUIRE)))
		cpu_relax();
	for (uint32_t i = 0; i < vm_count; i++) {
		if (vms[i].verdict == VM_PASS)
			r.pass++;
		else
			r.fail++;
	}
	report_totals();
	report_switches();
	/* Every VM, made or refused, gave back what it took: the leak check. */
	console_printf("umbra: host frames free: %lu before the VMs, %lu after\n",
	               frames_before_vms, phys_free_frames());
	return r;
}
