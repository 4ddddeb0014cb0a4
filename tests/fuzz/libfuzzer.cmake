# TEAI_LIBFUZZER: build the fuzz targets (tests/fuzz/fuzz_*.c) with libFuzzer,
# coverage-guided, instead of the standalone mutation driver (driver.c).
# Needs clang and its fuzzer runtime (Debian: clang libclang-rt-14-dev
# libfuzzer-14-dev, installed by scripts/setup.sh). Included from the top-level
# CMakeLists.txt before the libraries are defined, because the libraries must
# carry the coverage instrumentation too (-fsanitize=fuzzer-no-link).
#   AUTO (default): on for a sanitizer build (TEAI_SANITIZE) with clang when
#                   -fsanitize=fuzzer links; never for a plain build, whose
#                   teai binary must not carry instrumentation.
#   ON:  required (an error names the packages when it cannot link).
#   OFF: the standalone driver.
set(TEAI_LIBFUZZER AUTO CACHE STRING "Fuzz targets with libFuzzer: AUTO, ON or OFF")
set_property(CACHE TEAI_LIBFUZZER PROPERTY STRINGS AUTO ON OFF)
set(TEAI_FUZZ_LIBFUZZER OFF)
if(TEAI_LIBFUZZER STREQUAL "ON" OR (TEAI_LIBFUZZER STREQUAL "AUTO" AND TEAI_SANITIZE))
  set(teai_fuzz_ok OFF)
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    include(CheckCSourceCompiles)
    set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
    set(CMAKE_REQUIRED_LINK_OPTIONS "-fsanitize=fuzzer")
    check_c_source_compiles(
      "#include <stddef.h>
       #include <stdint.h>
       int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
       int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return d && n; }"
      TEAI_LIBFUZZER_LINKS)
    unset(CMAKE_REQUIRED_FLAGS)
    unset(CMAKE_REQUIRED_LINK_OPTIONS)
    set(teai_fuzz_ok ${TEAI_LIBFUZZER_LINKS})
  endif()
  set(teai_fuzz_why "libFuzzer needs clang (CC=clang) and its fuzzer runtime: on Debian "
                    "apt-get install clang libclang-rt-14-dev libfuzzer-14-dev (scripts/setup.sh)")
  if(teai_fuzz_ok)
    set(TEAI_FUZZ_LIBFUZZER ON)
    add_compile_options(-fsanitize=fuzzer-no-link)
    message(STATUS "fuzz targets: libFuzzer")
  elseif(TEAI_LIBFUZZER STREQUAL "ON")
    message(FATAL_ERROR "TEAI_LIBFUZZER=ON: " ${teai_fuzz_why})
  else()
    message(STATUS "fuzz targets: standalone driver (" ${teai_fuzz_why} ")")
  endif()
endif()
