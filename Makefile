# Umbra: build, run and test. `make help` lists the targets.

SHELL := /bin/bash
BUILD ?= build
NEWLIB := $(BUILD)/newlib/install/x86_64-elf
CC := gcc
OBJDUMP := objdump

# Hypervisor sources: every C and assembly file of the layout (tests are separate).
SRC_DIRS := boot arch/x86 arch/x86/vmx lib vcpu nested ept
# asm_offsets.c is compiled to assembly only, for its numbers.
SRCS := $(filter-out arch/x86/asm_offsets.c,$(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c $(d)/*.S)))
OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(SRCS)))
# The framebuffer console's 8x16 font, from Debian's console-setup-linux,
# made into C at build time (scripts/psf-to-c.py; generated, not committed).
FB_FONT ?= /usr/share/consolefonts/Lat15-Fixed16.psf.gz
OBJS += $(BUILD)/obj/fb_font.o

GCC_INCLUDE := $(shell $(CC) -print-file-name=include)
LIBGCC := $(shell $(CC) -print-libgcc-file-name)

# No SSE/AVX anywhere: guests own the vector registers.
ARCH_FLAGS := -m64 -ffreestanding -fno-pie -fno-pic -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-mcmodel=small
CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror $(ARCH_FLAGS) \
	-nostdinc -isystem $(GCC_INCLUDE) -isystem $(NEWLIB)/include -I. -Iarch/x86/inc -MMD -MP
ASFLAGS := -m64 -g -I. -I$(BUILD)/include -Wa,--noexecstack -MMD -MP
ASM_OFFSETS := $(BUILD)/include/asm_offsets.h
LDFLAGS := -nostdlib -static -no-pie -T linker.ld -Wl,-z,max-page-size=0x1000 \
	-Wl,--no-warn-rwx-segments -Wl,--build-id=none -Wl,-z,noexecstack

ELF := $(BUILD)/umbra.elf
# Self-test payloads (tests/guest/): the default ISO runs those boot/grub.cfg names.
GUEST := $(BUILD)/guest
DEFAULT_PAYLOADS := $(GUEST)/basic.elf $(GUEST)/basic_mb2.elf $(GUEST)/exitbench.elf \
	$(GUEST)/smp.elf $(GUEST)/nested_basic.elf
ISO := $(BUILD)/umbra.iso
PXE := $(BUILD)/pxe
CPUS ?= 4
# The run targets' emulator memory (MiB), the ISO they boot, make debug's gdb port.
MEM ?= 512
RUN_ISO ?= $(ISO)
GDB_PORT ?= 1234


.PHONY: soak fuzz all iso pxe payloads linux-guest bench bench-docs trace-roundtrip trace-switch run run-linux run-qemu debug debug-bochs test test-models test-host test-system check-sse check-layers deps newlib clean help \
	format check-format coverage

# Plain `make` checks the Debian packages first too (scripts/deps.sh), as every target does.
all: deps
	@$(MAKE) --no-print-directory $(ELF) $(ISO)

help:
	@echo "Umbra targets:"
	@echo "  make            build $(ELF) and the bootable ISO $(ISO)"
	@echo "  make run        boot the ISO in Bochs ($(CPUS) CPUs, VMX) and show the console"
	@echo "  make run-linux  boot Debian's Linux as a guest in Bochs, its shell on this terminal (Ctrl-] quits)"
	@echo "  make run-qemu   boot the ISO in QEMU ($(CPUS) CPUs; KVM with nested VMX if the host has it, else TCG)"
	@echo "  make pxe        build a TFTP tree in $(PXE) for network boot (docs/pxe.md)"
	@echo "  make debug      QEMU stopped at reset + gdb with Umbra's symbols (breaks at boot_main)"
	@echo "  make debug-bochs  Bochs' debugger with Umbra's symbols (VMX-level stepping)"
	@echo "  make bench      exit-cost benchmark in Bochs (instructions, VMREAD/VMWRITEs per exit), boot time;"
	@echo "                  figures also in BUILD/bench/results.tsv, chart in BUILD/bench/exits.svg"
	@echo "  make fuzz       differential vmcs12 fuzzing and random L2 streams, bare Bochs vs nested (FUZZ_SEED, FUZZ_COUNT, FUZZ_STREAMS)"
	@echo "  make soak       8 VMs, 16 vCPUs, 100,000 exits each on 4 CPUs, some nested, one dying;"
	@echo "                  then 16 boots of 63 triple-faulting VMs beside a bystander"
	@echo "  make test       host unit tests, image checks and system tests (Bochs, QEMU), Debian's Linux as a guest"
	@echo "  make test-models  every Bochs CPU model with VMX: refused by name, or the default payloads on 4 CPUs"
	@echo "  make coverage   line coverage of the host tests per folder (lcov; HTML in $(BUILD)/coverage/html)"
	@echo "                  COVERAGE_FILES=1 adds a line per file"
	@echo "  make format     reformat the C sources (clang-format)"
	@echo "  make check-format  fail if any C source is not formatted"
	@echo "  make check-layers  fail if an include points up a layer (README's layout)"
	@echo "  make clean      remove $(BUILD)/"
	@echo "  make bench-docs paste the last make bench's figures and chart into docs/performance.md"
	@echo "  make trace-roundtrip, make trace-switch"
	@echo "                  a Bochs trace of one nested round trip or context switch, split by function"
	@echo "  make linux-guest  Debian's kernel and a busybox initramfs in $(BUILD)/linux (make test boots them)"
	@echo "Variables: CPUS=n (default 4), MEM=MiB (default 512), RUN_ISO=file (run targets),"
	@echo "  GDB_PORT=n (make debug, default 1234), BUILD=dir"
	@echo "make run and make run-qemu exit non-zero, saying why, unless every VM passed."

deps:
	@scripts/deps.sh

$(NEWLIB)/lib/libc.a:
	scripts/build-newlib.sh $(BUILD)/newlib

newlib: $(NEWLIB)/lib/libc.a

$(BUILD)/obj/%.o: %.c linker.ld | $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.S $(ASM_OFFSETS)
	@mkdir -p $(dir $@)
	$(CC) $(ASFLAGS) -c $< -o $@

# Depends on the font only if it exists: else the script says which package is missing.
$(BUILD)/fb_font.c: scripts/psf-to-c.py $(wildcard $(FB_FONT))
	@mkdir -p $(dir $@)
	python3 scripts/psf-to-c.py $(FB_FONT) $@

$(BUILD)/obj/fb_font.o: $(BUILD)/fb_font.c | $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# Struct offsets for assembly, from the compiler (arch/x86/asm_offsets.c).
$(ASM_OFFSETS): arch/x86/asm_offsets.c | $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MF $(BUILD)/asm_offsets.d -MT $@ -S $< -o $(BUILD)/asm_offsets.s
	sed -n 's/.*->\([A-Z0-9_]*\) \([0-9]*\).*/#define \1 \2/p' $(BUILD)/asm_offsets.s >$@.tmp
	mv $@.tmp $@

LIBS := $(NEWLIB)/lib/libc.a $(LIBGCC)

# Two links: the first gives the function addresses for the symbol table
# (backtraces), the second adds the table after all code and data, so no
# function moves (checked).
$(BUILD)/umbra.stage1.elf: $(OBJS) linker.ld $(NEWLIB)/lib/libc.a
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(BUILD)/symtab.S: $(BUILD)/umbra.stage1.elf scripts/gen-symtab.sh
	scripts/gen-symtab.sh $< >$@

$(BUILD)/symtab.o: $(BUILD)/symtab.S
	$(CC) $(ASFLAGS) -c $< -o $@

$(ELF): $(BUILD)/umbra.stage1.elf $(BUILD)/symtab.o
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(BUILD)/symtab.o $(LIBS)
	@cmp -s <(nm -n $< | awk '$$2 ~ /^[tT]$$/') <(nm -n $@ | awk '$$2 ~ /^[tT]$$/') || \
		{ echo "symbol table moved code: $@ differs from $<" >&2; rm -f $@; exit 1; }

# The sub-make decides what to rebuild; the ISO follows the payloads' mtimes.
payloads: FORCE
	@$(MAKE) --no-print-directory -C tests/guest BUILD=$(abspath $(GUEST))

$(GUEST)/%.elf: FORCE
	@$(MAKE) --no-print-directory -C tests/guest BUILD=$(abspath $(GUEST))

$(ISO): $(ELF) boot/grub.cfg scripts/make-iso.sh $(DEFAULT_PAYLOADS)
	scripts/make-iso.sh $@ boot/grub.cfg $(ELF) $(DEFAULT_PAYLOADS)

iso: $(ISO)

# The Linux guest, from Debian packages (scripts/build-linux-guest.sh; docs/guest-abi.md).
LINUX_GUEST := $(BUILD)/linux/bzImage $(BUILD)/linux/initrd.gz
$(LINUX_GUEST) &: scripts/build-linux-guest.sh tests/linux/init
	scripts/build-linux-guest.sh $(BUILD)/linux
linux-guest: $(LINUX_GUEST)

pxe: $(ELF) boot/grub.cfg boot/umbra.ipxe scripts/make-pxe.sh $(DEFAULT_PAYLOADS)
	scripts/make-pxe.sh $(PXE) boot/grub.cfg boot/umbra.ipxe $(ELF) $(DEFAULT_PAYLOADS)
	@echo "TFTP tree in $(PXE): DHCP boot file boot/grub/i386-pc/core.0 (GRUB) or umbra.ipxe (iPXE); see docs/pxe.md"

run: deps
	@$(MAKE) --no-print-directory all
	scripts/run-bochs.sh --iso $(RUN_ISO) --cpus $(CPUS) --megs $(MEM) --out $(BUILD)/run-bochs --follow
	@scripts/run-verdict.sh $(BUILD)/run-bochs/serial.log run

# Debian's Linux as an interactive guest (boot/grub-linux.cfg): its shell on this terminal.
LINUX_ISO := $(BUILD)/linux.iso
$(LINUX_ISO): $(ELF) boot/grub-linux.cfg scripts/make-iso.sh $(LINUX_GUEST)
	scripts/make-iso.sh $@ boot/grub-linux.cfg $(ELF) $(LINUX_GUEST)

run-linux: deps
	@$(MAKE) --no-print-directory all linux-guest $(LINUX_ISO)
	@echo "run-linux: Linux boots in about 3 minutes here; at its shell, exit powers it off (Ctrl-] stops Bochs)"
	scripts/run-bochs.sh --iso $(LINUX_ISO) --cpus $(CPUS) --megs $(MEM) --out $(BUILD)/run-linux --interactive
	@scripts/run-verdict.sh $(BUILD)/run-linux/serial.log run-linux

run-qemu: deps
	@$(MAKE) --no-print-directory all
	scripts/run-qemu.sh --iso $(RUN_ISO) --cpus $(CPUS) --mem $(MEM) --out $(BUILD)/run-qemu --follow
	@scripts/run-verdict.sh $(BUILD)/run-qemu/serial.log run-qemu

debug: deps
	@$(MAKE) --no-print-directory all
	CPUS=$(CPUS) GDB_PORT=$(GDB_PORT) scripts/debug-qemu.sh $(ISO) $(ELF) $(BUILD)/debug

debug-bochs: deps
	@$(MAKE) --no-print-directory all
	scripts/debug-bochs.sh $(ISO) $(ELF) $(CPUS) $(BUILD)/debug-bochs

test: deps
	@$(MAKE) --no-print-directory all linux-guest
	@$(MAKE) --no-print-directory check-format
	@$(MAKE) --no-print-directory test-host
	@$(MAKE) --no-print-directory check-sse
	@$(MAKE) --no-print-directory check-layers
	@$(MAKE) --no-print-directory test-system

# Deterministic figures from Bochs (in-guest RDTSC counts instructions): docs/performance.md.
bench: deps
	@scripts/deps.sh gnuplot-nox  # the exit-cost chart
	@$(MAKE) --no-print-directory all payloads linux-guest
	scripts/bench.sh $(BUILD)
bench-docs:
	scripts/bench-docs.sh $(BUILD)
# Where one nested round trip's or one context switch's instructions go:
# a Bochs trace split by function (scripts/trace-split.sh, docs/performance.md).
trace-roundtrip trace-switch: deps
	@$(MAKE) --no-print-directory all payloads
	scripts/trace-split.sh $(@:trace-%=%) $(BUILD)

# Differential vmcs12 fuzzing at scale (make test runs 10,000 cases with seed 1):
# FUZZ_SEED (default: the time, printed), FUZZ_COUNT cases in blocks of FUZZ_BLOCK;
# then FUZZ_STREAMS random L2 instruction streams, bare against nested.
FUZZ_COUNT ?= 100000
FUZZ_BLOCK ?= 1000
FUZZ_STREAMS ?= 100000
fuzz: deps
	@$(MAKE) --no-print-directory all payloads
	scripts/fuzz-vmcs12.sh $(BUILD) "$(FUZZ_SEED)" $(FUZZ_COUNT) $(FUZZ_BLOCK)
	scripts/fuzz-l2-streams.sh $(BUILD) "$(FUZZ_SEED)" $(FUZZ_STREAMS)

# 8 VMs, 16 vCPUs, 100,000 exits each on 4 CPUs, then 1,008 triple faults
# in 16 boots (docs/isolation.md); not in make test.
soak: deps
	@$(MAKE) --no-print-directory all payloads
	tests/system/run-all.sh $(BUILD) '^bochs-soak$$'
	tests/system/run-all.sh $(BUILD) '^bochs-triple-soak$$'

# The Bochs CPU models (issue 14): make test's bochs-model-* cases, plus the
# default payloads on each model with VMCS shadowing (about 3 minutes more).
test-models: deps
	@$(MAKE) --no-print-directory all payloads
	MODELS_FULL=1 tests/system/run-all.sh $(BUILD) '^bochs-(model-.*|sandy-bridge|payloads)$$'

test-host:
	$(MAKE) -C tests/host BUILD=$(abspath $(BUILD))/host check

# Line coverage of the host tests, per folder; lcov's HTML report in $(BUILD)/coverage/html.
coverage: deps
	scripts/coverage.sh $(BUILD)/coverage $(if $(filter 1,$(COVERAGE_FILES)),--files)

check-sse: $(ELF)
	@# The check must catch a vector instruction: try it on one first.
	@mkdir -p $(BUILD)/sse-selftest
	@printf 'movaps %%xmm0, %%xmm1\n' | $(CC) -c -x assembler -o $(BUILD)/sse-selftest/sse.o -
	@! scripts/check-no-sse.sh $(BUILD)/sse-selftest/sse.o 2>/dev/null || \
		{ echo "check-no-sse.sh missed an xmm instruction" >&2; exit 1; }
	scripts/check-no-sse.sh $(ELF)

# No include points up a layer (README's layout); the check must catch one.
check-layers:
	@rm -rf $(BUILD)/layers-selftest && mkdir -p $(BUILD)/layers-selftest/lib
	@echo '#include "arch/x86/cpu.h"' > $(BUILD)/layers-selftest/lib/up.c
	@! scripts/check-layers.sh $(BUILD)/layers-selftest 2>/dev/null || \
		{ echo "check-layers.sh missed an include that points up" >&2; exit 1; }
	scripts/check-layers.sh

test-system: all payloads
	tests/system/run-all.sh $(BUILD)

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h')

format:
	clang-format -i $(FORMAT_SRCS)

check-format:
	@clang-format --dry-run --Werror $(FORMAT_SRCS) && echo "check-format: ok"


clean:
	rm -rf $(BUILD)

FORCE:

-include $(OBJS:.o=.d) $(BUILD)/asm_offsets.d
