/*
 * Instructions Umbra runs on a value it did not choose (a guest's XCR0):
 * hardware may refuse the value with a fault. Each such instruction has an
 * entry here, and a fault at it resumes after it with an error instead of
 * panicking the host (exception.c).
 */
#ifndef ARCH_X86_EXTABLE_H
#define ARCH_X86_EXTABLE_H

#include <stdint.h>

struct extable_entry {
	uint64_t insn;   /* the instruction that may fault */
	uint64_t resume; /* where a fault there goes on */
};

/* Where a fault at rip resumes; 0 if rip is no listed instruction. */
uint64_t extable_resume(uint64_t rip);

/* XSETBV that returns -1 instead of faulting (#GP on a value the CPU refuses), else 0. */
static inline int xsetbv_checked(uint32_t xcr, uint64_t val)
{
	int err;

	__asm__ volatile("1: xsetbv\n\t"
	                 "xorl %0, %0\n"
	                 "2:\n\t"
	                 ".pushsection .extable, \"a\"\n\t"
	                 ".balign 8\n\t"
	                 ".quad 1b, 2b\n\t"
	                 ".popsection"
	                 : "=r"(err)
	                 : "0"(-1), "c"(xcr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
	                 : "memory");
	return err;
}

#endif
