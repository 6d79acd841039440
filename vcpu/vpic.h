/*
 * The legacy 8259A PICs (pure, host-tested): master at 0x20/0x21, slave at
 * 0xA0/0xA1 cascaded on the master's IRQ 2, and the edge/level control
 * registers at 0x4D0/0x4D1 (ELCR). ICW1-4, OCW1-3, IRR/ISR reads, fixed
 * priority (IRQ 0 highest), specific and non-specific EOI, auto-EOI.
 * Devices drive IRQ lines (vpic_set_irq); vpic_intr() is the INTR output
 * and vpic_ack() the CPU's interrupt acknowledge, which yields the vector.
 * Rotation, special mask and poll modes are not emulated (rotation
 * commands act as the EOI they contain).
 */
#ifndef VCPU_VPIC_H
#define VCPU_VPIC_H

#include <stdbool.h>
#include <stdint.h>

#define VPIC_ELCR_PORT 0x4d0 /* and 0x4d1 for the slave */

struct vpic_chip {
	uint8_t irr, isr, imr;
	uint8_t lines;    /* input levels */
	uint8_t elcr;     /* 1: level-triggered input */
	uint8_t icw_step; /* 0: operating; 2, 3, 4: the ICW expected next */
	bool need_icw4, single, auto_eoi;
	uint8_t vector_base; /* ICW2 */
	uint8_t read_isr;    /* OCW3: the command port reads ISR (1) or IRR (0) */
};

struct vpic {
	struct vpic_chip chip[2];
};

void vpic_reset(struct vpic *p);
/* True if port is one of the PICs' (0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1). */
bool vpic_port(uint16_t port);
/* The chip behind a port, or NULL (for grouping multi-byte accesses). */
const struct vpic_chip *vpic_chip_of(const struct vpic *p, uint16_t port);
uint8_t vpic_in(struct vpic *p, uint16_t port);
void vpic_out(struct vpic *p, uint16_t port, uint8_t val);

/* A device drives IRQ line irq (0-15). */
void vpic_set_irq(struct vpic *p, unsigned int irq, bool level);
/* The master's INTR output: an unmasked request beats everything in service. */
bool vpic_intr(const struct vpic *p);
/* Interrupt acknowledge: the vector (IRQ 7's or 15's when the request went away: spurious). */
uint8_t vpic_ack(struct vpic *p);

#endif
