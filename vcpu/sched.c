#include "vcpu/sched.h"

#include <stdio.h>
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/idt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/exit_reason.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/console.h"
#include "lib/phys_mem.h"
#include "vcpu/events.h"
#include "vcpu/guest_files.h"
#include "vcpu/runq.h"
#include "vcpu/slice.h"
#include "vcpu/vm.h"
#include "vcpu/vm_create.h"
#include "vcpu/vmcs_setup.h"

static struct vm vms[VM_MAX];
_Static_assert(VM_MAX >= BOOT_MAX_MODULES, "a VM for every module the boot keeps");
static uint32_t vm_count;
/* The CPUs in VMX operation, and the vCPUs placed on each (only it changes its queue). */
static uint32_t sched_cpus[MAX_CPUS], sched_cpu_count;
static struct runq runqs[MAX_CPUS];
static volatile uint32_t ended_count;
static volatile bool started;
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
		uint32_t cpu = vm->vcpus[i].cpu;

		if (cpu != this_cpu()->index)
			lapic_send_fixed(percpu_area[cpu].apic_id, VECTOR_WAKEUP);
	}
}

static void vm_finish(struct vm *vm)
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
	/* The last VM to end wakes the idle CPUs: the BSP prints the summary. */
	if (__atomic_add_fetch(&ended_count, 1, __ATOMIC_ACQ_REL) == vm_count)
		wake_other_cpus();
}

/* On v's CPU, after its VM ended: its VMCS is let go here; the last vCPU finishes the VM. */
static void vcpu_finish(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (!__atomic_exchange_n(&vm->kicked, true, __ATOMIC_ACQ_REL))
		vm_kick_vcpus(vm);
	guest_cpu_state_drop(v);
	loaded_vmcs_clear(&v->vmcs);
	nested_vcpu_release_vmcs(v);
	if (__atomic_add_fetch(&vm->vcpus_done, 1, __ATOMIC_ACQ_REL) == vm->vcpu_count)
		vm_finish(vm);
}

/*
 * Makes v's VMCS current here and starts its slice; the first time, sets it
 * up (the boot vCPU at the kernel's entry); after a SIPI, starts it there.
 */
static void switch_to(struct vcpu *v, bool alone)
{
	struct vm *vm = v->vm;

	loaded_vmcs_load(v->loaded);
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
	slice_begin(v, alone);
}

/*
 * The next vCPU here that can run, or whose VM has ended (to let go of it);
 * NULL if none. A vCPU that has just woken (an interrupt for its HLT, a
 * SIPI) goes first, once, without moving the turn: it used no CPU while it
 * waited, and whoever woke it (an AP start, an IPI) waits for it. *wake is
 * the soonest TSC at which a halted vCPU's timer makes it runnable.
 */
static struct vcpu *pick(struct runq *q, uint64_t *wake)
{
	uint64_t now = rdtsc();
	struct vcpu *found = NULL, *woken = NULL;

	*wake = UINT64_MAX;
	for (uint32_t i = 0; i < q->count; i++) {
		struct vcpu *v = runq_pick(q);
		bool ready = v->vm->state == VM_ENDED || vcpu_ready(v, now);

		if (ready && !found)
			found = v;
		if (ready && v->woken && !woken)
			woken = v;
		if (!ready && v->state == VCPU_HALTED && v->timer_next < *wake)
			*wake = v->timer_next;
	}
	if (woken) {
		woken->woken = false;
		return woken; /* the loop went once round: the turn is where it was */
	}
	/* Start the next turn after the one found. */
	while (found && q->v[(q->next + q->count - 1) % q->count] != found)
		runq_pick(q);
	return found;
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
	struct runq *q = &runqs[this_cpu()->index];
	uint64_t yielded_at = 0;

	slice_cpu_init();
	while (q->count) {
		uint64_t wake;
		struct vcpu *v;

		/* Cleared before looking: a vCPU woken from now on sets it again (events.c). */
		__atomic_store_n(&this_cpu()->resched, false, __ATOMIC_SEQ_CST);
		v = pick(q, &wake);

		if (!v) {
			idle_wait(wake);
			yielded_at = 0; /* idle time is no switch's */
			continue;
		}
		if (v->vm->state == VM_ENDED) {
			runq_remove(q, v);
			vcpu_finish(v);
			yielded_at = 0; /* reporting an ended VM is no switch's either */
			continue;
		}
		/*
		 * Alone means the only vCPU placed here: one that waits (halted,
		 * for a SIPI) may be woken at any moment, and its wake-up IPI alone
		 * is not enough under Bochs (docs/bochs.md), so the runner keeps
		 * its slices and the scheduler looks again at each one's end.
		 */
		switch_to(v, q->count == 1);
		if (yielded_at) {
			q->switches++;
			q->switch_cycles += rdtsc() - yielded_at;
		}
		/* Sequentially consistent: vcpu_run's first look at what other vCPUs asked follows it. */
		__atomic_store_n(&this_cpu()->running, v, __ATOMIC_SEQ_CST);
		vcpu_run(v);
		__atomic_store_n(&this_cpu()->running, NULL, __ATOMIC_RELEASE);
		yielded_at = v->vm->state == VM_ENDED ? 0 : rdtsc();
	}
	while (__atomic_load_n(&ended_count, __ATOMIC_ACQUIRE) < vm_count)
		idle_wait(UINT64_MAX);
}

/* Places every VM's vCPUs on the CPUs in VMX operation, in turn. */
void sched_start(void)
{
	uint32_t next = 0;

	for (uint32_t i = 0; i < MAX_CPUS; i++)
		if (percpu_area[i].online && percpu_area[i].vmx_on)
			sched_cpus[sched_cpu_count++] = i;
	for (uint32_t i = 0; i < vm_count; i++) {
		for (uint32_t j = 0; j < vms[i].vcpu_count; j++) {
			struct vcpu *v = &vms[i].vcpus[j];

			v->cpu = sched_cpus[next++ % sched_cpu_count];
			/* The boot vCPU starts at the kernel's entry; the others wait for a SIPI. */
			v->state = j == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
			vcpu_events_reset(v, j == 0);
			runq_add(&runqs[v->cpu], v);
		}
	}
	console_printf("umbra: sched: %u VMs (%u vCPUs) on %u CPUs\n", vm_count, next,
	               sched_cpu_count);
	__atomic_store_n(&started, true, __ATOMIC_RELEASE);
}

void sched_ap_wait_and_run(void)
{
	while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
		cpu_relax();
	sched_run_vms();
}

/* Context switches per CPU: "umbra: sched cpu=N switches=S switch_cycles=C". */
static void report_switches(void)
{
	for (uint32_t i = 0; i < sched_cpu_count; i++) {
		const struct runq *q = &runqs[sched_cpus[i]];

		if (q->switches)
			console_printf("umbra: sched cpu=%u switches=%lu switch_cycles=%lu\n",
			               sched_cpus[i], q->switches, q->switch_cycles);
	}
}

struct sched_result sched_wait_all(void)
{
	struct sched_result r = {vm_count + failed_to_create, 0, failed_to_create};

	while (__atomic_load_n(&ended_count, __ATOMIC_ACQUIRE) < vm_count)
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
