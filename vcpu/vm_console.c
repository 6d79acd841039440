/*
 * A VM's console: bytes from its UART, port 0xE9 and the console hypercall
 * are collected into lines, and each line reaches the hypervisor console
 * whole, prefixed "[name] ", so lines of VMs on different CPUs never mix.
 * The one VM with input=1 is interactive: what is typed on the console
 * reaches its COM1, the line it has begun is shown once COM1 has been
 * quiet a moment (a prompt, the echo of what is typed: vm_irq.c), and its
 * control bytes are kept for the user's terminal.
 */
#include "lib/console.h"
#include "vcpu/events.h"
#include "vcpu/vm.h"
#include "vcpu/vm_irq.h"

static struct vm *input_vm;
static struct spinlock input_lock = SPINLOCK_INIT;

bool vm_console_claim_input(struct vm *vm, const char **holder)
{
	bool ok;

	spin_lock(&input_lock);
	ok = !input_vm;
	if (ok)
		input_vm = vm;
	else
		*holder = input_vm->name;
	spin_unlock(&input_lock);
	return ok;
}

struct vm *vm_console_input_vm(void)
{
	return input_vm;
}

/* COM1 interrupted with bytes (interrupt context: no lock of the host's is held). */
static void input_arrived(void)
{
	struct vm *vm = input_vm;

	if (!vm || vm->state == VM_ENDED)
		return;
	__atomic_store_n(&vm->input_waiting, true, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->device_next, 0, __ATOMIC_SEQ_CST);
	vcpu_wake_for_device(NULL, &vm->vcpus[0]);
}

void vm_console_start_input(bool by_irq)
{
	if (!input_vm)
		return;
	if (by_irq)
		console_set_input_notify(input_arrived);
	vm_irq_input_start(input_vm, by_irq);
}

void vm_console_release_input(struct vm *vm)
{
	spin_lock(&input_lock);
	if (input_vm == vm)
		input_vm = NULL;
	spin_unlock(&input_lock);
}

unsigned int vm_console_read_input(struct vm *vm, uint8_t *buf, unsigned int max)
{
	unsigned int n = 0;
	int c;

	if (vm != input_vm)
		return 0;
	while (n < max && (c = console_getc()) >= 0)
		buf[n++] = (uint8_t)c;
	return n;
}

/* Under vm->lock. */
static void flush_locked(struct vm *vm)
{
	struct vm_console *c = &vm->console;

	if (c->len == 0 && c->shown == 0)
		return;
	if (vm->input)
		console_put_partial(vm->name, c->line, c->len, c->shown, true);
	else
		console_printf("[%s] %.*s\n", vm->name, (int)c->len, c->line);
	c->len = 0;
	c->shown = 0;
}

void vm_console_show_partial_locked(struct vm *vm)
{
	struct vm_console *c = &vm->console;

	if (c->len == c->shown)
		return;
	console_put_partial(vm->name, c->line, c->len, c->shown, false);
	c->shown = c->len;
}

void vm_console_flush(struct vm *vm)
{
	spin_lock(&vm->lock);
	flush_locked(vm);
	spin_unlock(&vm->lock);
}

void vm_console_putc(struct vm *vm, char ch)
{
	struct vm_console *c = &vm->console;

	if (ch == '\r' && !vm->input)
		return;
	spin_lock(&vm->lock); /* the VM's vCPUs share its line */
	if (ch == '\n') {
		/* An empty line is still a line. */
		if (c->len == 0 && c->shown == 0)
			console_printf("[%s] \n", vm->name);
		flush_locked(vm);
	} else {
		/*
		 * Unprintable bytes would garble the host console and its readers;
		 * an interactive VM's are for the user's terminal (line editing).
		 */
		if (((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e) && !vm->input)
			ch = '?';
		c->line[c->len++] = ch;
		if (c->len == sizeof(c->line))
			flush_locked(vm);
	}
	spin_unlock(&vm->lock);
}
