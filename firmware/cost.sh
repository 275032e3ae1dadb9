#!/bin/sh
# Instructions per time step of one network in its three modes, on the firmware under
# QEMU (`make qemu-cost`; docs/firmware.md, "Cost per time step").
#
#   firmware/cost.sh [CONFIG]         # default: examples/cue.toml
#
# From CONFIG (never edited) three variants go to $COST_DIR (default
# target/qemu-cost): `inference` (no [learning] and no [train]: learning off),
# `light` and `exact` (the [learning] table with that engine). Only the plan is made
# short (one inference sample; one epoch of one training sample): the firmware
# measures one whole trial before the plan, so the plan only costs QEMU time. Each
# variant is checked against the QEMU board profile, exported, built into the firmware
# with `--features cost` and run under `qemu-system-arm -icount shift=10`. Prints one
# line per mode:
#
#   cost <mode> instructions_per_step N realtime_mhz F
#
# A keyword spotter (`[task] kind = "audio"`, needs its folder, e.g. `make data-kws`)
# gets a fourth variant first, `frontend`: inference with PCM in the image, where the
# firmware times the audio front end alone over the clip (`cost frontend ...`); the
# three network variants carry the front end's spikes (`image_input = "spikes"`), so
# their lines count the network alone. The firmware is built with the `audio` feature.
#
# Needs target/release/neurochip (the Makefile builds it) and qemu-system-arm.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONFIG=${1:-$ROOT/examples/cue.toml}
OUT=${COST_DIR:-$ROOT/target/qemu-cost}
NEUROCHIP=${NEUROCHIP:-$ROOT/target/release/neurochip}
CARGO=${CARGO:-cargo}
ELF=$ROOT/firmware/target/thumbv7em-none-eabihf/release/neurochip-firmware
FEATURES=cost
AUDIO=
if grep -Eq '^[ \t]*kind[ \t]*=[ \t]*"audio"' "$CONFIG"; then
    AUDIO=1
    FEATURES=cost,audio
fi
MODES=${COST_MODES:-${AUDIO:+frontend }inference light exact}
mkdir -p "$OUT"

# variant MODE: CONFIG with the engine of MODE and a short plan, on stdout (an audio
# image carries PCM for `frontend`, spikes otherwise).
variant() {
    awk -v mode="$1" -v audio="$AUDIO" '
        /^[ \t]*\[/ {
            sec = $0
            sub(/[ \t]*#.*/, "", sec)
            gsub(/[ \t]/, "", sec)
            off = (mode == "inference" || mode == "frontend")
            skip = (sec == "[train]") || (sec == "[learning]" && off)
            if (!skip) print
            if (sec == "[task]" && off) print "samples = 1"
            if (sec == "[task]" && audio != "") {
                print "image_input = \"" (mode == "frontend" ? "pcm" : "spikes") "\""
            }
            next
        }
        skip { next }
        sec == "[task]" && /^[ \t]*(samples|image_input)[ \t]*=/ { next }
        sec == "[learning]" && /^[ \t]*engine[ \t]*=/ {
            print "engine = \"" mode "\""
            next
        }
        { print }
        END {
            if (mode != "inference" && mode != "frontend") {
                print ""
                print "[train]"
                print "epochs = 1"
                print "train_samples = 1"
                print "test_samples = 0"
            }
        }
    ' "$CONFIG"
}

for mode in $MODES; do
    cfg=$OUT/$mode.toml
    img=$OUT/$mode.img
    log=$OUT/$mode.log
    {
        echo "# $mode variant of $CONFIG for firmware/cost.sh (generated; do not edit)"
        variant "$mode"
    } >"$cfg"
    if [ "$mode" != inference ] && [ "$mode" != frontend ] && ! grep -q "^engine = \"$mode\"" "$cfg"; then
        echo "cost.sh: $CONFIG has no [learning] engine line to set to $mode" >&2
        exit 2
    fi
    "$NEUROCHIP" check "$cfg" --board qemu >"$OUT/$mode.check" || {
        cat "$OUT/$mode.check" >&2
        echo "cost.sh: the $mode variant does not fit the QEMU board profile" >&2
        exit 1
    }
    "$NEUROCHIP" export "$cfg" -o "$img" --board qemu >/dev/null
    (cd "$ROOT/firmware" && NEUROCHIP_IMAGE=$img $CARGO build -q --release --features $FEATURES)
    qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
        -semihosting-config enable=on,target=native -icount shift=10 \
        -kernel "$ELF" >"$log" || {
        cat "$log" >&2
        echo "cost.sh: the $mode firmware failed under QEMU" >&2
        exit 1
    }
    line=$(grep "^cost $mode instructions_per_step " "$log") || {
        cat "$log" >&2
        echo "cost.sh: no cost line for $mode" >&2
        exit 1
    }
    echo "$line"
done
