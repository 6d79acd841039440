/* 16550 UART on COM1: the hypervisor's console port. */
#ifndef ARCH_X86_SERIAL_H
#define ARCH_X86_SERIAL_H

#include <stdbool.h>

#define SERIAL_COM1     0x3f8
#define SERIAL_COM1_IRQ 4

void serial_init(void);
void serial_putc(char c);
/* Waits until the transmitter is empty, so nothing is lost at power-off. */
void serial_drain(void);
bool serial_present(void);
/* A byte received, or -1 if none is waiting (never waits). */
int serial_getc(void);
/* Received data raises COM1's interrupt (IER, and OUT2, which gates it onto the bus). */
void serial_rx_irq_enable(void);

#endif
