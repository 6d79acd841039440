/*
 * Host tests of nested/shadow_ept.c: the pure decisions (what an L2 EPT
 * violation becomes, the EPT02 leaf, the role cache) and, on the fake
 * VMCS, the whole path: EPT02 filled from an EPT12 in L1's memory, L1 told
 * of violations and misconfigurations, L1's devices reached, INVEPT, the
 * role cache at nested entries and the pool running out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "arch/x86/vmx/vmx_bits.h"
#include "fake_vmcs.h"
#include "nested/nested.h"
#include "nested/nested_internal.h"
#include "nested/shadow_ept.h"
#include "nested/vmcs12.h"
#include "nested_env.h"

#define VMCS12_GPA 0x5000
#define L2_RIP     0x200000
#define PML4_12    0x10000ULL /* EPT12's tables in L1's memory */
#define PDPT_12    0x11000ULL
#define PD_12      0x12000ULL
#define PT_12      0x13000ULL
#define HPA01      ((uintptr_t)fake_env.ram) /* where L1's guest-physical 0 is in host memory */
#define EPTP12     (PML4_12 | EPTP_MEMTYPE_WB | EPTP_WALK_LENGTH_4)
#define QUAL_READ  0x1ULL
#define QUAL_WRITE 0x2ULL
#define QUAL_GLA   (EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE)

static struct vcpu *v;
static struct vmcs12 *c;
static uint64_t pa02;

static uint64_t *entry12(uint64_t table, unsigned int i)
{
	return (uint64_t *)fake_gpa(table + 8ULL * i);
}

/* EPT12: L2's 0x200000 + i * 4 KiB -> L1's `to` + i * 4 KiB with `flags` (leaf). */
static void map12(unsigned int i, uint64_t to, uint64_t flags)
{
	*entry12(PML4_12, 0) = PDPT_12 | EPT_RWX;
	*entry12(PDPT_12, 0) = PD_12 | EPT_RWX;
	*entry12(PD_12, 1) = PT_12 | EPT_RWX;
	*entry12(PT_12, i) = to | flags;
}

static int setup(void **state)
{
	(void)state;
	fake_env_reset();
	v = fake_l2_running(VMCS12_GPA, L2_RIP);
	c = v->nested.vmcs12;
	pa02 = v->nested.vmcs02.vmcs_pa;
	memset(fake_gpa(PML4_12), 0, 4 * 4096);
	/* L1 gives L2 EPT from the next entry on. */
	c->cpu_based_vm_exec_control |= CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	c->secondary_vm_exec_control = SECONDARY_EXEC_ENABLE_EPT;
	c->ept_pointer = EPTP12;
	vmcs12_dirty_set_all(&c->dirty);
	vmcs02_prepare(v);
	fake_vmcs_reset_counts();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nested_sept_drop_all(v);
	return 0;
}

static void ept_violation(uint64_t l2gpa, uint64_t qual)
{
	v->exit_reason = EXIT_REASON_EPT_VIOLATION;
	fake_vmcs_set(pa02, VM_EXIT_REASON, EXIT_REASON_EPT_VIOLATION);
	fake_vmcs_set(pa02, EXIT_QUALIFICATION, qual);
	fake_vmcs_set(pa02, GUEST_PHYSICAL_ADDRESS, l2gpa);
	reg_cache_reset(&v->regs);
	nested_l2_exit(v);
}

/* ---- pure -------------------------------------------------------------------------- */

static void test_decide(void **state)
{
	struct ept_walk w = {.status = EPT_WALK_OK, .level = 1, .perm = EPT_READ | EPT_EXEC};
	uint64_t q;

	(void)state;
	assert_int_equal(sept_decide(QUAL_READ | QUAL_GLA, false, &w, &q), SEPT_FILL);
	assert_int_equal(sept_decide(EPT_QUAL_FETCH, false, &w, &q), SEPT_FILL);
	/* A write to a read/execute page: L1's violation, its permissions in bits 5:3. */
	assert_int_equal(
	        sept_decide(QUAL_WRITE | QUAL_GLA | EPT_QUAL_NMI_UNBLOCKED | 0xe00, false, &w, &q),
	        SEPT_VIOLATION);
	assert_int_equal(q, QUAL_WRITE | 0x28 | QUAL_GLA | EPT_QUAL_NMI_UNBLOCKED);
	/* Not present at some level: no permission at all. */
	w = (struct ept_walk){.status = EPT_WALK_NOT_PRESENT, .level = 3, .perm = 0};
	assert_int_equal(sept_decide(QUAL_READ, false, &w, &q), SEPT_VIOLATION);
	assert_int_equal(q, QUAL_READ);
	w = (struct ept_walk){.status = EPT_WALK_MISCONFIG, .misconfig = EPT_MISCONFIG_MEMTYPE};
	assert_int_equal(sept_decide(QUAL_READ, false, &w, &q), SEPT_MISCONFIG);
	assert_int_equal(q, 0);
	/* With A/D flags, a walk of L2's page tables is a write (both bits), as on L1's CPU. */
	w = (struct ept_walk){.status = EPT_WALK_OK, .level = 1, .perm = EPT_READ};
	assert_int_equal(sept_decide(QUAL_READ | EPT_QUAL_GLA_VALID, false, &w, &q), SEPT_FILL);
	assert_int_equal(sept_decide(QUAL_READ | EPT_QUAL_GLA_VALID, true, &w, &q), SEPT_VIOLATION);
	assert_int_equal(q, QUAL_READ | QUAL_WRITE | 0x8 | EPT_QUAL_GLA_VALID);
	assert_int_equal(sept_decide(QUAL_READ | QUAL_GLA, true, &w, &q), SEPT_FILL);
	/* Beyond what 4 levels translate: a violation. */
	w = (struct ept_walk){.status = EPT_WALK_OUT_OF_RANGE};
	assert_int_equal(sept_decide(QUAL_READ, false, &w, &q), SEPT_VIOLATION);
}

static void test_leaf(void **state)
{
	struct ept_walk w = {.status = EPT_WALK_OK,
	                     .level = 3,
	                     .perm = EPT_READ | EPT_WRITE,
	                     .memtype = 0,
	                     .ignore_pat = true};
	struct sept_leaf l;

	(void)state;
	/* EPT12's 1 GiB page over EPT01's 2 MiB one: 2 MiB, aligned on both sides. */
	sept_leaf(0x40345678, &w, 0x80145678, 2, EPT_RWX | EPT_MEMTYPE_WB, true, true, false, &l);
	assert_int_equal(l.size, EPT_PAGE_2M);
	assert_int_equal(l.gpa2, 0x40200000);
	assert_int_equal(l.hpa, 0x80000000);
	assert_int_equal(l.flags, EPT_READ | EPT_WRITE | EPT_MEMTYPE_UC | EPT_IGNORE_PAT);
	/* The smaller of the two, and what the CPU takes. */
	w.level = 2;
	w.perm = EPT_EXEC;
	w.memtype = 6;
	w.ignore_pat = false;
	sept_leaf(0x40345678, &w, 0x80145678, 3, EPT_READ | EPT_EXEC, false, true, false, &l);
	assert_int_equal(l.size, EPT_PAGE_4K);
	assert_int_equal(l.gpa2, 0x40345000);
	assert_int_equal(l.hpa, 0x80145000);
	assert_int_equal(l.flags, EPT_EXEC | EPT_MEMTYPE_WB);
	/* A clean leaf with A/D flags: not writable in EPT02 until the first write. */
	w.perm = EPT_RWX;
	sept_leaf(0x40345678, &w, 0x80145678, 1, EPT_RWX, true, true, true, &l);
	assert_int_equal(l.flags & EPT_RWX, EPT_READ | EPT_EXEC);
}

static void test_lookup(void **state)
{
	struct shadow_ept s;
	struct sept_root *r[SEPT_ROOTS + 1], *ev;
	bool hit;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (unsigned int i = 0; i < SEPT_ROOTS; i++) {
		r[i] = sept_lookup(&s, 0x1000 * (i + 1) | 6, &hit, &ev);
		assert_false(hit);
		assert_null(ev);
	}
	/* The memory type is not part of the role; the A/D bit is. */
	assert_ptr_equal(sept_lookup(&s, 0x1000 | 0, &hit, &ev), r[0]);
	assert_true(hit);
	assert_ptr_not_equal(sept_lookup(&s, 0x1000 | EPTP_AD_ENABLE | 6, &hit, &ev), r[0]);
	assert_false(hit);
	/* Full: the least recently used (0x2000's) made way, and is said. */
	assert_ptr_equal(ev, r[1]);
	assert_int_equal(r[1]->role, 0x1000 | EPTP_AD_ENABLE);
}

/* ---- on the fake VMCS -------------------------------------------------------------- */

static void test_fill(void **state)
{
	hpa_t hpa;
	uint64_t flags;
	int level;
	struct sept_root *root = v->nested.sept->cur;

	(void)state;
	assert_non_null(root);
	assert_int_equal(fake_vmcs_get(pa02, EPT_POINTER), ept_eptp(&root->ept, false));
	map12(0, 0x30000, EPT_READ | EPT_EXEC | EPT_MEMTYPE_WB);
	ept_violation(0x200000, QUAL_READ | QUAL_GLA);
	assert_true(v->nested.in_l2);
	assert_int_equal(v->nested.sept->stats.fills, 1);
	assert_true(ept_translate(&root->ept, gpa_of(0x200000), &hpa, &flags, &level));
	assert_int_equal(hpa_val(hpa), HPA01 + 0x30000);
	assert_int_equal(flags & (EPT_RWX | EPT_MEMTYPE_MASK),
	                 EPT_READ | EPT_EXEC | EPT_MEMTYPE_WB);
	assert_int_equal(level, 1);
	/* The next entry with the same role: the same root, no VMWRITE of EPT_POINTER. */
	vmcs02_prepare(v);
	assert_int_equal(fake_vmcs_writes(pa02, EPT_POINTER), 0);
	assert_ptr_equal(v->nested.sept->cur, root);
	assert_int_equal(v->nested.sept->stats.hits, 1);
	/* L1 raised the permission without INVEPT: the next violation re-walks, and fills. */
	map12(0, 0x30000, EPT_RWX | EPT_MEMTYPE_WB);
	ept_violation(0x200000, QUAL_WRITE | QUAL_GLA);
	assert_true(v->nested.in_l2);
	assert_true(ept_translate(&root->ept, gpa_of(0x200000), NULL, &flags, NULL));
	assert_int_equal(flags & EPT_RWX, EPT_RWX);
}

static void test_violation_to_l1(void **state)
{
	(void)state;
	map12(1, 0x31000, EPT_READ | EPT_MEMTYPE_WB);
	ept_violation(0x201000, QUAL_READ);
	assert_true(v->nested.in_l2);
	/* A write EPT12 does not allow: L1's exit, with L1's permissions. */
	ept_violation(0x201008, QUAL_WRITE | QUAL_GLA);
	assert_false(v->nested.in_l2);
	assert_int_equal(c->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(c->exit_qualification, QUAL_WRITE | 0x8 | QUAL_GLA);
	assert_int_equal(c->guest_physical_address, 0x201008);
	assert_int_equal(v->nested.sept->stats.violations, 1);
	/* What EPT02 held for that page is gone: the CPU re-walks after a violation. */
	assert_false(ept_translate(&v->nested.sept->cur->ept, gpa_of(0x201000), NULL, NULL, NULL));
}

static void test_not_present_to_l1(void **state)
{
	(void)state;
	ept_violation(0x7654321000ULL, QUAL_READ);
	assert_false(v->nested.in_l2);
	assert_int_equal(c->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(c->exit_qualification, QUAL_READ);
	assert_int_equal(c->guest_physical_address, 0x7654321000ULL);
}

static void test_misconfig_to_l1(void **state)
{
	(void)state;
	map12(2, 0x32000, EPT_WRITE | EPT_MEMTYPE_WB); /* write without read */
	ept_violation(0x202000, QUAL_READ);
	assert_false(v->nested.in_l2);
	assert_int_equal(c->vm_exit_reason, EXIT_REASON_EPT_MISCONFIG);
	assert_int_equal(c->guest_physical_address, 0x202000);
	assert_int_equal(v->nested.sept->stats.misconfigs, 1);
}

static void test_l1_device(void **state)
{
	(void)state;
	/* EPT12 maps the page onto L1's local APIC: L1's device answers, as for L1. */
	map12(3, 0xfee00000, EPT_READ | EPT_WRITE | EPT_MEMTYPE_UC);
	ept_violation(0x203030, QUAL_READ | QUAL_GLA);
	assert_true(v->nested.in_l2);
	assert_int_equal(fake_env.mmio_accesses, 1);
	assert_int_equal(fake_env.mmio_gpa, 0xfee00030);
	assert_int_equal(v->nested.sept->stats.fills, 0);
}

static void test_invept(void **state)
{
	struct sept_root *root = v->nested.sept->cur;
	unsigned int flushes = fake_invept_log.count;

	(void)state;
	map12(0, 0x30000, EPT_RWX | EPT_MEMTYPE_WB);
	ept_violation(0x200000, QUAL_READ);
	/* Another EPTP's INVEPT leaves this root alone. */
	nested_invept(v, INVEPT_SINGLE_CONTEXT, 0x77000 | 6);
	assert_ptr_equal(v->nested.sept->cur, root);
	nested_invept(v, INVEPT_SINGLE_CONTEXT, EPTP12);
	assert_null(v->nested.sept->cur);
	assert_int_equal(fake_invept_log.count, flushes + 1);
	assert_int_equal(fake_invept_log.eptp, v->nested.eptp02);
	/* The next entry builds the role's root again from nothing. */
	vmcs02_prepare(v);
	assert_non_null(v->nested.sept->cur);
	assert_false(ept_translate(&v->nested.sept->cur->ept, gpa_of(0x200000), NULL, NULL, NULL));
	assert_int_equal(v->nested.sept->stats.misses, 2);
}

/* The region cache: EPT12's upper levels kept until INVEPT; anything but a fill re-walks. */
static void test_region_cache(void **state)
{
	struct shadow_ept *s = v->nested.sept;

	(void)state;
	map12(0, 0x30000, EPT_RWX | EPT_MEMTYPE_WB);
	map12(1, 0x31000, EPT_RWX | EPT_MEMTYPE_WB);
	ept_violation(0x200000, QUAL_READ);
	ept_violation(0x201000, QUAL_READ);
	assert_int_equal(s->stats.fills, 2);
	assert_int_equal(s->stats.region_hits, 1);
	/* L1 points its PDE at another table without INVEPT: the kept one may still serve. */
	*entry12(PD_12, 1) = 0x14000 | EPT_RWX;
	memset(fake_gpa(0x14000), 0, 4096);
	map12(2, 0x32000, EPT_RWX | EPT_MEMTYPE_WB);
	*entry12(PD_12, 1) = 0x14000 | EPT_RWX; /* map12 rewrote it */
	ept_violation(0x202000, QUAL_READ);
	assert_true(v->nested.in_l2);
	assert_int_equal(s->stats.region_hits, 2);
	/* After INVEPT the walk is whole again: the new table has nothing there. */
	nested_invept(v, INVEPT_ALL_CONTEXT, 0);
	vmcs02_prepare(v);
	ept_violation(0x203000, QUAL_READ);
	assert_false(v->nested.in_l2);
	assert_int_equal(c->vm_exit_reason, EXIT_REASON_EPT_VIOLATION);
	assert_int_equal(s->stats.region_hits, 2);
}

/* A kept upper level that denies is not the last word: the whole walk decides. */
static void test_region_cache_upgrade(void **state)
{
	struct shadow_ept *s = v->nested.sept;

	(void)state;
	map12(0, 0x30000, EPT_RWX | EPT_MEMTYPE_WB);
	map12(1, 0x31000, EPT_RWX | EPT_MEMTYPE_WB);
	*entry12(PD_12, 1) = PT_12 | EPT_READ | EPT_EXEC; /* no write above the leaves */
	ept_violation(0x200000, QUAL_READ);
	/* L1 adds write to the PDE, without INVEPT (an upgrade needs none). */
	*entry12(PD_12, 1) = PT_12 | EPT_RWX;
	ept_violation(0x201000, QUAL_WRITE);
	assert_true(v->nested.in_l2);
	assert_int_equal(s->stats.violations, 0);
	assert_int_equal(s->stats.fills, 2);
}

/*
 * INVEPT on one vCPU reaches the VM's others before it returns: each is
 * asked and kicked, and drops its roots of that EP4TA on its own CPU
 * before it enters again (a vCPU in L2 gets a new root, named in vmcs02).
 */
static void test_invept_reaches_other_vcpus(void **state)
{
	struct vcpu *w = &v->vm->vcpus[1];
	struct sept_root *root = v->nested.sept->cur;
	unsigned int flushes;

	(void)state;
	v->vm->vcpu_count = 2;
	w->vm = v->vm;
	assert_int_equal(nested_sept_alloc(w, fake_frames(), 16), 0);
	map12(0, 0x30000, EPT_RWX | EPT_MEMTYPE_WB);
	ept_violation(0x200000, QUAL_READ);
	assert_true(ept_translate(&root->ept, gpa_of(0x200000), NULL, NULL, NULL));
	/* The other vCPU, in L1, INVEPTs another EPTP: nothing for this one to drop. */
	nested_invept(w, INVEPT_SINGLE_CONTEXT, 0x77000 | 6);
	assert_int_equal(fake_env.kicks, 1);
	assert_true(nested_sept_asked(&v->nested));
	nested_sept_shootdown(v);
	assert_false(nested_sept_asked(&v->nested));
	assert_ptr_equal(v->nested.sept->cur, root);
	/* Then this one's EPTP: its root goes, and vmcs02 names a new, empty one. */
	flushes = fake_invept_log.count;
	nested_invept(w, INVEPT_SINGLE_CONTEXT, EPTP12);
	assert_true(nested_sept_asked(&v->nested));
	nested_sept_shootdown(v);
	assert_false(nested_sept_asked(&v->nested));
	assert_true(fake_invept_log.count > flushes);
	assert_non_null(v->nested.sept->cur);
	assert_int_equal(fake_vmcs_get(pa02, EPT_POINTER),
	                 ept_eptp(&v->nested.sept->cur->ept, false));
	assert_false(ept_translate(&v->nested.sept->cur->ept, gpa_of(0x200000), NULL, NULL, NULL));
	/* More requests than slots become one all-context drop. */
	for (int i = 0; i < 6; i++)
		nested_invept(w, INVEPT_SINGLE_CONTEXT, (0x70000 + 0x1000 * (uint64_t)i) | 6);
	assert_true(v->nested.sept_drop_all);
	nested_sept_shootdown(v);
	assert_false(v->nested.sept_drop_all);
	nested_sept_drop_all(w);
	nested_sept_free(w, fake_frames());
	v->vm->vcpu_count = 1;
}

static void test_accessed_dirty(void **state)
{
	struct sept_root *root;
	uint64_t flags;

	(void)state;
	c->ept_pointer = EPTP12 | EPTP_AD_ENABLE;
	vmcs12_dirty_set_all(&c->dirty);
	vmcs02_prepare(v);
	root = v->nested.sept->cur;
	map12(4, 0x34000, EPT_RWX | EPT_MEMTYPE_WB);
	/* A read: accessed at every level, not dirty; EPT02 keeps the page read-only. */
	ept_violation(0x204000, QUAL_READ | QUAL_GLA);
	assert_true(v->nested.in_l2);
	assert_true(*entry12(PML4_12, 0) & EPT_ACCESSED);
	assert_true(*entry12(PDPT_12, 0) & EPT_ACCESSED);
	assert_true(*entry12(PD_12, 1) & EPT_ACCESSED);
	assert_int_equal(*entry12(PT_12, 4) & (EPT_ACCESSED | EPT_DIRTY), EPT_ACCESSED);
	assert_true(ept_translate(&root->ept, gpa_of(0x204000), NULL, &flags, NULL));
	assert_int_equal(flags & EPT_RWX, EPT_READ | EPT_EXEC);
	/* The first write exits, sets dirty, and gets the write permission. */
	ept_violation(0x204008, QUAL_WRITE | QUAL_GLA);
	assert_true(v->nested.in_l2);
	assert_true(*entry12(PT_12, 4) & EPT_DIRTY);
	assert_true(ept_translate(&root->ept, gpa_of(0x204000), NULL, &flags, NULL));
	assert_int_equal(flags & EPT_RWX, EPT_RWX);
	/* Without A/D (another role), nothing is written to L1's tables. */
	*entry12(PT_12, 5) = 0x35000 | EPT_RWX | EPT_MEMTYPE_WB;
	c->ept_pointer = EPTP12;
	vmcs12_dirty_set_all(&c->dirty);
	vmcs02_prepare(v);
	assert_ptr_not_equal(v->nested.sept->cur, root);
	ept_violation(0x205000, QUAL_READ);
	assert_int_equal(*entry12(PT_12, 5), 0x35000 | EPT_RWX | EPT_MEMTYPE_WB);
}

static void test_pool_runs_out(void **state)
{
	struct shadow_ept *s = v->nested.sept;

	(void)state;
	/* Each 2 MiB region of L2 needs its own page table in EPT02: more than the pool has. */
	*entry12(PML4_12, 0) = PDPT_12 | EPT_RWX;
	*entry12(PDPT_12, 0) = PD_12 | EPT_RWX;
	for (unsigned int i = 0; i < 512; i++) {
		*entry12(PD_12, i) = PT_12 | EPT_RWX;
		*entry12(PT_12, 0) = 0x30000 | EPT_RWX | EPT_MEMTYPE_WB;
	}
	for (uint64_t i = 0; i < s->pool_pages + 4; i++) {
		ept_violation(i * EPT_PAGE_2M, QUAL_READ);
		assert_true(v->nested.in_l2);
	}
	assert_true(s->stats.resets >= 1);
	assert_int_equal(s->stats.fills, s->pool_pages + 4);
	/* vmcs02 follows the root it was started again on. */
	assert_int_equal(fake_vmcs_get(pa02, EPT_POINTER), ept_eptp(&s->cur->ept, false));
	assert_true(ept_translate(&s->cur->ept, gpa_of((s->pool_pages + 3) * EPT_PAGE_2M), NULL,
	                          NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decide),
	        cmocka_unit_test(test_leaf),
	        cmocka_unit_test(test_lookup),
	        cmocka_unit_test_setup_teardown(test_fill, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_violation_to_l1, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_not_present_to_l1, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_misconfig_to_l1, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_l1_device, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invept, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_region_cache, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_region_cache_upgrade, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invept_reaches_other_vcpus, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_accessed_dirty, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pool_runs_out, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
