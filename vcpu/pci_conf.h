/*
 * PCI configuration mechanism #1 (ports 0xCF8 and 0xCFC-0xCFF): a bus with
 * a host bridge at 00:00.0 and nothing else, so a kernel's PCI probe finds
 * a PC's root and an empty bus. The bridge reads as an Intel 440FX (the
 * host bridge QEMU and Bochs show), read-only.
 */
#ifndef VCPU_PCI_CONF_H
#define VCPU_PCI_CONF_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CONF_ADDR_PORT 0xcf8
#define PCI_CONF_DATA_PORT 0xcfc /* to 0xcff */

struct pci_conf {
	uint32_t address; /* CONFIG_ADDRESS as last written */
};

/* Whether port belongs to the mechanism for an access of size bytes (0xCF8 only as 4 bytes). */
bool pci_conf_port(uint16_t port, unsigned int size);
uint32_t pci_conf_in(const struct pci_conf *c, uint16_t port, unsigned int size);
void pci_conf_out(struct pci_conf *c, uint16_t port, unsigned int size, uint32_t val);

#endif
