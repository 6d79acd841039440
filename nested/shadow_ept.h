/*
 * Shadow EPT: the EPT02 tables the CPU walks while L2 runs, when L1 gave
 * its L2 EPT (EPT12). EPT02 = EPT12 composed with EPT01 (L1's own memory),
 * built on demand: an EPT violation of L2 makes Umbra walk EPT12 live
 * (never from a cache), and either fill EPT02 with the intersection of the
 * two or give L1 the violation or misconfiguration its CPU would have
 * given it (docs/nested.md, "Shadow EPT").
 *
 * Per vCPU: a few EPT02 roots, one per "role" (the EPTP12 bits that shape
 * the walk: the EP4TA, walk length, A/D enable; not the memory type of the
 * tables themselves), least recently used first out; their tables come from
 * the vCPU's pool (its share of the VM's `ept02_pool=`). Roots are per
 * vCPU, so each is used on one CPU only. INVEPT by L1 drops its vCPU's
 * roots and asks the VM's other vCPUs to drop theirs on their own CPUs,
 * waiting for those running (nested_sept_shootdown).
 */
#ifndef NESTED_SHADOW_EPT_H
#define NESTED_SHADOW_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmx/vmx_bits.h"
#include "ept/ept.h"
#include "lib/addr.h"
#include "lib/frame_alloc.h"

#define SEPT_ROOTS 4
/* EPTP12 bits that key a role: all but the memory type (bits 2:0). */
#define SEPT_ROLE_MASK (~7ULL)
/* How long an INVEPT waits, at most, for the VM's running vCPUs to drop their roots. */
#define SEPT_SHOOTDOWN_WAIT_MS 100
#define SEPT_MIN_POOL_PAGES    8 /* a 4-level walk needs 4 tables; vm.h's minimum gives this */

struct sept_root {
	uint64_t role;  /* EPTP12 & SEPT_ROLE_MASK; 0: the slot is free */
	struct ept ept; /* EPT02 */
	uint64_t last_used;
};

/* Counted per vCPU, printed when the VM ends (`umbra: ept02 VM.VCPU ...`). */
struct sept_stats {
	uint64_t hits;        /* nested entries whose role had a root */
	uint64_t misses;      /* ... that needed a new root */
	uint64_t fills;       /* EPT02 leaves installed */
	uint64_t region_hits; /* ... of them with EPT12's upper levels kept (sept_region_cache) */
	uint64_t violations;  /* EPT violations given to L1 */
	uint64_t misconfigs;  /* EPT misconfigurations given to L1 */
	uint64_t l1_mmio;     /* L2 accesses EPT12 maps onto L1's devices */
	uint64_t invepts;     /* INVEPTs of L1 */
	uint64_t dropped;     /* roots dropped (INVEPT, eviction, pool exhausted) */
	uint64_t resets;      /* the pool ran out: every root dropped */
};

/*
 * The upper levels of the last fill's EPT12 walk, and EPT02's page table
 * for the same 2 MiB region: the next fill there reads one EPT12 entry and
 * writes one EPT02 entry. Keeping EPT12's PML4E, PDPTE and PDE is what the
 * CPU's paging-structure caches may do until INVEPT (SDM 29.4); the leaf
 * is always read live. Emptied whenever a root is dropped or changed other
 * than by a fill, on INVEPT, and before a violation is given to L1 (whose
 * CPU would have walked afresh).
 */
struct sept_region_cache {
	const struct sept_root *root; /* the root it is for; NULL: empty */
	uint64_t region;              /* the L2 guest-physical address >> 21 */
	uint64_t pt12;                /* EPT12's page table for it (L1 guest-physical) */
	uint64_t perm12;              /* the permissions of the EPT12 entries above it */
	uint64_t *pt02;               /* EPT02's page table for it, or NULL */
};

struct shadow_ept {
	struct frame_alloc pool; /* EPT02 tables only */
	struct sept_region_cache region;
	uint64_t pool_base, pool_pages;
	struct sept_root roots[SEPT_ROOTS];
	struct sept_root *cur; /* the root vmcs02's EPT_POINTER names, or NULL */
	uint64_t clock;        /* for last_used */
	/* Walk rules for L1's tables: what Umbra offers (l1_caps.c). */
	struct ept_walk_rules rules12;
	bool use_2m, use_1g; /* leaf sizes the CPU takes in EPT02 */
	struct sept_stats stats;
};

/*
 * True if the root of the last nested_sept_eptp() is still current (not
 * dropped since), counted as a role hit: vmcs02 keeps its EPT_POINTER.
 * Inline: on every nested entry of an L2 with EPT.
 */
static inline bool sept_root_current(struct shadow_ept *s)
{
	if (!s->cur)
		return false;
	s->stats.hits++;
	return true;
}

/*
 * The pure part: what an L2 EPT violation becomes, from the hardware's
 * qualification and the live walk of EPT12.
 */
enum sept_action {
	SEPT_FILL,      /* EPT12 allows the access: install it in EPT02 */
	SEPT_VIOLATION, /* EPT12 denies it: an EPT violation for L1 */
	SEPT_MISCONFIG, /* EPT12 is misconfigured: an EPT misconfiguration for L1 */
};
/* Inline: on every fill. Access bits as L1's CPU reports them, then the decision. */
static inline uint64_t sept_access(uint64_t hw_qual, bool ad)
{
	uint64_t access = hw_qual & EPT_QUAL_ACCESS_MASK;

	/*
	 * With A/D flags, the CPU's accesses to guest paging structures are
	 * writes (SDM 29.3.3.2; both bits in the qualification). EPT02 has
	 * no A/D, so the CPU reported a read: L1's CPU would not have.
	 */
	if (ad && (hw_qual & EPT_QUAL_GLA_VALID) && !(hw_qual & EPT_QUAL_GLA_XLATE))
		access |= EPT_QUAL_READ | EPT_QUAL_WRITE;
	return access;
}

static inline enum sept_action sept_decide(uint64_t hw_qual, bool ad, const struct ept_walk *w12,
                                           uint64_t *qual12)
{
	uint64_t access = sept_access(hw_qual, ad);

	*qual12 = 0;
	if (w12->status == EPT_WALK_MISCONFIG)
		return SEPT_MISCONFIG;
	if (w12->status == EPT_WALK_OK && !(access & ~w12->perm & EPT_RWX))
		return SEPT_FILL;
	/*
	 * A violation as L1's CPU reports it: the access and where the linear
	 * address came in as the CPU saw them, the permissions of L1's entries
	 * (none past the one not present). No advanced information is offered,
	 * so bits 11:9 are 0.
	 */
	*qual12 = access | (w12->perm & EPT_RWX) << EPT_QUAL_PERM_SHIFT |
	          (hw_qual & (EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE | EPT_QUAL_NMI_UNBLOCKED));
	return SEPT_VIOLATION;
}

/*
 * The EPT02 leaf for a fill: the smaller of EPT12's and EPT01's pages,
 * with the intersection of their permissions and EPT12's memory type and
 * ignore-PAT. l2gpa is the faulting address, w12 EPT12's walk of it (OK),
 * hpa where EPT01 puts w12's output, level01 EPT01's leaf level, perm01
 * its permissions; use_2m/use_1g what EPT02 may hold; clean: EPT12 has A/D
 * flags and its leaf is not dirty (EPT02 then leaves out write, so that the
 * first write exits and sets it). Outputs the aligned range and the flags.
 */
struct sept_leaf {
	uint64_t gpa2; /* aligned L2 guest-physical start */
	uint64_t hpa;  /* aligned host-physical start */
	uint64_t size;
	uint64_t flags;
};
void sept_leaf(uint64_t l2gpa, const struct ept_walk *w12, uint64_t hpa, int level01,
               uint64_t perm01, bool use_2m, bool use_1g, bool clean, struct sept_leaf *leaf);

/*
 * The root for a role: the cached one (hit), a free slot, or the least
 * recently used one emptied (miss). Pure bookkeeping: *evicted is the
 * root to empty first, or NULL.
 */
struct sept_root *sept_lookup(struct shadow_ept *s, uint64_t eptp12, bool *hit,
                              struct sept_root **evicted);

#endif
