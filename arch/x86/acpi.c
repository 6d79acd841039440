/*
 * ACPI table walk for the CPU list: RSDP -> XSDT/RSDT -> MADT. Firmware
 * tables are untrusted: lengths and checksums are checked before use.
 */
#include "arch/x86/acpi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/fmt.h"

#define ACPI_RSDP_V1_LEN  20
#define ACPI_RSDP_V2_LEN  36
#define ACPI_RSDP_MAX_LEN 4096
#define ACPI_HDR_LEN      36
#define ACPI_TABLE_MAX    (1024 * 1024) /* larger is garbage */
#define ACPI_MADT_ENTRIES 44
#define ACPI_BDA_EBDA_SEG 0x40e
#define ACPI_EBDA_SCAN    1024
#define ACPI_BIOS_START   0xe0000
#define ACPI_BIOS_END     0x100000

#define MADT_LAPIC              0
#define MADT_IOAPIC             1
#define MADT_IRQ_OVERRIDE       2
#define MADT_LAPIC_OVERRIDE     5
#define MADT_X2APIC             9
#define MADT_LAPIC_LEN          8
#define MADT_IOAPIC_LEN         12
#define MADT_IRQ_OVERRIDE_LEN   10
#define MADT_LAPIC_OVERRIDE_LEN 12
#define MADT_X2APIC_LEN         16
#define MADT_ENABLED            (1U << 0)
#define MADT_ONLINE_CAPABLE     (1U << 1)

struct acpi_root {
	uint64_t xsdt;
	uint64_t rsdt;
};

static bool acpi_sum_ok(const uint8_t *p, uint64_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum == 0;
}

/* Notes a problem in out->error: fmt_print()'s "%u", "%x" and "%s". */
static void acpi_note(struct acpi_cpus *out, const char *fmt, const uint64_t *nums, const char *str)
{
	/* The first problem only: later ones are usually its consequences. */
	if (!out->error[0])
		fmt_print(out->error, sizeof(out->error), fmt, nums, str);
}

/* Validates the RSDP at pa; on success fills root. out may be NULL (scans). */
static int acpi_check_rsdp(uint64_t pa, phys_reader_fn read, void *ctx, struct acpi_root *root,
                           struct acpi_cpus *out)
{
	const uint8_t *p = read(pa, ACPI_RSDP_V1_LEN, ctx);
	uint8_t rev;
	uint32_t len;

	if (!p) {
		if (out)
			acpi_note(out, "RSDP at %x unreadable", &pa, NULL);
		return ACPI_EFAULT;
	}
	if (memcmp(p, "RSD PTR ", 8)) {
		if (out)
			acpi_note(out, "no RSDP signature at %x", &pa, NULL);
		return ACPI_EINVAL;
	}
	if (!acpi_sum_ok(p, ACPI_RSDP_V1_LEN)) {
		if (out)
			acpi_note(out, "RSDP at %x: bad checksum", &pa, NULL);
		return ACPI_EINVAL;
	}
	rev = p[15];
	root->rsdt = rd32(p + 16);
	root->xsdt = 0;
	if (rev < 2)
		return 0;

	p = read(pa, ACPI_RSDP_V2_LEN, ctx);
	if (!p) {
		if (out)
			acpi_note(out, "RSDP at %x unreadable", &pa, NULL);
		return ACPI_EFAULT;
	}
	len = rd32(p + 20);
	root->xsdt = rd64(p + 24);
	if (len < ACPI_RSDP_V2_LEN || len > ACPI_RSDP_MAX_LEN) {
		if (out)
			acpi_note(out, "RSDP at %x: bad length %u", (const uint64_t[]){pa, len},
			          NULL);
		return ACPI_EINVAL;
	}
	p = read(pa, len, ctx);
	if (!p) {
		if (out)
			acpi_note(out, "RSDP at %x unreadable", &pa, NULL);
		return ACPI_EFAULT;
	}
	if (!acpi_sum_ok(p, len)) {
		if (out)
			acpi_note(out, "RSDP at %x: bad extended checksum", &pa, NULL);
		return ACPI_EINVAL;
	}
	return 0;
}

static uint64_t acpi_scan(phys_reader_fn read, void *ctx, uint64_t start, uint64_t end)
{
	struct acpi_root root;

	/* Like ACPICA: any 16-byte slot in the area may start the RSDP. */
	for (uint64_t pa = start; pa < end; pa += 16) {
		if (acpi_check_rsdp(pa, read, ctx, &root, NULL) == 0)
			return pa;
	}
	return 0;
}

uint64_t acpi_find_rsdp(phys_reader_fn read, void *ctx)
{
	const uint8_t *p;
	uint64_t ebda = 0, rsdp = 0;

	if (!read)
		return 0;
	p = read(ACPI_BDA_EBDA_SEG, 2, ctx);
	if (p)
		ebda = (uint64_t)rd16(p) << 4;
	if (ebda)
		rsdp = acpi_scan(read, ctx, ebda, ebda + ACPI_EBDA_SCAN);
	if (!rsdp)
		rsdp = acpi_scan(read, ctx, ACPI_BIOS_START, ACPI_BIOS_END);
	return rsdp;
}

/*
 * Maps the table at pa if its signature is sig. Returns the table (length in
 * *len) after checking length and checksum; NULL otherwise, with a note
 * unless the signature simply differs (*sig_differs then set).
 */
static const uint8_t *acpi_map_table(struct acpi_cpus *out, phys_reader_fn read, void *ctx,
                                     uint64_t pa, const char *sig, uint32_t *len, bool *sig_differs)
{
	const uint8_t *t = read(pa, ACPI_HDR_LEN, ctx);

	*sig_differs = false;
	if (!t) {
		acpi_note(out, "table at %x unreadable", &pa, NULL);
		return NULL;
	}
	if (memcmp(t, sig, 4)) {
		*sig_differs = true;
		return NULL;
	}
	*len = rd32(t + 4);
	if (*len < ACPI_HDR_LEN || *len > ACPI_TABLE_MAX) {
		acpi_note(out, "%s at %x: bad length %u", (const uint64_t[]){pa, *len}, sig);
		return NULL;
	}
	t = read(pa, *len, ctx);
	if (!t) {
		acpi_note(out, "%s at %x unreadable", &pa, sig);
		return NULL;
	}
	if (!acpi_sum_ok(t, *len)) {
		acpi_note(out, "%s at %x: bad checksum, skipped", &pa, sig);
		return NULL;
	}
	return t;
}

/*
 * Looks through the XSDT (8-byte entries) or RSDT (4-byte entries) at pa for
 * the first valid MADT. -1 if the root table itself is unusable, else 0,
 * with the MADT (and its length) set when found. Entries are re-read one at
 * a time so that only one mapping is live at a time.
 */
static int acpi_find_madt(struct acpi_cpus *out, phys_reader_fn read, void *ctx, uint64_t pa,
                          bool xsdt, const uint8_t **madt, uint32_t *madt_len)
{
	const char *sig = xsdt ? "XSDT" : "RSDT";
	uint32_t esize = xsdt ? 8 : 4;
	uint32_t len, count;
	bool differs;

	if (!acpi_map_table(out, read, ctx, pa, sig, &len, &differs)) {
		if (differs)
			acpi_note(out, "no %s signature at %x", &pa, sig);
		return -1;
	}
	count = (len - ACPI_HDR_LEN) / esize;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t epa = pa + ACPI_HDR_LEN + (uint64_t)i * esize;
		const uint8_t *e = read(epa, esize, ctx);
		uint64_t tpa;

		if (!e) {
			acpi_note(out, "%s entry at %x unreadable", &epa, sig);
			return -1;
		}
		tpa = xsdt ? rd64(e) : rd32(e);
		if (!tpa)
			continue;
		*madt = acpi_map_table(out, read, ctx, tpa, "APIC", madt_len, &differs);
		if (*madt)
			return 0;
	}
	return 0;
}

static void acpi_add_cpu(struct acpi_cpus *out, uint32_t apic_id, uint32_t flags, bool bad_id)
{
	if (!(flags & (MADT_ENABLED | MADT_ONLINE_CAPABLE))) {
		out->skipped_disabled++;
		return;
	}
	if (bad_id) {
		acpi_note(out, "MADT: usable CPU with invalid APIC ID %x ignored",
		          (const uint64_t[]){apic_id}, NULL);
		return;
	}
	for (uint32_t i = 0; i < out->count; i++) {
		if (out->apic_ids[i] == apic_id)
			return; /* firmware may list a CPU as both LAPIC and x2APIC */
	}
	if (out->count == ACPI_MAX_CPUS) {
		acpi_note(out, "MADT: more than %u CPUs, the rest ignored",
		          (const uint64_t[]){ACPI_MAX_CPUS}, NULL);
		return;
	}
	out->apic_ids[out->count++] = apic_id;
}

static void acpi_parse_madt(struct acpi_cpus *out, const uint8_t *t, uint32_t len)
{
	uint32_t off;

	out->found_madt = true;
	if (len < ACPI_MADT_ENTRIES) {
		acpi_note(out, "MADT too short (%u bytes)", (const uint64_t[]){len}, NULL);
		return;
	}
	out->lapic_base = rd32(t + 36);
	for (off = ACPI_MADT_ENTRIES; off < len;) {
		uint8_t type, elen;

		if (len - off < 2) {
			acpi_note(out, "MADT: truncated entry at offset %u",
			          (const uint64_t[]){off}, NULL);
			return;
		}
		type = t[off];
		elen = t[off + 1];
		const uint64_t at[] = {type, off, elen};

		if (elen < 2 || elen > len - off) {
			acpi_note(out, "MADT: entry type %u at offset %u: bad length %u", at, NULL);
			return;
		}
		switch (type) {
		case MADT_LAPIC:
			if (elen < MADT_LAPIC_LEN)
				goto short_entry;
			/* 0xff is the broadcast ID: such a CPU needs an x2APIC entry. */
			acpi_add_cpu(out, t[off + 3], rd32(t + off + 4), t[off + 3] == 0xff);
			break;
		case MADT_X2APIC:
			if (elen < MADT_X2APIC_LEN)
				goto short_entry;
			acpi_add_cpu(out, rd32(t + off + 4), rd32(t + off + 8),
			             rd32(t + off + 4) == UINT32_MAX);
			break;
		case MADT_LAPIC_OVERRIDE:
			if (elen < MADT_LAPIC_OVERRIDE_LEN)
				goto short_entry;
			out->lapic_base = rd64(t + off + 4);
			break;
		case MADT_IOAPIC:
			if (elen < MADT_IOAPIC_LEN)
				goto short_entry;
			if (rd32(t + off + 8) == 0 && !out->found_ioapic) {
				out->found_ioapic = true;
				out->ioapic_base = rd32(t + off + 4);
			}
			break;
		case MADT_IRQ_OVERRIDE:
			if (elen < MADT_IRQ_OVERRIDE_LEN)
				goto short_entry;
			/* Bus 0 is ISA, the only one an override names. */
			if (t[off + 2] == 0 && t[off + 3] < ACPI_ISA_IRQS) {
				out->isa_gsi[t[off + 3]] = rd32(t + off + 4);
				out->isa_flags[t[off + 3]] = rd16(t + off + 8);
			}
			break;
		default: break;
		}
		off += elen;
	}
	return;

short_entry:
	acpi_note(out, "MADT: entry type %u at offset %u: too short (%u)",
	          (const uint64_t[]){t[off], off, t[off + 1]}, NULL);
}

int acpi_find_cpus(uint64_t rsdp_pa, phys_reader_fn read, void *ctx, struct acpi_cpus *out)
{
	struct acpi_root root;
	const uint8_t *madt = NULL;
	uint32_t madt_len = 0;
	int err;

	memset(out, 0, sizeof(*out));
	for (uint32_t irq = 0; irq < ACPI_ISA_IRQS; irq++)
		out->isa_gsi[irq] = irq; /* identity-mapped unless overridden */
	if (!read) {
		acpi_note(out, "no physical memory reader", NULL, NULL);
		return ACPI_EFAULT;
	}
	if (!rsdp_pa)
		rsdp_pa = acpi_find_rsdp(read, ctx);
	if (!rsdp_pa) {
		acpi_note(out, "no RSDP found", NULL, NULL);
		return ACPI_ENOENT;
	}
	err = acpi_check_rsdp(rsdp_pa, read, ctx, &root, out);
	if (err)
		return err;

	/* A broken XSDT with a good RSDT happens: fall back rather than give up. */
	err = -1;
	if (root.xsdt)
		err = acpi_find_madt(out, read, ctx, root.xsdt, true, &madt, &madt_len);
	if (err && root.rsdt)
		err = acpi_find_madt(out, read, ctx, root.rsdt, false, &madt, &madt_len);
	if (err && !root.xsdt && !root.rsdt)
		acpi_note(out, "RSDP has no RSDT or XSDT address", NULL, NULL);
	if (!madt) {
		acpi_note(out, "no MADT", NULL, NULL);
		return 0;
	}
	acpi_parse_madt(out, madt, madt_len);
	return 0;
}
