# Cross-compiling tend for arm64 (aarch64) on a Debian amd64 machine, with
# Debian's packages only:
#   g++-aarch64-linux-gnu                     the compiler and the target's libstdc++/glibc
#   dpkg --add-architecture arm64, then
#   libcap-ng-dev:arm64 libc6-dev:arm64      libcap-ng.a for the target
#   qemu-user-static                          runs the target's test binaries
# spdlog, fmt and CLI11 are used header-only: their CMake packages are the build
# machine's (the headers are the same for every architecture). GoogleTest is
# built from source (/usr/src/googletest, Debian's googletest package) with
# this compiler; see CMakeLists.txt.
#
# Used by the presets `release-arm64` and `dev-arm64` (CMakePresets.json):
#   make release ARCH=arm64, make check-arm64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Test binaries (gtest_discover_tests, ctest) run through qemu-user. -L: the
# target's dynamic loader and libraries, for anything not linked statically.
# (A release build needs no qemu: the tests are off.)
find_program(TEND_QEMU_AARCH64 qemu-aarch64-static)
if(TEND_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${TEND_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu")
endif()

# Libraries: the target's multiarch dir only, never the build machine's.
set(CMAKE_IGNORE_PATH /usr/lib/${CMAKE_HOST_SYSTEM_PROCESSOR}-linux-gnu)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Header-only packages from the build machine (their config files live in its
# multiarch dir, which the line above ignores for libraries).
set(spdlog_DIR /usr/lib/${CMAKE_HOST_SYSTEM_PROCESSOR}-linux-gnu/cmake/spdlog CACHE PATH "")
set(fmt_DIR /usr/lib/${CMAKE_HOST_SYSTEM_PROCESSOR}-linux-gnu/cmake/fmt CACHE PATH "")
