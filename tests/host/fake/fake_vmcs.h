/*
 * Host tests: a fake VMCS behind arch/x86/vmx/vmx_ops.h (the fake header of
 * that name). Each VMCS is a field store keyed by its physical address;
 * VMPTRLD makes one current (creating it on first use), VMCLEAR makes it
 * clear and, if it was current, leaves none current, VMPTRST names the
 * current one. VMREAD and VMWRITE act on the current VMCS and fail as the
 * CPU does: VMfailInvalid without one, VMfailValid for an encoding that
 * is no field. Values are stored at the field's width (SDM Vol. 3 25.11.2:
 * a VMWRITE to a 16- or 32-bit field drops the high bits), and the "high"
 * encoding of a 64-bit field reaches its upper half.
 */
#ifndef FAKE_VMCS_H
#define FAKE_VMCS_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_VMCS_COUNT  8
#define FAKE_VMCS_FIELDS 0x8000  /* encodings have 15 bits (bit 15 is reserved) */
#define FAKE_VMCS_NONE   (~0ULL) /* what VMPTRST stores without a current VMCS */

/* Everything forgotten: no VMCS exists, none is current, no INVVPID seen. */
void fake_vmcs_reset(void);

/* The instructions (0 or true on success, as the CPU's flags would say). */
int fake_vmptrld(uint64_t pa);
int fake_vmclear(uint64_t pa);
uint64_t fake_vmptrst(void);
bool fake_vmread(uint32_t field, uint64_t *val);
bool fake_vmwrite(uint32_t field, uint64_t val);
void fake_invvpid(uint64_t type, uint16_t vpid, uint64_t la);

/* For the tests: a VMCS's field as stored, without VMREAD (0 if never written). */
uint64_t fake_vmcs_get(uint64_t pa, uint32_t field);
/* Sets a field as if the CPU had (an exit's information, say): no VMWRITE counted. */
void fake_vmcs_set(uint64_t pa, uint32_t field, uint64_t val);
/* VMWRITEs of field into the VMCS at pa, and of every field, since the last count reset. */
unsigned int fake_vmcs_writes(uint64_t pa, uint32_t field);
unsigned int fake_vmcs_writes_total(uint64_t pa);
void fake_vmcs_reset_counts(void);
/* Whether VMCLEAR left it clear (no VMPTRLD since). */
bool fake_vmcs_is_clear(uint64_t pa);

/* The INVVPIDs executed since the reset, and the last one. */
struct fake_invvpid {
	unsigned int count;
	uint64_t type, la;
	uint16_t vpid;
};
extern struct fake_invvpid fake_invvpid_log;

/* INVEPTs: how many, and the last one's type and EPTP. */
void fake_invept(uint64_t type, uint64_t eptp);
struct fake_invept {
	unsigned int count;
	uint64_t type, eptp;
};
extern struct fake_invept fake_invept_log;

#endif
