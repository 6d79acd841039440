/*
 * EPT tables (SDM Vol. 3 29.3). Two halves:
 *  - tables Umbra owns (struct ept): a 4-level guest-physical (gpa_t) ->
 *    host-physical (hpa_t) map built from frames of a frame allocator:
 *    map, unmap, split a large page, walk, destroy. Umbra identity-maps
 *    physical memory, so a table's physical address is also a pointer to
 *    it; host tests hand the allocator a heap buffer and the same code runs
 *    unchanged;
 *  - a walker for any 4-level EPT (struct ept_tables), Umbra's or an L1
 *    hypervisor's EPT12: it reads entries through an injected accessor and
 *    applies the rules the caller gives (struct ept_walk_rules), so it can
 *    check an L1's tables against what Umbra offers that L1.
 * No locking inside: the caller serialises (it holds the frame allocator
 * anyway). Nothing here runs INVEPT: after changing tables a CPU may use,
 * the caller does.
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

#define EPT_ENTRIES 512 /* per table */

/* The entry of a level-`level` table (4 = PML4, 1 = PT) that translates addr. */
static inline unsigned int ept_index(uint64_t addr, int level)
{
	return (addr >> (12 + 9 * (level - 1))) & (EPT_ENTRIES - 1);
}

#define EPT_PAGE_4K   0x1000ULL
#define EPT_PAGE_2M   0x200000ULL
#define EPT_PAGE_1G   0x40000000ULL
#define EPT_GPA_LIMIT (1ULL << 48) /* a 4-level walk translates 48 bits */
#define EPT_HPA_LIMIT (1ULL << 52)

/* EPTP (SDM 25.6.11): memory type WB, walk length 4 - 1, A/D enable. */
#define EPTP_MEMTYPE_WB    6ULL
#define EPTP_WALK_LENGTH_4 (3ULL << 3)
#define EPTP_AD_ENABLE     (1ULL << 6)

/* ept_init, ept_map, ept_unmap and ept_split errors. */
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
 * split (ept_split does that). gpa, hpa and size must be 4 KiB-aligned.
 * Returns 0 or EPT_E*; on error nothing changed: neither the tables nor the
 * allocator (the tables' frames are all taken before any entry is written).
 */
int ept_map(struct ept *e, struct frame_alloc *fa, gpa_t gpa, hpa_t hpa, uint64_t size,
            uint64_t leaf_flags);

/*
 * Unmaps guest-physical [gpa, gpa + size): leaves inside it are cleared, a
 * large page only partly inside is split first (ept_split) so that what
 * lies outside stays mapped, and table pages left with no present entry
 * are unlinked and counted out of table_pages. Parts not mapped are fine.
 * gpa and size must be 4 KiB-aligned.
 * A CPU may still cache translations and paging-structure entries for the
 * range until the caller's INVEPT, and may read a table it cached a
 * pointer to. So unlinked table pages are freed only when stale is NULL
 * (tables no CPU has used since the last INVEPT); otherwise they are added
 * to the list *stale, for ept_free_stale() after the INVEPT. The list is
 * linked through each page's first word, a frame address: to a CPU still
 * reading the page it is a not-present entry.
 * Returns 0 or EPT_EINVAL, EPT_ENOMEM (frames for the splits); on error
 * nothing changed.
 */
int ept_unmap(struct ept *e, struct frame_alloc *fa, gpa_t gpa, uint64_t size, hpa_t *stale);

/* Frees the table pages ept_unmap put on *stale, and empties the list. */
void ept_free_stale(struct frame_alloc *fa, hpa_t *stale);

/*
 * Splits the large page that maps gpa into 512 pages of the next size down
 * (1 GiB -> 2 MiB, 2 MiB -> 4 KiB), each with the large page's bits but
 * the address (permissions, memory type, ignore-PAT, accessed, dirty...).
 * The translation is unchanged. Returns 0, EPT_EINVAL if gpa is not mapped
 * by a large page, or EPT_ENOMEM (nothing changed: the frame is taken
 * before anything is written).
 */
int ept_split(struct ept *e, struct frame_alloc *fa, gpa_t gpa);

/*
 * What a walk accepts (SDM 29.3.2 and 29.3.3.1): the CPU's EPT
 * capabilities (IA32_VMX_EPT_VPID_CAP) for tables the CPU walks, or what
 * Umbra offers an L1 for the L1's tables.
 */
struct ept_walk_rules {
	bool exec_only; /* execute-only entries (no read, execute) are allowed */
	bool allow_2m;  /* bit 7 of a PDE maps a 2 MiB page; else it is reserved */
	bool allow_1g;  /* bit 7 of a PDPTE maps a 1 GiB page; else it is reserved */
	/*
	 * Mode-based execute control: bit 10 is user-mode execute, and alone
	 * makes an entry present. Without it, bit 10 is ignored.
	 */
	bool mbec;
	bool ad;            /* EPTP A/D enable: bits 8 and 9 are accessed and dirty */
	uint8_t maxphyaddr; /* physical-address width: bits 51:maxphyaddr reserved; 0 = 52 */
};

/*
 * Reads entry `index` (0-511) of the table at address `table`, an address
 * in whatever space the tables live in (host-physical for Umbra's, the
 * L1's guest-physical for an EPT12). False if it cannot be read.
 */
typedef bool (*ept_read_entry_fn)(void *ctx, uint64_t table, unsigned int index, uint64_t *entry);

/* Reads a table Umbra owns, through the identity map (ctx unused). */
bool ept_read_identity(void *ctx, uint64_t table, unsigned int index, uint64_t *entry);

/* A 4-level EPT to walk. */
struct ept_tables {
	uint64_t pml4; /* the PML4's address, as read_entry takes it */
	struct ept_walk_rules rules;
	ept_read_entry_fn read_entry;
	void *ctx;
};

enum ept_walk_status {
	EPT_WALK_OK,
	EPT_WALK_NOT_PRESENT, /* an entry is not present: an EPT violation for any access */
	EPT_WALK_MISCONFIG,   /* an EPT misconfiguration: see ept_misconfig */
	EPT_WALK_READ_FAILED, /* read_entry failed */
	EPT_WALK_OUT_OF_RANGE, /* the input is at or above EPT_GPA_LIMIT: 4 levels translate 48 bits */
};

/* Why an entry is an EPT misconfiguration (SDM 29.3.3.1, Tables 29-1 to 29-6). */
enum ept_misconfig {
	EPT_MISCONFIG_NONE,
	EPT_MISCONFIG_WRITE_NO_READ, /* bits 2:0 are 010b or 110b */
	EPT_MISCONFIG_EXEC_ONLY,     /* execute without read, and rules.exec_only is false */
	EPT_MISCONFIG_LARGE,         /* bit 7 of a PML4E, or a page size the rules do not allow */
	EPT_MISCONFIG_RESERVED,      /* another reserved bit: the level's, or 51:maxphyaddr */
	EPT_MISCONFIG_MEMTYPE,       /* a leaf's memory type is 2, 3 or 7 */
};

/* What a walk found. */
struct ept_walk {
	enum ept_walk_status status;
	enum ept_misconfig misconfig; /* EPT_WALK_MISCONFIG: which rule */
	/*
	 * OK: the leaf's level, 1 for a 4 KiB page, 2 for 2 MiB, 3 for 1 GiB.
	 * NOT_PRESENT, MISCONFIG, READ_FAILED: the level of the entry at fault
	 * (4 = PML4E). OUT_OF_RANGE: 0.
	 */
	int level;
	uint64_t entry; /* OK: the leaf; NOT_PRESENT, MISCONFIG: the entry at fault; else 0 */
	/*
	 * EPT_READ, EPT_WRITE, EPT_EXEC (and EPT_USER_EXEC with rules.mbec) of
	 * every entry read, AND-ed, the one at fault included: what an EPT
	 * violation reports in its exit qualification bits 5:3 (and 6).
	 */
	uint64_t perm;
	/* The entries above w->entry: their permissions AND-ed, and the table holding it. */
	uint64_t perm_above;
	uint64_t table;
	uint64_t out;    /* OK: the output address for the input (typed by the callers below) */
	uint8_t memtype; /* OK: the leaf's memory type, bits 5:3 */
	bool ignore_pat; /* OK: the leaf's bit 6 */
	bool accessed, dirty; /* OK, with rules.ad: the leaf's bits 8 and 9 (else false) */
};

/*
 * Walks t the way the CPU walks it, for the input address `in`, reading
 * each entry through t->read_entry and checking it against t->rules.
 * Untyped: in and w->out are in the spaces t translates between; prefer
 * ept_walk() or ept_walk_l1().
 */
void ept_walk_tables(const struct ept_tables *t, uint64_t in, struct ept_walk *w);

/*
 * The same walk from the level-`from` table at `table`, with `perm` the
 * permissions of the entries above it: a caller that kept the upper
 * levels of an earlier walk (as the CPU's paging-structure caches may,
 * until INVEPT) reads only the rest. ept_walk_tables is this from the
 * PML4 with every permission.
 */
void ept_walk_tables_from(const struct ept_tables *t, uint64_t table, int from, uint64_t perm,
                          uint64_t in, struct ept_walk *w);

/*
 * Walks Umbra's own tables e (through the identity map, with the rules
 * ept_map writes by: every leaf size, execute-only, A/D). True if gpa is
 * mapped, then *hpa (if not NULL) is where it goes. A zeroed e maps
 * nothing (not present at level 4).
 */
bool ept_walk(const struct ept *e, gpa_t gpa, struct ept_walk *w, hpa_t *hpa);

/*
 * Walks an L1 hypervisor's EPT12: t->pml4 and the tables are in the L1's
 * guest-physical memory, the input is an L2 guest-physical address. True
 * if it is mapped, then *out (if not NULL) is the L1 guest-physical
 * address it goes to.
 */
bool ept_walk_l1(const struct ept_tables *t, l2gpa_t in, struct ept_walk *w, gpa_t *out);

/*
 * ept_walk() in short. Returns false if gpa is not mapped; else the
 * outputs that are not NULL get the host-physical address, the leaf's
 * flags (its bits outside the address, EPT_LARGE cleared) and the leaf's
 * level: 1 for a 4 KiB page, 2 for 2 MiB, 3 for 1 GiB.
 */
bool ept_translate(const struct ept *e, gpa_t gpa, hpa_t *hpa, uint64_t *leaf_flags, int *level);

/*
 * The 4 KiB-leaf slot that maps gpa, if the tables down to it exist (no
 * large leaf on the way): a caller that knows the translation it wants
 * may write a leaf there directly, without ept_map's two passes. NULL if
 * there is no such table (then ept_map makes it). The caller's INVEPT
 * rules are ept_map's.
 */
uint64_t *ept_leaf_slot(const struct ept *e, gpa_t gpa);

/* The EPTP VM-execution control for these tables. */
uint64_t ept_eptp(const struct ept *e, bool ad_enabled);

/* Frees every table page and zeroes *e. A zeroed *e is fine. */
void ept_destroy(struct ept *e, struct frame_alloc *fa);

#endif
