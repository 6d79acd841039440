/*
 * The console on screen, in EGA/VGA text mode: what a machine without a
 * serial port shows. Called under the console lock.
 */
#ifndef ARCH_X86_VGA_TEXT_H
#define ARCH_X86_VGA_TEXT_H

#include <stdint.h>

#define VGA_TEXT_DEFAULT_ADDR 0xb8000
#define VGA_TEXT_DEFAULT_COLS 80
#define VGA_TEXT_DEFAULT_ROWS 25

/* Starts drawing on a cleared screen of cols x rows cells, pitch bytes per row. */
void vga_text_init(uint64_t addr, uint32_t cols, uint32_t rows, uint32_t pitch);
/* No-op until vga_text_init(). */
void vga_text_putc(char c);

#endif
