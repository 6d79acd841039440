/*
 * The console on a linear RGB framebuffer (a graphics mode the loader set):
 * what a machine without a serial port shows when it did not boot in text
 * mode. 8x16 glyphs of a PSF console font, white on black, at 16, 24 or 32
 * bits per pixel. Called under the console lock.
 */
#ifndef ARCH_X86_FB_CONSOLE_H
#define ARCH_X86_FB_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#define FB_FONT_WIDTH  8
#define FB_FONT_HEIGHT 16

/*
 * One glyph per byte value (read as Latin-1), one byte per pixel row, bit 7
 * leftmost: $(BUILD)/fb_font.c, made from a PSF font by scripts/psf-to-c.py.
 */
extern const uint8_t fb_font[256][FB_FONT_HEIGHT];

/* A linear RGB framebuffer as the loader describes it. */
struct fb_rgb_mode {
	uint64_t addr;
	uint32_t pitch;         /* bytes per line */
	uint32_t width, height; /* pixels */
	uint8_t bpp;
	/* Bit position and size of each colour in a pixel. */
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

/*
 * Starts drawing on a cleared screen. False (and nothing drawn) unless fb is
 * 16, 24 or 32 bpp with sane colour fields, entirely in mapped memory.
 */
bool fb_console_init(const struct fb_rgb_mode *fb);
/* Characters per row and rows: 0 until fb_console_init() succeeded. */
uint32_t fb_console_cols(void);
uint32_t fb_console_rows(void);
/* No-op until fb_console_init(). */
void fb_console_putc(char c);

#endif
