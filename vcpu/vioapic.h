/*
 * A VM's I/O APIC (pure: no hardware access, host-tested), as the 82093AA
 * and its successors behave (Intel 82093AA datasheet; version 0x11, 24
 * pins, at 0xFEC00000 as the MADT says): an index register at offset 0x00,
 * a data window at 0x10, and per pin a 64-bit redirection entry.
 *
 * Devices drive pins (vioapic_set_pin); what must be delivered comes back
 * as a mask of pins, whose messages vioapic_message() builds for the
 * caller to hand to the local APICs. Edge-triggered pins deliver on a
 * rising edge; level-triggered ones while asserted, once per EOI (remote
 * IRR), as on hardware. Polarity is stored and not applied: every Umbra
 * device is active-high, as ISA devices are.
 */
#ifndef VCPU_VIOAPIC_H
#define VCPU_VIOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/vlapic.h"

#define VIOAPIC_BASE      0xfec00000ULL
#define VIOAPIC_SIZE      0x1000
#define VIOAPIC_PINS      24
#define VIOAPIC_REG_SEL   0x00 /* IOREGSEL (MMIO offset) */
#define VIOAPIC_REG_WIN   0x10 /* IOWIN */
#define VIOAPIC_ID        0x00 /* indirect registers */
#define VIOAPIC_VERSION   0x01
#define VIOAPIC_ARB       0x02
#define VIOAPIC_REDIR0    0x10 /* pin n: 0x10 + 2n (low), 0x11 + 2n (high) */
#define VIOAPIC_RTE_MASK  (1ULL << 16)
#define VIOAPIC_RTE_LEVEL (1ULL << 15)

struct vioapic {
	uint32_t id;     /* bits 27:24 of the ID register */
	uint32_t select; /* IOREGSEL */
	uint64_t rte[VIOAPIC_PINS];
	uint32_t lines;      /* pins asserted by their devices */
	uint32_t remote_irr; /* level pins delivered and not yet EOI'd */
};

void vioapic_reset(struct vioapic *io);

/* MMIO at offset (32-bit accesses to IOREGSEL and IOWIN; others read 0 and are dropped). */
uint32_t vioapic_read(struct vioapic *io, uint32_t offset);
/* A write may unmask an asserted level pin: returns the pins to deliver. */
uint32_t vioapic_write(struct vioapic *io, uint32_t offset, uint32_t val);

/* A device drives a pin high or low: returns the pins to deliver (0 or 1 << pin). */
uint32_t vioapic_set_pin(struct vioapic *io, unsigned int pin, bool asserted);
/* A local APIC's EOI of a level-triggered vector: returns the pins to deliver again. */
uint32_t vioapic_eoi(struct vioapic *io, uint8_t vector);

/* The interrupt message of a pin, in the local APICs' terms (delivery, vector, destination). */
void vioapic_message(const struct vioapic *io, unsigned int pin, struct vlapic_icr *msg);

/* True if some pin routes to a local APIC unmasked (the devices behind it may need a timer). */
bool vioapic_pin_unmasked(const struct vioapic *io, unsigned int pin);

#endif
