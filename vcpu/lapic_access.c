/* xAPIC MMIO and APIC MSR exits: see lapic_access.h. */
#include "vcpu/lapic_access.h"

#include <string.h>

#include "arch/x86/idt.h"
#include "arch/x86/cpu.h"
#include "arch/x86/msr.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "vcpu/events.h"
#include "vcpu/guest_mem.h"
#include "vcpu/mmio_decode.h"
#include "vcpu/vm.h"

#define AR_L         (1u << 13) /* CS: 64-bit code */
#define AR_DB        (1u << 14) /* CS: 32-bit default operand size */
#define PAGE_MASK_4K 0xfffULL

/*
 * Copies the instruction bytes at the guest's RIP (up to 15, fewer where a
 * page is missing). Returns how many, or a guest_walk() error.
 */
static int fetch_instruction(struct vcpu *v, const struct guest_paging *p, uint8_t *buf)
{
	uint64_t linear = vmcs_readl(GUEST_CS_BASE) + reg_cache_read(&v->regs, REG_RIP);
	size_t got = 0;

	while (got < MMIO_INSN_MAX_LEN) {
		uint64_t gpa;
		int rc = guest_walk(p, linear + got, GUEST_ACC_FETCH, &gpa, vcpu_read_guest64,
		                    v->vm);
		size_t chunk = PAGE_MASK_4K + 1 - ((linear + got) & PAGE_MASK_4K);
		const uint8_t *src;

		if (rc < 0)
			return got ? (int)got : rc;
		if (chunk > MMIO_INSN_MAX_LEN - got)
			chunk = MMIO_INSN_MAX_LEN - got;
		src = vm_gpa_to_ptr(v->vm, gpa, chunk);
		if (!src)
			return (int)got;
		memcpy(buf + got, src, chunk);
		got += chunk;
	}
	return (int)got;
}

static enum mmio_cpu_mode cpu_mode(const struct guest_paging *p)
{
	uint32_t ar = vmcs_read32(GUEST_CS_AR_BYTES);

	if (!(p->cr0 & GUEST_CR0_PE))
		return MMIO_MODE_16;
	if ((p->efer & EFER_LMA) && (ar & AR_L))
		return MMIO_MODE_64;
	return (ar & AR_DB) ? MMIO_MODE_32 : MMIO_MODE_16;
}

bool vcpu_lapic_mmio(struct vcpu *v, uint64_t gpa)
{
	struct guest_paging p;
	struct mmio_insn insn;
	struct vlapic_icr icr;
	uint8_t bytes[MMIO_INSN_MAX_LEN];
	uint64_t now = rdtsc();
	bool send = false;
	int n, rc;

	if (!vlapic_enabled(&v->lapic) || vlapic_x2apic_mode(&v->lapic) ||
	    (gpa & ~PAGE_MASK_4K) != vlapic_mmio_base(&v->lapic))
		return false;
	vcpu_guest_paging(v, &p);
	n = fetch_instruction(v, &p, bytes);
	if (n < 0) {
		vm_end_error(v->vm,
		             "local APIC access at rip 0x%lx: cannot fetch the instruction (%s)",
		             reg_cache_read(&v->regs, REG_RIP), guest_walk_error(n));
		return true;
	}
	rc = mmio_decode(bytes, (size_t)n, cpu_mode(&p), &insn);
	if (rc < 0) {
		vm_end_error(v->vm,
		             "local APIC access at rip 0x%lx: unsupported instruction "
		             "%02x %02x %02x %02x (%s)",
		             reg_cache_read(&v->regs, REG_RIP), bytes[0], bytes[1], bytes[2],
		             bytes[3], insn.error ? insn.error : mmio_decode_error(rc));
		return true;
	}
	/* Registers are 32 bits wide at 16-byte offsets; other accesses hit the same register. */
	if (insn.dir == MMIO_DIR_WRITE) {
		uint64_t val = insn.has_imm
		                       ? insn.imm
		                       : mmio_insn_store_value(&insn, vcpu_reg_read(v, insn.reg));

		spin_lock(&v->lock);
		send = vlapic_mmio_write(&v->lapic, (uint32_t)(gpa & PAGE_MASK_4K), (uint32_t)val,
		                         now, &icr);
		spin_unlock(&v->lock);
	} else {
		uint32_t val;

		spin_lock(&v->lock);
		val = vlapic_mmio_read(&v->lapic, (uint32_t)(gpa & PAGE_MASK_4K), now);
		spin_unlock(&v->lock);
		vcpu_reg_write(v, insn.reg,
		               mmio_insn_load_result(&insn, vcpu_reg_read(v, insn.reg), val));
	}
	if (send)
		vcpu_deliver_icr(v, &icr);
	vcpu_lapic_changed(v, now);
	reg_cache_write(&v->regs, REG_RIP, reg_cache_read(&v->regs, REG_RIP) + insn.len);
	return true;
}

bool vcpu_lapic_msr(struct vcpu *v, uint32_t msr, bool write, uint64_t *val)
{
	struct vlapic_icr icr;
	bool send = false;
	uint64_t now;
	int rc;

	if (msr != VLAPIC_MSR_APIC_BASE && msr != VLAPIC_MSR_TSC_DEADLINE &&
	    (msr < VLAPIC_MSR_X2APIC_FIRST || msr > VLAPIC_MSR_X2APIC_LAST))
		return false;
	now = rdtsc();
	spin_lock(&v->lock);
	if (write)
		rc = vlapic_msr_write(&v->lapic, msr, *val, now, &icr, &send);
	else
		rc = vlapic_msr_read(&v->lapic, msr, now, val);
	spin_unlock(&v->lock);
	if (rc == VLAPIC_GP) {
		vcpu_inject_exception(v, VECTOR_GP, true, 0);
		return true;
	}
	if (send)
		vcpu_deliver_icr(v, &icr);
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
