/* Host tests of vcpu/cpuid_filter.c: what a guest's CPUID shows. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vcpu/cpuid_filter.h"
#include "abi/umbra_abi.h"

static const struct cpuid_guest guest = {.apic_id = 3, .osxsave = false};

static void test_apic_bit_follows_the_global_enable(void **state)
{
	(void)state;
	struct cpuid_guest off = {.apic_id = 0, .apic_off = true};
	struct cpuid_result r = {0x50654, 0, 0, 0xbfebfbff};

	cpuid_filter(1, 0, &off, &r);
	assert_int_equal(r.edx & (1u << 9), 0);
	assert_int_not_equal(r.edx & 1u, 0); /* the rest stays */
}

static void test_xsave_leaf_has_no_supervisor_states(void **state)
{
	(void)state;
	struct cpuid_result r = {0xf, 0x240, 0x100, 0x1};

	assert_true(cpuid_filter_changes(0xd));
	cpuid_filter(0xd, 1, &guest, &r);
	assert_int_equal(r.eax, 0x5); /* XSAVEOPT and XGETBV1 as the CPU says; no XSAVEC, XSAVES */
	assert_int_equal(r.ecx | r.edx, 0);
	r = (struct cpuid_result){0x7, 0x240, 0x340, 0};
	cpuid_filter(0xd, 0, &guest, &r); /* the user components pass */
	assert_int_equal(r.eax, 0x7);
	assert_int_equal(r.ecx, 0x340);
}

static void test_signature_and_version_leaves(void **state)
{
	(void)state;
	struct cpuid_result r = {1, 2, 3, 4};
	char sig[13] = {0};

	assert_true(cpuid_filter_is_own_leaf(0x40000000));
	cpuid_filter(0x40000000, 0, &guest, &r);
	assert_int_equal(r.eax, UMBRA_CPUID_MAX_LEAF);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	assert_memory_equal(sig, UMBRA_CPUID_SIGNATURE, 12);

	r = (struct cpuid_result){9, 9, 9, 9};
	cpuid_filter(0x40000001, 0, &guest, &r);
	assert_int_equal(r.eax, UMBRA_ABI_VERSION);
	assert_int_equal(r.ebx | r.ecx | r.edx, 0);
	/* EBX bit 0: nested VMX with VMCS shadowing. */
	{
		struct cpuid_guest shadowing = guest;

		shadowing.vmcs_shadowing = true;
		cpuid_filter(0x40000001, 0, &shadowing, &r);
		assert_int_equal(r.ebx, UMBRA_CPUID_F_VMCS_SHADOWING);
	}

	/* Other hypervisor leaves are empty, whatever the CPU said. */
	r = (struct cpuid_result){9, 9, 9, 9};
	cpuid_filter(0x40000100, 0, &guest, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	assert_false(cpuid_filter_is_own_leaf(0x3fffffff));
	assert_false(cpuid_filter_is_own_leaf(0x50000000));
}

/* nested=1: VMX shown, the rest as for any guest. */
static void test_leaf1_shows_vmx_when_nested(void **state)
{
	(void)state;
	struct cpuid_guest nested = {.apic_id = 3, .vmx = true};
	struct cpuid_result r = {0x50654, 0x00100800, 0x7ffefbff, 0xbfebfbff};
	struct cpuid_result plain = r;

	cpuid_filter(1, 0, &nested, &r);
	cpuid_filter(1, 0, &guest, &plain);
	assert_int_not_equal(r.ecx & (1u << 5), 0);
	assert_int_equal(r.ecx, plain.ecx | (1u << 5));
	assert_int_equal(r.edx, plain.edx);
}

static void test_leaf1_hides_vmx_sets_hypervisor(void **state)
{
	(void)state;
	/* A host with VMX, x2APIC, TSC-deadline, MONITOR, OSXSAVE, APIC; APIC ID 0. */
	struct cpuid_result r = {0x50654, 0x00100800, 0x7ffefbff, 0xbfebfbff};

	cpuid_filter(1, 0, &guest, &r);
	assert_int_equal(r.eax, 0x50654);
	assert_int_equal(r.ecx & (1u << 5), 0);      /* VMX */
	assert_int_equal(r.ecx & (1u << 3), 0);      /* MONITOR */
	assert_int_not_equal(r.ecx & (1u << 21), 0); /* x2APIC: the virtual APIC has it */
	assert_int_not_equal(r.ecx & (1u << 24), 0); /* TSC-deadline too */
	assert_int_equal(r.ecx & (1u << 27), 0);     /* OSXSAVE follows the guest's CR4 */
	assert_int_not_equal(r.ecx & (1u << 31), 0);
	assert_int_not_equal(r.ecx & (1u << 0), 0); /* SSE3 and the like stay */
	assert_int_not_equal(r.edx & (1u << 9), 0); /* APIC */
	assert_int_not_equal(r.edx & (1u << 0), 0); /* FPU stays */
	assert_int_equal(r.ebx >> 24, 3);           /* initial APIC ID = the vCPU's */
	assert_int_equal(r.ebx & 0xffffff, 0x100800);
	/* Exactly these hidden, nothing more: MONITOR, VMX, SMX, EST, TM2, PDCM, DCA,
	 * OSXSAVE in ECX; ACPI, TM, PBE in EDX. Shown: x2APIC, TSC-deadline, APIC. */
	assert_int_equal(r.ecx,
	                 (0x7ffefbffu & ~0x080481e8u) | (1u << 31) | (1u << 21) | (1u << 24));
	assert_int_equal(r.edx, (0xbfebfbffu & ~0xa0400000u) | (1u << 9));

	struct cpuid_guest xsave_on = {.apic_id = 0, .osxsave = true};

	r = (struct cpuid_result){0, 0, 0, 0};
	cpuid_filter(1, 0, &xsave_on, &r);
	assert_int_not_equal(r.ecx & (1u << 27), 0);
	assert_int_equal(r.ecx, (1u << 31) | (1u << 27) | (1u << 21) | (1u << 24));
	assert_int_equal(r.ebx, 0);

	/* The APIC ID replaces bits 31:24 only, whatever the host had there. */
	struct cpuid_guest high_id = {.apic_id = 0x85, .osxsave = false};

	r = (struct cpuid_result){0, 0x0a123456, 0, 0};
	cpuid_filter(1, 0, &high_id, &r);
	assert_int_equal(r.ebx, 0x85123456);
}

static void test_unvirtualised_leaves_are_empty(void **state)
{
	(void)state;
	const uint32_t leaves[] = {5, 6, 0xa, 0xb, 0x12, 0x1f};

	for (unsigned int i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		struct cpuid_result r = {1, 2, 3, 4};

		cpuid_filter(leaves[i], 0, &guest, &r);
		assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	}
}

static void test_other_leaves_pass_through(void **state)
{
	(void)state;
	struct cpuid_result r = {0, ~0u, ~0u, ~0u};

	/* Leaf 7 passes, but SGX and SGX launch control (not virtualised). */
	cpuid_filter(7, 0, &guest, &r);
	assert_int_equal(r.ebx, ~(1u << 2));
	assert_int_equal(r.ecx, ~(1u << 30));
	r = (struct cpuid_result){0, ~0u, ~0u, ~0u};
	cpuid_filter(7, 1, &guest, &r);
	assert_int_equal(r.ebx, ~0u);
	r = (struct cpuid_result){0x16, 0x756e6547, 0x6c65746e, 0x49656e69};

	cpuid_filter(0, 0, &guest, &r);
	assert_int_equal(r.eax, 0x16);
	assert_int_equal(r.ebx, 0x756e6547);
	r = (struct cpuid_result){0x80000008, 1, 2, 3};
	cpuid_filter(0x80000000, 0, &guest, &r);
	assert_int_equal(r.eax, 0x80000008);
}

/* Leaves 0x15 (crystal = TSC, ratio 1/1) and 0x16 report the TSC rate Umbra measured. */
static void test_tsc_frequency_leaves(void **state)
{
	(void)state;
	struct cpuid_guest g = {.apic_id = 0, .osxsave = false, .tsc_mhz = 20, .tsc_hz = 19999000};
	struct cpuid_result r = {3500, 3900, 100, 0};

	assert_true(cpuid_filter_changes(0x16));
	cpuid_filter(0x16, 0, &g, &r);
	assert_int_equal(r.eax, 20);
	assert_int_equal(r.ebx, 20);
	assert_int_equal(r.ecx, 0);
	/* Unknown rate: the host's answer stands. */
	g.tsc_mhz = 0;
	r = (struct cpuid_result){3500, 3900, 100, 0};
	cpuid_filter(0x16, 0, &g, &r);
	assert_int_equal(r.eax, 3500);
	r = (struct cpuid_result){2, 176, 24000000, 0};
	cpuid_filter(0x15, 0, &g, &r);
	assert_int_equal(r.eax, 1);
	assert_int_equal(r.ebx, 1);
	assert_int_equal(r.ecx, 19999000);
	assert_int_equal(r.edx, 0);
	/* Unknown, or past 32 bits of Hz: empty, not the host's. */
	g.tsc_hz = 0;
	r = (struct cpuid_result){2, 176, 24000000, 0};
	cpuid_filter(0x15, 0, &g, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	g.tsc_hz = 5000000000ULL;
	cpuid_filter(0x15, 0, &g, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
}

/* Leaf 0xD.1 EBX: the compacted size of XCR0's components (Skylake-X's AVX-512 set: 2432). */
static void test_xsaves_size(void **state)
{
	(void)state;
	struct cpuid_result comp[CPUID_XSAVE_COMPONENTS] = {{0, 0, 0, 0}};
	struct cpuid_guest g = {.xsaves_size = 2432};
	struct cpuid_result r = {0xf, 0xa80, 0x100, 0};

	comp[2] = (struct cpuid_result){256, 576, 0, 0};
	comp[5] = (struct cpuid_result){64, 1088, 0, 0};
	comp[6] = (struct cpuid_result){512, 1152, 0, 0};
	comp[7] = (struct cpuid_result){1024, 1664, 0, 0};
	assert_int_equal(cpuid_xsave_compacted_size(0x7, comp), 576 + 256);
	assert_int_equal(cpuid_xsave_compacted_size(0xe7, comp), 2432);
	assert_int_equal(cpuid_xsave_compacted_size(0x3, comp), 576);
	/* A component that must start on 64 bytes (ECX bit 1) after one that ends off it. */
	comp[9] = (struct cpuid_result){8, 0, 2, 0};
	comp[10] = (struct cpuid_result){100, 0, 2, 0};
	assert_int_equal(cpuid_xsave_compacted_size(0x603, comp), 576 + 8 + 56 + 100);
	cpuid_filter(0xd, 1, &g, &r);
	assert_int_equal(r.eax, 0x5); /* XSAVEOPT and XGETBV1 stay; XSAVEC and XSAVES go */
	assert_int_equal(r.ebx, 2432);
	assert_int_equal(r.ecx, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_signature_and_version_leaves),
	        cmocka_unit_test(test_xsave_leaf_has_no_supervisor_states),
	        cmocka_unit_test(test_apic_bit_follows_the_global_enable),
	        cmocka_unit_test(test_leaf1_hides_vmx_sets_hypervisor),
	        cmocka_unit_test(test_leaf1_shows_vmx_when_nested),
	        cmocka_unit_test(test_tsc_frequency_leaves),
	        cmocka_unit_test(test_unvirtualised_leaves_are_empty),
	        cmocka_unit_test(test_other_leaves_pass_through),
	        cmocka_unit_test(test_xsaves_size),
	};
	return cmocka_run_group_tests_name("cpuid_filter", tests, NULL, NULL);
}
