/* Choosing a page below 1 MiB for the AP trampoline (SIPI can only reach there). */
#ifndef BOOT_LOWMEM_H
#define BOOT_LOWMEM_H

#include <stdint.h>

#include "boot/boot_info.h"

#define LOWMEM_LIMIT 0xa0000ULL /* VGA and BIOS areas start here */

/*
 * The highest page-aligned [pa, pa + size) below LOWMEM_LIMIT, above page 0,
 * inside usable RAM, and clear of the boot information and every module.
 * Returns 0 if there is none.
 */
uint64_t lowmem_find_trampoline(const struct boot_info *bi, uint64_t size);

#endif
