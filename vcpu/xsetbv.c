/* XSETBV exits: the guest's XCR0, checked by the SDM's rules before the CPU sees it. */
#include "arch/x86/idt.h"
#include "vcpu/exits.h"
#include "vcpu/guest_cpu_state.h"
#include "vcpu/vm.h"

void vcpu_exit_xsetbv(struct vcpu *v)
{
	uint64_t val = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;

	/*
	 * #UD for CR4.OSXSAVE = 0 comes before the exit (the guest's CR4 is
	 * live); #GP for CPL > 0, XCR != 0 and a value the rules refuse.
	 */
	if (vcpu_cpl(v) != 0 || (uint32_t)v->gprs.rcx != 0 ||
	    guest_cpu_state_set_xcr0(v, val) < 0) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return;
	}
	vcpu_skip_instruction(v);
}
