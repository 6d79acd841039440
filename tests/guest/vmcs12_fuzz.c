/*
 * Differential VM-entry fuzzing (issue 16): from the valid VMCS every
 * nested payload starts with, 1-3 random boundary mutations drawn from the
 * SDM's VM-entry checks (chapter 26), then VMLAUNCH; the outcome class is
 * recorded: VMfailInvalid, VMfailValid with its number, an entry-failure
 * exit (33, 34) with its qualification, or the entry's success with L2's
 * first exit (reason, qualification, interruption information).
 *
 * Run bare on Bochs and as an L1 of Umbra with the same seed, the runs must
 * agree: a case with one mutation exactly, one with several up to the
 * qualification (the SDM orders the check classes, not the checks within a
 * class). The outcomes of each block of cases are folded into one hash,
 * printed as an "# outcome" line the harness compares
 * (tests/system/compare-outcomes.sh); verbose=1 prints every case and its
 * mutations instead, to find and reduce one that differs (make fuzz).
 *
 *   -- seed=S count=N block=B verbose=0|1 first=I
 *
 * Only mutations whose outcome both CPUs define alike are drawn: a control
 * bit is set only where this CPU's capabilities forbid it (or cleared where
 * they require it), host state is only ever made invalid (a VM exit that
 * loaded it would leave the payload on a broken CPU state), and no
 * activity state either CPU could accept. Known Bochs bugs are left out
 * (docs/bochs.md): guest RIP bits 63:48.
 */
#include "vmx.h"

PAYLOAD("vmcs12_fuzz");

#define NONCANONICAL   0x0000800000000000ULL
#define MUTATIONS_MAX  3
#define COUNT_DEFAULT  10000
#define BLOCK_DEFAULT  500
#define INTR_VALID     (1u << 31)
#define INTR_HAS_ERROR (1u << 11)

enum op {
	OP_XOR_BIT,     /* flip one bit of `bits` (a mask) */
	OP_SET,         /* one of values[] */
	OP_DISALLOWED,  /* set a control bit the capability forbids; cap_index names it */
	OP_MUST_CLEAR,  /* clear a control bit the capability requires */
	OP_NONCANON,    /* a non-canonical address */
	OP_BEYOND_PHYS, /* a page address past MAXPHYADDR */
	OP_MISALIGNED,  /* a valid page address plus 8: the low bits are reserved */
	OP_INTR_INFO,   /* a random event to inject: type, vector, error-code bit, reserved bits */
};

struct target {
	const char *name;
	uint32_t field;
	enum op op;
	uint64_t bits;      /* OP_XOR_BIT */
	uint64_t values[3]; /* OP_SET (0 ends the list unless first) */
	uint32_t enable;    /* a processor-based control the field needs set (0: none) */
};

enum cap { CAP_PIN, CAP_PROC, CAP_EXIT, CAP_ENTRY };

#define LOW(n)  ((n) >= 64 ? ~0ULL : (1ULL << (n)) - 1)
#define HIGH32  0xffffffff00000000ULL
#define SELBITS 0x7ULL /* RPL and TI */
#define ARBITS  0xffffffffULL

static const struct target targets[] = {
        /* Controls: VMfailValid(7). */
        {"pin_disallowed", CAP_PIN, OP_DISALLOWED, 0, {0}, 0},
        {"pin_must_clear", CAP_PIN, OP_MUST_CLEAR, 0, {0}, 0},
        {"proc_disallowed", CAP_PROC, OP_DISALLOWED, 0, {0}, 0},
        {"proc_must_clear", CAP_PROC, OP_MUST_CLEAR, 0, {0}, 0},
        {"exit_disallowed", CAP_EXIT, OP_DISALLOWED, 0, {0}, 0},
        {"exit_must_clear", CAP_EXIT, OP_MUST_CLEAR, 0, {0}, 0},
        {"entry_disallowed", CAP_ENTRY, OP_DISALLOWED, 0, {0}, 0},
        {"entry_must_clear", CAP_ENTRY, OP_MUST_CLEAR, 0, {0}, 0},
        {"cr3_target_count", CR3_TARGET_COUNT, OP_SET, 0, {5, 0x10, 0xffff}, 0},
        {"entry_intr_info", VM_ENTRY_INTR_INFO_FIELD, OP_INTR_INFO, 0, {0}, 0},
        {"entry_insn_len", VM_ENTRY_INSTRUCTION_LEN, OP_SET, 0, {0, 16, 0xff}, 0},
        {"io_bitmap_a_misaligned", IO_BITMAP_A, OP_MISALIGNED, 0, {0}, CPU_BASED_USE_IO_BITMAPS},
        {"io_bitmap_b_beyond", IO_BITMAP_B, OP_BEYOND_PHYS, 0, {0}, CPU_BASED_USE_IO_BITMAPS},
        {"msr_bitmap_misaligned", MSR_BITMAP, OP_MISALIGNED, 0, {0}, CPU_BASED_USE_MSR_BITMAPS},
        {"msr_bitmap_beyond", MSR_BITMAP, OP_BEYOND_PHYS, 0, {0}, CPU_BASED_USE_MSR_BITMAPS},
        {"entry_msr_load_misaligned", VM_ENTRY_MSR_LOAD_ADDR, OP_MISALIGNED, 0, {0}, 0},
        {"exit_msr_store_beyond", VM_EXIT_MSR_STORE_ADDR, OP_BEYOND_PHYS, 0, {0}, 0},
        {"exit_msr_load_misaligned", VM_EXIT_MSR_LOAD_ADDR, OP_MISALIGNED, 0, {0}, 0},
        /* Host state, only ever made invalid: VMfailValid(8). */
        {"host_cr0", HOST_CR0, OP_XOR_BIT, (1ULL << 0) | (1ULL << 31), {0}, 0},
        {"host_cr4", HOST_CR4, OP_XOR_BIT, (1ULL << 13) | (1ULL << 5), {0}, 0},
        {"host_cr3", HOST_CR3, OP_BEYOND_PHYS, 0, {0}, 0},
        {"host_es_sel", HOST_ES_SELECTOR, OP_XOR_BIT, SELBITS, {0}, 0},
        {"host_cs_sel", HOST_CS_SELECTOR, OP_SET, 0, {0}, 0},
        {"host_ss_sel", HOST_SS_SELECTOR, OP_XOR_BIT, SELBITS, {0}, 0},
        {"host_ds_sel", HOST_DS_SELECTOR, OP_XOR_BIT, SELBITS, {0}, 0},
        {"host_tr_sel", HOST_TR_SELECTOR, OP_SET, 0, {0}, 0},
        {"host_fs_base", HOST_FS_BASE, OP_NONCANON, 0, {0}, 0},
        {"host_gs_base", HOST_GS_BASE, OP_NONCANON, 0, {0}, 0},
        {"host_tr_base", HOST_TR_BASE, OP_NONCANON, 0, {0}, 0},
        {"host_gdtr_base", HOST_GDTR_BASE, OP_NONCANON, 0, {0}, 0},
        {"host_idtr_base", HOST_IDTR_BASE, OP_NONCANON, 0, {0}, 0},
        {"host_rip", HOST_RIP, OP_NONCANON, 0, {0}, 0},
        {"host_sysenter_esp", HOST_IA32_SYSENTER_ESP, OP_NONCANON, 0, {0}, 0},
        {"host_sysenter_eip", HOST_IA32_SYSENTER_EIP, OP_NONCANON, 0, {0}, 0},
        /* Guest state: exit 33 (or an entry that works and an L2 exit). */
        {"guest_cr0",
         GUEST_CR0,
         OP_XOR_BIT,
         (1ULL << 0) | (1ULL << 5) | (1ULL << 31) | (1ULL << 29),
         {0},
         0},
        {"guest_cr4", GUEST_CR4, OP_XOR_BIT, (1ULL << 13) | (1ULL << 5), {0}, 0},
        {"guest_cr3", GUEST_CR3, OP_BEYOND_PHYS, 0, {0}, 0},
        {"guest_dr7", GUEST_DR7, OP_XOR_BIT, HIGH32, {0}, 0},
        {"guest_rflags",
         GUEST_RFLAGS,
         OP_XOR_BIT,
         (1ULL << 1) | (1ULL << 3) | (1ULL << 5) | (1ULL << 15) | (1ULL << 17) | (LOW(64) << 22),
         {0},
         0},
        {"guest_cs_ar", GUEST_CS_AR_BYTES, OP_XOR_BIT, ARBITS, {0}, 0},
        {"guest_ss_ar", GUEST_SS_AR_BYTES, OP_XOR_BIT, ARBITS, {0}, 0},
        {"guest_ds_ar", GUEST_DS_AR_BYTES, OP_XOR_BIT, ARBITS, {0}, 0},
        {"guest_es_ar", GUEST_ES_AR_BYTES, OP_XOR_BIT, ARBITS, {0}, 0},
        {"guest_fs_ar", GUEST_FS_AR_BYTES, OP_XOR_BIT, ARBITS, {0}, 0},
        {"guest_ldtr_ar", GUEST_LDTR_AR_BYTES, OP_XOR_BIT, ARBITS, {0}, 0},
        {"guest_tr_ar", GUEST_TR_AR_BYTES, OP_XOR_BIT, ARBITS, {0}, 0},
        {"guest_cs_sel", GUEST_CS_SELECTOR, OP_XOR_BIT, SELBITS, {0}, 0},
        {"guest_ss_sel", GUEST_SS_SELECTOR, OP_XOR_BIT, SELBITS, {0}, 0},
        {"guest_tr_sel", GUEST_TR_SELECTOR, OP_XOR_BIT, SELBITS, {0}, 0},
        {"guest_ldtr_sel", GUEST_LDTR_SELECTOR, OP_XOR_BIT, SELBITS, {0}, 0},
        {"guest_cs_limit", GUEST_CS_LIMIT, OP_XOR_BIT, LOW(32), {0}, 0},
        {"guest_ss_limit", GUEST_SS_LIMIT, OP_XOR_BIT, LOW(32), {0}, 0},
        {"guest_tr_limit", GUEST_TR_LIMIT, OP_XOR_BIT, LOW(32), {0}, 0},
        {"guest_ds_base", GUEST_DS_BASE, OP_XOR_BIT, HIGH32, {0}, 0},
        {"guest_ss_base", GUEST_SS_BASE, OP_XOR_BIT, HIGH32, {0}, 0},
        {"guest_cs_base", GUEST_CS_BASE, OP_XOR_BIT, HIGH32, {0}, 0},
        {"guest_fs_base", GUEST_FS_BASE, OP_NONCANON, 0, {0}, 0},
        {"guest_tr_base", GUEST_TR_BASE, OP_NONCANON, 0, {0}, 0},
        {"guest_ldtr_base", GUEST_LDTR_BASE, OP_NONCANON, 0, {0}, 0},
        {"guest_gdtr_base", GUEST_GDTR_BASE, OP_NONCANON, 0, {0}, 0},
        {"guest_idtr_base", GUEST_IDTR_BASE, OP_NONCANON, 0, {0}, 0},
        {"guest_gdtr_limit", GUEST_GDTR_LIMIT, OP_XOR_BIT, LOW(32) & ~LOW(16), {0}, 0},
        {"guest_idtr_limit", GUEST_IDTR_LIMIT, OP_XOR_BIT, LOW(32) & ~LOW(16), {0}, 0},
        {"guest_activity", GUEST_ACTIVITY_STATE, OP_SET, 0, {4, 5, 0xffffffff}, 0},
        {"guest_interruptibility", GUEST_INTERRUPTIBILITY_INFO, OP_XOR_BIT, LOW(32), {0}, 0},
        {"guest_pending_dbg",
         GUEST_PENDING_DBG_EXCEPTIONS,
         OP_XOR_BIT,
         (1ULL << 12) | (1ULL << 13) | (1ULL << 15),
         {0},
         0},
        {"guest_link_pointer", VMCS_LINK_POINTER, OP_SET, 0, {0, 1, 0x1000}, 0},
        {"guest_debugctl",
         GUEST_IA32_DEBUGCTL,
         OP_XOR_BIT,
         (0xfULL << 2) | (LOW(64) & ~LOW(16)),
         {0},
         0},
        {"guest_sysenter_esp", GUEST_SYSENTER_ESP, OP_NONCANON, 0, {0}, 0},
        {"guest_sysenter_eip", GUEST_SYSENTER_EIP, OP_NONCANON, 0, {0}, 0},
};
#define TARGETS (sizeof(targets) / sizeof(targets[0]))

static uint64_t rng_state;

static uint64_t rng(void)
{
	return splitmix64(&rng_state);
}

/* The n-th set bit of mask (n taken modulo the count); 0 if the mask is empty. */
static uint64_t nth_bit(uint64_t mask, uint64_t n)
{
	unsigned int count = 0;

	for (uint64_t m = mask; m; m &= m - 1)
		count++;
	if (!count)
		return 0;
	n %= count;
	while (n--)
		mask &= mask - 1;
	return mask & -mask;
}

static uint64_t cap_of(unsigned int which)
{
	const struct vmx_caps *c = vmx_caps();

	return which == CAP_PIN    ? c->pin
	       : which == CAP_PROC ? c->proc
	       : which == CAP_EXIT ? c->exit
	                           : c->entry;
}

static const uint32_t cap_field[] = {PIN_BASED_VM_EXEC_CONTROL, CPU_BASED_VM_EXEC_CONTROL,
                                     VM_EXIT_CONTROLS, VM_ENTRY_CONTROLS};

static uint64_t vmread(uint32_t field)
{
	uint64_t v = 0;

	vmx_vmread(field, &v);
	return v;
}

static uint64_t page_beyond(uint64_t r)
{
	return (1ULL << vmx_caps()->maxphyaddr) | ((r & 0xff) << 12);
}

static uint8_t valid_page[4096] __attribute__((aligned(4096)));

/* One mutation, from two random numbers; prints it when verbose. */
static void mutate(const struct target *t, uint64_t r, bool verbose)
{
	uint32_t field = t->field;
	uint64_t v;

	if (t->op == OP_DISALLOWED || t->op == OP_MUST_CLEAR) {
		uint64_t cap = cap_of(t->field);
		uint32_t allowed0 = (uint32_t)cap, allowed1 = (uint32_t)(cap >> 32);

		field = cap_field[t->field];
		v = vmread(field);
		if (t->op == OP_DISALLOWED)
			v |= nth_bit(~(uint64_t)allowed1 & 0xffffffffULL, r);
		else
			v &= ~nth_bit(allowed0, r);
	} else {
		if (t->enable)
			vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL,
			            vmread(CPU_BASED_VM_EXEC_CONTROL) | t->enable);
		switch (t->op) {
		case OP_XOR_BIT: v = vmread(field) ^ nth_bit(t->bits, r); break;
		case OP_SET: v = t->values[r % 3]; break;
		case OP_NONCANON: v = NONCANONICAL | ((r & 0xffff) << 12); break;
		case OP_BEYOND_PHYS: v = page_beyond(r); break;
		case OP_MISALIGNED: v = (uintptr_t)valid_page + 16 * (r & 0xff) + 8; break;
		case OP_INTR_INFO: {
			/*
			 * Always an event the entry must refuse (VMfailValid 7): a
			 * valid one is delivered through L2's IDT, which is the
			 * payload's own, without an exit (the exception bitmap does
			 * not apply to injected events). Never "other event" (7):
			 * Bochs panics on it (docs/bochs.md).
			 */
			uint32_t vector = (uint32_t)(r >> 8) & 0xff,
			         err = ((r >> 17) & 1) ? INTR_HAS_ERROR : 0;

			switch (r % 4) {
			case 0:
				v = INTR_VALID | (1u << 8) | vector | err;
				break; /* reserved type */
			case 1:
				v = INTR_VALID | (3u << 8) | (vector | 0x20) | err;
				break; /* vector > 31 */
			case 2:
				v = INTR_VALID | (2u << 8) | (vector | 0x80) | err;
				break; /* NMI not 2 */
			default:
				v = INTR_VALID | (3u << 8) | (vector & 31) | err |
				    (1u << (12 + (r >> 20) % 19));
				break; /* reserved bit */
			}
			break;
		}
		default: v = 0; break;
		}
		/* The MSR lists need a count to be checked. */
		if (field == VM_ENTRY_MSR_LOAD_ADDR)
			vmx_vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 1);
		if (field == VM_EXIT_MSR_STORE_ADDR)
			vmx_vmwrite(VM_EXIT_MSR_STORE_COUNT, 1);
		if (field == VM_EXIT_MSR_LOAD_ADDR)
			vmx_vmwrite(VM_EXIT_MSR_LOAD_COUNT, 1);
	}
	vmx_vmwrite(field, v);
	if (verbose)
		printf("#   %s: field 0x%x := 0x%lx\n", t->name, field, v);
}

/* The outcome class of one VMLAUNCH, as words (qualification dropped when asked). */
static uint64_t classify(struct vmx_result r, const struct vmx_vcpu *v, bool with_qual, char *buf,
                         size_t size)
{
	uint64_t h = fnv1a_fold(0xcbf29ce484222325ULL, (uint64_t)r.kind << 32 | r.error);

	if (r.kind != VMX_OK) {
		vmx_result_format(buf, size, r);
		return h;
	}
	uint64_t qual = with_qual ? v->exit_qualification : 0;
	uint32_t info = 0;

	if ((v->exit_reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI)
		info = (uint32_t)vmread(VM_EXIT_INTR_INFO);
	h = fnv1a_fold(fnv1a_fold(fnv1a_fold(h, v->exit_reason), qual), info);
	snprintf(buf, size, "exit 0x%x qualification 0x%lx info 0x%x", v->exit_reason, qual, info);
	return h;
}

TEST(vmcs12_differential_fuzz)
{
	uint64_t seed = 1, count = COUNT_DEFAULT, block = BLOCK_DEFAULT, verbose = 0, first = 0;
	uint64_t hash = 0, singles = 0, entered = 0;
	const char *why;

	cmdline_get_u64("seed", &seed);
	cmdline_get_u64("count", &count);
	cmdline_get_u64("block", &block);
	cmdline_get_u64("verbose", &verbose);
	cmdline_get_u64("first", &first);
	if (!block)
		block = 1;
	why = vmx_root_with_l2(vmx_l2_cpuid_vmcall);
	if (why)
		SKIP("%s", why);
	printf("# seed %lu, %lu cases from %lu, %u mutation targets\n", seed, count, first,
	       (unsigned int)TARGETS);
	for (uint64_t i = first; i < first + count; i++) {
		struct vmx_vcpu v = {0};
		struct vmx_result r;
		char buf[96];
		unsigned int n;

		/* Each case its own stream: any case can be rerun alone (first=, count=1). */
		rng_state = seed * 0x100000000ULL + i;
		n = 1 + (unsigned int)(rng() % MUTATIONS_MAX);
		why = vmx_fresh_l2_vmcs(vmx_l2_cpuid_vmcall);
		REQUIRE(!why, "case %lu: %s", i, why);
		if (verbose)
			printf("# case %lu: %u mutation%s\n", i, n, n == 1 ? "" : "s");
		for (unsigned int m = 0; m < n; m++) {
			uint64_t pick = rng();

			mutate(&targets[pick % TARGETS], rng(), verbose);
		}
		r = vmx_vmlaunch(&v);
		singles += n == 1;
		entered += r.kind == VMX_OK && !(v.exit_reason & VM_ENTRY_FAILURE);
		hash = fnv1a_fold(hash, classify(r, &v, n == 1, buf, sizeof(buf)));
		if (verbose)
			printf("# outcome fuzz%lu %s\n", i, buf);
		if (!verbose && ((i - first + 1) % block == 0 || i + 1 == first + count)) {
			printf("# outcome fuzz_block%lu 0x%016lx\n", (i - first) / block, hash);
			hash = 0;
		}
	}
	printf("# %lu cases, %lu with one mutation, %lu entered L2\n", count, singles, entered);
	vmx_leave();
}
