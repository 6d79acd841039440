/* VM-exit dispatch: the cached exit reason picks the handler. */
#ifndef ARCH_X86_VMX_EXIT_H
#define ARCH_X86_VMX_EXIT_H

#include <stdint.h>

struct vcpu;

void vmx_handle_exit(struct vcpu *v);
/* "CPUID", "EPT_VIOLATION", ... for a basic exit reason. */
const char *vmx_exit_reason_name(uint32_t basic);

#endif
