/* EPT tables: building, walking, splitting, unmapping and freeing them (SDM Vol. 3 29.3). */
#include "ept/ept.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* What one pass of ept_map or ept_unmap does. */
struct ept_pass {
	struct ept *e;
	uint64_t flags;
	bool write;    /* false: the dry run that checks and counts, writing nothing */
	uint64_t need; /* dry run: missing table pages */
	uint64_t pool; /* write pass: frames taken beforehand, linked by their word 0 */
	uint64_t gone; /* ept_unmap's write pass: table pages unlinked, linked the same way */
};

/* Bytes one entry of a level-`level` table covers (4 = PML4, 1 = PT). */
static uint64_t ept_span(int level)
{
	return 1ULL << (12 + 9 * (level - 1));
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

/* Lists of frames linked through their first word; 0 ends a list. */
static void ept_list_push(uint64_t *list, uint64_t pa)
{
	*(uint64_t *)pa = *list;
	*list = pa;
}

static uint64_t ept_list_pop(uint64_t *list)
{
	uint64_t pa = *list;

	*list = *(uint64_t *)pa;
	return pa;
}

/*
 * Frees a list newest first: for a pool, the allocator handed out the
 * lowest free frame, so each one merges straight back and the ranges end
 * up exactly as they were (no split that could fail on a full range array).
 */
static void ept_list_free(uint64_t *list, struct frame_alloc *fa)
{
	while (*list)
		frame_alloc_free(fa, ept_list_pop(list), 1);
}

/* Takes `need` frames into p->pool; false (and none taken) if they are not all there. */
static bool ept_pool_fill(struct ept_pass *p, struct frame_alloc *fa)
{
	for (uint64_t i = 0; i < p->need; i++) {
		uint64_t pa = frame_alloc_alloc(fa, 1, FRAME_SIZE);

		if (!pa) {
			ept_list_free(&p->pool, fa);
			return false;
		}
		ept_list_push(&p->pool, pa);
	}
	return true;
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
			uint64_t pa = ept_list_pop(&p->pool);

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

/* Checks the request common to ept_map and ept_unmap: aligned, not empty, below 2^48. */
static bool ept_range_valid(const struct ept *e, uint64_t gpa, uint64_t size)
{
	if (!hpa_val(e->pml4) || !size || ((gpa | size) & (EPT_PAGE_4K - 1)))
		return false;
	/* Written so that gpa + size cannot wrap. */
	return gpa < EPT_GPA_LIMIT && size <= EPT_GPA_LIMIT - gpa;
}

int ept_map(struct ept *e, struct frame_alloc *fa, gpa_t gpa_in, hpa_t hpa_out, uint64_t size,
            uint64_t leaf_flags)
{
	struct ept_pass p = {.e = e, .flags = leaf_flags};
	uint64_t gpa = gpa_val(gpa_in), hpa = hpa_val(hpa_out);
	uint64_t *pml4 = hpa_ptr(e->pml4);
	int ret;

	if (!ept_flags_valid(leaf_flags) || !ept_range_valid(e, gpa, size))
		return EPT_EINVAL;
	if ((hpa & (EPT_PAGE_4K - 1)) || hpa >= EPT_HPA_LIMIT || size > EPT_HPA_LIMIT - hpa)
		return EPT_EINVAL;

	ret = ept_map_level(&p, pml4, 4, gpa, hpa, size);
	if (ret)
		return ret;
	if (!ept_pool_fill(&p, fa))
		return EPT_ENOMEM;
	/* The dry run found no conflict and counted every table: this cannot fail. */
	p.write = true;
	ept_map_level(&p, pml4, 4, gpa, hpa, size);
	return 0;
}

/*
 * Replaces the large leaf *ent of a level-`level` table by a table at pa
 * of 512 leaves one level down that map the same range the same way. The
 * table is filled before *ent points at it: a CPU walking meanwhile sees
 * either the old leaf or the whole new table.
 */
static void ept_split_entry(struct ept *e, uint64_t *ent, int level, uint64_t pa)
{
	uint64_t *table = (uint64_t *)pa;
	uint64_t span = ept_span(level - 1);
	uint64_t base = *ent & EPT_ADDR_MASK & ~(ept_span(level) - 1);
	uint64_t flags = (*ent & ~EPT_ADDR_MASK & ~EPT_LARGE) | (level - 1 > 1 ? EPT_LARGE : 0);

	for (unsigned int i = 0; i < EPT_ENTRIES; i++)
		table[i] = (base + i * span) | flags;
	*ent = pa | EPT_RWX;
	e->table_pages++;
}

static bool ept_table_empty(const uint64_t *table)
{
	for (unsigned int i = 0; i < EPT_ENTRIES; i++) {
		if (ept_present(table[i]))
			return false;
	}
	return true;
}

/* Puts the level-`level` table at pa and every table below it on p->gone. */
static void ept_unlink_table(struct ept_pass *p, uint64_t pa, int level)
{
	const uint64_t *table = (const uint64_t *)pa;

	if (level > 1) {
		for (unsigned int i = 0; i < EPT_ENTRIES; i++) {
			if (ept_present(table[i]) && !ept_is_leaf(table[i], level))
				ept_unlink_table(p, table[i] & EPT_ADDR_MASK, level - 1);
		}
	}
	/* Entry 0 was read above: now it may hold the link. */
	ept_list_push(&p->gone, pa);
	p->e->table_pages--;
}

/*
 * Unmaps [gpa, gpa + size), inside the region `table` covers. In the dry
 * run a NULL table stands for one a split will make: every entry a
 * present leaf.
 */
static void ept_unmap_level(struct ept_pass *p, uint64_t *table, int level, uint64_t gpa,
                            uint64_t size)
{
	uint64_t span = ept_span(level);

	while (size) {
		uint64_t n = (gpa & ~(span - 1)) + span - gpa;
		uint64_t *ent = table ? &table[ept_index(gpa, level)] : NULL;
		uint64_t old = ent ? *ent : EPT_RWX | EPT_LARGE;

		if (n > size)
			n = size;
		if (!ept_present(old)) {
			/* Nothing mapped here. */
		} else if (ept_is_leaf(old, level) && n == span) {
			if (p->write)
				*ent = 0;
		} else if (ept_is_leaf(old, level)) {
			/* Partly covered large page (a 4 KiB one is always whole): split it. */
			if (p->write) {
				uint64_t pa = ept_list_pop(&p->pool);

				ept_split_entry(p->e, ent, level, pa);
				ept_unmap_level(p, (uint64_t *)pa, level - 1, gpa, n);
			} else {
				p->need++;
				ept_unmap_level(p, NULL, level - 1, gpa, n);
			}
		} else {
			uint64_t *child = (uint64_t *)(old & EPT_ADDR_MASK);

			if (n < span)
				ept_unmap_level(p, child, level - 1, gpa, n);
			if (p->write && (n == span || ept_table_empty(child))) {
				*ent = 0;
				ept_unlink_table(p, (uint64_t)child, level - 1);
			}
		}
		gpa += n;
		size -= n;
	}
}

int ept_unmap(struct ept *e, struct frame_alloc *fa, gpa_t gpa, uint64_t size, hpa_t *stale)
{
	struct ept_pass p = {.e = e};
	uint64_t *pml4 = hpa_ptr(e->pml4);
	uint64_t list;

	if (!ept_range_valid(e, gpa_val(gpa), size))
		return EPT_EINVAL;
	ept_unmap_level(&p, pml4, 4, gpa_val(gpa), size);
	if (!ept_pool_fill(&p, fa))
		return EPT_ENOMEM;
	p.write = true;
	ept_unmap_level(&p, pml4, 4, gpa_val(gpa), size);
	if (!stale) {
		ept_list_free(&p.gone, fa);
		return 0;
	}
	/* Onto the caller's list, which may hold pages from earlier unmaps. */
	list = hpa_val(*stale);
	while (p.gone) {
		uint64_t pa = ept_list_pop(&p.gone);

		ept_list_push(&list, pa);
	}
	*stale = hpa_of(list);
	return 0;
}

void ept_free_stale(struct frame_alloc *fa, hpa_t *stale)
{
	uint64_t list = hpa_val(*stale);

	ept_list_free(&list, fa);
	*stale = hpa_of(0);
}

int ept_split(struct ept *e, struct frame_alloc *fa, gpa_t gpa)
{
	uint64_t *table = hpa_ptr(e->pml4);
	uint64_t g = gpa_val(gpa);

	if (!table || g >= EPT_GPA_LIMIT)
		return EPT_EINVAL;
	for (int level = 4; level >= 2; level--) {
		uint64_t *ent = &table[ept_index(g, level)];
		uint64_t pa;

		if (!ept_present(*ent))
			return EPT_EINVAL;
		if (!ept_is_leaf(*ent, level)) {
			table = (uint64_t *)(*ent & EPT_ADDR_MASK);
			continue;
		}
		pa = frame_alloc_alloc(fa, 1, FRAME_SIZE);
		if (!pa)
			return EPT_ENOMEM;
		ept_split_entry(e, ent, level, pa);
		return 0;
	}
	/* A 4 KiB page: nothing to split. */
	return EPT_EINVAL;
}

bool ept_read_identity(void *ctx, uint64_t table, unsigned int index, uint64_t *entry)
{
	(void)ctx;
	*entry = ((const uint64_t *)table)[index];
	return true;
}

/* Bits 51:maxphyaddr: reserved in every entry. */
static uint64_t ept_reserved_addr_bits(const struct ept_walk_rules *r)
{
	unsigned int width = r->maxphyaddr && r->maxphyaddr < 52 ? r->maxphyaddr : 52;

	return (EPT_HPA_LIMIT - 1) & ~((1ULL << width) - 1);
}

/* A present entry at `level` against the rules (SDM 29.3.3.1). */
static enum ept_misconfig ept_entry_misconfig(const struct ept_walk_rules *r, uint64_t entry,
                                              int level)
{
	bool large = entry & EPT_LARGE;
	bool leaf = ept_is_leaf(entry, level);
	uint64_t reserved = ept_reserved_addr_bits(r);
	uint64_t type = (entry & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT;

	if ((entry & (EPT_READ | EPT_WRITE)) == EPT_WRITE)
		return EPT_MISCONFIG_WRITE_NO_READ;
	/* Present without read or write: some execute bit is set. */
	if (!(entry & EPT_READ) && !r->exec_only)
		return EPT_MISCONFIG_EXEC_ONLY;
	if (large && (level == 4 || (level == 3 && !r->allow_1g) || (level == 2 && !r->allow_2m)))
		return EPT_MISCONFIG_LARGE;
	if (!leaf)
		reserved |= 0x78; /* bits 6:3; bit 7 is the page size, 0 here */
	else if (level > 1)
		reserved |= (ept_span(level) - 1) &
		            ~(EPT_PAGE_4K - 1); /* address bits below the page */
	if (entry & reserved)
		return EPT_MISCONFIG_RESERVED;
	if (leaf && (type == 2 || type == 3 || type == 7))
		return EPT_MISCONFIG_MEMTYPE;
	return EPT_MISCONFIG_NONE;
}

void ept_walk_tables_from(const struct ept_tables *t, uint64_t table, int from, uint64_t perm,
                          uint64_t in, struct ept_walk *w)
{
	const struct ept_walk_rules *r = &t->rules;

	/* Every field set below, without a memset: this is shadow EPT's fill path. */
	w->status = EPT_WALK_OK;
	w->misconfig = EPT_MISCONFIG_NONE;
	w->level = 0;
	w->entry = w->out = w->table = 0;
	w->perm = w->perm_above = perm;
	w->memtype = 0;
	w->ignore_pat = w->accessed = w->dirty = false;
	if (in >= EPT_GPA_LIMIT) {
		w->status = EPT_WALK_OUT_OF_RANGE;
		w->perm = w->perm_above = 0;
		return;
	}
	for (int level = from; level >= 1; level--) {
		uint64_t entry, span = ept_span(level);

		w->level = level;
		w->table = table;
		w->perm_above = w->perm;
		if (!t->read_entry(t->ctx, table, ept_index(in, level), &entry)) {
			w->status = EPT_WALK_READ_FAILED;
			w->entry = 0;
			return;
		}
		w->entry = entry;
		w->perm &= entry;
		if (!(entry & EPT_RWX) && !(r->mbec && (entry & EPT_USER_EXEC))) {
			w->status = EPT_WALK_NOT_PRESENT;
			return;
		}
		w->misconfig = ept_entry_misconfig(r, entry, level);
		if (w->misconfig) {
			w->status = EPT_WALK_MISCONFIG;
			return;
		}
		if (!ept_is_leaf(entry, level)) {
			table = entry & EPT_ADDR_MASK;
			continue;
		}
		w->out = (entry & EPT_ADDR_MASK & ~(span - 1)) | (in & (span - 1));
		w->memtype = (uint8_t)((entry & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT);
		w->ignore_pat = entry & EPT_IGNORE_PAT;
		w->accessed = r->ad && (entry & EPT_ACCESSED);
		w->dirty = r->ad && (entry & EPT_DIRTY);
		return;
	}
}

void ept_walk_tables(const struct ept_tables *t, uint64_t in, struct ept_walk *w)
{
	ept_walk_tables_from(t, t->pml4, 4, EPT_RWX | (t->rules.mbec ? EPT_USER_EXEC : 0), in, w);
}

/* What ept_map may write: ept_walk accepts all of it. */
static const struct ept_walk_rules ept_own_rules = {
        .exec_only = true,
        .allow_2m = true,
        .allow_1g = true,
        .ad = true,
};

bool ept_walk(const struct ept *e, gpa_t gpa, struct ept_walk *w, hpa_t *hpa)
{
	const struct ept_tables t = {
	        .pml4 = hpa_val(e->pml4),
	        .rules = ept_own_rules,
	        .read_entry = ept_read_identity,
	};

	if (!t.pml4) {
		memset(w, 0, sizeof(*w));
		w->status = EPT_WALK_NOT_PRESENT;
		w->level = 4;
		return false;
	}
	ept_walk_tables(&t, gpa_val(gpa), w);
	if (w->status != EPT_WALK_OK)
		return false;
	if (hpa)
		*hpa = hpa_of(w->out);
	return true;
}

bool ept_walk_l1(const struct ept_tables *t, l2gpa_t in, struct ept_walk *w, gpa_t *out)
{
	ept_walk_tables(t, l2gpa_val(in), w);
	if (w->status != EPT_WALK_OK)
		return false;
	if (out)
		*out = gpa_of(w->out);
	return true;
}

bool ept_translate(const struct ept *e, gpa_t gpa, hpa_t *hpa, uint64_t *leaf_flags, int *level)
{
	struct ept_walk w;

	if (!ept_walk(e, gpa, &w, hpa))
		return false;
	if (leaf_flags)
		*leaf_flags = w.entry & ~EPT_ADDR_MASK & ~EPT_LARGE;
	if (level)
		*level = w.level;
	return true;
}

uint64_t *ept_leaf_slot(const struct ept *e, gpa_t gpa)
{
	uint64_t g = gpa_val(gpa), *table = hpa_ptr(e->pml4);

	if (!table || g >= EPT_GPA_LIMIT)
		return NULL;
	for (int level = 4; level > 1; level--) {
		uint64_t entry = table[ept_index(g, level)];

		if (!ept_present(entry) || ept_is_leaf(entry, level))
			return NULL;
		table = (uint64_t *)(entry & EPT_ADDR_MASK);
	}
	return &table[ept_index(g, 1)];
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
