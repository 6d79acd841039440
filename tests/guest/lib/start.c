/*
 * From entry.S to the tests: check that a Multiboot1 or Multiboot2 loader
 * started us (the magic says which), copy what we need out of its info
 * (the tests may overwrite all other RAM), describe the machine as KTAP
 * diagnostics, run the tests and report the verdict on port 0xF4.
 */
#include "boot/multiboot.h"
#include "internal.h"
#include "payload.h"

#define BOCHS_SHUTDOWN_PORT 0x8900

void payload_start(uint32_t magic, uint32_t info);

/* A payload may override this to exit with something other than its verdict. */
__attribute__((weak)) int payload_exit_code(int verdict)
{
	return verdict;
}

void payload_start(uint32_t magic, uint32_t info)
{
	unsigned int multiboot;

	serial_init();
	idt_init();
	if (magic == MULTIBOOT1_BOOTLOADER_MAGIC) {
		multiboot = 1;
	} else if (magic == MULTIBOOT2_BOOTLOADER_MAGIC) {
		multiboot = 2;
	} else {
		/* Nothing from the loader can be trusted: say why, before any KTAP. */
		printf("# %s: not started by a Multiboot1 or Multiboot2 loader (EAX 0x%x)\n",
		       payload_name, magic);
		payload_exit(PAYLOAD_ERROR);
	}
	bootinfo_init(multiboot, info);
	mem_init(info);
	umbra_init();

	ktap_begin();
	printf("# payload %s, loader \"%s\", hypervisor \"%s\"%s\n", payload_name,
	       bootinfo_loader_name(), hypervisor_vendor(), on_umbra() ? " (Umbra)" : "");
	printf("# cmdline \"%s\"\n", bootinfo_cmdline());
	mem_describe();
	payload_exit(payload_exit_code(ktap_run()));
}

void payload_exit(int code)
{
	static const char shutdown[] = "Shutdown";

	/* QEMU and Umbra stop at once on port 0xF4: the last line must be out by then. */
	serial_flush();
	outb(UMBRA_EXIT_PORT, (uint8_t)code);
	/*
	 * Still here: no isa-debug-exit device, so try Bochs' shutdown port.
	 * Under Umbra that port is forbidden, but the 0xF4 write has ended the VM.
	 */
	if (!on_umbra())
		for (const char *p = shutdown; *p; p++)
			outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
	halt_forever();
}
