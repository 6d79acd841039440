/* How a VM ends, and where its guest-physical memory is. */
#include "vcpu/vm.h"

#include <stdio.h>
#include <string.h>

void *vm_gpa_to_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return (void *)(vm->ram_hpa + gpa);
}

static void vm_end(struct vm *vm, enum vm_verdict verdict, int64_t code)
{
	if (vm->state == VM_ENDED)
		return;
	vm->verdict = verdict;
	vm->exit_code = code;
	vm->state = VM_ENDED;
}

void vm_end_with_code(struct vm *vm, int64_t code, const char *how)
{
	snprintf(vm->end_reason, sizeof(vm->end_reason), "%s %ld", how, (long)code);
	vm_end(vm, code == 0 ? VM_PASS : VM_FAIL, code);
}

void vm_end_error(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (vm->state == VM_ENDED)
		return;
	va_start(ap, fmt);
	vsnprintf(vm->end_reason, sizeof(vm->end_reason), fmt, ap);
	va_end(ap);
	vm_end(vm, VM_ERROR, -1);
}
