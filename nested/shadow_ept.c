/* Shadow EPT: EPT02 = EPT12 composed with EPT01, see shadow_ept.h. */
#include "nested/shadow_ept.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/tlb_flush.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/console.h"
#include "nested/exit_route.h"
#include "nested/nested.h"
#include "nested/nested_internal.h"
#include "nested/vmcs12.h"
#include "vcpu/events.h"
#include "vcpu/vm.h"

/* ---- The pure part (host-tested) ---------------------------------------------------- */

static uint64_t level_size(int level)
{
	return level == 3 ? EPT_PAGE_1G : level == 2 ? EPT_PAGE_2M : EPT_PAGE_4K;
}

void sept_leaf(uint64_t l2gpa, const struct ept_walk *w12, uint64_t hpa, int level01,
               uint64_t perm01, bool use_2m, bool use_1g, bool clean, struct sept_leaf *leaf)
{
	int level = w12->level < level01 ? w12->level : level01;

	if (level == 3 && !use_1g)
		level = 2;
	if (level == 2 && !use_2m)
		level = 1;
	leaf->size = level_size(level);
	leaf->gpa2 = l2gpa & ~(leaf->size - 1);
	leaf->hpa = hpa - (l2gpa & (leaf->size - 1));
	/* A clean leaf of an A/D EPT12: its first write must exit, to set the dirty flag. */
	leaf->flags = (w12->perm & perm01 & EPT_RWX & (clean ? ~EPT_WRITE : ~0ULL)) |
	              ((uint64_t)w12->memtype << EPT_MEMTYPE_SHIFT & EPT_MEMTYPE_MASK) |
	              (w12->ignore_pat ? EPT_IGNORE_PAT : 0);
}

struct sept_root *sept_lookup(struct shadow_ept *s, uint64_t eptp12, bool *hit,
                              struct sept_root **evicted)
{
	uint64_t role = eptp12 & SEPT_ROLE_MASK;
	struct sept_root *free_slot = NULL, *oldest = &s->roots[0];

	*evicted = NULL;
	s->clock++;
	for (unsigned int i = 0; i < SEPT_ROOTS; i++) {
		struct sept_root *r = &s->roots[i];

		if (r->role == role) {
			*hit = true;
			r->last_used = s->clock;
			return r;
		}
		if (!r->role && !free_slot)
			free_slot = r;
		if (r->last_used < oldest->last_used)
			oldest = r;
	}
	*hit = false;
	if (!free_slot) {
		free_slot = oldest;
		*evicted = oldest;
	}
	free_slot->role = role;
	free_slot->last_used = s->clock;
	return free_slot;
}

/* ---- On the CPU ---------------------------------------------------------------------- */

/* An EPT12 entry in L1's memory: what is not RAM reads as all ones, as an empty bus does. */
static bool read_l1_entry(void *ctx, uint64_t table, unsigned int index, uint64_t *entry)
{
	const uint64_t *p = vm_gpa_to_ptr(ctx, gpa_of(table + 8ULL * index), sizeof(*entry));

	*entry = p ? __atomic_load_n(p, __ATOMIC_RELAXED) : ~0ULL; /* L1's other vCPUs write it */
	return true;
}

static bool ept12_ad(const struct vcpu *v)
{
	return v->nested.vmcs12->ept_pointer & EPTP_AD_ENABLE;
}

/* L1's EPT12 as the current vmcs12 names it, with the rules L1 was offered. */
static void ept12_tables(struct vcpu *v, struct ept_tables *t)
{
	t->pml4 = v->nested.vmcs12->ept_pointer & EPT_ADDR_MASK;
	t->rules = v->nested.sept->rules12;
	t->rules.ad = ept12_ad(v);
	t->read_entry = read_l1_entry;
	t->ctx = v->vm;
}

static void walk_ept12(struct vcpu *v, uint64_t l2gpa, struct ept_walk *w)
{
	struct ept_tables t;

	ept12_tables(v, &t);
	ept_walk_tables(&t, l2gpa, w);
}

/* The region cache's walk: the leaf only, if the upper levels are kept for l2gpa's region. */
static bool walk_ept12_cached(struct vcpu *v, uint64_t l2gpa, struct ept_walk *w)
{
	const struct shadow_ept *s = v->nested.sept;
	const struct sept_region_cache *rc = &s->region;
	struct ept_tables t;

	if (!rc->root || rc->root != s->cur || rc->region != l2gpa >> 21)
		return false;
	ept12_tables(v, &t);
	ept_walk_tables_from(&t, rc->pt12, 1, rc->perm12, l2gpa, w);
	return true;
}

static void forget_region(struct shadow_ept *s)
{
	s->region.root = NULL;
}

/*
 * What L1's CPU does on a walk with A/D flags (SDM 29.3.5): accessed set in
 * every entry used, dirty in the leaf on a write. Atomic, as the CPU's
 * updates are: L1's other vCPUs may be editing the same tables. True if
 * the leaf is dirty after it.
 */
static bool set_ad_flags(struct vcpu *v, uint64_t l2gpa, int leaf_level, bool write)
{
	uint64_t table = v->nested.vmcs12->ept_pointer & EPT_ADDR_MASK, e = 0;

	for (int level = 4; level >= leaf_level; level--) {
		uint64_t *p = vm_gpa_to_ptr(v->vm, gpa_of(table + 8ULL * ept_index(l2gpa, level)),
		                            sizeof(*p));
		uint64_t set = EPT_ACCESSED | (level == leaf_level && write ? EPT_DIRTY : 0);

		if (!p)
			return false; /* not RAM: the walk read all ones, and nothing is stored */
		e = __atomic_or_fetch(p, set, __ATOMIC_SEQ_CST);
		table = e & EPT_ADDR_MASK;
	}
	return e & EPT_DIRTY;
}

/* Hardware INVEPT of one EPT02 on this CPU (the only one that used it). */
static void flush_root(const struct sept_root *r)
{
	flush_ept_context(ept_eptp(&r->ept, false));
}

/* Its tables back to the pool, after the CPU forgot them; the slot stays the role's. */
static void empty_root(struct shadow_ept *s, struct sept_root *r)
{
	forget_region(s);
	if (!hpa_val(r->ept.pml4))
		return;
	flush_root(r);
	ept_destroy(&r->ept, &s->pool);
	s->stats.dropped++;
}

static void drop_root(struct shadow_ept *s, struct sept_root *r)
{
	empty_root(s, r);
	if (s->cur == r)
		s->cur = NULL;
	memset(r, 0, sizeof(*r));
}

/* A root's tables: a PML4 from the pool, with the CPU's leaf sizes. False if the pool is empty. */
static bool init_root(struct shadow_ept *s, struct sept_root *r)
{
	if (ept_init(&r->ept, &s->pool) < 0)
		return false;
	r->ept.use_2m = s->use_2m;
	r->ept.use_1g = s->use_1g;
	return true;
}

/* vmcs02's EPT_POINTER follows the current root, that of L1's EPTP12 (vmcs02 current). */
static void point_vmcs02(struct vcpu *v)
{
	uint64_t eptp = ept_eptp(&v->nested.sept->cur->ept, false);

	if (eptp != v->nested.eptp02) {
		vmcs_write64(EPT_POINTER, eptp);
		v->nested.eptp02 = eptp;
	}
	v->nested.eptp12_in_vmcs02 = v->nested.vmcs12->ept_pointer;
}

/* The pool ran out: every root is dropped and filling starts again (never a failure). */
static void reset_pool(struct shadow_ept *s)
{
	for (unsigned int i = 0; i < SEPT_ROOTS; i++)
		if (s->roots[i].role)
			empty_root(s, &s->roots[i]);
	s->stats.resets++;
}

uint64_t nested_sept_eptp(struct vcpu *v, uint64_t eptp12)
{
	struct shadow_ept *s = v->nested.sept;
	struct sept_root *r, *evicted;
	bool hit;

	/* The same EPTP12 as last time never gets here (vmcs02.c, sept_root_current). */
	r = sept_lookup(s, eptp12, &hit, &evicted);
	if (evicted)
		empty_root(s, evicted);
	if (hit && hpa_val(r->ept.pml4)) {
		s->stats.hits++;
	} else {
		s->stats.misses++;
		if (!init_root(s, r)) {
			reset_pool(s);
			CHECK(init_root(s, r)); /* the pool holds at least SEPT_MIN_POOL_PAGES */
		}
	}
	s->cur = r;
	return ept_eptp(&r->ept, false);
}

/* Installs a leaf in the current root; on an empty pool, starts again from an empty root. */
static void install(struct vcpu *v, const struct sept_leaf *leaf)
{
	struct shadow_ept *s = v->nested.sept;
	struct ept *e = &s->cur->ept;
	hpa_t stale = hpa_of(0);
	struct sept_region_cache *reg = &s->region;
	uint64_t *slot = NULL;
	int rc;

	if (leaf->size == EPT_PAGE_4K) {
		bool in_region = reg->root == s->cur && reg->region == leaf->gpa2 >> 21;

		if (in_region && reg->pt02) {
			slot = &reg->pt02[(leaf->gpa2 >> 12) & 511];
		} else {
			slot = ept_leaf_slot(e, gpa_of(leaf->gpa2));
			if (slot && in_region)
				reg->pt02 = (uint64_t *)((uintptr_t)slot & ~(EPT_PAGE_4K - 1));
		}
	}
	/*
	 * The common case, a 4 KiB page whose table exists: written in place,
	 * over an older leaf too (the violation made this CPU forget that).
	 */
	if (slot) {
		__atomic_store_n(slot, leaf->hpa | leaf->flags, __ATOMIC_RELEASE);
		s->stats.fills++;
		return;
	}
	reg->pt02 = NULL; /* ept_map may add tables: found again next time */
	rc = ept_map(e, &s->pool, gpa_of(leaf->gpa2), hpa_of(leaf->hpa), leaf->size, leaf->flags);

	if (rc == EPT_EEXIST) {
		/* Mapped otherwise before (fewer permissions, another page size): replaced. */
		rc = ept_unmap(e, &s->pool, gpa_of(leaf->gpa2), leaf->size, &stale);
		if (!rc)
			rc = ept_map(e, &s->pool, gpa_of(leaf->gpa2), hpa_of(leaf->hpa), leaf->size,
			             leaf->flags);
		flush_root(s->cur);
		ept_free_stale(&s->pool, &stale);
	}
	if (rc == EPT_ENOMEM) {
		reset_pool(s);
		CHECK(init_root(s, s->cur));
		point_vmcs02(v);
		rc = ept_map(&s->cur->ept, &s->pool, gpa_of(leaf->gpa2), hpa_of(leaf->hpa),
		             leaf->size, leaf->flags);
	}
	CHECK(rc == 0);
	s->stats.fills++;
}

/*
 * After a violation, the CPU re-walks EPT12 for that address (SDM 29.4.3.1:
 * an EPT violation invalidates the mappings that translated it, for the
 * EP4TA in use): what EPT02 still holds for it goes, in every root on the
 * same EPT12 tables.
 */
static void forget_address(struct shadow_ept *s, uint64_t eptp12, uint64_t l2gpa)
{
	forget_region(s);
	for (unsigned int i = 0; i < SEPT_ROOTS; i++) {
		struct sept_root *r = &s->roots[i];
		hpa_t stale = hpa_of(0);
		gpa_t page = gpa_of(l2gpa & ~(EPT_PAGE_4K - 1));

		if (!r->role || (r->role & EPT_ADDR_MASK) != (eptp12 & EPT_ADDR_MASK) ||
		    !hpa_val(r->ept.pml4) || !ept_translate(&r->ept, page, NULL, NULL, NULL))
			continue;
		if (ept_unmap(&r->ept, &s->pool, page, EPT_PAGE_4K, &stale) < 0) {
			empty_root(s, r); /* no frame to split a large leaf: all of it goes */
			continue;
		}
		flush_root(r);
		ept_free_stale(&s->pool, &stale);
	}
}

enum sept_result nested_sept_violation(struct vcpu *v, uint64_t hw_qual, uint64_t *l1_gpa)
{
	struct shadow_ept *s = v->nested.sept;
	struct vmcs12 *c = v->nested.vmcs12;
	uint64_t l2gpa = reg_cache_read(&v->regs, REG_GUEST_PHYSICAL_ADDRESS);
	uint64_t qual12, block01;
	struct ept_walk w;
	struct sept_leaf leaf;
	hpa_t hpa;

	bool ad = ept12_ad(v), clean = false;
	enum sept_action action;

	/*
	 * Without A/D flags (whose walk sets the upper levels' accessed flags),
	 * a fill in the region of the last one reads the leaf only. Anything but
	 * a fill is decided on a whole walk, as L1's CPU would after a miss.
	 */
	if (!ad && walk_ept12_cached(v, l2gpa, &w) &&
	    (action = sept_decide(hw_qual, ad, &w, &qual12)) == SEPT_FILL) {
		s->stats.region_hits++;
	} else {
		walk_ept12(v, l2gpa, &w);
		action = sept_decide(hw_qual, ad, &w, &qual12);
		if (action == SEPT_FILL && w.level == 1 && !ad)
			s->region = (struct sept_region_cache){.root = s->cur,
			                                       .region = l2gpa >> 21,
			                                       .pt12 = w.table,
			                                       .perm12 = w.perm_above};
	}
	switch (action) {
	case SEPT_MISCONFIG:
		s->stats.misconfigs++;
		c->guest_physical_address = l2gpa;
		nested_vmexit(v, EXIT_REASON_EPT_MISCONFIG, 0, 0);
		return SEPT_GIVEN_TO_L1;
	case SEPT_VIOLATION:
		s->stats.violations++;
		forget_address(s, c->ept_pointer, l2gpa);
		c->guest_physical_address = l2gpa;
		nested_vmexit(v, EXIT_REASON_EPT_VIOLATION, qual12, 0);
		return SEPT_GIVEN_TO_L1;
	case SEPT_FILL: break;
	}
	*l1_gpa = w.out;
	block01 = vm_gpa_block(v->vm, gpa_of(w.out), &hpa);
	if (!block01) {
		/* EPT12 maps it onto what is not L1's RAM: L1's devices, or its empty bus. */
		s->stats.l1_mmio++;
		return SEPT_L1_MMIO;
	}
	if (ad)
		clean = !set_ad_flags(v, l2gpa, w.level, sept_access(hw_qual, ad) & EPT_QUAL_WRITE);
	sept_leaf(l2gpa, &w, hpa_val(hpa),
	          block01 == EPT_PAGE_1G   ? 3
	          : block01 == EPT_PAGE_2M ? 2
	                                   : 1,
	          EPT_RWX, s->use_2m, s->use_1g, clean, &leaf);
	install(v, &leaf);
	return SEPT_FILLED;
}

/* Drops this vCPU's roots of EP4TA ep4ta, or all of them (all = true). */
static void drop_roots(struct shadow_ept *s, bool all, uint64_t ep4ta)
{
	for (unsigned int i = 0; i < SEPT_ROOTS; i++) {
		struct sept_root *r = &s->roots[i];

		/* Single-context: the mappings of that EP4TA, whatever the rest of the EPTP. */
		if (r->role && (all || (r->role & EPT_ADDR_MASK) == ep4ta))
			drop_root(s, r);
	}
}

void nested_sept_repoint(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;

	/* L2 runs on vmcs02, which must not name a dropped root: its role's again. */
	if (n->in_l2 && vmcs12_ept_enabled(n->vmcs12) && !n->sept->cur) {
		nested_sept_eptp(v, n->vmcs12->ept_pointer);
		point_vmcs02(v);
	}
}

void nested_sept_shootdown(struct vcpu *v)
{
	struct nested_vmx *n = &v->nested;
	uint64_t ep4ta[4], req;
	uint32_t count;
	bool all;

	spin_lock(&v->lock);
	req = n->sept_req;
	all = n->sept_drop_all;
	count = n->sept_drop_count;
	memcpy(ep4ta, n->sept_drop_ep4ta, sizeof(ep4ta));
	n->sept_drop_all = false;
	n->sept_drop_count = 0;
	spin_unlock(&v->lock);
	if (all)
		drop_roots(n->sept, true, 0);
	for (uint32_t i = 0; i < count && !all; i++)
		drop_roots(n->sept, false, ep4ta[i]);
	nested_sept_repoint(v);
	__atomic_store_n(&n->sept_ack, req, __ATOMIC_RELEASE);
}

/* Asks vCPU w to drop its roots of ep4ta (or all); the request's number. */
static uint64_t ask_shootdown(struct vcpu *w, bool all, uint64_t ep4ta)
{
	struct nested_vmx *n = &w->nested;
	uint64_t req;

	spin_lock(&w->lock);
	if (all || n->sept_drop_count == sizeof(n->sept_drop_ep4ta) / sizeof(n->sept_drop_ep4ta[0]))
		n->sept_drop_all = true;
	else
		n->sept_drop_ep4ta[n->sept_drop_count++] = ep4ta;
	req = n->sept_req + 1;
	__atomic_store_n(&n->sept_req, req, __ATOMIC_SEQ_CST);
	spin_unlock(&w->lock);
	return req;
}

void nested_invept(struct vcpu *v, uint64_t type, uint64_t eptp12)
{
	struct vm *vm = v->vm;
	bool all = type == INVEPT_ALL_CONTEXT;
	uint64_t ep4ta = eptp12 & EPT_ADDR_MASK, req[VM_VCPU_MAX];

	v->nested.sept->stats.invepts++;
	drop_roots(v->nested.sept, all, ep4ta);
	/*
	 * The VM's other vCPUs drop theirs before this INVEPT returns: each is
	 * asked and made to leave guest mode; one not running here will do it
	 * before it enters again. Meanwhile this vCPU does what is asked of it
	 * (two vCPUs' INVEPTs wait for each other).
	 */
	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *w = &vm->vcpus[i];

		if (w == v || !w->nested.sept)
			continue;
		req[i] = ask_shootdown(w, all, ep4ta);
		vcpu_wake_for_device(v, w);
	}
	/*
	 * Bounded: a kicked vCPU leaves guest mode at once on hardware, but an
	 * emulator may hold the kick back while the guest spins with IF=0
	 * (docs/bochs.md); no guest may hold this CPU for it. One that is late
	 * still drops its roots before it next starts to run.
	 */
	uint64_t give_up = rdtsc() + SEPT_SHOOTDOWN_WAIT_MS * tsc_khz();

	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *w = &vm->vcpus[i];

		if (w == v || !w->nested.sept)
			continue;
		while (__atomic_load_n(&w->nested.sept_ack, __ATOMIC_ACQUIRE) < req[i] &&
		       vcpu_running(w) && vm->state != VM_ENDED && rdtsc() < give_up) {
			if (nested_sept_asked(&v->nested))
				nested_sept_shootdown(v);
			cpu_relax();
		}
	}
}

void nested_sept_drop_all(struct vcpu *v)
{
	struct shadow_ept *s = v->nested.sept;

	if (s)
		drop_roots(s, true, 0);
}

void *nested_l2_gpa_to_ptr(struct vcpu *v, uint64_t l2gpa, uint64_t len)
{
	struct ept_walk w;

	walk_ept12(v, l2gpa, &w);
	if (w.status != EPT_WALK_OK || (l2gpa & (EPT_PAGE_4K - 1)) + len > EPT_PAGE_4K)
		return NULL;
	return vm_gpa_to_ptr(v->vm, gpa_of(w.out), len);
}

int nested_sept_alloc(struct vcpu *v, struct frame_alloc *fa, uint64_t pool_pages)
{
	struct shadow_ept *s;
	uint64_t page = frame_alloc_alloc(fa, 1, FRAME_SIZE);
	uint64_t misc = nested_caps_get(&nested_caps, MSR_IA32_VMX_EPT_VPID_CAP);

	_Static_assert(sizeof(struct shadow_ept) <= FRAME_SIZE, "struct shadow_ept fits a page");
	if (!page)
		return -1;
	s = (struct shadow_ept *)page;
	memset(s, 0, sizeof(*s));
	v->nested.sept = s;
	if (pool_pages < SEPT_MIN_POOL_PAGES)
		pool_pages = SEPT_MIN_POOL_PAGES;
	s->pool_base = frame_alloc_alloc(fa, pool_pages, FRAME_SIZE);
	if (!s->pool_base)
		return -1;
	s->pool_pages = pool_pages;
	frame_alloc_init(&s->pool);
	frame_alloc_add(&s->pool, s->pool_base, s->pool_base + pool_pages * FRAME_SIZE);
	s->rules12 = (struct ept_walk_rules){
	        .exec_only = misc & VMX_EPT_EXECUTE_ONLY,
	        .allow_2m = misc & VMX_EPT_2MB_PAGE,
	        .allow_1g = misc & VMX_EPT_1GB_PAGE,
	        .maxphyaddr = nested_caps.maxphyaddr,
	};
	s->use_2m = cpu_has_vmx_ept_2m_pages();
	s->use_1g = cpu_has_vmx_ept_1g_pages();
	return 0;
}

void nested_sept_free(struct vcpu *v, struct frame_alloc *fa)
{
	struct shadow_ept *s = v->nested.sept;

	if (!s)
		return;
	if (s->pool_base)
		frame_alloc_free(fa, s->pool_base, s->pool_pages);
	frame_alloc_free(fa, (uint64_t)s, 1);
	v->nested.sept = NULL;
}
