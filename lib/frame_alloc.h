/*
 * Physical frame allocator: a sorted array of free [start, end) ranges of
 * 4 KiB frames. No locking inside: the caller serialises.
 */
#ifndef LIB_FRAME_ALLOC_H
#define LIB_FRAME_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#define FRAME_SIZE             4096ULL
#define FRAME_ALLOC_MAX_RANGES 128

#define FRAME_ALLOC_EINVAL   (-1) /* unaligned, empty-wrapping or frame-0 request */
#define FRAME_ALLOC_ENOSPC   (-2) /* range array full: the memory is not tracked */
#define FRAME_ALLOC_EOVERLAP (-3) /* freeing frames that are already free */

/*
 * Invariants: ranges sorted, frame-aligned, non-empty, never adjacent or
 * overlapping (neighbours are merged), never containing frame 0, and
 * free_frames is the sum of their sizes in frames.
 */
struct frame_alloc {
	struct {
		uint64_t start;
		uint64_t end;
	} free[FRAME_ALLOC_MAX_RANGES];
	uint32_t count;
	uint64_t free_frames;
	uint32_t fail_in; /* fault injection: the fail_in-th allocation from now fails (0: none) */
};

void frame_alloc_init(struct frame_alloc *fa);

/*
 * Fault injection for tests: the n-th allocation from now returns 0 as if
 * memory had run out (n = 0: none). Later allocations work again.
 */
void frame_alloc_fail_nth(struct frame_alloc *fa, uint32_t n);

/*
 * Adds free RAM [start, end), rounded inward to whole frames and merged with
 * neighbours and with free ranges it overlaps (firmware maps may overlap).
 * Frame 0 is never added. Returns 0, or FRAME_ALLOC_ENOSPC if the array is
 * full (the range is then not added at all), FRAME_ALLOC_EINVAL if end < start.
 */
int frame_alloc_add(struct frame_alloc *fa, uint64_t start, uint64_t end);

/*
 * Removes [start, end), rounded outward to whole frames, from the free set,
 * splitting a range if needed. If a split is needed while the array is
 * full, the smaller leftover piece is dropped too (lost, never handed out):
 * reserved memory must never stay free.
 */
void frame_alloc_reserve(struct frame_alloc *fa, uint64_t start, uint64_t end);

/*
 * Allocates `frames` contiguous frames at the lowest address aligned to
 * `align` bytes (a power of two; below 4096, including 0, means 4096).
 * Returns the physical address, or 0 on failure (out of memory, bad align,
 * or only fits where a split is needed and the array is full).
 */
uint64_t frame_alloc_alloc(struct frame_alloc *fa, uint64_t frames, uint64_t align);

/*
 * Gives back [pa, pa + frames * FRAME_SIZE), merging with neighbours.
 * Returns 0, FRAME_ALLOC_EOVERLAP if any of it is already free (double free;
 * nothing changes), FRAME_ALLOC_EINVAL for a bad pa/size, FRAME_ALLOC_ENOSPC
 * if the array is full (the frames are then leaked).
 */
int frame_alloc_free(struct frame_alloc *fa, uint64_t pa, uint64_t frames);

/* True if the invariants above hold: for tests and debug checks. */
bool frame_alloc_check(const struct frame_alloc *fa);

#endif
