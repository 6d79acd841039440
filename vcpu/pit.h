/*
 * The 8254 programmable interval timer (ports 0x40-0x43) and port 0x61's
 * timer bits, as PC kernels use them to calibrate the TSC and the APIC
 * timer: channels 0 and 2 count at 1.193182 MHz from the TSC; channel 2's
 * gate is port 0x61 bit 0 and its output reads at bit 5. Channel 1 (the
 * old DRAM refresh) counts too. Channel 0's output drives IRQ 0: its
 * rising edges are reported (pit_irq0_update) and foreseen (pit_irq0_next)
 * for the caller's interrupt controllers.
 */
#ifndef VCPU_PIT_H
#define VCPU_PIT_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ           1193182u
#define PIT_FIRST_PORT   0x40
#define PIT_COMMAND_PORT 0x43
#define PIT_PORT_61      0x61

struct pit_channel {
	uint8_t mode;       /* 0-5 */
	uint8_t access;     /* 1: low byte, 2: high byte, 3: low then high */
	bool bcd;           /* counting in BCD: stored, counted in binary */
	uint32_t reload;    /* 1-65536 (0 written means 65536) */
	uint64_t start;     /* PIT tick at which counting began */
	bool counting;      /* a count was loaded (and, gated, the gate let it start) */
	bool gate;          /* channel 2: port 0x61 bit 0; the others are always high */
	uint32_t frozen;    /* mode 0/4 with the gate low: the count where it stopped */
	bool write_hi_next; /* access 3: the next write is the high byte */
	bool read_hi_next;  /* access 3: the next read is the high byte */
	uint16_t write_lo;
	uint64_t irq_seen; /* PIT tick up to which output edges have been reported */
	bool latched;
	uint16_t latch;
	bool latch_hi_next;
	bool status_latched;
	uint8_t status;
};

struct pit {
	struct pit_channel ch[3];
	uint8_t port61; /* bits 0-3 as written */
	uint64_t tsc_hz;
};

void pit_init(struct pit *p, uint64_t tsc_hz);
/* Whether port is the PIT's (0x40-0x43, 0x61). */
static inline bool pit_port(uint16_t port)
{
	return (port >= PIT_FIRST_PORT && port <= PIT_COMMAND_PORT) || port == PIT_PORT_61;
}
uint8_t pit_in(struct pit *p, uint16_t port, uint64_t tsc);
void pit_out(struct pit *p, uint16_t port, uint8_t val, uint64_t tsc);
/* True if channel 0's output rose since the edges last reported (missed edges coalesce). */
bool pit_irq0_update(struct pit *p, uint64_t tsc);
/* The TSC of channel 0's next rising edge after those reported, or UINT64_MAX. */
uint64_t pit_irq0_next(const struct pit *p);

#endif
