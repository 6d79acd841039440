/*
 * The boot information a guest kernel finds at its Multiboot entry (EBX),
 * written into the VM's RAM (guest-physical x is ram[x]).
 *
 * Both protocols describe the same memory map: usable [0, 0x9fc00),
 * reserved [0x9fc00, 0xa0000) and [0xf0000, 0x100000), usable
 * [0x100000, ram_size); the command line, and the loader name "Umbra".
 */
#ifndef VCPU_GUEST_BOOTINFO_H
#define VCPU_GUEST_BOOTINFO_H

#include <stdint.h>

#include "vcpu/guest_files.h"
#include "vcpu/guest_image.h"

#define GUEST_BOOTINFO_LOADER "Umbra"

/*
 * Writes a Multiboot1 info block at info_gpa (4-aligned), followed by its
 * command line, loader name, memory map and the guest's files as modules
 * (nfiles of them; files may be NULL when 0). Returns the bytes used, or 0 if
 * they do not fit below limit_gpa (and RAM, and 4 GiB) or RAM is not larger
 * than 1 MiB. cmdline NULL means "".
 */
uint64_t guest_bootinfo_mb1(uint8_t *ram, uint64_t ram_size, uint64_t info_gpa, uint64_t limit_gpa,
                            const char *cmdline, const struct guest_file *files, uint32_t nfiles);

/*
 * Multiboot2 info at info_gpa (8-aligned): cmdline, boot loader name, basic
 * meminfo, memory map (entry_size 24, version 0), a module tag per file, and end tags. Same return
 * convention as guest_bootinfo_mb1().
 */
uint64_t guest_bootinfo_mb2(uint8_t *ram, uint64_t ram_size, uint64_t info_gpa, uint64_t limit_gpa,
                            const char *cmdline, const struct guest_file *files, uint32_t nfiles);

/*
 * A Linux kernel's zero page (struct boot_params) at info_gpa (page-aligned),
 * its command line in the page after: the image's setup header (kernel, a
 * bzImage guest_image_parse() took), the loader type, the command line and
 * initrd (NULL: none) pointers, the ACPI RSDP and the memory map as E820
 * entries. Returns the bytes used, or 0 if they do not fit (as above), the
 * command line is longer than the kernel's cmdline_size, or the initrd ends
 * above its initrd_addr_max.
 */
uint64_t guest_bootinfo_linux(uint8_t *ram, uint64_t ram_size, uint64_t info_gpa,
                              uint64_t limit_gpa, const char *cmdline,
                              const struct guest_file *initrd, const uint8_t *kernel,
                              uint64_t acpi_rsdp);

/*
 * A page-aligned GPA below 1 MiB, in usable low memory, where `size` bytes
 * overlap no segment of img: the first fit in [0x9000, 0x9f000), else in
 * [0x1000, 0x9000). 0 if there is none.
 */
uint64_t guest_bootinfo_place(const struct guest_image *img, uint64_t size);

#endif
