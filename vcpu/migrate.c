/* Moving a vCPU between CPUs (see migrate.h). */
#include "vcpu/migrate.h"

#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "vcpu/vm.h"

void vcpu_migrate_out(struct vcpu *v)
{
	guest_cpu_state_save_out(v);
	loaded_vmcs_clear(&v->vmcs);
	nested_vcpu_release_vmcs(v);
	v->arrived = true;
}

void vcpu_migrate_in(struct vcpu *v)
{
	/*
	 * Translations cached under v's VPID or its VM's EPT01 on this CPU
	 * date from before v last left it; they would otherwise be used.
	 */
	if (cpu_has_vmx_invvpid_single())
		invvpid(INVVPID_SINGLE_CONTEXT, v->vpid, 0);
	else
		invvpid(INVVPID_ALL_CONTEXT, 0, 0);
	if (cpu_has_vmx_invept_single())
		invept(INVEPT_SINGLE_CONTEXT, ept_eptp(&v->vm->ept, false));
	else
		invept(INVEPT_ALL_CONTEXT, 0);
	nested_vcpu_arrive(v);
	v->arrived = false;
}
