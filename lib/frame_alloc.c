/* Physical frame allocator over a sorted array of free ranges. */
#include "lib/frame_alloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define FRAME_MASK (FRAME_SIZE - 1)
#define FRAME_TOP  (UINT64_MAX & ~FRAME_MASK) /* highest representable frame end */

void frame_alloc_init(struct frame_alloc *fa)
{
	memset(fa, 0, sizeof(*fa));
}

static void frame_alloc_remove_at(struct frame_alloc *fa, uint32_t i, uint32_t n)
{
	for (uint32_t k = i; k + n < fa->count; k++)
		fa->free[k] = fa->free[k + n];
	fa->count -= n;
}

/* Opens a hole at i; the caller has checked there is room. */
static void frame_alloc_open_at(struct frame_alloc *fa, uint32_t i)
{
	for (uint32_t k = fa->count; k > i; k--)
		fa->free[k] = fa->free[k - 1];
	fa->count++;
}

/*
 * Adds aligned [s, e) as the union with every range it overlaps or touches.
 * Only frames not already free are counted. -ENOSPC leaves fa unchanged.
 */
static int frame_alloc_insert(struct frame_alloc *fa, uint64_t s, uint64_t e)
{
	uint32_t i = 0, j;
	uint64_t ns = s, ne = e, old = 0;

	while (i < fa->count && fa->free[i].end < s)
		i++;
	for (j = i; j < fa->count && fa->free[j].start <= e; j++) {
		if (fa->free[j].start < ns)
			ns = fa->free[j].start;
		if (fa->free[j].end > ne)
			ne = fa->free[j].end;
		old += (fa->free[j].end - fa->free[j].start) / FRAME_SIZE;
	}
	if (j == i) {
		if (fa->count == FRAME_ALLOC_MAX_RANGES)
			return FRAME_ALLOC_ENOSPC;
		frame_alloc_open_at(fa, i);
	} else {
		frame_alloc_remove_at(fa, i + 1, j - i - 1);
	}
	fa->free[i].start = ns;
	fa->free[i].end = ne;
	fa->free_frames += (ne - ns) / FRAME_SIZE - old;
	return 0;
}

int frame_alloc_add(struct frame_alloc *fa, uint64_t start, uint64_t end)
{
	uint64_t s, e;

	if (end < start)
		return FRAME_ALLOC_EINVAL;
	if (start > FRAME_TOP)
		return 0; /* rounds up past the top: no whole frame */
	s = (start + FRAME_MASK) & ~FRAME_MASK;
	e = end & ~FRAME_MASK;
	if (s < FRAME_SIZE)
		s = FRAME_SIZE; /* 0 means failure from alloc, so frame 0 is never free */
	if (s >= e)
		return 0;
	return frame_alloc_insert(fa, s, e);
}

void frame_alloc_reserve(struct frame_alloc *fa, uint64_t start, uint64_t end)
{
	uint64_t s, e;

	if (end <= start)
		return;
	s = start & ~FRAME_MASK;
	e = end > FRAME_TOP ? FRAME_TOP : (end + FRAME_MASK) & ~FRAME_MASK;

	for (uint32_t i = 0; i < fa->count;) {
		uint64_t rs = fa->free[i].start, re = fa->free[i].end;

		if (re <= s) {
			i++;
			continue;
		}
		if (rs >= e)
			break;
		if (s <= rs && e >= re) {
			/* Covered: drop it, the next range moves into slot i. */
			fa->free_frames -= (re - rs) / FRAME_SIZE;
			frame_alloc_remove_at(fa, i, 1);
		} else if (s <= rs) {
			/* Cuts the head; later ranges start beyond e. */
			fa->free_frames -= (e - rs) / FRAME_SIZE;
			fa->free[i].start = e;
			break;
		} else if (e >= re) {
			fa->free_frames -= (re - s) / FRAME_SIZE;
			fa->free[i].end = s;
			i++;
		} else if (fa->count < FRAME_ALLOC_MAX_RANGES) {
			frame_alloc_open_at(fa, i + 1);
			fa->free[i].end = s;
			fa->free[i + 1].start = e;
			fa->free[i + 1].end = re;
			fa->free_frames -= (e - s) / FRAME_SIZE;
			break;
		} else if (s - rs >= re - e) {
			/* No room to split: keep the larger side, lose the other. */
			fa->free_frames -= (re - s) / FRAME_SIZE;
			fa->free[i].end = s;
			break;
		} else {
			fa->free_frames -= (e - rs) / FRAME_SIZE;
			fa->free[i].start = e;
			break;
		}
	}
}

void frame_alloc_fail_nth(struct frame_alloc *fa, uint32_t n)
{
	fa->fail_in = n;
}

uint64_t frame_alloc_alloc(struct frame_alloc *fa, uint64_t frames, uint64_t align)
{
	uint64_t size;

	if (fa->fail_in && --fa->fail_in == 0)
		return 0;

	if (frames == 0 || frames > UINT64_MAX / FRAME_SIZE)
		return 0;
	if (align < FRAME_SIZE)
		align = FRAME_SIZE;
	if (align & (align - 1))
		return 0;
	size = frames * FRAME_SIZE;

	for (uint32_t i = 0; i < fa->count; i++) {
		uint64_t rs = fa->free[i].start, re = fa->free[i].end, a;

		if (rs > UINT64_MAX - (align - 1))
			break; /* sorted: no later range aligns either */
		a = (rs + align - 1) & ~(align - 1);
		if (a >= re || re - a < size)
			continue;
		if (a == rs) {
			fa->free[i].start += size;
			if (fa->free[i].start == re)
				frame_alloc_remove_at(fa, i, 1);
		} else if (a + size == re) {
			fa->free[i].end = a;
		} else {
			if (fa->count == FRAME_ALLOC_MAX_RANGES)
				continue; /* would need a split: try a higher range */
			frame_alloc_open_at(fa, i + 1);
			fa->free[i].end = a;
			fa->free[i + 1].start = a + size;
			fa->free[i + 1].end = re;
		}
		fa->free_frames -= frames;
		return a;
	}
	return 0;
}

int frame_alloc_free(struct frame_alloc *fa, uint64_t pa, uint64_t frames)
{
	uint64_t end;

	if (frames == 0)
		return 0;
	if (pa == 0 || (pa & FRAME_MASK) || frames > (UINT64_MAX - pa) / FRAME_SIZE)
		return FRAME_ALLOC_EINVAL;
	end = pa + frames * FRAME_SIZE;
	for (uint32_t i = 0; i < fa->count && fa->free[i].start < end; i++) {
		if (pa < fa->free[i].end)
			return FRAME_ALLOC_EOVERLAP;
	}
	return frame_alloc_insert(fa, pa, end);
}

bool frame_alloc_check(const struct frame_alloc *fa)
{
	uint64_t frames = 0;

	if (fa->count > FRAME_ALLOC_MAX_RANGES)
		return false;
	for (uint32_t i = 0; i < fa->count; i++) {
		uint64_t s = fa->free[i].start, e = fa->free[i].end;

		if (s < FRAME_SIZE || s >= e || (s & FRAME_MASK) || (e & FRAME_MASK))
			return false;
		if (i > 0 && fa->free[i - 1].end >= s)
			return false;
		frames += (e - s) / FRAME_SIZE;
	}
	return frames == fa->free_frames;
}
