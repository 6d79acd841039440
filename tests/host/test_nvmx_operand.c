/* Host tests of nested/nvmx_operand.c: VMX instruction operands from the exit information. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nested/nvmx_operand.h"

/* Builds an instruction-information value (SDM layout). */
static uint32_t info(unsigned scale, unsigned reg1, unsigned asz, int is_reg, unsigned seg,
                     int index, int base, unsigned reg2)
{
	uint32_t v = scale | (reg1 << 3) | (asz << 7) | (is_reg ? 1u << 10 : 0) | (seg << 15) |
	             (reg2 << 28);

	v |= index < 0 ? 1u << 22 : (uint32_t)index << 18;
	v |= base < 0 ? 1u << 27 : (uint32_t)base << 23;
	return v;
}

static void test_decode_fields(void **state)
{
	(void)state;
	struct nvmx_insn_info ii;

	nvmx_insn_info_decode(info(3, 5, 2, 0, 3, 6, 7, 9), &ii);
	assert_int_equal(ii.scaling, 3);
	assert_int_equal(ii.reg1, 5);
	assert_int_equal(ii.addr_size, 2);
	assert_true(ii.mem);
	assert_int_equal(ii.segment, 3);
	assert_int_equal(ii.index, 6);
	assert_true(ii.index_valid);
	assert_int_equal(ii.base, 7);
	assert_true(ii.base_valid);
	assert_int_equal(ii.reg2, 9);

	nvmx_insn_info_decode(info(0, 0, 1, 1, 0, -1, -1, 15), &ii);
	assert_false(ii.mem);
	assert_false(ii.index_valid);
	assert_false(ii.base_valid);
	assert_int_equal(ii.reg2, 15);
}

static void test_linear_64(void **state)
{
	(void)state;
	uint64_t gpr[16] = {0};
	struct nvmx_insn_info ii;

	/* vmptrld 0x10(%rbx,%rsi,8): base RBX (3), index RSI (6), scale 8. */
	gpr[3] = 0x100000;
	gpr[6] = 2;
	nvmx_insn_info_decode(info(3, 0, 2, 0, 3, 6, 3, 0), &ii);
	assert_int_equal(nvmx_operand_linear(&ii, 0x10, 0, gpr), 0x100000 + 16 + 0x10);
	/* No base, no index: the displacement alone (an absolute address). */
	nvmx_insn_info_decode(info(0, 0, 2, 0, 3, -1, -1, 0), &ii);
	assert_int_equal(nvmx_operand_linear(&ii, 0xfee00000, 0, gpr), 0xfee00000);
	/* A negative displacement (the qualification is sign-extended by the CPU). */
	nvmx_insn_info_decode(info(0, 0, 2, 0, 3, -1, 3, 0), &ii);
	assert_int_equal(nvmx_operand_linear(&ii, (uint64_t)-8, 0, gpr), 0x100000 - 8);
	/* FS/GS bases count in 64-bit mode. */
	assert_int_equal(nvmx_operand_linear(&ii, 0, 0x7000000000, gpr), 0x7000100000);
}

static void test_linear_wraps_by_address_size(void **state)
{
	(void)state;
	uint64_t gpr[16] = {0};
	struct nvmx_insn_info ii;

	gpr[3] = 0xfffffff0;
	nvmx_insn_info_decode(info(0, 0, 1, 0, 3, -1, 3, 0), &ii);
	assert_int_equal(nvmx_operand_linear(&ii, 0x20, 0, gpr), 0x10); /* 32-bit wrap */
	gpr[3] = 0x1fff0;
	nvmx_insn_info_decode(info(0, 0, 0, 0, 3, -1, 3, 0), &ii);
	assert_int_equal(nvmx_operand_linear(&ii, 0x20, 0x1000, gpr),
	                 0x1010); /* 16-bit wrap, then base */
	/* 32-bit mode: base + offset wraps at 4 GiB. */
	gpr[3] = 0x10;
	nvmx_insn_info_decode(info(0, 0, 1, 0, 3, -1, 3, 0), &ii);
	assert_int_equal(nvmx_operand_linear(&ii, 0, 0xfffffff8, gpr), 0x8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decode_fields),
	        cmocka_unit_test(test_linear_64),
	        cmocka_unit_test(test_linear_wraps_by_address_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
