#include "boot/lowmem.h"

#include <stdbool.h>

#define PAGE 0x1000ULL

static bool overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

static bool in_usable_ram(const struct boot_info *bi, uint64_t pa, uint64_t end)
{
	for (uint32_t i = 0; i < bi->mem_count; i++) {
		const struct boot_mem_range *r = &bi->mem[i];

		if (r->type == BOOT_MEM_USABLE && r->base <= pa && end <= r->base + r->length)
			return true;
	}
	return false;
}

uint64_t lowmem_find_trampoline(const struct boot_info *bi, uint64_t size)
{
	uint64_t span = (size + PAGE - 1) & ~(PAGE - 1);

	if (span == 0 || span >= LOWMEM_LIMIT)
		return 0;
	for (uint64_t pa = LOWMEM_LIMIT - span; pa >= PAGE; pa -= PAGE) {
		uint64_t end = pa + span;
		bool clear = in_usable_ram(bi, pa, end) &&
		             !overlaps(pa, end, bi->info_start, bi->info_end);

		for (uint32_t m = 0; clear && m < bi->module_count; m++)
			clear = !overlaps(pa, end, bi->modules[m].start, bi->modules[m].end);
		if (clear)
			return pa;
	}
	return 0;
}
