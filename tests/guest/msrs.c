/*
 * The MSRs of the virtual CPU, as hardware answers (issue 12): which MSRs
 * exist over the architectural ranges (one "# outcome" line for each that
 * reads; every other one must #GP, never end the VM), and how the ones a
 * PC kernel writes behave: IA32_TSC, IA32_TSC_ADJUST, IA32_MISC_ENABLE,
 * the MTRRs, the machine-check globals. Bare on Bochs the same lines are
 * the reference (tests/system/compare-outcomes.sh), with the divergences
 * listed in tests/system/msrs-divergences.txt.
 */
#include "payload.h"

PAYLOAD("msrs");

#define MSR_IA32_TSC          0x10
#define MSR_IA32_TSC_ADJUST   0x3b
#define MSR_IA32_MTRRCAP      0xfe
#define MSR_IA32_MCG_CAP      0x179
#define MSR_IA32_MCG_STATUS   0x17a
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_MTRR_PHYSBASE0    0x200
#define MSR_MTRR_PHYSMASK0    0x201
#define MSR_MTRR_FIX64K_00000 0x250
#define MSR_MTRR_FIX4K_C0000  0x268
#define MSR_IA32_MTRR_DEF     0x2ff
#define LEAF7_EBX_TSC_ADJUST  (1u << 1)
#define LEAF1_EDX_MTRR        (1u << 12)
#define MISC_FAST_STRINGS     1ULL

struct msr_range {
	uint32_t first, count;
};

/* The low and high ranges of the MSR bitmap, and the hypervisor range. */
static const struct msr_range ranges[] = {
        {0x0, 0x2000},
        {0x40000000, 0x100},
        {0xc0000000, 0x2000},
};

static uint32_t msr_index;
static uint64_t msr_value;

static void rdmsr_fn(void *arg)
{
	(void)arg;
	msr_value = rdmsr(msr_index);
}

static void wrmsr_fn(void *arg)
{
	(void)arg;
	wrmsr(msr_index, msr_value);
}

/* The vector RDMSR of msr raised (-1: none); the value into *val. */
static int try_rdmsr(uint32_t msr, uint64_t *val)
{
	int vec;

	msr_index = msr;
	vec = catch_exception(rdmsr_fn, NULL, NULL);
	if (val)
		*val = msr_value;
	return vec;
}

static int try_wrmsr(uint32_t msr, uint64_t val)
{
	msr_index = msr;
	msr_value = val;
	return catch_exception(wrmsr_fn, NULL, NULL);
}

static const char *outcome(int vec)
{
	return vec < 0 ? "ok" : exception_name((unsigned int)vec);
}

TEST(msr_existence)
{
	uint32_t present = 0, other = 0;

	for (unsigned int r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		for (uint32_t i = 0; i < ranges[r].count; i++) {
			uint32_t msr = ranges[r].first + i;
			int vec = try_rdmsr(msr, NULL);

			if (vec < 0) {
				printf("# outcome rdmsr_0x%x ok\n", msr);
				present++;
			} else if (vec != 13) {
				CHECK(false, "RDMSR 0x%x raised %s, not #GP", msr,
				      exception_name(vec));
				other++;
			}
		}
	}
	printf("# %u MSRs read, the others raised #GP\n", present);
	CHECK(present > 0 && other == 0, "%u present, %u raised something else", present, other);
}

/* A write of the TSC moves the TSC there and, where it exists, TSC_ADJUST by as much. */
TEST(tsc_write_moves_the_tsc)
{
	bool has_adjust = cpuid(7, 0).ebx & LEAF7_EBX_TSC_ADJUST;
	uint64_t adj0 = 0, adj1 = 0, before = rdtsc(), target = before + (1ULL << 40), after;
	int vec;

	if (has_adjust)
		try_rdmsr(MSR_IA32_TSC_ADJUST, &adj0);
	vec = try_wrmsr(MSR_IA32_TSC, target);
	after = rdtsc();
	printf("# outcome wrmsr_tsc %s\n", outcome(vec));
	REQUIRE(vec < 0, "WRMSR IA32_TSC raised %s", exception_name(vec));
	CHECK(after >= target && after - target < (1ULL << 30), "TSC 0x%lx after writing 0x%lx",
	      after, target);
	if (has_adjust) {
		try_rdmsr(MSR_IA32_TSC_ADJUST, &adj1);
		/* Moved by what the write added, less the little time the write took. */
		CHECK(adj1 - adj0 <= (1ULL << 40) && adj1 - adj0 > (1ULL << 40) - (1ULL << 30),
		      "TSC_ADJUST moved by 0x%lx for a TSC write of +0x%llx", adj1 - adj0,
		      1ULL << 40);
	}
	/* And back: TSC_ADJUST written moves the TSC by the difference. */
	if (has_adjust) {
		before = rdtsc();
		vec = try_wrmsr(MSR_IA32_TSC_ADJUST, adj0);
		after = rdtsc();
		printf("# outcome wrmsr_tsc_adjust %s\n", outcome(vec));
		CHECK(vec < 0 && before - after > (1ULL << 40) - (1ULL << 30) &&
		              before - after <= (1ULL << 40),
		      "TSC 0x%lx -> 0x%lx after TSC_ADJUST back to 0x%lx", before, after, adj0);
	}
}

TEST(misc_enable_fast_strings)
{
	uint64_t v, back;
	int vec = try_rdmsr(MSR_IA32_MISC_ENABLE, &v);

	printf("# outcome rd_misc_enable %s\n", outcome(vec));
	if (vec >= 0)
		SKIP("no IA32_MISC_ENABLE (Bochs has none; every Intel CPU since the Pentium 4 "
		     "has)");
	printf("# outcome wr_misc_enable_same %s\n", outcome(try_wrmsr(MSR_IA32_MISC_ENABLE, v)));
	vec = try_wrmsr(MSR_IA32_MISC_ENABLE, v ^ MISC_FAST_STRINGS);
	try_rdmsr(MSR_IA32_MISC_ENABLE, &back);
	printf("# outcome wr_misc_enable_fast_strings %s %s\n", outcome(vec),
	       back == (v ^ MISC_FAST_STRINGS) ? "kept" : "not kept");
	try_wrmsr(MSR_IA32_MISC_ENABLE, v);
	/* Bit 1 is reserved on every Intel CPU. */
	printf("# outcome wr_misc_enable_reserved %s\n",
	       outcome(try_wrmsr(MSR_IA32_MISC_ENABLE, v | 2)));
}

static void mtrr_write(const char *label, uint32_t msr, uint64_t val, bool read_back)
{
	uint64_t old = 0, back = 0;
	int vec;

	try_rdmsr(msr, &old);
	vec = try_wrmsr(msr, val);
	try_rdmsr(msr, &back);
	printf("# outcome %s %s%s\n", label, outcome(vec),
	       !read_back || vec >= 0 ? "" : (back == val ? " kept" : " not kept"));
	try_wrmsr(msr, old);
}

TEST(mtrrs)
{
	uint64_t cap = 0, def = 0;
	unsigned int vcnt;

	if (!(cpuid(1, 0).edx & LEAF1_EDX_MTRR))
		SKIP("no MTRRs in CPUID");
	REQUIRE(try_rdmsr(MSR_IA32_MTRRCAP, &cap) < 0, "RDMSR MTRRCAP faulted");
	vcnt = cap & 0xff;
	printf("# outcome mtrrcap_fixed %s\n", (cap & (1 << 8)) ? "yes" : "no");
	CHECK(vcnt >= 1, "MTRRCAP 0x%lx: no variable MTRRs", cap);
	REQUIRE(try_rdmsr(MSR_IA32_MTRR_DEF, &def) < 0, "RDMSR MTRR_DEF_TYPE faulted");
	/* Every variable pair MTRRCAP counts exists, and no more (up to 10 by the SDM's MSR map). */
	for (unsigned int i = 0; i < 10; i++) {
		bool counted = i < vcnt;
		bool base = try_rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i, NULL) < 0;
		bool mask = try_rdmsr(MSR_MTRR_PHYSMASK0 + 2 * i, NULL) < 0;

		CHECK(base == counted && mask == counted,
		      "variable MTRR %u: counted %d, reads %d/%d", i, counted, base, mask);
	}
	mtrr_write("mtrr_def_wb", MSR_IA32_MTRR_DEF, 0xc06, true);
	mtrr_write("mtrr_def_uc_fixed_off", MSR_IA32_MTRR_DEF, 0x800, true);
	mtrr_write("mtrr_def_type_2", MSR_IA32_MTRR_DEF, 0xc02, false);
	mtrr_write("mtrr_def_type_7", MSR_IA32_MTRR_DEF, 0xc07, false);
	mtrr_write("mtrr_def_reserved_bit9", MSR_IA32_MTRR_DEF, 0xe06, false);
	mtrr_write("mtrr_def_reserved_bit12", MSR_IA32_MTRR_DEF, 0x1c06, false);
	mtrr_write("mtrr_base0_wc", MSR_MTRR_PHYSBASE0, 0x80000001, true);
	mtrr_write("mtrr_base0_type_3", MSR_MTRR_PHYSBASE0, 0x80000003, false);
	mtrr_write("mtrr_base0_reserved_bit8", MSR_MTRR_PHYSBASE0, 0x80000106, false);
	mtrr_write("mtrr_base0_past_maxphyaddr", MSR_MTRR_PHYSBASE0, 1ULL << 52 | 6, false);
	mtrr_write("mtrr_mask0_valid", MSR_MTRR_PHYSMASK0, 0xff0000800ULL, true);
	mtrr_write("mtrr_mask0_reserved_bit0", MSR_MTRR_PHYSMASK0, 0xff0000801ULL, false);
	mtrr_write("mtrr_fix64k_all_wb", MSR_MTRR_FIX64K_00000, 0x0606060606060606ULL, true);
	mtrr_write("mtrr_fix64k_one_type_2", MSR_MTRR_FIX64K_00000, 0x0606060606020606ULL, false);
	mtrr_write("mtrr_fix4k_uc_wp", MSR_MTRR_FIX4K_C0000, 0x0005000500050005ULL, true);
	/* And DEF_TYPE was left as it was found. */
	uint64_t def_after = 0;

	try_rdmsr(MSR_IA32_MTRR_DEF, &def_after);
	CHECK(def_after == def, "MTRR_DEF_TYPE 0x%lx after, 0x%lx before", def_after, def);
}

/* A #GP pushes RFLAGS with RF set (SDM 6.12.1), Umbra's injected one too. */
TEST(gp_pushes_rf)
{
	struct exc_info info;
	int vec;

	msr_index = 0x38f; /* IA32_PERF_GLOBAL_CTRL: no performance monitoring here */
	vec = catch_exception(rdmsr_fn, NULL, &info);
	printf("# outcome gp_rf %s %s\n", outcome(vec),
	       vec >= 0 && (info.rflags & (1u << 16)) ? "set" : "clear");
	CHECK(vec == 13 && (info.rflags & (1u << 16)), "RDMSR 0x38f: %s, RFLAGS 0x%lx",
	      outcome(vec), vec >= 0 ? info.rflags : 0);
}

TEST(machine_check_globals)
{
	uint64_t cap = 0;
	int vec = try_rdmsr(MSR_IA32_MCG_CAP, &cap);

	printf("# outcome rd_mcg_cap %s\n", outcome(vec));
	printf("# outcome wr_mcg_cap %s\n", outcome(try_wrmsr(MSR_IA32_MCG_CAP, cap)));
	printf("# outcome wr_mcg_status_0 %s\n", outcome(try_wrmsr(MSR_IA32_MCG_STATUS, 0)));
	printf("# outcome wr_mcg_status_1 %s\n", outcome(try_wrmsr(MSR_IA32_MCG_STATUS, 1)));
}
