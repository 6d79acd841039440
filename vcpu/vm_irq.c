/* The VM's interrupt wiring: see vm_irq.h. */
#include "vcpu/vm_irq.h"

#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "vcpu/events.h"
#include "vcpu/mmio_access.h"
#include "vcpu/vm.h"

void vm_irq_reset(struct vm *vm)
{
	vpic_reset(&vm->pic);
	vioapic_reset(&vm->ioapic);
	uart_reset(&vm->uart);
	vm->pic_intr = false;
	vm->device_next = UINT64_MAX;
	vm->input_next = UINT64_MAX; /* until vm_irq_input_start */
	vm->partial_due = UINT64_MAX;
}

static unsigned int isa_pin(unsigned int irq)
{
	return irq == VM_IRQ_PIT ? VM_IRQ_TIMER_PIN : irq;
}

/* Takes vm->lock for the devices; returns their next edge as it was, for finish(). */
static uint64_t devices_lock(struct vm *vm)
{
	spin_lock(&vm->lock);
	return vm->device_next;
}

/* Under vm->lock: an ISA line to both controllers. */
static void set_isa_irq(struct vm *vm, unsigned int irq, bool level, uint32_t *pins)
{
	vpic_set_irq(&vm->pic, irq, level);
	*pins |= vioapic_set_pin(&vm->ioapic, isa_pin(irq), level);
}

/* Under vm->lock: COM1's line, with the drop a THR write makes before the byte has left. */
static void uart_line(struct vm *vm, bool thr_written, uint32_t *pins)
{
	if (thr_written)
		set_isa_irq(vm, UART_COM1_IRQ, false, pins);
	set_isa_irq(vm, UART_COM1_IRQ, uart_irq(&vm->uart), pins);
}

/*
 * Under vm->lock: when a device next needs vCPU 0: IRQ 0's next edge if a
 * controller lets it through, and the next look for typed input.
 */
static void update_device_next(struct vm *vm)
{
	bool routed =
	        !(vm->pic.chip[0].imr & 1) || vioapic_pin_unmasked(&vm->ioapic, VM_IRQ_TIMER_PIN);
	uint64_t next = routed ? pit_irq0_next(&vm->pit) : UINT64_MAX;

	if (!vm->input) {
		vm->device_next = next;
		return;
	}
	if (vm->input_next < next)
		next = vm->input_next;
	if (vm->partial_due < next)
		next = vm->partial_due;
	/* Typed bytes wait, and COM1 has room: at once (the FIFO full, when the guest reads). */
	if (uart_rx_room(&vm->uart) && __atomic_load_n(&vm->input_waiting, __ATOMIC_SEQ_CST))
		next = 0;
	__atomic_store_n(&vm->device_next, next, __ATOMIC_SEQ_CST);
	/* COM1's interrupt may have come meanwhile (vm_console.c): its 0 must stay. */
	if (uart_rx_room(&vm->uart) && __atomic_load_n(&vm->input_waiting, __ATOMIC_SEQ_CST))
		__atomic_store_n(&vm->device_next, 0, __ATOMIC_SEQ_CST);
}

void vm_irq_input_start(struct vm *vm, bool by_irq)
{
	spin_lock(&vm->lock);
	vm->input_next = by_irq ? UINT64_MAX : 0; /* polled: at once, then periodically */
	vm->input_waiting = true;                 /* what was typed before the start */
	update_device_next(vm);
	spin_unlock(&vm->lock);
}

/* Under vm->lock: what was typed, into COM1's receive FIFO as it has room. */
static void take_input(struct vm *vm, uint64_t now, uint32_t *pins)
{
	uint8_t buf[UART_RX_FIFO];
	unsigned int n, room;

	if (now >= vm->input_next) {
		vm->input_next = now + tsc_khz() * VM_IRQ_INPUT_POLL_MS;
		__atomic_store_n(&vm->input_waiting, true, __ATOMIC_SEQ_CST);
	}
	room = uart_rx_room(&vm->uart);
	if (!room || !__atomic_load_n(&vm->input_waiting, __ATOMIC_SEQ_CST))
		return;
	/* Cleared first: bytes that arrive from now on set it again. */
	__atomic_store_n(&vm->input_waiting, false, __ATOMIC_SEQ_CST);
	n = vm_console_read_input(vm, buf, room);
	if (n == room)
		__atomic_store_n(&vm->input_waiting, true, __ATOMIC_SEQ_CST); /* maybe more */
	for (unsigned int i = 0; i < n; i++)
		uart_receive(&vm->uart, buf[i]);
	if (n)
		uart_line(vm, false, pins);
}

/* Under vm->lock: the pins' messages, sent once it is dropped (off the common path). */
static __attribute__((noinline)) void deliver(struct vcpu *v, uint32_t pins)
{
	struct vlapic_icr msg[VIOAPIC_PINS];

	for (unsigned int pin = 0; pin < VIOAPIC_PINS; pin++)
		if (pins & (1u << pin))
			vioapic_message(&v->vm->ioapic, pin, &msg[pin]);
	spin_unlock(&v->vm->lock);
	for (unsigned int pin = 0; pin < VIOAPIC_PINS; pin++)
		if (pins & (1u << pin))
			vcpu_deliver_icr(v, &msg[pin]);
}

/*
 * Drops vm->lock, then delivers what the I/O APIC sent (pins: those with a
 * message) and tells vCPU 0 what changed for it: the PIC's INTR rose, or
 * IRQ 0's next edge moved.
 */
static void finish(struct vcpu *v, uint32_t pins, uint64_t device_next_before)
{
	struct vm *vm = v->vm;
	struct vcpu *v0 = &vm->vcpus[0];
	bool intr = vpic_intr(&vm->pic), wake0;

	wake0 = (intr && !vm->pic_intr) || vm->device_next != device_next_before;
	__atomic_store_n(&vm->pic_intr, intr, __ATOMIC_RELEASE);
	if (pins)
		deliver(v, pins); /* drops the lock */
	else
		spin_unlock(&vm->lock);
	if (wake0)
		vcpu_wake_for_device(v, v0);
}

bool vm_irq_port_in(struct vcpu *v, uint16_t port, uint8_t *val)
{
	struct vm *vm = v->vm;
	uint32_t pins = 0;
	uint64_t before;

	if (port >= UART_COM1_BASE && port <= UART_COM1_LAST) {
		before = devices_lock(vm);
		*val = uart_read(&vm->uart, port - UART_COM1_BASE);
		if (vm->input && port == UART_COM1_BASE)
			update_device_next(vm); /* room again for what is typed */
		uart_line(vm, false, &pins);    /* reading IIR or RBR may clear an interrupt */
		finish(v, pins, before);
		return true;
	}
	if (!vpic_port(port))
		return false;
	spin_lock(&vm->lock);
	*val = vpic_in(&vm->pic, port);
	spin_unlock(&vm->lock);
	return true;
}

bool vm_irq_port_out(struct vcpu *v, uint16_t port, uint8_t val)
{
	struct vm *vm = v->vm;
	uint32_t pins = 0;
	uint64_t before;
	bool thr = false, send = false;
	uint8_t byte = 0;

	if (port >= UART_COM1_BASE && port <= UART_COM1_LAST) {
		before = devices_lock(vm);
		send = uart_write(&vm->uart, port - UART_COM1_BASE, val, &byte, &thr);
		if (send && vm->input) {
			/*
			 * Once it has sent nothing for a while, its begun line (a
			 * prompt) is shown. Only the first byte moves the device
			 * time (and wakes vCPU 0): at the earlier time, the later
			 * one is looked at again (vm_irq_poll_due).
			 */
			bool first = vm->partial_due == UINT64_MAX;

			vm->partial_due = rdtsc() + tsc_khz() * VM_IRQ_PARTIAL_QUIET_MS;
			if (first)
				update_device_next(vm);
		}
		uart_line(vm, thr, &pins);
		finish(v, pins, before);
		if (send)
			vm_console_putc(vm, (char)byte);
		return true;
	}
	if (!vpic_port(port))
		return false;
	before = devices_lock(vm);
	vpic_out(&vm->pic, port, val);
	update_device_next(vm); /* IRQ 0 may have been unmasked or masked */
	finish(v, pins, before);
	return true;
}

void vm_irq_timer_changed(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint32_t pins = 0;
	uint64_t before;

	before = devices_lock(vm);
	update_device_next(vm);
	finish(v, pins, before);
}

bool vm_irq_ioapic_mmio(struct vcpu *v, uint64_t gpa)
{
	struct vm *vm = v->vm;
	uint32_t pins = 0;
	struct mmio_insn insn;
	uint32_t offset = (uint32_t)(gpa & PAGE_MASK_4K);
	uint64_t before, val = 0;

	if ((gpa & ~PAGE_MASK_4K) != VIOAPIC_BASE)
		return false;
	if (vcpu_mmio_decode(v, "I/O APIC access", &insn) < 0)
		return true;
	if (insn.dir == MMIO_DIR_WRITE)
		val = vcpu_mmio_store_value(v, &insn);
	before = devices_lock(vm);
	if (insn.dir == MMIO_DIR_WRITE) {
		pins = vioapic_write(&vm->ioapic, offset, (uint32_t)val);
		update_device_next(vm); /* pin 2 may have been unmasked or masked */
	} else {
		val = vioapic_read(&vm->ioapic, offset);
	}
	finish(v, pins, before);
	if (insn.dir != MMIO_DIR_WRITE)
		vcpu_mmio_load(v, &insn, val);
	vcpu_mmio_done(v, &insn);
	return true;
}

void vm_irq_eoi(struct vcpu *v, uint8_t vector)
{
	struct vm *vm = v->vm;
	uint32_t pins = 0;
	uint64_t before;

	before = devices_lock(vm);
	pins = vioapic_eoi(&vm->ioapic, vector);
	finish(v, pins, before);
}

void vm_irq_poll_due(struct vcpu *v, uint64_t now)
{
	struct vm *vm = v->vm;
	uint32_t pins = 0;
	uint64_t before;

	before = devices_lock(vm);
	if (pit_irq0_update(&vm->pit, now)) {
		/* An edge: the line rises and falls again within the tick. */
		set_isa_irq(vm, VM_IRQ_PIT, true, &pins);
		set_isa_irq(vm, VM_IRQ_PIT, false, &pins);
	}
	if (vm->input)
		take_input(vm, now, &pins);
	if (vm->input && now >= vm->partial_due) {
		vm->partial_due = UINT64_MAX;
		vm_console_show_partial_locked(vm);
	}
	update_device_next(vm);
	finish(v, pins, before);
}

bool vm_irq_extint_pending(struct vcpu *v)
{
	return v->id == 0 && __atomic_load_n(&v->vm->pic_intr, __ATOMIC_ACQUIRE) &&
	       vlapic_accepts_extint(&v->lapic);
}

uint8_t vm_irq_extint_ack(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint32_t pins = 0;
	uint64_t before;
	uint8_t vector;

	before = devices_lock(vm);
	vector = vpic_ack(&vm->pic);
	finish(v, pins, before);
	return vector;
}
