/* The lazy vCPU register cache (see reg_cache.h for its rules). */
#include "vcpu/reg_cache.h"

#include "arch/x86/vmx/vmcs_fields.h"
#include "lib/panic.h"

static const uint32_t reg_fields[REG_COUNT] = {
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

uint32_t reg_cache_field(enum reg_id r)
{
	CHECK(r < REG_COUNT);
	return reg_fields[r];
}

bool reg_cache_valid(const struct reg_cache *c)
{
	return !(c->dirty & ~c->avail) && !(c->dirty & REG_READ_ONLY) && !(c->avail & ~REG_ALL);
}

void reg_cache_reset(struct reg_cache *c)
{
	c->avail = 0;
	c->dirty = 0;
}

uint64_t reg_cache_read(struct reg_cache *c, enum reg_id r)
{
	CHECK(r < REG_COUNT);
	if (!(c->avail & REG_BIT(r))) {
		c->val[r] = arch_vmcs_read(reg_fields[r]);
		c->avail |= REG_BIT(r);
	}
	return c->val[r];
}

void reg_cache_write(struct reg_cache *c, enum reg_id r, uint64_t value)
{
	CHECK(r < REG_COUNT && !(REG_BIT(r) & REG_READ_ONLY));
	c->val[r] = value;
	c->avail |= REG_BIT(r);
	c->dirty |= REG_BIT(r);
}

void reg_cache_flush(struct reg_cache *c)
{
	CHECK(reg_cache_valid(c));
	for (uint32_t d = c->dirty; d; d &= d - 1) {
		uint32_t r = (uint32_t)__builtin_ctz(d);

		arch_vmcs_write(reg_fields[r], c->val[r]);
	}
	c->dirty = 0;
}

void reg_cache_after_exit(struct reg_cache *c)
{
	/* flush() ran before the entry: nothing can still be dirty. */
	CHECK(c->dirty == 0);
	c->avail = 0;
}
