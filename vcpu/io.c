/*
 * Port I/O exits: the VM's platform. COM1 (uart.c) and the legacy PICs
 * (vpic.c), whose interrupts vm_irq.c wires; port 0xE9 (debug console),
 * port 0xF4 (isa-debug-exit: ends the VM with the value written), port
 * 0x80 (POST/delay: ignored), the CMOS clock (rtc.c), the 8254 timer and
 * port 0x61 (pit.c), PCI configuration (pci_conf.c: a host bridge), the
 * ACPI PM registers (acpi_pm.c: timer, S5 power-off), and the two ways a
 * PC resets itself (port 0xCF9, the keyboard controller's pulse): they
 * end the VM as a reboot would. Any other port has nothing behind it: an
 * empty bus, as on a PC (reads all ones, writes go nowhere), noted in the
 * VM's report; with strict=1 it ends the VM instead.
 */
#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/idt.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "vcpu/guest_mem.h"
#include "vcpu/guest_walk.h"
#include "vcpu/exits.h"
#include "vcpu/vm.h"
#include "vcpu/vm_irq.h"

#define POST_PORT          0x80
#define KBC_COMMAND_PORT   0x64
#define KBC_PULSE_RESET    0xfe
#define RESET_CONTROL_PORT 0xcf9
#define RESET_CONTROL_CPU  (1u << 2) /* 0 -> 1 resets (bit 1: hard, or soft) */

#define STRING_IO_BATCH 4096

/*
 * The emulated device a port belongs to (0: none). A multi-byte access is
 * the platform's only if all of its ports are one device's: one that runs
 * on into ports with nothing behind them is refused like those ports.
 */
static uintptr_t port_device(struct vm *vm, uint16_t port)
{
	if (port >= UART_COM1_BASE && port <= UART_COM1_LAST)
		return UART_COM1_BASE;
	if (port == UMBRA_DEBUGCON_PORT || port == UMBRA_EXIT_PORT || port == POST_PORT)
		return port;
	if (port == RTC_INDEX_PORT || port == RTC_DATA_PORT)
		return RTC_INDEX_PORT;
	if (pit_port(port))
		return PIT_FIRST_PORT;
	return (uintptr_t)vpic_chip_of(&vm->pic, port);
}

static __attribute__((noinline)) bool port_span_ok(struct vm *vm, uint16_t port, unsigned int size)
{
	uintptr_t dev = port_device(vm, port);

	for (unsigned int i = 1; i < size; i++)
		if (port_device(vm, (uint16_t)(port + i)) != dev)
			return false;
	return true;
}

/* The clock and the timer are the VM's, shared by its vCPUs: one access at a time. */
static uint8_t timer_port(struct vcpu *v, uint16_t port, bool write, uint8_t val)
{
	struct vm *vm = v->vm;
	uint64_t now = rdtsc();

	spin_lock(&vm->lock);
	if (pit_port(port) && write)
		pit_out(&vm->pit, port, val, now);
	else if (pit_port(port))
		val = pit_in(&vm->pit, port, now);
	else if (write)
		rtc_out(&vm->rtc, port, val, now);
	else
		val = rtc_in(&vm->rtc, port, now);
	spin_unlock(&vm->lock);
	if (pit_port(port) && write)
		vm_irq_timer_changed(v); /* IRQ 0's next edge may have moved */
	return val;
}

/* Returns false if the port is not part of the VM's platform. */
static bool port_in(struct vcpu *v, uint16_t port, uint32_t *val)
{
	uint8_t byte;

	if (vm_irq_port_in(v, port, &byte))
		*val = byte;
	else if (port == UMBRA_DEBUGCON_PORT)
		*val = UMBRA_DEBUGCON_PORT; /* as QEMU's and Bochs' debug consoles answer */
	else if (port == POST_PORT)
		*val = 0xff;
	else if (port == RTC_INDEX_PORT || port == RTC_DATA_PORT || pit_port(port))
		*val = timer_port(v, port, false, 0);
	else
		return false;
	return true;
}

static bool port_out(struct vcpu *v, uint16_t port, uint32_t val)
{
	if (port == POST_PORT) /* first: kernels' I/O delay writes it (Linux's io_delay) */
		return true;
	if (vm_irq_port_out(v, port, (uint8_t)val))
		return true;
	if (port == UMBRA_DEBUGCON_PORT)
		vm_console_putc(v->vm, (char)val);
	else if (port == UMBRA_EXIT_PORT)
		vm_end_with_code(v->vm, (uint8_t)val, "exit port 0xf4 code");
	else if (port == RTC_INDEX_PORT || port == RTC_DATA_PORT || pit_port(port))
		timer_port(v, port, true, (uint8_t)val);
	else
		return false;
	return true;
}

/* Ports outside the byte-wide devices: PCI configuration and the reset paths. True if handled. */
static __attribute__((noinline)) bool port_system(struct vm *vm, uint16_t port, unsigned int size,
                                                  bool in, uint32_t *val)
{
	if (pci_conf_port(port, size)) {
		if (in)
			*val = pci_conf_in(&vm->pci, port, size);
		else
			pci_conf_out(&vm->pci, port, size, *val);
		return true;
	}
	if (port == RESET_CONTROL_PORT && size == 1) {
		if (in) {
			*val = vm->reset_control;
		} else {
			if ((*val & RESET_CONTROL_CPU) && !(vm->reset_control & RESET_CONTROL_CPU))
				vm_end_error(
				        vm, "reset: the guest reset its machine (port 0xcf9, 0x%x)",
				        *val & 0xff);
			vm->reset_control = (uint8_t)*val;
		}
		return true;
	}
	if (acpi_pm_port(port, size)) {
		enum acpi_pm_result r = ACPI_PM_DONE;
		uint64_t now = rdtsc();

		spin_lock(&vm->lock);
		if (in)
			*val = acpi_pm_in(&vm->pm, port, size, now);
		else
			r = acpi_pm_out(&vm->pm, port, size, *val);
		spin_unlock(&vm->lock);
		if (r == ACPI_PM_POWER_OFF)
			vm_end_with_code(vm, 0, "power-off (ACPI S5), code");
		return true;
	}
	if (port == KBC_COMMAND_PORT && size == 1 && !in && (*val & 0xff) == KBC_PULSE_RESET) {
		vm_end_error(vm, "reset: the guest reset its machine (keyboard controller, 0xfe)");
		return true;
	}
	return false;
}

/* Nothing at port: the empty bus's answer (noted), or the end of a strict=1 VM (false). */
static __attribute__((noinline)) bool port_empty(struct vcpu *v, uint16_t port, unsigned int size,
                                                 bool in, uint32_t *val)
{
	if (v->vm->strict) {
		vm_end_error(v->vm, "forbidden I/O port 0x%x (%s, %u byte%s) at rip 0x%lx", port,
		             in ? "in" : "out", size, size == 1 ? "" : "s",
		             reg_cache_read(&v->regs, REG_RIP));
		return false;
	}
	vm_note_unknown(v->vm, in ? UNKNOWN_PORT_IN : UNKNOWN_PORT_OUT, port);
	*val = 0xffffffffu; /* no device drives the bus: all ones */
	return true;
}

/*
 * One access of size bytes at port: the device's answer, or the empty
 * bus's (noted). False when it ended a strict=1 VM.
 */
static inline __attribute__((always_inline)) bool
port_access(struct vcpu *v, uint16_t port, unsigned int size, bool in, uint32_t *val)
{
	bool ok;

	if (size > 1 && !port_span_ok(v->vm, port, size))
		ok = false;
	else if (in)
		ok = port_in(v, port, val);
	else
		ok = port_out(v, port, *val);
	/* Off the hot path: PCI configuration and the reset paths. */
	if (!ok)
		ok = port_system(v->vm, port, size, in, val);
	return ok || port_empty(v, port, size, in, val);
}

/*
 * INS and OUTS (REP too): each element through port_access, to or from
 * guest memory at the linear address the exit reports, then RSI or RDI and
 * RCX move as the CPU moves them. At most STRING_IO_BATCH elements per exit:
 * a longer REP restarts the instruction, as after an interrupt.
 */
static __attribute__((noinline)) void string_io(struct vcpu *v, uint64_t qual, uint16_t port,
                                                unsigned int size, bool in)
{
	static const uint64_t addr_masks[] = {0xffffULL, 0xffffffffULL, ~0ULL};
	bool rep = qual & IO_QUAL_REP;
	unsigned int asz = 2;
	uint64_t linear = vmcs_readl(GUEST_LINEAR_ADDRESS), count, done = 0;
	unsigned int reg = in ? VCPU_REG_RDI : VCPU_REG_RSI;
	int64_t step = (reg_cache_read(&v->regs, REG_RFLAGS) & RFLAGS_DF) ? -(int64_t)size : size;
	struct guest_paging p;

	if (vmx_caps.ins_outs_info)
		asz = (vmcs_read32(VMX_INSTRUCTION_INFO) >> 7) & 7;
	if (asz > 2)
		asz = 2;
	count = rep ? v->gprs.rcx & addr_masks[asz] : 1;
	vcpu_guest_paging(v, &p);
	while (done < count && done < STRING_IO_BATCH && v->vm->state != VM_ENDED) {
		uint64_t gpa, at = linear + (uint64_t)((int64_t)done * step);
		int rc = guest_walk(&p, at, in ? GUEST_ACC_WRITE : GUEST_ACC_READ, &gpa,
		                    vcpu_guest_read64, v);
		uint8_t *mem;
		uint32_t val = 0;

		if (rc == 0 && (gpa & 0xfff) + size > 0x1000) /* split across pages: each byte */
			rc = GUEST_WALK_ERR(GUEST_WALK_ACCESSOR, 0);
		mem = rc == 0 ? vcpu_gpa_to_ptr(v, gpa, size) : NULL;
		if (rc < 0 && guest_walk_reason(rc) != GUEST_WALK_ACCESSOR &&
		    guest_walk_reason(rc) != GUEST_WALK_NONCANONICAL) {
			/* The page fault the CPU would take, with the elements so far done. */
			write_cr2(at);
			vcpu_inject_exception(
			        v, VECTOR_PF, true,
			        guest_walk_pf_error_code(&p, in ? GUEST_ACC_WRITE : GUEST_ACC_READ,
			                                 rc));
			break;
		}
		if (!mem) {
			vm_end_error(
			        v->vm,
			        "%s at rip 0x%lx: memory at linear 0x%lx is not RAM (string I/O "
			        "to devices or across pages is not emulated)",
			        in ? "INS" : "OUTS", reg_cache_read(&v->regs, REG_RIP), at);
			return;
		}
		if (!in)
			memcpy(&val, mem, size);
		if (!port_access(v, port, size, in, &val))
			return;
		if (in)
			memcpy(mem, &val, size);
		done++;
	}
	vcpu_reg_write(v, reg,
	               (vcpu_reg_read(v, reg) & ~addr_masks[asz]) |
	                       ((vcpu_reg_read(v, reg) + (uint64_t)((int64_t)done * step)) &
	                        addr_masks[asz]));
	if (rep)
		v->gprs.rcx = (v->gprs.rcx & ~addr_masks[asz]) | ((count - done) & addr_masks[asz]);
	if (done == count && !v->exception_injected)
		vcpu_skip_instruction(v);
}

/* Any port I/O exit (vcpu_exit_io takes the byte OUTs to devices itself). */
static __attribute__((noinline)) void port_io(struct vcpu *v)
{
	uint64_t qual = reg_cache_read(&v->regs, REG_EXIT_QUALIFICATION);
	uint16_t port = IO_QUAL_PORT(qual);
	unsigned int size = IO_QUAL_SIZE(qual);
	bool in = qual & IO_QUAL_IN;
	uint32_t val = 0;

	if (qual & IO_QUAL_STRING) {
		string_io(v, qual, port, size, in);
		return;
	}
	if (!in)
		val = (uint32_t)v->gprs.rax;
	if (!port_access(v, port, size, in, &val))
		return;
	if (in) {
		uint64_t mask = size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1;

		/* A 32-bit IN zero-extends into RAX; 8/16-bit ones merge. */
		v->gprs.rax = size == 4 ? val : (v->gprs.rax & ~mask) | (val & mask);
	}
	vcpu_skip_instruction(v);
}

void vcpu_exit_io(struct vcpu *v)
{
	uint64_t qual = reg_cache_read(&v->regs, REG_EXIT_QUALIFICATION);

	/*
	 * Most exits are byte OUTs to a device (the UART, the PICs, port 0x80's
	 * delays): that path keeps only the vCPU across its call. One port_out
	 * refuses (nothing there: no side effect) goes the whole way, port_io.
	 */
	if (!(qual & (IO_QUAL_STRING | IO_QUAL_IN)) && IO_QUAL_SIZE(qual) == 1 &&
	    port_out(v, IO_QUAL_PORT(qual), (uint32_t)v->gprs.rax)) {
		vcpu_skip_instruction(v);
		return;
	}
	port_io(v);
}
