#include "vcpu/guest_walk.h"

#include <stddef.h>

/* Bits hi..lo inclusive (0 if hi < lo). */
static uint64_t bit_range(unsigned int hi, unsigned int lo)
{
	if (hi < lo)
		return 0;
	return (~0ULL >> (63 - hi)) & (~0ULL << lo);
}

/* The rights granted by all the levels walked so far. */
struct rights {
	bool rw; /* R/W = 1 at every level */
	bool us; /* U/S = 1 at every level: a user-mode address */
	bool xd; /* XD = 1 at some level (EFER.NXE = 1) */
};

/* SDM Vol. 3, 4.6.1: may this access go through a page with these rights? */
static bool allowed(const struct guest_paging *p, enum guest_access acc, const struct rights *r)
{
	if (p->cpl == 3) {
		if (!r->us)
			return false;
		if (acc == GUEST_ACC_WRITE)
			return r->rw;
		if (acc == GUEST_ACC_FETCH)
			return !r->xd;
		return true;
	}
	if (acc == GUEST_ACC_FETCH)
		return !r->xd && !(r->us && (p->cr4 & CR4_SMEP));
	if (acc == GUEST_ACC_WRITE && (p->cr0 & CR0_WP) && !r->rw)
		return false;
	if (r->us && (p->cr4 & CR4_SMAP) && !p->ac)
		return false;
	return true;
}

static unsigned int maxphyaddr(const struct guest_paging *p)
{
	return p->maxphyaddr == 0 || p->maxphyaddr > 52 ? 52 : p->maxphyaddr;
}

static int walk32(const struct guest_paging *p, uint64_t linear, enum guest_access acc,
                  uint64_t *gpa, guest_read64_fn read64, void *ctx)
{
	struct rights r = {.rw = true, .us = true, .xd = false};
	uint64_t table = p->cr3 & 0xfffff000u, addr, q;
	uint32_t e;

	linear &= 0xffffffffu;
	for (int level = 2; level >= 1; level--) {
		unsigned int shift = level == 2 ? 22 : 12;

		addr = table + ((linear >> shift) & 0x3ff) * 4;
		if (!read64(ctx, addr & ~7ULL, &q))
			return GUEST_WALK_ERR(GUEST_WALK_ACCESSOR, level);
		e = (uint32_t)((addr & 4) ? q >> 32 : q);
		if (!(e & PTE_PRESENT))
			return GUEST_WALK_ERR(GUEST_WALK_NOT_PRESENT, level);
		r.rw = r.rw && (e & PTE_WRITE);
		r.us = r.us && (e & PTE_USER);
		if (level == 2 && (e & PTE_LARGE) && (p->cr4 & CR4_PSE)) {
			/* 4 MiB page: bits 20:13 are gpa bits 39:32, up to MAXPHYADDR. */
			unsigned int m = maxphyaddr(p) < 40 ? maxphyaddr(p) : 40;
			uint64_t rsvd = (1ULL << 21) | bit_range(20, m > 32 ? m - 19 : 13);

			if (e & rsvd)
				return GUEST_WALK_ERR(GUEST_WALK_RESERVED, level);
			if (!allowed(p, acc, &r))
				return GUEST_WALK_ERR(GUEST_WALK_PROTECTION, level);
			*gpa = (e & 0xffc00000u) | ((uint64_t)((e >> 13) & 0xff) << 32) |
			       (linear & 0x3fffff);
			return 0;
		}
		table = e & 0xfffff000u;
	}
	if (!allowed(p, acc, &r))
		return GUEST_WALK_ERR(GUEST_WALK_PROTECTION, 1);
	*gpa = table | (linear & 0xfff);
	return 0;
}

/* PAE (levels = 3), 4-level (4) and 5-level (5) paging: 8-byte entries. */
static int walk64(const struct guest_paging *p, uint64_t linear, enum guest_access acc,
                  uint64_t *gpa, guest_read64_fn read64, void *ctx, int levels)
{
	struct rights r = {.rw = true, .us = true, .xd = false};
	unsigned int m = maxphyaddr(p);
	bool pae = levels == 3, nxe = p->efer & EFER_NXE;
	uint64_t addr_mask = bit_range(m - 1, 12), rsvd_common, table, e;

	rsvd_common = bit_range(51, m) | (nxe ? 0 : PTE_XD) | (pae ? bit_range(62, 52) : 0);
	if (pae) {
		linear &= 0xffffffffu;
		table = p->cr3 & 0xffffffe0u;
	} else {
		table = p->cr3 & addr_mask;
	}
	for (int level = levels; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (level - 1);
		uint64_t idx = (linear >> shift) & 0x1ff, rsvd = rsvd_common;
		bool leaf = level == 1;

		if (pae && level == 3) {
			idx &= 3;
			if (p->pdptes_valid)
				e = p->pdpte[idx];
			else if (!read64(ctx, table + idx * 8, &e))
				return GUEST_WALK_ERR(GUEST_WALK_ACCESSOR, level);
			if (!(e & PTE_PRESENT))
				return GUEST_WALK_ERR(GUEST_WALK_NOT_PRESENT, level);
			/* No rights in a PAE PDPTE: bits 2:1, 8:5 and 63:M are reserved. */
			if (e & (bit_range(63, m) | bit_range(2, 1) | bit_range(8, 5)))
				return GUEST_WALK_ERR(GUEST_WALK_RESERVED, level);
			table = e & addr_mask;
			continue;
		}
		if (!read64(ctx, table + idx * 8, &e))
			return GUEST_WALK_ERR(GUEST_WALK_ACCESSOR, level);
		if (!(e & PTE_PRESENT))
			return GUEST_WALK_ERR(GUEST_WALK_NOT_PRESENT, level);
		if (level >= 4)
			rsvd |= PTE_LARGE;
		else if ((level == 3 || level == 2) && (e & PTE_LARGE)) {
			leaf = true;
			rsvd |= bit_range(shift - 1, 13); /* 29:13 (1 GiB) or 20:13 (2 MiB) */
		}
		if (e & rsvd)
			return GUEST_WALK_ERR(GUEST_WALK_RESERVED, level);
		r.rw = r.rw && (e & PTE_WRITE);
		r.us = r.us && (e & PTE_USER);
		r.xd = r.xd || (nxe && (e & PTE_XD));
		if (leaf) {
			uint64_t page_mask = (1ULL << shift) - 1;

			if (!allowed(p, acc, &r))
				return GUEST_WALK_ERR(GUEST_WALK_PROTECTION, level);
			*gpa = (e & addr_mask & ~page_mask) | (linear & page_mask);
			return 0;
		}
		table = e & addr_mask;
	}
	return GUEST_WALK_ERR(GUEST_WALK_PROTECTION, 1); /* not reached: level 1 is a leaf */
}

int guest_walk(const struct guest_paging *p, uint64_t linear, enum guest_access acc, uint64_t *gpa,
               bool (*read64)(void *ctx, uint64_t gpa, uint64_t *val), void *ctx)
{
	if (!(p->cr0 & CR0_PG)) {
		*gpa = linear;
		return 0;
	}
	if (!(p->cr4 & CR4_PAE))
		return walk32(p, linear, acc, gpa, read64, ctx);
	if (!(p->efer & EFER_LMA))
		return walk64(p, linear, acc, gpa, read64, ctx, 3);
	if (p->cr4 & CR4_LA57) {
		if ((uint64_t)((int64_t)(linear << 7) >> 7) != linear)
			return GUEST_WALK_ERR(GUEST_WALK_NONCANONICAL, 0);
		return walk64(p, linear, acc, gpa, read64, ctx, 5);
	}
	if ((uint64_t)((int64_t)(linear << 16) >> 16) != linear)
		return GUEST_WALK_ERR(GUEST_WALK_NONCANONICAL, 0);
	return walk64(p, linear, acc, gpa, read64, ctx, 4);
}

const char *guest_walk_error(int rc)
{
	static const char *const not_present[6] = {
	        NULL,
	        "PTE not present",
	        "PDE not present",
	        "PDPTE not present",
	        "PML4E not present",
	        "PML5E not present",
	};
	static const char *const reserved[6] = {
	        NULL,
	        "PTE reserved bit set",
	        "PDE reserved bit set",
	        "PDPTE reserved bit set",
	        "PML4E reserved bit set",
	        "PML5E reserved bit set",
	};
	int level = guest_walk_level(rc);

	if (rc == 0)
		return "ok";
	if (level < 0 || level > 5)
		return "unknown error";
	switch (guest_walk_reason(rc)) {
	case GUEST_WALK_NOT_PRESENT: return level ? not_present[level] : "unknown error";
	case GUEST_WALK_RESERVED: return level ? reserved[level] : "unknown error";
	case GUEST_WALK_PROTECTION: return "access forbidden by page protection";
	case GUEST_WALK_ACCESSOR: return "guest memory read failed during page walk";
	case GUEST_WALK_NONCANONICAL: return "non-canonical linear address";
	default: return "unknown error";
	}
}

uint32_t guest_walk_pf_error_code(const struct guest_paging *p, enum guest_access acc, int rc)
{
	int reason = guest_walk_reason(rc);
	uint32_t ec = 0;

	if (reason == GUEST_WALK_PROTECTION || reason == GUEST_WALK_RESERVED)
		ec |= 1u << 0; /* P: the page was present */
	if (acc == GUEST_ACC_WRITE)
		ec |= 1u << 1;
	if (p->cpl == 3)
		ec |= 1u << 2;
	if (reason == GUEST_WALK_RESERVED)
		ec |= 1u << 3;
	if (acc == GUEST_ACC_FETCH &&
	    (((p->cr4 & CR4_PAE) && (p->efer & EFER_NXE)) || (p->cr4 & CR4_SMEP)))
		ec |= 1u << 4;
	return ec;
}
