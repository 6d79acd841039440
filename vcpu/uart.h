/*
 * COM1, a 16550A UART (pure, host-tested): always ready to send (a byte
 * written leaves at once, to the VM's console), FIFOs that can be enabled
 * (and so are reported in IIR), loopback (MCR bit 4: what is sent is
 * received, and the modem status follows MCR, as drivers probe it), and
 * its interrupts: received data and transmitter empty, as IER enables
 * them, on an IRQ line gated by MCR.OUT2 as on a PC.
 */
#ifndef VCPU_UART_H
#define VCPU_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_COM1_BASE 0x3f8
#define UART_COM1_LAST 0x3ff
#define UART_COM1_IRQ  4

struct uart {
	uint8_t ier, lcr, mcr, fcr, scratch, dll, dlm;
	uint8_t rbr;       /* the byte received (loopback) */
	bool rx_full;      /* ... and not yet read */
	bool thre_pending; /* the transmitter-empty interrupt, until IIR reports it or THR is written */
};

void uart_reset(struct uart *u);
/* Register reg (0-7) read. */
uint8_t uart_read(struct uart *u, unsigned int reg);
/*
 * Register reg written. Returns true when the write sent a byte out of
 * the UART (*out: for the console); *thr_written says THR was written,
 * which drops the IRQ line until the byte has left (an edge follows).
 */
bool uart_write(struct uart *u, unsigned int reg, uint8_t val, uint8_t *out, bool *thr_written);
/* The IRQ line: an enabled interrupt is pending and OUT2 lets it out. */
bool uart_irq(const struct uart *u);

#endif
