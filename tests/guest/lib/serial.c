/* COM1 (16550) output: the payload's KTAP channel. */
#include "payload.h"

#define COM1                  0x3f8
#define UART_THR              0
#define UART_DLL              0
#define UART_IER              1
#define UART_DLM              1
#define UART_FCR              2
#define UART_LCR              3
#define UART_MCR              4
#define UART_LSR              5
#define UART_LCR_DLAB         0x80
#define UART_LCR_8N1          0x03
#define UART_FCR_ENABLE_CLEAR 0x07
#define UART_MCR_DTR_RTS      0x03
#define UART_LSR_THRE         0x20
#define UART_LSR_TEMT         0x40
/* Far longer than one character at 115200 baud, even on real hardware. */
#define UART_SPIN_LIMIT 100000

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, UART_LCR_DLAB);
	outb(COM1 + UART_DLL, 1); /* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	/* 8 data bits: Bochs resets to 5 and would print garbage. */
	outb(COM1 + UART_LCR, UART_LCR_8N1);
	outb(COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
	outb(COM1 + UART_MCR, UART_MCR_DTR_RTS);
}

/* Bounded: a missing or stuck UART must not hang the payload. */
static void wait_lsr(uint8_t bit)
{
	for (int i = 0; i < UART_SPIN_LIMIT; i++)
		if (inb(COM1 + UART_LSR) & bit)
			return;
}

void serial_putc(char c)
{
	wait_lsr(UART_LSR_THRE);
	outb(COM1 + UART_THR, (uint8_t)c);
}

/* Waits until the last character has left, before the emulator is told to stop. */
void serial_flush(void)
{
	wait_lsr(UART_LSR_TEMT);
}
