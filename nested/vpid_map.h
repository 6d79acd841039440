/*
 * Which hardware VPID an L2 runs with: one per VPID its L1 uses (up to
 * VPID_MAP_SLOTS per vCPU, reassigned round robin), so an L1 switching
 * between its guests keeps each one's TLB entries, and INVVPID of one L1
 * VPID flushes only its own. Pure, host-tested; nested.c turns a slot into
 * a hardware VPID and does the flushes.
 */
#ifndef NESTED_VPID_MAP_H
#define NESTED_VPID_MAP_H

#include <stdbool.h>
#include <stdint.h>

#define VPID_MAP_SLOTS 4

struct vpid_map {
	uint16_t l1[VPID_MAP_SLOTS]; /* the L1 VPID a slot stands for; 0: free */
	uint8_t next;                /* the slot the next new VPID takes */
};

/*
 * The slot of L1's VPID vpid12 (not 0): the one it has, or one taken for
 * it; *fresh is true if the slot was taken now (whatever TLB entries its
 * hardware VPID holds are another L1 VPID's: flush them).
 */
unsigned int vpid_map_get(struct vpid_map *m, uint16_t vpid12, bool *fresh);

/* The slot of vpid12, or -1 if it has none (nothing of it is cached). */
int vpid_map_find(const struct vpid_map *m, uint16_t vpid12);

#endif
