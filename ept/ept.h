/*
 * EPT tables (SDM Vol. 3 29.3): a 4-level guest-physical -> host-physical
 * map built from frames of a frame allocator, and walked the way the CPU
 * walks it. Umbra identity-maps physical memory, so a table's physical
 * address is also a pointer to it; host tests hand the allocator a heap
 * buffer and the same code runs unchanged. No locking inside: the caller
 * serialises (it holds the frame allocator anyway).
 */
#ifndef EPT_EPT_H
#define EPT_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/frame_alloc.h"

/* Entry bits (SDM Tables 29-1 to 29-6). */
#define EPT_READ          (1ULL << 0)
#define EPT_WRITE         (1ULL << 1)
#define EPT_EXEC          (1ULL << 2)
#define EPT_RWX           (EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MEMTYPE_SHIFT 3 /* leaf only: bits 5:3 */
#define EPT_MEMTYPE_MASK  (7ULL << EPT_MEMTYPE_SHIFT)
#define EPT_MEMTYPE_UC    (0ULL << EPT_MEMTYPE_SHIFT)
#define EPT_MEMTYPE_WC    (1ULL << EPT_MEMTYPE_SHIFT)
#define EPT_MEMTYPE_WT    (4ULL << EPT_MEMTYPE_SHIFT)
#define EPT_MEMTYPE_WP    (5ULL << EPT_MEMTYPE_SHIFT)
#define EPT_MEMTYPE_WB    (6ULL << EPT_MEMTYPE_SHIFT)
#define EPT_IGNORE_PAT    (1ULL << 6)
#define EPT_LARGE         (1ULL << 7) /* a 2 MiB (PDE) or 1 GiB (PDPTE) leaf */
#define EPT_ACCESSED      (1ULL << 8)
#define EPT_DIRTY         (1ULL << 9)  /* leaf only */
#define EPT_USER_EXEC     (1ULL << 10) /* with mode-based execute control */
#define EPT_SUPPRESS_VE   (1ULL << 63)
#define EPT_ADDR_MASK     0x000ffffffffff000ULL

/* Bits a caller may give ept_map as leaf flags. */
#define EPT_LEAF_FLAGS \
	(EPT_RWX | EPT_MEMTYPE_MASK | EPT_IGNORE_PAT | EPT_USER_EXEC | EPT_SUPPRESS_VE)

#define EPT_PAGE_4K   0x1000ULL
#define EPT_PAGE_2M   0x200000ULL
#define EPT_PAGE_1G   0x40000000ULL
#define EPT_GPA_LIMIT (1ULL << 48) /* a 4-level walk translates 48 bits */
#define EPT_HPA_LIMIT (1ULL << 52)

/* EPTP (SDM 25.6.11): memory type WB, walk length 4 - 1, A/D enable. */
#define EPTP_MEMTYPE_WB    6ULL
#define EPTP_WALK_LENGTH_4 (3ULL << 3)
#define EPTP_AD_ENABLE     (1ULL << 6)

/* ept_map and ept_init errors. */
#define EPT_EINVAL (-1) /* unaligned, empty, out-of-range request or bad flags */
#define EPT_ENOMEM (-2) /* not enough frames for the tables */
#define EPT_EEXIST (-3) /* part of the range is already mapped differently */

struct ept {
	hpa_t pml4;
	uint32_t table_pages; /* every table page, the PML4 included */
	/* Leaf sizes ept_map may use: set from the CPU's EPT capabilities. */
	bool use_2m, use_1g;
};

/*
 * Allocates a zeroed PML4. ept_map then uses 2 MiB pages but not 1 GiB
 * ones: clear use_2m / set use_1g after this to follow the CPU. Returns 0
 * or EPT_ENOMEM (then *e is zeroed).
 */
int ept_init(struct ept *e, struct frame_alloc *fa);

/*
 * Maps guest-physical [gpa, gpa + size) to host-physical [hpa, ...) with
 * leaf_flags (EPT_LEAF_FLAGS: at least one permission, never write without
 * read, a defined memory type). Uses the largest leaf e allows wherever gpa,
 * hpa and the remaining size are aligned to it, 4 KiB pages elsewhere. Parts
 * already mapped the same way are fine; an existing large page is never
 * split. gpa, hpa and size must be 4 KiB-aligned.
 * Returns 0 or EPT_E*; on error nothing changed: neither the tables nor the
 * allocator (the tables' frames are all taken before any entry is written).
 */
int ept_map(struct ept *e, struct frame_alloc *fa, gpa_t gpa, hpa_t hpa, uint64_t size,
            uint64_t leaf_flags);

/*
 * Walks like the CPU. Returns false if gpa is not mapped; else the outputs
 * that are not NULL get the host-physical address, the leaf's flags (its
 * bits outside the address, EPT_LARGE cleared) and the leaf's level: 1 for
 * a 4 KiB page, 2 for 2 MiB, 3 for 1 GiB.
 */
bool ept_translate(const struct ept *e, gpa_t gpa, hpa_t *hpa, uint64_t *leaf_flags, int *level);

/* The EPTP VM-execution control for these tables. */
uint64_t ept_eptp(const struct ept *e, bool ad_enabled);

/* Frees every table page and zeroes *e. A zeroed *e is fine. */
void ept_destroy(struct ept *e, struct frame_alloc *fa);

#endif
