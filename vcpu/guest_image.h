/*
 * Guest kernel images: a Multiboot1 or Multiboot2 kernel (ELF32, ELF64, or a
 * flat image described by the a.out kludge / MB2 address tag), or a Linux
 * bzImage (boot protocol 2.12 or later: its protected-mode kernel, entered
 * at its 32-bit entry), checked and copied into a VM's RAM, where
 * guest-physical x is ram[x].
 */
#ifndef VCPU_GUEST_IMAGE_H
#define VCPU_GUEST_IMAGE_H

#include <stdint.h>

enum guest_protocol { GUEST_MULTIBOOT1 = 1, GUEST_MULTIBOOT2 = 2, GUEST_LINUX = 3 };

#define GUEST_IMAGE_MAX_SEGMENTS 16
#define GUEST_IMAGE_ERROR_MAX    160

/* file[file_offset, +file_size) goes to GPA gpa; [file_size, mem_size) is zeroed. */
struct guest_segment {
	uint64_t gpa, file_offset, file_size, mem_size;
};

struct guest_image {
	enum guest_protocol protocol;
	uint32_t entry; /* 32-bit protected-mode entry point (GPA) */
	struct guest_segment seg[GUEST_IMAGE_MAX_SEGMENTS];
	uint32_t seg_count;
	uint64_t load_start, load_end; /* lowest/highest GPA the segments occupy (incl. bss) */
	char error[GUEST_IMAGE_ERROR_MAX];
};

/*
 * A bzImage (setup header "HdrS") is a Linux kernel: its protected-mode
 * part goes to its preferred address (relocatable kernels) or 1 MiB, with
 * init_size bytes of room; load_end includes that room. Otherwise it
 * finds the Multiboot header (MB2 preferred: first 32 KiB, 8-aligned; MB1:
 * first 8 KiB, 4-aligned), decides how to load (ELF PT_LOAD segments at
 * p_paddr, or the header's address fields), and checks everything against
 * file_size and ram_size. Returns 0, or -1 with the reason in img->error.
 */
int guest_image_parse(const uint8_t *file, uint64_t file_size, uint64_t ram_size,
                      struct guest_image *img);

/* Copies the segments into ram and zeroes their bss. Needs a successful parse. */
void guest_image_load(const struct guest_image *img, const uint8_t *file, uint8_t *ram);

#endif
