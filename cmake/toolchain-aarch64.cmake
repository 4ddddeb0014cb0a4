# Cross-compiling teai for 64-bit ARM Linux (scripts/build-device.sh aarch64):
# Debian's gcc-aarch64-linux-gnu. CMAKE_SYSTEM_PROCESSOR aarch64 picks the
# NEON sources (src/engine/*_neon.c, src/train/*_neon.c).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(TEAI_CROSS_TRIPLE aarch64-linux-gnu)
if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER ${TEAI_CROSS_TRIPLE}-gcc)
endif()
# Libraries and headers only from the target's root (Debian: /usr/aarch64-linux-gnu),
# never the build machine's /usr/lib/x86_64-linux-gnu; programs from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${TEAI_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
