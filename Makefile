# sensix: one command for each thing a developer or CI does. Everything, including installing Debian packages
# and fetching the engines and models, is done by scripts/ (see scripts/setup); a second run reuses it all.
#
#   make run [ARGS=...]   set up, build, then build/sensix run examples/quickstart.yaml ARGS
#   make test             set up, build, run every test with ctest
#   make bench            run the benchmarks (bench/), writing their reports to bench/reports/ and the
#                         suite's (issue 5: report + plots, about 8 minutes) to bench/results/
#   make asan             the tests in a separate AddressSanitizer + UBSan build (build-asan/, -O1, unity, no benchmarks)
#                         [ASAN_LABELS=unit|engine|e2e runs only those ctest labels, as .ci/run does]
#   make setup | build | clean | help

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
CTEST_JOBS ?= 2
ARGS ?=
# JOBS=N limits ninja's parallel jobs (default: ninja's own, the number of cores + 2).
JOBS ?=
# TARGETS=... builds only those ninja targets (release_checks: what the cli, bench, lint and setup tests need,
# as CI's release build); CTEST_ARGS=... is passed to ctest (e.g. -L unit, -R NAME).
TARGETS ?=
CTEST_ARGS ?=
# ASAN_LABELS=a|b limits `make asan`'s ctest run to those labels (a regular expression; default: every test).
ASAN_LABELS ?=
# WERROR=ON makes compiler warnings errors (CI: .ci/run); it applies when the build folder is configured.
WERROR ?= OFF
# UNITY=ON compiles each target's sources in batches of 8 (CMake's unity build): a clean build takes
# far less time, an incremental one recompiles a whole batch. CI's clean builds use it, and build-asan/
# always does. It applies when the build folder is configured.
UNITY ?= OFF
# DEBUG_INFO=OFF builds $(BUILD_DIR)/ without debug information (-g0): about a third less compile time;
# CI's main build uses it (build-asan/ keeps -g1 for the reports' stacks). Applies when configured.
DEBUG_INFO ?= ON

CCACHE := $(shell command -v ccache 2>/dev/null)
CMAKE_FLAGS := -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DSENSIX_WERROR=$(WERROR) $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE))
NINJA_FLAGS := $(if $(JOBS),-j$(JOBS))

.PHONY: help setup build run test bench asan clean

help:
	@echo "sensix make targets:"
	@echo "  make run [ARGS=...]  set up, build, run build/sensix run examples/quickstart.yaml (e.g. ARGS=--json)"
	@echo "  make test            set up, build, run the whole test suite (ctest) [CTEST_ARGS=...]"
	@echo "  make bench           set up, build, run the benchmarks; reports go to bench/reports/, the suite's to bench/results/"
	@echo "  make asan            set up, build $(ASAN_DIR)/ with AddressSanitizer + UBSan, run the tests there [ASAN_LABELS=...]"
	@echo "  make setup           install Debian packages, fetch and verify engines and models, make samples"
	@echo "  make build           configure $(BUILD_DIR)/ (first time only) and build with ninja [JOBS=N] [TARGETS=...] [UNITY=ON]"
	@echo "  make clean           remove $(BUILD_DIR)/ and $(ASAN_DIR)/ (the download cache stays)"
	@echo "Cache: \$$SENSIX_CACHE, default \$${XDG_CACHE_HOME:-\$$HOME/.cache}/sensix. Details: scripts/setup, docs/models.md"

setup:
	@scripts/setup

# Configures only when the build folder has not been configured yet; later runs only call ninja.
build: setup
	@if [[ ! -f $(BUILD_DIR)/build.ninja ]]; then \
	  echo "make: configuring $(BUILD_DIR)/ ($(BUILD_TYPE))"; \
	  cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) -DCMAKE_UNITY_BUILD=$(UNITY) -DSENSIX_DEBUG_INFO=$(DEBUG_INFO); \
	fi
	ninja -C $(BUILD_DIR) $(NINJA_FLAGS) $(TARGETS)

run: build
	./$(BUILD_DIR)/sensix run examples/quickstart.yaml $(ARGS)

# A skip is a test that did not run: scripts/check-skips fails the target on any skip that
# tests/allowed-skips.txt does not list (after ctest, whose own failures fail it too).
test: build
	@rc=0; ctest --test-dir $(BUILD_DIR) --output-on-failure --timeout 300 -j$(CTEST_JOBS) \
	  --output-junit $(CURDIR)/$(BUILD_DIR)/ctest-junit.xml $(CTEST_ARGS) || rc=$$?; \
	scripts/check-skips $(BUILD_DIR)/ctest-junit.xml || rc=1; exit $$rc

bench: build
	mkdir -p bench/reports
	./$(BUILD_DIR)/bench/sensix_bench_sharing --report bench/reports/sharing.md
	./$(BUILD_DIR)/bench/sensix_bench_zoo --report bench/reports/zoo.md
	./$(BUILD_DIR)/bench/sensix_bench_serve --report bench/reports/serve.md
	./$(BUILD_DIR)/bench/sensix_bench_inference --report bench/reports/inference.md
	./$(BUILD_DIR)/bench/sensix_bench_deploy --report bench/reports/deploy.md
	mkdir -p bench/results
	./$(BUILD_DIR)/bench/sensix_bench_suite --report bench/results/suite.md --plots bench/results

asan: setup
	@if [[ ! -f $(ASAN_DIR)/build.ninja ]]; then \
	  echo "make: configuring $(ASAN_DIR)/ (AddressSanitizer + UBSan)"; \
	  cmake -S . -B $(ASAN_DIR) $(CMAKE_FLAGS) -DCMAKE_UNITY_BUILD=ON -DSENSIX_SANITIZE=ON -DSENSIX_BUILD_BENCH=OFF; \
	fi
	ninja -C $(ASAN_DIR) $(NINJA_FLAGS) $(TARGETS)
	@rc=0; ctest --test-dir $(ASAN_DIR) --output-on-failure --timeout 900 -j$(CTEST_JOBS) \
	  --output-junit $(CURDIR)/$(ASAN_DIR)/ctest-junit.xml $(if $(ASAN_LABELS),-L '$(ASAN_LABELS)') $(CTEST_ARGS) \
	  || rc=$$?; \
	scripts/check-skips $(ASAN_DIR)/ctest-junit.xml || rc=1; exit $$rc

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
