/*
 * EPT as an L1 hypervisor uses it (SDM Vol. 3 29.3): the payload builds
 * EPT12 tables in its own memory, runs an L2 through them and checks what
 * every translation does: identity and non-identity maps with 4 KiB,
 * 2 MiB and 1 GiB leaves; each R/W/X combination at each level, with the
 * EPT-violation exit qualification (Table 28-7), guest-physical and
 * guest-linear address; misconfigurations (bits 2:0 of 010b and 110b,
 * reserved bits per level, memory types 2, 3 and 7); a not-present entry
 * with reserved bits (a violation); permission upgrades without INVEPT and
 * remapping after INVEPT; EPT A/D flags; an L2 in real mode (unrestricted
 * guest); an L2 reading L1's local APIC through EPT12; EPTP checks at VM
 * entry.
 *
 * L2 runs with its own page tables: L1's first 4 GiB (identity) plus a
 * window at linear = guest-physical 512 GiB (EPT PML4 entry 1, so every
 * level of its EPT walk can be changed without touching L2's code, stack
 * or page tables). The window maps onto L1's test page through a 4 KiB
 * leaf (W), a 2 MiB leaf (W + 2 MiB) and a 1 GiB leaf (W + 1 GiB).
 *
 * It runs bare on Bochs and as an L1 under Umbra (nested=1); the harness
 * compares the "# outcome" lines of both runs (tests/system/).
 */
#include "smp.h"
#include "vmx.h"

PAYLOAD("nested_ept");

#define PAGE ((uint64_t)4096)
#define MIB2 (((uint64_t)2) << 20)
#define GIB  (((uint64_t)1) << 30)

/* EPT entry bits (SDM Tables 29-1 to 29-6). */
#define EPT_R      ((uint64_t)1)
#define EPT_W      ((uint64_t)2)
#define EPT_X      ((uint64_t)4)
#define EPT_RWX    ((uint64_t)7)
#define EPT_MT(t)  ((uint64_t)(t) << 3)
#define EPT_MT_UC  EPT_MT(0)
#define EPT_MT_WB  EPT_MT(6)
#define EPT_PS     (((uint64_t)1) << 7)
#define EPT_A      (((uint64_t)1) << 8)
#define EPT_D      (((uint64_t)1) << 9)
#define EPT_ADDR   ((uint64_t)0x000ffffffffff000)
#define EPTP_WALK4 (((uint64_t)3) << 3)
#define EPTP_AD    (((uint64_t)1) << 6)

/* Exit qualification bits the SDM defines here without advanced information. */
#define QUAL_LINEAR_VALID (((uint64_t)1) << 7)
#define QUAL_TRANSLATED   (((uint64_t)1) << 8)
#define QUAL_CHECKED      ((uint64_t)0x1bf) /* bits 5:0, 7, 8 */

/* L2's window: linear = guest-physical, under EPT PML4 entry 1. */
#define WIN      (((uint64_t)1) << 39)
#define WIN_4K   WIN
#define WIN_APIC (WIN + PAGE)
#define WIN_2M   (WIN + MIB2)
#define WIN_1G   (WIN + GIB)

/* The test page: a marker L2 reads, a slot it writes, code it calls. */
#define OFF_READ   0x000
#define OFF_WRITE  0x008
#define OFF_CODE   0x100
#define MARK_READ  ((uint64_t)0x5eadda7a11110000)
#define MARK_READ2 ((uint64_t)0x5eadda7a22220000)
#define MARK_WRITE ((uint64_t)0x3717e0000000beef)
#define MARK_CODE  0x600dc0deu

#define PAGE_P_RW_PS ((uint64_t)0x83)
#define PAGE_P_RW    ((uint64_t)0x03)
#define REAL_MARK    0x5a5a

#define VMXERR_INVALID_CONTROL 7

/* Bochs 2.7 departures from the SDM that the bare run tolerates (docs/bochs.md). */
#define BUG_LARGE_LEAF_BIT12 "bit 12 of a 2 MiB or 1 GiB EPT leaf is not checked (reserved)"

static uint64_t ept_pml4[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt_id[512] __attribute__((aligned(4096)));
static uint64_t ept_pd_id[4][512] __attribute__((aligned(4096)));
static uint64_t ept_pt_id[512] __attribute__((aligned(4096)));
static uint64_t ept_pdpt_w[512] __attribute__((aligned(4096)));
static uint64_t ept_pd_w[512] __attribute__((aligned(4096)));
static uint64_t ept_pt_w[512] __attribute__((aligned(4096)));
/* L2's page tables: L1's PML4 entry 0 plus the window. */
static uint64_t l2_pml4[512] __attribute__((aligned(4096)));
static uint64_t l2_pdpt_w[512] __attribute__((aligned(4096)));
static uint64_t l2_pd_w[2][512] __attribute__((aligned(4096)));
/* Test pages: 0 is the window's, 1 the page a remap moves it to. */
static uint8_t test_page[2][4096] __attribute__((aligned(4096)));
static uint8_t real_data[4096] __attribute__((aligned(4096)));
static uint8_t l2_stack[4096] __attribute__((aligned(16)));
static volatile uint64_t id_marker = MARK_READ2, id_slot;

/* L2 programs: each ends in VMCALL, after which L1 sets RIP anew. */
void l2_read(void);
void l2_write(void);
void l2_fetch(void);
void l2_read32x2(void);
void l2_real(void);
void l2_real_end(void);
void l2_real_cpuid(void);
__asm__(".text\n"
        ".globl l2_read, l2_write, l2_fetch, l2_read32x2\n"
        "l2_read:\n"
        "	mov (%rsi), %rax\n"
        "	vmcall\n"
        "l2_write:\n"
        "	mov %rdx, (%rdi)\n"
        "	vmcall\n"
        "l2_fetch:\n"
        "	call *%rsi\n"
        "	vmcall\n"
        "l2_read32x2:\n"
        "	movl (%rsi), %eax\n"
        "	movl (%rdi), %ebx\n"
        "	vmcall\n"
        /* Real mode, CS base = l2_real, DS base = real_data. */
        ".globl l2_real, l2_real_cpuid, l2_real_end\n"
        "	.code16\n"
        "l2_real:\n"
        "	movw $0x5a5a, 0x10\n"
        "	movl %cr0, %eax\n"
        "	movl %eax, 0x18\n"
        "	xorl %eax, %eax\n"
        "l2_real_cpuid:\n"
        "	cpuid\n"
        "	hlt\n"
        "l2_real_end:\n"
        "	.code64\n");

static struct vmx_vcpu vcpu;
static bool launched;
static uint64_t eptp;

static uint64_t vmread(uint32_t field)
{
	uint64_t v = ~((uint64_t)0);

	vmx_vmread(field, &v);
	return v;
}

static uint64_t cap(void)
{
	return vmx_caps()->ept_vpid;
}

static bool has(uint64_t bit)
{
	return (cap() & bit) != 0;
}

/* NULL if EPT can be used as every test here needs it, else why not. */
static const char *ept_unavailable(void)
{
	const struct vmx_caps *c;
	const char *why = vmx_unavailable();

	if (why)
		return why;
	c = vmx_caps();
	if (!vmx_controls_allow(c->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		return "no secondary controls (IA32_VMX_PROCBASED_CTLS bit 63)";
	if (!vmx_controls_allow(c->proc2, SECONDARY_EXEC_ENABLE_EPT))
		return "no EPT (IA32_VMX_PROCBASED_CTLS2 bit 33)";
	if (!has(VMX_EPT_PAGE_WALK_4))
		return "no 4-level EPT walk (IA32_VMX_EPT_VPID_CAP bit 6)";
	if (!has(VMX_EPT_MEMTYPE_WB) && !has(VMX_EPT_MEMTYPE_UC))
		return "no EPT paging-structure memory type (IA32_VMX_EPT_VPID_CAP bits 8, 14)";
	if (!has(VMX_EPT_INVEPT) ||
	    !(cap() & (VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT)))
		return "no INVEPT type (IA32_VMX_EPT_VPID_CAP bits 20, 25, 26)";
	return NULL;
}

enum base_map { MAP_4K, MAP_2M, MAP_1G };

static uint64_t ept_leaf(uint64_t pa, bool large)
{
	return pa | EPT_MT_WB | EPT_RWX | (large ? EPT_PS : 0);
}

static uint64_t ept_table(const void *t)
{
	return (uintptr_t)t | EPT_RWX;
}

/*
 * EPT12: the first 4 GiB identity (2 MiB leaves; the first 2 MiB with
 * 4 KiB leaves for MAP_4K; the first GiB one 1 GiB leaf for MAP_1G), and
 * the window: W -> test page 0 (4 KiB), W + 2 MiB -> its 2 MiB frame,
 * W + 1 GiB -> L1's first GiB (if 1 GiB leaves are offered). Everything
 * RWX, write-back. Returns the EPTP.
 */
static uint64_t build_tables(enum base_map map)
{
	uint64_t p0 = (uintptr_t)test_page[0];

	memset(ept_pml4, 0, sizeof(ept_pml4));
	memset(ept_pdpt_id, 0, sizeof(ept_pdpt_id));
	memset(ept_pdpt_w, 0, sizeof(ept_pdpt_w));
	memset(ept_pd_w, 0, sizeof(ept_pd_w));
	memset(ept_pt_w, 0, sizeof(ept_pt_w));
	ept_pml4[0] = ept_table(ept_pdpt_id);
	for (int g = 0; g < 4; g++) {
		ept_pdpt_id[g] = ept_table(ept_pd_id[g]);
		for (int i = 0; i < 512; i++)
			ept_pd_id[g][i] = ept_leaf((uint64_t)g * GIB + (uint64_t)i * MIB2, true);
	}
	if (map == MAP_4K) {
		for (int i = 0; i < 512; i++)
			ept_pt_id[i] = ept_leaf((uint64_t)i * PAGE, false);
		ept_pd_id[0][0] = ept_table(ept_pt_id);
	} else if (map == MAP_1G) {
		ept_pdpt_id[0] = ept_leaf(0, true);
	}
	ept_pml4[1] = ept_table(ept_pdpt_w);
	ept_pdpt_w[0] = ept_table(ept_pd_w);
	ept_pd_w[0] = ept_table(ept_pt_w);
	ept_pt_w[0] = ept_leaf(p0, false);
	ept_pd_w[1] = ept_leaf(p0 & ~(MIB2 - 1), true);
	if (has(VMX_EPT_1GB_PAGE))
		ept_pdpt_w[1] = ept_leaf(0, true);
	return (uintptr_t)ept_pml4 | EPTP_WALK4 | (has(VMX_EPT_MEMTYPE_WB) ? 6 : 0);
}

/* L2's page tables: L1's PML4 entry 0 (4 GiB identity) and the window's 2 GiB. */
static void build_l2_paging(void)
{
	const uint64_t *l1_pml4 = (const uint64_t *)(uintptr_t)(read_cr3() & EPT_ADDR);

	memset(l2_pml4, 0, sizeof(l2_pml4));
	memset(l2_pdpt_w, 0, sizeof(l2_pdpt_w));
	l2_pml4[0] = l1_pml4[0];
	l2_pml4[1] = (uintptr_t)l2_pdpt_w | PAGE_P_RW;
	for (int g = 0; g < 2; g++) {
		l2_pdpt_w[g] = (uintptr_t)l2_pd_w[g] | PAGE_P_RW;
		for (int i = 0; i < 512; i++)
			l2_pd_w[g][i] =
			        (WIN + (uint64_t)g * GIB + (uint64_t)i * MIB2) | PAGE_P_RW_PS;
	}
}

/* The test pages' contents: marker, empty slot, "mov $MARK_CODE, %eax; ret". */
static void fill_test_pages(void)
{
	static const uint8_t code[] = {0xb8,
	                               (uint8_t)MARK_CODE,
	                               (uint8_t)(MARK_CODE >> 8),
	                               (uint8_t)(MARK_CODE >> 16),
	                               (uint8_t)(MARK_CODE >> 24),
	                               0xc3};

	for (int p = 0; p < 2; p++) {
		memset(test_page[p], 0xcc, sizeof(test_page[p]));
		*(volatile uint64_t *)&test_page[p][OFF_READ] = p ? MARK_READ2 : MARK_READ;
		*(volatile uint64_t *)&test_page[p][OFF_WRITE] = 0;
		memcpy(&test_page[p][OFF_CODE], code, sizeof(code));
	}
}

static struct vmx_result invept(void)
{
	if (has(VMX_EPT_INVEPT_SINGLE_CONTEXT))
		return vmx_invept(INVEPT_SINGLE_CONTEXT, eptp);
	return vmx_invept(INVEPT_ALL_CONTEXT, 0);
}

/*
 * VMXON, a fresh VMCS for an L2 with EPT (and `proc2_more`), EPT12 built
 * with `map`, L2's page tables, test pages, and all-context INVEPT
 * (translations of an earlier test's tables, same EPTP, must not survive).
 * NULL on success, else why not.
 */
static const char *ept_root(enum base_map map, uint32_t proc2_more)
{
	const struct vmx_caps *c;
	const char *why = ept_unavailable();

	if (why)
		return why;
	why = vmx_root_with_l2(l2_read);
	if (why)
		return why;
	c = vmx_caps();
	build_l2_paging();
	fill_test_pages();
	eptp = build_tables(map);
	launched = false;
	memset(&vcpu, 0, sizeof(vcpu));
	if (vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL,
	                vmx_controls(c->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
	                    .kind != VMX_OK ||
	    vmx_vmwrite(SECONDARY_VM_EXEC_CONTROL,
	                vmx_controls(c->proc2, SECONDARY_EXEC_ENABLE_EPT | proc2_more))
	                    .kind != VMX_OK ||
	    vmx_vmwrite(EPT_POINTER, eptp).kind != VMX_OK ||
	    vmx_vmwrite(GUEST_CR3, (uintptr_t)l2_pml4).kind != VMX_OK)
		return "VMCS set-up failed";
	if (has(VMX_EPT_INVEPT_ALL_CONTEXT)) {
		if (vmx_invept(INVEPT_ALL_CONTEXT, 0).kind != VMX_OK)
			return "all-context INVEPT failed";
	} else if (invept().kind != VMX_OK) {
		return "single-context INVEPT failed";
	}
	return NULL;
}

/* Enters L2 at `fn` with fresh RSP and RFLAGS (VMLAUNCH the first time). */
static struct vmx_result l2_enter(void (*fn)(void))
{
	struct vmx_result r;

	vmx_vmwrite(GUEST_RIP, (uintptr_t)fn);
	vmx_vmwrite(GUEST_RSP, (uintptr_t)l2_stack + sizeof(l2_stack));
	vmx_vmwrite(GUEST_RFLAGS, 0x2);
	r = launched ? vmx_vmresume(&vcpu) : vmx_vmlaunch(&vcpu);
	if (r.kind == VMX_OK && !(vcpu.exit_reason & (1u << 31)))
		launched = true;
	return r;
}

enum acc { ACC_READ, ACC_WRITE, ACC_FETCH, ACCS };
static const char *const acc_name[ACCS] = {"read", "write", "fetch"};
static void (*const acc_prog[ACCS])(void) = {l2_read, l2_write, l2_fetch};
static const uint64_t acc_off[ACCS] = {OFF_READ, OFF_WRITE, OFF_CODE};
static const uint64_t acc_bit[ACCS] = {EPT_R, EPT_W, EPT_X};

/* What one L2 run ended with. */
struct exit_info {
	uint32_t reason; /* ~0: the VM entry failed (VMfail) */
	uint64_t qual, gpa, gla;
};

static struct exit_info exit_info(struct vmx_result r)
{
	struct exit_info e = {~0u, 0, 0, 0};

	if (r.kind != VMX_OK)
		return e;
	e.reason = vcpu.exit_reason;
	e.qual = vcpu.exit_qualification;
	if (e.reason == EXIT_REASON_EPT_VIOLATION || e.reason == EXIT_REASON_EPT_MISCONFIG) {
		e.gpa = vmread(GUEST_PHYSICAL_ADDRESS);
		e.gla = vmread(GUEST_LINEAR_ADDRESS);
	}
	return e;
}

/* L2 does access `a` at `base` + its offset: reads, writes MARK_WRITE, calls. */
static struct exit_info l2_access(enum acc a, uint64_t base, uint8_t *page)
{
	memset(&vcpu.gprs, 0, sizeof(vcpu.gprs));
	vcpu.gprs.rsi = vcpu.gprs.rdi = base + acc_off[a];
	vcpu.gprs.rdx = MARK_WRITE;
	if (page)
		*(volatile uint64_t *)&page[OFF_WRITE] = 0;
	return exit_info(l2_enter(acc_prog[a]));
}

static struct exit_info l2_resume(void)
{
	return exit_info(vmx_vmresume(&vcpu));
}

/* Whether access `a` has completed (L2 reached its VMCALL with the result). */
static bool access_done(const struct exit_info *e, enum acc a, const uint8_t *page,
                        uint64_t read_mark)
{
	if (e->reason != EXIT_REASON_VMCALL)
		return false;
	switch (a) {
	case ACC_READ: return vcpu.gprs.rax == read_mark;
	case ACC_WRITE: return *(volatile const uint64_t *)&page[OFF_WRITE] == MARK_WRITE;
	default: return (uint32_t)vcpu.gprs.rax == MARK_CODE;
	}
}

/* ---- capabilities and EPTP checks ---- */

#define CAPS_COMPARED                                                                           \
	(VMX_EPT_EXECUTE_ONLY | VMX_EPT_PAGE_WALK_4 | VMX_EPT_MEMTYPE_UC | VMX_EPT_MEMTYPE_WB | \
	 VMX_EPT_2MB_PAGE | VMX_EPT_1GB_PAGE | VMX_EPT_INVEPT | VMX_EPT_AD |                    \
	 VMX_EPT_INVEPT_SINGLE_CONTEXT | VMX_EPT_INVEPT_ALL_CONTEXT)

/* What the CPU offers for EPT, the bits the rest of this payload depends on. */
TEST(ept_capabilities)
{
	const char *why = vmx_unavailable();
	const struct vmx_caps *c;

	if (why)
		SKIP("%s", why);
	c = vmx_caps();
	printf("# IA32_VMX_EPT_VPID_CAP 0x%lx, MAXPHYADDR %u\n", c->ept_vpid, c->maxphyaddr);
	printf("# outcome ept_caps secondary %d ept %d unrestricted %d ept_vpid_cap 0x%lx\n",
	       vmx_controls_allow(c->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS),
	       vmx_controls_allow(c->proc2, SECONDARY_EXEC_ENABLE_EPT),
	       vmx_controls_allow(c->proc2, SECONDARY_EXEC_UNRESTRICTED_GUEST),
	       (uint64_t)(c->ept_vpid & CAPS_COMPARED));
	why = ept_unavailable();
	if (why)
		SKIP("%s", why);
}

struct eptp_case {
	const char *label;
	uint64_t bits; /* on top of the tables' address */
	bool valid;
};

/*
 * VM entry checks the EPTP (SDM 26.2.1.1): a memory type the capability MSR
 * offers, a 4-level walk (5 only if offered), A/D only if offered, bits
 * 11:7 and those above MAXPHYADDR zero. Else VMfailValid(7).
 */
TEST(ept_eptp_entry_checks)
{
	const char *why = ept_root(MAP_2M, 0);
	struct eptp_case cases[] = {
	        {"eptp_wb", EPTP_WALK4 | 6, has(VMX_EPT_MEMTYPE_WB)},
	        {"eptp_uc", EPTP_WALK4 | 0, has(VMX_EPT_MEMTYPE_UC)},
	        {"eptp_memtype_1", EPTP_WALK4 | 1, false},
	        {"eptp_memtype_7", EPTP_WALK4 | 7, false},
	        {"eptp_walk_3", (((uint64_t)2) << 3) | 6, false},
	        {"eptp_walk_5", (((uint64_t)4) << 3) | 6, has(VMX_EPT_PAGE_WALK_5)},
	        {"eptp_ad", EPTP_WALK4 | 6 | EPTP_AD, has(VMX_EPT_AD)},
	        {"eptp_bit_11", EPTP_WALK4 | 6 | (((uint64_t)1) << 11), false},
	        {"eptp_bit_51", EPTP_WALK4 | 6 | (((uint64_t)1) << 51), false},
	};
	struct vmx_result r;
	char label[48];

	if (why)
		SKIP("%s", why);
	REQUIRE(has(VMX_EPT_MEMTYPE_WB), "EPTP test cases assume write-back (bit 14)");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct eptp_case *k = &cases[i];

		/* 5-level: the tables are 4-level, so a "valid" entry would walk garbage. */
		if (k->valid && ((k->bits >> 3) & 7) == 4)
			continue;
		why = vmx_fresh_l2_vmcs(vmx_l2_cpuid_vmcall);
		REQUIRE(!why, "%s", why);
		SETUP(vmx_vmwrite(
		        CPU_BASED_VM_EXEC_CONTROL,
		        vmx_controls(vmx_caps()->proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)));
		SETUP(vmx_vmwrite(SECONDARY_VM_EXEC_CONTROL,
		                  vmx_controls(vmx_caps()->proc2, SECONDARY_EXEC_ENABLE_EPT)));
		SETUP(vmx_vmwrite(EPT_POINTER, (uintptr_t)ept_pml4 | k->bits));
		SETUP(vmx_vmwrite(GUEST_CR3, (uintptr_t)l2_pml4));
		r = vmx_vmlaunch(&vcpu);
		vmx_outcome_print(k->label, r);
		if (r.kind == VMX_OK) {
			snprintf(label, sizeof(label), "%s_exit", k->label);
			printf("# outcome %s reason %u\n", label, vcpu.exit_reason);
		}
		if (k->valid)
			CHECK(r.kind == VMX_OK && vcpu.exit_reason == EXIT_REASON_CPUID,
			      "%s: VM entry did not reach L2's CPUID", k->label);
		else
			CHECK(r.kind == VMX_FAIL_VALID && r.error == VMXERR_INVALID_CONTROL,
			      "%s: VM entry did not fail with error 7", k->label);
	}
	vmx_leave();
}

/* ---- translations that work ---- */

/* L2 reads L1's marker and writes L1's slot through an identity map with `map`'s leaves. */
static void identity_run(enum base_map map, const char *label)
{
	const char *why = ept_root(map, 0);
	struct exit_info rd, wr;
	uint64_t got;

	if (why)
		SKIP("%s", why);
	id_slot = 0;
	memset(&vcpu.gprs, 0, sizeof(vcpu.gprs));
	vcpu.gprs.rsi = (uintptr_t)&id_marker;
	rd = exit_info(l2_enter(l2_read));
	got = vcpu.gprs.rax;
	memset(&vcpu.gprs, 0, sizeof(vcpu.gprs));
	vcpu.gprs.rdi = (uintptr_t)&id_slot;
	vcpu.gprs.rdx = MARK_WRITE;
	wr = exit_info(l2_enter(l2_write));
	printf("# outcome %s read_exit %u read_ok %d write_exit %u write_ok %d\n", label, rd.reason,
	       got == MARK_READ2, wr.reason, id_slot == MARK_WRITE);
	CHECK(rd.reason == EXIT_REASON_VMCALL && got == MARK_READ2, "read: exit %u, value 0x%lx",
	      rd.reason, got);
	CHECK(wr.reason == EXIT_REASON_VMCALL && id_slot == MARK_WRITE,
	      "write: exit %u, L1 sees 0x%lx", wr.reason, id_slot);
	vmx_leave();
}

TEST(ept_identity_4k_leaves)
{
	identity_run(MAP_4K, "ept_identity_4k");
}

TEST(ept_identity_2m_leaves)
{
	identity_run(MAP_2M, "ept_identity_2m");
}

TEST(ept_identity_1g_leaves)
{
	if (!has(VMX_EPT_1GB_PAGE))
		SKIP("no 1 GiB EPT pages (IA32_VMX_EPT_VPID_CAP bit 17)");
	identity_run(MAP_1G, "ept_identity_1g");
}

/* L2 reads, writes and runs code at `base`, which EPT12 maps onto L1's test page 0. */
static void remap_run(uint64_t base, const char *label)
{
	const char *why = ept_root(MAP_2M, 0);
	struct exit_info e;
	bool done[ACCS];

	if (why)
		SKIP("%s", why);
	for (int a = 0; a < ACCS; a++) {
		e = l2_access(a, base, test_page[0]);
		done[a] = access_done(&e, a, test_page[0], MARK_READ);
		CHECK(done[a], "%s at 0x%lx: exit %u, not completed", acc_name[a],
		      base + acc_off[a], e.reason);
	}
	printf("# outcome %s read %d write %d fetch %d\n", label, done[0], done[1], done[2]);
	vmx_leave();
}

TEST(ept_remap_4k_leaf)
{
	remap_run(WIN_4K, "ept_remap_4k");
}

TEST(ept_remap_2m_leaf)
{
	if (!has(VMX_EPT_2MB_PAGE))
		SKIP("no 2 MiB EPT pages (IA32_VMX_EPT_VPID_CAP bit 16)");
	remap_run(WIN_2M + ((uintptr_t)test_page[0] & (MIB2 - 1)), "ept_remap_2m");
}

TEST(ept_remap_1g_leaf)
{
	if (!has(VMX_EPT_1GB_PAGE))
		SKIP("no 1 GiB EPT pages (IA32_VMX_EPT_VPID_CAP bit 17)");
	remap_run(WIN_1G + (uintptr_t)test_page[0], "ept_remap_1g");
}

/* ---- violations: every permission at every level ---- */

struct level {
	const char *name;
	uint64_t *entry;
	uint64_t need; /* IA32_VMX_EPT_VPID_CAP bit it needs, 0: none */
	bool leaf;
};

/* The window's walks: W (4 KiB leaf), W + 2 MiB (2 MiB leaf), W + 1 GiB (1 GiB leaf). */
static const struct level levels[] = {
        {"pml4e", &ept_pml4[1], 0, false},
        {"pdpte", &ept_pdpt_w[0], 0, false},
        {"pde", &ept_pd_w[0], 0, false},
        {"pte", &ept_pt_w[0], 0, true},
        {"pde_2m", &ept_pd_w[1], VMX_EPT_2MB_PAGE, true},
        {"pdpte_1g", &ept_pdpt_w[1], VMX_EPT_1GB_PAGE, true},
};

static uint64_t level_base(const struct level *l)
{
	if (l->entry == &ept_pd_w[1])
		return WIN_2M + ((uintptr_t)test_page[0] & (MIB2 - 1));
	if (l->entry == &ept_pdpt_w[1])
		return WIN_1G + (uintptr_t)test_page[0];
	return WIN_4K;
}

static const char *const perm_name[8] = {"none", "r", "w", "rw", "x", "rx", "wx", "rwx"};

static void set_perm(uint64_t *e, uint64_t p)
{
	*e = (*e & ~EPT_RWX) | p;
}

/*
 * Entry `l` with permissions `p` (the rest of the walk RWX): L2's access
 * `a` completes, or exits with an EPT violation whose qualification says
 * the access (bits 2:0), the walk's permissions (5:3: `p`, 0 if not
 * present), a valid linear address (7) that was the access's own (8), with
 * the guest-physical and linear address of the access. Then L1 grants RWX
 * without INVEPT and resumes: the access completes (a violation is never
 * cached, SDM 29.4.3.1).
 */
static void perm_case(const struct level *l, uint64_t p, enum acc a)
{
	uint64_t base = level_base(l), addr = base + acc_off[a];
	uint64_t want = acc_bit[a] | (p << 3) | QUAL_LINEAR_VALID | QUAL_TRANSLATED;
	struct exit_info e, after;
	char label[48];

	snprintf(label, sizeof(label), "ept_%s_%s_%s", l->name, perm_name[p], acc_name[a]);
	set_perm(l->entry, p);
	if (invept().kind != VMX_OK) {
		CHECK(false, "%s: INVEPT failed", label);
		return;
	}
	e = l2_access(a, base, test_page[0]);
	if (p & acc_bit[a]) {
		bool done = access_done(&e, a, test_page[0], MARK_READ);

		printf("# outcome %s exit %u done %d\n", label, e.reason, done);
		CHECK(done, "%s: exit %u, want the access to complete", label, e.reason);
		set_perm(l->entry, EPT_RWX);
		return;
	}
	set_perm(l->entry, EPT_RWX);
	after = e.reason == EXIT_REASON_EPT_VIOLATION ? l2_resume() : e;
	printf("# outcome %s exit %u qual 0x%lx gpa 0x%lx gla 0x%lx resumed %u done %d\n", label,
	       e.reason, e.qual & QUAL_CHECKED, e.gpa, e.gla, after.reason,
	       access_done(&after, a, test_page[0], MARK_READ));
	CHECK(e.reason == EXIT_REASON_EPT_VIOLATION, "%s: exit %u, want 48", label, e.reason);
	if (e.reason != EXIT_REASON_EPT_VIOLATION)
		return;
	CHECK((e.qual & QUAL_CHECKED) == want, "%s: qualification 0x%lx, want 0x%lx", label,
	      e.qual & QUAL_CHECKED, want);
	CHECK(e.gpa == addr && e.gla == addr, "%s: GPA 0x%lx linear 0x%lx, want 0x%lx", label,
	      e.gpa, e.gla, addr);
	CHECK(access_done(&after, a, test_page[0], MARK_READ),
	      "%s: after RWX without INVEPT: exit %u, not completed", label, after.reason);
}

static void perms_run(unsigned int i)
{
	const struct level *l = &levels[i];
	static const uint64_t perms[] = {0, EPT_R, EPT_R | EPT_W, EPT_X, EPT_R | EPT_X, EPT_RWX};
	const char *why;

	if (l->need && !has(l->need))
		SKIP("no %s EPT pages (IA32_VMX_EPT_VPID_CAP bit %u)",
		     l->need == VMX_EPT_2MB_PAGE ? "2 MiB" : "1 GiB",
		     l->need == VMX_EPT_2MB_PAGE ? 16 : 17);
	why = ept_root(MAP_2M, 0);
	if (why)
		SKIP("%s", why);
	for (size_t k = 0; k < sizeof(perms) / sizeof(perms[0]); k++) {
		if (perms[k] == EPT_X && !has(VMX_EPT_EXECUTE_ONLY))
			continue; /* a misconfiguration then (ept_misconfig_permissions) */
		for (int a = 0; a < ACCS; a++)
			perm_case(l, perms[k], a);
	}
	if (!has(VMX_EPT_EXECUTE_ONLY))
		printf("# execute-only (IA32_VMX_EPT_VPID_CAP bit 0) not offered: not tested\n");
	vmx_leave();
}

TEST(ept_perms_pml4e)
{
	perms_run(0);
}

TEST(ept_perms_pdpte)
{
	perms_run(1);
}

TEST(ept_perms_pde)
{
	perms_run(2);
}

TEST(ept_perms_pte)
{
	perms_run(3);
}

TEST(ept_perms_pde_2m_leaf)
{
	perms_run(4);
}

TEST(ept_perms_pdpte_1g_leaf)
{
	perms_run(5);
}

/* ---- misconfigurations ---- */

/*
 * Entry `l` := `value` (the rest RWX), L2 reads: the exit it gets (`want`:
 * 49, or 48 for a not-present entry), with the access's GPA; restored after.
 */
static void entry_case_bochs(const struct level *l, const char *what, uint64_t value, uint32_t want,
                             const char *bochs_bug)
{
	uint64_t base = level_base(l), save = *l->entry;
	struct exit_info e;
	char label[64];

	snprintf(label, sizeof(label), "ept_%s_%s", l->name, what);
	*l->entry = value;
	if (invept().kind != VMX_OK) {
		*l->entry = save;
		CHECK(false, "%s: INVEPT failed", label);
		return;
	}
	e = l2_access(ACC_READ, base, test_page[0]);
	*l->entry = save;
	if (e.reason == EXIT_REASON_EPT_VIOLATION)
		printf("# outcome %s exit %u qual 0x%lx gpa 0x%lx\n", label, e.reason,
		       e.qual & QUAL_CHECKED, e.gpa);
	else if (e.reason == EXIT_REASON_EPT_MISCONFIG)
		printf("# outcome %s exit %u gpa 0x%lx\n", label, e.reason, e.gpa);
	else
		printf("# outcome %s exit %u done %d\n", label, e.reason,
		       access_done(&e, ACC_READ, test_page[0], MARK_READ));
	if (bochs_bug && e.reason != want && vmx_bare_bochs() &&
	    access_done(&e, ACC_READ, test_page[0], MARK_READ)) {
		printf("# %s: tolerated Bochs bug (docs/bochs.md): %s; the SDM says exit %u\n",
		       label, bochs_bug, want);
		return;
	}
	if (want == EXIT_REASON_VMCALL) {
		CHECK(access_done(&e, ACC_READ, test_page[0], MARK_READ),
		      "%s: exit %u, want the read to complete", label, e.reason);
		return;
	}
	CHECK(e.reason == want, "%s: exit %u, want %u", label, e.reason, want);
	if (e.reason == want)
		CHECK(e.gpa == base, "%s: GPA 0x%lx, want 0x%lx", label, e.gpa, base);
	if (e.reason == want && want == EXIT_REASON_EPT_VIOLATION)
		CHECK((e.qual & QUAL_CHECKED) == (EPT_R | QUAL_LINEAR_VALID | QUAL_TRANSLATED),
		      "%s: qualification 0x%lx, want 0x181 (read, nothing permitted)", label,
		      e.qual & QUAL_CHECKED);
}

static void entry_case(const struct level *l, const char *what, uint64_t value, uint32_t want)
{
	entry_case_bochs(l, what, value, want, NULL);
}

static bool level_usable(const struct level *l)
{
	return !l->need || has(l->need);
}

/* Bits 2:0 of 010b (write-only) and 110b (write+execute), and 100b without execute-only. */
TEST(ept_misconfig_permissions)
{
	const char *why = ept_root(MAP_2M, 0);

	if (why)
		SKIP("%s", why);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		const struct level *l = &levels[i];
		uint64_t v = *l->entry & ~EPT_RWX;

		if (!level_usable(l))
			continue;
		entry_case(l, "w", v | EPT_W, EXIT_REASON_EPT_MISCONFIG);
		entry_case(l, "wx", v | EPT_W | EPT_X, EXIT_REASON_EPT_MISCONFIG);
		if (!has(VMX_EPT_EXECUTE_ONLY))
			entry_case(l, "x", v | EPT_X, EXIT_REASON_EPT_MISCONFIG);
	}
	vmx_leave();
}

/*
 * Reserved bits of present entries (SDM Tables 29-1 to 29-6): bits 51:
 * MAXPHYADDR everywhere (bit 51), bits 7:3 of a PML4E, 6:3 of a non-leaf
 * PDPTE or PDE, 20:12 of a 2 MiB leaf, 29:12 of a 1 GiB leaf (bits 12, 13
 * and the top one); a PDPTE with bit 7 (1 GiB page) when 1 GiB pages are
 * not offered. Bare Bochs 2.7 does not check bit 12 of a large leaf (as if
 * it were a PAT bit) and lets the access through: tolerated there only.
 */
TEST(ept_misconfig_reserved_bits)
{
	const char *why = ept_root(MAP_2M, 0);

	if (why)
		SKIP("%s", why);
	REQUIRE(vmx_caps()->maxphyaddr < 52, "MAXPHYADDR %u: bit 51 is not reserved",
	        vmx_caps()->maxphyaddr);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		const struct level *l = &levels[i];
		uint64_t v = *l->entry;

		if (!level_usable(l))
			continue;
		entry_case(l, "bit51", v | (((uint64_t)1) << 51), EXIT_REASON_EPT_MISCONFIG);
		if (!l->leaf) {
			entry_case(l, "bit3", v | (((uint64_t)1) << 3), EXIT_REASON_EPT_MISCONFIG);
			entry_case(l, "bit6", v | (((uint64_t)1) << 6), EXIT_REASON_EPT_MISCONFIG);
		}
	}
	entry_case(&levels[0], "bit7", *levels[0].entry | EPT_PS, EXIT_REASON_EPT_MISCONFIG);
	if (has(VMX_EPT_2MB_PAGE)) {
		entry_case_bochs(&levels[4], "bit12", *levels[4].entry | ((uint64_t)1 << 12),
		                 EXIT_REASON_EPT_MISCONFIG, BUG_LARGE_LEAF_BIT12);
		entry_case(&levels[4], "bit13", *levels[4].entry | (((uint64_t)1) << 13),
		           EXIT_REASON_EPT_MISCONFIG);
		entry_case(&levels[4], "bit20", *levels[4].entry | (((uint64_t)1) << 20),
		           EXIT_REASON_EPT_MISCONFIG);
	}
	if (has(VMX_EPT_1GB_PAGE)) {
		entry_case_bochs(&levels[5], "bit12", *levels[5].entry | ((uint64_t)1 << 12),
		                 EXIT_REASON_EPT_MISCONFIG, BUG_LARGE_LEAF_BIT12);
		entry_case(&levels[5], "bit13", *levels[5].entry | (((uint64_t)1) << 13),
		           EXIT_REASON_EPT_MISCONFIG);
		entry_case(&levels[5], "bit29", *levels[5].entry | (((uint64_t)1) << 29),
		           EXIT_REASON_EPT_MISCONFIG);
	} else {
		/* PDPTE 1 (W + 1 GiB) as a 1 GiB leaf the CPU does not offer. */
		entry_case(&levels[5], "ps_unsupported", ept_leaf(0, true),
		           EXIT_REASON_EPT_MISCONFIG);
	}
	vmx_leave();
}

/* A leaf's memory type (bits 5:3): 2, 3 and 7 are reserved; 0, 1, 4, 5, 6 are not. */
TEST(ept_misconfig_memory_types)
{
	const char *why = ept_root(MAP_2M, 0);
	static const unsigned int bad[] = {2, 3, 7}, good[] = {0, 1, 4, 5};
	char what[16];

	if (why)
		SKIP("%s", why);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		const struct level *l = &levels[i];
		uint64_t v = *l->entry & ~EPT_MT(7);

		if (!l->leaf || !level_usable(l))
			continue;
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			snprintf(what, sizeof(what), "memtype%u", bad[k]);
			entry_case(l, what, v | EPT_MT(bad[k]), EXIT_REASON_EPT_MISCONFIG);
		}
	}
	for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		snprintf(what, sizeof(what), "memtype%u", good[k]);
		entry_case(&levels[3], what, (*levels[3].entry & ~EPT_MT(7)) | EPT_MT(good[k]),
		           EXIT_REASON_VMCALL);
	}
	vmx_leave();
}

/*
 * Bits 2:0 = 000b: not present, whatever else is set (reserved bits, a bad
 * memory type, bit 7): an EPT violation with permissions 0, never a
 * misconfiguration (SDM 29.3.3).
 */
TEST(ept_not_present_reserved_bits_violation)
{
	const char *why = ept_root(MAP_2M, 0);

	if (why)
		SKIP("%s", why);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		const struct level *l = &levels[i];

		if (!level_usable(l))
			continue;
		entry_case(l, "not_present_rsvd",
		           (*l->entry & ~EPT_RWX) | (((uint64_t)1) << 51) | 0xf8,
		           EXIT_REASON_EPT_VIOLATION);
	}
	vmx_leave();
}

/* ---- changing EPT12 while L2 runs ---- */

/*
 * Upgrades need no INVEPT (SDM 29.4.3.1: a violation invalidates what it
 * found; the CPU walks again): the 4 KiB leaf goes not-present -> R -> RW
 * -> RWX, each step after the violation it caused, and L2 goes on.
 */
TEST(ept_upgrade_without_invept)
{
	const char *why = ept_root(MAP_2M, 0);
	struct exit_info e[4];
	static const enum acc order[3] = {ACC_READ, ACC_WRITE, ACC_FETCH};
	uint64_t want[3];

	if (why)
		SKIP("%s", why);
	set_perm(&ept_pt_w[0], 0);
	SETUP(invept());
	for (int k = 0; k < 3; k++)
		want[k] = acc_bit[order[k]] |
		          ((k == 0   ? 0
		            : k == 1 ? EPT_R
		                     : EPT_R | EPT_W)
		           << 3) |
		          QUAL_LINEAR_VALID | QUAL_TRANSLATED;
	/* One L2 run: read, write, call into the page. */
	e[0] = l2_access(ACC_READ, WIN_4K, test_page[0]);
	set_perm(&ept_pt_w[0], EPT_R);
	e[1] = l2_resume();
	printf("# outcome ept_upgrade_read exit %u qual 0x%lx resumed %u done %d\n", e[0].reason,
	       e[0].qual & QUAL_CHECKED, e[1].reason,
	       access_done(&e[1], ACC_READ, test_page[0], MARK_READ));
	CHECK(e[0].reason == EXIT_REASON_EPT_VIOLATION && (e[0].qual & QUAL_CHECKED) == want[0],
	      "read: exit %u qualification 0x%lx", e[0].reason, e[0].qual);
	CHECK(access_done(&e[1], ACC_READ, test_page[0], MARK_READ),
	      "read after not-present -> R: exit %u", e[1].reason);
	e[0] = l2_access(ACC_WRITE, WIN_4K, test_page[0]);
	set_perm(&ept_pt_w[0], EPT_R | EPT_W);
	e[1] = l2_resume();
	printf("# outcome ept_upgrade_write exit %u qual 0x%lx resumed %u done %d\n", e[0].reason,
	       e[0].qual & QUAL_CHECKED, e[1].reason,
	       access_done(&e[1], ACC_WRITE, test_page[0], MARK_READ));
	CHECK(e[0].reason == EXIT_REASON_EPT_VIOLATION && (e[0].qual & QUAL_CHECKED) == want[1],
	      "write: exit %u qualification 0x%lx", e[0].reason, e[0].qual);
	CHECK(access_done(&e[1], ACC_WRITE, test_page[0], MARK_READ),
	      "write after R -> RW: exit %u", e[1].reason);
	e[0] = l2_access(ACC_FETCH, WIN_4K, test_page[0]);
	set_perm(&ept_pt_w[0], EPT_RWX);
	e[1] = l2_resume();
	printf("# outcome ept_upgrade_fetch exit %u qual 0x%lx resumed %u done %d\n", e[0].reason,
	       e[0].qual & QUAL_CHECKED, e[1].reason,
	       access_done(&e[1], ACC_FETCH, test_page[0], MARK_READ));
	CHECK(e[0].reason == EXIT_REASON_EPT_VIOLATION && (e[0].qual & QUAL_CHECKED) == want[2],
	      "fetch: exit %u qualification 0x%lx", e[0].reason, e[0].qual);
	CHECK(access_done(&e[1], ACC_FETCH, test_page[0], MARK_READ),
	      "fetch after RW -> RWX: exit %u", e[1].reason);
	vmx_leave();
}

/*
 * L2 reads W (test page 0); L1 points the 4 KiB leaf at test page 1 and
 * invalidates with `type`; L2 reads W again: page 1's marker. What L2
 * would see without the INVEPT is implementation-dependent: not tested.
 */
static void invept_remap(uint64_t type, uint64_t need, const char *label)
{
	const char *why;
	struct exit_info e1, e2;
	struct vmx_result r;
	uint64_t v1, v2;
	char l[48];

	if (!has(need))
		SKIP("INVEPT type %lu not offered (IA32_VMX_EPT_VPID_CAP bit %u)", type,
		     type == INVEPT_SINGLE_CONTEXT ? 25 : 26);
	why = ept_root(MAP_2M, 0);
	if (why)
		SKIP("%s", why);
	e1 = l2_access(ACC_READ, WIN_4K, NULL);
	v1 = vcpu.gprs.rax;
	ept_pt_w[0] = ept_leaf((uintptr_t)test_page[1], false);
	r = vmx_invept(type, type == INVEPT_SINGLE_CONTEXT ? eptp : 0);
	snprintf(l, sizeof(l), "%s_invept", label);
	vmx_outcome_print(l, r);
	e2 = l2_access(ACC_READ, WIN_4K, NULL);
	v2 = vcpu.gprs.rax;
	printf("# outcome %s before %s after %s\n", label,
	       e1.reason != EXIT_REASON_VMCALL ? "exit"
	       : v1 == MARK_READ               ? "page0"
	                                       : "other",
	       e2.reason != EXIT_REASON_VMCALL ? "exit"
	       : v2 == MARK_READ2              ? "page1"
	       : v2 == MARK_READ               ? "page0"
	                                       : "other");
	CHECK(r.kind == VMX_OK, "INVEPT failed");
	CHECK(e1.reason == EXIT_REASON_VMCALL && v1 == MARK_READ, "first read: exit %u, 0x%lx",
	      e1.reason, v1);
	CHECK(e2.reason == EXIT_REASON_VMCALL && v2 == MARK_READ2,
	      "read after remap and INVEPT: exit %u, 0x%lx", e2.reason, v2);
	vmx_leave();
}

TEST(ept_invept_single_context_remap)
{
	invept_remap(INVEPT_SINGLE_CONTEXT, VMX_EPT_INVEPT_SINGLE_CONTEXT, "ept_invept_single");
}

TEST(ept_invept_all_context_remap)
{
	invept_remap(INVEPT_ALL_CONTEXT, VMX_EPT_INVEPT_ALL_CONTEXT, "ept_invept_all");
}

/* ---- accessed and dirty flags ---- */

static const char *ad(uint64_t e)
{
	return (e & EPT_A) ? ((e & EPT_D) ? "AD" : "A-") : ((e & EPT_D) ? "-D" : "--");
}

/*
 * EPTP bit 6 (SDM 29.3.5): an access sets A in every entry it used, a
 * write sets D in the leaf too. L2 reads W, then writes W, then writes
 * through the 2 MiB leaf; the window's entries are checked after each.
 */
TEST(ept_accessed_dirty_flags)
{
	const char *why;
	uint64_t *w4[4] = {&ept_pml4[1], &ept_pdpt_w[0], &ept_pd_w[0], &ept_pt_w[0]};
	struct exit_info e;
	bool two_m = has(VMX_EPT_2MB_PAGE);

	if (!has(VMX_EPT_AD))
		SKIP("no EPT accessed and dirty flags (IA32_VMX_EPT_VPID_CAP bit 21)");
	why = ept_root(MAP_2M, 0);
	if (why)
		SKIP("%s", why);
	eptp |= EPTP_AD;
	SETUP(vmx_vmwrite(EPT_POINTER, eptp));
	SETUP(invept());
	e = l2_access(ACC_READ, WIN_4K, test_page[0]);
	printf("# outcome ept_ad_after_read exit %u pml4e %s pdpte %s pde %s pte %s pde_2m %s\n",
	       e.reason, ad(*w4[0]), ad(*w4[1]), ad(*w4[2]), ad(*w4[3]), ad(ept_pd_w[1]));
	CHECK(e.reason == EXIT_REASON_VMCALL, "read: exit %u", e.reason);
	for (int i = 0; i < 4; i++)
		CHECK(*w4[i] & EPT_A, "read: level %d of the walk without A", 4 - i);
	CHECK(!(*w4[3] & EPT_D), "read set D in the leaf");
	CHECK(!(ept_pd_w[1] & (EPT_A | EPT_D)), "read set A/D in an entry it did not use");
	e = l2_access(ACC_WRITE, WIN_4K, test_page[0]);
	printf("# outcome ept_ad_after_write exit %u pte %s pde_2m %s\n", e.reason, ad(*w4[3]),
	       ad(ept_pd_w[1]));
	CHECK(e.reason == EXIT_REASON_VMCALL, "write: exit %u", e.reason);
	CHECK((*w4[3] & (EPT_A | EPT_D)) == (EPT_A | EPT_D), "write: leaf %s, want AD", ad(*w4[3]));
	if (two_m) {
		e = l2_access(ACC_WRITE, level_base(&levels[4]), test_page[0]);
		printf("# outcome ept_ad_after_write_2m exit %u pde_2m %s\n", e.reason,
		       ad(ept_pd_w[1]));
		CHECK(e.reason == EXIT_REASON_VMCALL, "write (2 MiB): exit %u", e.reason);
		CHECK((ept_pd_w[1] & (EPT_A | EPT_D)) == (EPT_A | EPT_D),
		      "write: 2 MiB leaf %s, want AD", ad(ept_pd_w[1]));
	}
	vmx_leave();
}

/* ---- unrestricted guest ---- */

#define AR_CODE16 0x9bu /* P, S, type 11 (code, accessed), 16-bit */
#define AR_DATA16 0x93u /* P, S, type 3 (data RW, accessed), 16-bit */

/*
 * L2 in real mode (CR0.PE = PG = 0, SDM 26.3.1.2 for an unrestricted
 * guest), CS based at its code and DS at a data page: it stores a marker
 * and its CR0, then CPUID exits.
 */
TEST(ept_l2_real_mode_unrestricted)
{
	const struct vmx_caps *c;
	const char *why;
	struct exit_info e;
	uint64_t rip;
	uint32_t cr0_seen;

	if (!vmx_unavailable() &&
	    !vmx_controls_allow(vmx_caps()->proc2, SECONDARY_EXEC_UNRESTRICTED_GUEST))
		SKIP("no unrestricted guest (IA32_VMX_PROCBASED_CTLS2 bit 39)");
	why = ept_root(MAP_2M, SECONDARY_EXEC_UNRESTRICTED_GUEST);
	if (why)
		SKIP("%s", why);
	c = vmx_caps();
	memset(real_data, 0, sizeof(real_data));
	SETUP(vmx_vmwrite(VM_ENTRY_CONTROLS, vmx_controls(c->entry, 0)));
	SETUP(vmx_vmwrite(GUEST_CR0, read_cr0() & ~(CR0_PE | CR0_PG)));
	SETUP(vmx_vmwrite(GUEST_CS_SELECTOR, 0));
	SETUP(vmx_vmwrite(GUEST_CS_BASE, (uintptr_t)l2_real));
	SETUP(vmx_vmwrite(GUEST_CS_LIMIT, 0xffff));
	SETUP(vmx_vmwrite(GUEST_CS_AR_BYTES, AR_CODE16));
	static const uint32_t data_segs[][4] = {
	        {GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES},
	        {GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES},
	        {GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES},
	        {GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES},
	        {GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES},
	};
	for (size_t i = 0; i < sizeof(data_segs) / sizeof(data_segs[0]); i++) {
		SETUP(vmx_vmwrite(data_segs[i][0], 0));
		SETUP(vmx_vmwrite(data_segs[i][1], (uintptr_t)real_data));
		SETUP(vmx_vmwrite(data_segs[i][2], 0xffff));
		SETUP(vmx_vmwrite(data_segs[i][3], AR_DATA16));
	}
	SETUP(vmx_vmwrite(GUEST_RIP, 0));
	SETUP(vmx_vmwrite(GUEST_RSP, 0xff0));
	SETUP(vmx_vmwrite(GUEST_RFLAGS, 0x2));
	e = exit_info(vmx_vmlaunch(&vcpu));
	rip = vmread(GUEST_RIP);
	cr0_seen = *(volatile uint32_t *)&real_data[0x18];
	printf("# outcome ept_real_mode exit %u rip 0x%lx marker 0x%x cr0_pe_pg %u\n", e.reason,
	       rip, *(volatile uint16_t *)&real_data[0x10], cr0_seen & (uint32_t)(CR0_PE | CR0_PG));
	CHECK(e.reason == EXIT_REASON_CPUID, "exit %u, want CPUID", e.reason);
	CHECK(rip == (uintptr_t)l2_real_cpuid - (uintptr_t)l2_real, "RIP 0x%lx, want 0x%lx", rip,
	      (uintptr_t)l2_real_cpuid - (uintptr_t)l2_real);
	CHECK(*(volatile uint16_t *)&real_data[0x10] == REAL_MARK, "marker 0x%x",
	      *(volatile uint16_t *)&real_data[0x10]);
	CHECK(!(cr0_seen & (CR0_PE | CR0_PG)), "L2 saw CR0 0x%x", cr0_seen);
	vmx_leave();
}

/* ---- L1's local APIC through EPT12 ---- */

#define MSR_APIC_BASE    0x1b
#define APIC_BASE_ENABLE (((uint64_t)1) << 11)
#define APIC_BASE_X2APIC (((uint64_t)1) << 10)
#define APIC_REG_ID      0x20
#define APIC_REG_VERSION 0x30

/*
 * The window's second page maps onto L1's local APIC (xAPIC, uncached):
 * L2's reads of its ID and version registers give what L1 reads itself.
 */
TEST(ept_l2_reads_l1_apic)
{
	const char *why;
	uint64_t base;
	uint32_t id, ver;
	struct exit_info e;

	why = ept_root(MAP_2M, 0);
	if (why)
		SKIP("%s", why);
	base = rdmsr(MSR_APIC_BASE);
	if (!(base & APIC_BASE_ENABLE) || (base & APIC_BASE_X2APIC)) {
		vmx_leave();
		SKIP("the local APIC is not in xAPIC mode (IA32_APIC_BASE 0x%lx)", base);
	}
	base &= EPT_ADDR;
	ept_pt_w[1] = base | EPT_MT_UC | EPT_R | EPT_W;
	SETUP(invept());
	id = *(volatile uint32_t *)(uintptr_t)(base + APIC_REG_ID);
	ver = *(volatile uint32_t *)(uintptr_t)(base + APIC_REG_VERSION);
	memset(&vcpu.gprs, 0, sizeof(vcpu.gprs));
	vcpu.gprs.rsi = WIN_APIC + APIC_REG_VERSION;
	vcpu.gprs.rdi = WIN_APIC + APIC_REG_ID;
	e = exit_info(l2_enter(l2_read32x2));
	printf("# L1 reads APIC ID 0x%x version 0x%x; L2 0x%lx 0x%lx\n", id, ver,
	       vcpu.gprs.rbx & 0xffffffffu, vcpu.gprs.rax & 0xffffffffu);
	printf("# outcome ept_l2_apic exit %u version_same %d id_same %d\n", e.reason,
	       (uint32_t)vcpu.gprs.rax == ver, (uint32_t)vcpu.gprs.rbx == id);
	CHECK(e.reason == EXIT_REASON_VMCALL, "exit %u", e.reason);
	CHECK((uint32_t)vcpu.gprs.rax == ver, "L2 read version 0x%lx, L1 0x%x",
	      vcpu.gprs.rax & 0xffffffffu, ver);
	CHECK((uint32_t)vcpu.gprs.rbx == id, "L2 read ID 0x%lx, L1 0x%x",
	      vcpu.gprs.rbx & 0xffffffffu, id);
	vmx_leave();
}

/* ---- two CPUs: one remaps and invalidates while the other's L2 runs ---- */

#define AP_FLIPS       41 /* odd: the window ends on test page 1 */
#define AP_DELAY       2000
#define AP_TIMEOUT_US  1000000
#define AP_RUNNING     0
#define AP_DONE        1
#define AP_NO_VMX      2
#define AP_VMXON_FAIL  3
#define AP_INVEPT_FAIL 4

static uint8_t ap_vmxon_region[4096] __attribute__((aligned(4096)));
static volatile uint64_t l2_started, l2_stop, ap_status, ap_flips;

/*
 * L2 on the BSP: says it runs, then reads the window until L1's other CPU
 * says stop (or after 20,000,000 reads): R10 counts page 0's marker, R11 page
 * 1's, R12 anything else (RBX: the last such value), R13 1 if it gave up.
 */
void l2_poll(void);
__asm__(".text\n"
        ".globl l2_poll\n"
        "l2_poll:\n"
        "	movq $1, (%rdx)\n"
        "	mov $20000000, %rcx\n" /* at most 20,000,000 reads */
        "1:	mov (%rsi), %rax\n"
        "	cmp %r8, %rax\n"
        "	jne 2f\n"
        "	inc %r10\n"
        "	jmp 3f\n"
        "2:	cmp %r9, %rax\n"
        "	jne 4f\n"
        "	inc %r11\n"
        "	jmp 3f\n"
        "4:	inc %r12\n"
        "	mov %rax, %rbx\n"
        "3:	cmpq $0, (%rdi)\n"
        "	jne 5f\n"
        "	dec %rcx\n"
        "	jnz 1b\n"
        "	mov $1, %r13\n"
        "5:	vmcall\n");

/* VMX instructions on the AP (vmx.c's wrappers use catch_exception: BSP only). */
static bool ap_vmxon(uint64_t pa)
{
	uint8_t fail;

	__asm__ volatile("vmxon %1; setbe %0" : "=q"(fail) : "m"(pa) : "cc", "memory");
	return !fail;
}

static bool ap_invept(uint64_t type, uint64_t ep)
{
	struct {
		uint64_t eptp, reserved;
	} d = {ep, 0};
	uint8_t fail;

	__asm__ volatile("invept %1, %2; setbe %0"
	                 : "=q"(fail)
	                 : "m"(d), "r"(type)
	                 : "cc", "memory");
	return !fail;
}

/* The AP: VMXON, then flips the window's 4 KiB leaf AP_FLIPS times, each with INVEPT. */
static void ap_remapper(unsigned int cpu, void *arg)
{
	uint64_t type =
	        has(VMX_EPT_INVEPT_SINGLE_CONTEXT) ? INVEPT_SINGLE_CONTEXT : INVEPT_ALL_CONTEXT;

	(void)cpu;
	(void)arg;
	if (vmx_enable()) {
		ap_status = AP_NO_VMX;
		l2_stop = 1;
		return;
	}
	memset(ap_vmxon_region, 0, sizeof(ap_vmxon_region));
	*(volatile uint32_t *)ap_vmxon_region = vmx_caps()->revision;
	if (!ap_vmxon((uintptr_t)ap_vmxon_region)) {
		ap_status = AP_VMXON_FAIL;
		l2_stop = 1;
		return;
	}
	while (!l2_started)
		cpu_relax();
	for (unsigned int i = 0; i < AP_FLIPS; i++) {
		__atomic_store_n(&ept_pt_w[0],
		                 ept_leaf((uintptr_t)test_page[(i & 1) ? 0 : 1], false),
		                 __ATOMIC_SEQ_CST);
		if (!ap_invept(type, eptp)) {
			ap_status = AP_INVEPT_FAIL;
			break;
		}
		ap_flips = i + 1;
		for (int d = 0; d < AP_DELAY; d++)
			cpu_relax();
	}
	__asm__ volatile("vmxoff" ::: "cc", "memory");
	if (ap_status == AP_RUNNING)
		ap_status = AP_DONE;
	l2_stop = 1;
}

/* The second enabled CPU in the MADT, or -1. */
static int64_t second_cpu_apic_id(uint32_t bsp)
{
	uint64_t madt = acpi_table("APIC");

	if (!madt)
		return -1;
	for (const uint8_t *e = acpi_madt_entry(madt, NULL); e; e = acpi_madt_entry(madt, e))
		if (e[0] == 0 && (e[4] & 1) && e[3] != bsp)
			return e[3];
	return -1;
}

/*
 * L1's other CPU remaps the window between test pages 0 and 1 and does
 * INVEPT each time while the BSP's L2 reads it: L2 sees only the two
 * pages' markers and no exit (the window is always mapped RWX; which page
 * a read sees before the BSP's own INVEPT is implementation-dependent, so
 * not compared); after the BSP's INVEPT, page 1.
 */
TEST(ept_two_cpus_remap_while_l2_runs)
{
	const char *why;
	int64_t ap_id;
	enum smp_start_result sr;
	struct exit_info e;
	uint64_t bad, gave_up, last;

	why = ept_unavailable();
	if (why)
		SKIP("%s", why);
	if (!apic_present())
		SKIP("no local APIC");
	apic_cpu_init();
	ap_id = second_cpu_apic_id(apic_id());
	if (ap_id < 0)
		SKIP("one CPU in the MADT (bare: --cpus 2; under Umbra: vcpus=2)");
	REQUIRE(smp_init(), "no free page below 1 MiB for the AP trampoline");
	why = ept_root(MAP_2M, 0);
	if (why)
		SKIP("%s", why);
	l2_started = l2_stop = ap_flips = 0;
	ap_status = AP_RUNNING;
	sr = smp_start_ap(1, (uint32_t)ap_id, ap_remapper, NULL, AP_TIMEOUT_US, NULL);
	REQUIRE(sr == SMP_STARTED, "AP (APIC ID %ld): %s", ap_id, smp_start_result_name(sr));
	memset(&vcpu.gprs, 0, sizeof(vcpu.gprs));
	vcpu.gprs.rsi = WIN_4K + OFF_READ;
	vcpu.gprs.rdi = (uintptr_t)&l2_stop;
	vcpu.gprs.rdx = (uintptr_t)&l2_started;
	vcpu.gprs.r8 = MARK_READ;
	vcpu.gprs.r9 = MARK_READ2;
	e = exit_info(l2_enter(l2_poll));
	bad = vcpu.gprs.r12;
	gave_up = vcpu.gprs.r13;
	printf("# L2 read page 0 %lu times, page 1 %lu times, other %lu; the AP flipped %lu times, "
	       "status %lu\n",
	       vcpu.gprs.r10, vcpu.gprs.r11, bad, ap_flips, ap_status);
	spin_until(ap_status != AP_RUNNING, tsc_ticks_at_least_us(AP_TIMEOUT_US));
	/* The BSP's own INVEPT: now the mapping the AP left (page 1) must show. */
	SETUP(invept());
	e = e.reason == EXIT_REASON_VMCALL ? l2_access(ACC_READ, WIN_4K, NULL) : e;
	last = vcpu.gprs.rax;
	printf("# outcome ept_two_cpus exit %u other_values %lu gave_up %lu ap %lu flips %lu "
	       "final %s\n",
	       e.reason, bad, gave_up, ap_status, ap_flips,
	       last == MARK_READ2  ? "page1"
	       : last == MARK_READ ? "page0"
	                           : "other");
	CHECK(ap_status == AP_DONE, "the AP ended with status %lu", ap_status);
	CHECK(ap_flips == AP_FLIPS, "the AP flipped %lu times", ap_flips);
	CHECK(!bad, "L2 read %lu values of neither page (last 0x%lx)", bad, vcpu.gprs.rbx);
	CHECK(!gave_up, "L2 gave up waiting for the AP");
	CHECK(e.reason == EXIT_REASON_VMCALL && last == MARK_READ2,
	      "after the BSP's INVEPT: exit %u, read 0x%lx, want page 1's marker", e.reason, last);
	vmx_leave();
}
