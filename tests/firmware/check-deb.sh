#!/usr/bin/env bash
# check-deb.sh DEB [SYSROOT] — what is inside a sealwatch package, checked without installing:
# the files, the conffile, the maintainer scripts, and that every shared library the binaries
# need (readelf NEEDED) comes from a package in Depends. Then lintian, if installed (its
# output is printed; the expected tags are explained in docs/operator.md's packaging notes).
set -euo pipefail
deb=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-deb: $*" >&2; exit 1; }

dpkg-deb -x "$deb" "$tmp/root"
dpkg-deb -e "$deb" "$tmp/control"
arch=$(dpkg-deb -f "$deb" Architecture)
echo "check-deb: $(basename "$deb"): $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) $arch"

for f in usr/bin/sealwatchd usr/bin/sealwatch usr/bin/sealwatch-sim \
         lib/systemd/system/sealwatch.service lib/udev/rules.d/60-sealwatch.rules \
         etc/sealwatch/sealwatch.toml usr/share/sealwatch/profiles/eastron-sdm630.toml \
         usr/share/doc/sealwatch/copyright usr/share/doc/sealwatch/changelog.Debian.gz \
         usr/share/doc/sealwatch/examples/sealwatch-bridge.conf usr/share/doc/sealwatch/operator.md.gz \
         usr/share/doc/sealwatch/examples/county-acl.example \
         usr/share/doc/sealwatch/examples/scenarios/night-furnace.toml \
         usr/bin/sealwatch-county usr/share/man/man1/sealwatch.1.gz usr/share/man/man8/sealwatchd.8.gz \
         usr/share/man/man1/sealwatch-county.1.gz usr/share/man/man5/sealwatch.toml.5.gz usr/share/man/man1/sealwatch-sim.1.gz \
         usr/share/bash-completion/completions/sealwatch usr/share/bash-completion/completions/sealwatchd \
         usr/share/bash-completion/completions/sealwatch-county; do
    [ -e "$tmp/root/$f" ] || fail "missing /$f"
done
# sealwatch is the same executable as sealwatchd, started under its own name (agent/multicall/).
[ "$(readlink "$tmp/root/usr/bin/sealwatch")" = sealwatchd ] || fail "/usr/bin/sealwatch is not a symlink to sealwatchd"
grep -qx /etc/sealwatch/sealwatch.toml "$tmp/control/conffiles" || fail "sealwatch.toml is not a conffile"
for s in postinst prerm postrm; do [ -x "$tmp/control/$s" ] || fail "no executable $s"; done
sh -n "$tmp/control/postinst" && sh -n "$tmp/control/postrm" && sh -n "$tmp/control/prerm"

# The binaries are for the package's architecture.
case "$arch" in
    amd64) want="X86-64" ;; arm64) want="AArch64" ;; armhf) want="ARM" ;; *) want="" ;;
esac
machine=$(readelf -h "$tmp/root/usr/bin/sealwatchd" | sed -n 's/ *Machine: *//p')
case "$machine" in *"$want"*) ;; *) fail "sealwatchd is for '$machine', the package says $arch" ;; esac
if readelf -S "$tmp/root/usr/bin/sealwatchd" | grep -q '\.debug_info'; then fail "sealwatchd is not stripped"; fi

# Every NEEDED library is provided by a package the control file depends on.
depends=$(dpkg-deb -f "$deb" Depends)
dep_names=" $(sed -E 's/\([^)]*\)//g; s/[|,]/ /g' <<<"$depends" | tr -s ' ') "
declare -A provider=(
    [libc.so.6]=libc6 [libm.so.6]=libc6 [libstdc++.so.6]=libstdc++6 [libgcc_s.so.1]=libgcc-s1
    [libmodbus.so.5]=libmodbus5 [libmosquitto.so.1]=libmosquitto1 [libsqlite3.so.0]=libsqlite3-0
    [libssl.so.3]=libssl3 [libcrypto.so.3]=libssl3 [libgpiod.so.2]=libgpiod2
    [ld-linux-aarch64.so.1]=libc6 [ld-linux-armhf.so.3]=libc6
    [ld-linux-x86-64.so.2]=libc6 [libsodium.so.23]=libsodium23 [librabbitmq.so.4]=librabbitmq4 [libpq.so.5]=libpq5
    [libcpp-httplib.so.0.11]=libcpp-httplib0.11
)
for bin in sealwatchd sealwatch sealwatch-sim sealwatch-county; do
    for lib in $(readelf -d "$tmp/root/usr/bin/$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
        pkg=${provider[$lib]:-}
        [ -n "$pkg" ] || fail "$bin needs $lib: no package known for it (extend check-deb.sh and Depends)"
        [[ "$dep_names" == *" $pkg "* ]] || fail "$bin needs $lib from $pkg, not in Depends: $depends"
    done
done
# The man pages render without a warning from groff (a broken page renders half a page). At 160
# columns: the reference tables of sealwatch.toml(5) are wider than 80, and groff's warnings
# about squeezing a table into a narrow terminal are layout, not errors. Nor is groff 1.22.4's
# "table text block will not fit on one page": man renders one continuous page and grows it as
# text comes, but tbl measures a table cell against the page's current end before it grows, so
# the warning comes and goes with where a page of the text happens to end; all it changes is
# where one blank line falls (compared line by line with a page that passes).
if command -v man >/dev/null; then
    for page in "$tmp"/root/usr/share/man/man*/*.gz; do
        warnings=$(MANWIDTH=160 man --warnings -l "$page" 2>&1 >/dev/null |
            grep -v '^warning: page [0-9]*: table text block will not fit on one page$' || true)
        [ -z "$warnings" ] || fail "$(basename "$page"): $warnings"
    done
fi
echo "check-deb: files, conffile, scripts, man pages, architecture and dependencies ok"

if command -v lintian >/dev/null; then
    echo "check-deb: lintian:"
    lintian --no-tag-display-limit "$deb" || true
fi
