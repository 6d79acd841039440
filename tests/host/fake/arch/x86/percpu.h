/*
 * Host tests: this_cpu() is fake_percpu (no GS base here), and
 * this_cpu_vmx_acct() and this_cpu_set_vmx_acct() its pointer; the rest
 * is the real header's.
 */
#ifndef FAKE_ARCH_X86_PERCPU_H
#define FAKE_ARCH_X86_PERCPU_H

#define this_cpu              hw_this_cpu
#define this_cpu_vmx_acct     hw_this_cpu_vmx_acct
#define this_cpu_set_vmx_acct hw_this_cpu_set_vmx_acct
#include_next "arch/x86/percpu.h"
#undef this_cpu
#undef this_cpu_vmx_acct
#undef this_cpu_set_vmx_acct

/* The one CPU of a host test (the test points vmx_acct somewhere). */
extern struct percpu fake_percpu;

static inline struct percpu *this_cpu(void)
{
	return &fake_percpu;
}

static inline struct umbra_exit_counts *this_cpu_vmx_acct(void)
{
	return fake_percpu.vmx_acct;
}

static inline void this_cpu_set_vmx_acct(struct umbra_exit_counts *acct)
{
	fake_percpu.vmx_acct = acct;
}

#endif
