#include "vcpu/pit.h"

#include <string.h>

#define P61_GATE2     0x01
#define P61_WRITABLE  0x0f
#define P61_REFRESH   0x10 /* toggles every 15.085 us (the DRAM refresh request) */
#define P61_OUT2      0x20
#define REFRESH_TICKS 18 /* 15.085 us of PIT ticks */

static uint64_t ticks(const struct pit *p, uint64_t tsc)
{
	return p->tsc_hz ? (uint64_t)((unsigned __int128)tsc * PIT_HZ / p->tsc_hz) : 0;
}

void pit_init(struct pit *p, uint64_t tsc_hz)
{
	memset(p, 0, sizeof(*p));
	p->tsc_hz = tsc_hz;
	for (int i = 0; i < 3; i++) {
		p->ch[i].access = 3;
		p->ch[i].reload = 0x10000;
		p->ch[i].gate = i != 2;
	}
}

/* The count now, and the channel's output. */
static uint32_t count_now(const struct pit_channel *c, uint64_t t, bool *out)
{
	uint64_t e;
	uint32_t r = c->reload;

	*out = c->mode != 0 && c->mode != 1; /* idle output: low in modes 0 and 1, else high */
	if (!c->counting)
		return c->frozen;
	if (!c->gate && (c->mode == 0 || c->mode == 4)) {
		*out = c->mode == 4 || c->frozen == 0;
		return c->frozen;
	}
	if (!c->gate && (c->mode == 2 || c->mode == 3)) /* held, output high, until a rising edge */
		return c->reload & 0xffff;
	e = t - c->start;
	switch (c->mode) {
	case 2: /* rate generator: r .. 1, output low at 1 */
		*out = e % r != r - 1;
		return r - (uint32_t)(e % r);
	case 3: /* square wave: high for the first half of each period, the count by twos */
		*out = e % r < (r + 1) / 2;
		return r - (uint32_t)((2 * e) % r);
	default: /* 0, 1, 4, 5: one pass down to 0, then on from 0xffff */
		if (c->mode == 0 || c->mode == 1)
			*out = e >= r;
		else
			*out = e != r;
		return (uint32_t)((r - e % 0x10000 + 0x10000) % 0x10000);
	}
}

static void latch_count(struct pit_channel *c, uint64_t t)
{
	bool out;

	if (!c->latched) {
		c->latch = (uint16_t)count_now(c, t, &out);
		c->latched = true;
		c->latch_hi_next = false;
	}
}

static void command(struct pit *p, uint8_t val, uint64_t t)
{
	unsigned int sel = val >> 6;
	bool out;

	if (sel == 3) { /* read-back: bit 5 clear latches counts, bit 4 clear latches status */
		for (int i = 0; i < 3; i++) {
			struct pit_channel *c = &p->ch[i];

			if (!(val & (2u << i)))
				continue;
			if (!(val & 0x20))
				latch_count(c, t);
			if (!(val & 0x10) && !c->status_latched) {
				count_now(c, t, &out);
				c->status = (uint8_t)((out ? 0x80 : 0) | (c->access << 4) |
				                      (c->mode << 1) | c->bcd);
				c->status_latched = true;
			}
		}
		return;
	}
	struct pit_channel *c = &p->ch[sel];

	if ((val & 0x30) == 0) { /* counter latch */
		latch_count(c, t);
		return;
	}
	c->access = (val >> 4) & 3;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4; /* 6 and 7 are 2 and 3 */
	c->bcd = val & 1;
	c->counting = false;
	c->frozen = 0;
	c->write_hi_next = false;
	c->read_hi_next = false;
	c->latched = false;
}

static void load(struct pit_channel *c, uint32_t v, uint64_t t)
{
	c->reload = v ? v : 0x10000;
	c->start = t;
	c->irq_seen = t;
	/* Modes 1 and 5 wait for a gate edge; with the gate low, 0 and 4 hold the count. */
	c->counting = c->mode != 1 && c->mode != 5;
	c->frozen = c->reload & 0xffff;
}

static void write_count(struct pit_channel *c, uint8_t val, uint64_t t)
{
	switch (c->access) {
	case 1: load(c, val, t); return;
	case 2: load(c, (uint32_t)val << 8, t); return;
	default:
		if (!c->write_hi_next) {
			c->write_lo = val;
			c->write_hi_next = true;
			if (c->mode == 0)
				c->counting = false; /* the first byte stops a mode-0 count */
			return;
		}
		c->write_hi_next = false;
		load(c, ((uint32_t)val << 8) | c->write_lo, t);
	}
}

static uint8_t read_count(struct pit_channel *c, uint64_t t)
{
	bool out;
	uint16_t v;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latched) {
		v = c->latch;
		if (c->access == 3 && !c->latch_hi_next) {
			c->latch_hi_next = true;
			return (uint8_t)v;
		}
		c->latched = false;
		return c->access == 1 ? (uint8_t)v : (uint8_t)(v >> 8);
	}
	v = (uint16_t)count_now(c, t, &out);
	switch (c->access) {
	case 1: return (uint8_t)v;
	case 2: return (uint8_t)(v >> 8);
	default:
		c->read_hi_next = !c->read_hi_next;
		return c->read_hi_next ? (uint8_t)v : (uint8_t)(v >> 8);
	}
}

/* Channel 2's gate from port 0x61: low pauses modes 0 and 4; a rising edge (re)starts 1, 2, 3, 5. */
static void set_gate2(struct pit *p, bool gate, uint64_t t)
{
	struct pit_channel *c = &p->ch[2];
	bool out;

	if (gate == c->gate)
		return;
	if (c->mode == 0 || c->mode == 4) {
		if (!gate) {
			c->frozen = count_now(c, t, &out);
		} else if (c->counting) {
			/* Resume from the frozen count. */
			c->start = t - ((c->reload - c->frozen) % 0x10000);
		}
	} else if (gate && c->reload) {
		c->start = t;
		c->counting = true;
	}
	c->gate = gate;
}

uint8_t pit_in(struct pit *p, uint16_t port, uint64_t tsc)
{
	uint64_t t = ticks(p, tsc);
	bool out;

	if (port == PIT_PORT_61) {
		count_now(&p->ch[2], t, &out);
		return (uint8_t)(p->port61 | ((t / REFRESH_TICKS) & 1 ? P61_REFRESH : 0) |
		                 (out ? P61_OUT2 : 0));
	}
	if (port == PIT_COMMAND_PORT)
		return 0xff; /* write-only */
	return read_count(&p->ch[port - PIT_FIRST_PORT], t);
}

void pit_out(struct pit *p, uint16_t port, uint8_t val, uint64_t tsc)
{
	uint64_t t = ticks(p, tsc);

	if (port == PIT_PORT_61) {
		set_gate2(p, val & P61_GATE2, t);
		p->port61 = val & P61_WRITABLE;
		return;
	}
	if (port == PIT_COMMAND_PORT)
		command(p, val, t);
	else
		write_count(&p->ch[port - PIT_FIRST_PORT], val, t);
}

/*
 * The first tick after `after` at which the output rises: each period's end
 * in modes 2 and 3, the terminal count in mode 0, the tick after it in
 * mode 4 (a one-tick low pulse); UINT64_MAX if none comes (modes 1 and 5
 * wait for a gate edge channel 0 never sees).
 */
static uint64_t next_edge(const struct pit_channel *c, uint64_t after)
{
	uint64_t r = c->reload, e = after > c->start ? after - c->start : 0, edge;

	if (!c->counting)
		return UINT64_MAX;
	switch (c->mode) {
	case 2:
	case 3: return c->start + (e / r + 1) * r;
	case 0: edge = c->start + r; break;
	case 4: edge = c->start + r + 1; break;
	default: return UINT64_MAX;
	}
	return edge > after ? edge : UINT64_MAX;
}

bool pit_irq0_update(struct pit *p, uint64_t tsc)
{
	struct pit_channel *c = &p->ch[0];
	uint64_t t = ticks(p, tsc);

	if (next_edge(c, c->irq_seen) > t)
		return false;
	c->irq_seen = t;
	return true;
}

uint64_t pit_irq0_next(const struct pit *p)
{
	uint64_t edge = next_edge(&p->ch[0], p->ch[0].irq_seen);

	if (edge == UINT64_MAX || !p->tsc_hz)
		return UINT64_MAX;
	/* The first TSC whose tick count reaches the edge (ticks() rounds down). */
	return (uint64_t)(((unsigned __int128)edge * p->tsc_hz + PIT_HZ - 1) / PIT_HZ);
}
