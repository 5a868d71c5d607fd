# The commands a person types. The real build is CMake (CMakeLists.txt);
# this file only names the usual entry points.
#
#   make            build (release with debug info) into build/
#   make demo       install missing dependencies, build, run the demo tour
#   make test       install missing dependencies, build with ASan+UBSan into
#                   build-asan/, run every test (ctest), then fuzz-smoke
#   make fuzz-smoke build the libFuzzer targets with clang into build-fuzz/
#                   and run each for FUZZ_SECONDS (60) on a corpus of the
#                   small golden Parquet files; fails on any crash
#   make bench      build optimised into build-bench/ and run bench/
#   make install    install the library, headers and the delta command
#   make format     clang-format every source file
#   make clean      remove the build folders

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local
CMAKE ?= cmake

.PHONY: all build deps demo test fuzz-smoke bench install format clean

all: build

deps:
	@./scripts/install-deps

build: deps
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@$(CMAKE) --build build -j $(JOBS)

demo: build
	@./scripts/demo.sh build/delta

test: deps
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DDELTA_SANITIZE=ON >/dev/null
	@$(CMAKE) --build build-asan -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz-smoke

fuzz-smoke:
	@JOBS=$(JOBS) CMAKE=$(CMAKE) ./scripts/fuzz-smoke

bench: deps
	@$(CMAKE) -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDELTA_TESTS=OFF >/dev/null
	@$(CMAKE) --build build-bench -j $(JOBS)
	@./bench/run.sh build-bench

install: build
	@$(CMAKE) --install build

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-bench build-fuzz
