/* xAPIC MMIO and APIC MSR exits: see lapic_access.h. */
#include "vcpu/lapic_access.h"

#include <string.h>

#include "arch/x86/idt.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "vcpu/events.h"
#include "vcpu/guest_mem.h"
#include "vcpu/mmio_access.h"
#include "vcpu/vm.h"
#include "vcpu/vm_irq.h"

bool vcpu_lapic_mmio(struct vcpu *v, uint64_t gpa)
{
	struct mmio_insn insn;
	struct vlapic_icr icr;
	uint64_t now = rdtsc();
	bool send = false, level_eoi = false;
	uint8_t eoi_vector = 0;

	if (!vlapic_enabled(&v->lapic) || vlapic_x2apic_mode(&v->lapic) ||
	    (gpa & ~PAGE_MASK_4K) != vlapic_mmio_base(&v->lapic))
		return false;
	if (vcpu_mmio_decode(v, "local APIC access", &insn) < 0)
		return true;
	/* Registers are 32 bits wide at 16-byte offsets; other accesses hit the same register. */
	if (insn.dir == MMIO_DIR_WRITE) {
		uint64_t val = vcpu_mmio_store_value(v, &insn);

		spin_lock(&v->lock);
		send = vlapic_mmio_write(&v->lapic, (uint32_t)(gpa & PAGE_MASK_4K), (uint32_t)val,
		                         now, &icr);
		level_eoi = vlapic_take_level_eoi(&v->lapic, &eoi_vector);
		spin_unlock(&v->lock);
	} else {
		uint32_t val;

		spin_lock(&v->lock);
		val = vlapic_mmio_read(&v->lapic, (uint32_t)(gpa & PAGE_MASK_4K), now);
		spin_unlock(&v->lock);
		vcpu_mmio_load(v, &insn, val);
	}
	if (send)
		vcpu_deliver_icr(v, &icr);
	if (level_eoi)
		vm_irq_eoi(v, eoi_vector);
	vcpu_lapic_changed(v, now);
	vcpu_mmio_done(v, &insn);
	return true;
}

bool vcpu_lapic_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	struct vlapic_icr icr;
	bool send = false, level_eoi = false;
	uint8_t eoi_vector = 0;
	uint64_t now;
	int rc;

	if (msr != VLAPIC_MSR_APIC_BASE && msr != VLAPIC_MSR_TSC_DEADLINE &&
	    (msr < VLAPIC_MSR_X2APIC_FIRST || msr > VLAPIC_MSR_X2APIC_LAST))
		return false;
	now = rdtsc();
	/* The deadline is in the guest's TSC; the timer runs on the host's. */
	if (write && msr == VLAPIC_MSR_TSC_DEADLINE && *val)
		*val = *val - v->msrs.tsc_offset ? *val - v->msrs.tsc_offset : 1;
	spin_lock(&v->lock);
	if (write) {
		rc = vlapic_msr_write(&v->lapic, msr, *val, now, &icr, &send);
		level_eoi = vlapic_take_level_eoi(&v->lapic, &eoi_vector);
	} else
		rc = vlapic_msr_read(&v->lapic, msr, now, val);
	spin_unlock(&v->lock);
	if (!write && msr == VLAPIC_MSR_TSC_DEADLINE && *val)
		*val += v->msrs.tsc_offset;
	if (rc == VLAPIC_GP) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return true;
	}
	if (send)
		vcpu_deliver_icr(v, &icr);
	if (level_eoi)
		vm_irq_eoi(v, eoi_vector);
	if (write)
		vcpu_lapic_changed(v, now);
	return true;
}

uint64_t vcpu_lapic_cr8(struct vcpu *v)
{
	uint64_t cr8;

	spin_lock(&v->lock);
	cr8 = vlapic_tpr(&v->lapic) >> 4;
	spin_unlock(&v->lock);
	return cr8;
}

void vcpu_lapic_set_cr8(struct vcpu *v, uint64_t cr8)
{
	spin_lock(&v->lock);
	vlapic_set_tpr(&v->lapic, (uint8_t)(cr8 << 4));
	spin_unlock(&v->lock);
	vcpu_lapic_changed(v, rdtsc()); /* a lower TPR may unblock an interrupt */
}
