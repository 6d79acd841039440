/*
 * Hardware VMCS shadowing for L1 (SDM Vol. 3 25.10 "VMCS Shadowing"):
 * vmcs01 links a shadow VMCS that holds the vmcs12 fields an L1 reads or
 * writes on nearly every exit (VMCS12_SHADOW_RO/RW in vmcs12_fields.h), so
 * that its VMREADs and VMWRITEs of them do not exit at all. While L1 runs
 * with a current VMCS, those fields' values are in the shadow VMCS, not
 * in the vmcs12 cache:
 *   shadow_vmcs_load  vmcs12 -> shadow, every shadowed field: after VMPTRLD;
 *   shadow_vmcs_load_exit  vmcs12 -> shadow, the fields a nested VM exit
 *                     stores (exit_stored below): after every nested VM
 *                     exit. The others hold what the last load or save
 *                     left, vmcs12's value: only an emulated VMWRITE changes
 *                     them between, and it writes the shadow too
 *                     (shadow_vmcs_write_field);
 *   shadow_vmcs_save  shadow -> vmcs12, the fields L1 may write (marked
 *                     dirty if changed): before a nested VM entry and before
 *                     the vmcs12 is written back to L1's memory.
 * Without VMCS shadowing in the host CPU, every L1 VMREAD/VMWRITE exits and
 * is emulated (nvmx_emulate.c): slower, the same results.
 */
#include <string.h>

#include "arch/x86/percpu.h"
#include "arch/x86/vmx/caps.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "lib/frame_alloc.h"
#include "lib/phys_mem.h"
#include "nested/nested.h"
#include "nested/nested_internal.h"
#include "nested/vmcs12.h"

/*
 * The shadowed fields nested_vmexit() stores in vmcs12 (nested_exit.c): the
 * exit information, L2's hot state (save_l2_hot) and the VM-entry
 * interruption information, whose valid bit every exit clears. The guest-
 * physical address is stored only by EPT exits (shadow_ept.c), just before.
 */
static const uint16_t exit_stored[] = {
        VM_EXIT_REASON,
        EXIT_QUALIFICATION,
        VM_EXIT_INTR_INFO,
        VM_EXIT_INTR_ERROR_CODE,
        IDT_VECTORING_INFO_FIELD,
        IDT_VECTORING_ERROR_CODE,
        VM_EXIT_INSTRUCTION_LEN,
        VMX_INSTRUCTION_INFO,
        GUEST_LINEAR_ADDRESS,
        GUEST_PHYSICAL_ADDRESS,
        GUEST_RIP,
        GUEST_RSP,
        GUEST_RFLAGS,
        GUEST_INTERRUPTIBILITY_INFO,
        VM_ENTRY_INTR_INFO_FIELD,
};
#define N_EXIT_STORED (sizeof(exit_stored) / sizeof(exit_stored[0]))

static uint64_t vmread_bitmap, vmwrite_bitmap;
/* The table indices of the shadowed fields, of those L1 may write, of exit_stored: loops without lookups. */
static uint8_t shadowed[VMCS12_FIELD_COUNT], writable[VMCS12_FIELD_COUNT], at_exit[N_EXIT_STORED];
static unsigned int n_shadowed, n_writable;

int shadow_vmcs_global_init(void)
{
	if (!cpu_has_vmx_vmcs_shadowing())
		return 0;
	vmread_bitmap = phys_alloc(1, FRAME_SIZE);
	vmwrite_bitmap = phys_alloc(1, FRAME_SIZE);
	if (!vmread_bitmap || !vmwrite_bitmap)
		return -1;
	vmcs12_shadow_bitmaps((uint8_t *)vmread_bitmap, (uint8_t *)vmwrite_bitmap);
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++) {
		if (vmcs12_fields[i].flags & (VMCS12_SHADOW_RO | VMCS12_SHADOW_RW))
			shadowed[n_shadowed++] = (uint8_t)i;
		if (vmcs12_fields[i].flags & VMCS12_SHADOW_RW)
			writable[n_writable++] = (uint8_t)i;
	}
	for (unsigned int k = 0; k < N_EXIT_STORED; k++)
		at_exit[k] = (uint8_t)vmcs12_field_index(exit_stored[k]);
	return 0;
}

int shadow_vmcs_alloc(struct nested_vmx *n, struct frame_alloc *fa)
{
	uint64_t pa;

	if (!vmread_bitmap)
		return 0;
	pa = frame_alloc_alloc(fa, 1, FRAME_SIZE);
	if (!pa)
		return -1;
	memset((void *)pa, 0, FRAME_SIZE);
	*(uint32_t *)pa = (vmx_caps.revision_id & ~SHADOW_VMCS_INDICATOR) | SHADOW_VMCS_INDICATOR;
	if (vmclear(pa) < 0)
		return -1;
	n->shadow_pa = pa;
	return 0;
}

/* Makes the shadow VMCS current (for Umbra's own VMREAD/VMWRITE of it). */
static void shadow_current(struct nested_vmx *n)
{
	if (vmptrld(n->shadow_pa) < 0)
		panic("VMPTRLD of shadow VMCS 0x%lx failed", n->shadow_pa);
	this_cpu()->current_vmcs = NULL;
}

void shadow_vmcs_load(struct vcpu *v, struct loaded_vmcs *back)
{
	struct nested_vmx *n = &v->nested;

	if (!n->shadow_active)
		return;
	shadow_current(n);
	for (unsigned int k = 0; k < n_shadowed; k++)
		vmcs_write_uncounted(vmcs12_fields[shadowed[k]].encoding,
		                     vmcs12_get(n->vmcs12, shadowed[k]));
	vmx_count_writes(n_shadowed);
	loaded_vmcs_load(back);
}

void shadow_vmcs_load_exit(struct vcpu *v, struct loaded_vmcs *back)
{
	struct nested_vmx *n = &v->nested;

	if (!n->shadow_active)
		return;
	shadow_current(n);
	for (unsigned int k = 0; k < N_EXIT_STORED; k++)
		vmcs_write_uncounted(exit_stored[k], vmcs12_get(n->vmcs12, at_exit[k]));
	vmx_count_writes(N_EXIT_STORED);
	loaded_vmcs_load(back);
}

void shadow_vmcs_save(struct vcpu *v, struct loaded_vmcs *back)
{
	struct nested_vmx *n = &v->nested;

	if (!n->shadow_active)
		return;
	shadow_current(n);
	for (unsigned int k = 0; k < n_writable; k++)
		vmcs12_update(n->vmcs12, writable[k],
		              vmcs_read_uncounted(vmcs12_fields[writable[k]].encoding));
	vmx_count_reads(n_writable);
	loaded_vmcs_load(back);
}

void shadow_vmcs_write_field(struct vcpu *v, unsigned int idx)
{
	struct nested_vmx *n = &v->nested;

	if (!n->shadow_active ||
	    !(vmcs12_fields[idx].flags & (VMCS12_SHADOW_RO | VMCS12_SHADOW_RW)))
		return;
	VMCS_ASSERT_CURRENT(v->loaded);
	shadow_current(n);
	__vmcs_write(vmcs12_fields[idx].encoding, vmcs12_get(n->vmcs12, idx));
	loaded_vmcs_load(v->loaded);
}

void shadow_vmcs_activate(struct vcpu *v, bool on)
{
	struct nested_vmx *n = &v->nested;

	if (!n->shadow_pa || n->shadow_active == on)
		return;
	/* L1 just executed VMPTRLD, VMCLEAR or VMXOFF. */
	VMCS_ASSERT_CURRENT(&v->vmcs);
	if (on && !n->shadow_linked) {
		vmcs_write64(VMREAD_BITMAP, vmread_bitmap);
		vmcs_write64(VMWRITE_BITMAP, vmwrite_bitmap);
		n->shadow_linked = true;
	}
	if (on) {
		vmcs_write64(VMCS_LINK_POINTER, n->shadow_pa);
		secondary_exec_controls_setbit(&v->vmcs, SECONDARY_EXEC_VMCS_SHADOWING);
	} else {
		/* A link pointer to a shadow VMCS without shadowing fails VM entry (SDM 26.3.1.5). */
		secondary_exec_controls_clearbit(&v->vmcs, SECONDARY_EXEC_VMCS_SHADOWING);
		vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
	}
	n->shadow_active = on;
}
