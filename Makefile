# teai: the two quick-start commands are `make demo` and `make test`.
#   make          build build/teai (Release)
#   make test     all tests, then the same tests under ASan+UBSan (build-asan/),
#                 then the fuzz targets with libFuzzer (make fuzz)
#   make fuzz     each fuzz target FUZZ_SECONDS (10) with libFuzzer under
#                 ASan+UBSan (clang, build-fuzz/); FUZZ=fuzz_gguf runs one
#   make demo     the main job on the built-in defaults (see README)
#   make device   the static device binary for ARCH (default: this machine's;
#                 x86_64, aarch64 or armv7, cross-compiled with Debian's
#                 gcc-aarch64-linux-gnu / gcc-arm-linux-gnueabihf): build/device/
#                 teai-ARCH, for teai remote or to copy to a phone or board
#                 (docs/device.md). Example: make device ARCH=aarch64
#   make model    train the shipped model assets/kjv-tiny.gguf again (about ten
#                 minutes on two cores; see README, "Training a model")
#   make format   clang-format every C file
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 10
FUZZ ?= .
FUZZ_DIR ?= build-fuzz
ARCH ?= $(shell uname -m | sed 's/^amd64$$/x86_64/;s/^arm64$$/aarch64/;s/^armv[78]l$$/armv7/')
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: all build asan test test-release test-asan fuzz demo model device setup format clean

all: build

setup:
	@sh scripts/setup.sh

build:
	@$(CMAKE) -S . -B build -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@$(CMAKE) --build build -j $(JOBS)

asan:
	@$(CMAKE) -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTEAI_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@$(CMAKE) --build build-asan -j $(JOBS)

test: setup
	@$(MAKE) --no-print-directory test-release
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory fuzz

test-release: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: asan
	cd build-asan && $(SAN_ENV) TEAI_TEST_LIGHT=1 ctest --output-on-failure -j $(JOBS)

# libFuzzer needs clang and its runtime; without them this says so and skips.
fuzz:
	@if ! printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }\n' | \
	  clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1; then \
	  echo "make fuzz: skip: libFuzzer needs clang and its fuzzer runtime (Debian: apt-get install clang libclang-rt-14-dev libfuzzer-14-dev, or make setup)"; \
	  exit 0; fi; \
	CC=clang $(CMAKE) -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=Debug -DTEAI_SANITIZE=ON \
	  -DTEAI_LIBFUZZER=ON -DTEAI_FUZZ_SECONDS=$(FUZZ_SECONDS) $(CMAKE_FLAGS) >/dev/null && \
	$(CMAKE) --build $(FUZZ_DIR) -j $(JOBS) --target teai_fuzz && \
	cd $(FUZZ_DIR) && $(SAN_ENV) ctest -L libfuzzer -R '$(FUZZ)' --output-on-failure -j $(JOBS)

demo: setup build
	@sh scripts/demo.sh

device:
	@sh scripts/build-device.sh $(ARCH)

model: setup build
	@sh scripts/train-model.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz
