#!/bin/sh
# Where a firmware run spends its instructions, function by function
# (docs/firmware.md, "Cost per time step"):
#
#   firmware/profile.sh ELF [TOP]
#
# Runs ELF on the QEMU board (mps2-an386) one instruction per translation block
# (`-singlestep`), with every executed block logged (`-d exec,nochain`) into a pipe,
# counts each executed address, and maps the addresses to functions with `llvm-nm`
# (or `nm`). Prints the TOP functions (default 25): share, instructions, name; then the
# total. Every instruction of the run is counted: boot, the image check, the cost
# trial and the plan. Slow: about a minute per 10 million instructions.
#
# The ELF is one `make qemu-cost` (or a plain `cargo build --release` in firmware/)
# left in firmware/target/thumbv7em-none-eabihf/release/neurochip-firmware; copy it
# first, since the next build replaces it. The log format is QEMU 7.2's
# (`Trace 0: HOST [CPU/PC/FLAGS/CFLAGS] SYMBOL`).
set -eu

ELF=${1:-}
TOP=${2:-25}
if [ -z "$ELF" ] || [ ! -f "$ELF" ]; then
    echo "profile.sh: '${ELF}' is not a file: give the firmware ELF to profile" >&2
    exit 2
fi
case $TOP in
    '' | *[!0-9]*)
        echo "profile.sh: TOP '$TOP' is not a count of functions" >&2
        exit 2
        ;;
esac
NM=$(command -v llvm-nm || command -v nm || true)
if [ -z "$NM" ]; then
    echo "profile.sh: needs llvm-nm or nm to read the ELF's symbols" >&2
    exit 2
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkfifo "$TMP/log"
awk '/^Trace/ { split($4, f, "/"); n[f[2]]++ } END { for (pc in n) print n[pc], pc }' \
    "$TMP/log" >"$TMP/pcs" &
COUNTER=$!
if ! qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -icount shift=10 -singlestep \
    -d exec,nochain -D "$TMP/log" -kernel "$ELF" >"$TMP/out" 2>&1; then
    cat "$TMP/out" >&2
    echo "profile.sh: the firmware failed under QEMU" >&2
    exit 1
fi
wait "$COUNTER"
"$NM" -n -C --defined-only "$ELF" >"$TMP/syms"

python3 - "$TMP/syms" "$TMP/pcs" "$TOP" <<'PY'
import bisect
import sys

syms_path, pcs_path, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
syms = []
for line in open(syms_path):
    parts = line.rstrip("\n").split(" ", 2)
    # Code symbols only; `$t`/`$d` are the ARM mapping symbols, not functions.
    if len(parts) == 3 and parts[1] in "tT" and not parts[2].startswith("$"):
        syms.append((int(parts[0], 16) & ~1, parts[2]))
syms.sort()
starts = [a for a, _ in syms]
per = {}
total = 0
for line in open(pcs_path):
    count, pc = line.split()
    count, pc = int(count), int(pc, 16)
    i = bisect.bisect_right(starts, pc) - 1
    name = syms[i][1] if i >= 0 else "?"
    per[name] = per.get(name, 0) + count
    total += count
for name, n in sorted(per.items(), key=lambda kv: -kv[1])[:top]:
    print(f"{100 * n / max(total, 1):5.1f}% {n:12d}  {name}")
print(f"total {total} instructions")
PY
