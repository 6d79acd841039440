/* Exit handlers for what guests do: each emulates one kind of instruction. */
#ifndef VCPU_EXITS_H
#define VCPU_EXITS_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/vcpu.h"

void vcpu_exit_cpuid(struct vcpu *v);
void vcpu_exit_hypercall(struct vcpu *v);
void vcpu_exit_cr_access(struct vcpu *v);
void vcpu_exit_io(struct vcpu *v);
void vcpu_exit_msr(struct vcpu *v, bool write);
/*
 * What RDMSR/WRMSR of msr does on v's virtual CPU (for the VMCS current:
 * L2's state while L2 runs), without the instruction around it: for the
 * exit, and for nested VMX's MSR lists. UNKNOWN: no such MSR (#GP).
 */
enum vcpu_msr_result { VCPU_MSR_DONE, VCPU_MSR_GP, VCPU_MSR_UNKNOWN };
enum vcpu_msr_result vcpu_msr_access(struct vcpu *v, uint32_t msr, bool write, uint64_t *val);
/* An emulated RDMSR/WRMSR is done: a read's value into EDX:EAX, RIP past it (not after a #GP). */
void vcpu_msr_done(struct vcpu *v, bool write, uint64_t val);
void vcpu_exit_xsetbv(struct vcpu *v);
void vcpu_exit_rdpmc(struct vcpu *v);
/* Asked for only by slices ended by the TSC-deadline timer (slice.c). */
void vcpu_exit_rdtsc(struct vcpu *v, bool rdtscp);

#endif
