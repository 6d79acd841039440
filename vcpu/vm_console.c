/*
 * A VM's console: bytes from its UART, port 0xE9 and the console hypercall
 * are collected into lines, and each line reaches the hypervisor console
 * whole, prefixed "[name] ", so lines of VMs on different CPUs never mix.
 */
#include "lib/console.h"
#include "vcpu/vm.h"

void vm_console_flush(struct vm *vm)
{
	struct vm_console *c = &vm->console;

	if (c->len == 0)
		return;
	console_printf("[%s] %.*s\n", vm->name, (int)c->len, c->line);
	c->len = 0;
}

void vm_console_putc(struct vm *vm, char ch)
{
	struct vm_console *c = &vm->console;

	if (ch == '\n') {
		/* An empty line is still a line. */
		if (c->len == 0)
			console_printf("[%s] \n", vm->name);
		vm_console_flush(vm);
		return;
	}
	if (ch == '\r')
		return;
	/* Unprintable bytes would garble the host console and its readers. */
	if ((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e)
		ch = '?';
	c->line[c->len++] = ch;
	if (c->len == sizeof(c->line))
		vm_console_flush(vm);
}
