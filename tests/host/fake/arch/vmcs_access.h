/* Host tests: the register cache reads and writes a fake VMCS the test defines. */
#ifndef ARCH_VMCS_ACCESS_H
#define ARCH_VMCS_ACCESS_H

#include <stdint.h>

uint64_t arch_vmcs_read(uint32_t field);
void arch_vmcs_write(uint32_t field, uint64_t value);

/* The real one reads both and counts them once: here, two reads. */
static inline void arch_vmcs_read2(uint32_t f1, uint64_t *v1, uint32_t f2, uint64_t *v2)
{
	*v1 = arch_vmcs_read(f1);
	*v2 = arch_vmcs_read(f2);
}

#endif
