/* 16550 UART on COM1: the hypervisor's console port. */
#ifndef ARCH_X86_SERIAL_H
#define ARCH_X86_SERIAL_H

#include <stdbool.h>

#define SERIAL_COM1 0x3f8

void serial_init(void);
void serial_putc(char c);
/* Waits until the transmitter is empty, so nothing is lost at power-off. */
void serial_drain(void);
bool serial_present(void);

#endif
