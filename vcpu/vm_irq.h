/*
 * A VM's interrupt wiring, as on a PC: ISA IRQ lines run to both the 8259
 * PICs (vpic.c) and the I/O APIC (vioapic.c; IRQ 0 on pin 2, as the MADT's
 * override says); the I/O APIC's messages go to the local APICs, the PIC's
 * INTR to vCPU 0's LINT0 (virtual wire). The devices that raise lines: the
 * PIT's channel 0 (IRQ 0) and COM1 (IRQ 4). All of it is the VM's, shared
 * by its vCPUs, under vm->lock; deliveries are made after it is dropped.
 */
#ifndef VCPU_VM_IRQ_H
#define VCPU_VM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

#define VM_IRQ_PIT       0
#define VM_IRQ_TIMER_PIN 2 /* the I/O APIC pin IRQ 0 is wired to */

/* Power-on state of the PICs, the I/O APIC and COM1. */
void vm_irq_reset(struct vm *vm);
/*
 * input=1: COM1 takes typed bytes from now on: when the console's
 * interrupt says so (by_irq), else looking every VM_IRQ_INPUT_POLL_MS.
 */
void vm_irq_input_start(struct vm *vm, bool by_irq);
#define VM_IRQ_INPUT_POLL_MS 10
/*
 * input=1: the line a VM has begun is shown once it has sent nothing on
 * COM1 for this long (a prompt, an echo), not sooner: a line it is still
 * sending (16 bytes at each transmitter-empty interrupt) stays whole.
 */
#define VM_IRQ_PARTIAL_QUIET_MS 50

/* Port accesses by vCPU v: the PICs and ELCR, COM1. False if port is not theirs. */
bool vm_irq_port_in(struct vcpu *v, uint16_t port, uint8_t *val);
bool vm_irq_port_out(struct vcpu *v, uint16_t port, uint8_t val);
/* The guest reprogrammed the PIT (under no lock): when IRQ 0 next rises may have moved. */
void vm_irq_timer_changed(struct vcpu *v);

/* An access to the I/O APIC page; false if gpa is not in it. */
bool vm_irq_ioapic_mmio(struct vcpu *v, uint64_t gpa);

/* v's local APIC retired a level-triggered vector: the I/O APIC hears of it. */
void vm_irq_eoi(struct vcpu *v, uint8_t vector);

/*
 * On vCPU 0 (the one that keeps the VM's device time), not under v->lock,
 * once vm->device_next has come: raises the PIT's due edges, takes what
 * was typed (input=1) and sets vm->device_next again.
 */
void vm_irq_poll_due(struct vcpu *v, uint64_t now);

/* Whether the PIC's INTR waits for vCPU v (only vCPU 0 takes it, through LINT0). */
bool vm_irq_extint_pending(struct vcpu *v);
/* Interrupt acknowledge on the PIC: the vector to inject. */
uint8_t vm_irq_extint_ack(struct vcpu *v);

#endif
