/*
 * Typed physical addresses (Hafnium's paddr_t/ipaddr_t idea): each address
 * space has its own one-field struct, so passing a guest-physical address
 * where a host-physical one is expected does not compile. Pure: no
 * allocation, no arch/.
 *
 *   hpa_t    host-physical: what Umbra's CPU puts on the bus (RAM it
 *            allocates, its EPT tables, VMCS pages);
 *   gpa_t    guest-physical: a VM's view of its memory, translated to
 *            host-physical by the VM's EPT (EPT01); for a VM running a
 *            hypervisor, this is its L1 view;
 *   l2gpa_t  a nested guest's (L2's) guest-physical address, translated to
 *            a gpa_t by the L1 hypervisor's own EPT (EPT12).
 *
 * x_of(n) makes one, x_val(a) gives the number back (the names leave
 * "gpa" and "hpa" free for variables). Used at the boundaries where the
 * spaces meet: ept/ (a table translates
 * its guest's addresses to host-physical ones) and vm_gpa_to_hpa(). Code
 * that only ever handles one space may keep a plain uint64_t.
 */
#ifndef LIB_ADDR_H
#define LIB_ADDR_H

#include <stdint.h>

typedef struct {
	uint64_t v;
} hpa_t;

typedef struct {
	uint64_t v;
} gpa_t;

typedef struct {
	uint64_t v;
} l2gpa_t;

static inline hpa_t hpa_of(uint64_t a)
{
	return (hpa_t){a};
}

static inline uint64_t hpa_val(hpa_t a)
{
	return a.v;
}

static inline hpa_t hpa_add(hpa_t a, uint64_t n)
{
	return (hpa_t){a.v + n};
}

/*
 * Umbra identity-maps physical memory, so a host-physical address is also a
 * pointer to it (host tests use heap addresses as host-physical ones).
 */
static inline void *hpa_ptr(hpa_t a)
{
	return (void *)(uintptr_t)a.v;
}

static inline gpa_t gpa_of(uint64_t a)
{
	return (gpa_t){a};
}

static inline uint64_t gpa_val(gpa_t a)
{
	return a.v;
}

static inline gpa_t gpa_add(gpa_t a, uint64_t n)
{
	return (gpa_t){a.v + n};
}

static inline l2gpa_t l2gpa_of(uint64_t a)
{
	return (l2gpa_t){a};
}

static inline uint64_t l2gpa_val(l2gpa_t a)
{
	return a.v;
}

#endif
