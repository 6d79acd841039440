/*
 * An MSR the virtual CPU does not have: IA32_PERF_GLOBAL_CTRL (0x38f).
 * Umbra offers no performance monitoring (CPUID leaf 0xA is zero), so the
 * WRMSR gets #GP, as on a CPU without it, and the VM's report lists it.
 * With strict=1 (grub-ended.cfg) Umbra ends the VM at the WRMSR instead,
 * naming the MSR.
 */
#include "payload.h"

PAYLOAD("forbidden_msr");

#define MSR_IA32_PERF_GLOBAL_CTRL 0x38f

static void wrmsr_fn(void *arg)
{
	(void)arg;
	wrmsr(MSR_IA32_PERF_GLOBAL_CTRL, 0);
}

TEST(wrmsr_perf_global_ctrl_faults)
{
	int vec;

	printf("# WRMSR 0x%x (IA32_PERF_GLOBAL_CTRL): #GP, or the end of a strict=1 VM\n",
	       MSR_IA32_PERF_GLOBAL_CTRL);
	vec = catch_exception(wrmsr_fn, NULL, NULL);
	CHECK(vec == 13, "WRMSR raised %s, not #GP", vec < 0 ? "nothing" : exception_name(vec));
}
