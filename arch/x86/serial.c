#include "arch/x86/serial.h"

#include "arch/x86/cpu.h"

#define UART_DATA    0
#define UART_IER     1
#define UART_FCR     2
#define UART_LCR     3
#define UART_MCR     4
#define UART_LSR     5
#define UART_SCRATCH 7

#define LCR_DLAB         0x80
#define LCR_8N1          0x03
#define LSR_DR           0x01
#define IER_RX           0x01
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_THRE         0x20
#define LSR_TEMT         0x40

/* Bounded waits: a missing or wedged UART must not hang the hypervisor. */
#define UART_SPIN_LIMIT 100000

static bool present;

void serial_init(void)
{
	/* Scratch-register probe: a floating bus reads back 0xff. */
	outb(SERIAL_COM1 + UART_SCRATCH, 0x5a);
	present = inb(SERIAL_COM1 + UART_SCRATCH) == 0x5a;
	if (!present)
		return;
	outb(SERIAL_COM1 + UART_IER, 0x00);
	outb(SERIAL_COM1 + UART_LCR, LCR_DLAB);
	outb(SERIAL_COM1 + UART_DATA, 1); /* divisor 1: 115200 baud */
	outb(SERIAL_COM1 + UART_IER, 0);
	/* 8 data bits: Bochs resets to 5-bit words and would print garbage. */
	outb(SERIAL_COM1 + UART_LCR, LCR_8N1);
	outb(SERIAL_COM1 + UART_FCR, 0x07); /* FIFO on, cleared */
	outb(SERIAL_COM1 + UART_MCR, 0x03); /* DTR, RTS */
}

bool serial_present(void)
{
	return present;
}

void serial_putc(char c)
{
	if (!present)
		return;
	for (int i = 0; i < UART_SPIN_LIMIT; i++) {
		if (inb(SERIAL_COM1 + UART_LSR) & LSR_THRE)
			break;
		cpu_relax();
	}
	outb(SERIAL_COM1 + UART_DATA, (uint8_t)c);
}

void serial_drain(void)
{
	if (!present)
		return;
	for (int i = 0; i < UART_SPIN_LIMIT; i++) {
		if (inb(SERIAL_COM1 + UART_LSR) & LSR_TEMT)
			return;
		cpu_relax();
	}
}

int serial_getc(void)
{
	if (!present || !(inb(SERIAL_COM1 + UART_LSR) & LSR_DR))
		return -1;
	return inb(SERIAL_COM1 + UART_DATA);
}

void serial_rx_irq_enable(void)
{
	if (!present)
		return;
	outb(SERIAL_COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	outb(SERIAL_COM1 + UART_IER, IER_RX);
}
