/* Host tests of vcpu/reg_cache.c: VMREADs only on demand, VMWRITEs only when dirty. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/vmx/vmcs_fields.h"
#include "lib/panic.h"
#include "vcpu/reg_cache.h"

/* A fake VMCS: field values, and every access recorded. */
static uint64_t fake_vmcs[0x7000];
static unsigned int reads, writes;
static uint32_t last_write_field;

uint64_t arch_vmcs_read(uint32_t field)
{
	reads++;
	return fake_vmcs[field];
}

void arch_vmcs_write(uint32_t field, uint64_t value)
{
	writes++;
	last_write_field = field;
	fake_vmcs[field] = value;
}

/* CHECK() failures become cmocka assertion failures (expect_assert_failure). */
void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mock_assert(0, msg, __FILE__, __LINE__);
	abort();
}

static struct reg_cache cache;

static int setup(void **state)
{
	(void)state;
	memset(fake_vmcs, 0, sizeof(fake_vmcs));
	memset(&cache, 0xcc, sizeof(cache));
	reg_cache_reset(&cache);
	reads = writes = 0;
	return 0;
}

static void test_read_is_lazy_and_cached(void **state)
{
	(void)state;
	fake_vmcs[GUEST_RIP] = 0x1000;
	assert_int_equal(reads, 0);
	assert_int_equal(reg_cache_read(&cache, REG_RIP), 0x1000);
	assert_int_equal(reads, 1);
	/* The VMCS changes behind the cache's back: the cached value stands until the next exit. */
	fake_vmcs[GUEST_RIP] = 0x2000;
	assert_int_equal(reg_cache_read(&cache, REG_RIP), 0x1000);
	assert_int_equal(reads, 1);
	reg_cache_after_exit(&cache);
	assert_int_equal(reg_cache_read(&cache, REG_RIP), 0x2000);
	assert_int_equal(reads, 2);
}

static void test_each_register_reads_its_field(void **state)
{
	(void)state;
	for (int r = 0; r < REG_COUNT; r++)
		fake_vmcs[reg_cache_field(r)] = 0x100 + (uint64_t)r;
	for (int r = 0; r < REG_COUNT; r++)
		assert_int_equal(reg_cache_read(&cache, r), 0x100 + (uint64_t)r);
	assert_int_equal(reads, REG_COUNT);
	assert_int_equal(reg_cache_field(REG_CR3), GUEST_CR3);
	assert_int_equal(reg_cache_field(REG_EXIT_QUALIFICATION), EXIT_QUALIFICATION);
}

static void test_write_needs_no_read_and_flushes_once(void **state)
{
	(void)state;
	reg_cache_write(&cache, REG_RSP, 0x7000);
	assert_int_equal(reads, 0);
	assert_int_equal(writes, 0);
	assert_int_equal(reg_cache_read(&cache, REG_RSP), 0x7000);
	assert_int_equal(reads, 0);
	reg_cache_flush(&cache);
	assert_int_equal(writes, 1);
	assert_int_equal(fake_vmcs[GUEST_RSP], 0x7000);
	assert_int_equal(cache.dirty, 0);
	/* Clean now: a second flush writes nothing. */
	reg_cache_flush(&cache);
	assert_int_equal(writes, 1);
}

static void test_flush_writes_only_dirty(void **state)
{
	(void)state;
	reg_cache_read(&cache, REG_RIP);
	reg_cache_read(&cache, REG_CR0);
	reg_cache_write(&cache, REG_CR4, 0x2020);
	reg_cache_flush(&cache);
	assert_int_equal(writes, 1);
	assert_int_equal(last_write_field, GUEST_CR4);
}

static void test_skip_instruction_pattern(void **state)
{
	(void)state;
	/* What an exit handler does: RIP += instruction length, one read each, one write. */
	fake_vmcs[GUEST_RIP] = 0x5000;
	fake_vmcs[VM_EXIT_INSTRUCTION_LEN] = 2;
	reg_cache_write(&cache, REG_RIP,
	                reg_cache_read(&cache, REG_RIP) +
	                        reg_cache_read(&cache, REG_EXIT_INSTRUCTION_LEN));
	reg_cache_flush(&cache);
	assert_int_equal(reads, 2);
	assert_int_equal(writes, 1);
	assert_int_equal(fake_vmcs[GUEST_RIP], 0x5002);
}

static void test_invariant(void **state)
{
	(void)state;
	assert_true(reg_cache_valid(&cache));
	cache.dirty = REG_BIT(REG_RIP); /* dirty without avail */
	assert_false(reg_cache_valid(&cache));
	cache.avail = REG_BIT(REG_RIP);
	assert_true(reg_cache_valid(&cache));
	cache.avail |= REG_BIT(REG_EXIT_QUALIFICATION);
	cache.dirty |= REG_BIT(REG_EXIT_QUALIFICATION); /* a read-only register dirty */
	assert_false(reg_cache_valid(&cache));
}

static void test_read_only_registers_refuse_writes(void **state)
{
	(void)state;
	expect_assert_failure(reg_cache_write(&cache, REG_EXIT_QUALIFICATION, 1));
	expect_assert_failure(reg_cache_write(&cache, REG_GUEST_PHYSICAL_ADDRESS, 1));
	expect_assert_failure(reg_cache_write(&cache, REG_EXIT_INSTRUCTION_LEN, 1));
	expect_assert_failure(reg_cache_write(&cache, REG_EXIT_INTR_INFO, 1));
	reg_cache_write(&cache, REG_CR3, 1); /* guest state is writable */
	assert_int_equal(cache.dirty, REG_BIT(REG_CR3));
}

static void test_after_exit_with_dirty_is_a_bug(void **state)
{
	(void)state;
	/* A dirty value not flushed before the entry would be silently lost. */
	reg_cache_write(&cache, REG_RIP, 1);
	expect_assert_failure(reg_cache_after_exit(&cache));
}

static void test_after_exit_forgets_everything(void **state)
{
	(void)state;
	for (int r = 0; r < REG_COUNT; r++)
		reg_cache_read(&cache, r);
	assert_int_equal(cache.avail, REG_ALL);
	reg_cache_after_exit(&cache);
	assert_int_equal(cache.avail, 0);
	reg_cache_read(&cache, REG_RFLAGS);
	assert_int_equal(reads, REG_COUNT + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_read_is_lazy_and_cached, setup),
	        cmocka_unit_test_setup(test_each_register_reads_its_field, setup),
	        cmocka_unit_test_setup(test_write_needs_no_read_and_flushes_once, setup),
	        cmocka_unit_test_setup(test_flush_writes_only_dirty, setup),
	        cmocka_unit_test_setup(test_skip_instruction_pattern, setup),
	        cmocka_unit_test_setup(test_invariant, setup),
	        cmocka_unit_test_setup(test_read_only_registers_refuse_writes, setup),
	        cmocka_unit_test_setup(test_after_exit_with_dirty_is_a_bug, setup),
	        cmocka_unit_test_setup(test_after_exit_forgets_everything, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
