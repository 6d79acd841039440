/*
 * The hypervisor's physical memory: one frame allocator for all CPUs,
 * behind a lock. Code that needs the allocator itself (EPT, VMCS set-up)
 * takes it with phys_lock() and gives it back with phys_unlock().
 */
#ifndef LIB_PHYS_MEM_H
#define LIB_PHYS_MEM_H

#include <stdint.h>

#include "lib/frame_alloc.h"

struct frame_alloc *phys_lock(void);
void phys_unlock(struct frame_alloc *fa);

/* Zeroed frames, or 0 if there are none. */
uint64_t phys_alloc(uint64_t frames, uint64_t align);
void phys_free(uint64_t pa, uint64_t frames);
/* Frames free now (for the leak check of a run: docs/isolation.md). */
uint64_t phys_free_frames(void);

#endif
