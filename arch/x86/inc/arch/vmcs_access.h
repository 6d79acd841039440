/*
 * The register cache's access to the current VMCS (vcpu/reg_cache.h),
 * inline: it is on every exit's path. The host tests put a fake VMCS here
 * instead (tests/host/fake/arch/vmcs_access.h), by include path.
 */
#ifndef ARCH_VMCS_ACCESS_H
#define ARCH_VMCS_ACCESS_H

#include <stdint.h>

#include "arch/x86/vmx/vmx_ops.h"

static inline uint64_t arch_vmcs_read(uint32_t field)
{
	return __vmcs_read(field);
}

/* Two VMREADs counted in one add: the exit path's RIP and instruction length. */
static inline void arch_vmcs_read2(uint32_t f1, uint64_t *v1, uint32_t f2, uint64_t *v2)
{
	*v1 = vmcs_read_uncounted(f1);
	*v2 = vmcs_read_uncounted(f2);
	vmx_count_reads(2);
}

static inline void arch_vmcs_write(uint32_t field, uint64_t value)
{
	__vmcs_write(field, value);
}

#endif
