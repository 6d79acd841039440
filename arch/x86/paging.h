/*
 * The hypervisor's identity map: every byte of RAM and the low 4 GiB (MMIO:
 * local APIC, ACPI tables) at its own address, so a pointer is a physical
 * address. 2 MiB pages below 4 GiB (MTRR boundaries there are 2 MiB-aligned
 * in practice), 1 GiB pages above when the CPU has them.
 */
#ifndef ARCH_X86_PAGING_H
#define ARCH_X86_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/x86_bits.h"
#include "lib/frame_alloc.h"

#define PAGING_LOW_MAP_END 0x100000000ULL

/*
 * Builds identity tables for [0, max(end, 4 GiB)) from frames of `fa`.
 * Returns the PML4's physical address, or 0 if frames ran out.
 */
uint64_t paging_build_identity(struct frame_alloc *fa, uint64_t end, bool use_1g_pages);

/* Hypervisor only: builds the map for RAM up to ram_end and loads it. */
void paging_init(struct frame_alloc *fa, uint64_t ram_end);
/* Addresses below this are mapped. */
uint64_t paging_mapped_end(void);

#endif
