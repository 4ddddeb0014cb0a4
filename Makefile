# teai: the two quick-start commands are `make demo` and `make test`.
#   make          build build/teai (Release)
#   make test     all tests, then the same tests under ASan+UBSan (build-asan/)
#   make demo     the main job on the built-in defaults (see README)
#   make format   clang-format every C file
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE ?= cmake
CMAKE_FLAGS ?=

.PHONY: all build asan test test-release test-asan demo setup format clean

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

test-release: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 TEAI_TEST_LIGHT=1 \
	  ctest --output-on-failure -j $(JOBS)

demo: setup build
	@sh scripts/demo.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan
