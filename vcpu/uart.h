/*
 * COM1, a 16550A UART (pure, host-tested): always ready to send (a byte
 * written leaves at once, to the VM's console), a 16-byte receive FIFO
 * (what the console types, or loopback: MCR bit 4, where what is sent is
 * received and the modem status follows MCR, as drivers probe it), and
 * its interrupts: received data (at the FIFO's trigger level, else as a
 * character timeout) and transmitter empty, as IER enables them, on an IRQ
 * line gated by MCR.OUT2 as on a PC.
 */
#ifndef VCPU_UART_H
#define VCPU_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_COM1_BASE 0x3f8
#define UART_COM1_LAST 0x3ff
#define UART_COM1_IRQ  4
#define UART_RX_FIFO   16

struct uart {
	uint8_t ier, lcr, mcr, fcr, scratch, dll, dlm;
	uint8_t rx[UART_RX_FIFO]; /* received, not yet read: rx_count from rx_head */
	uint8_t rx_head, rx_count;
	bool overrun;      /* a byte came with the FIFO full (LSR.OE, until LSR is read) */
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
/* A byte arrives on the line (not in loopback: the line is cut off there). */
void uart_receive(struct uart *u, uint8_t byte);
/* How many more bytes the receive FIFO takes. */
unsigned int uart_rx_room(const struct uart *u);
/* The IRQ line: an enabled interrupt is pending and OUT2 lets it out. */
bool uart_irq(const struct uart *u);

#endif
