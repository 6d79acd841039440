#include "arch/x86/vmx/vmx.h"

#include <stdio.h>
#include <string.h>

#include "arch/x86/boot_time.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/console.h"
#include "lib/phys_mem.h"

bool vmx_platform_check(const char *hide)
{
	struct vmx_cap_msrs raw;
	char bad[32];
	uint64_t fc;

	if (!cpu_has_vmx()) {
		console_printf("umbra: vmx: this CPU has no VMX (Intel VT-x; CPUID.1:ECX.VMX = 0): "
		               "Umbra cannot run guests here\n");
		return false;
	}
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!vmx_feature_control_allows(fc)) {
		console_printf("umbra: vmx: VMX is disabled and locked by the firmware "
		               "(IA32_FEATURE_CONTROL, MSR 0x3a = 0x%lx): enable Intel VT-x in the "
		               "firmware setup and power-cycle\n",
		               fc);
		return false;
	}
	vmx_cap_msrs_read(&raw);
	if (hide && hide[0]) {
		if (vmx_caps_hide(&raw, hide, bad, sizeof(bad)) < 0)
			console_printf(
			        "umbra: vmx: vmx_hide=: no VMX feature '%s' to hide (shadowing, "
			        "ept_ad, ept_1g, timer, timer_save, ept, ug, vpid)\n",
			        bad);
		else
			console_printf("umbra: vmx: hiding from Umbra: %s (vmx_hide=)\n", hide);
	}
	vmx_caps_decode(&vmx_caps, &raw);
	/* Every missing feature in one line: a user then sees at once what the CPU lacks. */
	static const char *const names[] = {
	        "secondary processor-based controls",
	        "EPT (4-level, write-back, INVEPT single- or all-context)",
	        "unrestricted guest",
	        "VPID (with INVVPID single- or all-context)",
	        "IA32_EFER/IA32_PAT load and save controls",
	        "MSR and I/O bitmaps",
	};
	bool secondary = cpu_has_vmx_secondary_exec();
	const bool lacks[] = {
	        !secondary,
	        !secondary || !cpu_has_vmx_ept() || !cpu_has_vmx_ept_4levels() ||
	                !cpu_has_vmx_ept_wb() ||
	                (!cpu_has_vmx_invept_single() && !cpu_has_vmx_invept_all()),
	        !secondary || !cpu_has_vmx_unrestricted_guest(),
	        !secondary || !cpu_has_vmx_vpid() ||
	                (!cpu_has_vmx_invvpid_single() && !cpu_has_vmx_invvpid_all()),
	        !cpu_has_vmx_load_efer() || !cpu_has_vmx_load_pat(),
	        !cpu_has_vmx_msr_bitmaps() || !cpu_has_vmx_io_bitmaps(),
	};
	char list[256];
	size_t used = 0;

	list[0] = 0;
	for (size_t i = 0; i < sizeof(lacks) / sizeof(lacks[0]); i++)
		if (lacks[i] && used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
			                         used ? ", " : "", names[i]);
	if (used) {
		console_printf("umbra: vmx: this CPU's VMX lacks %s, which Umbra needs\n", list);
		return false;
	}
	/* What is hidden (vmx_hide=) is absent here too: the line says what Umbra uses. */
	if (cpu_has_vmx_preemption_timer())
		snprintf(list, sizeof(list), ", preemption timer rate TSC/%u",
		         1u << vmx_caps.preemption_timer_rate);
	console_printf("umbra: vmx: VMCS revision 0x%x, %u-byte regions, EPT%s%s, VPID, "
	               "unrestricted guest%s%s\n",
	               vmx_caps.revision_id, vmx_caps.vmcs_size,
	               cpu_has_vmx_ept_2m_pages() ? " 2M" : "", cpu_has_vmx_ept_ad() ? " A/D" : "",
	               cpu_has_vmx_vmcs_shadowing() ? ", VMCS shadowing" : "",
	               cpu_has_vmx_preemption_timer() ? list : ", no preemption timer");
	return true;
}

/*
 * vmx_batch_check() finds a failed VMREAD or VMWRITE of a batch by the
 * error number the failure leaves in the VMCS (vmx_ops.h): proved once, on
 * a scratch VMCS, with a batched VMREAD of an encoding no CPU has (bits
 * 31:15 of every field encoding are 0, SDM Appendix B).
 */
static void vmx_batch_selftest(void)
{
	uint64_t pa = phys_alloc(1, FRAME_SIZE);
	uint32_t err;

	if (!pa)
		panic("no memory for the VMCS of the VMX batch self-test");
	*(uint32_t *)pa = vmx_caps.revision_id;
	if (vmclear(pa) < 0 || vmptrld(&pa) < 0)
		panic("VMCLEAR/VMPTRLD of the VMX batch self-test's VMCS failed");
	/* A fresh VMCS holds no batch's error: the one found below is the VMREAD's. */
	err = (uint32_t)vmcs_read_uncounted(VM_INSTRUCTION_ERROR);
	if (vmx_batch_error(err))
		panic("a fresh VMCS holds VM-instruction error %u", err);
	(void)vmcs_read_batched(0xffffffffu);
	err = (uint32_t)vmcs_read_uncounted(VM_INSTRUCTION_ERROR);
	if (vmclear(pa) < 0)
		panic("VMCLEAR of the VMX batch self-test's VMCS failed");
	phys_free(pa, 1);
	if (err != VMXERR_UNSUPPORTED_VMCS_COMPONENT)
		panic("a VMREAD of no field left VM-instruction error %u, not %u: batched VMCS "
		      "accesses could not be checked",
		      err, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
}

bool vmx_cpu_enable(void)
{
	struct percpu *cpu = this_cpu();
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	uint64_t cr0, cr4, pa;

	if (vmx_feature_control_to_write(fc) != fc) {
		fc = vmx_feature_control_to_write(fc);
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
	}
	if (!vmx_feature_control_allows(fc)) {
		console_printf("umbra: cpu %u: VMX locked off (IA32_FEATURE_CONTROL = 0x%lx)\n",
		               cpu->index, fc);
		return false;
	}
	/* VMX operation needs CR0.NE (native FPU error reporting) on every CPU. */
	cr0 = read_cr0() | CR0_NE;
	cr4 = read_cr4() | CR4_VMXE;
	/*
	 * Umbra switches the guests' vector state (FXSAVE/XSAVE) and executes
	 * their XSETBV (vcpu/guest_cpu_state.c).
	 */
	cr4 |= CR4_OSFXSR;
	if (cpu_features.leaf1_ecx & (1u << 26))
		cr4 |= CR4_OSXSAVE;
	if (!vmx_cr_valid(cr0, vmx_caps.cr0_fixed0, vmx_caps.cr0_fixed1) ||
	    !vmx_cr_valid(cr4, vmx_caps.cr4_fixed0, vmx_caps.cr4_fixed1)) {
		console_printf("umbra: cpu %u: CR0 0x%lx / CR4 0x%lx outside VMX's fixed bits\n",
		               cpu->index, cr0, cr4);
		return false;
	}
	write_cr0(cr0);
	write_cr4(cr4);
	pa = phys_alloc(1, FRAME_SIZE);
	if (!pa) {
		console_printf("umbra: cpu %u: no memory for a VMXON region\n", cpu->index);
		return false;
	}
	*(uint32_t *)pa = vmx_caps.revision_id;
	if (vmxon(pa) < 0) {
		console_printf("umbra: cpu %u: VMXON failed\n", cpu->index);
		return false;
	}
	cpu->vmxon_pa = pa;
	cpu->vmx_on = true;
	if (cpu->index == 0)
		vmx_batch_selftest();
	boot_time_vmx_on();
	console_printf("umbra: cpu %u apic=%u in VMX operation\n", cpu->index, cpu->apic_id);
	return true;
}
