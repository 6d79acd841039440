/*
 * The guest's ways into its virtual local APIC: xAPIC MMIO (its page is not
 * in the VM's EPT, so an access is an EPT violation, and the instruction is
 * fetched through the guest's page tables and decoded) and the MSRs
 * (IA32_APIC_BASE, IA32_TSC_DEADLINE, x2APIC 0x800-0x8FF).
 */
#ifndef VCPU_LAPIC_ACCESS_H
#define VCPU_LAPIC_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/vcpu.h"

/* An EPT violation at gpa: emulates it if it is the xAPIC page. False if it is not. */
bool vcpu_lapic_mmio(struct vcpu *v, uint64_t gpa);

/* An MSR exit: handles it (result or #GP) if the MSR is the APIC's. False if it is not. */
bool vcpu_lapic_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val);

/* MOV from/to CR8: the TPR's priority class (bits 7:4), in 64-bit mode. */
uint64_t vcpu_lapic_cr8(struct vcpu *v);
void vcpu_lapic_set_cr8(struct vcpu *v, uint64_t cr8);

#endif
