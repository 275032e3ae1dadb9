# neurochip: each target is one job. `make run` and `make test` install what they
# need (the thumbv7em target, clippy/rustfmt/llvm-tools, qemu-system-arm) and can be
# run any number of times.

CARGO    ?= cargo
TARGET   := thumbv7em-none-eabihf
FW_DIR   := firmware
CONFIG   ?= examples/cue.toml
FW_CONFIG ?= firmware/chip.toml
FW_IMAGE  ?= firmware/images/default.img

.PHONY: all setup toolchain qemu-install fonts python python-deps l2l fmt fmt-check lint nostd test \
        test-unit test-release test-python run bench bench-peers qemu qemu-image qemu-cost firmware \
        clean fuzz data-kws kws-install kws

all: test

## setup: install the Rust target and components, QEMU, and a font for the plots,
## when absent, and build the Python package into .venv.
setup: toolchain qemu-install fonts python

toolchain:
	@rustup target list --installed | grep -qx $(TARGET) || rustup target add $(TARGET)
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@rustup component list --installed | grep -q '^llvm-tools' || rustup component add llvm-tools

qemu-install:
	@command -v qemu-system-arm >/dev/null 2>&1 || { \
	  echo "installing qemu-system-arm"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq qemu-system-arm >/dev/null; }

## kws-install: espeak-ng and sox from Debian, for the spoken-word data set.
kws-install:
	@command -v espeak-ng >/dev/null 2>&1 && command -v sox >/dev/null 2>&1 || { \
	  echo "installing espeak-ng and sox"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq espeak-ng sox >/dev/null; }

## data-kws: the spoken-word data set in data/kws (Speech Commands layout, split by
## voice; docs/kws.md), deterministic from KWS_SEED, on KWS_JOBS processes. Skipped
## when data/kws was made by the same script with the same seed.
KWS_SEED ?= 1
KWS_JOBS ?= 2
data-kws: kws-install
	python3 tools/kws/make_data.py --out data/kws --seed $(KWS_SEED) --jobs $(KWS_JOBS)

## kws: the keyword spotter end to end: make the data set (data-kws), then train
## KWS_CONFIG online on the chip and test it on the unseen voices (docs/kws.md);
## KWS_ARGS adds `neurochip run` options (--export kws.img, --save kws.snap, --out).
KWS_CONFIG ?= examples/kws.toml
KWS_ARGS ?=
kws: data-kws fonts
	$(CARGO) run --release -p neurochip -- run $(KWS_CONFIG) $(KWS_ARGS)

## fonts: the plots of run folders need a TrueType font (Debian's fonts-dejavu-core).
FONT := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
fonts:
	@test -f $(FONT) || [ -n "$$NEUROCHIP_FONT" ] || { \
	  echo "installing fonts-dejavu-core (plots)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq fonts-dejavu-core >/dev/null; }

## python: the Python package `neurochip` (crates/py, PyO3 + maturin) built into the
## project's virtual environment .venv: the venv is created (python3 -m venv) when
## absent, maturin, numpy, pytest, nir (with h5py: NIR files, import-nir/export-nir)
## and ray (sweeps on a Ray cluster) are pip-installed when absent, and the package
## is rebuilt (maturin develop --release) only when a source it is built from changed.
VENV      := .venv
VPY       := $(VENV)/bin/python
PY_STAMP  := $(VENV)/.neurochip-built
PY_SOURCES := Cargo.toml Cargo.lock $(shell find crates/core crates/ref crates/tasks crates/emu crates/lab crates/py \
                -type f \( -name '*.rs' -o -name '*.toml' -o -name '*.py' -o -name '*.pyi' -o -name py.typed \) \
                -not -path '*/tests/*' 2>/dev/null)

python: python-deps $(PY_STAMP)

$(VPY):
	python3 -m venv $(VENV)

python-deps: $(VPY)
	@test -x $(VENV)/bin/maturin || $(VPY) -m pip install -q "maturin>=1.9.4,<2"
	@$(VPY) -c "import numpy" 2>/dev/null || $(VPY) -m pip install -q numpy
	@$(VPY) -c "import pytest" 2>/dev/null || $(VPY) -m pip install -q pytest
	@$(VPY) -c "import nir, h5py" 2>/dev/null || $(VPY) -m pip install -q "nir>=1.0,<2" h5py
	@$(VPY) -c "import ray" 2>/dev/null || $(VPY) -m pip install -q "ray>=2.9"

$(PY_STAMP): $(VPY) $(PY_SOURCES) | python-deps
	VIRTUAL_ENV=$(abspath $(VENV)) PATH="$(abspath $(VENV))/bin:$$PATH" \
	  $(VENV)/bin/maturin develop --release -q -m crates/py/Cargo.toml
	@touch $@

## l2l: learning to learn: Ray Tune (outer loop) searches the chip's learning rates and
## time constants over a family of cue tasks learned by on-chip e-prop (inner loop);
## ray[tune] is pip-installed into .venv when absent. docs/distributed.md. L2L_ARGS
## passes options (--trials, --tasks, --ray ADDRESS).
L2L_ARGS ?=
l2l: python
	@$(VPY) -c "from ray import tune" 2>/dev/null || $(VPY) -m pip install -q "ray[tune]>=2.9"
	$(VPY) crates/py/examples/l2l_tune.py $(L2L_ARGS)

fmt:
	$(CARGO) fmt --all
	cd $(FW_DIR) && $(CARGO) fmt

fmt-check: toolchain
	$(CARGO) fmt --all -- --check
	cd $(FW_DIR) && $(CARGO) fmt -- --check

## lint: clippy on every target of the workspace and the firmware, warnings are errors.
lint: toolchain
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	cd $(FW_DIR) && $(CARGO) clippy --release -- -D warnings
	cd $(FW_DIR) && $(CARGO) clippy --release --no-default-features --features stm32f411,solver --bins -- -D warnings
	cd $(FW_DIR) && $(CARGO) clippy --release --features persist,cost,reward,audio -- -D warnings
	cd $(FW_DIR) && $(CARGO) clippy --release --no-default-features --features stm32f411,audio -- -D warnings
	cd $(FW_DIR) && $(CARGO) clippy --release --features assembly,solver --bins -- -D warnings

## nostd: the core and the task generators build for the microcontroller, without std.
nostd: toolchain
	$(CARGO) build -p neurochip-core --target $(TARGET)
	$(CARGO) build -p neurochip-core --features serde --target $(TARGET)
	$(CARGO) build -p neurochip-core --no-default-features --target $(TARGET)
	$(CARGO) build -p neurochip-tasks --no-default-features --target $(TARGET)
	$(CARGO) build -p neurochip-tasks --no-default-features --features reward --target $(TARGET)
	$(CARGO) build -p neurochip-tasks --no-default-features --features solver,assembly --target $(TARGET)
	$(CARGO) build -p neurochip-tasks --no-default-features --features audio --target $(TARGET)

## test: formatting, lints, the no_std build, every test (debug with overflow
## checks, then the golden digests again in release: both builds give the same bits),
## and the firmware under QEMU.
test: setup fmt-check lint nostd test-unit test-release test-python firmware qemu

# The test crate runs the `neurochip` binary, so each command below names both
# packages: cargo then resolves one set of features for the libraries they share
# (`clap`'s derive turns on `syn/full`, which reaches `serde` and every crate of the
# chip), and builds them once instead of once for the tests and again for the binary.
test-unit:
	$(CARGO) test --workspace --exclude neurochip-tests
	$(CARGO) test -p neurochip-tests -p neurochip --test golden --test fixed_vs_float

test-release:
	$(CARGO) test --release -p neurochip-tests -p neurochip

## test-python: the Python package's pytest suite (crates/py/tests): digests equal to
## the command line's on example configurations, weights, arrays, errors, files.
test-python: python
	$(VPY) -m pytest -q crates/py/tests

## run: the main job: train the default chip (cue accumulation, light e-prop engine)
## on the chip and the f64 reference side by side, and print both.
run: toolchain fonts
	$(CARGO) run --release -p neurochip -- verify $(CONFIG)

## bench: criterion benchmarks (speed is measured here, never in tests).
bench: toolchain
	$(CARGO) bench -p neurochip-emu --bench step

## bench-peers: neurochip (forward, exact and light e-prop steps) beside its peers on
## examples/bench256.toml, in one run, with a table of times and ratios
## (docs/performance.md): Brian2 2.9 (cpp_standalone, one thread) for the forward
## step, PyTorch (float32, one thread, torch.compile and eager) for the exact e-prop
## step. Brian2 and PyTorch go into a throwaway venv under $(PEER_VENV), each only when
## absent (PyTorch's CPU-only wheel, else the default index's build, which runs on the CPU).
PEER_VENV ?= /tmp/neurochip-peers-venv
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
bench-peers: toolchain
	$(CARGO) build --release -p neurochip
	@test -x $(PEER_VENV)/bin/python || python3 -m venv $(PEER_VENV)
	@$(PEER_VENV)/bin/python -c "import brian2" 2>/dev/null || \
	  $(PEER_VENV)/bin/pip install -q "brian2==2.9.*" "numpy<2.4"
	@$(PEER_VENV)/bin/python -c "import torch" 2>/dev/null || \
	  $(PEER_VENV)/bin/pip install -q --timeout 30 --retries 1 torch --index-url $(TORCH_CPU_INDEX) || \
	  $(PEER_VENV)/bin/pip install -q torch
	$(PEER_VENV)/bin/python bench/peers/peers.py

## qemu: export the default chip image, build the firmware around it and run it
## under QEMU mps2-an386 (FW_CONFIG / FW_IMAGE pick another one).
qemu: toolchain qemu-install
	$(CARGO) run --release -q -p neurochip -- export $(FW_CONFIG) -o $(FW_IMAGE)
	cd $(FW_DIR) && NEUROCHIP_IMAGE=$(abspath $(FW_IMAGE)) $(CARGO) run --release

## qemu-image: build the firmware around the image in FW_IMAGE as it is (e.g. a
## trained chip from `neurochip run CONFIG --export FILE`) and run it under QEMU;
## FW_FEATURES adds firmware features (`audio` for a keyword spotter, `reward`).
FW_FEATURES ?=
qemu-image: toolchain qemu-install
	@test -f $(FW_IMAGE) || { echo "FW_IMAGE=$(FW_IMAGE): no such image"; exit 2; }
	cd $(FW_DIR) && NEUROCHIP_IMAGE=$(abspath $(FW_IMAGE)) $(CARGO) run --release $(if $(FW_FEATURES),--features $(FW_FEATURES))

## qemu-cost: instructions per time step on the firmware under QEMU (-icount
## shift=10: one instruction = one cycle), one line per mode, `cost <mode>
## instructions_per_step N realtime_mhz F`, averaged over one whole trial of
## COST_CONFIG (default the cue network; learning only in the target window, as in
## training): inference (learning off), light and exact, three images of the same
## network generated under target/qemu-cost (firmware/cost.sh, docs/firmware.md).
## Then the keyword spotter of KWS_COST_CONFIG (needs data/kws: make data-kws): the
## audio front end alone (`cost frontend`, from PCM) and its network in the three
## modes (from the front end's spikes), under target/qemu-cost/kws.
COST_CONFIG ?= examples/cue.toml
KWS_COST_CONFIG ?= examples/kws.toml
qemu-cost: toolchain qemu-install data-kws
	$(CARGO) build --release -p neurochip
	CARGO="$(CARGO)" sh $(FW_DIR)/cost.sh $(COST_CONFIG)
	CARGO="$(CARGO)" COST_DIR=$(abspath target/qemu-cost/kws) sh $(FW_DIR)/cost.sh $(KWS_COST_CONFIG)

## firmware: build every application (the image app around FW_IMAGE, and the
## assembly and solver apps) for every board profile it fits (QEMU, STM32F411; the
## assembly app's 140 KB of buffers are QEMU only).
firmware: toolchain
	cd $(FW_DIR) && NEUROCHIP_IMAGE=$(abspath $(FW_IMAGE)) $(CARGO) build --release
	cd $(FW_DIR) && NEUROCHIP_IMAGE=$(abspath $(FW_IMAGE)) $(CARGO) build --release --no-default-features --features stm32f411
	cd $(FW_DIR) && NEUROCHIP_IMAGE=$(abspath $(FW_IMAGE)) $(CARGO) build --release --features assembly,solver --bins
	cd $(FW_DIR) && NEUROCHIP_IMAGE=$(abspath $(FW_IMAGE)) $(CARGO) build --release --no-default-features --features stm32f411,solver --bins

clean:
	$(CARGO) clean
	cd $(FW_DIR) && $(CARGO) clean

## fuzz: the cargo-fuzz targets in fuzz/ (config, image, image_structured, step),
## FUZZ_SECONDS each, one at a time with one job, from the corpus in
## fuzz/corpus/TARGET (new inputs go to fuzz/target/corpus, crashes to
## fuzz/artifacts/TARGET). Installs cargo-fuzz when
## absent. Stable Rust: RUSTC_BOOTSTRAP=1 lets it take the sanitizer flags
## (FUZZ_SANITIZER=none runs without AddressSanitizer). Not part of `make test`.
FUZZ_SECONDS   ?= 60
FUZZ_TARGETS   ?= config image image_structured step
FUZZ_SANITIZER ?= address

fuzz:
	@command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
	  mkdir -p fuzz/target/corpus/$$t && \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run --sanitizer $(FUZZ_SANITIZER) $$t \
	    fuzz/target/corpus/$$t fuzz/corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 || exit 1; \
	done
