/*
 * An EPT violation on a guest-physical address a device emulates (the
 * xAPIC page, the empty bus): the instruction at the guest's RIP, fetched
 * through the guest's page tables and decoded, then finished once the
 * device has answered.
 */
#ifndef VCPU_MMIO_ACCESS_H
#define VCPU_MMIO_ACCESS_H

#include <stdint.h>

#include "vcpu/mmio_decode.h"

struct vcpu;

/*
 * Decodes the accessing instruction into *insn: 0, or -1 when it cannot be
 * fetched or is not one Umbra emulates; the VM has then ended with a
 * reason naming `what` (the device).
 */
int vcpu_mmio_decode(struct vcpu *v, const char *what, struct mmio_insn *insn);
/* The value a write stores (its immediate or its register's bits). */
uint64_t vcpu_mmio_store_value(struct vcpu *v, const struct mmio_insn *insn);
/* A read's value into its register (zero- or sign-extended as the instruction says). */
void vcpu_mmio_load(struct vcpu *v, const struct mmio_insn *insn, uint64_t val);
/* RIP past the instruction. */
void vcpu_mmio_done(struct vcpu *v, const struct mmio_insn *insn);

/*
 * A read or write at an address with nothing behind it (outside RAM and
 * every emulated device): reads are all ones, writes go nowhere, as on a
 * PC; noted in the VM's report. With strict=1, or for an instruction
 * fetch, the VM ends naming the address. qual: the EPT violation's.
 */
void vcpu_empty_mmio(struct vcpu *v, uint64_t gpa, uint64_t qual);

#endif
