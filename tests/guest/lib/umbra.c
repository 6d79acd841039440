/*
 * Are we Umbra's guest? Two independent signs: the CPUID hypervisor leaves
 * (hypervisor bit and the "UmbraUmbra" signature) and the boot loader name
 * Umbra writes into the Multiboot info. Either one counts, so a broken CPUID
 * filter makes the CPUID tests fail instead of silently skipping them all.
 */
#include "internal.h"
#include "payload.h"

#define UMBRA_LOADER_NAME "Umbra"
#define SIGNATURE_LEN     12

static bool probed, cpuid_says_umbra, loader_says_umbra;
static char vendor[SIGNATURE_LEN + 1];

void umbra_init(void)
{
	struct cpuid_regs r = cpuid(1, 0);
	const char *loader = bootinfo_loader_name();

	memcpy(vendor, "none", sizeof("none"));
	if (r.ecx & CPUID_1_ECX_HYPERVISOR) {
		r = cpuid(UMBRA_CPUID_SIGNATURE_LEAF, 0);
		memcpy(vendor, &r.ebx, 4);
		memcpy(vendor + 4, &r.ecx, 4);
		memcpy(vendor + 8, &r.edx, 4);
		vendor[SIGNATURE_LEN] = '\0';
		cpuid_says_umbra = !memcmp(vendor, UMBRA_CPUID_SIGNATURE, SIGNATURE_LEN);
		/* NUL-padded ("UmbraUmbra\0\0"); other unprintable bytes would garble KTAP. */
		for (int i = 0; i < SIGNATURE_LEN && vendor[i]; i++)
			if (vendor[i] < ' ' || vendor[i] > '~')
				vendor[i] = '?';
	}
	loader_says_umbra = !memcmp(loader, UMBRA_LOADER_NAME, sizeof(UMBRA_LOADER_NAME));
	probed = true;
}

bool on_umbra(void)
{
	/* payload_exit may ask before start-up got as far as umbra_init. */
	if (!probed)
		umbra_init();
	return cpuid_says_umbra || loader_says_umbra;
}

const char *hypervisor_vendor(void)
{
	if (!probed)
		umbra_init();
	return vendor;
}

long umbra_exit_stats(struct umbra_exit_stats *s)
{
	/* Our memory is identity-mapped: the virtual address is the guest-physical one. */
	return umbra_hypercall(UMBRA_HC_EXIT_STATS, (uintptr_t)s, sizeof(*s), 0);
}
