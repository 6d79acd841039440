/*
 * INS and OUTS on the platform's ports (issue 12), REP and not, forwards
 * and backwards: a line through COM1 with REP OUTSB; REP INSB from the
 * CMOS clock's register D (0x80 each); REP INSW from an empty port (all
 * ones); a REP longer than Umbra does in one exit (it restarts), with RSI,
 * RDI and RCX where the CPU leaves them. Bare under QEMU the same.
 */
#include "payload.h"

PAYLOAD("string_io");

#define LONG_COUNT 10000

static uint8_t buf[LONG_COUNT + 16];

TEST(rep_outsb_line_to_com1)
{
	static const char line[] = "string io: a line by rep outsb\n";
	const void *si = line;
	uint64_t cx = sizeof(line) - 1;

	serial_flush();
	__asm__ volatile("cld; rep outsb" : "+S"(si), "+c"(cx) : "d"((uint16_t)0x3f8) : "memory");
	CHECK(cx == 0 && si == line + sizeof(line) - 1, "RCX %lu, RSI moved %ld", cx,
	      (long)((const char *)si - line));
}

TEST(rep_insb_from_the_clock)
{
	void *di = buf;
	uint64_t cx = 8, bad = 0;

	memset(buf, 0, sizeof(buf));
	outb(0x70, 0x0d); /* register D: 0x80, the battery is good */
	__asm__ volatile("cld; rep insb" : "+D"(di), "+c"(cx) : "d"((uint16_t)0x71) : "memory");
	for (int i = 0; i < 8; i++)
		bad += buf[i] != 0x80;
	CHECK(bad == 0 && buf[8] == 0, "%lu of 8 bytes not 0x80, the ninth 0x%x", bad, buf[8]);
	CHECK(cx == 0 && di == buf + 8, "RCX %lu, RDI moved %ld", cx, (long)((uint8_t *)di - buf));
}

TEST(rep_insw_from_an_empty_port)
{
	uint16_t w[4] = {0, 0, 0, 0};
	void *di = w;
	uint64_t cx = 4;

	__asm__ volatile("cld; rep insw" : "+D"(di), "+c"(cx) : "d"((uint16_t)0x2f8) : "memory");
	CHECK(w[0] == 0xffff && w[3] == 0xffff, "read 0x%x .. 0x%x, want all ones", w[0], w[3]);
}

TEST(backwards_with_df)
{
	void *di = buf + 3;
	uint64_t cx = 4;

	memset(buf, 0, sizeof(buf));
	outb(0x70, 0x0d);
	__asm__ volatile("std; rep insb; cld"
	                 : "+D"(di), "+c"(cx)
	                 : "d"((uint16_t)0x71)
	                 : "memory");
	CHECK(buf[0] == 0x80 && buf[3] == 0x80 && buf[4] == 0, "bytes 0x%x 0x%x 0x%x", buf[0],
	      buf[3], buf[4]);
	/* Four bytes down from buf + 3: RDI ends one below buf. */
	CHECK((uintptr_t)di + 1 == (uintptr_t)buf && cx == 0, "RDI at buf%+ld, RCX %lu",
	      (long)((uintptr_t)di - (uintptr_t)buf), cx);
}

TEST(long_rep_restarts)
{
	void *di = buf;
	uint64_t cx = LONG_COUNT, bad = 0;

	memset(buf, 0, sizeof(buf));
	outb(0x70, 0x0d);
	__asm__ volatile("cld; rep insb" : "+D"(di), "+c"(cx) : "d"((uint16_t)0x71) : "memory");
	for (int i = 0; i < LONG_COUNT; i++)
		bad += buf[i] != 0x80;
	CHECK(bad == 0 && buf[LONG_COUNT] == 0, "%lu of %d bytes wrong", bad, LONG_COUNT);
	CHECK(cx == 0 && di == buf + LONG_COUNT, "RCX %lu, RDI moved %ld", cx,
	      (long)((uint8_t *)di - buf));
}
