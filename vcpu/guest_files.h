/*
 * Files for a guest: a module whose command line says `for=NAME` is not a
 * VM but a file for the VM named NAME. Its bytes are copied into that VM's
 * RAM, page-aligned above the kernel and 1 MiB, and listed in the guest's boot
 * information as a Multiboot module, with the words after its "--" as the
 * module's command line (docs/guest-abi.md).
 */
#ifndef VCPU_GUEST_FILES_H
#define VCPU_GUEST_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_FILES_MAX 16 /* per VM */

/* A file in guest RAM, as the boot information lists it. */
struct guest_file {
	uint64_t start, end; /* guest-physical [start, end) */
	const char *cmdline; /* the module's own words (after "--") */
};

/*
 * Whether a module's command line makes it a file (`for=NAME` before "--"):
 * its VM's name into name. A file's only key is for=; anything else there
 * is an error, written into err (then it returns true with err set).
 */
bool guest_file_for(const char *cmdline, char *name, size_t name_size, char *err, size_t err_size);

/*
 * Copies data (size bytes) into ram at the first page-aligned GPA at or
 * above *next, below ram_size and 4 GiB (32-bit module pointers); records
 * it in *f and moves *next past it. False if it does not fit.
 */
bool guest_file_place(uint8_t *ram, uint64_t ram_size, uint64_t *next, const uint8_t *data,
                      uint64_t size, const char *cmdline, struct guest_file *f);

#endif
