# Shared part of aarch64.cmake / armhf.cmake: Debian cross gcc + a sysroot made from Debian's
# ARM packages by make-sysroot.sh (not multiarch; see docs/building.md).
# The including file sets SW_CROSS_CPU, SW_CROSS_TRIPLET, SW_CROSS_DEBARCH, SW_CROSS_QEMU.
#
# Note: this file is read again for every try_compile, where CMAKE_SOURCE_DIR is a scratch
# directory, so defaults are relative to this file (toolchains/..), i.e. <repo>/build/sysroot-*.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${SW_CROSS_CPU})
set(CMAKE_LIBRARY_ARCHITECTURE ${SW_CROSS_TRIPLET})

set(CMAKE_C_COMPILER   ${SW_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${SW_CROSS_TRIPLET}-g++)

get_filename_component(_sw_repo "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT DEFINED SEALWATCH_SYSROOT AND DEFINED ENV{SEALWATCH_SYSROOT})
    set(SEALWATCH_SYSROOT "$ENV{SEALWATCH_SYSROOT}" CACHE PATH "Sysroot made by toolchains/make-sysroot.sh")
endif()
set(SEALWATCH_SYSROOT "${_sw_repo}/build/sysroot-${SW_CROSS_DEBARCH}" CACHE PATH
    "Sysroot made by toolchains/make-sysroot.sh ${SW_CROSS_DEBARCH}")
# try_compile projects get the same sysroot as the main project.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SEALWATCH_SYSROOT)

if(NOT EXISTS "${SEALWATCH_SYSROOT}/.sealwatch-sysroot.stamp")
    message(FATAL_ERROR "No ${SW_CROSS_DEBARCH} sysroot at ${SEALWATCH_SYSROOT}.\n"
        "Make it with:  toolchains/make-sysroot.sh ${SW_CROSS_DEBARCH} ${SEALWATCH_SYSROOT}\n"
        "(or toolchains/install-deps.sh --cross), or pass -DSEALWATCH_SYSROOT=<dir>.")
endif()

set(CMAKE_SYSROOT "${SEALWATCH_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${SEALWATCH_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # cmake, pkg-config, python: the host's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)    # libraries, headers, CMake packages (GTest): the sysroot's
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config: only the sysroot's .pc files, with -I/-L prefixed by the sysroot.
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_LIBDIR}
    "${SEALWATCH_SYSROOT}/usr/lib/${SW_CROSS_TRIPLET}/pkgconfig:${SEALWATCH_SYSROOT}/usr/lib/pkgconfig:${SEALWATCH_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${SEALWATCH_SYSROOT}")

# Shared libraries' own dependencies (libmosquitto -> libssl3, libpq -> libldap, ...) are
# resolved by ld in the sysroot's multiarch directories, which binutils does not search by itself.
set(_sw_rpl "-Wl,-rpath-link,${SEALWATCH_SYSROOT}/lib/${SW_CROSS_TRIPLET}:${SEALWATCH_SYSROOT}/usr/lib/${SW_CROSS_TRIPLET}")
set(CMAKE_EXE_LINKER_FLAGS_INIT    "${_sw_rpl}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_sw_rpl}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "${_sw_rpl}")

# Tests (gtest_discover_tests, add_test) run the target binaries through qemu-user, with the
# sysroot as the root for the dynamic loader and the shared libraries.
find_program(SW_QEMU ${SW_CROSS_QEMU})
if(SW_QEMU)
    set(CMAKE_CROSSCOMPILING_EMULATOR "${SW_QEMU};-L;${SEALWATCH_SYSROOT}")
else()
    message(WARNING "${SW_CROSS_QEMU} not found (apt-get install qemu-user): cross-built tests cannot run")
endif()
