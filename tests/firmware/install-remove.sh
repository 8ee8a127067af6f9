#!/usr/bin/env bash
# install-remove.sh DEB — installs, removes and purges a native sealwatch package in a
# throwaway Debian chroot: an overlay of this machine's own root (a tmpfs holds the changes,
# inside a private mount namespace), so the host's dpkg database, users and files are never
# touched and nothing is downloaded. Needs root (unshare -m, mount). Runs `dpkg --root`, so the
# maintainer scripts run chrooted, as on a gateway.
set -euo pipefail
deb=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "install-remove.sh: needs root (mount namespaces)" >&2; exit 77; }
[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] ||
    { echo "install-remove.sh: $deb is not for this machine's architecture" >&2; exit 2; }
if dpkg-query -W -f='${Status}' sealwatch 2>/dev/null | grep -q installed; then
    echo "install-remove.sh: sealwatch is installed on the host; the overlay would see it" >&2; exit 2
fi
work=$(mktemp -d /tmp/sealwatch-chroot.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$deb" "$work/pkg.deb"

unshare -m --propagation private bash -euo pipefail -c '
work=$1
mkdir -p "$work/t"
mount -t tmpfs tmpfs "$work/t"
mkdir -p "$work/t/upper" "$work/t/work" "$work/t/root"
r=$work/t/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/t/upper,workdir=$work/t/work" "$r"
mount --bind /dev "$r/dev"
mount -t proc proc "$r/proc"
mount -t tmpfs tmpfs "$r/run"      # no /run/systemd/system: the scripts do not call systemctl
mount -t tmpfs tmpfs "$r/tmp"
cp "$work/pkg.deb" "$r/tmp/pkg.deb"
ok() { echo "install-remove: ok: $*"; }
bad() { echo "install-remove: FAILED: $*" >&2; exit 1; }

echo "== dpkg --root $r -i"
dpkg --root="$r" --force-not-root -i "$r/tmp/pkg.deb" 2>&1 | sed "s/^/    /"
[ "$(dpkg --root="$r" -s sealwatch | sed -n "s/^Status: //p")" = "install ok installed" ] || bad "not installed"
chroot "$r" getent passwd sealwatch >/dev/null || bad "no user sealwatch"
chroot "$r" id -nG sealwatch | grep -qw dialout || bad "sealwatch is not in dialout"
[ "$(chroot "$r" stat -c "%U:%G %a" /var/lib/sealwatch)" = "sealwatch:sealwatch 750" ] || bad "data dir: $(chroot "$r" stat -c "%U:%G %a" /var/lib/sealwatch)"
[ "$(chroot "$r" stat -c "%G %a" /etc/sealwatch/sealwatch.toml)" = "sealwatch 640" ] || bad "config perms"
[ -L "$r/etc/systemd/system/multi-user.target.wants/sealwatch.service" ] || bad "service not enabled"
ok "installed: user, groups, data dir, config, service enabled"
chroot "$r" sealwatchd --version
chroot "$r" runuser -u sealwatch -- sealwatch config check --config /etc/sealwatch/sealwatch.toml
chroot "$r" runuser -u sealwatch -- sealwatchd --check --config /etc/sealwatch/sealwatch.toml
if chroot "$r" sealwatchd --help | grep -q -- --init-key; then
    [ -f "$r/var/lib/sealwatch/gateway.key" ] || bad "no gateway key"
    [ "$(chroot "$r" stat -c "%U %a" /var/lib/sealwatch/gateway.key)" = "sealwatch 600" ] || bad "key perms"
    ok "gateway key made"
else
    echo "install-remove: note: this sealwatchd has no --init-key yet; no key made"
fi
echo "== reinstall (upgrade path: postinst configure with the old version)"
dpkg --root="$r" --force-not-root -i "$r/tmp/pkg.deb" 2>&1 | sed "s/^/    /"
ok "reinstalled"

echo "== dpkg -r"
echo "# a local change" >> "$r/etc/sealwatch/sealwatch.toml"
dpkg --root="$r" --force-not-root -r sealwatch 2>&1 | sed "s/^/    /"
[ ! -e "$r/usr/bin/sealwatchd" ] || bad "binary left after remove"
[ ! -e "$r/lib/systemd/system/sealwatch.service" ] || bad "unit left after remove"
[ -f "$r/etc/sealwatch/sealwatch.toml" ] || bad "conffile removed by remove"
[ -d "$r/var/lib/sealwatch" ] || bad "data removed by remove"
ok "removed: binaries gone, config and data kept"

echo "== dpkg --purge"
dpkg --root="$r" --force-not-root --purge sealwatch 2>&1 | sed "s/^/    /"
[ ! -e "$r/etc/sealwatch/sealwatch.toml" ] || bad "conffile left after purge"
[ -d "$r/var/lib/sealwatch" ] || bad "evidence data removed by purge without SEALWATCH_PURGE_DATA=1"
[ ! -e "$r/etc/systemd/system/multi-user.target.wants/sealwatch.service" ] || bad "enable link left after purge"
dpkg --root="$r" -s sealwatch >/dev/null 2>&1 && bad "still known to dpkg after purge"
dpkg --root="$r" --audit || bad "dpkg --audit"
ok "purged: config and service state gone, evidence data kept"
' _ "$work"
