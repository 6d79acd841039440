/* VMCALL: the hypercalls of abi/umbra_abi.h. */
#include <string.h>

#include "vcpu/exits.h"
#include "vcpu/vm.h"

static int64_t hc_console_write(struct vm *vm, uint64_t gpa, uint64_t len)
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

static int64_t hc_exit_stats(struct vm *vm, uint64_t gpa, uint64_t size)
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

void vcpu_exit_hypercall(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t nr = v->gprs.rax, a1 = v->gprs.rbx, a2 = v->gprs.rcx;
	int64_t ret;

	/* A nested-enabled VM's VMCALL that is no hypercall is the SDM's VMCALL. */
	if (__builtin_expect(v->nested.enabled, 0) && nested_vmcall(v))
		return;
	if (vcpu_cpl(v) != 0) {
		ret = UMBRA_EPERM;
	} else {
		switch (nr) {
		case UMBRA_HC_CONSOLE_WRITE: ret = hc_console_write(vm, a1, a2); break;
		case UMBRA_HC_EXIT:
			vm_end_with_code(vm, (int64_t)a1, "hypercall exit code");
			return;
		case UMBRA_HC_EXIT_STATS: ret = hc_exit_stats(vm, a1, a2); break;
		case UMBRA_HC_VERSION: ret = UMBRA_ABI_VERSION; break;
		default: ret = UMBRA_ENOSYS;
		}
	}
	v->gprs.rax = (uint64_t)ret;
	vcpu_skip_instruction(v);
}
