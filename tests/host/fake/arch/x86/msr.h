/*
 * Host tests: RDMSR and WRMSR reach fake_msr_read/fake_msr_write (the test's
 * MSRs); the MSR numbers and bits are the real header's.
 */
#ifndef FAKE_ARCH_X86_MSR_H
#define FAKE_ARCH_X86_MSR_H

#include <stdint.h>

#define rdmsr hw_rdmsr
#define wrmsr hw_wrmsr
#include_next "arch/x86/msr.h"
#undef rdmsr
#undef wrmsr

uint64_t fake_msr_read(uint32_t msr);
void fake_msr_write(uint32_t msr, uint64_t v);

static inline uint64_t rdmsr(uint32_t msr)
{
	return fake_msr_read(msr);
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	fake_msr_write(msr, v);
}

#endif
