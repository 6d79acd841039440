/*
 * Random L2 instruction streams under random L1 intercepts (issue 16):
 * per seeded stream, L1 picks which of HLT-free exits it takes (INVLPG,
 * RDTSC, CR3 loads and stores, PAUSE, unconditional I/O or I/O and MSR
 * bitmaps with random bits, CR0.TS owned or not), writes 5-20 random
 * instructions for its L2 (CPUID, RDMSR, WRMSR of FS base, IN/OUT of port
 * 0x80, MOV from/to CR3 and CR0, CLTS, INVLPG, RDTSC, PAUSE, HLT, UD2,
 * INT3) ending in VMCALL, and handles each exit as a small hypervisor
 * does, recording exit reason, qualification, instruction length and
 * interruption information. Bare on Bochs and as an L1 of Umbra the
 * records must agree: one "# outcome" hash per block of streams
 * (tests/system/compare-outcomes.sh); verbose=1 prints every exit.
 *   -- seed=S count=N block=B verbose=0|1
 */
#include "vmx.h"

PAYLOAD("l2_streams");

#define MSR_FS_BASE_ 0xc0000100
#define EXITS_MAX    64

static uint8_t code[1024] __attribute__((aligned(4096)));
static uint8_t io_a[4096] __attribute__((aligned(4096)));
static uint8_t io_b[4096] __attribute__((aligned(4096)));
static uint8_t msrs[4096] __attribute__((aligned(4096)));
static uint64_t rng_state;

static uint64_t rng(void)
{
	return splitmix64(&rng_state);
}

static uint64_t vmread(uint32_t f)
{
	uint64_t v = 0;

	vmx_vmread(f, &v);
	return v;
}

static unsigned int at;

static void emit(const uint8_t *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		code[at++] = b[i];
}

static void emit32(uint32_t v)
{
	for (int i = 0; i < 4; i++)
		code[at++] = (uint8_t)(v >> (8 * i));
}

/* The MSRs L2 reads: harmless, and each a bit L1 may set in its bitmap. */
static const uint32_t read_msrs[] = {0x10, 0x1b, 0x174, 0x277, 0xc0000080, MSR_FS_BASE_};

static void emit_insn(uint64_t r)
{
	switch (r % 14) {
	case 0: /* mov eax, leaf; xor ecx, ecx; cpuid */
		emit((const uint8_t[]){0xb8}, 1);
		emit32((uint32_t)(r >> 8) % 2 ? 0 : 1);
		emit((const uint8_t[]){0x31, 0xc9, 0x0f, 0xa2}, 4);
		break;
	case 1: /* mov ecx, msr; rdmsr */
		emit((const uint8_t[]){0xb9}, 1);
		emit32(read_msrs[(r >> 8) % 6]);
		emit((const uint8_t[]){0x0f, 0x32}, 2);
		break;
	case 2: /* mov ecx, FS_BASE; xor eax, eax; xor edx, edx; wrmsr */
		emit((const uint8_t[]){0xb9}, 1);
		emit32(MSR_FS_BASE_);
		emit((const uint8_t[]){0x31, 0xc0, 0x31, 0xd2, 0x0f, 0x30}, 6);
		break;
	case 3: emit((const uint8_t[]){0xe4, 0x80}, 2); break; /* in al, 0x80 */
	case 4: emit((const uint8_t[]){0xe6, 0x80}, 2); break; /* out 0x80, al */
	case 5: emit((const uint8_t[]){0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8}, 6); break; /* cr3 */
	case 6: emit((const uint8_t[]){0x0f, 0x20, 0xc0, 0x0f, 0x22, 0xc0}, 6); break; /* cr0 */
	case 7: emit((const uint8_t[]){0x0f, 0x06}, 2); break;                         /* clts */
	case 8: /* lea rax, [rip]; invlpg [rax] */
		emit((const uint8_t[]){0x48, 0x8d, 0x05, 0, 0, 0, 0, 0x0f, 0x01, 0x38}, 10);
		break;
	case 9: emit((const uint8_t[]){0x0f, 0x31}, 2); break;  /* rdtsc */
	case 10: emit((const uint8_t[]){0xf3, 0x90}, 2); break; /* pause */
	case 11: emit((const uint8_t[]){0xf4}, 1); break;       /* hlt (always intercepted) */
	case 12: emit((const uint8_t[]){0x0f, 0x0b}, 2); break; /* ud2 */
	default: emit((const uint8_t[]){0xcc}, 1); break;       /* int3 */
	}
}

static void set_bit(uint8_t *bm, uint32_t bit)
{
	bm[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* L1's intercepts for this stream: returns the processor-based controls. */
static uint32_t intercepts(void)
{
	static const uint32_t optional[] = {CPU_BASED_INVLPG_EXITING,   CPU_BASED_RDTSC_EXITING,
	                                    CPU_BASED_CR3_LOAD_EXITING, CPU_BASED_CR3_STORE_EXITING,
	                                    CPU_BASED_PAUSE_EXITING,    CPU_BASED_UNCOND_IO_EXITING,
	                                    CPU_BASED_USE_IO_BITMAPS,   CPU_BASED_USE_MSR_BITMAPS};
	uint32_t want = CPU_BASED_HLT_EXITING;
	uint64_t r = rng();

	for (unsigned int i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		if ((r >> i) & 1)
			want |= optional[i];
	memset(io_a, 0, sizeof(io_a));
	memset(io_b, 0, sizeof(io_b));
	memset(msrs, 0, sizeof(msrs));
	if ((r >> 10) & 1)
		set_bit(io_a, 0x80);
	for (unsigned int i = 0; i < 6; i++) {
		uint32_t m = read_msrs[i], base = m >= 0xc0000000 ? 1024 * 8 : 0;

		if ((r >> (11 + i)) & 1)
			set_bit(msrs, base + (m & 0x1fff)); /* read */
		if ((r >> (17 + i)) & 1)
			set_bit(msrs, 2048 * 8 + base + (m & 0x1fff)); /* write */
	}
	vmx_vmwrite(IO_BITMAP_A, (uintptr_t)io_a);
	vmx_vmwrite(IO_BITMAP_B, (uintptr_t)io_b);
	vmx_vmwrite(MSR_BITMAP, (uintptr_t)msrs);
	vmx_vmwrite(CR0_GUEST_HOST_MASK, (r >> 23) & 1 ? (1ULL << 3) : 0);
	vmx_vmwrite(CR0_READ_SHADOW, read_cr0() | ((r >> 24) & 1 ? (1ULL << 3) : 0));
	return vmx_controls(vmx_caps()->proc, want);
}

/* L1 handles an exit as a minimal hypervisor does; false when the stream ended. */
static bool handle(struct vmx_vcpu *v)
{
	uint32_t reason = v->exit_reason & 0xffff;
	uint64_t rip = v->guest_rip, len = v->exit_instruction_len;

	switch (reason) {
	case EXIT_REASON_VMCALL: return false;
	case EXIT_REASON_EXCEPTION_NMI:
		/* #UD (a fault: UD2 is 2 bytes); #BP, a software exception, has its length. */
		if ((vmread(VM_EXIT_INTR_INFO) & 0xff) == 6)
			len = 2;
		break;
	case EXIT_REASON_CPUID: v->gprs.rax = v->gprs.rbx = v->gprs.rcx = v->gprs.rdx = 0; break;
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_RDTSC: v->gprs.rax = v->gprs.rdx = 0; break;
	case EXIT_REASON_CR_ACCESS:
		/* MOV from CR3 into RAX: the value L2 would read. Writes are dropped. */
		if (((v->exit_qualification >> 4) & 3) == 1)
			v->gprs.rax = vmread(GUEST_CR3);
		break;
	default: break;
	}
	vmx_vmwrite(GUEST_RIP, rip + len);
	return true;
}

TEST(random_l2_streams)
{
	uint64_t seed = 1, count = 2000, block = 200, verbose = 0, hash = 0, exits_all = 0;
	const char *why;

	cmdline_get_u64("seed", &seed);
	cmdline_get_u64("count", &count);
	cmdline_get_u64("block", &block);
	cmdline_get_u64("verbose", &verbose);
	if (!block)
		block = 1;
	why = vmx_root_with_l2(vmx_l2_cpuid_vmcall);
	if (why)
		SKIP("%s", why);
	for (uint64_t s = 0; s < count; s++) {
		struct vmx_vcpu v = {0};
		struct vmx_result r;
		unsigned int n, exits = 0;

		rng_state = seed * 0x100000000ULL + s;
		why = vmx_fresh_l2_vmcs((void (*)(void))(uintptr_t)code);
		REQUIRE(!why, "stream %lu: %s", s, why);
		vmx_vmwrite(CPU_BASED_VM_EXEC_CONTROL, intercepts());
		at = 0;
		n = 5 + (unsigned int)(rng() % 16);
		for (unsigned int i = 0; i < n; i++)
			emit_insn(rng());
		emit((const uint8_t[]){0x0f, 0x01, 0xc1}, 3); /* vmcall */
		r = vmx_vmlaunch(&v);
		while (r.kind == VMX_OK && exits < EXITS_MAX) {
			uint32_t info = (v.exit_reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI
			                        ? (uint32_t)vmread(VM_EXIT_INTR_INFO)
			                        : 0;
			uint64_t at_insn = v.guest_rip - (uintptr_t)code;

			exits++;
			hash = fnv1a_fold(
			        fnv1a_fold(fnv1a_fold(fnv1a_fold(fnv1a_fold(hash, v.exit_reason),
			                                         v.exit_qualification),
			                              info ? 0 : v.exit_instruction_len),
			                   info),
			        at_insn);
			if (verbose)
				printf("# outcome stream%lu_exit%u reason %u qualification 0x%lx "
				       "length "
				       "%u info 0x%x at +%lu\n",
				       s, exits, v.exit_reason, v.exit_qualification,
				       info ? 0 : v.exit_instruction_len, info, at_insn);
			if (!handle(&v))
				break;
			r = vmx_vmresume(&v);
		}
		CHECK(r.kind == VMX_OK && exits < EXITS_MAX, "stream %lu: %s after %u exits", s,
		      vmx_result_kind_name(r.kind), exits);
		hash = fnv1a_fold(hash, r.kind);
		exits_all += exits;
		if (!verbose && ((s + 1) % block == 0 || s + 1 == count)) {
			printf("# outcome streams_block%lu 0x%016lx\n", s / block, hash);
			hash = 0;
		}
	}
	printf("# %lu streams, %lu exits\n", count, exits_all);
	vmx_leave();
}
