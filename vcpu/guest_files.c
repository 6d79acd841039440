#include "vcpu/guest_files.h"

#include <stdio.h>
#include <string.h>

#include "lib/cmdline.h"

#define PAGE     0x1000ULL
#define FOUR_GIB (1ULL << 32)

bool guest_file_for(const char *cmdline, char *name, size_t name_size, char *err, size_t err_size)
{
	const char *p = cmdline, *w;
	size_t len;
	bool first = true;

	err[0] = '\0';
	if (!cmdline_get(cmdline, "for", name, name_size))
		return false;
	/* for= and, first, the file name a Multiboot1 loader puts there. */
	while (cmdline_next_word(&p, &w, &len)) {
		bool path = first && !memchr(w, '=', len) && memchr(w, '/', len);

		first = false;
		if (path || (len >= 4 && !memcmp(w, "for=", 4)))
			continue;
		snprintf(err, err_size, "a file for a VM takes for= only, not '%.*s'", (int)len, w);
		return true;
	}
	if (name[0] == '\0')
		snprintf(err, err_size, "for= names no VM");
	return true;
}

bool guest_file_place(uint8_t *ram, uint64_t ram_size, uint64_t *next, const uint8_t *data,
                      uint64_t size, const char *cmdline, struct guest_file *f)
{
	uint64_t start = (*next + PAGE - 1) & ~(PAGE - 1);
	uint64_t limit = ram_size < FOUR_GIB ? ram_size : FOUR_GIB;

	if (start > limit || size > limit - start)
		return false;
	memcpy(ram + start, data, size);
	*f = (struct guest_file){start, start + size, cmdline};
	*next = start + (size ? size : 1); /* an empty file still takes its place */
	return true;
}
