/*
 * RDTSC and RDTSCP exits. Only slices ended by the TSC-deadline timer ask
 * for them (slice.c): the guest reads the TSC it would have read, vmcs01's
 * offset added; the guest's TSC_AUX is the live MSR while it runs.
 */
#include "vcpu/exits.h"
#include "vcpu/vcpu.h"

void vcpu_exit_rdtsc(struct vcpu *v, bool rdtscp)
{
	uint32_t lo, hi, aux = 0;

	if (rdtscp)
		__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	else
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	uint64_t tsc = (((uint64_t)hi << 32) | lo) + v->msrs.tsc_offset;

	v->gprs.rax = (uint32_t)tsc;
	v->gprs.rdx = tsc >> 32;
	if (rdtscp)
		v->gprs.rcx = aux;
	vcpu_skip_instruction(v);
}
