#include "vcpu/sched.h"

#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/exit.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/console.h"
#include "lib/phys_mem.h"
#include "vcpu/runq.h"
#include "vcpu/slice.h"
#include "vcpu/vm.h"
#include "vcpu/vm_create.h"
#include "vcpu/vmcs_setup.h"

static struct vm vms[VM_MAX];
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

static void vm_report(struct vm *vm)
{
	for (uint32_t r = 0; r < UMBRA_EXIT_REASONS; r++)
		if (vm->stats.reason[r].exits)
			print_counts(vm->name, r, &vm->stats.reason[r]);
	console_printf("umbra: vm %s exit=%ld verdict=%s reason=%s\n", vm->name,
	               (long)vm->exit_code, verdict_name(vm->verdict), vm->end_reason);
}

/* Every VM's statistics added up, per exit reason. */
static void report_totals(void)
{
	for (uint32_t r = 0; r < UMBRA_EXIT_REASONS; r++) {
		struct umbra_exit_counts t = {0, 0, 0, 0, 0, 0};

		for (uint32_t i = 0; i < vm_count; i++) {
			const struct umbra_exit_counts *c = &vms[i].stats.reason[r];

			t.exits += c->exits;
			t.vmreads += c->vmreads;
			t.vmwrites += c->vmwrites;
			t.vmwrites_skipped += c->vmwrites_skipped;
			t.l0_cycles += c->l0_cycles;
			t.control_vmwrites += c->control_vmwrites;
		}
		if (t.exits)
			print_counts(NULL, r, &t);
	}
}

void sched_create_vms(const struct boot_info *bi)
{
	char err[VM_REASON_MAX];

	for (uint32_t i = 0; i < bi->module_count; i++) {
		struct vm *vm = &vms[vm_count];

		if (vm_count == VM_MAX) {
			console_printf("umbra: module %u not run: Umbra runs at most %u VMs\n", i,
			               VM_MAX);
			continue;
		}
		if (vm_create(vm, vm_count, &bi->modules[i], err, sizeof(err)) < 0) {
			console_printf("umbra: error: module %u ('%s'): %s\n", i,
			               bi->modules[i].cmdline, err);
			vm_end_error(vm, "bad module: %s", err);
			vm_report(vm);
			failed_to_create++;
			continue;
		}
		console_printf("umbra: vm %s: %lu MiB RAM at 0x%lx, entry 0x%x (Multiboot%u), boot "
		               "info at 0x%x\n",
		               vm->name, (unsigned long)(vm->ram_size >> 20), vm->ram_hpa,
		               vm->entry, vm->entry_magic == 0x36d76289u ? 2 : 1, vm->entry_info);
		vm_count++;
	}
}

static void vm_release(struct vm *vm)
{
	struct frame_alloc *fa;

	loaded_vmcs_clear(&vm->vcpu.vmcs);
	fa = phys_lock();
	loaded_vmcs_free(&vm->vcpu.vmcs, fa);
	ept_destroy(&vm->ept, fa);
	phys_unlock(fa);
	phys_free(vm->ram_hpa, vm->ram_size / FRAME_SIZE);
}

/* Every CPU that runs vCPUs, except this one. */
static void wake_other_cpus(void)
{
	for (uint32_t i = 0; i < sched_cpu_count; i++)
		if (sched_cpus[i] != this_cpu()->index)
			lapic_send_fixed(percpu_area[sched_cpus[i]].apic_id, VECTOR_WAKEUP);
}

/* On the CPU that ran the VM's vCPU (its VMCS is active there). */
static void vm_finish(struct vm *vm)
{
	const struct loaded_vmcs *c = &vm->vcpu.vmcs;

	vm_console_flush(vm);
	vm_report(vm);
	console_printf("umbra: vmcs %s control_vmwrites pin=%u exec=%u secondary=%u entry=%u "
	               "exit=%u spurious_timer_exits=%lu\n",
	               vm->name, c->control_writes.pin, c->control_writes.exec,
	               c->control_writes.secondary_exec, c->control_writes.entry,
	               c->control_writes.exit, vm->vcpu.spurious_timer_exits);
	vm_release(vm);
	/* The last VM to end wakes the idle CPUs: the BSP prints the summary. */
	if (__atomic_add_fetch(&ended_count, 1, __ATOMIC_ACQ_REL) == vm_count)
		wake_other_cpus();
}

/* Makes v's VMCS current here and starts its slice; the first time, sets it up. */
static void switch_to(struct vcpu *v, bool alone)
{
	struct vm *vm = v->vm;

	loaded_vmcs_load(&v->vmcs);
	if (!v->vmcs.launched && !v->set_up) {
		vmcs_setup_vcpu(v, vm->entry, vm->entry_magic, vm->entry_info);
		v->set_up = true;
	}
	slice_begin(v, alone);
}

/* Nothing to run here: halt until an interrupt (a wake-up IPI) says otherwise. */
static void idle_until_all_ended(void)
{
	while (__atomic_load_n(&ended_count, __ATOMIC_ACQUIRE) < vm_count)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void sched_run_vms(void)
{
	struct runq *q = &runqs[this_cpu()->index];
	uint64_t yielded_at = 0;

	slice_cpu_init();
	while (q->count) {
		struct vcpu *v = runq_pick(q);

		switch_to(v, q->count == 1);
		if (yielded_at) {
			q->switches++;
			q->switch_cycles += rdtsc() - yielded_at;
		}
		vcpu_run(v);
		yielded_at = 0;
		if (v->vm->state == VM_ENDED) {
			runq_remove(q, v);
			vm_finish(v->vm);
			continue;
		}
		yielded_at = rdtsc();
	}
	idle_until_all_ended();
}

/* Places the VMs' vCPUs on the CPUs in VMX operation, in turn. */
void sched_start(void)
{
	for (uint32_t i = 0; i < MAX_CPUS; i++)
		if (percpu_area[i].online && percpu_area[i].vmx_on)
			sched_cpus[sched_cpu_count++] = i;
	for (uint32_t i = 0; i < vm_count; i++) {
		struct vcpu *v = &vms[i].vcpu;

		v->cpu = sched_cpus[i % sched_cpu_count];
		runq_add(&runqs[v->cpu], v);
	}
	console_printf("umbra: sched: %u VMs on %u CPUs\n", vm_count, sched_cpu_count);
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
	return r;
}
