# Cross-compiling teai for 32-bit ARM Linux, hard float (scripts/build-device.sh
# armv7): Debian's gcc-arm-linux-gnueabihf (ARMv7-A, VFPv3-D16, Thumb-2).
# The NEON kernels are AArch64 code, so armv7 runs the scalar kernels.
set(CMAKE_SYSTEM_PROCESSOR armv7)
set(TEAI_CROSS_TRIPLE arm-linux-gnueabihf)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux.cmake)
