#!/usr/bin/env bash
# bench-layouts.sh: the load benchmark over several code layouts of the same
# source. Each seed links both servers (cookie-policy and the baseline) with
# their functions in another order (lld's --shuffle-sections), then runs
# `scripts/bench-load.sh --together --restart` on that pair; the summary is
# the median of every round's ratio over all seeds, and each seed's median.
#
# Why: the ratio of one build moves by two or three hundredths with where the
# linker happens to put the hot functions (instruction-cache conflicts: the
# same code, rebuilt after a change elsewhere, measured 0.993 and then 0.965
# on /login). ASLR does not move code within a page, so restarting the
# servers (--restart) samples the heap and stack, not this. A median over
# layouts measures the code, not one layout's luck.
#
# Usage: scripts/bench-layouts.sh [SEED ...]     (default: 1 2 3 4 5)
#   ROUNDS (default 5), DURATION (default 4) and SCENARIOS (default
#   "profile login private") go to bench-load.sh. Needs the default linker
#   of Rust on x86-64 Linux (rust-lld, Rust 1.90 or later); the binaries and
#   each seed's tables are kept in target/layouts/SEED/. The next
#   `cargo build --release` links the usual layout again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
export ROUNDS=${ROUNDS:-5} DURATION=${DURATION:-4}
export SCENARIOS=${SCENARIOS:-profile login private}
[ $# -gt 0 ] || set -- 1 2 3 4 5
for seed in "$@"; do
    [[ $seed =~ ^[1-9][0-9]*$ ]] || { echo "a seed is a positive whole number, not '$seed'" >&2; exit 2; }
done
log() { printf '%s\n' "$*" >&2; }

for seed in "$@"; do
    out=$TARGET/layouts/$seed
    mkdir -p "$out/release/examples"
    shuffle="-Clink-arg=-Wl,--shuffle-sections=.text.*=$seed"
    log "==> layout $seed: linking both servers"
    # Only the final crates are built again: the libraries keep their
    # objects, and the shuffle happens at the link.
    cargo rustc --release --bin cookie-policy -- "$shuffle" >/dev/null 2>&1
    cp "$TARGET/release/cookie-policy" "$out/release/cookie-policy"
    cargo rustc --release --example baseline -- "$shuffle" >/dev/null 2>&1
    cp "$TARGET/release/examples/baseline" "$out/release/examples/baseline"
    log "==> layout $seed: load"
    CARGO_TARGET_DIR=$out scripts/bench-load.sh --no-build --together --restart >"$out/load.md"
done

# Every round's ratio, per scenario and seed, from the tables of bench-load.sh.
python3 - "$TARGET/layouts" "$@" <<'PY'
import re, statistics, sys
base, seeds = sys.argv[1], sys.argv[2:]
ratios = {}  # scenario -> seed -> [ratio]
for seed in seeds:
    scenario = None
    for line in open(f"{base}/{seed}/load.md"):
        m = re.match(r"^## (\w+):", line)
        if m:
            scenario = m.group(1)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if scenario and len(cells) >= 5 and cells[0].isdigit():
            ratios.setdefault(scenario, {}).setdefault(seed, []).append(float(cells[4]))
print("| scenario | median of all rounds | rounds | median per layout (seed: median) |")
print("|---|---:|---:|---|")
for scenario, per in ratios.items():
    every = [r for rs in per.values() for r in rs]
    each = ", ".join(f"{s}: {statistics.median(rs):.3f}" for s, rs in per.items())
    print(f"| {scenario} | **{statistics.median(every):.3f}** | {len(every)} | {each} |")
PY
