#include "arch/x86/vga_text.h"

#include <stdbool.h>
#include <stddef.h>

#define ATTR_GREY_ON_BLACK 0x0700

static volatile uint16_t *cells;
static uint32_t cols, rows, stride; /* stride in cells */
static uint32_t row, col;

static void clear_row(uint32_t r)
{
	for (uint32_t c = 0; c < cols; c++)
		cells[r * stride + c] = ATTR_GREY_ON_BLACK | ' ';
}

void vga_text_init(uint64_t addr, uint32_t c, uint32_t r, uint32_t pitch)
{
	if (!addr || c == 0 || r == 0 || pitch < c * 2)
		return;
	cols = c;
	rows = r;
	stride = pitch / 2;
	cells = (volatile uint16_t *)addr;
	for (uint32_t i = 0; i < rows; i++)
		clear_row(i);
	row = col = 0;
}

static void newline(void)
{
	col = 0;
	if (++row < rows)
		return;
	/* Scroll: every row up by one, the last one blank. */
	for (uint32_t r = 1; r < rows; r++)
		for (uint32_t c = 0; c < cols; c++)
			cells[(r - 1) * stride + c] = cells[r * stride + c];
	row = rows - 1;
	clear_row(row);
}

void vga_text_putc(char ch)
{
	if (!cells)
		return;
	if (ch == '\n') {
		newline();
		return;
	}
	if (ch == '\r')
		return;
	if (col == cols)
		newline();
	cells[row * stride + col++] = ATTR_GREY_ON_BLACK | (uint8_t)ch;
}
