/* Host tests: the fake VMCS (fake_vmcs.h). */
#include "fake_vmcs.h"

#include <string.h>

#include "arch/x86/vmx/vmcs_fields.h"
#include "arch/x86/vmx/vmx_bits.h"

struct fake_vmcs {
	uint64_t pa; /* 0: the slot is free */
	bool clear;
	uint64_t field[FAKE_VMCS_FIELDS];
	unsigned int writes[FAKE_VMCS_FIELDS];
	unsigned int writes_total;
};

static struct fake_vmcs vmcss[FAKE_VMCS_COUNT];
static struct fake_vmcs *current;
struct fake_invvpid fake_invvpid_log;
struct fake_invept fake_invept_log;

void fake_vmcs_reset(void)
{
	memset(vmcss, 0, sizeof(vmcss));
	current = NULL;
	memset(&fake_invvpid_log, 0, sizeof(fake_invvpid_log));
	memset(&fake_invept_log, 0, sizeof(fake_invept_log));
}

static struct fake_vmcs *find(uint64_t pa, bool create)
{
	struct fake_vmcs *free_slot = NULL;

	for (unsigned int i = 0; i < FAKE_VMCS_COUNT; i++) {
		if (vmcss[i].pa == pa)
			return &vmcss[i];
		if (!vmcss[i].pa && !free_slot)
			free_slot = &vmcss[i];
	}
	if (create && free_slot) {
		free_slot->pa = pa;
		free_slot->clear = true;
	}
	return create ? free_slot : NULL;
}

/* A VMCS pointer the CPU accepts: page-aligned and not 0 (fake: no MAXPHYADDR). */
static bool pointer_ok(uint64_t pa)
{
	return pa && !(pa & 0xfff);
}

int fake_vmptrld(uint64_t pa)
{
	struct fake_vmcs *v;

	if (!pointer_ok(pa) || !(v = find(pa, true)))
		return -1;
	current = v;
	v->clear = false;
	return 0;
}

int fake_vmclear(uint64_t pa)
{
	struct fake_vmcs *v;

	if (!pointer_ok(pa))
		return -1;
	v = find(pa, true);
	if (v)
		v->clear = true;
	if (current && current->pa == pa)
		current = NULL;
	return 0;
}

uint64_t fake_vmptrst(void)
{
	return current ? current->pa : FAKE_VMCS_NONE;
}

/* Where a field lives: its slot (the 64-bit one for a "high" access), shift and mask. */
static bool locate(uint32_t field, uint32_t *slot, unsigned int *shift, uint64_t *mask)
{
	unsigned int width = VMCS_FIELD_WIDTH(field);

	if (field >= FAKE_VMCS_FIELDS || ((field & 1) && width != VMCS_WIDTH_64))
		return false;
	*slot = field & ~1u;
	*shift = (field & 1) ? 32 : 0;
	switch (width) {
	case VMCS_WIDTH_16: *mask = 0xffff; break;
	case VMCS_WIDTH_32: *mask = 0xffffffff; break;
	default: *mask = (field & 1) ? 0xffffffff : ~0ULL; break;
	}
	return true;
}

static uint64_t get(const struct fake_vmcs *v, uint32_t field)
{
	uint32_t slot;
	unsigned int shift;
	uint64_t mask;

	if (!locate(field, &slot, &shift, &mask))
		return 0;
	return (v->field[slot] >> shift) & mask;
}

static void set(struct fake_vmcs *v, uint32_t field, uint64_t val)
{
	uint32_t slot;
	unsigned int shift;
	uint64_t mask;

	if (!locate(field, &slot, &shift, &mask))
		return;
	v->field[slot] = (v->field[slot] & ~(mask << shift)) | ((val & mask) << shift);
}

/* VMfailValid for an encoding that is no field: its number in the VMCS (SDM 31.4). */
static bool fail_valid(void)
{
	set(current, VM_INSTRUCTION_ERROR, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	return false;
}

bool fake_vmread(uint32_t field, uint64_t *val)
{
	uint32_t slot;
	unsigned int shift;
	uint64_t mask;

	if (!current)
		return false;
	if (!locate(field, &slot, &shift, &mask))
		return fail_valid();
	*val = get(current, field);
	return true;
}

bool fake_vmwrite(uint32_t field, uint64_t val)
{
	uint32_t slot;
	unsigned int shift;
	uint64_t mask;

	if (!current)
		return false;
	if (!locate(field, &slot, &shift, &mask))
		return fail_valid();
	set(current, field, val);
	current->writes[slot]++;
	current->writes_total++;
	return true;
}

void fake_invvpid(uint64_t type, uint16_t vpid, uint64_t la)
{
	fake_invvpid_log.count++;
	fake_invvpid_log.type = type;
	fake_invvpid_log.vpid = vpid;
	fake_invvpid_log.la = la;
}

uint64_t fake_vmcs_get(uint64_t pa, uint32_t field)
{
	const struct fake_vmcs *v = find(pa, false);

	return v ? get(v, field) : 0;
}

void fake_vmcs_set(uint64_t pa, uint32_t field, uint64_t val)
{
	struct fake_vmcs *v = find(pa, true);

	if (v)
		set(v, field, val);
}

unsigned int fake_vmcs_writes(uint64_t pa, uint32_t field)
{
	const struct fake_vmcs *v = find(pa, false);

	return v && field < FAKE_VMCS_FIELDS ? v->writes[field & ~1u] : 0;
}

unsigned int fake_vmcs_writes_total(uint64_t pa)
{
	const struct fake_vmcs *v = find(pa, false);

	return v ? v->writes_total : 0;
}

void fake_vmcs_reset_counts(void)
{
	for (unsigned int i = 0; i < FAKE_VMCS_COUNT; i++) {
		memset(vmcss[i].writes, 0, sizeof(vmcss[i].writes));
		vmcss[i].writes_total = 0;
	}
}

bool fake_vmcs_is_clear(uint64_t pa)
{
	const struct fake_vmcs *v = find(pa, false);

	return v && v->clear;
}

void fake_invept(uint64_t type, uint64_t eptp)
{
	fake_invept_log.count++;
	fake_invept_log.type = type;
	fake_invept_log.eptp = eptp;
}
