/*
 * Work stealing (pure, host-tested): which CPU a CPU with an empty run
 * queue asks for a vCPU. vcpu/sched.c does the asking and the handing over.
 */
#ifndef VCPU_STEAL_H
#define VCPU_STEAL_H

#include <stdint.h>

/* A CPU gives a vCPU away only if it keeps one that can run: it needs two. */
#define STEAL_MIN_READY 2

/*
 * ready[i]: the vCPUs CPU i could run at its last look. The busiest CPU
 * other than `self` with at least STEAL_MIN_READY, the lowest index among
 * equals; -1 if none has enough.
 */
int steal_victim(const uint32_t *ready, uint32_t n, uint32_t self);

#endif
