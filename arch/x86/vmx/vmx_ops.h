/*
 * The VMX instructions. VMREAD/VMWRITE come in one accessor per field width;
 * using an accessor with a constant field of another width does not
 * compile. Every VMREAD and VMWRITE is counted into the bucket the CPU's
 * accounting pointer names (the current exit reason of the current VM), so
 * VMCS traffic is measured, not guessed.
 */
#ifndef ARCH_X86_VMX_VMX_OPS_H
#define ARCH_X86_VMX_VMX_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/percpu.h"
#include "arch/x86/vmx/vmx_bits.h"
#include "arch/x86/vmx/vmcs_fields.h"
#include "lib/panic.h"

/*
 * A compile-time error if a constant field is not of the accessor's width
 * (the field's bits 14:13, SDM Appendix B), saying so.
 */
#define VMCS_CHECK_WIDTH(field, width)                                                        \
	((void)sizeof(struct {                                                                \
		_Static_assert(!__builtin_choose_expr(__builtin_constant_p(field),            \
		                                      VMCS_FIELD_WIDTH(field) != (width), 0), \
		               "VMCS field of another width than the accessor: use the "      \
		               "vmcs_read/write 16, 32, 64 or l that matches the field");     \
		int unused;                                                                   \
	}))

/*
 * A function's precondition that `vmcs` (a struct loaded_vmcs *) is the
 * VMCS VMPTRLD made current on this CPU: a VMREAD or VMWRITE meant for
 * vmcs01 must never land in vmcs02. One compare on the exit path.
 */
#define VMCS_ASSERT_CURRENT(vmcs)                                            \
	do {                                                                 \
		if (__builtin_expect(this_cpu()->current_vmcs != (vmcs), 0)) \
			vmcs_not_current(vmcs, __FILE__, __LINE__);          \
	} while (0)
/* Cold and out of line, so the check costs its compare and nothing else. */
__attribute__((noreturn, cold)) void vmcs_not_current(const struct loaded_vmcs *want,
                                                      const char *file, int line);

static inline void vmx_count_read(void)
{
	this_cpu_vmx_acct()->vmreads++;
}

static inline void vmx_count_write(void)
{
	this_cpu_vmx_acct()->vmwrites++;
}

/* For loops of uncounted VMREADs and VMWRITEs: the counts stay exact, added once. */
static inline void vmx_count_reads(unsigned int n)
{
	this_cpu_vmx_acct()->vmreads += n;
}

static inline void vmx_count_writes(unsigned int n)
{
	this_cpu_vmx_acct()->vmwrites += n;
}

/* Both at once (a batch of VMWRITEs and its check's VMREAD): one load of the pointer. */
static inline void vmx_count(unsigned int reads, unsigned int writes)
{
	struct umbra_exit_counts *acct = this_cpu_vmx_acct();

	acct->vmreads += reads;
	acct->vmwrites += writes;
}

/* For the one read whose bucket is not known until it is done: the exit reason. */
static inline uint64_t vmcs_read_uncounted(uint32_t field)
{
	uint64_t v;
	bool fail;

	__asm__ volatile("vmread %2, %0" : "=rm"(v), "=@ccbe"(fail) : "r"((uint64_t)field) : "cc");
	if (__builtin_expect(fail, 0))
		panic("VMREAD of field 0x%x failed", field);
	return v;
}

static inline uint64_t __vmcs_read(uint32_t field)
{
	uint64_t v = vmcs_read_uncounted(field);

	vmx_count_read();
	return v;
}

/* A VMWRITE counted by its caller (vmx_count_writes): loops count once. */
static inline void vmcs_write_uncounted(uint32_t field, uint64_t v)
{
	bool fail;

	__asm__ volatile("vmwrite %1, %2"
	                 : "=@ccbe"(fail)
	                 : "rm"(v), "r"((uint64_t)field)
	                 : "cc", "memory");
	/* The field's fault (unsupported, read-only), never the value's. */
	if (__builtin_expect(fail, 0))
		panic("VMWRITE of field 0x%x failed", field);
}

static inline void __vmcs_write(uint32_t field, uint64_t v)
{
	vmcs_write_uncounted(field, v);
	vmx_count_write();
}

/*
 * VMREAD/VMWRITE of a batch (the nested exit's and entry's field copies):
 * no branch after each one. A failure (an unsupported or read-only field:
 * VMfailValid) leaves its number in the current VMCS's VM-instruction error
 * field; vmx_batch_check() reads it once, after the batch and before the
 * VMCS is left. Every other VMREAD/VMWRITE panics where it fails, as does
 * each batch at its check, so 12 or 13 there is this batch's. A VMfailInvalid
 * records nothing: the caller knows a VMCS is current (VMCS_ASSERT_CURRENT,
 * or its own checked VMPTRLD), and the check's own VMREAD fails without one.
 * Uncounted, like vmcs_read_uncounted: the caller counts the batch with
 * its check's VMREAD (vmx_count_reads, vmx_count). The boot CPU proves
 * the error field is kept (vmx_batch_selftest).
 */
static inline uint64_t vmcs_read_batched(uint32_t field)
{
	uint64_t v;

	__asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"((uint64_t)field) : "cc");
	return v;
}

static inline void vmcs_write_batched(uint32_t field, uint64_t v)
{
	__asm__ volatile("vmwrite %0, %1" : : "rm"(v), "r"((uint64_t)field) : "cc", "memory");
}

__attribute__((noreturn, cold)) void vmx_batch_failed(const char *batch, uint32_t err);

/* An error a failed VMREAD or VMWRITE leaves: unsupported (12) or read-only (13) field. */
static inline bool vmx_batch_error(uint32_t err)
{
	return err - VMXERR_UNSUPPORTED_VMCS_COMPONENT <= 1; /* one compare */
}

static inline void vmx_batch_check(const char *batch)
{
	uint32_t err = (uint32_t)vmcs_read_uncounted(VM_INSTRUCTION_ERROR);

	if (__builtin_expect(vmx_batch_error(err), 0))
		vmx_batch_failed(batch, err);
}

#define vmcs_read16(f)     (VMCS_CHECK_WIDTH(f, VMCS_WIDTH_16), (uint16_t)__vmcs_read(f))
#define vmcs_read32(f)     (VMCS_CHECK_WIDTH(f, VMCS_WIDTH_32), (uint32_t)__vmcs_read(f))
#define vmcs_read64(f)     (VMCS_CHECK_WIDTH(f, VMCS_WIDTH_64), __vmcs_read(f))
#define vmcs_readl(f)      (VMCS_CHECK_WIDTH(f, VMCS_WIDTH_NATURAL), __vmcs_read(f))
#define vmcs_write16(f, v) (VMCS_CHECK_WIDTH(f, VMCS_WIDTH_16), __vmcs_write(f, (uint16_t)(v)))
#define vmcs_write32(f, v) (VMCS_CHECK_WIDTH(f, VMCS_WIDTH_32), __vmcs_write(f, (uint32_t)(v)))
#define vmcs_write64(f, v) (VMCS_CHECK_WIDTH(f, VMCS_WIDTH_64), __vmcs_write(f, (v)))
#define vmcs_writel(f, v)  (VMCS_CHECK_WIDTH(f, VMCS_WIDTH_NATURAL), __vmcs_write(f, (v)))

/* VMXON/VMCLEAR/VMPTRLD: 0 on success, -1 on VMfail. */
static inline int vmxon(uint64_t region_pa)
{
	bool fail;

	__asm__ volatile("vmxon %1" : "=@ccbe"(fail) : "m"(region_pa) : "cc", "memory");
	return fail ? -1 : 0;
}

static inline int vmclear(uint64_t vmcs_pa)
{
	bool fail;

	__asm__ volatile("vmclear %1" : "=@ccbe"(fail) : "m"(vmcs_pa) : "cc", "memory");
	return fail ? -1 : 0;
}

/* The address is read where it is kept (a field, not a copy on the stack). */
static inline int vmptrld(const uint64_t *vmcs_pa)
{
	bool fail;

	__asm__ volatile("vmptrld %1" : "=@ccbe"(fail) : "m"(*vmcs_pa) : "cc", "memory");
	return fail ? -1 : 0;
}

/* INVEPT of `type` for eptp (ignored by the all-context type). */
static inline void invept(uint64_t type, uint64_t eptp)
{
	struct {
		uint64_t eptp, reserved;
	} desc = {eptp, 0};
	bool fail;

	__asm__ volatile("invept %1, %2" : "=@ccbe"(fail) : "m"(desc), "r"(type) : "cc", "memory");
	if (__builtin_expect(fail, 0))
		panic("INVEPT type %lu of EPTP 0x%lx failed", type, eptp);
}

/* INVVPID of `type` for vpid (and linear address la for the individual-address type). */
static inline void invvpid(uint64_t type, uint16_t vpid, uint64_t la)
{
	struct {
		uint64_t vpid, la;
	} desc = {vpid, la};
	bool fail;

	__asm__ volatile("invvpid %1, %2" : "=@ccbe"(fail) : "m"(desc), "r"(type) : "cc", "memory");
	if (__builtin_expect(fail, 0))
		panic("INVVPID type %lu of VPID %u failed", type, vpid);
}

#endif
