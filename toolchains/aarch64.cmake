# Cross build for 64-bit ARM gateways (Debian arm64):
#   toolchains/make-sysroot.sh arm64 && cmake --preset aarch64
# Sysroot: -DSEALWATCH_SYSROOT=<dir> (default <repo>/build/sysroot-arm64).
set(SW_CROSS_CPU aarch64)
set(SW_CROSS_TRIPLET aarch64-linux-gnu)
set(SW_CROSS_DEBARCH arm64)
set(SW_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
