/*
 * The boot CPU's C entry and the APs' C entry: bring the platform up, then
 * report and end the run.
 */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/acpi.h"
#include "arch/x86/boot_time.h"
#include "arch/x86/cmos_clock.h"
#include "arch/x86/cpu.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/fb_console.h"
#include "arch/x86/gdt.h"
#include "arch/x86/idt.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "arch/x86/platform.h"
#include "arch/x86/serial.h"
#include "arch/x86/pic.h"
#include "arch/x86/smp.h"
#include "arch/x86/tsc.h"
#include "arch/x86/vga_text.h"
#include "arch/x86/vmx/vmx.h"
#include "boot/boot_info.h"
#include "boot/lowmem.h"
#include "boot/multiboot.h"
#include "lib/calendar.h"
#include "lib/cmdline.h"
#include "lib/console.h"
#include "lib/frame_alloc.h"
#include "lib/phys_mem.h"
#include "vcpu/guest_cpu_state.h"
#include "vcpu/sched.h"
#include "vcpu/slice.h"
#include "vcpu/vm.h"
#include "vcpu/vm_irq.h"
#include "vcpu/vmcs_setup.h"
#include "nested/nested.h"
#include "lib/panic.h"

#define FIRST_MIB 0x100000ULL

extern char __image_start[], __image_end[];

static struct boot_info boot_info;
static struct acpi_cpus acpi_cpus;
/* The platform can run guests: checked once on the BSP before the APs start. */
static bool vmx_usable;

/* Physical memory is identity-mapped: a readable range is just a pointer. */
static const void *identity_reader(uint64_t pa, uint64_t len, void *ctx)
{
	(void)ctx;
	if (pa == 0 || pa + len < pa || pa + len > paging_mapped_end())
		return NULL;
	return (const void *)pa;
}

static const char *mem_type_name(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_USABLE: return "usable";
	case BOOT_MEM_ACPI_RECLAIM: return "acpi-reclaimable";
	case BOOT_MEM_ACPI_NVS: return "acpi-nvs";
	case BOOT_MEM_BAD: return "bad";
	default: return "reserved";
	}
}

static void boot_info_load(uint32_t magic, uint64_t info_pa)
{
	int err;

	if (magic == MULTIBOOT2_BOOTLOADER_MAGIC)
		err = multiboot2_parse(identity_reader(info_pa, 8, NULL), info_pa, &boot_info);
	else
		err = multiboot1_parse(info_pa, identity_reader, NULL, &boot_info);
	if (err < 0)
		panic("malformed Multiboot%u information: %s",
		      magic == MULTIBOOT2_BOOTLOADER_MAGIC ? 2 : 1, boot_info.error);

	console_printf("umbra: loaded by %s (Multiboot%u), command line '%s'\n",
	               boot_info.loader[0] ? boot_info.loader : "an unnamed loader",
	               boot_info.protocol, boot_info.cmdline);
	for (uint32_t i = 0; i < boot_info.mem_count; i++) {
		const struct boot_mem_range *r = &boot_info.mem[i];

		console_printf("umbra: mem 0x%012lx-0x%012lx %s\n", r->base, r->base + r->length,
		               mem_type_name(r->type));
	}
	for (uint32_t i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *m = &boot_info.modules[i];

		console_printf("umbra: module %u 0x%lx-0x%lx '%s'\n", i, m->start, m->end,
		               m->cmdline);
	}
	if (boot_info.module_count == 0)
		console_printf("umbra: no modules\n");
	if (boot_info_validate(&boot_info) < 0)
		panic("bad boot information: %s", boot_info.error);
}

/* The console on screen too, unless `screen=0`: the loader's text mode or RGB framebuffer. */
static void screen_init(void)
{
	const struct boot_framebuffer *fb = &boot_info.fb;

	if (!cmdline_get_bool(boot_info.cmdline, "screen", true))
		return;
	switch (fb->type) {
	case BOOT_FB_EGA_TEXT: vga_text_init(fb->addr, fb->width, fb->height, fb->pitch); break;
	case BOOT_FB_NONE: /* a BIOS boot that did not say: the standard text mode */
		vga_text_init(VGA_TEXT_DEFAULT_ADDR, VGA_TEXT_DEFAULT_COLS, VGA_TEXT_DEFAULT_ROWS,
		              VGA_TEXT_DEFAULT_COLS * 2);
		break;
	case BOOT_FB_RGB: {
		const struct fb_rgb_mode mode = {
		        .addr = fb->addr,
		        .pitch = fb->pitch,
		        .width = fb->width,
		        .height = fb->height,
		        .bpp = fb->bpp,
		        .red_pos = fb->red_pos,
		        .red_size = fb->red_size,
		        .green_pos = fb->green_pos,
		        .green_size = fb->green_size,
		        .blue_pos = fb->blue_pos,
		        .blue_size = fb->blue_size,
		};

		if (fb_console_init(&mode)) {
			console_printf("umbra: console on serial and a %ux%ux%u RGB framebuffer "
			               "(%ux%u characters)\n",
			               fb->width, fb->height, fb->bpp, fb_console_cols(),
			               fb_console_rows());
			return;
		}
	}
		/* fall through */
	default:
		console_printf("umbra: screen: %ux%ux%u %s framebuffer not supported (RGB 16/24/32 "
		               "bpp below 4 GiB is); console on serial only\n",
		               fb->width, fb->height, fb->bpp,
		               fb->type == BOOT_FB_RGB ? "RGB" : "indexed-colour");
		return;
	}
	console_printf("umbra: console on serial and screen\n");
}

static void frames_init(void)
{
	struct frame_alloc *fa = phys_lock();

	frame_alloc_init(fa);
	for (uint32_t i = 0; i < boot_info.mem_count; i++) {
		const struct boot_mem_range *r = &boot_info.mem[i];

		if (r->type == BOOT_MEM_USABLE &&
		    frame_alloc_add(fa, r->base, r->base + r->length) < 0)
			console_printf("umbra: warning: memory range 0x%lx+0x%lx not used (too "
			               "many ranges)\n",
			               r->base, r->length);
	}
	/* Real-mode structures and the trampoline live in the first MiB. */
	frame_alloc_reserve(fa, 0, FIRST_MIB);
	frame_alloc_reserve(fa, (uint64_t)__image_start, (uint64_t)__image_end);
	frame_alloc_reserve(fa, boot_info.info_start, boot_info.info_end);
	for (uint32_t i = 0; i < boot_info.module_count; i++)
		frame_alloc_reserve(fa, boot_info.modules[i].start, boot_info.modules[i].end);
	console_printf("umbra: %lu MiB free for guests and the hypervisor\n",
	               (unsigned long)(fa->free_frames * FRAME_SIZE >> 20));
	phys_unlock(fa);
}

static uint32_t cpus_start(void)
{
	uint64_t rsdp = boot_info.rsdp;
	uint64_t phantom;

	if (!rsdp)
		rsdp = acpi_find_rsdp(identity_reader, NULL);
	if (acpi_find_cpus(rsdp, identity_reader, NULL, &acpi_cpus) < 0 || !acpi_cpus.found_madt) {
		console_printf("umbra: no ACPI MADT (%s): booting on one CPU\n",
		               acpi_cpus.error[0] ? acpi_cpus.error : "not found");
		return 1;
	}
	console_printf("umbra: ACPI MADT lists %u CPUs (%u disabled)\n", acpi_cpus.count,
	               acpi_cpus.skipped_disabled);
	/* A problem the MADT had but booting survives (more CPUs than Umbra takes, a bad ID). */
	if (acpi_cpus.error[0])
		console_printf("umbra: ACPI %s\n", acpi_cpus.error);
	/* Test hook: an APIC ID nobody answers, to exercise the AP timeout. */
	if (cmdline_get_u64(boot_info.cmdline, "test_phantom_apic", &phantom) &&
	    acpi_cpus.count < ACPI_MAX_CPUS)
		acpi_cpus.apic_ids[acpi_cpus.count++] = (uint32_t)phantom;

	uint64_t tramp = lowmem_find_trampoline(&boot_info, smp_trampoline_size());

	if (!tramp) {
		console_printf("umbra: no free page below 1 MiB for the AP trampoline: "
		               "booting on one CPU\n");
		return 1;
	}
	return smp_start_aps(acpi_cpus.apic_ids, acpi_cpus.count, tramp);
}

/*
 * A VM takes the console's input (input=1): COM1's interrupt goes to this
 * CPU through the I/O APIC the MADT lists; without one, COM1 is polled.
 */
static void console_input_start(uint32_t apic_id)
{
	struct vm *vm = vm_console_input_vm();
	const char *why = "no ACPI MADT";
	uint32_t pin = 0;
	bool by_irq;

	if (!vm)
		return;
	by_irq = acpi_cpus.found_madt &&
	         ioapic_route_isa_irq(&acpi_cpus, SERIAL_COM1_IRQ, VECTOR_CONSOLE_INPUT, apic_id,
	                              &pin, &why);
	vm_console_start_input(by_irq);
	if (by_irq) {
		serial_rx_irq_enable();
		console_printf("umbra: console input to vm %s: COM1's interrupt (IRQ %u, I/O APIC "
		               "pin %u)\n",
		               vm->name, SERIAL_COM1_IRQ, pin);
	} else {
		console_printf("umbra: console input to vm %s: COM1 polled every %u ms (%s)\n",
		               vm->name, VM_IRQ_INPUT_POLL_MS, why);
	}
}

/* Test hook: `test_fault=N` makes CPU N execute UD2 once it is online. */
static uint64_t test_fault_cpu = UINT64_MAX;

/* The host's CMOS clock, once: the wall time every VM's own clock starts from. */
static void wall_clock_init(void)
{
	struct cmos_time t;
	int64_t epoch = 0;

	if (cmos_clock_read(&t)) {
		epoch = calendar_days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 +
		        t.minute * 60 + t.second;
		console_printf("umbra: wall clock %04u-%02u-%02u %02u:%02u:%02u UTC (host CMOS)\n",
		               t.year, t.month, t.day, t.hour, t.minute, t.second);
	} else {
		console_printf("umbra: no host CMOS clock: VM clocks start at 1970-01-01\n");
	}
	vm_set_wall_clock(epoch, rdtsc());
}

static void test_fault_maybe(const struct percpu *cpu)
{
	if (cpu->index == test_fault_cpu)
		__asm__ volatile("ud2");
}

static void cpu_report_online(const struct percpu *cpu)
{
	console_printf("umbra: cpu %u apic=%u online in long mode%s\n", cpu->index, cpu->apic_id,
	               cpu->index == 0 ? " (boot cpu)" : "");
}

static void cpu_local_init(struct percpu *cpu)
{
	gdt_load(cpu);
	idt_load();
	lapic_init();
	cpu->apic_id = lapic_id();
}

void boot_main(uint32_t magic, uint64_t info_pa)
{
	struct percpu *bsp = percpu_setup(0);

	console_init();
	gdt_load(bsp);
	idt_init();
	idt_load();
	pic_disable();
	console_printf("umbra: Umbra hypervisor starting\n");
	cpu_features_read();
	cpu_features_report();

	boot_info_load(magic, info_pa);
	screen_init();
	frames_init();
	struct frame_alloc *fa = phys_lock();

	paging_init(fa, boot_info_ram_end(&boot_info));
	phys_unlock(fa);
	tsc_calibrate();
	console_printf("umbra: TSC %lu kHz\n", tsc_khz());
	wall_clock_init();

	cmdline_get_u64(boot_info.cmdline, "test_fault", &test_fault_cpu);
	lapic_select_mode(cmdline_get_bool(boot_info.cmdline, "x2apic", true));
	console_set_debug(cmdline_get_bool(boot_info.cmdline, "debug", false));
	cpu_local_init(bsp);
	percpu_count = 1;
	bsp->online = true;
	console_printf("umbra: local APIC in %s mode\n", lapic_x2apic_mode() ? "x2APIC" : "xAPIC");
	cpu_report_online(bsp);
	{
		char hide[64] = "";

		cmdline_get(boot_info.cmdline, "vmx_hide", hide, sizeof(hide));
		vmx_usable = vmx_platform_check(hide);
	}
	if (vmx_usable) {
		slice_init(boot_info.cmdline);
		guest_cpu_state_init();
		vmx_usable = vmcs_setup_global() == 0 && nested_global_init(boot_info.cmdline) == 0;
	}
	if (vmx_usable)
		vmx_cpu_enable();

	uint32_t online = cpus_start();

	test_fault_maybe(bsp);
	if (!smp_wait_settled())
		console_printf("umbra: warning: some CPUs did not settle within %u ms\n",
		               SMP_SETTLE_TIMEOUT_US / 1000);

	uint32_t vmx_cpus = 0;

	for (uint32_t i = 0; i < MAX_CPUS; i++)
		vmx_cpus += percpu_area[i].online && percpu_area[i].vmx_on;

	struct sched_result res = {0, 0, 0};
	enum umbra_exit_code code = UMBRA_EXIT_ERROR;

	if (bsp->vmx_on) {
		sched_create_vms(&boot_info);
		console_input_start(bsp->apic_id);
		sched_start();
		boot_time_first_entry();
		sched_run_vms();
		res = sched_wait_all();
		code = res.fail ? UMBRA_EXIT_FAIL : UMBRA_EXIT_PASS;
	} else {
		console_printf("umbra: error: no guests can run on this machine (see the vmx line "
		               "above)\n");
	}
	if (panic_count())
		code = UMBRA_EXIT_ERROR;
	boot_time_report(vmx_cpus);
	console_printf("umbra: summary cpus=%u vmx=%u vms=%u pass=%u fail=%u\n", online, vmx_cpus,
	               res.vms, res.pass, res.fail);
	platform_exit(code);
}

void ap_main(uint32_t index)
{
	struct percpu *cpu = percpu_setup(index);

	cpu_local_init(cpu);
	cpu_report_online(cpu);
	smp_ap_report_online();
	test_fault_maybe(cpu);
	if (vmx_usable)
		vmx_cpu_enable();
	smp_ap_park();
	if (cpu->vmx_on)
		sched_ap_wait_and_run();
	cpu_halt_forever();
}
