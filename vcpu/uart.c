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

#define IER_RX_DATA 0x01
#define IER_THRE    0x02
#define IER_MASK    0x0f
#define IIR_NONE    0x01
#define IIR_THRE    0x02
#define IIR_RX_DATA 0x04
#define IIR_FIFOS   0xc0
#define FCR_ENABLE  0x01
#define LCR_DLAB    0x80
#define MCR_DTR     0x01
#define MCR_RTS     0x02
#define MCR_OUT1    0x04
#define MCR_OUT2    0x08
#define MCR_LOOP    0x10
#define MCR_MASK    0x1f
#define LSR_DR      0x01
#define LSR_THRE    0x20
#define LSR_TEMT    0x40
#define MSR_CTS     0x10
#define MSR_DSR     0x20
#define MSR_RI      0x40
#define MSR_DCD     0x80

void uart_reset(struct uart *u)
{
	memset(u, 0, sizeof(*u));
}

/* The interrupt IIR reports: received data before transmitter empty. */
static uint8_t pending(const struct uart *u)
{
	if ((u->ier & IER_RX_DATA) && u->rx_full)
		return IIR_RX_DATA;
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

uint8_t uart_read(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t iir;

	switch (reg) {
	case REG_DATA:
		if (dlab)
			return u->dll;
		u->rx_full = false;
		return u->rbr;
	case REG_IER: return dlab ? u->dlm : u->ier;
	case REG_IIR:
		iir = pending(u);
		if (iir == IIR_THRE)
			u->thre_pending = false; /* reading IIR with THRE its source clears it */
		return (uint8_t)(iir | (u->fcr & FCR_ENABLE ? IIR_FIFOS : 0));
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	case REG_LSR: return (uint8_t)(LSR_THRE | LSR_TEMT | (u->rx_full ? LSR_DR : 0));
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
			u->rbr = val;
			u->rx_full = true;
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
	case REG_IIR: u->fcr = val & FCR_ENABLE; return false; /* FIFO resets: nothing is queued */
	case REG_LCR: u->lcr = val; return false;
	case REG_MCR: u->mcr = val & MCR_MASK; return false;
	case REG_SCR: u->scratch = val; return false;
	default: return false; /* LSR and MSR are read-only */
	}
}
