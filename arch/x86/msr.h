/* Model-specific registers: numbers and access. */
#ifndef ARCH_X86_MSR_H
#define ARCH_X86_MSR_H

#include "arch/x86/x86_bits.h" /* EFER's bits */

#define MSR_IA32_TSC             0x10
#define MSR_IA32_APIC_BASE       0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_SYSENTER_CS     0x174
#define MSR_IA32_SYSENTER_ESP    0x175
#define MSR_IA32_SYSENTER_EIP    0x176
#define MSR_IA32_PAT             0x277
#define MSR_X2APIC_BASE          0x800
#define MSR_EFER                 0xc0000080
#define MSR_STAR                 0xc0000081
#define MSR_LSTAR                0xc0000082
#define MSR_CSTAR                0xc0000083
#define MSR_SFMASK               0xc0000084
#define MSR_FS_BASE              0xc0000100
#define MSR_GS_BASE              0xc0000101
#define MSR_KERNEL_GS_BASE       0xc0000102
#define MSR_TSC_AUX              0xc0000103

#define APIC_BASE_BSP    (1ULL << 8)
#define APIC_BASE_X2APIC (1ULL << 10)
#define APIC_BASE_ENABLE (1ULL << 11)

#ifndef __ASSEMBLER__
#include <stdint.h>

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
#endif

#endif
