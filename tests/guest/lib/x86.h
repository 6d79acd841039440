/*
 * CPU primitives for payloads: port I/O, CPUID, MSRs, control registers,
 * TSC, descriptor tables, interrupt flag.
 */
#ifndef GUEST_LIB_X86_H
#define GUEST_LIB_X86_H

#include <stdint.h>

#define CPUID_1_ECX_VMX          (1u << 5)
#define CPUID_1_ECX_X2APIC       (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR   (1u << 31)
#define CPUID_1_EDX_APIC         (1u << 9)

#define MSR_EFER  0xc0000080
#define RFLAGS_IF (1ULL << 9)
#define CR0_PG    (1ULL << 31)
#define CR0_PE    (1ULL << 0)

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
	                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
	                 : "a"(leaf), "c"(subleaf));
	return r;
}

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

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
	                 :
	                 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
	                 : "memory");
}

/* LFENCE on both sides keeps the loop being timed between the two reads. */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Plain RDTSC: for time stamps inside interrupt handlers and wait loops. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_rflags(void)
{
	uint64_t v;

	__asm__ volatile("pushfq; popq %0" : "=r"(v) : : "memory");
	return v;
}

/* Interrupts on / off (the "memory" clobber keeps accesses on their side). */
static inline void sti(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline void mfence(void)
{
	__asm__ volatile("mfence" : : : "memory");
}

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* A 64-bit IDT gate (SDM Vol. 3, 6.14.1); flags: type, DPL, P (GATE_INTERRUPT). */
struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint16_t flags;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};
#define GATE_INTERRUPT 0x8e00 /* present, DPL 0, 64-bit interrupt gate */

static inline struct idt_gate idt_gate(uint64_t addr, uint16_t selector, uint16_t flags)
{
	return (struct idt_gate){(uint16_t)addr,         selector, flags, (uint16_t)(addr >> 16),
	                         (uint32_t)(addr >> 32), 0};
}

static inline void lidt(const struct desc_ptr *p)
{
	__asm__ volatile("lidt %0" : : "m"(*p) : "memory");
}

static inline void sgdt(struct desc_ptr *p)
{
	__asm__ volatile("sgdt %0" : "=m"(*p) : : "memory");
}

static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
