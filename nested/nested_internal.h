/* What the nested/ files share among themselves (not for the rest of Umbra). */
#ifndef NESTED_NESTED_INTERNAL_H
#define NESTED_NESTED_INTERNAL_H

#include <stdint.h>

#include "vcpu/vcpu.h"

/* VMsucceed / VMfail(error) (VMfailInvalid without a current VMCS), then past the instruction. */
void nested_vmx_succeed(struct vcpu *v);
void nested_vmx_fail(struct vcpu *v, uint32_t error);

/* Writes the cached vmcs12 back to the L1's region (if there is a current VMCS). */
void nested_vmcs12_flush(struct vcpu *v);

/* CR0/CR4 as L1 sees them (its read shadows under Umbra's masks); vmcs01 current. */
uint64_t nested_l1_cr0(struct vcpu *v);
uint64_t nested_l1_cr4(struct vcpu *v);

/* Invalidates the TLB entries of vpid02 (L2's). */
void nested_flush_vpid02(struct vcpu *v);

/* Makes `vmcs` the vCPU's current VMCS: register cache flushed and forgotten, slice re-armed. */
void nested_switch_vmcs(struct vcpu *v, struct loaded_vmcs *vmcs);

/* vmcs02.c: vmcs12's dirty fields into vmcs02 (current), Umbra's fixed ones the first time. */
void vmcs02_prepare(struct vcpu *v);

/*
 * The MSRs a guest reaches directly (vmcs_setup.c's passthrough set), read
 * or written for the guest on the current VMCS: by the MSR lists, and for
 * an L2 whose L1 does not intercept them. False if msr is not one of them
 * (or, for IA32_PAT, the value is invalid: #GP).
 */
bool nested_msr_passthrough(uint32_t msr, bool write, uint64_t *val);

/* nested_exit.c: the MSR-load list at guest-physical addr: 0, or the 1-based failing entry. */
uint32_t nested_load_msr_list(struct vcpu *v, uint64_t addr, uint32_t count);

#endif
