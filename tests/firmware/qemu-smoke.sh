#!/usr/bin/env bash
# qemu-smoke.sh DEB QEMU SYSROOT — the package's own binaries, unpacked, run on the target
# architecture under qemu-user (the sysroot supplies the loader and the libraries, as the
# Depends would on a gateway): --version, the packaged default config passes `config check`
# and `sealwatchd --check`, the profiles are found, and a bad config is refused with FILE:LINE.
set -euo pipefail
deb=$(readlink -f "$1"); qemu=$2; sysroot=$(readlink -f "$3")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"
run() { "$qemu" -L "$sysroot" "$@"; }
bin=$tmp/root/usr/bin
conf=$tmp/root/etc/sealwatch/sealwatch.toml
sed -i "s|^data_dir = .*|data_dir = \"$tmp/data\"|" "$conf"   # the check must not need /var/lib

run "$bin/sealwatchd" --version
run "$bin/sealwatch" --help >/dev/null
run "$bin/sealwatch-sim" --help >/dev/null
run "$bin/sealwatch" config check --config "$conf"
run "$bin/sealwatchd" --check --config "$conf"
sed -i 's/^name = "generic"/name = "bananapi"/' "$conf"
set +e; out=$(run "$bin/sealwatch" config check --config "$conf" 2>&1); rc=$?; set -e
[ "$rc" = 2 ] && grep -q "sealwatch.toml:[0-9]*: unknown board \"bananapi\"" <<<"$out" ||
    { echo "qemu-smoke: a bad [board] was not refused as expected (exit $rc): $out" >&2; exit 1; }
echo "qemu-smoke: $(basename "$deb") runs under $qemu: --version, config check, --check ok"
