#include "vcpu/vmcs_setup.h"

#include <string.h>

#include "arch/x86/cpu.h"
#include "arch/x86/gdt.h"
#include "arch/x86/msr.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "lib/console.h"
#include "lib/phys_mem.h"
#include "vcpu/slice.h"
#include "vcpu/vm.h"

#define PAT_POWER_ON 0x0007040600070406ULL

/* What every VM gets, computed once from the capabilities. */
static struct vmcs_base base;

const struct vmcs_base *vmcs_base(void)
{
	return &base;
}

extern char vmx_vmexit[];

static int adjust(const char *name, uint32_t required, uint32_t optional, uint64_t cap,
                  uint32_t *out)
{
	uint32_t missing = 0;

	if (vmx_adjust_controls(required, optional, cap, out, &missing) < 0) {
		console_printf("umbra: vmx: %s controls 0x%x are not supported by this CPU\n", name,
		               missing);
		return -1;
	}
	return 0;
}

void vmcs_msr_bitmap_allow(uint32_t msr, bool read, bool write)
{
	uint8_t *bm = (uint8_t *)base.msr_bitmap;
	uint32_t off;

	/* Read bitmaps at 0 (low MSRs) and 1024 (0xc0000000...), write bitmaps 2048 later. */
	if (msr <= 0x1fff)
		off = 0;
	else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		off = 1024;
	else
		return;
	msr &= 0x1fff;
	if (read)
		bm[off + msr / 8] &= ~(1u << (msr % 8));
	if (write)
		bm[2048 + off + msr / 8] &= ~(1u << (msr % 8));
}

/* vmcs01's controls: what Umbra needs, and what it uses where the CPU has it. */
#define PIN_REQUIRED (PIN_BASED_EXT_INTR_EXITING | PIN_BASED_NMI_EXITING)
#define PIN_OPTIONAL PIN_BASED_VIRTUAL_NMIS /* a guest's NMI blocking, NMI-window exits */
#define EXEC_REQUIRED                                                                    \
	(CPU_BASED_HLT_EXITING | CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |  \
	 CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING | CPU_BASED_RDPMC_EXITING | \
	 CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING |                      \
	 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS |                                         \
	 CPU_BASED_USE_TSC_OFFSETTING) /* a guest may write its TSC */
#define SECONDARY_REQUIRED \
	(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_UNRESTRICTED_GUEST)
#define SECONDARY_OPTIONAL \
	(SECONDARY_EXEC_ENABLE_RDTSCP | SECONDARY_EXEC_ENABLE_INVPCID | SECONDARY_EXEC_XSAVES)
#define EXIT_REQUIRED                                                                      \
	(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_ACK_INTR_ON_EXIT | VM_EXIT_SAVE_IA32_PAT | \
	 VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER |         \
	 VM_EXIT_SAVE_DEBUG_CONTROLS) /* the guest's DR7 and IA32_DEBUGCTL */
#define ENTRY_REQUIRED \
	(VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_DEBUG_CONTROLS)

_Static_assert(CONTROLS_WITHIN(PIN_REQUIRED | PIN_OPTIONAL, PIN_CONTROLS_KNOWN),
               "vmcs01's pin-based controls outside PIN_CONTROLS_KNOWN (controls.h)");
_Static_assert(CONTROLS_WITHIN(EXEC_REQUIRED, EXEC_CONTROLS_KNOWN),
               "vmcs01's processor-based controls outside EXEC_CONTROLS_KNOWN (controls.h)");
_Static_assert(CONTROLS_WITHIN(SECONDARY_REQUIRED | SECONDARY_OPTIONAL,
                               SECONDARY_EXEC_CONTROLS_KNOWN),
               "vmcs01's secondary controls outside SECONDARY_EXEC_CONTROLS_KNOWN (controls.h)");
_Static_assert(CONTROLS_WITHIN(EXIT_REQUIRED, EXIT_CONTROLS_KNOWN),
               "vmcs01's VM-exit controls outside EXIT_CONTROLS_KNOWN (controls.h)");
_Static_assert(CONTROLS_WITHIN(ENTRY_REQUIRED, ENTRY_CONTROLS_KNOWN),
               "vmcs01's VM-entry controls outside ENTRY_CONTROLS_KNOWN (controls.h)");

int vmcs_setup_global(void)
{
	int err = 0;

	err |= adjust("pin-based", PIN_REQUIRED, PIN_OPTIONAL, vmx_caps.pin_ctls, &base.pin);
	err |= adjust("processor-based", EXEC_REQUIRED, 0, vmx_caps.proc_ctls, &base.exec);
	err |= adjust("secondary", SECONDARY_REQUIRED, SECONDARY_OPTIONAL, vmx_caps.proc2_ctls,
	              &base.secondary);
	err |= adjust("VM-exit", EXIT_REQUIRED, 0, vmx_caps.exit_ctls, &base.exit);
	err |= adjust("VM-entry", ENTRY_REQUIRED, 0, vmx_caps.entry_ctls, &base.entry);
	if (err)
		return -1;
	/* The slice mechanism's controls: chosen from the same capabilities (slice_init). */
	base.pin |= slice_pin_controls();
	base.exit |= slice_exit_controls();
	/* Deny by default: every port and MSR exits unless allowed below. */
	base.io_bitmap_a = phys_alloc(1, FRAME_SIZE);
	base.io_bitmap_b = phys_alloc(1, FRAME_SIZE);
	base.msr_bitmap = phys_alloc(1, FRAME_SIZE);
	if (!base.io_bitmap_a || !base.io_bitmap_b || !base.msr_bitmap)
		return -1;
	memset((void *)base.io_bitmap_a, 0xff, FRAME_SIZE);
	memset((void *)base.io_bitmap_b, 0xff, FRAME_SIZE);
	memset((void *)base.msr_bitmap, 0xff, FRAME_SIZE);
	/* State the VMCS switches on entry and exit, or the host never uses. */
	static const uint32_t passthrough[] = {
	        MSR_FS_BASE,
	        MSR_GS_BASE,
	        MSR_KERNEL_GS_BASE,
	        MSR_IA32_PAT,
	        MSR_IA32_SYSENTER_CS,
	        MSR_IA32_SYSENTER_ESP,
	        MSR_IA32_SYSENTER_EIP,
	        MSR_STAR,
	        MSR_LSTAR,
	        MSR_CSTAR,
	        MSR_SFMASK,
	        MSR_TSC_AUX,
	};
	for (unsigned int i = 0; i < sizeof(passthrough) / sizeof(passthrough[0]); i++)
		vmcs_msr_bitmap_allow(passthrough[i], true, true);
	/* Reads of EFER and the TSC are harmless; their writes are emulated or refused. */
	vmcs_msr_bitmap_allow(MSR_EFER, true, false);
	vmcs_msr_bitmap_allow(MSR_IA32_TSC, true, false);
	return 0;
}

void vmcs_setup_host_state(struct loaded_vmcs *vmcs)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;

	__asm__ volatile("sidt %0" : "=m"(idtr));
	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_writel(HOST_CR4, read_cr4());
	vmcs_write16(HOST_CS_SELECTOR, GDT_SEL_CODE);
	vmcs_write16(HOST_SS_SELECTOR, GDT_SEL_DATA);
	vmcs_write16(HOST_DS_SELECTOR, GDT_SEL_DATA);
	vmcs_write16(HOST_ES_SELECTOR, GDT_SEL_DATA);
	vmcs_write16(HOST_TR_SELECTOR, GDT_SEL_TSS);
	vmcs_writel(HOST_IDTR_BASE, idtr.base);
	vmcs_write64(HOST_IA32_EFER, rdmsr(MSR_EFER));
	vmcs_write64(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_writel(HOST_RIP, (uint64_t)vmx_vmexit);
	/* With the CPU's own: GS, TR and GDTR bases (the IDT is shared); again on another CPU. */
	loaded_vmcs_sync_host_state(vmcs);
}

/* State common to both starts: paging off, no long mode, nothing pending. */
static void setup_common_guest_state(struct vcpu *v, uint64_t cr0_shadow)
{
	vmcs_write16(GUEST_LDTR_SELECTOR, 0);
	vmcs_write32(GUEST_LDTR_AR_BYTES, AR_UNUSABLE);
	vmcs_write16(GUEST_TR_SELECTOR, 0);
	vmcs_writel(GUEST_TR_BASE, 0);
	/* The guest sees CR0 as its protocol leaves it; NE and VMXE are forced underneath. */
	vmcs_writel(CR0_GUEST_HOST_MASK, VMCS_CR0_HOST_OWNED);
	vmcs_writel(CR0_READ_SHADOW, cr0_shadow);
	vmcs_writel(CR4_GUEST_HOST_MASK, VMCS_CR4_HOST_OWNED);
	vmcs_writel(CR4_READ_SHADOW, 0);
	vmcs_writel(GUEST_CR0, (cr0_shadow & (CR0_PE | CR0_ET)) | CR0_NE);
	vmcs_writel(GUEST_CR3, 0);
	vmcs_writel(GUEST_CR4, CR4_VMXE);
	vmcs_writel(GUEST_DR7, DR7_RESET);
	vmcs_writel(GUEST_RFLAGS, 0x2);
	vmcs_writel(GUEST_RSP, 0);
	vmcs_write64(GUEST_IA32_EFER, 0);
	vmcs_write64(GUEST_IA32_PAT, PAT_POWER_ON);
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	entry_controls_clearbit(&v->vmcs, VM_ENTRY_IA32E_MODE);
	memset(&v->gprs, 0, sizeof(v->gprs));
	v->efer = 0;
	/* Written straight to the VMCS: nothing cached is current, nothing pending for it. */
	reg_cache_reset(&v->regs);
}

void vmcs_guest_multiboot(struct vcpu *v, uint32_t entry, uint32_t magic, uint32_t info)
{
	vmcs_write_segment(GUEST_ES_SELECTOR, 0x10, 0, 0xffffffff, AR_DATA32);
	vmcs_write_segment(GUEST_CS_SELECTOR, 0x08, 0, 0xffffffff, AR_CODE32);
	vmcs_write_segment(GUEST_SS_SELECTOR, 0x10, 0, 0xffffffff, AR_DATA32);
	vmcs_write_segment(GUEST_DS_SELECTOR, 0x10, 0, 0xffffffff, AR_DATA32);
	vmcs_write_segment(GUEST_FS_SELECTOR, 0x10, 0, 0xffffffff, AR_DATA32);
	vmcs_write_segment(GUEST_GS_SELECTOR, 0x10, 0, 0xffffffff, AR_DATA32);
	vmcs_write32(GUEST_TR_LIMIT, 0xff);
	vmcs_write32(GUEST_TR_AR_BYTES, AR_TSS_BUSY);
	/* Multiboot leaves GDTR/IDTR undefined: the guest loads its own. */
	vmcs_writel(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0);
	vmcs_writel(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0);
	setup_common_guest_state(v, CR0_PE | CR0_ET);
	vmcs_writel(GUEST_RIP, entry);
	v->gprs.rax = magic;
	v->gprs.rbx = info;
}

void vmcs_guest_sipi(struct vcpu *v, uint8_t vector)
{
	static const uint32_t data_segs[] = {GUEST_ES_SELECTOR, GUEST_SS_SELECTOR,
	                                     GUEST_DS_SELECTOR, GUEST_FS_SELECTOR,
	                                     GUEST_GS_SELECTOR};

	/* Real mode at vector:0000, as INIT then SIPI leave an AP (SDM "MP Initialization"). */
	vmcs_write_segment(GUEST_CS_SELECTOR, (uint16_t)(vector << 8), (uint64_t)vector << 12,
	                   0xffff, AR_CODE16_REAL);
	for (unsigned int i = 0; i < sizeof(data_segs) / sizeof(data_segs[0]); i++)
		vmcs_write_segment(data_segs[i], 0, 0, 0xffff, AR_DATA16_REAL);
	vmcs_write32(GUEST_TR_LIMIT, 0xffff);
	vmcs_write32(GUEST_TR_AR_BYTES, AR_TSS16_BUSY);
	vmcs_writel(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_writel(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);
	setup_common_guest_state(v, CR0_CD | CR0_NW | CR0_ET);
	vmcs_writel(GUEST_RIP, 0);
}

void vmcs_setup_vcpu(struct vcpu *v)
{
	struct loaded_vmcs *vmcs = &v->vmcs;

	VMCS_ASSERT_CURRENT(vmcs);
	pin_controls_set(vmcs, base.pin);
	exec_controls_set(vmcs, base.exec);
	secondary_exec_controls_set(vmcs, base.secondary);
	exit_controls_set(vmcs, base.exit);
	entry_controls_set(vmcs, base.entry);
	vmcs_write64(IO_BITMAP_A, base.io_bitmap_a);
	vmcs_write64(IO_BITMAP_B, base.io_bitmap_b);
	vmcs_write64(MSR_BITMAP, base.msr_bitmap);
	vmcs_write64(EPT_POINTER, ept_eptp(&v->vm->ept, false));
	vmcs_write16(VIRTUAL_PROCESSOR_ID, v->vpid);
	vmcs_write64(TSC_OFFSET, v->msrs.tsc_offset);
	vmcs_setup_host_state(vmcs);
}
