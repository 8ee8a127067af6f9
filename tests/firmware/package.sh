#!/usr/bin/env bash
# package.sh BUILD_DIR [OUT_DIR] — the Debian package of one build tree (cpack -G DEB).
# The tree must be configured with -DCMAKE_INSTALL_PREFIX=/usr (the compiled-in profile folder
# follows the prefix). Prints the .deb's path on stdout.
set -euo pipefail
build=$(cd "$1" && pwd)
out=${2:-$build/packages}
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
[ "$prefix" = /usr ] || { echo "package.sh: $build has CMAKE_INSTALL_PREFIX=$prefix, not /usr" >&2; exit 2; }
mkdir -p "$out"
cmake --build "$build" -j 2 >&2
(cd "$build" && cpack -G DEB -B "$out" >&2)
rm -rf "$out/_CPack_Packages"
ls -t "$out"/sealwatch_*.deb | head -n1
