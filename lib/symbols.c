#include "lib/symbols.h"

#include <stddef.h>

/* Weak empty table for the first link; scripts/gen-symtab.sh makes the real one. */
__attribute__((weak)) const struct symtab_entry symtab_entries[1];
__attribute__((weak)) const uint32_t symtab_count;
__attribute__((weak)) const char symtab_names[1];

struct symtab symtab_image(void)
{
	return (struct symtab){symtab_entries, symtab_count, symtab_names};
}

const char *symtab_lookup(const struct symtab *t, uint64_t addr, uint64_t limit, uint64_t *offset)
{
	uint32_t lo = 0, hi = t->count;

	if (t->count == 0 || addr < t->entries[0].addr || addr >= limit)
		return NULL;
	/* Last entry with entry.addr <= addr. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (t->entries[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - t->entries[lo].addr;
	return &t->names[t->entries[lo].name_offset];
}
