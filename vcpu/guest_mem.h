/*
 * A vCPU's memory as its current guest sees it: through its page tables
 * (guest_walk.h) onto the VM's RAM. For exit handlers that read or write
 * an instruction's operand (MMIO, the VMX instructions of an L1).
 */
#ifndef VCPU_GUEST_MEM_H
#define VCPU_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "vcpu/guest_walk.h"
#include "vcpu/vcpu.h"

/* The paging state of the guest on the current VMCS. */
void vcpu_guest_paging(struct vcpu *v, struct guest_paging *p);

/* guest_walk()'s read64 over the VM's RAM (ctx: the struct vm): L1's physical memory. */
bool vcpu_read_guest64(void *ctx, uint64_t gpa, uint64_t *val);

/*
 * The physical memory of the guest on the current VMCS: the VM's RAM, or
 * for an L2 with EPT, its guest-physical space through L1's EPT12. NULL
 * if gpa is not RAM there (or [gpa, gpa + len) crosses a page of L2's).
 */
void *vcpu_gpa_to_ptr(struct vcpu *v, uint64_t gpa, uint64_t len);
/* guest_walk()'s read64 over that memory (ctx: the struct vcpu). */
bool vcpu_guest_read64(void *ctx, uint64_t gpa, uint64_t *val);

/*
 * PAE paging outside IA-32e mode: VM entry takes the PDPTEs from the VMCS,
 * so a paging change the CPU would load them on loads them here, from the
 * current guest's CR3 (SDM 4.4.1). False if that is not RAM.
 */
bool vcpu_load_pdptes(struct vcpu *v);

/*
 * Copies len bytes from or to guest linear address la, a page at a time.
 * 0, or a guest_walk() error (GUEST_WALK_ACCESSOR when a page is not RAM).
 */
int vcpu_linear_read(struct vcpu *v, uint64_t la, void *buf, size_t len);
int vcpu_linear_write(struct vcpu *v, uint64_t la, const void *buf, size_t len);

/*
 * The fault a failed access gives the guest: #PF (CR2 = la) for a paging
 * failure, #GP(0) for a non-canonical address or memory that is not RAM.
 */
void vcpu_inject_access_fault(struct vcpu *v, uint64_t la, int rc, enum guest_access acc);

#endif
