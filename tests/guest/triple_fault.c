/*
 * Umbra must end this VM: with an IDT limit of 0 no vector can be
 * delivered, so int3 raises #GP, that one #DF, and that one a triple fault
 * (shutdown), which Umbra turns into an error verdict. Bare under
 * QEMU -no-reboot the emulator stops too.
 */
#include "payload.h"

PAYLOAD("triple_fault");

TEST(triple_fault)
{
	static const struct desc_ptr no_idt = {0, 0};

	printf("# expecting Umbra to end this VM: int3 with a zero-limit IDT\n");
	serial_flush();
	lidt(&no_idt);
	__asm__ volatile("int3");
	CHECK(false, "still running");
}
