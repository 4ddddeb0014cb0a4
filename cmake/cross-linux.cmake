# What the cross toolchains share (cmake/toolchain-ARCH.cmake set
# CMAKE_SYSTEM_PROCESSOR and TEAI_CROSS_TRIPLE, then include this): Linux,
# Debian's <triple>-gcc unless a compiler is given, and libraries and headers
# only from the target's root (/usr/<triple>), never the build machine's
# /usr/lib/x86_64-linux-gnu; programs from the host.
set(CMAKE_SYSTEM_NAME Linux)
if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER ${TEAI_CROSS_TRIPLE}-gcc)
endif()
set(CMAKE_FIND_ROOT_PATH /usr/${TEAI_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
