/*
 * Host tests: the TSC and CR3 are variables the test sets (fake_tsc,
 * fake_cr3); the constants and every other primitive are the real header's.
 */
#ifndef FAKE_ARCH_X86_CPU_H
#define FAKE_ARCH_X86_CPU_H

#include <stdint.h>

#define rdtsc    hw_rdtsc
#define read_cr3 hw_read_cr3
#include_next "arch/x86/cpu.h"
#undef rdtsc
#undef read_cr3

extern uint64_t fake_tsc, fake_cr3;

static inline uint64_t rdtsc(void)
{
	return fake_tsc;
}

static inline uint64_t read_cr3(void)
{
	return fake_cr3;
}

#endif
