#!/usr/bin/env python3
"""Splits a Bochs instruction trace by function: how docs/performance.md
says where an exit's instructions go.

  scripts/trace-split.py TRACE UMBRA_ELF [GUEST_ELF]

TRACE is Bochs' debugger output after `trace on` (one line per executed
instruction, its linear address after the colon). An address inside
UMBRA_ELF's text is Umbra's (L0) and is named by the function holding it;
any other is the guest's, named from GUEST_ELF when given. Prints the
total, Umbra's share, then each function with its count, most first
(U: Umbra, G: guest).
"""
import bisect
import collections
import re
import subprocess
import sys

LINE = re.compile(r'\(\d+\)\.\[\d+\] \[0x[0-9a-f]+\] [0-9a-f]+:([0-9a-f]+) ')


def functions(elf):
    """(address, name) of each text symbol, sorted, and the end of the code."""
    out = subprocess.run(['nm', '-n', elf], capture_output=True, text=True,
                         check=True).stdout
    syms = [(int(p[0], 16), p[2]) for p in (line.split() for line in out.split('\n'))
            if len(p) == 3 and p[1] in 'tTwW']
    # The end of the last executable section (assembly labels carry no size).
    out = subprocess.run(['readelf', '-SW', elf], capture_output=True, text=True,
                         check=True).stdout
    end = 0
    for m in re.finditer(r'\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*X\S*)',
                         out):
        end = max(end, int(m.group(1), 16) + int(m.group(2), 16))
    return syms, end


def name_of(syms, addrs, a):
    i = bisect.bisect_right(addrs, a) - 1
    return syms[i][1] if i >= 0 else hex(a)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    umbra, end = functions(sys.argv[2])
    guest = functions(sys.argv[3])[0] if len(sys.argv) == 4 else []
    ua, ga = [a for a, _ in umbra], [a for a, _ in guest]
    counts, tracing = collections.Counter(), False
    with open(sys.argv[1], errors='replace') as f:
        for line in f:
            if 'Tracing enabled' in line:
                tracing = True
                continue
            m = LINE.match(line) if tracing else None
            if not m:
                continue
            a = int(m.group(1), 16)
            if ua and ua[0] <= a < end:
                counts['U ' + name_of(umbra, ua, a)] += 1
            else:
                counts['G ' + name_of(guest, ga, a)] += 1
    if not counts:
        sys.exit('trace-split: no traced instruction in ' + sys.argv[1])
    total = sum(counts.values())
    l0 = sum(n for k, n in counts.items() if k.startswith('U '))
    print(f'total {total} umbra {l0}')
    for k, n in counts.most_common():
        print(f'{n:6d} {k}')


try:
    main()
except BrokenPipeError:  # its reader (head) stopped early
    sys.exit(0)
