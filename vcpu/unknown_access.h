/*
 * What a guest touched that its virtual platform does not have: MSRs it
 * got #GP for, ports that read as an empty bus, addresses with nothing
 * behind them. Hardware's answer keeps the guest running; this log keeps
 * it from being silent: each one is listed once, with a count, in the
 * VM's report (`umbra: vm NAME unknown ...`, docs/guest-abi.md).
 */
#ifndef VCPU_UNKNOWN_ACCESS_H
#define VCPU_UNKNOWN_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#define UNKNOWN_LISTED 16 /* distinct accesses a report lists; the rest are counted */

enum unknown_kind {
	UNKNOWN_MSR_READ,
	UNKNOWN_MSR_WRITE,
	UNKNOWN_PORT_IN,
	UNKNOWN_PORT_OUT,
	UNKNOWN_MEM_READ,
	UNKNOWN_MEM_WRITE,
};

struct unknown_entry {
	enum unknown_kind kind;
	uint64_t where; /* MSR, port or guest-physical address */
	uint64_t count;
};

struct unknown_log {
	struct unknown_entry e[UNKNOWN_LISTED];
	uint32_t used;
	uint64_t unlisted; /* accesses to ones past the first UNKNOWN_LISTED */
};

/* Counts one access (the caller holds the VM's lock). */
void unknown_note(struct unknown_log *log, enum unknown_kind kind, uint64_t where);
/* "msr read 0x3b", "port in 0x510", "memory write 0xfec00000" into buf. */
void unknown_describe(const struct unknown_entry *e, char *buf, size_t size);

#endif
