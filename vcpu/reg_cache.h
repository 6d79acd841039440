/*
 * The vCPU register cache: guest state that lives in the VMCS, read with a
 * VMREAD only when an exit handler asks for it, and written back only if
 * a handler changed it.
 *
 *   avail: the cached value is the VMCS's (read since the last exit, or
 *          written by a handler);
 *   dirty: the cached value must reach the VMCS before the next VM entry.
 *
 * dirty implies avail (avail=0 with dirty=1 is invalid: a value that was
 * never read cannot be newer than the VMCS). reg_cache_flush() writes the
 * dirty registers and clears dirty before VM entry; reg_cache_after_exit()
 * clears avail, since the guest ran and every value may have changed.
 *
 * The exit-information registers are read-only: writing one is a bug.
 */
#ifndef VCPU_REG_CACHE_H
#define VCPU_REG_CACHE_H

#include <stdbool.h>
#include <stdint.h>

enum reg_id {
	/* Guest state: readable and writable. */
	REG_RIP,
	REG_RSP,
	REG_RFLAGS,
	REG_CR0,
	REG_CR3,
	REG_CR4,
	/* Exit information: read-only. */
	REG_EXIT_QUALIFICATION,
	REG_EXIT_INSTRUCTION_LEN,
	REG_EXIT_INTR_INFO,
	REG_GUEST_PHYSICAL_ADDRESS,
	REG_COUNT
};

#define REG_BIT(r)    (1u << (r))
#define REG_ALL       (REG_BIT(REG_COUNT) - 1)
#define REG_READ_ONLY (REG_ALL & ~(REG_BIT(REG_EXIT_QUALIFICATION) - 1))

struct reg_cache {
	uint32_t avail, dirty;
	uint64_t val[REG_COUNT];
};

/* Arch hooks: a field of the current VMCS (arch/x86/vmx/vmcs.c, or a test fake). */
uint64_t arch_vmcs_read(uint32_t field);
void arch_vmcs_write(uint32_t field, uint64_t value);

/* The VMCS field that holds a register. */
uint32_t reg_cache_field(enum reg_id r);

/* Forgets everything: for a VMCS whose guest state was just written directly. */
void reg_cache_reset(struct reg_cache *c);
uint64_t reg_cache_read(struct reg_cache *c, enum reg_id r);
void reg_cache_write(struct reg_cache *c, enum reg_id r, uint64_t value);
/* Before VM entry: VMWRITEs the dirty registers, clears dirty. */
void reg_cache_flush(struct reg_cache *c);
/* After VM exit: nothing cached is current any more. */
void reg_cache_after_exit(struct reg_cache *c);
/* The avail/dirty invariant. */
bool reg_cache_valid(const struct reg_cache *c);

#endif
