/*
 * What a VM exit of a vCPU's own guest (L1, or L2 where Umbra keeps the
 * exit) leads to: the cached exit reason picks the handler.
 */
#ifndef VCPU_EXIT_DISPATCH_H
#define VCPU_EXIT_DISPATCH_H

struct vcpu;

void vcpu_handle_exit(struct vcpu *v);

#endif
