/*
 * The Multiboot1 header, linked into Multiboot1 payloads only (the Makefile
 * picks this file or mb2_header.S), so a loader sees exactly one protocol.
 * payload.ld puts .mb_header first in the image: file offset 0x1000, well
 * inside the 8 KiB Multiboot1 loaders search.
 */
#include "boot/multiboot.h"

#define MB1_FLAGS (MULTIBOOT1_HEADER_PAGE_ALIGN | MULTIBOOT1_HEADER_MEMORY_INFO | \
		   MULTIBOOT1_HEADER_AOUT_KLUDGE)

	.section .mb_header, "a"
	.balign MULTIBOOT1_HEADER_ALIGN
mb1_header:
	.long MULTIBOOT1_HEADER_MAGIC
	.long MB1_FLAGS
	.long -(MULTIBOOT1_HEADER_MAGIC + MB1_FLAGS)
	/* a.out kludge: QEMU's loader refuses ELF64, so give addresses directly. */
	.long mb1_header	/* header_addr */
	.long __image_start	/* load_addr */
	.long __load_end	/* load_end_addr */
	.long __image_end	/* bss_end_addr */
	.long entry32		/* entry_addr */
