#!/bin/bash
# Time a forward, an exact and a light training step of examples/bench256.toml on
# every host SIMD path (docs/performance.md, "Each path, before and after"): one
# process per cell, best of 3 interleaved, microseconds per step. With BASE=path to
# another neurochip binary (e.g. an older build) it is timed beside them as "base".
#
#   bench/paths.sh                       # after `cargo build --release -p neurochip`
#   BASE=/tmp/old/neurochip bench/paths.sh
set -eu
cd "$(dirname "$0")/.."
NC=${NEUROCHIP:-target/release/neurochip}
CONFIG=${CONFIG:-examples/bench256.toml}
cells="baseline avx2 avx512"
[ -n "${BASE:-}" ] && cells="base $cells"
declare -A best
for _ in 1 2 3; do
  for m in forward exact light; do
    for v in $cells; do
      if [ "$v" = base ]; then b=$BASE; isa=; else b=$NC; isa=$v; fi
      t=$(NEUROCHIP_ISA=$isa "$b" bench "$CONFIG" --mode $m --json |
          python3 -c 'import json,sys; print(json.load(sys.stdin)["us_per_step"])')
      k="$m $v"
      if [ -z "${best[$k]:-}" ] || python3 -c "import sys; sys.exit(0 if $t < ${best[$k]} else 1)"; then
        best[$k]=$t
      fi
    done
  done
done
printf "%-8s" step; for v in $cells; do printf " %10s" "$v"; done; echo "   (us/step, best of 3)"
for m in forward exact light; do
  printf "%-8s" $m; for v in $cells; do printf " %10.2f" "${best["$m $v"]}"; done; echo
done
