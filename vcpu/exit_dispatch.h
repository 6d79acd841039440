/*
 * What a VM exit of a vCPU's own guest (L1, or L2 where Umbra keeps the
 * exit) leads to: the cached exit reason picks the handler.
 */
#ifndef VCPU_EXIT_DISPATCH_H
#define VCPU_EXIT_DISPATCH_H

#include <stdint.h>

struct vcpu;

void vcpu_handle_exit(struct vcpu *v);

/*
 * An access of the guest to guest-physical gpa that is not RAM (EPT
 * violation qualification qual): its local APIC or I/O APIC, else the
 * empty bus. Also L2's accesses that L1's EPT12 sends to L1's devices.
 */
void vcpu_mmio_access(struct vcpu *v, uint64_t gpa, uint64_t qual);

#endif
