/* Host tests: the register cache reads and writes a fake VMCS the test defines. */
#ifndef ARCH_VMCS_ACCESS_H
#define ARCH_VMCS_ACCESS_H

#include <stdint.h>

uint64_t arch_vmcs_read(uint32_t field);
void arch_vmcs_write(uint32_t field, uint64_t value);

#endif
