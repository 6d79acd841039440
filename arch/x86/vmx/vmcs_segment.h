/*
 * A guest segment register's four VMCS fields, written inline and
 * uncounted (the caller counts them: vmx_count_writes) as a batch
 * (vmx_ops.h), for vmcs_write_segment and the nested exit, which writes
 * several segments in a row.
 */
#ifndef ARCH_X86_VMX_VMCS_SEGMENT_H
#define ARCH_X86_VMX_VMCS_SEGMENT_H

#include <stdint.h>

#include "arch/x86/vmx/vmcs_fields.h"
#include "arch/x86/vmx/vmx_ops.h"

/*
 * sel_field: GUEST_xS_SELECTOR. Four VMWRITEs to the current VMCS, in a
 * batch: failures are found by the batch's vmx_batch_check().
 */
static inline void vmcs_write_segment_batched(uint32_t sel_field, uint16_t sel, uint64_t base,
                                              uint32_t limit, uint32_t ar)
{
	/* Selector, base, limit and AR fields of one segment are 2 apart in each group. */
	uint32_t i = (sel_field - GUEST_ES_SELECTOR) / 2;

	vmcs_write_batched(GUEST_ES_SELECTOR + 2 * i, sel);
	vmcs_write_batched(GUEST_ES_BASE + 2 * i, base);
	vmcs_write_batched(GUEST_ES_LIMIT + 2 * i, limit);
	vmcs_write_batched(GUEST_ES_AR_BYTES + 2 * i, ar);
}

#endif
