/* Library-internal interfaces between the start-up code and its parts. */
#ifndef GUEST_LIB_INTERNAL_H
#define GUEST_LIB_INTERNAL_H

#include <stdint.h>

/* Fills the IDT (exceptions 0-31, interrupts 32-255) and loads it. */
void idt_init(void);
/* Loads the IDT idt_init filled on this CPU (an AP). */
void idt_load(void);
/* The stubs for vectors 32-255 (interrupts.S), in vector order. */
extern const uint64_t irq_stub_table[256 - 32];
/*
 * Copy what the payload needs from the Multiboot info at info_pa: a
 * Multiboot1 info block or Multiboot2 tags, as `multiboot` (1 or 2, from
 * the magic) says. bootinfo_init comes first: mem_init reads the protocol.
 */
void bootinfo_init(unsigned int multiboot, uint32_t info_pa);
void mem_init(uint32_t info_pa);
/*
 * Multiboot2: the address of the first tag of `type` in the info at
 * info_pa, and its size (header included) in *size; 0 if there is none.
 */
uint64_t mb2_tag_find(uint32_t info_pa, uint32_t type, uint32_t *size);
/* The next tag of that type after the one at address `after` (0: the first). */
uint64_t mb2_tag_find_after(uint32_t info_pa, uint64_t after, uint32_t type, uint32_t *size);
void mem_describe(void);
void umbra_init(void);
/* The 0x40000000 signature, unprintable bytes as '?'; "none" without the hypervisor bit. */
const char *hypervisor_vendor(void);
/* Prints "KTAP version 1" and the plan. */
void ktap_begin(void);
/* Runs every TEST() in link order; returns PAYLOAD_PASS or PAYLOAD_FAIL. */
int ktap_run(void);
/* Reports the running test (if any) as failed for `reason`, then exits with PAYLOAD_EXCEPTION. */
void ktap_abort(const char *reason) __attribute__((noreturn));

#endif
