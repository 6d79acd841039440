/* Making a VM out of a boot module. */
#ifndef VCPU_VM_CREATE_H
#define VCPU_VM_CREATE_H

#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"
#include "vcpu/vm.h"

/*
 * Fills `vm` from module `mod` (a Multiboot1/2 kernel; its command line
 * gives name= and mem=), with the files among `all` (count modules) whose
 * for= names it (guest_files.h). Returns 0, or -1 with the reason in err.
 */
int vm_create(struct vm *vm, uint32_t index, const struct boot_module *mod,
              const struct boot_module *all, uint32_t count, char *err, size_t err_size);

#endif
