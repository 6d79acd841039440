/* Host tests of vcpu/pci_conf.c: one host bridge, an empty bus elsewhere. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vcpu/pci_conf.h"

static uint32_t read_reg(struct pci_conf *c, unsigned int bdf, unsigned int reg, uint16_t port,
                         unsigned int size)
{
	pci_conf_out(c, PCI_CONF_ADDR_PORT, 4, 0x80000000u | (bdf << 8) | reg);
	return pci_conf_in(c, port, size);
}

static void test_host_bridge(void **state)
{
	(void)state;
	struct pci_conf c = {0};

	assert_int_equal(read_reg(&c, 0, 0, 0xcfc, 4), 0x12378086);
	assert_int_equal(read_reg(&c, 0, 0, 0xcfc, 2), 0x8086);
	assert_int_equal(read_reg(&c, 0, 0, 0xcfe, 2), 0x1237);
	assert_int_equal(read_reg(&c, 0, 8, 0xcfc, 4) >> 8, 0x060000);
	assert_int_equal(read_reg(&c, 0, 0x0c, 0xcfe, 1), 0); /* header type 0 */
	assert_int_equal(pci_conf_in(&c, PCI_CONF_ADDR_PORT, 4), 0x8000000c);
}

static void test_empty_slots_and_disabled(void **state)
{
	(void)state;
	struct pci_conf c = {0};

	assert_int_equal(read_reg(&c, 1 << 3, 0, 0xcfc, 4), 0xffffffff); /* 00:01.0 */
	assert_int_equal(read_reg(&c, 1 << 8, 0, 0xcfc, 2), 0xffff);     /* 01:00.0 */
	assert_int_equal(read_reg(&c, 1, 0, 0xcfd, 1), 0xff);            /* 00:00.1 */
	pci_conf_out(&c, PCI_CONF_ADDR_PORT, 4, 0);                      /* enable bit clear */
	assert_int_equal(pci_conf_in(&c, 0xcfc, 4), 0xffffffff);
	pci_conf_out(&c, PCI_CONF_ADDR_PORT, 4, 0xffffffff);
	assert_int_equal(pci_conf_in(&c, PCI_CONF_ADDR_PORT, 4), 0x80fffffc);
}

static void test_ports(void **state)
{
	(void)state;
	assert_true(pci_conf_port(0xcf8, 4));
	assert_false(pci_conf_port(0xcf8, 1));
	assert_false(pci_conf_port(0xcf9, 1)); /* the reset control register */
	assert_true(pci_conf_port(0xcfc, 4));
	assert_true(pci_conf_port(0xcfe, 2));
	assert_true(pci_conf_port(0xcff, 1));
	assert_false(pci_conf_port(0xcfe, 4));
	assert_false(pci_conf_port(0xd00, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_host_bridge),
	        cmocka_unit_test(test_empty_slots_and_disabled),
	        cmocka_unit_test(test_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
