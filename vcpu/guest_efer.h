/*
 * The EFER bits Umbra's guests (L1, and L2 through vmcs12) may use: SYSCALL,
 * long mode and no-execute. A guest writes SCE, LME and NXE; LMA follows LME
 * and CR0.PG, so a value may hold it but a write does not set it. Pure: the
 * VM-entry checks (nested/entry_checks.c) test vmcs12's EFER fields with it.
 */
#ifndef VCPU_GUEST_EFER_H
#define VCPU_GUEST_EFER_H

#include "arch/x86/x86_bits.h"

#define EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE)
#define EFER_GUEST_ALLOWED  (EFER_GUEST_WRITABLE | EFER_LMA)

#endif
