/* How a VM ends, and where its guest-physical memory is. */
#include "vcpu/vm.h"

#include <stdio.h>
#include <string.h>

#include "lib/phys_mem.h"

/* The first way a VM ends is the one it keeps (its vCPUs may race to end it). */
static bool vm_end_begin(struct vm *vm)
{
	spin_lock(&vm->lock);
	if (vm->state == VM_ENDED) {
		spin_unlock(&vm->lock);
		return false;
	}
	return true;
}

static void vm_end_commit(struct vm *vm, enum vm_verdict verdict, int64_t code)
{
	vm->verdict = verdict;
	vm->exit_code = code;
	__atomic_store_n(&vm->state, VM_ENDED, __ATOMIC_RELEASE);
	spin_unlock(&vm->lock);
}

void vm_note_unknown(struct vm *vm, enum unknown_kind kind, uint64_t where)
{
	spin_lock(&vm->lock);
	unknown_note(&vm->unknown, kind, where);
	spin_unlock(&vm->lock);
}

void vm_end_with_code(struct vm *vm, int64_t code, const char *how)
{
	if (!vm_end_begin(vm))
		return;
	snprintf(vm->end_reason, sizeof(vm->end_reason), "%s %ld", how, (long)code);
	vm_end_commit(vm, code == 0 ? VM_PASS : VM_FAIL, code);
}

void vm_end_error(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (!vm_end_begin(vm))
		return;
	va_start(ap, fmt);
	vsnprintf(vm->end_reason, sizeof(vm->end_reason), fmt, ap);
	va_end(ap);
	vm_end_commit(vm, VM_ERROR, -1);
}

void vm_stats_add(struct umbra_exit_stats *to, const struct umbra_exit_stats *from)
{
	to->total_exits += from->total_exits;
	for (uint32_t r = 0; r < UMBRA_EXIT_REASONS; r++) {
		struct umbra_exit_counts *t = &to->reason[r];
		const struct umbra_exit_counts *c = &from->reason[r];

		t->exits += c->exits;
		t->vmreads += c->vmreads;
		t->vmwrites += c->vmwrites;
		t->vmwrites_skipped += c->vmwrites_skipped;
		t->l0_cycles += c->l0_cycles;
		t->control_vmwrites += c->control_vmwrites;
	}
}

void vm_stats(const struct vm *vm, struct umbra_exit_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->version = UMBRA_ABI_VERSION;
	out->reasons = UMBRA_EXIT_REASONS;
	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		vm_stats_add(out, &vm->vcpus[i].stats);
}

void vm_free(struct vm *vm)
{
	struct frame_alloc *fa = phys_lock();

	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		loaded_vmcs_free(&vm->vcpus[i].vmcs, fa);
		guest_cpu_state_free(&vm->vcpus[i].cpu_state, fa);
		nested_vcpu_free(&vm->vcpus[i], fa);
	}
	ept_destroy(&vm->ept, fa);
	phys_unlock(fa);
	if (hpa_val(vm->ram_hpa))
		phys_free(hpa_val(vm->ram_hpa), vm->ram_size / FRAME_SIZE);
	vm->ram_hpa = hpa_of(0);
}
