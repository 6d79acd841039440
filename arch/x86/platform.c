#include "arch/x86/platform.h"

#include "arch/x86/cpu.h"
#include "arch/x86/serial.h"

#define QEMU_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT  0x8900

void platform_exit(enum umbra_exit_code code)
{
	static const char shutdown[] = "Shutdown";

	/* Both emulators power off at once: let the last line leave the UART. */
	serial_drain();
	outb(QEMU_DEBUG_EXIT_PORT, (uint8_t)code);
	for (const char *p = shutdown; *p; p++)
		outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
	/* Real hardware: nothing listens on those ports; stop here. */
	cpu_halt_forever();
}
