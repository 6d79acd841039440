/*
 * RDPMC exits. The counters are the host's, driven by whoever ran last, and
 * CPUID leaf 0xA shows a guest none: every RDPMC names a counter that does
 * not exist, which is #GP (SDM RDPMC), at any CPL and whatever CR4.PCE.
 */
#include "arch/x86/idt.h"
#include "vcpu/exits.h"
#include "vcpu/vcpu.h"

void vcpu_exit_rdpmc(struct vcpu *v)
{
	vcpu_inject_exception(v, VECTOR_GP, true, 0);
}
