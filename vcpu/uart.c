/* The 16550A UART behind COM1 (see uart.h); register bits from the 16550D datasheet. */
#include "vcpu/uart.h"

#include <string.h>

#define REG_DATA 0 /* RBR / THR, or DLL with DLAB */
#define REG_IER  1 /* or DLM with DLAB */
#define REG_IIR  2 /* FCR when written */
#define REG_LCR  3
#define REG_MCR  4
#define REG_LSR  5
#define REG_MSR  6
#define REG_SCR  7

#define IER_RX_DATA    0x01
#define IER_THRE       0x02
#define IER_MASK       0x0f
#define IIR_NONE       0x01
#define IIR_THRE       0x02
#define IIR_RX_DATA    0x04
#define IIR_RX_TIMEOUT 0x0c
#define IIR_FIFOS      0xc0
#define FCR_ENABLE     0x01
#define FCR_RX_RESET   0x02
#define FCR_TRIGGER    0xc0
#define LCR_DLAB       0x80
#define MCR_DTR        0x01
#define MCR_RTS        0x02
#define MCR_OUT1       0x04
#define MCR_OUT2       0x08
#define MCR_LOOP       0x10
#define MCR_MASK       0x1f
#define LSR_DR         0x01
#define LSR_OE         0x02
#define LSR_THRE       0x20
#define LSR_TEMT       0x40
#define MSR_CTS        0x10
#define MSR_DSR        0x20
#define MSR_RI         0x40
#define MSR_DCD        0x80

void uart_reset(struct uart *u)
{
	memset(u, 0, sizeof(*u));
}

/* The receive FIFO's interrupt trigger level: 1, 4, 8 or 14 bytes (FCR bits 7:6). */
static unsigned int rx_trigger(const struct uart *u)
{
	static const uint8_t levels[] = {1, 4, 8, 14};

	return u->fcr & FCR_ENABLE ? levels[(u->fcr & FCR_TRIGGER) >> 6] : 1;
}

/*
 * The interrupt IIR reports: received data before transmitter empty. Below
 * the trigger level, received data is reported as the character timeout
 * hardware raises once the line has been quiet for 4 characters' time:
 * here no more is coming until the next look at the console.
 */
static uint8_t pending(const struct uart *u)
{
	if ((u->ier & IER_RX_DATA) && u->rx_count)
		return u->rx_count >= rx_trigger(u) ? IIR_RX_DATA : IIR_RX_TIMEOUT;
	if ((u->ier & IER_THRE) && u->thre_pending)
		return IIR_THRE;
	return IIR_NONE;
}

bool uart_irq(const struct uart *u)
{
	return pending(u) != IIR_NONE && (u->mcr & MCR_OUT2);
}

static uint8_t modem_status(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(m & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS; /* a terminal is connected */
	/* Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
	return (uint8_t)((m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) |
	                 (m & MCR_OUT1 ? MSR_RI : 0) | (m & MCR_OUT2 ? MSR_DCD : 0));
}

/* Without the FIFOs (16450 mode) the receiver holds one byte. */
static unsigned int rx_capacity(const struct uart *u)
{
	return u->fcr & FCR_ENABLE ? UART_RX_FIFO : 1;
}

static void rx_push(struct uart *u, uint8_t byte)
{
	if (u->rx_count == rx_capacity(u)) {
		u->overrun = true;
		/* The FIFO keeps what it has; a lone holding register is overwritten. */
		if (u->fcr & FCR_ENABLE)
			return;
		u->rx_count = 0;
	}
	u->rx[(u->rx_head + u->rx_count++) % UART_RX_FIFO] = byte;
}

void uart_receive(struct uart *u, uint8_t byte)
{
	if (!(u->mcr & MCR_LOOP))
		rx_push(u, byte);
}

unsigned int uart_rx_room(const struct uart *u)
{
	return rx_capacity(u) - u->rx_count;
}

/* RBR: the oldest byte received; with none, the last one again (as hardware's holding register). */
static uint8_t rx_pop(struct uart *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return u->rx[(u->rx_head + UART_RX_FIFO - 1) % UART_RX_FIFO];
	byte = u->rx[u->rx_head];
	u->rx_head = (uint8_t)((u->rx_head + 1) % UART_RX_FIFO);
	u->rx_count--;
	return byte;
}

uint8_t uart_read(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t iir, lsr;

	switch (reg) {
	case REG_DATA:
		if (dlab)
			return u->dll;
		return rx_pop(u);
	case REG_IER: return dlab ? u->dlm : u->ier;
	case REG_IIR:
		iir = pending(u);
		if (iir == IIR_THRE)
			u->thre_pending = false; /* reading IIR with THRE its source clears it */
		return (uint8_t)(iir | (u->fcr & FCR_ENABLE ? IIR_FIFOS : 0));
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	case REG_LSR:
		lsr = (uint8_t)(LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0) |
		                (u->overrun ? LSR_OE : 0));
		u->overrun = false; /* reading LSR clears its error bits */
		return lsr;
	case REG_MSR: return modem_status(u);
	default: return u->scratch;
	}
}

bool uart_write(struct uart *u, unsigned int reg, uint8_t val, uint8_t *out, bool *thr_written)
{
	bool dlab = u->lcr & LCR_DLAB;

	*thr_written = false;
	switch (reg) {
	case REG_DATA:
		if (dlab) {
			u->dll = val;
			return false;
		}
		/* Sent at once: the transmitter is empty again, and says so. */
		*thr_written = true;
		u->thre_pending = true;
		if (u->mcr & MCR_LOOP) {
			rx_push(u, val);
			return false;
		}
		*out = val;
		return true;
	case REG_IER:
		if (dlab) {
			u->dlm = val;
			return false;
		}
		/* Enabling the THRE interrupt with the transmitter empty raises it. */
		if ((val & IER_THRE) && !(u->ier & IER_THRE))
			u->thre_pending = true;
		u->ier = val & IER_MASK;
		return false;
	case REG_IIR:
		/* Turning the FIFOs on or off, or the reset bit, empties the receive FIFO. */
		if ((val & FCR_RX_RESET) || ((val ^ u->fcr) & FCR_ENABLE)) {
			u->rx_head = 0;
			u->rx_count = 0;
		}
		u->fcr = val & (FCR_ENABLE | FCR_TRIGGER);
		return false;
	case REG_LCR: u->lcr = val; return false;
	case REG_MCR: u->mcr = val & MCR_MASK; return false;
	case REG_SCR: u->scratch = val; return false;
	default: return false; /* LSR and MSR are read-only */
	}
}
