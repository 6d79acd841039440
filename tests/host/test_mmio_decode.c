/* Host tests of vcpu/mmio_decode.c: decoding the instruction behind an MMIO exit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vcpu/mmio_decode.h"

#define M16 MMIO_MODE_16
#define M32 MMIO_MODE_32
#define M64 MMIO_MODE_64
#define R   MMIO_DIR_READ
#define W   MMIO_DIR_WRITE

/* Flags of a case. */
#define H8  1 /* AH/CH/DH/BH */
#define ZX  2 /* MOVZX */
#define IMM 4 /* MOV m, imm */
#define RIP 8 /* RIP-relative */

/*
 * A valid instruction and what it decodes to. `as` is the AT&T source the
 * bytes were assembled from with the host's `as` (--64, --32, or --32 with
 * .code16, by mode); "" marks bytes encoded by hand (no assembler emits them).
 */
struct dcase {
	enum mmio_cpu_mode mode;
	const char *as;
	const char *hex;
	enum mmio_dir dir;
	uint8_t size, reg, reg_size;
	unsigned int flags;
	uint64_t imm;
	uint8_t addr_size;
};

static const struct dcase cases[] = {
        /* 64-bit mode: ModRM forms. */
        {M64, "mov %eax, 0x30(%rbx)", "89 43 30", W, 4, 0, 4, 0, 0, 8},
        {M64, "mov -0x80(%rbp), %esi", "8b 75 80", R, 4, 6, 4, 0, 0, 8},
        {M64, "mov (%r13), %eax", "41 8b 45 00", R, 4, 0, 4, 0, 0, 8},
        {M64, "mov 0x300(%rip), %ecx", "8b 0d 00 03 00 00", R, 4, 1, 4, RIP, 0, 8},
        {M64, "mov %r9d, (%rax)", "44 89 08", W, 4, 9, 4, 0, 0, 8},
        /* SIB: every mod, base 5 with and without a base, REX.X and REX.B. */
        {M64, "mov (%r12), %eax", "41 8b 04 24", R, 4, 0, 4, 0, 0, 8},
        {M64, "mov (%rax,%rcx), %ebx", "8b 1c 08", R, 4, 3, 4, 0, 0, 8},
        {M64, "mov 0x7f(%rsp), %eax", "8b 44 24 7f", R, 4, 0, 4, 0, 0, 8},
        {M64, "mov 0x12345678(%rax,%rbx,8), %edx", "8b 94 d8 78 56 34 12", R, 4, 2, 4, 0, 0, 8},
        {M64, "mov (%rbp,%rax), %eax", "8b 44 05 00", R, 4, 0, 4, 0, 0, 8},
        {M64, "mov (%r13,%rax), %eax", "41 8b 44 05 00", R, 4, 0, 4, 0, 0, 8},
        {M64, "mov (,%rax,2), %eax", "8b 04 45 00 00 00 00", R, 4, 0, 4, 0, 0, 8},
        /* mod 0, SIB base 5, REX.B: still no base (not r13), disp32. */
        {M64, "", "41 8b 04 05 00 00 e0 fe", R, 4, 0, 4, 0, 0, 8},
        {M64, "mov 0x10(%rax,%r11,4), %r15", "4e 8b 7c 98 10", R, 8, 15, 8, 0, 0, 8},
        {M64, "mov %r15, -0x7fffffff(%r14,%r15,8)", "4f 89 bc fe 01 00 00 80", W, 8, 15, 8, 0, 0,
         8},
        {M64, "mov %r9d, (%r12)", "45 89 0c 24", W, 4, 9, 4, 0, 0, 8},
        {M64, "mov %r12, (%rsp)", "4c 89 24 24", W, 8, 12, 8, 0, 0, 8},
        {M64, "mov %gs:(%rax), %rdx", "65 48 8b 10", R, 8, 2, 8, 0, 0, 8},
        /* Operand size: 66, and REX.W over 66. */
        {M64, "mov %ax, 0x20(%rdi)", "66 89 47 20", W, 2, 0, 2, 0, 0, 8},
        {M64, "mov %r8w, (%r9)", "66 45 89 01", W, 2, 8, 2, 0, 0, 8},
        {M64, "data16 mov %rax, (%rdi)", "66 48 89 07", W, 8, 0, 8, 0, 0, 8},
        /* A REX followed by a prefix is ignored; of two REX, the last counts. */
        {M64, "", "48 66 89 07", W, 2, 0, 2, 0, 0, 8},
        {M64, "", "44 2e 89 07", W, 4, 0, 4, 0, 0, 8},
        {M64, "", "4c 48 89 07", W, 8, 0, 8, 0, 0, 8},
        /* Byte registers: AH-BH without REX, SPL-DIL and R8B-R15B with. */
        {M64, "mov %al, (%rdi)", "88 07", W, 1, 0, 1, 0, 0, 8},
        {M64, "mov %ah, (%rdi)", "88 27", W, 1, 0, 1, H8, 0, 8},
        {M64, "mov %spl, (%rdi)", "40 88 27", W, 1, 4, 1, 0, 0, 8},
        {M64, "mov (%rsi), %bh", "8a 3e", R, 1, 3, 1, H8, 0, 8},
        {M64, "mov (%rax), %dh", "8a 30", R, 1, 2, 1, H8, 0, 8},
        {M64, "mov (%rax), %sil", "40 8a 30", R, 1, 6, 1, 0, 0, 8},
        {M64, "mov (%rsi), %r10b", "44 8a 16", R, 1, 10, 1, 0, 0, 8},
        {M64, "mov %dil, 0x4(%rip)", "40 88 3d 04 00 00 00", W, 1, 7, 1, RIP, 0, 8},
        {M64, "", "48 88 07", W, 1, 0, 1, 0, 0, 8}, /* REX.W leaves a byte op alone */
        /* Immediates. */
        {M64, "movb $0x5a, 0x10(%rdx)", "c6 42 10 5a", W, 1, 0, 0, IMM, 0x5a, 8},
        {M64, "movw $0x1234, (%rcx)", "66 c7 01 34 12", W, 2, 0, 0, IMM, 0x1234, 8},
        {M64, "movw $-2, 0x10(%rip)", "66 c7 05 10 00 00 00 fe ff", W, 2, 0, 0, IMM | RIP, 0xfffe,
         8},
        {M64, "movl $0x80000000, 0x300(%rbx)", "c7 83 00 03 00 00 00 00 00 80", W, 4, 0, 0, IMM,
         0x80000000, 8},
        {M64, "movl $0xfee00000, (%r13)", "41 c7 45 00 00 00 e0 fe", W, 4, 0, 0, IMM, 0xfee00000,
         8},
        {M64, "movq $-1, 0x8(%rax)", "48 c7 40 08 ff ff ff ff", W, 8, 0, 0, IMM,
         0xffffffffffffffffULL, 8},
        {M64, "movq $0x7fffffff, (%rax)", "48 c7 00 ff ff ff 7f", W, 8, 0, 0, IMM, 0x7fffffff, 8},
        {M64, "movq $-0x80000000, 0x11223344(%rip)", "48 c7 05 44 33 22 11 00 00 00 80", W, 8, 0, 0,
         IMM | RIP, 0xffffffff80000000ULL, 8},
        /* MOVZX. */
        {M64, "movzbl (%rax), %ecx", "0f b6 08", R, 1, 1, 4, ZX, 0, 8},
        {M64, "movzbw (%rax), %cx", "66 0f b6 08", R, 1, 1, 2, ZX, 0, 8},
        {M64, "movzwq 0x10(%r8), %r11", "4d 0f b7 58 10", R, 2, 11, 8, ZX, 0, 8},
        {M64, "movzwl (%r15,%r14,2), %r13d", "47 0f b7 2c 77", R, 2, 13, 4, ZX, 0, 8},
        {M64, "movzbq 0x1(%rip), %rax", "48 0f b6 05 01 00 00 00", R, 1, 0, 8, ZX | RIP, 0, 8},
        /* Segment overrides (ignored). */
        {M64, "mov %fs:0x10, %eax", "64 8b 04 25 10 00 00 00", R, 4, 0, 4, 0, 0, 8},
        {M64, "cs mov (%rbx), %eax", "2e 8b 03", R, 4, 0, 4, 0, 0, 8},
        {M64, "mov %es:(%rdi), %eax", "26 8b 07", R, 4, 0, 4, 0, 0, 8},
        {M64, "ds mov (%rsi), %ecx", "3e 8b 0e", R, 4, 1, 4, 0, 0, 8},
        {M64, "", "36 8b 54 24 10", R, 4, 2, 4, 0, 0, 8}, /* ss: as refuses it in 64-bit mode */
        /* Address size 67: 32-bit addressing, EIP-relative. */
        {M64, "addr32 mov (%eax), %ecx", "67 8b 08", R, 4, 1, 4, 0, 0, 4},
        {M64, "mov 0x10(%eip), %eax", "67 8b 05 10 00 00 00", R, 4, 0, 4, RIP, 0, 4},
        /* moffs: 8 bytes, 4 with 67. */
        {M64, "mov %rax, 0xfee00320", "48 a3 20 03 e0 fe 00 00 00 00", W, 8, 0, 8, 0, 0, 8},
        {M64, "movabs %eax, 0xfee000b0", "a3 b0 00 e0 fe 00 00 00 00", W, 4, 0, 4, 0, 0, 8},
        {M64, "movabs 0xfee00030, %al", "a0 30 00 e0 fe 00 00 00 00", R, 1, 0, 1, 0, 0, 8},
        {M64, "addr32 mov %eax, 0xfee000b0", "67 a3 b0 00 e0 fe", W, 4, 0, 4, 0, 0, 4},
        /* 15 bytes, the most allowed. */
        {M64, "", "2e 2e 2e 2e 2e 2e 2e 2e c7 40 10 78 56 34 12", W, 4, 0, 0, IMM, 0x12345678, 8},

        /* 32-bit mode. */
        {M32, "mov %eax, 0x30(%ebx)", "89 43 30", W, 4, 0, 4, 0, 0, 4},
        {M32, "mov 0xfee00020, %ecx", "8b 0d 20 00 e0 fe", R, 4, 1, 4, 0, 0, 4},
        {M32, "mov (%ebp), %edx", "8b 55 00", R, 4, 2, 4, 0, 0, 4},
        {M32, "mov (%esp), %eax", "8b 04 24", R, 4, 0, 4, 0, 0, 4},
        {M32, "mov 0x0(,%eax,4), %ebx", "8b 1c 85 00 00 00 00", R, 4, 3, 4, 0, 0, 4},
        {M32, "mov 0x100(%esp,%esi,2), %edi", "8b bc 74 00 01 00 00", R, 4, 7, 4, 0, 0, 4},
        {M32, "mov %ch, 0x8(%ebp)", "88 6d 08", W, 1, 1, 1, H8, 0, 4},
        {M32, "mov %ax, (%ebx)", "66 89 03", W, 2, 0, 2, 0, 0, 4},
        {M32, "movzwl 0xfee00300, %edx", "0f b7 15 00 03 e0 fe", R, 2, 2, 4, ZX, 0, 4},
        {M32, "movzbw (%ecx), %bx", "66 0f b6 19", R, 1, 3, 2, ZX, 0, 4},
        {M32, "movb $0x80, (%esi)", "c6 06 80", W, 1, 0, 0, IMM, 0x80, 4},
        {M32, "movw $0xbeef, 4(%edi)", "66 c7 47 04 ef be", W, 2, 0, 0, IMM, 0xbeef, 4},
        {M32, "movl $0xffffffff, 0xfee00380", "c7 05 80 03 e0 fe ff ff ff ff", W, 4, 0, 0, IMM,
         0xffffffff, 4},
        {M32, "mov %eax, 0xfee000b0", "a3 b0 00 e0 fe", W, 4, 0, 4, 0, 0, 4},
        {M32, "mov 0xfee00030, %al", "a0 30 00 e0 fe", R, 1, 0, 1, 0, 0, 4},
        {M32, "mov %ax, 0xfee00310", "66 a3 10 03 e0 fe", W, 2, 0, 2, 0, 0, 4},
        {M32, "mov %gs:0x14, %eax", "65 a1 14 00 00 00", R, 4, 0, 4, 0, 0, 4},
        /* 67: 16-bit addressing. */
        {M32, "addr16 mov 0x10(%bx), %eax", "67 8b 47 10", R, 4, 0, 4, 0, 0, 2},
        {M32, "addr16 mov 0x1234, %ecx", "67 8b 0e 34 12", R, 4, 1, 4, 0, 0, 2},
        {M32, "addr16 mov %edx, (%bp,%si)", "67 89 12", W, 4, 2, 4, 0, 0, 2},
        {M32, "addr16 mov 0x1234, %eax", "67 a1 34 12", R, 4, 0, 4, 0, 0, 2},
        {M32, "addr16 movw $0xabcd, 0x1234", "67 66 c7 06 34 12 cd ab", W, 2, 0, 0, IMM, 0xabcd, 2},

        /* 16-bit mode. */
        {M16, "mov %ax, (%bx)", "89 07", W, 2, 0, 2, 0, 0, 2},
        {M16, "mov (%si), %bl", "8a 1c", R, 1, 3, 1, 0, 0, 2},
        {M16, "mov %ah, (%bx)", "88 27", W, 1, 0, 1, H8, 0, 2},
        {M16, "mov 0x300, %bx", "8b 1e 00 03", R, 2, 3, 2, 0, 0, 2},
        {M16, "mov (%bp), %ax", "8b 46 00", R, 2, 0, 2, 0, 0, 2},
        {M16, "mov 0x10(%bx,%si), %cx", "8b 48 10", R, 2, 1, 2, 0, 0, 2},
        {M16, "mov -0x80(%bx,%di), %sp", "8b 61 80", R, 2, 4, 2, 0, 0, 2},
        {M16, "mov 0x1(%bp,%si), %dl", "8a 52 01", R, 1, 2, 1, 0, 0, 2},
        {M16, "mov 0x1234(%bp,%di), %dx", "8b 93 34 12", R, 2, 2, 2, 0, 0, 2},
        {M16, "mov 0x1234(%bp), %ax", "8b 86 34 12", R, 2, 0, 2, 0, 0, 2},
        {M16, "mov %eax, (%bx)", "66 89 07", W, 4, 0, 4, 0, 0, 2},
        {M16, "mov 0x300, %ax", "a1 00 03", R, 2, 0, 2, 0, 0, 2},
        {M16, "movb $0xab, 0x1234", "c6 06 34 12 ab", W, 1, 0, 0, IMM, 0xab, 2},
        {M16, "movw $0xabcd, 0x1234", "c7 06 34 12 cd ab", W, 2, 0, 0, IMM, 0xabcd, 2},
        {M16, "movl $0x12345678, (%bx)", "66 c7 07 78 56 34 12", W, 4, 0, 0, IMM, 0x12345678, 2},
        {M16, "movzbw (%bx), %ax", "0f b6 07", R, 1, 0, 2, ZX, 0, 2},
        {M16, "movzbl -2(%di), %esi", "66 0f b6 75 fe", R, 1, 6, 4, ZX, 0, 2},
        /* 67: 32-bit addressing, with SIB, in 16-bit mode. */
        {M16, "addr32 mov %ax, (%ebx)", "67 89 03", W, 2, 0, 2, 0, 0, 4},
        {M16, "addr32 mov (%esp), %ax", "67 8b 04 24", R, 2, 0, 2, 0, 0, 4},
        {M16, "addr32 mov 0xfee00300, %cx", "67 8b 0d 00 03 e0 fe", R, 2, 1, 2, 0, 0, 4},
        {M16, "mov 0x8(%esp), %eax", "67 66 8b 44 24 08", R, 4, 0, 4, 0, 0, 4},
        {M16, "mov %eax, 0xfee00300(,%ecx,4)", "67 66 89 04 8d 00 03 e0 fe", W, 4, 0, 4, 0, 0, 4},
        {M16, "addr32 mov %eax, 0xfee00300", "67 66 a3 00 03 e0 fe", W, 4, 0, 4, 0, 0, 4},
};

/* Fails naming the case when a != b (cmocka's asserts cannot say which table row failed). */
#define EXPECT_EQ(a, b, what)                                                     \
	do {                                                                      \
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                  \
		if (a_ != b_)                                                     \
			fail_msg("%s: %s = %#llx, expected %#llx", what, #a,      \
			         (unsigned long long)a_, (unsigned long long)b_); \
	} while (0)

static size_t parse_hex(const char *hex, uint8_t *out)
{
	size_t n = 0;

	while (*hex) {
		char *end;
		unsigned long v = strtoul(hex, &end, 16);

		assert_true(end != hex && v <= 0xff && n < MMIO_INSN_MAX_LEN + 2);
		out[n++] = (uint8_t)v;
		hex = end;
		while (*hex == ' ')
			hex++;
	}
	return n;
}

static void check_case(const struct dcase *c, const struct mmio_insn *in, size_t len)
{
	EXPECT_EQ(in->len, len, c->hex);
	EXPECT_EQ(in->dir, c->dir, c->hex);
	EXPECT_EQ(in->size, c->size, c->hex);
	EXPECT_EQ(in->high8, !!(c->flags & H8), c->hex);
	EXPECT_EQ(in->zero_extend, !!(c->flags & ZX), c->hex);
	EXPECT_EQ(in->has_imm, !!(c->flags & IMM), c->hex);
	EXPECT_EQ(in->rip_relative, !!(c->flags & RIP), c->hex);
	EXPECT_EQ(in->addr_size, c->addr_size, c->hex);
	if (c->flags & IMM) {
		EXPECT_EQ(in->imm, c->imm, c->hex);
	} else {
		EXPECT_EQ(in->reg, c->reg, c->hex);
		EXPECT_EQ(in->reg_size, c->reg_size, c->hex);
	}
}

static void test_valid_encodings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dcase *c = &cases[i];
		uint8_t buf[MMIO_INSN_MAX_LEN + 2];
		size_t len = parse_hex(c->hex, buf);
		struct mmio_insn in;
		int rc;

		rc = mmio_decode(buf, len, c->mode, &in);
		EXPECT_EQ(rc, 0, c->hex);
		check_case(c, &in, len);

		/* Trailing bytes change nothing. */
		memset(buf + len, 0xcc, sizeof(buf) - len);
		rc = mmio_decode(buf, sizeof(buf), c->mode, &in);
		EXPECT_EQ(rc, 0, c->hex);
		check_case(c, &in, len);
	}
}

/* Every prefix of every valid instruction is short; fetching what is asked converges. */
static void test_short_buffers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dcase *c = &cases[i];
		uint8_t buf[MMIO_INSN_MAX_LEN + 2];
		size_t len = parse_hex(c->hex, buf);
		struct mmio_insn in;

		for (size_t avail = 0; avail < len; avail++) {
			int rc = mmio_decode(buf, avail, c->mode, &in);

			EXPECT_EQ(rc, MMIO_DECODE_ESHORT, c->hex);
			EXPECT_EQ(in.len > avail && in.len <= len, 1, c->hex);
			assert_non_null(in.error);
		}
		size_t avail = 0;
		int steps = 0;
		while (mmio_decode(buf, avail, c->mode, &in) == MMIO_DECODE_ESHORT) {
			avail = in.len;
			assert_true(++steps <= MMIO_INSN_MAX_LEN);
		}
		EXPECT_EQ(avail, len, c->hex);
	}
}

/* What a short buffer asks for, once the ModRM/SIB bytes say how long the rest is. */
static void test_short_buffer_lengths(void **state)
{
	(void)state;
	static const struct {
		enum mmio_cpu_mode mode;
		const char *hex;
		uint8_t need;
	} s[] = {
	        {M64, "48", 2},          /* REX, then the opcode */
	        {M64, "0f", 2},          /* the 0F escape */
	        {M64, "8b", 2},          /* ModRM */
	        {M64, "8b 84", 7},       /* SIB + disp32 (mod 2) */
	        {M64, "8b 84 24", 7},    /* SIB + disp32 */
	        {M64, "8b 04", 3},       /* SIB */
	        {M64, "8b 04 25", 7},    /* SIB base 5, mod 0: disp32 */
	        {M64, "8b 04 24", 3},    /* (complete) */
	        {M64, "c7 05", 10},      /* RIP-relative disp32 + imm32 */
	        {M64, "48 c7 44", 5},    /* SIB, disp8, imm32: at least the SIB */
	        {M64, "48 c7 44 24", 9}, /* SIB, disp8, imm32 */
	        {M64, "a3", 9},          /* moffs64 */
	        {M64, "67 a1", 6},       /* moffs32 */
	        {M16, "c7 06", 6},       /* disp16 + imm16 */
	        {M16, "8b 46", 3},       /* disp8 */
	        {M16, "a1", 3},          /* moffs16 */
	        {M32, "67 8b 06", 5},    /* 16-bit addressing: disp16 */
	        {M32, "66 c7 00", 5},    /* imm16 */
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		uint8_t buf[MMIO_INSN_MAX_LEN + 2];
		size_t n = parse_hex(s[i].hex, buf);
		struct mmio_insn in;
		int rc = mmio_decode(buf, n, s[i].mode, &in);

		if (s[i].need == n) {
			EXPECT_EQ(rc, 0, s[i].hex);
			EXPECT_EQ(in.len, n, s[i].hex);
		} else {
			EXPECT_EQ(rc, MMIO_DECODE_ESHORT, s[i].hex);
			EXPECT_EQ(in.len, s[i].need, s[i].hex);
		}
	}
}

static void test_refusals(void **state)
{
	(void)state;
	static const struct {
		enum mmio_cpu_mode mode;
		const char *hex;
		int rc;
	} r[] = {
	        {M64, "f0 89 07", MMIO_DECODE_EPREFIX},             /* lock mov */
	        {M64, "f3 89 07", MMIO_DECODE_EPREFIX},             /* rep */
	        {M64, "f2 89 07", MMIO_DECODE_EPREFIX},             /* repne */
	        {M64, "66 f0 89 07", MMIO_DECODE_EPREFIX},          /* after another prefix */
	        {M64, "48 f3 89 07", MMIO_DECODE_EPREFIX},          /* after a REX */
	        {M32, "f3 a5", MMIO_DECODE_EPREFIX},                /* rep movsl */
	        {M16, "f3 ab", MMIO_DECODE_EPREFIX},                /* rep stosw */
	        {M64, "89 c0", MMIO_DECODE_EREGISTER},              /* mov %eax, %eax */
	        {M64, "8a e0", MMIO_DECODE_EREGISTER},              /* mov %al, %ah */
	        {M64, "0f b6 c0", MMIO_DECODE_EREGISTER},           /* movzbl %al, %eax */
	        {M64, "c7 c0 01 00 00 00", MMIO_DECODE_EREGISTER},  /* mov $1, %eax */
	        {M16, "89 d8", MMIO_DECODE_EREGISTER},              /* mov %bx, %ax */
	        {M64, "c7 48 10 00 00 00 00", MMIO_DECODE_EOPCODE}, /* C7 /1 */
	        {M64, "c6 78 10 00", MMIO_DECODE_EOPCODE},          /* C6 /7 */
	        {M64, "01 07", MMIO_DECODE_EOPCODE},                /* add %eax, (%rdi) */
	        {M64, "8d 07", MMIO_DECODE_EOPCODE},                /* lea */
	        {M64, "0f be 07", MMIO_DECODE_EOPCODE},             /* movsbl */
	        {M64, "0f bf 07", MMIO_DECODE_EOPCODE},             /* movswl */
	        {M64, "0f 10 07", MMIO_DECODE_EOPCODE},             /* movups */
	        {M64, "48 63 07", MMIO_DECODE_EOPCODE},             /* movslq */
	        {M64, "a4", MMIO_DECODE_EOPCODE},                   /* movsb */
	        {M64, "ff 37", MMIO_DECODE_EOPCODE},                /* push (%rdi) */
	        {M64, "87 07", MMIO_DECODE_EOPCODE},                /* xchg */
	        {M64, "c5 fa 6f 07", MMIO_DECODE_EOPCODE},          /* vmovdqu (VEX) */
	        {M32, "40 89 07", MMIO_DECODE_EOPCODE},             /* inc %eax: no REX here */
	        {M16, "48 8b 07", MMIO_DECODE_EOPCODE},             /* dec %ax */
	        {M64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 89 07", MMIO_DECODE_ETOOLONG},
	        {M64, "2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e", MMIO_DECODE_ETOOLONG},
	        {M64, "2e 2e 2e 2e 2e 2e 2e 2e 2e c7 40 10 78 56 34 12", MMIO_DECODE_ETOOLONG},
	        /* Known too long from the ModRM on, however few bytes are there. */
	        {M64, "2e 2e 2e 2e 2e 2e 2e 2e 2e c7 40", MMIO_DECODE_ETOOLONG},
	        {M64, "2e 2e 2e 2e 2e 2e 2e 2e 2e c7", MMIO_DECODE_ESHORT},
	};

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		uint8_t buf[MMIO_INSN_MAX_LEN + 2];
		size_t n = parse_hex(r[i].hex, buf);
		struct mmio_insn in;
		int rc;

		rc = mmio_decode(buf, n, r[i].mode, &in);
		EXPECT_EQ(rc, r[i].rc, r[i].hex);
		assert_non_null(in.error);
		assert_true(in.error[0] != '\0');
	}
}

static void test_bad_mode_and_error_strings(void **state)
{
	(void)state;
	static const uint8_t mov[] = {0x89, 0x07};
	static const int codes[] = {MMIO_DECODE_ESHORT,   MMIO_DECODE_EOPCODE,
	                            MMIO_DECODE_EPREFIX,  MMIO_DECODE_EREGISTER,
	                            MMIO_DECODE_ETOOLONG, MMIO_DECODE_EMODE};
	struct mmio_insn in;

	assert_int_equal(mmio_decode(mov, sizeof(mov), (enum mmio_cpu_mode)7, &in),
	                 MMIO_DECODE_EMODE);
	assert_string_equal(mmio_decode_error(0), "ok");
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = mmio_decode_error(codes[i]);

		assert_true(codes[i] < 0);
		assert_string_not_equal(s, "unknown error");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s, mmio_decode_error(codes[j]));
	}
	assert_string_equal(mmio_decode_error(-100), "unknown error");
}

static struct mmio_insn decode(enum mmio_cpu_mode mode, const char *hex)
{
	uint8_t buf[MMIO_INSN_MAX_LEN + 2];
	size_t n = parse_hex(hex, buf);
	struct mmio_insn in;

	assert_int_equal(mmio_decode(buf, n, mode, &in), 0);
	return in;
}

static void test_store_value(void **state)
{
	(void)state;
	const uint64_t rax = 0x1122334455667788ULL;

	assert_int_equal(mmio_insn_store_value((struct mmio_insn[]){decode(M64, "89 43 30")}, rax),
	                 0x55667788); /* mov %eax */
	assert_int_equal(mmio_insn_store_value((struct mmio_insn[]){decode(M64, "48 89 07")}, rax),
	                 rax); /* mov %rax */
	assert_int_equal(mmio_insn_store_value((struct mmio_insn[]){decode(M64, "66 89 07")}, rax),
	                 0x7788); /* mov %ax */
	assert_int_equal(mmio_insn_store_value((struct mmio_insn[]){decode(M64, "88 07")}, rax),
	                 0x88); /* mov %al */
	assert_int_equal(mmio_insn_store_value((struct mmio_insn[]){decode(M64, "88 27")}, rax),
	                 0x77); /* mov %ah */
	assert_int_equal(mmio_insn_store_value((struct mmio_insn[]){decode(M64, "40 88 27")}, rax),
	                 0x88); /* mov %spl: the low byte of RSP */
	/* Immediates: the register value does not count. */
	assert_int_equal(
	        mmio_insn_store_value((struct mmio_insn[]){decode(M64, "c6 42 10 5a")}, rax), 0x5a);
	assert_int_equal(mmio_insn_store_value(
	                         (struct mmio_insn[]){decode(M64, "48 c7 40 08 fe ff ff ff")}, rax),
	                 0xfffffffffffffffeULL);
	assert_int_equal(mmio_insn_store_value(
	                         (struct mmio_insn[]){decode(M64, "c7 40 08 fe ff ff ff")}, rax),
	                 0xfffffffe);
}

static void test_load_result(void **state)
{
	(void)state;
	const uint64_t old = 0x1122334455667788ULL, mem = 0xfedcba9876543210ULL;

	/* mov (%rdi), %eax: 32-bit writes clear bits 63:32. */
	assert_int_equal(
	        mmio_insn_load_result((struct mmio_insn[]){decode(M64, "8b 07")}, old, mem),
	        0x76543210);
	assert_int_equal(
	        mmio_insn_load_result((struct mmio_insn[]){decode(M64, "48 8b 07")}, old, mem),
	        mem);
	/* mov (%rdi), %ax / %al / %ah keep the rest. */
	assert_int_equal(
	        mmio_insn_load_result((struct mmio_insn[]){decode(M64, "66 8b 07")}, old, mem),
	        0x1122334455663210ULL);
	assert_int_equal(
	        mmio_insn_load_result((struct mmio_insn[]){decode(M64, "8a 07")}, old, mem),
	        0x1122334455667710ULL);
	assert_int_equal(
	        mmio_insn_load_result((struct mmio_insn[]){decode(M64, "8a 27")}, old, mem),
	        0x1122334455661088ULL);
	/* movzbl / movzbw / movzwq. */
	assert_int_equal(
	        mmio_insn_load_result((struct mmio_insn[]){decode(M64, "0f b6 07")}, old, 0xfff0),
	        0xf0);
	assert_int_equal(mmio_insn_load_result((struct mmio_insn[]){decode(M64, "66 0f b6 07")},
	                                       old, 0xfff0),
	                 0x11223344556600f0ULL);
	assert_int_equal(
	        mmio_insn_load_result((struct mmio_insn[]){decode(M64, "48 0f b7 07")}, old, mem),
	        0x3210);
	/* 16-bit mode: mov (%bx), %eax (66) clears 63:32 too; mov (%bx), %ax keeps it. */
	assert_int_equal(
	        mmio_insn_load_result((struct mmio_insn[]){decode(M16, "66 8b 07")}, old, mem),
	        0x76543210);
	assert_int_equal(
	        mmio_insn_load_result((struct mmio_insn[]){decode(M16, "8b 07")}, old, mem),
	        0x1122334455663210ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_valid_encodings),
	        cmocka_unit_test(test_short_buffers),
	        cmocka_unit_test(test_short_buffer_lengths),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_bad_mode_and_error_strings),
	        cmocka_unit_test(test_store_value),
	        cmocka_unit_test(test_load_result),
	};
	return cmocka_run_group_tests_name("mmio_decode", tests, NULL, NULL);
}
