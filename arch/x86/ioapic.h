/*
 * The host's I/O APIC (82093AA registers): routes one ISA interrupt of the
 * host's own devices to a CPU. Umbra takes only COM1's, for the console's
 * input; the other pins stay as the firmware left them (masked).
 */
#ifndef ARCH_X86_IOAPIC_H
#define ARCH_X86_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/acpi.h"

/*
 * ISA irq to `vector` on the CPU with APIC ID apic_id (fixed delivery,
 * physical destination), with the polarity and trigger the MADT gives it.
 * False, with *why, if the MADT lists no I/O APIC for it or the route
 * cannot be made; else *pin is its input pin.
 */
bool ioapic_route_isa_irq(const struct acpi_cpus *madt, unsigned int irq, uint8_t vector,
                          uint32_t apic_id, uint32_t *pin, const char **why);

#endif
