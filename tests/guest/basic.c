/*
 * The virtual platform as a guest sees it: Umbra's CPUID leaves and
 * filtering, COM1, every hypercall and its errors, the exit statistics,
 * and the RAM the memory map promises. Bare (QEMU -kernel, GRUB) the tests
 * that need Umbra skip and the rest still run. Built twice: `basic` with a
 * Multiboot1 header, `basic_mb2` with a Multiboot2 one (PAYLOAD_MULTIBOOT).
 */
#include "payload.h"

/* The Makefile says which header it linked: mb1_header.S (1) or mb2_header.S (2). */
#if PAYLOAD_MULTIBOOT == 2
PAYLOAD("basic_mb2");
#elif PAYLOAD_MULTIBOOT == 1
PAYLOAD("basic");
#else
#error "build with -DPAYLOAD_MULTIBOOT=1 or 2 (the Makefile does)"
#endif

#define COM1_LSR           0x3fd
#define UART_LSR_THRE      0x20
#define EXIT_REASON_CPUID  10
#define EXIT_REASON_VMCALL 18
#define CPUID_PROBES       37 /* any count; odd, so an off-by-one cannot hide */
#define UNKNOWN_HYPERCALL  0x5a5a
/* Umbra's default and rounding for mem= (docs/guest-abi.md). */
#define RAM_ALIGN (2ULL << 20)
/* Usable RAM Umbra describes: [0, 0x9FC00) and [1 MiB, RAM size). */
#define LOW_RAM_END    0x9fc00
#define HIGH_RAM_START (1ULL << 20)

static struct umbra_exit_stats stats_a, stats_b;

/* basic_mb2 is this file with a Multiboot2 header: Umbra must start it by that protocol. */
TEST(boot_protocol)
{
	unsigned int got = bootinfo_protocol();

	printf("# started by Multiboot%u, built for Multiboot%d\n", got, PAYLOAD_MULTIBOOT);
	REQUIRE_UMBRA();
	CHECK(got == PAYLOAD_MULTIBOOT, "started by Multiboot%u, want Multiboot%d", got,
	      PAYLOAD_MULTIBOOT);
}

TEST(boot_loader_is_umbra)
{
	REQUIRE_UMBRA();
	CHECK(!memcmp(bootinfo_loader_name(), "Umbra", sizeof("Umbra")),
	      "boot loader name \"%s\", want \"Umbra\"", bootinfo_loader_name());
}

TEST(cpuid_hypervisor_bit)
{
	REQUIRE_UMBRA();
	CHECK(cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR, "CPUID.1:ECX bit 31 is clear");
}

TEST(cpuid_signature)
{
	struct cpuid_regs r;
	char sig[12];

	REQUIRE_UMBRA();
	r = cpuid(UMBRA_CPUID_SIGNATURE_LEAF, 0);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	CHECK(r.eax == UMBRA_CPUID_MAX_LEAF, "max hypervisor leaf 0x%x, want 0x%x", r.eax,
	      UMBRA_CPUID_MAX_LEAF);
	/* All 12 bytes, the two NULs included. */
	CHECK(!memcmp(sig, UMBRA_CPUID_SIGNATURE, sizeof(sig)),
	      "signature %08x:%08x:%08x, want \"UmbraUmbra\\0\\0\"", r.ebx, r.ecx, r.edx);
}

TEST(cpuid_abi_version)
{
	uint32_t v;

	REQUIRE_UMBRA();
	v = cpuid(UMBRA_CPUID_VERSION_LEAF, 0).eax;
	CHECK(v == UMBRA_ABI_VERSION, "CPUID 0x40000001 EAX %u, want %u", v, UMBRA_ABI_VERSION);
}

TEST(cpuid_vmx_hidden)
{
	/* Bare on a VMX-capable CPU the bit is rightly set: only Umbra must hide it. */
	REQUIRE_UMBRA();
	CHECK(!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX), "CPUID.1:ECX.VMX (bit 5) is set");
}

TEST(com1_ready)
{
	uint8_t lsr;

	/* Everything printed so far has left, so the transmitter must be empty. */
	serial_flush();
	lsr = inb(COM1_LSR);
	CHECK(lsr & UART_LSR_THRE, "COM1 LSR 0x%02x lacks THRE", lsr);
}

TEST(hypercall_version)
{
	long v;

	REQUIRE_UMBRA();
	v = umbra_hypercall(UMBRA_HC_VERSION, 0, 0, 0);
	CHECK(v == UMBRA_ABI_VERSION, "VERSION returned %ld, want %u", v, UMBRA_ABI_VERSION);
}

TEST(hypercall_console_write)
{
	/* A whole KTAP diagnostic line, so it reads well on Umbra's console too. */
	static const char line[] = "# basic: console write hypercall\n";
	long ret;

	REQUIRE_UMBRA();
	ret = umbra_hypercall(UMBRA_HC_CONSOLE_WRITE, (uintptr_t)line, sizeof(line) - 1, 0);
	CHECK(ret == (long)(sizeof(line) - 1), "CONSOLE_WRITE returned %ld, want %zu", ret,
	      sizeof(line) - 1);
}

TEST(hypercall_unknown)
{
	long ret;

	REQUIRE_UMBRA();
	ret = umbra_hypercall(UNKNOWN_HYPERCALL, 0, 0, 0);
	CHECK(ret == UMBRA_ENOSYS, "hypercall 0x%x returned %ld, want %d", UNKNOWN_HYPERCALL, ret,
	      UMBRA_ENOSYS);
	/* The first number past the table: where an off-by-one would show. */
	ret = umbra_hypercall(UMBRA_HC_COUNT, 0, 0, 0);
	CHECK(ret == UMBRA_ENOSYS, "hypercall %d returned %ld, want %d", UMBRA_HC_COUNT, ret,
	      UMBRA_ENOSYS);
}

TEST(console_write_too_long)
{
	static const char buf[UMBRA_CONSOLE_WRITE_MAX + 1];
	long ret;

	REQUIRE_UMBRA();
	ret = umbra_hypercall(UMBRA_HC_CONSOLE_WRITE, (uintptr_t)buf, sizeof(buf), 0);
	CHECK(ret == UMBRA_EINVAL, "CONSOLE_WRITE of %zu bytes returned %ld, want %d", sizeof(buf),
	      ret, UMBRA_EINVAL);
}

TEST(console_write_outside_ram)
{
	uint64_t top = mem_ram_top();
	long ret;

	REQUIRE_UMBRA();
	ret = umbra_hypercall(UMBRA_HC_CONSOLE_WRITE, top, 16, 0);
	CHECK(ret == UMBRA_EFAULT, "CONSOLE_WRITE at 0x%lx (RAM top) returned %ld, want %d", top,
	      ret, UMBRA_EFAULT);
	/* Straddling the end: the first bytes are RAM, the rest is not. */
	ret = umbra_hypercall(UMBRA_HC_CONSOLE_WRITE, top - 8, 16, 0);
	CHECK(ret == UMBRA_EFAULT, "CONSOLE_WRITE of [0x%lx, 0x%lx) returned %ld, want %d", top - 8,
	      top + 8, ret, UMBRA_EFAULT);
}

TEST(exit_stats_bad_arguments)
{
	uint64_t top = mem_ram_top();
	long ret;

	REQUIRE_UMBRA();
	ret = umbra_hypercall(UMBRA_HC_EXIT_STATS, (uintptr_t)&stats_a, sizeof(stats_a) - 1, 0);
	CHECK(ret == UMBRA_EINVAL, "EXIT_STATS with size %zu returned %ld, want %d",
	      sizeof(stats_a) - 1, ret, UMBRA_EINVAL);
	ret = umbra_hypercall(UMBRA_HC_EXIT_STATS, (uintptr_t)&stats_a, 0, 0);
	CHECK(ret == UMBRA_EINVAL, "EXIT_STATS with size 0 returned %ld, want %d", ret,
	      UMBRA_EINVAL);
	ret = umbra_hypercall(UMBRA_HC_EXIT_STATS, top - 16, sizeof(stats_a), 0);
	CHECK(ret == UMBRA_EFAULT, "EXIT_STATS at 0x%lx (past RAM) returned %ld, want %d", top - 16,
	      ret, UMBRA_EFAULT);
}

TEST(exit_stats_contents)
{
	struct umbra_exit_stats *s = &stats_a;
	uint64_t sum = 0;
	long ret;

	REQUIRE_UMBRA();
	cpuid(0, 0); /* at least one CPUID exit, whatever ran before */
	memset(s, 0xff, sizeof(*s));
	ret = umbra_exit_stats(s);
	REQUIRE(ret == 0, "EXIT_STATS returned %ld", ret);
	CHECK(s->version == UMBRA_ABI_VERSION, "version %u, want %u", s->version,
	      UMBRA_ABI_VERSION);
	CHECK(s->reasons == UMBRA_EXIT_REASONS, "reasons %u, want %u", s->reasons,
	      UMBRA_EXIT_REASONS);
	CHECK(s->reason[EXIT_REASON_CPUID].exits > 0, "no CPUID exits counted");
	/* This call's own VMCALL exit is counted before the copy. */
	CHECK(s->reason[EXIT_REASON_VMCALL].exits > 0, "no VMCALL exits counted");
	/* Every exit lands in exactly one bucket. */
	for (unsigned int i = 0; i < UMBRA_EXIT_REASONS; i++)
		sum += s->reason[i].exits;
	CHECK(sum == s->total_exits, "per-reason exits add up to %lu, total_exits %lu", sum,
	      s->total_exits);
	printf("# exits so far: total %lu, CPUID %lu, VMCALL %lu\n", s->total_exits,
	       s->reason[EXIT_REASON_CPUID].exits, s->reason[EXIT_REASON_VMCALL].exits);
}

TEST(exit_stats_count_cpuid)
{
	uint64_t cpuids, vmcalls;
	long ret;

	REQUIRE_UMBRA();
	ret = umbra_exit_stats(&stats_a);
	REQUIRE(ret == 0, "first EXIT_STATS returned %ld", ret);
	/* Nothing but CPUID between the two calls: no output, no other exit. */
	for (int i = 0; i < CPUID_PROBES; i++)
		cpuid(0, 0);
	ret = umbra_exit_stats(&stats_b);
	REQUIRE(ret == 0, "second EXIT_STATS returned %ld", ret);
	cpuids = stats_b.reason[EXIT_REASON_CPUID].exits - stats_a.reason[EXIT_REASON_CPUID].exits;
	vmcalls =
	        stats_b.reason[EXIT_REASON_VMCALL].exits - stats_a.reason[EXIT_REASON_VMCALL].exits;
	CHECK(cpuids == CPUID_PROBES, "CPUID exits grew by %lu, want %d", cpuids, CPUID_PROBES);
	/* Each call counts its own exit, so between two of them: just the second one. */
	CHECK(vmcalls == 1, "VMCALL exits grew by %lu, want 1", vmcalls);
}

/* A value no other address gets (within 4 GiB), so aliased pages show. */
static uint64_t pattern(uint64_t addr, uint64_t flip)
{
	return (addr * 0x9e3779b97f4a7c15ULL) ^ flip;
}

struct span {
	uint64_t start, end;
};

/*
 * The usable RAM the tests may overwrite: the memory map minus our image
 * (code, data, bss with page tables and stack), within the mapped 4 GiB.
 */
static unsigned int free_spans(struct span *out, unsigned int max)
{
	uint64_t img_start = payload_image_start(), img_end = payload_image_end();
	unsigned int n = 0;

	for (unsigned int i = 0; i < mem_usable_count; i++) {
		uint64_t s = (mem_usable[i].start + 7) & ~7ULL, e = mem_usable[i].end;

		if (e > PAYLOAD_MAPPED_END)
			e = PAYLOAD_MAPPED_END;
		e &= ~7ULL;
		if (s < img_end && e > img_start) {
			if (s < img_start && n < max)
				out[n++] = (struct span){s, img_start};
			s = img_end;
		}
		if (s < e && n < max)
			out[n++] = (struct span){s, e};
	}
	return n;
}

/* Writes every span before reading any back: a write through an alias would show. */
static uint64_t pattern_pass(const struct span *sp, unsigned int n, uint64_t flip)
{
	uint64_t bad = 0;

	for (unsigned int i = 0; i < n; i++)
		for (uint64_t a = sp[i].start; a < sp[i].end; a += 8)
			*(volatile uint64_t *)(uintptr_t)a = pattern(a, flip);
	for (unsigned int i = 0; i < n; i++) {
		for (uint64_t a = sp[i].start; a < sp[i].end; a += 8) {
			uint64_t got = *(volatile uint64_t *)(uintptr_t)a;

			if (got != pattern(a, flip) && !bad++)
				test_fail(__LINE__, "at 0x%lx wrote 0x%016lx, read 0x%016lx", a,
				          pattern(a, flip), got);
		}
	}
	return bad;
}

TEST(ram_pattern)
{
	struct span sp[MEM_MAX_RANGES + 1];
	unsigned int n = free_spans(sp, MEM_MAX_RANGES + 1);
	uint64_t bytes = 0, bad;

	REQUIRE(n > 0, "the memory map leaves no RAM outside the image");
	for (unsigned int i = 0; i < n; i++)
		bytes += sp[i].end - sp[i].start;
	/* Both polarities, so a bit stuck at 0 or at 1 fails one of them. */
	bad = pattern_pass(sp, n, 0);
	bad += pattern_pass(sp, n, ~0ULL);
	CHECK(bad == 0, "%lu of %lu words read back wrong", bad, bytes / 8 * 2);
	printf("# wrote and read back %lu KiB in %u spans, twice\n", bytes >> 10, n);
}

/* The RAM its VM was given (mem=, Umbra's) is repeated as ram= after "--", for the guest. */
TEST(ram_size_matches_mem)
{
	uint64_t want;

	/* Bare, the emulator's own -m decides the RAM size, not mem=. */
	REQUIRE_UMBRA();
	if (!cmdline_get_u64("ram", &want))
		SKIP("no ram= to check the RAM size against");
	want = (want + RAM_ALIGN - 1) & ~(RAM_ALIGN - 1);
	CHECK(mem_ram_top() == want, "RAM top 0x%lx, want 0x%lx (mem= on the command line)",
	      mem_ram_top(), want);
}

TEST(memory_map_layout)
{
	REQUIRE_UMBRA();
	REQUIRE(mem_usable_count == 2, "%u usable ranges, want 2", mem_usable_count);
	CHECK(mem_usable[0].start == 0 && mem_usable[0].end == LOW_RAM_END,
	      "low range [0x%lx, 0x%lx), want [0, 0x%x)", mem_usable[0].start, mem_usable[0].end,
	      LOW_RAM_END);
	CHECK(mem_usable[1].start == HIGH_RAM_START, "high range starts at 0x%lx, want 0x%llx",
	      mem_usable[1].start, HIGH_RAM_START);
}
