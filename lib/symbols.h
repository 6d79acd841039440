/*
 * The image's own function symbols, for backtraces. The table is generated
 * from a first link (scripts/gen-symtab.sh) and linked into the final image;
 * the first link sees an empty table.
 */
#ifndef LIB_SYMBOLS_H
#define LIB_SYMBOLS_H

#include <stdint.h>

struct symtab_entry {
	uint64_t addr;
	uint32_t name_offset; /* into symtab_names */
	uint32_t reserved;
};

struct symtab {
	const struct symtab_entry *entries; /* sorted by addr */
	uint32_t count;
	const char *names;
};

/* The image's table (empty in the first link). */
struct symtab symtab_image(void);

/*
 * The function containing addr: its name and addr's offset into it, or
 * NULL if addr lies before the first symbol or past `limit`.
 */
const char *symtab_lookup(const struct symtab *t, uint64_t addr, uint64_t limit, uint64_t *offset);

#endif
