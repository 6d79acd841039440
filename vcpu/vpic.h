/*
 * The legacy 8259A PICs (ports 0x20/0x21, 0xA0/0xA1): present and
 * programmable, so guests written for PCs can initialise and mask them,
 * but they raise nothing (Umbra has no legacy devices). Pure.
 */
#ifndef VCPU_VPIC_H
#define VCPU_VPIC_H

#include <stdbool.h>
#include <stdint.h>

struct vpic_chip {
	uint8_t imr;      /* OCW1: the interrupt mask */
	uint8_t icw_step; /* 0: operating; 2, 3, 4: the ICW expected next */
	bool need_icw4, single;
	uint8_t vector_base; /* ICW2 */
	uint8_t read_isr;    /* OCW3: the command port reads ISR (1) or IRR (0) */
};

struct vpic {
	struct vpic_chip chip[2]; /* master at 0x20, slave at 0xA0 */
};

void vpic_reset(struct vpic *p);
/* True if port is one of the PIC's; then *val / the write is handled. */
/* The chip behind a port (*data: its data port), or NULL. */
struct vpic_chip *vpic_chip_of(struct vpic *p, uint16_t port, bool *data);
bool vpic_in(struct vpic *p, uint16_t port, uint8_t *val);
bool vpic_out(struct vpic *p, uint16_t port, uint8_t val);

#endif
