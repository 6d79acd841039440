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
 * Everything here is on every exit's path, so it is inline; the VMCS is
 * reached through arch/vmcs_access.h, which the host tests replace.
 */
#ifndef VCPU_REG_CACHE_H
#define VCPU_REG_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/vmcs_access.h"
#include "arch/x86/vmx/vmcs_fields.h"
#include "lib/panic.h"

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

/* The VMCS field that holds a register. */
static inline uint32_t reg_cache_field(enum reg_id r)
{
	static const uint32_t fields[REG_COUNT] = {
	        [REG_RIP] = GUEST_RIP,
	        [REG_RSP] = GUEST_RSP,
	        [REG_RFLAGS] = GUEST_RFLAGS,
	        [REG_CR0] = GUEST_CR0,
	        [REG_CR3] = GUEST_CR3,
	        [REG_CR4] = GUEST_CR4,
	        [REG_EXIT_QUALIFICATION] = EXIT_QUALIFICATION,
	        [REG_EXIT_INSTRUCTION_LEN] = VM_EXIT_INSTRUCTION_LEN,
	        [REG_EXIT_INTR_INFO] = VM_EXIT_INTR_INFO,
	        [REG_GUEST_PHYSICAL_ADDRESS] = GUEST_PHYSICAL_ADDRESS,
	};

	return fields[r];
}

/* The avail/dirty invariant. */
static inline bool reg_cache_valid(const struct reg_cache *c)
{
	return !(c->dirty & ~c->avail) && !(c->dirty & REG_READ_ONLY) && !(c->avail & ~REG_ALL);
}

/* Forgets everything: for a VMCS whose guest state was just written directly. */
static inline void reg_cache_reset(struct reg_cache *c)
{
	c->avail = 0;
	c->dirty = 0;
}

static inline uint64_t reg_cache_read(struct reg_cache *c, enum reg_id r)
{
	/* Most registers an exit reads, it reads once. */
	if (__builtin_expect(!(c->avail & REG_BIT(r)), 1)) {
		c->val[r] = arch_vmcs_read(reg_cache_field(r));
		c->avail |= REG_BIT(r);
	}
	return c->val[r];
}

static inline void reg_cache_write(struct reg_cache *c, enum reg_id r, uint64_t value)
{
	CHECK(!(REG_BIT(r) & REG_READ_ONLY)); /* r is a constant: checked at compile time */
	c->val[r] = value;
	c->avail |= REG_BIT(r);
	c->dirty |= REG_BIT(r);
}

/*
 * RIP += the exiting instruction's length, the one change most exits
 * make. Right after the exit neither is cached: both are read, counted at
 * once, and RIP is kept (dirty).
 */
static inline void reg_cache_advance_rip(struct reg_cache *c)
{
	const uint32_t both = REG_BIT(REG_RIP) | REG_BIT(REG_EXIT_INSTRUCTION_LEN);
	uint64_t rip, len;

	if (__builtin_expect(c->avail & both, 0)) {
		rip = reg_cache_read(c, REG_RIP);
		len = reg_cache_read(c, REG_EXIT_INSTRUCTION_LEN);
	} else {
		arch_vmcs_read2(GUEST_RIP, &rip, VM_EXIT_INSTRUCTION_LEN, &len);
	}
	reg_cache_write(c, REG_RIP, rip + len);
}

/*
 * Before VM entry: VMWRITEs the dirty registers, clears dirty. Only
 * reg_cache_write() sets dirty, and it sets avail with it: the invariant
 * holds by construction here (reg_cache_valid() states it).
 */
static inline void reg_cache_flush(struct reg_cache *c)
{
	uint32_t dirty = c->dirty;

	/* Most exits move RIP past their instruction and change nothing else. */
	if (dirty == REG_BIT(REG_RIP)) {
		arch_vmcs_write(GUEST_RIP, c->val[REG_RIP]);
		c->dirty = 0;
		return;
	}
	/* Nothing: two tests in all (the nested round trip flushes clean caches six times). */
	if (!dirty)
		return;
	for (uint32_t d = dirty; d; d &= d - 1) {
		enum reg_id r = (enum reg_id)__builtin_ctz(d);

		arch_vmcs_write(reg_cache_field(r), c->val[r]);
	}
	c->dirty = 0;
}

/* After VM exit: nothing cached is current any more. */
static inline void reg_cache_after_exit(struct reg_cache *c)
{
	/* flush() ran before the entry: nothing can still be dirty. */
	CHECK(c->dirty == 0);
	c->avail = 0;
}

#endif
