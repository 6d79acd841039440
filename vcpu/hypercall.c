/* VMCALL: the hypercalls of abi/umbra_abi.h. */
#include <string.h>

#include "vcpu/exits.h"
#include "vcpu/vm.h"

static __attribute__((noinline)) int64_t hc_console_write(struct vm *vm, uint64_t gpa, uint64_t len)
{
	const char *p;

	if (len > UMBRA_CONSOLE_WRITE_MAX)
		return UMBRA_EINVAL;
	if (len == 0)
		return 0;
	p = vm_gpa_to_ptr(vm, gpa_of(gpa), len);
	if (!p)
		return UMBRA_EFAULT;
	for (uint64_t i = 0; i < len; i++)
		vm_console_putc(vm, p[i]);
	return (int64_t)len;
}

static __attribute__((noinline)) int64_t hc_exit_stats(struct vm *vm, uint64_t gpa, uint64_t size)
{
	struct umbra_exit_stats *p;

	if (size < sizeof(*p))
		return UMBRA_EINVAL;
	p = vm_gpa_to_ptr(vm, gpa_of(gpa), sizeof(*p));
	if (!p)
		return UMBRA_EFAULT;
	vm_stats(vm, p);
	return 0;
}

/* The hypercall's result for RAX; false if it ended the VM (nothing returns to it). */
static __attribute__((noinline)) bool hypercall(struct vcpu *v, int64_t *ret)
{
	struct vm *vm = v->vm;
	uint64_t a1 = v->gprs.rbx, a2 = v->gprs.rcx;

	switch (v->gprs.rax) {
	case UMBRA_HC_CONSOLE_WRITE: *ret = hc_console_write(vm, a1, a2); return true;
	case UMBRA_HC_EXIT: vm_end_with_code(vm, (int64_t)a1, "hypercall exit code"); return false;
	case UMBRA_HC_EXIT_STATS: *ret = hc_exit_stats(vm, a1, a2); return true;
	default: *ret = UMBRA_ENOSYS; return true;
	}
}

void vcpu_exit_hypercall(struct vcpu *v)
{
	/* A nested-enabled VM's VMCALL that is no hypercall is the SDM's VMCALL. */
	if (__builtin_expect(v->nested.enabled, 0) && nested_vmcall(v))
		return;
	/* The version first: a guest's cheapest question, and the exit benchmark's. */
	if (vcpu_cpl(v) != 0) {
		v->gprs.rax = (uint64_t)UMBRA_EPERM;
	} else if (v->gprs.rax == UMBRA_HC_VERSION) {
		v->gprs.rax = UMBRA_ABI_VERSION;
	} else {
		int64_t ret;

		if (!hypercall(v, &ret))
			return;
		v->gprs.rax = (uint64_t)ret;
	}
	vcpu_skip_instruction(v);
}
