#!/usr/bin/env bash
# install-deps.sh — the one dependency installer for sealwatch. Debian packages only.
#
#   toolchains/install-deps.sh            native build + test dependencies
#   toolchains/install-deps.sh --cross    also the ARM cross compilers, qemu-user, and the
#                                         sysroots (toolchains/make-sysroot.sh) for
#                                         $SEALWATCH_CROSS_ARCHES (default "arm64 armhf")
#   --cross=arm64  (or --cross=arm64,armhf) same, for the named architectures only
#   --check        only report what is missing; install nothing (exit 1 if something is)
#   --update       run apt-get update even if the lists look fresh
#
# Idempotent: when everything is installed it touches nothing (no apt-get update, no network).
# apt-get update runs only when needed: lists missing or older than a day, or a wanted package
# has no candidate. Retries network steps. Works as root or through sudo (non-interactive).
#
# Environment: SEALWATCH_EXTRA_PACKAGES (more Debian packages), SEALWATCH_APT_RETRIES (default 3), SEALWATCH_CROSS_ARCHES, SEALWATCH_SYSROOT_DIR
# (parent folder of the sysroots, default <repo>/build), and the make-sysroot.sh variables.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

say()  { printf '[install-deps] %s\n' "$*" >&2; }
warn() { printf '[install-deps] WARNING: %s\n' "$*" >&2; }
die()  { printf '[install-deps] ERROR: %s\n' "$*" >&2; exit 1; }

NATIVE_PACKAGES=(
    build-essential cmake ninja-build pkg-config clang-format clang-tidy
    libmodbus-dev libmosquitto-dev libsqlite3-dev sqlite3
    libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libexpected-dev
    libssl-dev libsodium-dev libgpiod-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    mosquitto mosquitto-clients socat python3 openssl tzdata help2man pandoc
    chromium fonts-noto-cjk lintian
    clang libclang-rt-14-dev
    libcpp-httplib-dev
    postgresql libpq-dev rabbitmq-server librabbitmq-dev
)
CROSS_PACKAGES=(g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user)

cross=0; check_only=0; force_update=0
cross_arches=${SEALWATCH_CROSS_ARCHES:-arm64 armhf}
for a in "$@"; do
    case "$a" in
        --cross) cross=1 ;;
        --cross=*) cross=1; cross_arches=${a#--cross=}; cross_arches=${cross_arches//,/ } ;;
        --check) check_only=1 ;;
        --update) force_update=1 ;;
        -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$a' (see --help)" ;;
    esac
done
for arch in $cross_arches; do
    case "$arch" in arm64|armhf) ;; *) die "--cross: architecture must be arm64 or armhf, not '$arch'" ;; esac
done

command -v dpkg-query >/dev/null && command -v apt-get >/dev/null \
    || die "this installer needs a Debian-based system (apt-get, dpkg). Debian 12 (bookworm) is the reference."

wanted=("${NATIVE_PACKAGES[@]}")
# shellcheck disable=SC2206
wanted+=(${SEALWATCH_EXTRA_PACKAGES:-})
[ "$cross" = 1 ] && wanted+=("${CROSS_PACKAGES[@]}")

# ---- what is missing? (no root, no network) ---------------------------------------------------
missing_packages() {
    local p status
    for p in "$@"; do
        status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
        [ "${status:0:2}" = ii ] || echo "$p"
    done
}
mapfile -t missing < <(missing_packages "${wanted[@]}")

if [ "${#missing[@]}" -eq 0 ]; then
    say "all ${#wanted[@]} Debian packages already installed"
elif [ "$check_only" = 1 ]; then
    say "missing: ${missing[*]}"
    exit 1
else
    # ---- root or sudo ------------------------------------------------------------------------
    SUDO=()
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || die "not root and no sudo: run as root, or install: ${missing[*]}"
        sudo -n true 2>/dev/null || die "sudo needs a password and there is no terminal to ask on (CI?).
    Run 'sudo $0 $*' yourself, or configure passwordless sudo for apt-get."
        SUDO=(sudo -n DEBIAN_FRONTEND=noninteractive)
    fi
    apt_opts=(-o Dpkg::Use-Pty=0 -o Acquire::Retries=3 -o DPkg::Lock::Timeout=600)

    lists_age_ok() {
        # fresh = a Packages index for the native architecture newer than one day
        local arch; arch=$(dpkg --print-architecture)
        [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name "*_binary-${arch}_Packages*" -mmin -1440 2>/dev/null | head -n1)" ]
    }
    no_candidate() {   # prints the packages apt has no candidate for
        apt-cache policy "$@" 2>/dev/null | awk '
            /^[^ ].*:$/ {p=substr($0,1,length($0)-1); seen[p]=1}
            /^  Candidate:/ {c[p]=$2}
            END {for (p in seen) if (c[p]=="" || c[p]=="(none)") print p}'
        # names apt does not know at all produce no block
        local p; for p in "$@"; do apt-cache show "$p" >/dev/null 2>&1 || echo "$p"; done
    }

    update_log=$(mktemp); trap 'rm -f "$update_log"' EXIT
    apt_update() {
        local tries=${SEALWATCH_APT_RETRIES:-3} i rc failed
        for ((i = 1; i <= tries; i++)); do
            say "apt-get update (try $i/$tries)"
            set +e; "${SUDO[@]}" apt-get "${apt_opts[@]}" update >"$update_log" 2>&1; rc=$?; set -e
            failed=$(grep -E '^(Err:|[EW]: Failed to fetch)' "$update_log" | grep -oE 'https?://[^ ]+' | sort -u || true)
            if [ "$rc" = 0 ] && [ -z "$failed" ]; then return 0; fi
            if grep -qE 'Could not get lock|is held by process' "$update_log"; then
                warn "another apt/dpkg is running; waiting"; sleep 20; continue
            fi
            warn "apt-get update: some indexes failed (exit $rc):"
            printf '    %s\n' ${failed:-"(see below)"} >&2
            grep -E '^(E|W):' "$update_log" | head -n 6 | sed 's/^/    /' >&2 || true
            if printf '%s\n' "$failed" | grep -qE 'binary-(armhf|arm64|i386)'; then
                warn "a FOREIGN architecture index failed (dpkg --print-foreign-architectures: $(dpkg --print-foreign-architectures | tr '\n' ' ')).
    sealwatch does not need foreign architectures on the host: the cross sysroots are made by
    make-sysroot.sh with their own private apt lists. If you added one only for sealwatch,
    'dpkg --remove-architecture ARCH' (after removing its packages) makes this go away."
            fi
            # Good enough if everything we are about to install now has a candidate (a failed
            # third-party or foreign-architecture index does not stop us).
            if [ -z "$(no_candidate "${missing[@]}")" ]; then
                warn "the packages sealwatch needs are all available; carrying on"
                return 0
            fi
            if [ "$i" -lt "$tries" ]; then sleep $((i * 10)); fi
        done
        return 1   # callers decide whether the lists we have are good enough
    }

    if [ "$force_update" = 1 ] || ! lists_age_ok; then
        apt_update || warn "continuing with the package lists that did download"
    fi
    mapfile -t unknown < <(no_candidate "${missing[@]}" | sort -u)
    if [ "${#unknown[@]}" -gt 0 ]; then
        say "no candidate yet for: ${unknown[*]} — updating the package lists"
        apt_update || true
        mapfile -t unknown < <(no_candidate "${missing[@]}" | sort -u)
        [ "${#unknown[@]}" -eq 0 ] || die "Debian has no installable candidate for: ${unknown[*]}
    on this system ($(. /etc/os-release; echo "$PRETTY_NAME")). sealwatch targets Debian 12 (bookworm).
    If apt-get update failed above, fix the network/mirror (last update log: see messages above) and re-run."
    fi

    say "installing ${#missing[@]} packages: ${missing[*]}"
    ok=0
    for ((i = 1; i <= ${SEALWATCH_APT_RETRIES:-3}; i++)); do
        log=$(mktemp)
        set +e
        "${SUDO[@]}" apt-get "${apt_opts[@]}" install -y -q --no-install-recommends "${missing[@]}" 2>&1 | tee "$log" | grep -E '^(Setting up|E:|W:)' >&2
        rc=${PIPESTATUS[0]}
        set -e
        if [ "$rc" = 0 ]; then ok=1; rm -f "$log"; break; fi
        if grep -qE '404 +Not Found|Unable to fetch some archives|Hash Sum mismatch|unexpected size' "$log"; then
            warn "the package lists are older than the mirror (a .deb moved on); updating and retrying"
            apt_update || true
        elif grep -qE 'Depends:|but it is not (going to be )?installable|held broken packages' "$log"; then
            grep -E 'Depends:|installable' "$log" | head -n 10 | sed 's/^/    /' >&2
            if grep -qE ':(armhf|arm64|i386)' "$log"; then
                die "unsatisfiable dependencies involving a FOREIGN architecture. This is the multiarch
    version-skew trap: a Multi-Arch: same package (e.g. libssl3:armhf) must have exactly the native
    version, and one architecture's index lags (often the armhf security index failed to
    download). sealwatch never needs :arm64/:armhf packages on the host — cross sysroots come from
    toolchains/make-sysroot.sh. Remove the foreign packages (apt-get remove '.*:armhf'), or retry
    'apt-get update' until both architectures' indexes agree."
            fi
            die "apt cannot satisfy the dependencies (see above). Try: apt-get update && apt-get -f install"
        elif grep -qE 'Could not get lock|is held by process' "$log"; then
            warn "another apt/dpkg holds the lock; waiting"
        else
            tail -n 15 "$log" | sed 's/^/    /' >&2
        fi
        rm -f "$log"
        sleep $((i * 10))
    done
    [ "$ok" = 1 ] || die "apt-get install failed ${SEALWATCH_APT_RETRIES:-3} times (see above)"
    mapfile -t still < <(missing_packages "${wanted[@]}")
    [ "${#still[@]}" -eq 0 ] || die "still not installed after apt-get: ${still[*]}"
    say "installed: ${missing[*]}"
fi

# ---- foreign architectures on the host (multiarch): warn about version skew -----------------
# sealwatch does not use them, but if someone added one, a lagging index shows up here first.
foreign=$(dpkg --print-foreign-architectures 2>/dev/null | tr '\n' ' ')
if [ -n "${foreign// /}" ]; then
    skew=""
    for fa in $foreign; do
        for p in libc6 libssl3 libsqlite3-0 libmodbus5; do
            nv=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/{print $2}')
            fv=$(apt-cache policy "$p:$fa" 2>/dev/null | awk '/Candidate:/{print $2}')
            if [ -n "$fv" ] && [ "$fv" != "(none)" ] && [ "${fv%+b[0-9]*}" != "${nv%+b[0-9]*}" ]; then
                skew+="      $p: native $nv, $fa $fv"$'\n'
            fi
        done
    done
    if [ -n "$skew" ]; then
        warn "the host has foreign architectures ($foreign) and their index lags the native one:
$skew    Installing '<pkg>:ARCH' -dev packages next to the native ones (multiarch) will fail
    until they agree (usually: that architecture's security index failed to download).
    sealwatch does not need this: its cross sysroots come from toolchains/make-sysroot.sh."
    fi
fi

# ---- cross sysroots ---------------------------------------------------------------------------
if [ "$cross" = 1 ]; then
    for arch in $cross_arches; do
        dir=${SEALWATCH_SYSROOT_DIR:-$repo/build}/sysroot-$arch
        if [ "$check_only" = 1 ]; then
            [ -f "$dir/.sealwatch-sysroot.stamp" ] && say "sysroot $arch: $dir" || { say "sysroot $arch: missing"; exit 1; }
            continue
        fi
        "$here/make-sysroot.sh" "$arch" "$dir"
    done
fi
say "done"
