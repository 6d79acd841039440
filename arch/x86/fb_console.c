#include "arch/x86/fb_console.h"

#include <stddef.h>
#include <string.h>

#include "arch/x86/paging.h"

static uint8_t *base;                 /* NULL until initialised */
static uint32_t pitch, bytes_per_px;  /* bytes per pixel line, per pixel */
static uint32_t cols, rows, row, col; /* in character cells */
static uint32_t white;                /* every colour field at its maximum */

/* A colour field must lie inside the pixel. */
static bool field_ok(uint8_t pos, uint8_t size, uint32_t bpp)
{
	return size > 0 && size <= 16 && (uint32_t)pos + size <= bpp;
}

static uint32_t field_max(uint8_t pos, uint8_t size)
{
	return ((1U << size) - 1) << pos;
}

bool fb_console_init(const struct fb_rgb_mode *fb)
{
	uint32_t bpp = fb->bpp;
	uint64_t size = (uint64_t)fb->pitch * fb->height;

	if (bpp != 16 && bpp != 24 && bpp != 32)
		return false;
	if (!field_ok(fb->red_pos, fb->red_size, bpp) ||
	    !field_ok(fb->green_pos, fb->green_size, bpp) ||
	    !field_ok(fb->blue_pos, fb->blue_size, bpp))
		return false;
	if (fb->width < FB_FONT_WIDTH || fb->height < FB_FONT_HEIGHT ||
	    fb->pitch < (uint64_t)fb->width * (bpp / 8))
		return false;
	/* Only the boot identity map exists yet: the low 4 GiB. */
	if (fb->addr == 0 || fb->addr + size < fb->addr || fb->addr + size > paging_mapped_end())
		return false;
	base = (uint8_t *)fb->addr;
	pitch = fb->pitch;
	bytes_per_px = bpp / 8;
	cols = fb->width / FB_FONT_WIDTH;
	rows = fb->height / FB_FONT_HEIGHT;
	white = field_max(fb->red_pos, fb->red_size) | field_max(fb->green_pos, fb->green_size) |
	        field_max(fb->blue_pos, fb->blue_size);
	row = col = 0;
	/* Black is 0 in every RGB layout. */
	memset(base, 0, (size_t)size);
	return true;
}

uint32_t fb_console_cols(void)
{
	return base ? cols : 0;
}

uint32_t fb_console_rows(void)
{
	return base ? rows : 0;
}

static void put_pixel(uint8_t *p, uint32_t v)
{
	switch (bytes_per_px) {
	case 4: *(uint32_t *)p = v; break;
	case 3:
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)(v >> 8);
		p[2] = (uint8_t)(v >> 16);
		break;
	default: *(uint16_t *)p = (uint16_t)v; break;
	}
}

static void draw_glyph(uint32_t r, uint32_t c, uint8_t ch)
{
	uint8_t *line = base + (size_t)r * FB_FONT_HEIGHT * pitch +
	                (size_t)c * FB_FONT_WIDTH * bytes_per_px;

	for (uint32_t y = 0; y < FB_FONT_HEIGHT; y++, line += pitch) {
		uint8_t bits = fb_font[ch][y];

		for (uint32_t x = 0; x < FB_FONT_WIDTH; x++)
			put_pixel(line + x * bytes_per_px, (bits & (0x80 >> x)) ? white : 0);
	}
}

static void newline(void)
{
	size_t cell_row = (size_t)FB_FONT_HEIGHT * pitch;

	col = 0;
	if (++row < rows)
		return;
	/* Scroll: every pixel line of the text up by one cell, the last row blank. */
	memmove(base, base + cell_row, (rows - 1) * cell_row);
	memset(base + (rows - 1) * cell_row, 0, cell_row);
	row = rows - 1;
}

void fb_console_putc(char ch)
{
	if (!base)
		return;
	if (ch == '\n') {
		newline();
		return;
	}
	if (ch == '\r')
		return;
	if (col == cols)
		newline();
	draw_glyph(row, col++, (uint8_t)ch);
}
