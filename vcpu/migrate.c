/* Moving a vCPU between CPUs (see migrate.h). */
#include "vcpu/migrate.h"

#include "arch/x86/vmx/tlb_flush.h"
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
	flush_vpid_context(v->vpid);
	flush_ept_context(ept_eptp(&v->vm->ept, false));
	nested_vcpu_arrive(v);
	v->arrived = false;
}
