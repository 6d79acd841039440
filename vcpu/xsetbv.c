/* XSETBV exits. */
#include "arch/x86/idt.h"
#include "arch/x86/cpu.h"
#include "vcpu/exits.h"
#include "vcpu/vm.h"

#define XCR0_X87 1ULL
#define XCR0_SSE 2ULL
#define XCR0_AVX 4ULL

void vcpu_exit_xsetbv(struct vcpu *v)
{
	uint64_t val = (v->gprs.rdx << 32) | (uint32_t)v->gprs.rax;
	struct cpuid_regs xs = cpuid_count(0xd, 0);
	uint64_t supported = ((uint64_t)xs.edx << 32) | xs.eax;

	/* SDM XSETBV: #GP for XCR != 0, x87 clear, AVX without SSE, unsupported bits. */
	if ((uint32_t)v->gprs.rcx != 0 || !(val & XCR0_X87) ||
	    ((val & XCR0_AVX) && !(val & XCR0_SSE)) || (val & ~supported) ||
	    !(read_cr4() & (1ULL << 18))) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return;
	}
	/* The hypervisor keeps no vector state: the guest's XCR0 can be live. */
	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
	vcpu_skip_instruction(v);
}
