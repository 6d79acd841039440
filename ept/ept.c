/* EPT tables: building, walking and freeing them (SDM Vol. 3 29.3). */
#include "ept/ept.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EPT_ENTRIES 512

/* What one pass of ept_map does. */
struct ept_pass {
	struct ept *e;
	uint64_t flags;
	bool write;    /* false: the dry run that checks and counts, writing nothing */
	uint64_t need; /* dry run: missing table pages */
	uint64_t pool; /* write pass: zeroed frames taken beforehand, linked by their word 0 */
};

/* Bytes one entry of a level-`level` table covers (4 = PML4, 1 = PT). */
static uint64_t ept_span(int level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

static unsigned int ept_index(uint64_t gpa, int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (EPT_ENTRIES - 1);
}

/*
 * Bits 2:0 clear means not present. Bit 10 also counts when mode-based
 * execute control is on, but ept_map never writes a leaf without one of
 * bits 2:0, so these tables never depend on that control.
 */
static bool ept_present(uint64_t entry)
{
	return entry & EPT_RWX;
}

static bool ept_is_leaf(uint64_t entry, int level)
{
	return level == 1 || ((level == 2 || level == 3) && (entry & EPT_LARGE));
}

static bool ept_leaf_allowed(const struct ept *e, int level)
{
	return level == 1 || (level == 2 && e->use_2m) || (level == 3 && e->use_1g);
}

static bool ept_flags_valid(uint64_t flags)
{
	uint64_t type = (flags & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT;

	if (flags & ~EPT_LEAF_FLAGS)
		return false;
	if (!(flags & EPT_RWX))
		return false;
	/* Write without read is an EPT misconfiguration (SDM 29.3.3.1). */
	if ((flags & EPT_WRITE) && !(flags & EPT_READ))
		return false;
	return type != 2 && type != 3 && type != 7;
}

static void ept_pool_push(struct ept_pass *p, uint64_t pa)
{
	*(uint64_t *)pa = p->pool;
	p->pool = pa;
}

static uint64_t ept_pool_pop(struct ept_pass *p)
{
	uint64_t pa = p->pool;

	p->pool = *(uint64_t *)pa;
	return pa;
}

/*
 * Frees the pool newest first: the allocator hands out the lowest free
 * frame, so each one merges straight back and the ranges end up exactly as
 * they were (no split that could fail on a full range array).
 */
static void ept_pool_release(struct ept_pass *p, struct frame_alloc *fa)
{
	while (p->pool)
		frame_alloc_free(fa, ept_pool_pop(p), 1);
}

/*
 * Maps [gpa, gpa + size), which lies inside the region `table` covers, with
 * the entries of that level-`level` table. In the dry run a NULL table
 * stands for one still to be allocated, all of its entries not present.
 */
static int ept_map_level(struct ept_pass *p, uint64_t *table, int level, uint64_t gpa, uint64_t hpa,
                         uint64_t size)
{
	uint64_t span = ept_span(level);

	while (size) {
		uint64_t base = gpa & ~(span - 1);
		uint64_t n = base + span - gpa;
		uint64_t *ent = table ? &table[ept_index(gpa, level)] : NULL;
		uint64_t old = ent ? *ent : 0;
		int ret;

		if (n > size)
			n = size;
		if (ept_present(old) && ept_is_leaf(old, level)) {
			uint64_t old_hpa = (old & EPT_ADDR_MASK & ~(span - 1)) + (gpa - base);

			/* A leaf already there must map this part the same way: never split it. */
			if (old_hpa != hpa || (old & EPT_LEAF_FLAGS) != p->flags)
				return EPT_EEXIST;
		} else if (ept_present(old)) {
			/*
			 * An existing table is filled in even where a large leaf
			 * would fit: replacing it could unmap what it holds.
			 */
			ret = ept_map_level(p, (uint64_t *)(old & EPT_ADDR_MASK), level - 1, gpa,
			                    hpa, n);
			if (ret)
				return ret;
		} else if (n == span && !(hpa & (span - 1)) && ept_leaf_allowed(p->e, level)) {
			if (p->write)
				*ent = hpa | p->flags | (level > 1 ? EPT_LARGE : 0);
		} else if (p->write) {
			uint64_t pa = ept_pool_pop(p);

			memset((void *)pa, 0, FRAME_SIZE);
			/* Permissions are decided at the leaf: tables allow everything. */
			*ent = pa | EPT_RWX;
			p->e->table_pages++;
			ept_map_level(p, (uint64_t *)pa, level - 1, gpa, hpa, n);
		} else {
			p->need++;
			ret = ept_map_level(p, NULL, level - 1, gpa, hpa, n);
			if (ret)
				return ret;
		}
		gpa += n;
		hpa += n;
		size -= n;
	}
	return 0;
}

int ept_init(struct ept *e, struct frame_alloc *fa)
{
	uint64_t pa;

	memset(e, 0, sizeof(*e));
	pa = frame_alloc_alloc(fa, 1, FRAME_SIZE);
	if (!pa)
		return EPT_ENOMEM;
	memset((void *)pa, 0, FRAME_SIZE);
	e->pml4 = hpa_of(pa);
	e->table_pages = 1;
	e->use_2m = true;
	return 0;
}

int ept_map(struct ept *e, struct frame_alloc *fa, gpa_t gpa_in, hpa_t hpa_out, uint64_t size,
            uint64_t leaf_flags)
{
	struct ept_pass p = {.e = e, .flags = leaf_flags};
	uint64_t gpa = gpa_val(gpa_in), hpa = hpa_val(hpa_out);
	uint64_t *pml4 = hpa_ptr(e->pml4);
	int ret;

	if (!pml4 || !ept_flags_valid(leaf_flags))
		return EPT_EINVAL;
	if (!size || ((gpa | hpa | size) & (EPT_PAGE_4K - 1)))
		return EPT_EINVAL;
	/* Written so that gpa + size cannot wrap. */
	if (gpa >= EPT_GPA_LIMIT || size > EPT_GPA_LIMIT - gpa)
		return EPT_EINVAL;
	if (hpa >= EPT_HPA_LIMIT || size > EPT_HPA_LIMIT - hpa)
		return EPT_EINVAL;

	ret = ept_map_level(&p, pml4, 4, gpa, hpa, size);
	if (ret)
		return ret;
	for (uint64_t i = 0; i < p.need; i++) {
		uint64_t pa = frame_alloc_alloc(fa, 1, FRAME_SIZE);

		if (!pa) {
			ept_pool_release(&p, fa);
			return EPT_ENOMEM;
		}
		ept_pool_push(&p, pa);
	}
	/* The dry run found no conflict and counted every table: this cannot fail. */
	p.write = true;
	ept_map_level(&p, pml4, 4, gpa, hpa, size);
	ept_pool_release(&p, fa);
	return 0;
}

bool ept_translate(const struct ept *e, gpa_t gpa_in, hpa_t *hpa, uint64_t *leaf_flags, int *level)
{
	const uint64_t *table = hpa_ptr(e->pml4);
	uint64_t gpa = gpa_val(gpa_in);

	if (!table || gpa >= EPT_GPA_LIMIT)
		return false;
	for (int l = 4; l >= 1; l--) {
		uint64_t entry = table[ept_index(gpa, l)];
		uint64_t span = ept_span(l);

		if (!ept_present(entry))
			return false;
		if (!ept_is_leaf(entry, l)) {
			table = (const uint64_t *)(entry & EPT_ADDR_MASK);
			continue;
		}
		if (hpa)
			*hpa = hpa_of((entry & EPT_ADDR_MASK & ~(span - 1)) | (gpa & (span - 1)));
		if (leaf_flags)
			*leaf_flags = entry & ~EPT_ADDR_MASK & ~EPT_LARGE;
		if (level)
			*level = l;
		return true;
	}
	return false;
}

uint64_t ept_eptp(const struct ept *e, bool ad_enabled)
{
	return hpa_val(e->pml4) | EPTP_MEMTYPE_WB | EPTP_WALK_LENGTH_4 |
	       (ad_enabled ? EPTP_AD_ENABLE : 0);
}

static void ept_free_table(struct frame_alloc *fa, uint64_t pa, int level)
{
	const uint64_t *table = (const uint64_t *)pa;

	if (level > 1) {
		for (unsigned int i = 0; i < EPT_ENTRIES; i++) {
			if (ept_present(table[i]) && !ept_is_leaf(table[i], level))
				ept_free_table(fa, table[i] & EPT_ADDR_MASK, level - 1);
		}
	}
	frame_alloc_free(fa, pa, 1);
}

void ept_destroy(struct ept *e, struct frame_alloc *fa)
{
	if (hpa_val(e->pml4))
		ept_free_table(fa, hpa_val(e->pml4), 4);
	memset(e, 0, sizeof(*e));
}
