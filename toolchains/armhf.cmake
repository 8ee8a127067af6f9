# Cross build for 32-bit ARMv7 hard-float gateways (Debian armhf):
#   toolchains/make-sysroot.sh armhf && cmake --preset armhf
# Sysroot: -DSEALWATCH_SYSROOT=<dir> (default <repo>/build/sysroot-armhf).
set(SW_CROSS_CPU arm)
set(SW_CROSS_TRIPLET arm-linux-gnueabihf)
set(SW_CROSS_DEBARCH armhf)
set(SW_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/cross-common.cmake)
