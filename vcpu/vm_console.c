/*
 * A VM's console: bytes from its UART, port 0xE9 and the console hypercall
 * are collected into lines, and each line reaches the hypervisor console
 * whole, prefixed "[name] ", so lines of VMs on different CPUs never mix.
 */
#include "lib/console.h"
#include "vcpu/vm.h"

/* Under vm->lock. */
static void flush_locked(struct vm *vm)
{
	struct vm_console *c = &vm->console;

	if (c->len == 0)
		return;
	console_printf("[%s] %.*s\n", vm->name, (int)c->len, c->line);
	c->len = 0;
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

	if (ch == '\r')
		return;
	spin_lock(&vm->lock); /* the VM's vCPUs share its line */
	if (ch == '\n') {
		/* An empty line is still a line. */
		if (c->len == 0)
			console_printf("[%s] \n", vm->name);
		flush_locked(vm);
	} else {
		/* Unprintable bytes would garble the host console and its readers. */
		if ((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e)
			ch = '?';
		c->line[c->len++] = ch;
		if (c->len == sizeof(c->line))
			flush_locked(vm);
	}
	spin_unlock(&vm->lock);
}
