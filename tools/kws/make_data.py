#!/usr/bin/env python3
"""Spoken-word data set for keyword spotting, in the Google Speech Commands layout.

    python3 tools/kws/make_data.py --out data/kws --seed 1 --jobs 2

Words are spoken by espeak-ng (English accents x voice variants, at random speed and
pitch), resampled to 16 kHz by sox (repeatable mode, no dither), then given a random
gain, a random place in the 1 s clip and noise at a random SNR here, with a
random.Random seeded from (seed, word, voice, take). The output is byte for byte the
same for a seed (and the same espeak-ng and sox).

Split by voice: in every accent, 2 variants speak only validation clips, 2 only test
clips, the rest only training clips; validation_list.txt and testing_list.txt name
their files. Background noise (for the silence class) is written to
_background_noise_/ as long files; the loader (neurochip_emu::speech) splits each
file by position (80/10/10 %), so the silence heard in training is not tested.

Python standard library only; espeak-ng and sox are the Makefile's to install.
"""

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import random
import shutil
import struct
import subprocess
import sys
import time
import wave
from array import array

VERSION = 1
RATE = 16000
CLIP = RATE  # 1 s

KEYWORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
# Other words, each in its own folder as in the real corpus (its auxiliary words).
UNKNOWN = [
    "bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow",
    "zero", "one", "two", "three", "four", "five", "learn", "follow", "forward", "visual",
]
# espeak-ng's English accents (espeak-ng --voices=en, its own voices, not mbrola).
ACCENTS = [
    "en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-029",
    "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc",
]
# Voice variants (espeak-ng-data/voices/!v): seven male, five female.
VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5"]
HELD_OUT = {"validation": 2, "test": 2}  # variants per accent

PARAMS = {
    "keyword_takes": 3,       # renderings of each keyword per voice
    "unknown_takes": 1,       # renderings of each unknown word per voice
    "speed_wpm": [120, 220],  # espeak-ng -s, uniform
    "pitch": [20, 80],        # espeak-ng -p, uniform
    "peak_dbfs": [-30.0, -1.0],  # word peak after gain, uniform in dB
    "clean_fraction": 0.2,    # clips without added noise
    "snr_db": [5.0, 30.0],    # else noise at this SNR (word RMS over noise RMS), uniform
    "noise_kinds": ["white", "pink", "brown"],
    "background_seconds": 80,
    "background_kinds": ["white_noise", "pink_noise", "brown_noise", "hum", "running_tap", "babble"],
    "background_dbfs": [-45.0, -20.0],  # RMS level of a background file's slow drift
}


def seeded(*parts):
    """A random.Random seeded from the parts (stable across Python versions)."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(h[:8], "little"))


def speaker_id(voice):
    return hashlib.sha1(voice.encode()).hexdigest()[:8]


def speak(voice, speed, pitch, text):
    """espeak-ng's samples of `text`, resampled by sox to 16 kHz, as a list of ints."""
    es = subprocess.Popen(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    sx = subprocess.run(
        ["sox", "-R", "-D", "-t", "wav", "-", "-t", "raw", "-e", "signed", "-b", "16",
         "-c", "1", "-L", "-r", str(RATE), "-"],
        stdin=es.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True,
    )
    es.stdout.close()
    if es.wait() != 0:
        raise RuntimeError(f"espeak-ng failed for voice {voice} and {text!r}")
    a = array("h")
    a.frombytes(sx.stdout)
    if sys.byteorder != "little":
        a.byteswap()
    return a.tolist()


def noise(kind, n, rng):
    """`n` samples of unit-RMS noise of a colour."""
    out = [0.0] * n
    if kind == "white":
        for i in range(n):
            out[i] = rng.gauss(0.0, 1.0)
    elif kind == "pink":
        # Paul Kellet's economy pink filter on white noise.
        b0 = b1 = b2 = 0.0
        for i in range(n):
            w = rng.gauss(0.0, 1.0)
            b0 = 0.99765 * b0 + w * 0.0990460
            b1 = 0.96300 * b1 + w * 0.2965164
            b2 = 0.57000 * b2 + w * 1.0526913
            out[i] = b0 + b1 + b2 + w * 0.1848
    else:  # brown: leaky integral of white noise
        y = 0.0
        for i in range(n):
            y = 0.995 * y + rng.gauss(0.0, 1.0)
            out[i] = y
    rms = math.sqrt(sum(v * v for v in out) / max(n, 1)) or 1.0
    return [v / rms for v in out]


def trim(x):
    """The word without the silence espeak-ng puts around it (1 % of the peak)."""
    peak = max((abs(v) for v in x), default=0)
    if peak == 0:
        return x
    thr = peak * 0.01
    lo = next(i for i, v in enumerate(x) if abs(v) > thr)
    hi = len(x) - next(i for i, v in enumerate(reversed(x)) if abs(v) > thr)
    return x[max(0, lo - 80):min(len(x), hi + 80)]


def write_wav(path, samples):
    data = array("h", samples)
    if sys.byteorder != "little":
        data.byteswap()
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data.tobytes())


def to_pcm(xs):
    return [max(-32768, min(32767, int(round(v)))) for v in xs]


def render(job):
    """One clip: (seed, word, accent, variant, take, out) -> manifest row."""
    seed, word, accent, variant, take, out = job
    voice = f"{accent}+{variant}"
    rng = seeded(seed, word, voice, take)
    speed = rng.randint(*PARAMS["speed_wpm"])
    pitch = rng.randint(*PARAMS["pitch"])
    x = trim(speak(voice, speed, pitch, word))[:CLIP]
    peak = max((abs(v) for v in x), default=1) or 1
    peak_db = rng.uniform(*PARAMS["peak_dbfs"])
    g = 32767.0 * 10 ** (peak_db / 20.0) / peak
    shift = rng.randint(0, CLIP - len(x))
    clip = [0.0] * CLIP
    for i, v in enumerate(x):
        clip[shift + i] = v * g
    kind, snr = "none", None
    if rng.random() >= PARAMS["clean_fraction"]:
        kind = rng.choice(PARAMS["noise_kinds"])
        snr = rng.uniform(*PARAMS["snr_db"])
        rms = math.sqrt(sum((v * g) ** 2 for v in x) / max(len(x), 1))
        scale = rms / 10 ** (snr / 20.0)
        for i, v in enumerate(noise(kind, CLIP, rng)):
            clip[i] += v * scale
    name = f"{speaker_id(voice)}_nohash_{take}.wav"
    write_wav(os.path.join(out, word, name), to_pcm(clip))
    return [f"{word}/{name}", word, voice, str(speed), str(pitch), f"{peak_db:.2f}",
            str(shift), kind, "" if snr is None else f"{snr:.2f}"]


def background(job):
    """One long noise file for the silence class."""
    seed, kind, out = job
    rng = seeded(seed, "background", kind)
    n = PARAMS["background_seconds"] * RATE
    if kind in ("white_noise", "pink_noise", "brown_noise"):
        x = noise(kind.split("_")[0], n, rng)
    elif kind == "hum":
        w = noise("white", n, rng)
        x = [sum(math.sin(2 * math.pi * 50 * h * i / RATE + h) / h for h in (1, 2, 3, 5))
             + 0.1 * w[i] for i in range(n)]
    elif kind == "running_tap":
        # Noise band-passed around 1-4 kHz (two one-pole sections), gurgling at 3-7 Hz.
        w = noise("white", n, rng)
        lo = hi = 0.0
        x = []
        f = rng.uniform(3.0, 7.0)
        for i in range(n):
            hi = 0.45 * hi + 0.55 * w[i]
            lo = 0.93 * lo + 0.07 * hi
            x.append((hi - lo) * (1.0 + 0.5 * math.sin(2 * math.pi * f * i / RATE)))
    else:  # babble: four voices reading random words at once
        x = [0.0] * n
        words = KEYWORDS + UNKNOWN + ["the", "a", "and", "then", "we", "will", "it", "is"]
        for k in range(4):
            voice = f"{rng.choice(ACCENTS)}+{rng.choice(VARIANTS)}"
            text = " ".join(rng.choice(words) for _ in range(400))
            s = speak(voice, rng.randint(150, 200), rng.randint(30, 70), text)
            off = rng.randint(0, RATE)
            for i in range(min(len(s), n - off)):
                x[off + i] += s[i]
    rms = math.sqrt(sum(v * v for v in x) / n) or 1.0
    # A slow level drift between two levels, so windows differ in loudness.
    lo_db, hi_db = PARAMS["background_dbfs"]
    a, b = rng.uniform(lo_db, hi_db), rng.uniform(lo_db, hi_db)
    ph = rng.uniform(0, 2 * math.pi)
    pcm = []
    for i, v in enumerate(x):
        db = a + (b - a) * (0.5 + 0.5 * math.sin(2 * math.pi * i / n * 3 + ph))
        pcm.append(v / rms * 32768.0 * 10 ** (db / 20.0))
    write_wav(os.path.join(out, "_background_noise_", f"{kind}.wav"), to_pcm(pcm))
    return kind


def splits(seed):
    """voice -> split: in each accent, a seeded shuffle of the variants."""
    out = {}
    for accent in ACCENTS:
        vs = VARIANTS[:]
        seeded(seed, "split", accent).shuffle(vs)
        nv, nt = HELD_OUT["validation"], HELD_OUT["test"]
        for i, v in enumerate(vs):
            out[f"{accent}+{v}"] = "validation" if i < nv else "test" if i < nv + nt else "train"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/kws")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--force", action="store_true", help="write even when the stamp matches")
    args = ap.parse_args()

    me = open(__file__, "rb").read()
    stamp = {"version": VERSION, "seed": args.seed,
             "script_sha256": hashlib.sha256(me).hexdigest()}
    stamp_path = os.path.join(args.out, "stamp.json")
    if not args.force and os.path.exists(stamp_path):
        try:
            if json.load(open(stamp_path)) == stamp:
                print(f"{args.out}: already made by this script with seed {args.seed}")
                return
        except (OSError, ValueError):
            pass

    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"error: {tool} is not installed (make data-kws installs it)")
    listing = subprocess.run(["espeak-ng", "--voices=en"], capture_output=True, text=True,
                             check=True).stdout.splitlines()[1:]
    # The File column (gmw/en-GB-scotland) names the accent.
    have = {l.split()[4].split("/")[-1].lower() for l in listing if len(l.split()) > 4}
    missing = [a for a in ACCENTS if a not in have]
    if missing:
        sys.exit(f"error: espeak-ng has no voice {', '.join(missing)} (espeak-ng --voices=en)")

    t0 = time.time()
    tmp = args.out.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for w in KEYWORDS + UNKNOWN + ["_background_noise_"]:
        os.makedirs(os.path.join(tmp, w))
    split = splits(args.seed)
    jobs = []
    for word in KEYWORDS + UNKNOWN:
        takes = PARAMS["keyword_takes"] if word in KEYWORDS else PARAMS["unknown_takes"]
        for accent in ACCENTS:
            for variant in VARIANTS:
                for take in range(takes):
                    jobs.append((args.seed, word, accent, variant, take, tmp))
    with multiprocessing.Pool(args.jobs) as pool:
        bg = pool.map_async(background, [(args.seed, k, tmp) for k in PARAMS["background_kinds"]])
        rows = []
        for i, r in enumerate(pool.imap(render, jobs, chunksize=8)):
            rows.append(r)
            if (i + 1) % 500 == 0:
                print(f"  {i + 1}/{len(jobs)} clips, {time.time() - t0:.0f} s", flush=True)
        bg.get()

    lists = {"validation": [], "test": []}
    count = {}
    for r in rows:
        s = split[r[2]]
        if s in lists:
            lists[s].append(r[0])
        count[(r[1], s)] = count.get((r[1], s), 0) + 1
    for s, name in (("validation", "validation_list.txt"), ("test", "testing_list.txt")):
        with open(os.path.join(tmp, name), "w") as f:
            f.writelines(p + "\n" for p in sorted(lists[s]))
    with open(os.path.join(tmp, "manifest.tsv"), "w") as f:
        f.write("path\tword\tvoice\tspeed_wpm\tpitch\tpeak_dbfs\tshift\tnoise\tsnr_db\tsplit\n")
        for r in sorted(rows):
            f.write("\t".join(r + [split[r[2]]]) + "\n")
    espeak_version = subprocess.run(["espeak-ng", "--version"], capture_output=True,
                                    text=True).stdout.strip()
    sox_version = subprocess.run(["sox", "--version"], capture_output=True,
                                 text=True).stdout.strip()
    with open(os.path.join(tmp, "README.md"), "w") as f:
        f.write(readme(args.seed, split, count, len(rows), espeak_version, sox_version))
    with open(os.path.join(tmp, "stamp.json"), "w") as f:
        json.dump(stamp, f)
    shutil.rmtree(args.out, ignore_errors=True)
    os.rename(tmp, args.out)
    print(f"{args.out}: {len(rows)} clips and {len(PARAMS['background_kinds'])} background "
          f"files in {time.time() - t0:.0f} s (seed {args.seed})")


def readme(seed, split, count, n, espeak_version, sox_version):
    lines = [
        "# Spoken-word data set (generated)",
        "",
        "Made by `tools/kws/make_data.py` (`make data-kws`); do not edit. Google Speech",
        "Commands layout: one folder per word, `validation_list.txt` and `testing_list.txt`",
        "(every other clip is a training clip), `_background_noise_/` for the silence class.",
        "`manifest.tsv` gives every clip's voice, speed, pitch, gain, shift and noise.",
        "",
        f"- seed: {seed}",
        f"- generator version: {VERSION}",
        f"- espeak-ng: {espeak_version}",
        f"- sox: {sox_version}",
        f"- clips: {n}, 1 s, 16 kHz mono 16-bit",
        f"- parameters: `{json.dumps(PARAMS)}`",
        "",
        "## Voices and their split (by voice: no test or validation voice is heard in training)",
        "",
        "| voice | speaker id | split |",
        "|---|---|---|",
    ]
    for v in sorted(split):
        lines.append(f"| {v} | {speaker_id(v)} | {split[v]} |")
    lines += ["", "## Clips per word and split", "", "| word | train | validation | test |",
              "|---|---|---|---|"]
    for w in KEYWORDS + UNKNOWN:
        lines.append(f"| {w} | {count.get((w, 'train'), 0)} | "
                     f"{count.get((w, 'validation'), 0)} | {count.get((w, 'test'), 0)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
