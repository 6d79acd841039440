/*
 * vmcs12 -> vmcs02 before a nested VM entry. vmcs02 is the hardware VMCS
 * L2 runs on: L1's guest state and most of its controls, merged with what
 * Umbra needs whatever L1 asked (its host state, EPT, VPID, I/O and MSR
 * exits checked in software, HLT/MWAIT/MONITOR exits, CR0.PG/NE and
 * CR4.VMXE owned, external-interrupt exiting and the slice timer).
 *
 * Only the vmcs12 fields marked dirty are written (L1's VMWRITEs since the
 * last entry; all of them after a VMPTRLD); the five control words go
 * through the shadowed setters, which skip the VMWRITE when nothing
 * changed. An L1 that only advanced the guest RIP costs one VMWRITE here.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/controls.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "nested/nested.h"
#include "nested/exit_route.h"
#include "nested/nested_internal.h"
#include "nested/shadow_ept.h"
#include "nested/vmcs12.h"
#include "vcpu/guest_mem.h"
#include "vcpu/vm.h"
#include "vcpu/vmcs_setup.h"

/* Secondary controls L2 gets from L1 (offered in l1_caps.c); EPT, VPID, UG are Umbra's. */
#define PROC2_FROM_L1                                                       \
	(SECONDARY_EXEC_DESC_TABLE_EXITING | SECONDARY_EXEC_ENABLE_RDTSCP | \
	 SECONDARY_EXEC_WBINVD_EXITING | SECONDARY_EXEC_RDRAND_EXITING |    \
	 SECONDARY_EXEC_ENABLE_INVPCID | SECONDARY_EXEC_RDSEED_EXITING)
#define PROC2_UMBRA \
	(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_UNRESTRICTED_GUEST)
/* Processor-based controls Umbra sets in vmcs02 whatever L1 asked (exit_route.c decides). */
#define PROC_UMBRA                                                                     \
	(CPU_BASED_HLT_EXITING | CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING | \
	 CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |                        \
	 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
/* L1's controls that name L1 structures Umbra replaces with its own. */
#define PROC_REPLACED                                                                         \
	(CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS | \
	 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)

/* Every MSR access of L2 exits (exit_route.c checks L1's bitmap): one page of ones. */
uint64_t nested_msr_bitmap02;

/* L2's TSC: L1's offset for it (if L1 uses one) on top of the vCPU's own. */
static uint64_t tsc_offset02(const struct vcpu *v, const struct vmcs12 *c)
{
	uint64_t off = v->msrs.tsc_offset;

	if (c->cpu_based_vm_exec_control & CPU_BASED_USE_TSC_OFFSETTING)
		off += c->tsc_offset;
	return off;
}

static void write_tsc_offset(struct vcpu *v, const struct vmcs12 *c, bool force)
{
	uint64_t off = tsc_offset02(v, c);

	if (force || off != v->nested.tsc_offset02) {
		vmcs_write64(TSC_OFFSET, off);
		v->nested.tsc_offset02 = off;
	}
}

void nested_tsc_offset_moved(struct vcpu *v)
{
	write_tsc_offset(v, v->nested.vmcs12, false);
	v->nested.l1_tsc_offset_stale = true;
}

/* What a dirty vmcs12 field asks of vmcs02 (field_action, one byte per field). */
enum {
	TO_VMCS02 = 1 << 0, /* a VMWRITE of vmcs12's value */
	CR_MASKS = 1 << 1,  /* write_cr_masks */
	MSR_STATE = 1 << 2, /* write_msr_state */
	PDPTES = 1 << 3,    /* write_pdptes */
};
static uint8_t field_action[VMCS12_FIELD_COUNT];

static uint8_t action_of(uint32_t enc)
{
	switch (enc) {
	case CR0_GUEST_HOST_MASK:
	case CR4_GUEST_HOST_MASK:
	case CR0_READ_SHADOW:
	case CR4_READ_SHADOW: return CR_MASKS;
	case GUEST_CR0:
	case GUEST_CR4: return TO_VMCS02 | CR_MASKS | PDPTES;
	case GUEST_CR3: return TO_VMCS02 | PDPTES;
	case VM_ENTRY_CONTROLS: return MSR_STATE | PDPTES;
	/* write_pdptes: vmcs12's with EPT12, else from memory at CR3. */
	case GUEST_PDPTR0:
	case GUEST_PDPTR1:
	case GUEST_PDPTR2:
	case GUEST_PDPTR3:
	case CPU_BASED_VM_EXEC_CONTROL:
	case SECONDARY_VM_EXEC_CONTROL: return PDPTES;
	case GUEST_IA32_EFER:
	case GUEST_IA32_PAT:
	case GUEST_IA32_DEBUGCTL:
	case GUEST_DR7: return MSR_STATE;
	case TSC_OFFSET:
		return 0; /* with Umbra's own added (write_controls) */
	/* Control fields L2 takes as L1 wrote them. */
	case EXCEPTION_BITMAP:
	case PAGE_FAULT_ERROR_CODE_MASK:
	case PAGE_FAULT_ERROR_CODE_MATCH:
	case CR3_TARGET_COUNT:
	case CR3_TARGET_VALUE0:
	case CR3_TARGET_VALUE1:
	case CR3_TARGET_VALUE2:
	case CR3_TARGET_VALUE3:
	case VM_ENTRY_INTR_INFO_FIELD:
	case VM_ENTRY_EXCEPTION_ERROR_CODE:
	case VM_ENTRY_INSTRUCTION_LEN: return TO_VMCS02;
	default:
		/* L2's guest state as L1 wrote it, but for the fields vmcs02 keeps for Umbra. */
		return VMCS_FIELD_TYPE(enc) == VMCS_TYPE_GUEST && !vmcs02_umbra_field(enc)
		               ? TO_VMCS02
		               : 0;
	}
}

void vmcs02_global_init(void)
{
	for (unsigned int i = 0; i < VMCS12_FIELD_COUNT; i++)
		field_action[i] = action_of(vmcs12_fields[i].encoding);
}

/* Fields written once per vmcs02: Umbra's, the same for every L1. */
static void setup_once(struct vcpu *v)
{
	struct loaded_vmcs *l = &v->nested.vmcs02;
	const struct vmcs_base *b = vmcs_base();

	vmcs_setup_host_state(l);
	vmcs_write64(IO_BITMAP_A, b->io_bitmap_a);
	vmcs_write64(IO_BITMAP_B, b->io_bitmap_b);
	vmcs_write64(MSR_BITMAP, nested_msr_bitmap02);
	v->nested.eptp02 = ept_eptp(&v->vm->ept, false);
	vmcs_write64(EPT_POINTER, v->nested.eptp02);
	vmcs_write16(VIRTUAL_PROCESSOR_ID, v->nested.vpid02);
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
	pin_controls_set(l, b->pin);
	exit_controls_set(l, b->exit);
	write_tsc_offset(v, v->nested.vmcs12, true);
	v->nested.vmcs02_set_up = true;
}

/* The merged CR0/CR4 masks and shadows: L1's bits as L1 set them, Umbra's show L2's value. */
static void write_cr_masks(const struct vmcs12 *c)
{
	vmcs_writel(CR0_GUEST_HOST_MASK, c->cr0_guest_host_mask | VMCS_CR0_HOST_OWNED);
	vmcs_writel(CR0_READ_SHADOW, (c->cr0_read_shadow & c->cr0_guest_host_mask) |
	                                     (c->guest_cr0 & ~c->cr0_guest_host_mask));
	vmcs_writel(CR4_GUEST_HOST_MASK, c->cr4_guest_host_mask | VMCS_CR4_HOST_OWNED);
	vmcs_writel(CR4_READ_SHADOW, (c->cr4_read_shadow & c->cr4_guest_host_mask) |
	                                     (c->guest_cr4 & ~c->cr4_guest_host_mask));
}

/* L2's EFER, PAT and debug controls: vmcs12's if L1 loads them, else L1's own carry over. */
static void write_msr_state(struct vcpu *v, const struct vmcs12 *c)
{
	struct nested_vmx *n = &v->nested;
	uint64_t efer;

	if (c->vm_entry_controls & VM_ENTRY_LOAD_IA32_EFER) {
		efer = c->guest_ia32_efer;
	} else {
		efer = n->l1_efer_at_entry & ~(EFER_LMA | EFER_LME);
		if (c->vm_entry_controls & VM_ENTRY_IA32E_MODE)
			efer |= EFER_LMA | EFER_LME;
	}
	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write64(GUEST_IA32_PAT, c->vm_entry_controls & VM_ENTRY_LOAD_IA32_PAT
	                                     ? c->guest_ia32_pat
	                                     : n->l1_pat_at_entry);
	if (c->vm_entry_controls & VM_ENTRY_LOAD_DEBUG_CONTROLS) {
		vmcs_writel(GUEST_DR7, c->guest_dr7);
		vmcs_write64(GUEST_IA32_DEBUGCTL, c->guest_ia32_debugctl);
	} else {
		vmcs_writel(GUEST_DR7, n->l1_dr7_at_entry);
		vmcs_write64(GUEST_IA32_DEBUGCTL, n->l1_debugctl_at_entry);
	}
}

/*
 * PAE paging outside IA-32e mode: with EPT, VM entry takes the PDPTEs from
 * vmcs02. L1 with EPT12 gives them in vmcs12 (its CPU would take them from
 * there too); without, they are at L2's CR3 in L1's memory.
 */
static void write_pdptes(struct vcpu *v, const struct vmcs12 *c)
{
	uint64_t base = c->guest_cr3 & PDPTE_ALIGN_MASK, e[4] = {0, 0, 0, 0};

	if (!(c->guest_cr0 & CR0_PG) || !(c->guest_cr4 & CR4_PAE) ||
	    (c->vm_entry_controls & VM_ENTRY_IA32E_MODE))
		return;
	if (vmcs12_ept_enabled(c)) {
		e[0] = c->guest_pdptr0;
		e[1] = c->guest_pdptr1;
		e[2] = c->guest_pdptr2;
		e[3] = c->guest_pdptr3;
	} else {
		for (int i = 0; i < 4; i++) /* checked at entry */
			vcpu_read_guest64(v->vm, base + 8 * (uint64_t)i, &e[i]);
	}
	vmcs_write64(GUEST_PDPTR0, e[0]);
	vmcs_write64(GUEST_PDPTR1, e[1]);
	vmcs_write64(GUEST_PDPTR2, e[2]);
	vmcs_write64(GUEST_PDPTR3, e[3]);
}

/* The controls, every entry: the setters write only what changed. */
static void write_controls(struct vcpu *v, const struct vmcs12 *c)
{
	struct loaded_vmcs *l = &v->nested.vmcs02;
	const struct vmcs_base *b = vmcs_base();
	uint32_t proc2 = b->secondary & PROC2_UMBRA;

	if (c->cpu_based_vm_exec_control & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		proc2 |= c->secondary_vm_exec_control & PROC2_FROM_L1;
	exec_controls_set(l, (c->cpu_based_vm_exec_control & ~PROC_REPLACED) | PROC_UMBRA |
	                             (b->exec & ~CPU_BASED_INTR_WINDOW_EXITING));
	secondary_exec_controls_set(l, proc2);
	entry_controls_set(l, b->entry | (c->vm_entry_controls &
	                                  (VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_DEBUG_CONTROLS)));
	write_tsc_offset(v, c, false);
}

/* EPT01 (L1's memory) for L2, or with EPT12 the EPT02 root of its role (shadow_ept.c). */
static void write_eptp(struct vcpu *v, const struct vmcs12 *c)
{
	struct nested_vmx *n = &v->nested;
	uint64_t eptp;

	if (vmcs12_ept_enabled(c)) {
		/* The EPTP12 of the root vmcs02 names, that root still current: nothing to do. */
		if (c->ept_pointer == n->eptp12_in_vmcs02 && sept_root_current(n->sept))
			return;
		eptp = nested_sept_eptp(v, c->ept_pointer);
		n->eptp12_in_vmcs02 = c->ept_pointer;
	} else {
		if (n->eptp12_in_vmcs02 == NESTED_NO_EPTP12 && n->eptp02)
			return; /* EPT01 already */
		eptp = ept_eptp(&v->vm->ept, false);
		n->eptp12_in_vmcs02 = NESTED_NO_EPTP12;
	}
	if (eptp != n->eptp02) {
		vmcs_write64(EPT_POINTER, eptp);
		v->nested.eptp02 = eptp;
	}
}

bool vmcs02_umbra_field(uint32_t encoding)
{
	switch (encoding) {
	case VMCS_LINK_POINTER:           /* L1 gets no VMCS shadowing */
	case GUEST_IA32_PERF_GLOBAL_CTRL: /* its load control is not offered */
	case GUEST_SMBASE:                /* no SMM */
	case VMX_PREEMPTION_TIMER_VALUE:  /* Umbra's slices and L1's deadline (slice_arm) */
	case GUEST_ACTIVITY_STATE: /* Umbra halts L2 as any vCPU (nested_entry.c) */ return true;
	default: return false;
	}
}

/*
 * Each dirty field once, a word of the dirty set at a time, which is then
 * clear: the copies into vmcs02, and what else the fields ask (the
 * actions' bits, returned).
 */
static unsigned int write_dirty(struct vmcs12 *c)
{
	unsigned int todo = 0;

	for (unsigned int w = 0; w < sizeof(c->dirty.bits) / sizeof(c->dirty.bits[0]); w++) {
		uint64_t bits = c->dirty.bits[w];

		c->dirty.bits[w] = 0;
		while (bits) {
			unsigned int i = w * 64 + (unsigned int)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (field_action[i] & TO_VMCS02)
				__vmcs_write(vmcs12_fields[i].encoding, vmcs12_get(c, i));
			todo |= field_action[i];
		}
	}
	return todo;
}

void vmcs02_prepare(struct vcpu *v)
{
	struct vmcs12 *c = v->nested.vmcs12;
	unsigned int todo;

	if (!v->nested.vmcs02_set_up)
		setup_once(v);
	todo = write_dirty(c);
	if (todo & CR_MASKS)
		write_cr_masks(c);
	if (todo & MSR_STATE)
		write_msr_state(v, c);
	if (todo & PDPTES)
		write_pdptes(v, c);
	write_controls(v, c);
	write_eptp(v, c);
	/* Nothing above switches VMCS: vmcs02 was current throughout (one compare, at the end). */
	VMCS_ASSERT_CURRENT(&v->nested.vmcs02);
}

/*
 * One writable field of the shadow VMCS that L1 wrote, into vmcs02 if
 * vmcs02 takes it as written: unrolled at compile time from the field
 * table's flags, as shadow_vmcs_save() reads them (one bit test each),
 * but for those the short path never lets through (WROTE_MERGED).
 */
#define COPY_WRITABLE(name, encoding, width, flags)                                         \
	if (((flags)&VMCS12_SHADOW_RW) && !(nested_wrote_class(encoding) & WROTE_MERGED) && \
	    vmcs12_dirty_test(&c->dirty, VMCS12_IDX_##encoding) &&                          \
	    (field_action[VMCS12_IDX_##encoding] & TO_VMCS02)) {                            \
		vmcs_write_uncounted(encoding, c->name);                                    \
		writes++;                                                                   \
	}

void vmcs02_prepare_hot(struct vcpu *v, bool carried_moved)
{
	struct vmcs12 *c = v->nested.vmcs12;
	unsigned int writes = 0;

	if (carried_moved) {
		/* L1's EFER, PAT or debug state that L2 starts with moved (nested_entry.c). */
		unsigned int todo = write_dirty(c);

		if (todo & MSR_STATE)
			write_msr_state(v, c);
		/* the VMRESUME's short path lets no field through that vmcs02 merges. */
		CHECK(!(todo & (CR_MASKS | PDPTES)));
	} else {
		VMCS12_FIELDS(COPY_WRITABLE)
		vmx_count_writes(writes);
		for (unsigned int w = 0; w < sizeof(c->dirty.bits) / sizeof(c->dirty.bits[0]); w++)
			c->dirty.bits[w] = 0;
	}
	/*
	 * No TSC offset: L1's moves by an exit of its own (no short path
	 * follows one) or by an MSR list (no short path with one). EPT12's
	 * root may have been dropped since (shadow_ept.c); EPT01 stays.
	 */
	if (vmcs12_ept_enabled(c))
		write_eptp(v, c);
	VMCS_ASSERT_CURRENT(&v->nested.vmcs02);
}
