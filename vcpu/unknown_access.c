#include "vcpu/unknown_access.h"

#include <stdio.h>

void unknown_note(struct unknown_log *log, enum unknown_kind kind, uint64_t where)
{
	for (uint32_t i = 0; i < log->used; i++) {
		if (log->e[i].kind == kind && log->e[i].where == where) {
			log->e[i].count++;
			return;
		}
	}
	if (log->used == UNKNOWN_LISTED) {
		log->unlisted++;
		return;
	}
	log->e[log->used++] = (struct unknown_entry){kind, where, 1};
}

void unknown_describe(const struct unknown_entry *e, char *buf, size_t size)
{
	static const char *const names[] = {
	        [UNKNOWN_MSR_READ] = "msr read",    [UNKNOWN_MSR_WRITE] = "msr write",
	        [UNKNOWN_PORT_IN] = "port in",      [UNKNOWN_PORT_OUT] = "port out",
	        [UNKNOWN_MEM_READ] = "memory read", [UNKNOWN_MEM_WRITE] = "memory write",
	};

	snprintf(buf, size, "%s 0x%lx", names[e->kind], (unsigned long)e->where);
}
