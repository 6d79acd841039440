/* A vCPU's general registers as vmenter.S saves them (RSP lives in the VMCS). */
#ifndef ARCH_X86_VMX_GUEST_GPRS_H
#define ARCH_X86_VMX_GUEST_GPRS_H

#include <stdint.h>

/* Ordered by x86 register number, so an instruction's register field indexes it. */
struct guest_gprs {
	uint64_t rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

#define GUEST_GPR_COUNT 16

static inline uint64_t *guest_gpr(struct guest_gprs *g, unsigned int n)
{
	return &(&g->rax)[n & 15];
}

#endif
