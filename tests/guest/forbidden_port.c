/*
 * Umbra must end this VM (it runs with strict=1): by default port 0x510
 * (QEMU's fw_cfg) is not part of the VM's platform (vcpu/io.c), so the OUT
 * exits and Umbra ends the VM naming the port. With "-- port=P size=N" it is an N-byte IN from
 * port P instead: one that starts at an emulated port (0xE9, COM1, the PIC)
 * and runs on into ports with nothing behind them is refused all the same.
 * Bare, the access just happens and we go on.
 */
#include "payload.h"

PAYLOAD("forbidden_port");

#define FW_CFG_PORT 0x510

TEST(access_outside_the_platform)
{
	uint64_t port = FW_CFG_PORT, size = 0;

	cmdline_get_u64("port", &port);
	cmdline_get_u64("size", &size);
	if (size == 0) {
		printf("# expecting Umbra to end this VM: OUT to port 0x%lx\n", port);
		outb((uint16_t)port, 0);
	} else if (size == 2) {
		uint16_t v;

		printf("# expecting Umbra to end this VM: 2-byte IN from port 0x%lx\n", port);
		__asm__ volatile("inw %1, %0" : "=a"(v) : "d"((uint16_t)port));
	} else {
		uint32_t v;

		printf("# expecting Umbra to end this VM: 4-byte IN from port 0x%lx\n", port);
		__asm__ volatile("inl %1, %0" : "=a"(v) : "d"((uint16_t)port));
	}
	CHECK(false, "still running");
}
