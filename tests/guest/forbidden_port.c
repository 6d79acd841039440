/*
 * Umbra must end this VM: port 0x70 (the CMOS/RTC index) is not part of the
 * VM's platform (vcpu/io.c), so the OUT exits and Umbra ends the VM naming
 * the port. Bare, the write just selects CMOS register 0 and we go on.
 */
#include "payload.h"

PAYLOAD("forbidden_port");

#define CMOS_INDEX_PORT 0x70

TEST(out_cmos_index)
{
	printf("# expecting Umbra to end this VM: OUT to port 0x%x\n", CMOS_INDEX_PORT);
	outb(CMOS_INDEX_PORT, 0);
	CHECK(false, "still running");
}
