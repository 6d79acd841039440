#include "lib/phys_mem.h"

#include <string.h>

#include "lib/spinlock.h"

static struct frame_alloc frames;
static struct spinlock frames_lock = SPINLOCK_INIT;

struct frame_alloc *phys_lock(void)
{
	spin_lock(&frames_lock);
	return &frames;
}

void phys_unlock(struct frame_alloc *fa)
{
	(void)fa;
	spin_unlock(&frames_lock);
}

uint64_t phys_alloc(uint64_t count, uint64_t align)
{
	struct frame_alloc *fa = phys_lock();
	uint64_t pa = frame_alloc_alloc(fa, count, align);

	phys_unlock(fa);
	if (pa)
		memset((void *)pa, 0, count * FRAME_SIZE);
	return pa;
}

void phys_free(uint64_t pa, uint64_t count)
{
	struct frame_alloc *fa = phys_lock();

	frame_alloc_free(fa, pa, count);
	phys_unlock(fa);
}

uint64_t phys_free_frames(void)
{
	struct frame_alloc *fa = phys_lock();
	uint64_t n = fa->free_frames;

	phys_unlock(fa);
	return n;
}
