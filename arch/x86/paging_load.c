/* Installs the identity map on the boot CPU (the hardware half of paging). */
#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/paging.h"
#include "lib/panic.h"

/* The 32-bit AP path loads CR3 from here, so the PML4 must sit below 4 GiB. */
extern uint32_t boot_cr3;

static uint64_t mapped_end = PAGING_LOW_MAP_END;

void paging_init(struct frame_alloc *fa, uint64_t ram_end)
{
	uint64_t pml4 = paging_build_identity(fa, ram_end, cpu_has_1g_pages());

	CHECK(pml4 != 0 && pml4 < PAGING_LOW_MAP_END);
	boot_cr3 = (uint32_t)pml4;
	write_cr3(pml4);
	mapped_end = ram_end > PAGING_LOW_MAP_END ? ram_end : PAGING_LOW_MAP_END;
}

uint64_t paging_mapped_end(void)
{
	return mapped_end;
}
