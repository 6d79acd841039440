#include "arch/x86/paging.h"

#include <string.h>

static uint64_t *table_alloc(struct frame_alloc *fa)
{
	uint64_t pa = frame_alloc_alloc(fa, 1, PAGE_SIZE_4K);

	if (pa)
		memset((void *)pa, 0, PAGE_SIZE_4K);
	return (uint64_t *)pa;
}

uint64_t paging_build_identity(struct frame_alloc *fa, uint64_t end, bool use_1g_pages)
{
	uint64_t *pml4 = table_alloc(fa);

	if (!pml4)
		return 0;
	if (end < PAGING_LOW_MAP_END)
		end = PAGING_LOW_MAP_END;
	end = (end + PAGE_SIZE_1G - 1) & ~(PAGE_SIZE_1G - 1);

	for (uint64_t gb = 0; gb < end; gb += PAGE_SIZE_1G) {
		uint64_t i4 = (gb >> 39) & 511, i3 = (gb >> 30) & 511;

		if (!(pml4[i4] & PTE_PRESENT)) {
			uint64_t *pdpt = table_alloc(fa);

			if (!pdpt)
				return 0;
			pml4[i4] = (uint64_t)pdpt | PTE_PRESENT | PTE_WRITE;
		}
		uint64_t *pdpt = (uint64_t *)(pml4[i4] & PTE_ADDR_MASK);

		if (use_1g_pages && gb >= PAGING_LOW_MAP_END) {
			pdpt[i3] = gb | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
			continue;
		}
		uint64_t *pd = table_alloc(fa);

		if (!pd)
			return 0;
		for (uint64_t i2 = 0; i2 < 512; i2++)
			pd[i2] = (gb + i2 * PAGE_SIZE_2M) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
		pdpt[i3] = (uint64_t)pd | PTE_PRESENT | PTE_WRITE;
	}
	return (uint64_t)pml4;
}
