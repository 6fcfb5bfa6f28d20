#!/usr/bin/env bash
# bench-layouts.sh: the load benchmark over several code layouts of the same
# source. Each seed links both servers (cookie-policy and the baseline) with
# their functions in another order (lld's --shuffle-sections), then runs
# `scripts/bench-load.sh --together --restart` on that pair; the summary is
# the median of every round's ratio over all seeds, and each seed's median.
#
# Why: the ratio of one build moves by about three hundredths with where the
# linker happens to put the hot functions (instruction-cache conflicts: the
# same code, rebuilt after a change elsewhere, measured 0.993 and then 0.965
# on /login). ASLR does not move code within a page, so restarting the
# servers (--restart) samples the heap and stack, not this. A median over
# layouts measures the code, not one layout's luck.
#
# Usage: scripts/bench-layouts.sh [SEED ...]     (default: 1 2 3 4 5)
#   ROUNDS (default 5), DURATION (default 4) and SCENARIOS (default
#   "profile login private") go to bench-load.sh. Needs the default linker
#   of Rust on x86-64 Linux (rust-lld, Rust 1.90 or later).
#
# Both servers are built by one `cargo build` (so their dependencies are
# the same build, features resolved once, as bench-load.sh builds them) in
# a target directory of their own, target/layouts/build, through a linker
# wrapper that adds the seed's shuffle; for each further seed only the two
# final crates are built again. The first seed builds every dependency
# (a few minutes); target/release is left alone. Each seed's binaries and
# tables are kept in target/layouts/SEED/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
export ROUNDS=${ROUNDS:-5} DURATION=${DURATION:-4}
export SCENARIOS=${SCENARIOS:-profile login private}
[ $# -gt 0 ] || set -- 1 2 3 4 5
declare -A seen=()
for seed in "$@"; do
    [[ $seed =~ ^[1-9][0-9]{0,8}$ ]] || { echo "a seed is a whole number from 1 to 999999999, not '$seed'" >&2; exit 2; }
    [[ -z ${seen[$seed]:-} ]] || { echo "seed $seed is given twice" >&2; exit 2; }
    seen[$seed]=1
done
log() { printf '%s
' "$*" >&2; }

BUILD=$TARGET/layouts/build
mkdir -p "$BUILD"
# The wrapper's path stays the same from seed to seed, so cargo reuses the
# dependencies; the seed reaches it through the environment. Its name ends
# in `-gcc` so that rustc passes it a C compiler's arguments.
# With a linker of its own, rustc no longer picks its bundled lld, which is
# the one that can shuffle: the wrapper asks for it as rustc does.
GCC_LD=$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld
[ -x "$GCC_LD/ld.lld" ] || { echo "no bundled lld at $GCC_LD (needs Rust 1.90 or later on x86-64 Linux)" >&2; exit 2; }
cat >"$BUILD/shuffle-gcc" <<SH
#!/bin/sh
exec cc -fuse-ld=lld "-B$GCC_LD" "\$@" "-Wl,--shuffle-sections=.text.*=\$LAYOUT_SEED"
SH
chmod +x "$BUILD/shuffle-gcc"

for seed in "$@"; do
    out=$TARGET/layouts/$seed
    mkdir -p "$out/release/examples"
    log "==> layout $seed: building both servers"
    # The seed is not part of cargo's fingerprint: touching the two final
    # crates makes it link them again, with this seed.
    touch src/main.rs examples/baseline.rs
    if ! LAYOUT_SEED=$seed CARGO_TARGET_DIR=$BUILD \
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=$BUILD/shuffle-gcc \
        cargo build --release --bin cookie-policy --example baseline >"$out/build.log" 2>&1; then
        log "build failed for seed $seed: $out/build.log"
        exit 1
    fi
    cp "$BUILD/release/cookie-policy" "$out/release/cookie-policy"
    cp "$BUILD/release/examples/baseline" "$out/release/examples/baseline"
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
