/* Building a vCPU's VMCS: controls, host state, and the guest's entry state. */
#ifndef VCPU_VMCS_SETUP_H
#define VCPU_VMCS_SETUP_H

#include <stdint.h>

#include "vcpu/vcpu.h"

/* BSP, once: the controls every VM gets, adjusted to this CPU, and the shared bitmaps. */
int vmcs_setup_global(void);

/*
 * The vCPU's VMCS must be current. Writes controls (through the shadowed
 * setters), this CPU's host state, and the guest state of a Multiboot
 * entry: 32-bit flat protected mode, paging off, EIP = entry,
 * EAX = magic, EBX = info.
 */
void vmcs_setup_vcpu(struct vcpu *v, uint32_t entry, uint32_t magic, uint32_t info_gpa);

/* Guest MSRs a VM may use directly (the bitmap lets them through). */
void vmcs_msr_bitmap_allow(uint32_t msr, bool read, bool write);

#endif
