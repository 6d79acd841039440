/* Host tests of vcpu/uart.c: the 16550A's registers and interrupts as drivers use them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "vcpu/uart.h"

static struct uart u;

static int setup(void **state)
{
	(void)state;
	memset(&u, 0xcc, sizeof(u));
	uart_reset(&u);
	return 0;
}

static bool wr(unsigned int reg, uint8_t val, uint8_t *out, bool *thr)
{
	uint8_t byte = 0;
	bool scratch, sent = uart_write(&u, reg, val, &byte, thr ? thr : &scratch);

	if (out)
		*out = byte;
	return sent;
}

static void test_send_and_thre_interrupt(void **state)
{
	(void)state;
	uint8_t out;
	bool thr;

	assert_true(wr(0, 'x', &out, &thr));
	assert_int_equal(out, 'x');
	assert_true(thr);
	assert_int_equal(uart_read(&u, 5), 0x60);
	assert_int_equal(uart_read(&u, 2), 0x01); /* no interrupt enabled */
	/* Enabling THRE with the transmitter empty raises it; OUT2 lets it out. */
	wr(1, 0x02, NULL, NULL);
	assert_false(uart_irq(&u));
	wr(4, 0x08, NULL, NULL);
	assert_true(uart_irq(&u));
	assert_int_equal(uart_read(&u, 2), 0x02);
	assert_false(uart_irq(&u)); /* IIR read cleared it */
	assert_int_equal(uart_read(&u, 2), 0x01);
	wr(0, 'y', NULL, NULL); /* sent at once: empty again */
	assert_true(uart_irq(&u));
	wr(1, 0x00, NULL, NULL);
	assert_false(uart_irq(&u));
}

static void test_loopback_receive(void **state)
{
	(void)state;
	bool thr;

	wr(4, 0x1a, NULL, NULL); /* loop, RTS, OUT2: as Linux's 8250 probe */
	assert_int_equal(uart_read(&u, 6) & 0xf0, 0x90);
	wr(1, 0x01, NULL, NULL);
	assert_false(wr(0, 0x5a, NULL, &thr)); /* looped back, not sent */
	assert_true(uart_irq(&u));
	assert_int_equal(uart_read(&u, 5) & 0x01, 0x01);
	assert_int_equal(uart_read(&u, 2), 0x04);
	assert_int_equal(uart_read(&u, 0), 0x5a);
	assert_int_equal(uart_read(&u, 5) & 0x01, 0);
	assert_false(uart_irq(&u));
	wr(4, 0x00, NULL, NULL);
	assert_int_equal(uart_read(&u, 6), 0xb0); /* a terminal: DCD, DSR, CTS */
}

static void test_fifo_and_divisor(void **state)
{
	(void)state;

	wr(2, 0x07, NULL, NULL);
	assert_int_equal(uart_read(&u, 2), 0xc1);
	wr(3, 0x83, NULL, NULL);
	wr(0, 0x01, NULL, NULL);
	wr(1, 0x00, NULL, NULL);
	assert_int_equal(uart_read(&u, 0), 0x01);
	assert_int_equal(uart_read(&u, 1), 0x00);
	wr(3, 0x03, NULL, NULL);
	assert_int_equal(uart_read(&u, 1), 0x00); /* IER again, untouched */
	wr(7, 0x5a, NULL, NULL);
	assert_int_equal(uart_read(&u, 7), 0x5a);
}

static void test_receive_fifo(void **state)
{
	(void)state;

	wr(2, 0x81, NULL, NULL); /* FIFOs on, trigger at 8 bytes */
	wr(1, 0x01, NULL, NULL);
	wr(4, 0x08, NULL, NULL);
	assert_int_equal(uart_rx_room(&u), 16);
	uart_receive(&u, 'a');
	uart_receive(&u, 'b');
	/* Below the trigger level: the character timeout, still an interrupt. */
	assert_true(uart_irq(&u));
	assert_int_equal(uart_read(&u, 2), 0xcc);
	for (int i = 0; i < 6; i++)
		uart_receive(&u, (uint8_t)('c' + i));
	assert_int_equal(uart_read(&u, 2), 0xc4);
	assert_int_equal(uart_rx_room(&u), 8);
	for (int i = 0; i < 8; i++)
		uart_receive(&u, (uint8_t)('0' + i));
	uart_receive(&u, '!'); /* full: lost, and LSR says so once */
	assert_int_equal(uart_read(&u, 5), 0x63);
	assert_int_equal(uart_read(&u, 5), 0x61);
	for (int i = 0; i < 8; i++)
		assert_int_equal(uart_read(&u, 0), 'a' + i);
	for (int i = 0; i < 8; i++)
		assert_int_equal(uart_read(&u, 0), '0' + i);
	assert_int_equal(uart_read(&u, 5), 0x60);
	assert_false(uart_irq(&u));
	/* The FIFO reset bit empties it. */
	uart_receive(&u, 'z');
	wr(2, 0x83, NULL, NULL);
	assert_int_equal(uart_read(&u, 5) & 0x01, 0);
}

static void test_receive_without_fifo(void **state)
{
	(void)state;

	/* 16450 mode: one holding register, overwritten by the next byte. */
	assert_int_equal(uart_rx_room(&u), 1);
	uart_receive(&u, 'x');
	assert_int_equal(uart_rx_room(&u), 0);
	uart_receive(&u, 'y');
	assert_int_equal(uart_read(&u, 5), 0x63);
	assert_int_equal(uart_read(&u, 0), 'y');
	/* In loopback the line is cut off: nothing typed arrives. */
	wr(4, 0x10, NULL, NULL);
	uart_receive(&u, 'q');
	assert_int_equal(uart_read(&u, 5) & 0x01, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_send_and_thre_interrupt, setup),
	        cmocka_unit_test_setup(test_loopback_receive, setup),
	        cmocka_unit_test_setup(test_fifo_and_divisor, setup),
	        cmocka_unit_test_setup(test_receive_fifo, setup),
	        cmocka_unit_test_setup(test_receive_without_fifo, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
