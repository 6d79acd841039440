/*
 * The I/O APIC (see vioapic.h). Register layout and redirection-entry
 * bits from the 82093AA datasheet, section 3.2.
 *
 * Choices where hardware leaves room:
 *  - Version 0x11 (no EOI register: EOIs arrive from the local APICs, as
 *    on the 82093AA); 24 pins.
 *  - Delivery status (bit 12) reads 0: a message is delivered at once.
 *  - Reserved bits of an entry (55:17) read 0 and ignore writes; so do
 *    the remote IRR (14) and delivery status (12), which are read-only.
 *  - An edge-triggered pin masked on its rising edge loses that edge, as
 *    on the 82093AA; a level pin delivers when unmasked while asserted.
 *  - Switching a pin from level to edge clears its remote IRR.
 */
#include "vcpu/vioapic.h"

#include <string.h>

#define VERSION_VALUE ((uint32_t)(VIOAPIC_PINS - 1) << 16 | 0x11)
#define ID_MASK       0x0f000000u
#define RTE_WRITABLE \
	0xff0000000001afffULL /* dest, mask, trigger, polarity, dest mode, delivery, vector */
#define RTE_REMOTE_IRR (1ULL << 14)

void vioapic_reset(struct vioapic *io)
{
	memset(io, 0, sizeof(*io));
	for (unsigned int i = 0; i < VIOAPIC_PINS; i++)
		io->rte[i] = VIOAPIC_RTE_MASK;
}

static bool level_pin(const struct vioapic *io, unsigned int pin)
{
	return (io->rte[pin] & VIOAPIC_RTE_LEVEL) != 0;
}

bool vioapic_pin_unmasked(const struct vioapic *io, unsigned int pin)
{
	return pin < VIOAPIC_PINS && !(io->rte[pin] & VIOAPIC_RTE_MASK);
}

/* A level pin that is asserted, unmasked and not awaiting its EOI delivers (once). */
static uint32_t level_delivery(struct vioapic *io, unsigned int pin)
{
	uint32_t bit = 1u << pin;

	if (!level_pin(io, pin) || !(io->lines & bit) || (io->remote_irr & bit) ||
	    !vioapic_pin_unmasked(io, pin))
		return 0;
	io->remote_irr |= bit;
	return bit;
}

uint32_t vioapic_read(struct vioapic *io, uint32_t offset)
{
	uint32_t reg = io->select, pin;
	uint64_t rte;

	if (offset == VIOAPIC_REG_SEL)
		return io->select;
	if (offset != VIOAPIC_REG_WIN)
		return 0;
	switch (reg) {
	case VIOAPIC_ID: return io->id;
	case VIOAPIC_VERSION: return VERSION_VALUE;
	case VIOAPIC_ARB: return io->id;
	default: break;
	}
	pin = (reg - VIOAPIC_REDIR0) / 2;
	if (reg < VIOAPIC_REDIR0 || pin >= VIOAPIC_PINS)
		return 0;
	rte = io->rte[pin] | ((io->remote_irr >> pin) & 1 ? RTE_REMOTE_IRR : 0);
	return reg & 1 ? (uint32_t)(rte >> 32) : (uint32_t)rte;
}

uint32_t vioapic_write(struct vioapic *io, uint32_t offset, uint32_t val)
{
	uint32_t reg = io->select, pin;
	uint64_t rte;

	if (offset == VIOAPIC_REG_SEL) {
		io->select = val & 0xff;
		return 0;
	}
	if (offset != VIOAPIC_REG_WIN)
		return 0;
	if (reg == VIOAPIC_ID) {
		io->id = val & ID_MASK;
		return 0;
	}
	pin = (reg - VIOAPIC_REDIR0) / 2;
	if (reg < VIOAPIC_REDIR0 || pin >= VIOAPIC_PINS)
		return 0; /* version and arbitration are read-only */
	rte = io->rte[pin];
	if (reg & 1)
		rte = (rte & 0xffffffffULL) | (uint64_t)val << 32;
	else
		rte = (rte & ~0xffffffffULL) | val;
	io->rte[pin] = rte & RTE_WRITABLE;
	if (!level_pin(io, pin))
		io->remote_irr &= ~(1u << pin);
	return level_delivery(io, pin);
}

uint32_t vioapic_set_pin(struct vioapic *io, unsigned int pin, bool asserted)
{
	uint32_t bit = 1u << pin, was;

	if (pin >= VIOAPIC_PINS)
		return 0;
	was = io->lines & bit;
	io->lines = asserted ? io->lines | bit : io->lines & ~bit;
	if (level_pin(io, pin))
		return level_delivery(io, pin);
	return asserted && !was && vioapic_pin_unmasked(io, pin) ? bit : 0;
}

uint32_t vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	uint32_t again = 0;

	for (unsigned int pin = 0; pin < VIOAPIC_PINS; pin++) {
		if (!(io->remote_irr & (1u << pin)) || (uint8_t)io->rte[pin] != vector)
			continue;
		io->remote_irr &= ~(1u << pin);
		again |= level_delivery(io, pin);
	}
	return again;
}

void vioapic_message(const struct vioapic *io, unsigned int pin, struct vlapic_icr *msg)
{
	uint64_t rte = io->rte[pin];

	memset(msg, 0, sizeof(*msg));
	msg->mode = (enum vlapic_delivery)((rte >> 8) & 7);
	msg->vector = (uint8_t)rte;
	msg->logical = (rte >> 11) & 1;
	msg->level = true;
	msg->trigger_level = level_pin(io, pin);
	msg->shorthand = VLAPIC_SH_NONE;
	msg->dest = (uint32_t)(rte >> 56);
	msg->source_id = UINT32_MAX; /* not a local APIC */
	msg->x2apic = false;         /* an 8-bit destination, 0xFF broadcast */
}
