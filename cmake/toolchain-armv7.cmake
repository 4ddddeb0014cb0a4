# Cross-compiling teai for 32-bit ARM Linux, hard float (scripts/build-device.sh
# armv7): Debian's gcc-arm-linux-gnueabihf (ARMv7-A, VFPv3-D16, Thumb-2).
# The NEON kernels are AArch64 code, so armv7 runs the scalar kernels.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7)
set(TEAI_CROSS_TRIPLE arm-linux-gnueabihf)
if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER ${TEAI_CROSS_TRIPLE}-gcc)
endif()
set(CMAKE_FIND_ROOT_PATH /usr/${TEAI_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
