#include "arch/x86/cpu_features.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "lib/console.h"

struct cpu_features cpu_features;

void cpu_features_read(void)
{
	struct cpu_features *f = &cpu_features;
	struct cpuid_regs r = cpuid(0);

	f->max_leaf = r.eax;
	memcpy(&f->vendor[0], &r.ebx, 4);
	memcpy(&f->vendor[4], &r.edx, 4);
	memcpy(&f->vendor[8], &r.ecx, 4);
	f->vendor[12] = '\0';

	r = cpuid(1);
	f->leaf1_ecx = r.ecx;
	f->leaf1_edx = r.edx;
	f->stepping = r.eax & 0xf;
	f->family = (r.eax >> 8) & 0xf;
	f->model = (r.eax >> 4) & 0xf;
	if (f->family == 0xf)
		f->family += (r.eax >> 20) & 0xff;
	if (f->family == 0x6 || f->family >= 0xf)
		f->model |= ((r.eax >> 16) & 0xf) << 4;

	f->max_ext_leaf = cpuid(0x80000000).eax;
	if (f->max_ext_leaf >= 0x80000001) {
		r = cpuid(0x80000001);
		f->ext1_ecx = r.ecx;
		f->ext1_edx = r.edx;
	}
	f->phys_addr_bits = 36; /* SDM default when leaf 0x80000008 is absent */
	if (f->max_ext_leaf >= 0x80000008)
		f->phys_addr_bits = cpuid(0x80000008).eax & 0xff;
}

void cpu_features_report(void)
{
	const struct cpu_features *f = &cpu_features;

	console_printf("umbra: cpu %s family %u model %u stepping %u, %u-bit physical "
	               "addresses:%s%s%s%s%s%s\n",
	               f->vendor, f->family, f->model, f->stepping, f->phys_addr_bits,
	               cpu_has_vmx() ? " vmx" : " no-vmx", cpu_has_x2apic() ? " x2apic" : "",
	               cpu_has_tsc_deadline() ? " tsc-deadline" : "", cpu_has_nx() ? " nx" : "",
	               cpu_has_1g_pages() ? " 1g-pages" : "",
	               cpu_has_hypervisor_bit() ? " under-a-hypervisor" : "");
}
