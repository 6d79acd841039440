/* Building a vCPU's VMCS: controls, host state, and the guest's entry state. */
#ifndef VCPU_VMCS_SETUP_H
#define VCPU_VMCS_SETUP_H

#include <stdint.h>

#include "arch/x86/cpu.h"
#include "vcpu/vcpu.h"

/*
 * Guest CR0/CR4 bits Umbra owns (guest/host masks): paging changes need the
 * IA-32e entry control kept in step; NE and VMXE are forced on underneath.
 */
#define VMCS_CR0_HOST_OWNED (CR0_PG | CR0_NE)
#define VMCS_CR4_HOST_OWNED CR4_VMXE

/* The controls and bitmaps every vmcs01 gets (vmcs02 starts from them too). */
struct vmcs_base {
	uint32_t pin, exec, secondary, exit, entry;
	uint64_t io_bitmap_a, io_bitmap_b, msr_bitmap;
};
const struct vmcs_base *vmcs_base(void);

/* BSP, once: the controls every VM gets, adjusted to this CPU, and the shared bitmaps. */
int vmcs_setup_global(void);

/* The vCPU's VMCS must be current: its controls (shadowed setters) and this CPU's host state. */
void vmcs_setup_vcpu(struct vcpu *v);

/* The current VMCS's host state: this CPU's, and Umbra's exit path. */
void vmcs_setup_host_state(struct loaded_vmcs *vmcs);

/*
 * Guest state, written straight to the current VMCS (the register cache is
 * reset). A Multiboot entry: 32-bit flat protected mode, paging off,
 * EIP = entry, EAX = magic, EBX = info.
 */
void vmcs_guest_multiboot(struct vcpu *v, uint32_t entry, uint32_t magic, uint32_t info_gpa);
/* An AP after INIT and a SIPI: real mode, CS:IP = vector << 8 : 0. */
void vmcs_guest_sipi(struct vcpu *v, uint8_t vector);

/* Guest MSRs a VM may use directly (the bitmap lets them through). */
void vmcs_msr_bitmap_allow(uint32_t msr, bool read, bool write);

#endif
