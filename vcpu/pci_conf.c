#include "vcpu/pci_conf.h"

#define ADDR_ENABLE  (1u << 31)
#define ADDR_BDF(a)  (((a) >> 8) & 0xffffu) /* bus, device, function */
#define ADDR_REG(a)  ((a)&0xfcu)
#define HOST_BRIDGE  0 /* 00:00.0 */
#define VENDOR_INTEL 0x8086u
#define DEVICE_440FX 0x1237u
#define CLASS_HOST   0x06000000u /* bridge, host bridge, prog-if 0; revision 0 */

bool pci_conf_port(uint16_t port, unsigned int size)
{
	if (port == PCI_CONF_ADDR_PORT)
		return size ==
		       4; /* byte accesses at 0xCF8-0xCFB are other registers (0xCF9: reset) */
	return port >= PCI_CONF_DATA_PORT && port + size <= PCI_CONF_DATA_PORT + 4;
}

/* The 32-bit register at reg of the host bridge's configuration space. */
static uint32_t host_bridge_reg(uint32_t reg)
{
	switch (reg) {
	case 0x00: return (DEVICE_440FX << 16) | VENDOR_INTEL;
	case 0x08: return CLASS_HOST;
	default: return 0; /* command, status, header type 0, no BARs */
	}
}

uint32_t pci_conf_in(const struct pci_conf *c, uint16_t port, unsigned int size)
{
	uint32_t reg, shift, mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;

	if (port == PCI_CONF_ADDR_PORT)
		return c->address;
	/* Disabled, or no device there: all ones, as for a master abort. */
	if (!(c->address & ADDR_ENABLE) || ADDR_BDF(c->address) != HOST_BRIDGE)
		return mask;
	reg = host_bridge_reg(ADDR_REG(c->address));
	shift = (port - PCI_CONF_DATA_PORT) * 8;
	return (reg >> shift) & mask;
}

void pci_conf_out(struct pci_conf *c, uint16_t port, unsigned int size, uint32_t val)
{
	(void)size;
	if (port == PCI_CONF_ADDR_PORT)
		c->address = val & 0x80fffffcu; /* bits 30:24 and 1:0 are reserved */
	/* Data writes: the bridge has nothing a guest may change. */
}
