/*
 * A VM from a Multiboot2 module: its command line (name=, mem=), its RAM,
 * its EPT, the guest kernel loaded into it with boot information, and a
 * VMCS ready for the kernel's Multiboot entry.
 */
#include <stdio.h>
#include <string.h>

#include "arch/x86/tsc.h"
#include "arch/x86/vmx/caps.h"
#include "ept/ept.h"
#include "lib/cmdline.h"
#include "lib/phys_mem.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "vcpu/acpi_tables.h"
#include "vcpu/guest_bootinfo.h"
#include "vcpu/guest_files.h"
#include "vcpu/guest_image.h"
#include "vcpu/vm_create.h"
#include "vcpu/vm_irq.h"

#define RAM_ALIGN     (2ULL << 20) /* so EPT can use 2 MiB pages */
#define VM_MAX_RAM    (1ULL << 30)
#define BOOTINFO_SIZE 4096
#define MB1_MAGIC     0x2badb002u
#define MB2_MAGIC     0x36d76289u
#define FILES_FLOOR   0x100000ULL

/* fail_alloc= is a test hook: the n-th frame allocation for the VM fails (docs/isolation.md). */
static const char *const known_keys[] = {"name",   "mem",        "vcpus", "nested",
                                         "strict", "fail_alloc", "input", "ept02_pool"};

#define KEY_COUNT (sizeof(known_keys) / sizeof(known_keys[0]))

/* The wall time every VM's CMOS clock starts from (vm_set_wall_clock). */
static int64_t wall_epoch;
static uint64_t wall_tsc0;

void vm_set_wall_clock(int64_t epoch, uint64_t tsc0)
{
	wall_epoch = epoch;
	wall_tsc0 = tsc0;
}

/*
 * Every key=value word before "--" must be one Umbra knows, given once; a
 * leading file name is fine.
 */
static int check_keys(const char *cmdline, char *err, size_t err_size)
{
	const char *p = cmdline;
	bool first = true;
	bool seen[KEY_COUNT] = {false};
	const char *tok;
	size_t len;

	/* Words after "--" are the guest's own (its kernel reads them). */
	while (cmdline_next_word(&p, &tok, &len)) {
		const char *eq = memchr(tok, '=', len);

		if (!eq) {
			/* Multiboot1 loaders put the module's path first. */
			if (first && memchr(tok, '/', len))
				goto next;
			snprintf(err, err_size, "unknown command-line word '%.*s'", (int)len, tok);
			return -1;
		}
		unsigned int k = 0;

		while (k < KEY_COUNT && !((size_t)(eq - tok) == strlen(known_keys[k]) &&
		                          !memcmp(tok, known_keys[k], strlen(known_keys[k]))))
			k++;
		if (k == KEY_COUNT) {
			snprintf(err, err_size, "unknown command-line key '%.*s'", (int)(eq - tok),
			         tok);
			return -1;
		}
		/* Which of two values was meant is not Umbra's guess to make. */
		if (seen[k]) {
			snprintf(err, err_size, "command-line key '%s' given twice", known_keys[k]);
			return -1;
		}
		seen[k] = true;
	next:
		first = false;
	}
	return 0;
}

/* key=0/1 (off by default) into *out; -1 with the reason in err for any other value. */
static int bool_key(const char *cmdline, const char *key, bool *out, char *err, size_t err_size)
{
	char val[VM_CMDLINE_MAX];

	*out = false;
	if (cmdline_get(cmdline, key, val, sizeof(val)) && !cmdline_parse_bool(val, out)) {
		snprintf(err, err_size, "%s=%s is not 0 or 1", key, val);
		return -1;
	}
	return 0;
}

static int parse_cmdline(struct vm *vm, const char *cmdline, uint32_t *fail_alloc, char *err,
                         size_t err_size)
{
	char val[VM_CMDLINE_MAX]; /* any value a command line can hold: none is cut */
	uint64_t mem = VM_DEFAULT_RAM;

	snprintf(vm->cmdline, sizeof(vm->cmdline), "%s", cmdline);
	/* The name first: a refusal of the rest is reported under it. */
	if (cmdline_get(cmdline, "name", val, sizeof(val))) {
		if (!val[0] || strlen(val) >= sizeof(vm->name)) {
			snprintf(err, err_size, "name= must have 1 to %u characters (it has %u)",
			         (unsigned int)sizeof(vm->name) - 1, (unsigned int)strlen(val));
			return -1;
		}
		snprintf(vm->name, sizeof(vm->name), "%s", val);
	}
	if (check_keys(cmdline, err, err_size) < 0)
		return -1;
	if (cmdline_get(cmdline, "mem", val, sizeof(val)) && !cmdline_parse_u64(val, &mem)) {
		snprintf(err, err_size, "bad mem= value '%s' (want a size such as 32M)", val);
		return -1;
	}
	if (mem < VM_MIN_RAM || mem > VM_MAX_RAM) {
		snprintf(err, err_size, "mem=%s is out of range (%lu MiB to %lu MiB)", val,
		         (unsigned long)(VM_MIN_RAM >> 20), (unsigned long)(VM_MAX_RAM >> 20));
		return -1;
	}
	vm->ram_size = (mem + RAM_ALIGN - 1) & ~(RAM_ALIGN - 1);

	uint64_t vcpus = 1;

	if (cmdline_get(cmdline, "vcpus", val, sizeof(val)) &&
	    (!cmdline_parse_u64(val, &vcpus) || vcpus < 1 || vcpus > VM_VCPU_MAX)) {
		snprintf(err, err_size, "vcpus=%s is out of range (1 to %u)", val, VM_VCPU_MAX);
		return -1;
	}
	vm->vcpu_count = (uint32_t)vcpus;
	/* Nested VMX (docs/nested.md): VMX shown to the guest, its instructions emulated. */
	if (bool_key(cmdline, "nested", &vm->nested, err, err_size) < 0)
		return -1;
	/* ept02_pool=SIZE: the shadow-EPT tables of its L2s, shared out among its vCPUs. */
	uint64_t pool = VM_DEFAULT_EPT02_POOL;

	if (cmdline_get(cmdline, "ept02_pool", val, sizeof(val)) &&
	    (!cmdline_parse_u64(val, &pool) || pool < VM_MIN_EPT02_POOL * vm->vcpu_count ||
	     pool > VM_MAX_EPT02_POOL)) {
		snprintf(err, err_size,
		         "ept02_pool=%s is out of range (%lu KiB per vCPU to %lu MiB; a size such "
		         "as 1M)",
		         val, (unsigned long)(VM_MIN_EPT02_POOL >> 10),
		         (unsigned long)(VM_MAX_EPT02_POOL >> 20));
		return -1;
	}
	vm->ept02_pool = pool;
	/* strict=1: what the platform lacks ends the VM, instead of hardware's answer. */
	if (bool_key(cmdline, "strict", &vm->strict, err, err_size) < 0)
		return -1;
	/* input=1: the interactive VM, whose COM1 gets what is typed on Umbra's console. */
	if (bool_key(cmdline, "input", &vm->input, err, err_size) < 0)
		return -1;
	uint64_t fail = 0;

	if (cmdline_get(cmdline, "fail_alloc", val, sizeof(val)) &&
	    (!cmdline_parse_u64(val, &fail) || fail == 0 || fail > UINT32_MAX)) {
		snprintf(err, err_size, "fail_alloc=%s is not a count from 1", val);
		return -1;
	}
	*fail_alloc = (uint32_t)fail;
	return 0;
}

/* Its RAM, EPT, VMCSs and state areas, the kernel and its boot information. */
/* The files for this VM among the modules, into its RAM from `next` up; how many, or -1. */
static int place_files(struct vm *vm, const struct boot_module *all, uint32_t count, uint64_t next,
                       struct guest_file *files, char *err, size_t err_size)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < count; i++) {
		const struct boot_module *m = &all[i];
		char name[VM_NAME_MAX], why[VM_REASON_MAX];

		if (!guest_file_for(m->cmdline, name, sizeof(name), why, sizeof(why)) || why[0] ||
		    strcmp(name, vm->name) != 0)
			continue;
		if (n == GUEST_FILES_MAX) {
			snprintf(err, err_size, "more than %u files for it", GUEST_FILES_MAX);
			return -1;
		}
		if (!guest_file_place(vm_gpa_to_ptr(vm, gpa_of(0), vm->ram_size), vm->ram_size,
		                      &next, (const uint8_t *)m->start, m->end - m->start,
		                      cmdline_after_dashes(m->cmdline), &files[n])) {
			snprintf(err, err_size, "its file module %u does not fit in its RAM", i);
			return -1;
		}
		console_printf("umbra: vm %s: file module %u at 0x%lx-0x%lx ('%s')\n", vm->name, i,
		               files[n].start, files[n].end, files[n].cmdline);
		n++;
	}
	return (int)n;
}

static int vm_load(struct vm *vm, uint32_t index, const uint8_t *file, uint64_t file_size,
                   const struct boot_module *all, uint32_t count, char *err, size_t err_size)
{
	static struct guest_file files[GUEST_FILES_MAX];
	int nfiles;
	static struct guest_image img;
	struct frame_alloc *fa;
	uint64_t info;
	uint32_t magic;
	uint8_t *ram;
	hpa_t ram_hpa;

	if (guest_image_parse(file, file_size, vm->ram_size, &img) < 0) {
		snprintf(err, err_size, "%s", img.error);
		return -1;
	}
	vm->ram_hpa = hpa_of(phys_alloc(vm->ram_size / FRAME_SIZE, RAM_ALIGN));
	if (!hpa_val(vm->ram_hpa)) {
		snprintf(err, err_size, "not enough host memory for %lu MiB of RAM",
		         (unsigned long)(vm->ram_size >> 20));
		return -1;
	}
	/* EPT01 maps what vm_gpa_to_hpa() says: the two cannot disagree. */
	CHECK(vm_gpa_to_hpa(vm, gpa_of(0), vm->ram_size, &ram_hpa));
	ram = hpa_ptr(ram_hpa);
	fa = phys_lock();
	int ept_err = ept_init(&vm->ept, fa);

	if (!ept_err)
		ept_err = ept_map(&vm->ept, fa, gpa_of(0), ram_hpa, vm->ram_size,
		                  EPT_READ | EPT_WRITE | EPT_EXEC | EPT_MEMTYPE_WB);
	int vmcs_err = 0;

	for (uint32_t i = 0; i < vm->vcpu_count && !ept_err && !vmcs_err; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->id = i;
		v->vpid = (uint16_t)(1 + index * VM_VCPU_MAX + i); /* VPID 0 is the host's */
		v->loaded = &v->vmcs;
		platform_msrs_init(&v->msrs);
		vmcs_err = loaded_vmcs_alloc(&v->vmcs, fa, vmx_caps.revision_id);
		if (!vmcs_err)
			vmcs_err = guest_cpu_state_alloc(&v->cpu_state, fa);
		v->nested.enabled = vm->nested;
		if (!vmcs_err && vm->nested)
			vmcs_err = nested_vcpu_alloc(v, fa);
	}

	phys_unlock(fa);
	if (ept_err || vmcs_err) {
		snprintf(err, err_size, "not enough host memory for its EPT and VMCS");
		vm_free(vm);
		return -1;
	}

	rtc_init(&vm->rtc, wall_epoch, wall_tsc0, tsc_khz() * 1000);
	pit_init(&vm->pit, tsc_khz() * 1000);
	acpi_pm_init(&vm->pm, tsc_khz() * 1000);
	/* Firmware's tables first: a kernel loaded over the BIOS area takes its place. */
	acpi_tables_build(ram, vm->vcpu_count);
	/* Umbra's keys are not the guest's business: its command line is what follows "--". */
	const char *guest_args = cmdline_after_dashes(vm->cmdline);

	guest_image_load(&img, file, ram);
	/* Above the kernel and above 1 MiB: the boot information and ACPI tables live below. */
	nfiles =
	        place_files(vm, all, count, img.load_end > FILES_FLOOR ? img.load_end : FILES_FLOOR,
	                    files, err, err_size);
	if (nfiles < 0) {
		vm_free(vm);
		return -1;
	}
	info = guest_bootinfo_place(&img, img.protocol == GUEST_LINUX ? 2 * BOOTINFO_SIZE
	                                                              : BOOTINFO_SIZE);
	vm->entry_esi = 0;
	if (img.protocol == GUEST_LINUX && nfiles > 1) {
		snprintf(err, err_size,
		         "a Linux kernel takes one file, its initrd; it was given %d", nfiles);
		vm_free(vm);
		return -1;
	}
	if (info && img.protocol == GUEST_LINUX) {
		/* The 32-bit boot protocol: ESI points at the zero page; EAX, EBX are 0. */
		magic = 0;
		if (!guest_bootinfo_linux(ram, vm->ram_size, info, info + 2 * BOOTINFO_SIZE,
		                          guest_args, nfiles ? &files[0] : NULL, file,
		                          ACPI_TABLES_GPA)) {
			snprintf(err, err_size,
			         "its Linux command line is longer than the kernel takes, or its "
			         "initrd "
			         "lies above where the kernel can reach it");
			vm_free(vm);
			return -1;
		}
		vm->entry_esi = (uint32_t)info;
		info = 0;
	} else if (info && img.protocol == GUEST_MULTIBOOT2) {
		magic = MB2_MAGIC;
		if (!guest_bootinfo_mb2(ram, vm->ram_size, info, info + BOOTINFO_SIZE, guest_args,
		                        files, (uint32_t)nfiles))
			info = 0;
	} else if (info) {
		magic = MB1_MAGIC;
		if (!guest_bootinfo_mb1(ram, vm->ram_size, info, info + BOOTINFO_SIZE, guest_args,
		                        files, (uint32_t)nfiles))
			info = 0;
	}
	if (!info && !vm->entry_esi) {
		snprintf(err, err_size, "no room below 1 MiB for its boot information");
		vm_free(vm);
		return -1;
	}
	vm->entry = img.entry;
	vm->entry_magic = magic;
	vm->entry_info = (uint32_t)info;
	return 0;
}

int vm_create(struct vm *vm, uint32_t index, const struct boot_module *mod,
              const struct boot_module *all, uint32_t count, char *err, size_t err_size)
{
	const uint8_t *file = (const uint8_t *)mod->start;
	uint64_t file_size = mod->end - mod->start;
	uint32_t fail_alloc = 0;
	struct frame_alloc *fa;
	int rc;

	memset(vm, 0, sizeof(*vm));
	vm->index = index;
	vm->exit_code = -1;
	vm_irq_reset(vm);
	if (mod->cmdline_cut) {
		snprintf(err, err_size, "its command line is longer than %u bytes",
		         (unsigned int)sizeof(mod->cmdline) - 1);
		return -1;
	}
	if (parse_cmdline(vm, mod->cmdline, &fail_alloc, err, err_size) < 0)
		return -1;
	const char *holder;

	if (vm->input && !vm_console_claim_input(vm, &holder)) {
		snprintf(err, err_size, "input=1, but VM %s already takes the console's input",
		         holder);
		return -1;
	}
	if (file_size == 0) {
		vm_console_release_input(vm);
		snprintf(err, err_size, "the module is empty");
		return -1;
	}
	if (!vm->name[0])
		snprintf(vm->name, sizeof(vm->name), "vm%u", index);
	/* The test hook: the n-th frame allocation for this VM fails, then none (fail_alloc=). */
	fa = phys_lock();
	frame_alloc_fail_nth(fa, fail_alloc);
	phys_unlock(fa);
	rc = vm_load(vm, index, file, file_size, all, count, err, err_size);
	fa = phys_lock();
	frame_alloc_fail_nth(fa, 0);
	phys_unlock(fa);
	if (rc < 0)
		vm_console_release_input(vm);
	return rc;
}
