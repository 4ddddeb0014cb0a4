# Cross-compiling teai for 64-bit ARM Linux (scripts/build-device.sh aarch64):
# Debian's gcc-aarch64-linux-gnu. CMAKE_SYSTEM_PROCESSOR aarch64 picks the
# NEON sources (src/engine/*_neon.c, src/train/*_neon.c).
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(TEAI_CROSS_TRIPLE aarch64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux.cmake)
