/*
 * Host tests: this_cpu() is fake_percpu (no GS base here); the rest is the
 * real header's.
 */
#ifndef FAKE_ARCH_X86_PERCPU_H
#define FAKE_ARCH_X86_PERCPU_H

#define this_cpu hw_this_cpu
#include_next "arch/x86/percpu.h"
#undef this_cpu

/* The one CPU of a host test (the test points vmx_acct somewhere). */
extern struct percpu fake_percpu;

static inline struct percpu *this_cpu(void)
{
	return &fake_percpu;
}

#endif
