# hotloop: `make demo` and `make test` work on a fresh Debian 12 (as root, or with sudo): they
# install what is missing, build, and run.

PYTHON      ?= /usr/bin/python3
BUILD       ?= build
ASAN_BUILD  ?= build-asan
BARE_ROOT   ?= build-bare-root
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
PYPATH      := PYTHONPATH=$(CURDIR)/pywrapper

# Build and test dependencies (Debian package names). Python packages come from Debian, for
# Debian's /usr/bin/python3: PyPI is not needed.
DEPS_BUILD  := build-essential cmake pkg-config libtbb-dev libopenblas-dev catch2 \
               python3 python3-cffi
DEPS_TEST   := python3-numpy python3-pytest python3-hypothesis python3-setuptools \
               python3-wheel python3-venv python3-pip python3-tqdm pypy3 pypy3-venv binutils \
               mypy python3-matplotlib python3-scipy python3-pil python3-threadpoolctl \
               python3-dask python3-distributed python3-pandas \
               patchelf python3-pyelftools debootstrap
DEPS_BENCH  := python3-numpy python3-scipy python3-pil python3-opencv python3-numba \
               python3-matplotlib python3-dask python3-distributed

.PHONY: all deps deps-test deps-bench build asan test test-cpp test-asan test-python \
        test-other-pythons demo bench clean bench-quick sdist wheel test-wheel test-install test-reproducible \
        typecheck deps-rust test-bare-root check test-explore fuzz fuzz-build test-fuzz deps-fuzz tsan

all: build

deps:
	@./scripts/install-deps.sh $(DEPS_BUILD)

deps-test: deps
	@./scripts/install-deps.sh $(DEPS_TEST)

deps-bench: deps
	@./scripts/install-deps.sh $(DEPS_BENCH)

# Release build (-O3, portable x86-64 code with run-time AVX2/AVX-512 dispatch). Places
# libhotloop.so and the generated cffi module in pywrapper/hotloop.
build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$(PYTHON) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The same C++ and C tests built with AddressSanitizer + UBSan.
asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHOTLOOP_SANITIZE=ON \
	      -DHOTLOOP_PYTHON_INPLACE=OFF >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

test: deps-test build asan
	$(MAKE) --no-print-directory test-cpp test-asan test-python test-other-pythons \
	        typecheck test-install test-wheel test-bare-root test-fuzz

test-cpp:
	ctest --test-dir $(BUILD) --output-on-failure

test-asan:
	ctest --test-dir $(ASAN_BUILD) --output-on-failure

test-python:
	$(PYPATH) $(PYTHON) -m pytest -q tests/python

# The package needs no compiler-bound ABI and no NumPy: the list functions run under PyPy and
# under any other CPython 3 on PATH (e.g. a pyenv build without NumPy).
test-other-pythons:
	@PYTHON=$(PYTHON) ./tests/run_other_pythons.sh

demo: build
	$(PYPATH) $(PYTHON) examples/tour.py
	@./scripts/install-deps.sh python3-numpy python3-pil && $(PYPATH) $(PYTHON) examples/image_demo.py --out $(BUILD)/image-demo

bench: build deps-bench
	$(PYPATH) $(PYTHON) benchmarks/bench.py $(BENCH_ARGS)

clean:
	@[ ! -d $(BARE_ROOT) ] || ./tests/wheel/test_bare_root.sh $(BARE_ROOT) --clean
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD) dist *.egg-info \
	       pywrapper/hotloop/libhotloop.so .mypy_cache \
	       pywrapper/hotloop/_hotloop_ffi.py

# ---- packaging, reuse from other languages, typing, benchmark results (issue 6) ----

# The reduced benchmark set (< 1 minute); writes the same files as `make bench`
# (BENCH_ARGS="--only sum --no-memory" narrows either; --only writes to benchmarks/results/only/):
# benchmarks/results/latest.md, latest.json and speedups.png.
bench-quick: build deps-bench
	$(PYPATH) $(PYTHON) benchmarks/bench.py --quick $(BENCH_ARGS)

# dist/hotloop-<version>.tar.gz, and the wheel dist/hotloop-<version>-py3-none-manylinux_2_X_x86_64.whl
# built from that sdist (offline: Debian's setuptools, wheel and cffi) with TBB and OpenBLAS
# bundled by scripts/repair_wheel.py (patchelf, pyelftools).
sdist: deps-test
	@PYTHON=$(PYTHON) ./scripts/build_dist.sh

wheel: deps-test
	@PYTHON=$(PYTHON) ./scripts/build_dist.sh --wheel

# The wheel checked (NEEDED entries, RUNPATHs, manylinux tag) and installed into fresh venvs
# outside the tree (Debian's CPython and PyPy), next to the system's TBB and OpenBLAS.
test-wheel: wheel
	@./tests/wheel/test_wheel.sh $(PYTHON) pypy3

# The wheel built a second time from the same sdist, in another folder, must be the same bytes
# (test-wheel checks the repair step alone: a second build costs minutes).
test-reproducible: wheel
	@PYTHON=$(PYTHON) ./scripts/build_dist.sh --check-reproducible --full

# The wheel installed with pip into a brand-new Debian 12 root without TBB or OpenBLAS
# (debootstrap; needs root). Its debootstrap output is cached in $(BARE_ROOT)/cache
# (BARE_ROOT_REFRESH=1 rebuilds it); every run unpacks a new root from it.
test-bare-root: wheel
	@PYTHON=$(PYTHON) ./tests/wheel/test_bare_root.sh $(BARE_ROOT)

# `cmake --install` into a temporary prefix; examples/c (CMake package and pkg-config) and
# examples/rust (cargo --offline) built and run against the installed copy.
test-install: build deps-rust
	@./tests/install/test_install.sh $(BUILD)

# cargo: rustup's if present, else Debian's.
deps-rust:
	@command -v cargo >/dev/null 2>&1 || ./scripts/install-deps.sh cargo

# Debian's mypy over the package (inline annotations + py.typed) and a client of its API.
typecheck: deps-test build
	$(PYPATH) mypy --config-file mypy.ini pywrapper/hotloop tests/typing

# ---- robustness (issue 12): the quick loop, hypothesis exploration, fuzzing, ThreadSanitizer ----
FUZZ_BUILD        ?= build-fuzz
TSAN_BUILD        ?= build-tsan
FUZZ_SECONDS      ?= 10
DEPS_FUZZ         := clang-14 libfuzzer-14-dev libclang-rt-14-dev

# The edit-test loop: build, C++ tests, pytest. Never runs apt and builds no sanitizer variant
# (`make test` stays the full gate).
check:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$(PYTHON) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure
	$(PYPATH) $(PYTHON) -m pytest -q tests/python

# Hypothesis with fresh random seeds and many more examples (HOTLOOP_HYPOTHESIS_EXAMPLES, default
# 2000) than `make test`'s fixed, derandomized profile: every property test, and the hostile-input
# properties (run in child interpreters). A counterexample it finds goes into its test as an
# explicit @example.
test-explore: build
	HOTLOOP_HYPOTHESIS_PROFILE=explore $(PYPATH) $(PYTHON) -m pytest -q -m hypothesis tests/python
	HOTLOOP_HYPOTHESIS_PROFILE=explore $(PYPATH) $(PYTHON) -m pytest -q tests/python/test_hostile_inputs.py

deps-fuzz: deps
	@./scripts/install-deps.sh $(DEPS_FUZZ)

# libFuzzer targets of every C entry point that reads caller memory or untrusted bytes (fuzz/),
# built by clang with -fsanitize=fuzzer,address,undefined (fuzz/run.sh runs them).
fuzz-build: deps-fuzz
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
	      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTLOOP_FUZZ=ON -DHOTLOOP_BUILD_TESTS=OFF \
	      -DHOTLOOP_PYTHON_INPLACE=OFF >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

# Exploring: each target mutates its inputs at random for FUZZ_SECONDS seconds; what it finds
# becomes a seed (fuzz/seeds/<name>.txt) once fixed.
fuzz: fuzz-build
	./fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# What `make test` runs: deterministic, no random mutation (which could turn CI red by chance):
# every checked-in seed, findings included, once through its target.
test-fuzz: fuzz-build
	./fuzz/run.sh $(FUZZ_BUILD) replay

# The engine and C API tests under ThreadSanitizer. tests/tsan.supp holds the suppressions for
# TBB's own (uninstrumented) internals, and nothing else.
# history_size=7 (the most): a worker's last accesses inside TBB's inlined wait code, to the
# caller's stack, stay on record, so that their reports match the suppressions; with the default,
# TSan "failed to restore the stack" of the worker and reported the caller's next stack write.
TSAN_ENV := TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1 allocator_may_return_null=1 history_size=7"
tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOTLOOP_TSAN=ON \
	      -DHOTLOOP_PYTHON_INPLACE=OFF >/dev/null
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target test_engine test_capi
	$(TSAN_ENV) $(TSAN_BUILD)/tests/test_engine
	$(TSAN_ENV) $(TSAN_BUILD)/tests/test_capi
