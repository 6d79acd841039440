#!/usr/bin/env python3
"""Reads Umbra's framebuffer console back as text, exactly.

    tests/system/fb-to-text.py SCREEN.ppm FONT.psf[.gz] OUT.txt

SCREEN.ppm is QEMU's screendump (binary PPM, P6). Each 8x16 cell must be,
pixel for pixel, a glyph of the PSF font (PSF1 or PSF2, 8x16) in white
(255,255,255) on black (0,0,0), and the pixels right of and below the last
whole cell must be black. OUT.txt gets one line per cell row (trailing
blanks dropped); a cell that is no glyph is written as U+FFFD. Prints
"fb-to-text: ok ..." and exits 0 only if every cell matched.
"""
import gzip
import struct
import sys

W, H = 8, 16
WHITE, BLACK = b"\xff\xff\xff", b"\x00\x00\x00"


def read_font(path):
    """{glyph bitmap (16 bytes): character}, ASCII first, then by code point."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    cps = {}  # glyph index -> code points
    if data[:2] == b"\x36\x04":
        mode, size = data[2], data[3]
        count, off, width, height = (512 if mode & 1 else 256), 4, 8, size
        if mode & 0x06:
            glyph, seq, i = 0, False, off + count * size
            while glyph < count and i + 2 <= len(data):
                (u,) = struct.unpack_from("<H", data, i)
                i += 2
                if u == 0xFFFF:
                    glyph, seq = glyph + 1, False
                elif u == 0xFFFE:
                    seq = True
                elif not seq:
                    cps.setdefault(glyph, []).append(u)
    elif data[:4] == b"\x72\xb5\x4a\x86":
        _, off, flags, count, size, height, width = struct.unpack_from("<7I", data, 4)
        if flags & 1:
            table = data[off + count * size:]
            for glyph, entry in enumerate(table.split(b"\xff")[:count]):
                for ch in entry.split(b"\xfe")[0].decode("utf-8"):
                    cps.setdefault(glyph, []).append(ord(ch))
    else:
        sys.exit(f"fb-to-text: {path}: not a PSF font")
    if (width, height, size) != (W, H, H):
        sys.exit(f"fb-to-text: {path}: glyphs are {width}x{height}, not 8x16")
    if not cps:
        cps = {g: [g] for g in range(count)}
    by_cp = sorted((cp, g) for g, lst in cps.items() for cp in lst)
    glyphs = {}
    for cp, g in by_cp:  # the lowest code point names a shared glyph: ASCII wins
        glyphs.setdefault(data[off + g * size:off + (g + 1) * size], chr(cp))
    # Two ASCII characters drawn alike could not be told apart.
    ascii_seen = {}
    for cp, g in by_cp:
        if 0x20 <= cp < 0x7F:
            bm = data[off + g * size:off + (g + 1) * size]
            if bm in ascii_seen and ascii_seen[bm] != cp:
                sys.exit(f"fb-to-text: {path}: {chr(cp)!r} and {chr(ascii_seen[bm])!r} "
                         "share a glyph")
            ascii_seen.setdefault(bm, cp)
    return glyphs


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields, i = [], 0
    while len(fields) < 4:
        while data[i:i + 1].isspace():
            i += 1
        if data[i:i + 1] == b"#":
            i = data.index(b"\n", i) + 1
            continue
        j = i
        while not data[j:j + 1].isspace():
            j += 1
        fields.append(data[i:j])
        i = j
    i += 1  # the single whitespace byte before the pixels
    if fields[0] != b"P6" or fields[3] != b"255":
        sys.exit(f"fb-to-text: {path}: not an 8-bit binary PPM")
    width, height = int(fields[1]), int(fields[2])
    pixels = data[i:i + width * height * 3]
    if len(pixels) != width * height * 3:
        sys.exit(f"fb-to-text: {path}: truncated")
    return width, height, pixels


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: fb-to-text.py SCREEN.ppm FONT.psf[.gz] OUT.txt")
    glyphs = read_font(sys.argv[2])
    width, height, px = read_ppm(sys.argv[1])
    cols, rows = width // W, height // H
    line_bytes = width * 3
    bad = []
    lines = []
    for r in range(rows):
        text = []
        for c in range(cols):
            bitmap = bytearray(H)
            ok = True
            for y in range(H):
                start = (r * H + y) * line_bytes + c * W * 3
                cell = px[start:start + W * 3]
                bits = 0
                for x in range(W):
                    p = cell[x * 3:x * 3 + 3]
                    if p == WHITE:
                        bits |= 0x80 >> x
                    elif p != BLACK:
                        ok = False
                bitmap[y] = bits
            ch = glyphs.get(bytes(bitmap)) if ok else None
            if ch is None:
                bad.append((r, c))
                ch = "\ufffd"
            text.append(ch)
        lines.append("".join(text).rstrip())
    # Nothing drawn outside the cells.
    margin_ok = True
    for y in range(height):
        row = px[y * line_bytes:(y + 1) * line_bytes]
        first = 0 if y >= rows * H else cols * W
        if row[first * 3:].strip(b"\x00"):
            margin_ok = False
            break
    with open(sys.argv[3], "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    if bad or not margin_ok:
        where = ", ".join(f"row {r} col {c}" for r, c in bad[:5])
        print(f"fb-to-text: FAIL {len(bad)} of {cols * rows} cells are no glyph ({where})"
              + ("" if margin_ok else "; pixels set outside the cells"))
        sys.exit(1)
    print(f"fb-to-text: ok {width}x{height} screen, {cols}x{rows} cells, every one a glyph")


if __name__ == "__main__":
    main()
