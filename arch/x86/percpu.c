#include "arch/x86/percpu.h"

#include "arch/x86/msr.h"

struct percpu percpu_area[MAX_CPUS];
uint32_t percpu_count;

struct percpu *percpu_setup(uint32_t index)
{
	struct percpu *p = &percpu_area[index];

	p->self = p;
	p->index = index;
	p->vmx_acct = &p->vmx_acct_unattributed;
	wrmsr(MSR_GS_BASE, (uint64_t)p);
	return p;
}

bool percpu_ready(void)
{
	return rdmsr(MSR_GS_BASE) != 0;
}

uint32_t this_cpu_index_safe(void)
{
	if (!percpu_ready())
		return 0;
	return this_cpu()->index;
}
