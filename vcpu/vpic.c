/*
 * Two 8259A PICs (see vpic.h), after the Intel 8259A datasheet: fixed
 * priority, edge requests latched in IRR on a rising line, level requests
 * following the line (ELCR, as the PIIX4 has it).
 */
#include "vcpu/vpic.h"

#include <string.h>

#define ICW1_BIT       0x10 /* a command-port write with bit 4 set starts initialisation */
#define ICW1_IC4       0x01
#define ICW1_SINGLE    0x02
#define ICW4_AUTO_EOI  0x02
#define OCW3_BIT       0x08 /* command-port writes with bit 3 set (bit 4 clear) are OCW3 */
#define OCW3_RR        0x02 /* read register command */
#define OCW3_RIS       0x01 /* ... ISR rather than IRR */
#define OCW2_EOI       0x20
#define OCW2_SPECIFIC  0x40
#define CASCADE_IRQ    2
#define ELCR_MASTER_OK 0xf8 /* IRQ 0, 1 and 2 are always edge-triggered */
#define ELCR_SLAVE_OK  0xde /* so are IRQ 8 and 13 */

void vpic_reset(struct vpic *p)
{
	memset(p, 0, sizeof(*p));
	/* Until the guest programs them, every line is masked. */
	p->chip[0].imr = 0xff;
	p->chip[1].imr = 0xff;
}

bool vpic_port(uint16_t port)
{
	return port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 ||
	       port == VPIC_ELCR_PORT || port == VPIC_ELCR_PORT + 1;
}

const struct vpic_chip *vpic_chip_of(const struct vpic *p, uint16_t port)
{
	if (!vpic_port(port))
		return NULL;
	if (port == VPIC_ELCR_PORT || port == VPIC_ELCR_PORT + 1)
		return &p->chip[port - VPIC_ELCR_PORT]; /* the ELCR pair is one device too */
	return &p->chip[port >= 0xa0];
}

static struct vpic_chip *chip_rw(struct vpic *p, uint16_t port)
{
	return (struct vpic_chip *)vpic_chip_of(p, port);
}

/* The highest-priority bit (lowest IRQ) of a mask, or 8. */
static unsigned int first_bit(uint8_t m)
{
	return m ? (unsigned int)__builtin_ctz(m) : 8;
}

/* The IRQ (0-7) this chip would raise now, or -1: a request above everything in service. */
static int chip_request(const struct vpic_chip *c, uint8_t irr)
{
	unsigned int req = first_bit(irr & ~c->imr), svc = first_bit(c->isr);

	return req < svc ? (int)req : -1;
}

/* The master's requests, with the slave's output on the cascade line. */
static uint8_t master_irr(const struct vpic *p)
{
	uint8_t irr = p->chip[0].irr;

	if (chip_request(&p->chip[1], p->chip[1].irr) >= 0)
		irr |= 1u << CASCADE_IRQ;
	return irr;
}

bool vpic_intr(const struct vpic *p)
{
	return chip_request(&p->chip[0], master_irr(p)) >= 0;
}

void vpic_set_irq(struct vpic *p, unsigned int irq, bool level)
{
	struct vpic_chip *c = &p->chip[(irq >> 3) & 1];
	uint8_t bit = (uint8_t)(1u << (irq & 7));

	if (level && !(c->lines & bit))
		c->irr |= bit; /* a rising edge (or a level input going high) */
	else if (!level && (c->elcr & bit))
		c->irr &= ~bit; /* a level request lasts only while the line is high */
	c->lines = level ? c->lines | bit : c->lines & ~bit;
}

/* Acknowledges irq on chip c: in service (unless auto-EOI), an edge request consumed. */
static void ack_irq(struct vpic_chip *c, unsigned int irq)
{
	uint8_t bit = (uint8_t)(1u << irq);

	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (!c->auto_eoi)
		c->isr |= bit;
}

uint8_t vpic_ack(struct vpic *p)
{
	struct vpic_chip *m = &p->chip[0], *s = &p->chip[1];
	int irq = chip_request(m, master_irr(p)), sirq;

	if (irq < 0)
		return (uint8_t)(m->vector_base + 7); /* spurious: IRQ 7, nothing in service */
	ack_irq(m, (unsigned int)irq);
	if (irq != CASCADE_IRQ || m->single)
		return (uint8_t)(m->vector_base + irq);
	sirq = chip_request(s, s->irr);
	if (sirq < 0)
		return (uint8_t)(s->vector_base + 7); /* the slave's spurious IRQ 15 */
	ack_irq(s, (unsigned int)sirq);
	return (uint8_t)(s->vector_base + sirq);
}

uint8_t vpic_in(struct vpic *p, uint16_t port)
{
	struct vpic_chip *c = chip_rw(p, port);

	if (port == VPIC_ELCR_PORT || port == VPIC_ELCR_PORT + 1)
		return c->elcr;
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static void command(struct vpic_chip *c, uint8_t val)
{
	if (val & ICW1_BIT) {
		/* ICW1: mask, requests and service cleared; ICW2 (and 3, 4) follow on the data port. */
		c->icw_step = 2;
		c->need_icw4 = val & ICW1_IC4;
		c->single = val & ICW1_SINGLE;
		c->auto_eoi = false;
		c->imr = 0;
		c->isr = 0;
		c->irr = 0;
		c->read_isr = 0;
		return;
	}
	if (val & OCW3_BIT) {
		if (val & OCW3_RR)
			c->read_isr = val & OCW3_RIS;
		return;
	}
	/* OCW2: specific EOI clears the named IRQ, non-specific the highest in service. */
	if (!(val & OCW2_EOI))
		return; /* set priority / rotate in auto-EOI mode: rotation is not emulated */
	if (val & OCW2_SPECIFIC)
		c->isr &= (uint8_t) ~(1u << (val & 7));
	else if (c->isr)
		c->isr &= (uint8_t) ~(1u << first_bit(c->isr));
}

void vpic_out(struct vpic *p, uint16_t port, uint8_t val)
{
	struct vpic_chip *c = chip_rw(p, port);

	if (port == VPIC_ELCR_PORT || port == VPIC_ELCR_PORT + 1) {
		c->elcr = val & (port == VPIC_ELCR_PORT ? ELCR_MASTER_OK : ELCR_SLAVE_OK);
		c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
		return;
	}
	if (!(port & 1)) {
		command(c, val);
		return;
	}
	switch (c->icw_step) {
	case 2:
		c->vector_base = val & 0xf8;
		c->icw_step = c->single ? (c->need_icw4 ? 4 : 0) : 3;
		break;
	case 3: c->icw_step = c->need_icw4 ? 4 : 0; break;
	case 4:
		c->auto_eoi = val & ICW4_AUTO_EOI;
		c->icw_step = 0;
		break;
	default: c->imr = val; break; /* OCW1 */
	}
}
