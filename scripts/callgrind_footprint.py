#!/usr/bin/env python3
"""Code footprint per request from a `callgrind --dump-instr=yes` profile.

Counts the distinct 64-byte lines of machine code executed on at least half
of the requests (at least N/2 times over N requests): the code a request
brings into the instruction cache, which instruction counts do not show. A
path that runs as many instructions but touches more lines is slower.

Also counts the atomic read-modify-writes per request (lock-prefixed
instructions and xchg with memory, found by objdump in BINARY): each is one
instruction to callgrind but typically 10 to 20 cycles.

Usage: callgrind_footprint.py PROFILE REQUESTS [--functions]
       callgrind_footprint.py PROFILE REQUESTS --atomics BINARY
The first prints the total, then with --functions one line per function:
hot lines, function. The second prints atomic instructions per request.

Why hand-written: callgrind_annotate reports costs per function or per
source line, not which cache lines were touched; this reads callgrind's
documented file format (positions `instr line`, subposition compression).
"""
import collections
import re
import subprocess
import sys


def position(tok, prev):
    if tok == "*":
        return prev
    if tok.startswith("0x"):
        return int(tok, 16)
    if tok[0] in "+-":
        return prev + int(tok)
    return int(tok)


def executions(path):
    """Instructions executed per address, and the function of each."""
    names, ir, owner = {}, collections.defaultdict(int), {}
    fn, addr, line, skip, i_ir = None, 0, 0, False, None
    with open(path) as f:
        for raw in f:
            raw = raw.rstrip("\n")
            if raw.startswith("events:"):
                i_ir = raw.split()[1:].index("Ir")
                continue
            m = re.match(r"^(fn|cfn)=\((\d+)\)(?: (.*))?$", raw)
            if m:
                kind, ident, name = m.groups()
                if name:
                    names[ident] = name
                if kind == "fn":
                    fn = names.get(ident, ident)
                continue
            if raw.startswith("calls="):
                skip = True  # the next line is the call's inclusive cost
                continue
            if not raw or not (raw[0].isdigit() or raw[0] in "+-*"):
                continue
            toks = raw.split()
            addr = position(toks[0], addr)
            line = position(toks[1], line) if len(toks) > 1 else line
            if skip:
                skip = False
                continue
            costs = toks[2:]
            if i_ir is not None and len(costs) > i_ir:
                ir[addr] += int(costs[i_ir])
                owner[addr] = fn
    return ir, owner


def footprint(path, requests):
    ir, owner = executions(path)
    per_fn, total = collections.defaultdict(set), set()
    for a, count in ir.items():
        if 2 * count >= requests:
            per_fn[owner[a]].add(a >> 6)
            total.add(a >> 6)
    return total, per_fn


def atomics(path, requests, binary):
    """Atomic read-modify-writes executed per request, at instructions run
    on at least half of the requests (the program's own code; those of
    shared libraries are not in BINARY's disassembly)."""
    dis = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", binary],
        capture_output=True, text=True, check=True,
    ).stdout
    locked = set()
    for l in dis.splitlines():
        m = re.match(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", l)
        if m and (m.group(2) == "lock" or (m.group(2).startswith("xchg") and "(" in m.group(3))):
            locked.add(int(m.group(1), 16))
    ir, _ = executions(path)
    # As for the lines: only what runs on at least half of the requests.
    return sum(c for a, c in ir.items() if a in locked and 2 * c >= requests) / requests


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    if "--atomics" in sys.argv[3:]:
        at = sys.argv.index("--atomics") + 1
        if at >= len(sys.argv):
            sys.exit("--atomics needs the BINARY the profile was taken of")
        binary = sys.argv[at]
        print(f"{atomics(sys.argv[1], int(sys.argv[2]), binary):.2f}")
        return
    total, per_fn = footprint(sys.argv[1], int(sys.argv[2]))
    print(len(total))
    if "--functions" in sys.argv[3:]:
        for name, lines in sorted(per_fn.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print(f"{len(lines)}\t{name}")


if __name__ == "__main__":
    main()
