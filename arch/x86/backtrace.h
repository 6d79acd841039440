/* Symbolised backtraces over the frame-pointer chain (-fno-omit-frame-pointer). */
#ifndef ARCH_X86_BACKTRACE_H
#define ARCH_X86_BACKTRACE_H

#include <stdint.h>

#define BACKTRACE_MAX_FRAMES 32

/*
 * Prints "umbra:   #N 0xADDR function+0xOFF" for rip (if not 0), then for
 * each return address up the rbp chain.
 */
void backtrace_print(uint64_t rip, uint64_t rbp);

#endif
