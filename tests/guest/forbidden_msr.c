/*
 * Umbra must end this VM: it writes IA32_TSC (MSR 0x10). Umbra's MSR bitmap
 * lets the guest read the TSC but not write it (vcpu/vmcs_setup.c), and the
 * write handler emulates only EFER and BIOS_SIGN_ID (vcpu/msr.c), so this
 * WRMSR ends the VM naming the MSR. The TSC is shared with Umbra, which
 * times exits with it, so no future Umbra should let a guest set it either.
 * (IA32_FEATURE_CONTROL, the other obvious candidate, is one nested VMX
 * will have to emulate.) We write back the value just read, so bare the
 * write changes next to nothing.
 */
#include "payload.h"

PAYLOAD("forbidden_msr");

#define MSR_IA32_TSC 0x10

TEST(wrmsr_tsc)
{
	printf("# expecting Umbra to end this VM: WRMSR 0x%x (IA32_TSC)\n", MSR_IA32_TSC);
	wrmsr(MSR_IA32_TSC, rdmsr(MSR_IA32_TSC));
	CHECK(false, "still running");
}
