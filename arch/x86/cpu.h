/* CPU primitives: CPUID, control registers, port I/O, TSC, halting. */
#ifndef ARCH_X86_CPU_H
#define ARCH_X86_CPU_H

#include <stdint.h>

#include "arch/x86/x86_bits.h"

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
	                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
	                 : "a"(leaf), "c"(subleaf));
	return r;
}

/*
 * CPUID on a guest's registers: it reads EAX and ECX alone and clears bits
 * 63:32 of RAX, RBX, RCX and RDX, so nothing needs zero-extending; RBX
 * goes through a scratch register, which spares the caller saving it.
 */
static inline void cpuid_to_regs(uint64_t leaf, uint64_t subleaf, uint64_t *rax, uint64_t *rbx,
                                 uint64_t *rcx, uint64_t *rdx)
{
	uint64_t a = leaf, b, c = subleaf, d;

	__asm__ volatile("xchgq %%rbx, %1\n\tcpuid\n\txchgq %%rbx, %1"
	                 : "+a"(a), "=&r"(b), "+c"(c), "=d"(d));
	*rax = a;
	*rbx = b;
	*rcx = c;
	*rdx = d;
}

static inline struct cpuid_regs cpuid(uint32_t leaf)
{
	return cpuid_count(leaf, 0);
}

#define DEFINE_CR_ACCESSORS(n)                                             \
	static inline uint64_t read_cr##n(void)                            \
	{                                                                  \
		uint64_t v;                                                \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}                                                                  \
	static inline void write_cr##n(uint64_t v)                         \
	{                                                                  \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

/* Debug registers: Umbra uses none; it switches the guests' (vcpu/guest_cpu_state.c). */
#define DEFINE_DR_ACCESSORS(n)                                             \
	static inline uint64_t read_dr##n(void)                            \
	{                                                                  \
		uint64_t v;                                                \
		__asm__ volatile("mov %%db" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}                                                                  \
	static inline void write_dr##n(uint64_t v)                         \
	{                                                                  \
		__asm__ volatile("mov %0, %%db" #n : : "r"(v) : "memory"); \
	}
DEFINE_DR_ACCESSORS(0)
DEFINE_DR_ACCESSORS(1)
DEFINE_DR_ACCESSORS(2)
DEFINE_DR_ACCESSORS(3)
DEFINE_DR_ACCESSORS(6)
#undef DEFINE_DR_ACCESSORS

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	/* 64-bit halves: RDTSC clears bits 63:32 of RAX and RDX, so no zero-extension is needed. */
	uint64_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/*
 * An IRET to the next instruction: ends the NMI blocking that a VM exit
 * caused by an NMI leaves in effect (SDM 27.1: blocked "only after the VM
 * exit completes"), as the NMI's own handler would have.
 */
static inline void nmi_unblock(void)
{
	__asm__ volatile("mov %%rsp, %%rax\n\t"
	                 "mov %%ss, %%ecx\n\t"
	                 "push %%rcx\n\t"
	                 "push %%rax\n\t"
	                 "pushfq\n\t"
	                 "mov %%cs, %%ecx\n\t"
	                 "push %%rcx\n\t"
	                 "lea 1f(%%rip), %%rax\n\t"
	                 "push %%rax\n\t"
	                 "iretq\n"
	                 "1:"
	                 :
	                 :
	                 : "rax", "rcx", "memory", "cc");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline uint64_t read_rflags(void)
{
	uint64_t v;

	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

/* Stops this CPU for good: interrupts off, then HLT forever (NMIs return here). */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

#endif
