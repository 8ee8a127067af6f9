#!/usr/bin/env bash
# make-sysroot.sh ARCH [OUTDIR] — a cross sysroot made from Debian's own ARM packages.
#
#   ARCH    arm64 | armhf
#   OUTDIR  default: <repo>/build/sysroot-ARCH
#
# Why not multiarch (`dpkg --add-architecture arm64; apt-get install libmodbus-dev:arm64`):
# co-installed Multi-Arch: same packages must have *exactly* the native version, which breaks as
# soon as one architecture's index lags (seen here: the armhf security index fails to download).
# Instead this script runs apt with a private configuration — own lists, own cache, empty dpkg
# status, APT::Architecture=ARCH — under OUTDIR/.apt, downloads the packages and their
# dependency closure, and unpacks each with `dpkg -x` into OUTDIR. The host's apt/dpkg state is
# never touched and no root is needed (except to install the cross compilers, see install-deps.sh).
#
# The libc *development* files and libstdc++ headers come from the cross compiler packages
# (/usr/<triplet>); the sysroot also holds the target's runtime libc6/libstdc++6/libgcc-s1 so
# that `qemu-<cpu> -L OUTDIR` (QEMU_LD_PREFIX) can run the binaries.
#
# Idempotent: a stamp file records what was built; a second run with the same package list
# returns at once. Options:
#   --refresh   re-read the package indexes and rebuild even if the stamp matches
#   --list      print the package list for ARCH and exit
# Environment:
#   SEALWATCH_SYSROOT_EXTRA="pkg1 pkg2"  extra packages for the sysroot
#   SEALWATCH_SYSROOT_STRICT=1           fail (instead of warn) if an index failed to download or
#                                        the ARCH versions lag the native ones
#   SEALWATCH_APT_MIRROR / SEALWATCH_APT_SECURITY_MIRROR  override the Debian mirrors (default:
#                                        the ones the host's apt uses)
#   SEALWATCH_APT_RETRIES (default 3)
set -euo pipefail

SCRIPT_VERSION=4   # bump when the layout of the sysroot changes, to invalidate old stamps
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

say()  { printf '[make-sysroot %s] %s\n' "${ARCH:-?}" "$*" >&2; }
warn() { printf '[make-sysroot %s] WARNING: %s\n' "${ARCH:-?}" "$*" >&2; }
die()  { printf '[make-sysroot %s] ERROR: %s\n' "${ARCH:-?}" "$*" >&2; exit 1; }

usage() { sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

refresh=0; list_only=0; args=()
for a in "$@"; do
    case "$a" in
        --refresh) refresh=1 ;;
        --list) list_only=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) die "unknown option $a (see --help)" ;;
        *) args+=("$a") ;;
    esac
done
[ "${#args[@]}" -ge 1 ] || { usage >&2; exit 2; }
ARCH=${args[0]}
case "$ARCH" in
    arm64|aarch64) ARCH=arm64; TRIPLET=aarch64-linux-gnu ;;
    armhf)         TRIPLET=arm-linux-gnueabihf ;;
    *) die "ARCH must be arm64 or armhf, not '$ARCH'" ;;
esac
OUTDIR=${args[1]:-$repo/build/sysroot-$ARCH}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
[ "$OUTDIR" != / ] || die "refusing to use / as the sysroot"

# What the sysroot holds. Dependencies (libssl3 for libmosquitto1, libgssapi-krb5-2/libldap-2.5-0
# for libpq5, libgcc-s1 for libc6, ...) are added by apt's resolver; the runtime libraries are
# listed anyway so the list documents what ends up on the gateway.
PACKAGES=(
    # libraries the agent links, -dev and runtime
    libmodbus-dev libmodbus5
    libmosquitto-dev libmosquitto1
    libsqlite3-dev libsqlite3-0
    librabbitmq-dev librabbitmq4        # sealwatch-county's AMQP source (built with the rest)
    libpq-dev libpq5                    # sealwatch-county's PostgreSQL store
    libssl-dev libssl3
    libsodium-dev libsodium23
    libgpiod-dev libgpiod2
    # sealwatch-county's web page: the HTTP server (its -dev pulls zlib's and brotli's)
    libcpp-httplib-dev libcpp-httplib0.11
    # header-only
    libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libexpected-dev
    # tests: Debian's static gtest/gmock built for ARCH, with their CMake config files
    libgtest-dev libgmock-dev
    # runtime for qemu (QEMU_LD_PREFIX); headers come from the cross compiler packages
    libc6 libstdc++6 libgcc-s1
)
# shellcheck disable=SC2206
PACKAGES+=(${SEALWATCH_SYSROOT_EXTRA:-})

# Pulled in by the resolver but not unpacked: the C library's headers, crt files and libc.so
# come from the cross compiler packages (libc6-dev-ARCH-cross in /usr/TRIPLET), which gcc
# searches first anyway; a second, differently versioned copy in the sysroot only confuses.
NO_UNPACK="libc6-dev libc-dev-bin linux-libc-dev libcrypt-dev libnsl-dev libtirpc-dev rpcsvc-proto"

if [ "$list_only" = 1 ]; then printf '%s\n' "${PACKAGES[@]}"; exit 0; fi

stamp="$OUTDIR/.sealwatch-sysroot.stamp"
want_stamp="version=$SCRIPT_VERSION arch=$ARCH packages=$(printf '%s ' "${PACKAGES[@]}" | sha256sum | cut -c1-16)"
if [ "$refresh" = 0 ] && [ -f "$stamp" ] && [ "$(head -n1 "$stamp")" = "$want_stamp" ]; then
    say "up to date: $OUTDIR (built $(sed -n 's/^built=//p' "$stamp"); --refresh to rebuild)"
    if grep -q '^degraded:' "$stamp"; then
        warn "this sysroot was $(sed -n 's/^degraded: //p' "$stamp") — some $ARCH packages are
    older than the newest (harmless for build and test); '$0 $ARCH --refresh' retries."
    fi
    exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs apt-get and dpkg-deb (Debian/Ubuntu host)"
t0=$(date +%s)

# ---- private apt configuration -------------------------------------------------------------
A="$OUTDIR/.apt"
mkdir -p "$A/lists/partial" "$A/archives/partial" "$A/cache" "$A/sources.list.d" \
         "$A/preferences.d" "$A/dpkg/updates" "$A/dpkg/info"
: > "$A/dpkg/status"   # empty: apt believes nothing is installed, so it resolves the full closure

codename=$( . /etc/os-release && echo "${VERSION_CODENAME:-}" )
[ -n "$codename" ] || die "cannot read VERSION_CODENAME from /etc/os-release"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || die "$keyring missing: apt-get install debian-archive-keyring"

# Use the mirrors the host already uses for Debian (so a local mirror/proxy carries over), but
# only the Debian suites: third-party repos often have no ARM packages.
mirror=${SEALWATCH_APT_MIRROR:-}; secmirror=${SEALWATCH_APT_SECURITY_MIRROR:-}
if [ -z "$mirror" ] || [ -z "$secmirror" ]; then
    while read -r uri rel; do
        case "$rel" in
            "$codename"|"$codename-updates") [ -n "$mirror" ] || mirror=$uri ;;
            "$codename-security"|"$codename/updates") [ -n "$secmirror" ] || secmirror=$uri ;;
        esac
    done < <(apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' \
                 'Identifier: Packages' 2>/dev/null | sort -u)
fi
mirror=${mirror:-http://deb.debian.org/debian}; mirror=${mirror%/}
secmirror=${secmirror:-http://deb.debian.org/debian-security}; secmirror=${secmirror%/}

cat > "$A/sources.list" <<EOF
deb [arch=$ARCH signed-by=$keyring] $mirror $codename main
deb [arch=$ARCH signed-by=$keyring] $mirror $codename-updates main
deb [arch=$ARCH signed-by=$keyring] $secmirror $codename-security main
EOF
cat > "$A/apt.conf" <<EOF
APT::Architecture "$ARCH";
APT::Architectures { "$ARCH"; };
Dir::State "$A";
Dir::State::Lists "$A/lists";
Dir::State::status "$A/dpkg/status";
Dir::Cache "$A/cache";
Dir::Cache::archives "$A/archives";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Dir::Etc::SourceList "$A/sources.list";
Dir::Etc::SourceParts "$A/sources.list.d";
Dir::Etc::Preferences "$A/preferences";
Dir::Etc::PreferencesParts "$A/preferences.d";
Dir::Log "$A";
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Get::AllowUnauthenticated "false";
Acquire::Languages "none";
Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled "false";
Acquire::Retries "3";
Debug::NoLocking "false";
EOF
# The host's apt.conf.d (proxy, mirror settings) is still read; ours comes on top.
papt() { APT_CONFIG="$A/apt.conf" DEBIAN_FRONTEND=noninteractive "$@"; }

# ---- update the private lists (with retries), and say clearly what failed ---------------------
lists_fresh() {
    local f
    f=$(find "$A/lists" -maxdepth 1 -name "*_dists_${codename}_main_binary-${ARCH}_Packages*" -mmin -1440 2>/dev/null | head -n1)
    [ -n "$f" ]
}
failed_indexes=""; degraded=""
update_lists() {
    local tries=${SEALWATCH_APT_RETRIES:-3} i out rc
    for ((i = 1; i <= tries; i++)); do
        say "apt-get update ($ARCH indexes, private lists under $A/lists), try $i/$tries"
        set +e
        # From the second try on, fetch indexes by hash: a stale copy of Packages.xz at a
        # caching proxy/mirror ("File has unexpected size") is sometimes bypassed that way.
        local byhash=(); [ "$i" -gt 1 ] && byhash=(-o Acquire::By-Hash=force)
        out=$(papt apt-get update "${byhash[@]}" 2>&1); rc=$?
        set -e
        printf '%s\n' "$out" > "$A/update.log"
        # Which indexes failed? (Err: lines and "Failed to fetch" warnings name the URL)
        # Which indexes failed? "Err:6 http://... bookworm-security/main armhf Packages"
        failed_indexes=$(printf '%s\n' "$out" | sed -n 's/^Err:[0-9]* //p' | sort -u)
        [ -n "$failed_indexes" ] || failed_indexes=$(printf '%s\n' "$out" \
            | grep -E '^[EW]: Failed to fetch' | grep -oE 'https?://[^ ]+' | sort -u || true)
        if [ "$rc" = 0 ] && [ -z "$failed_indexes" ]; then return 0; fi
        warn "apt-get update did not fully succeed (exit $rc); failed:"
        printf '%s\n' "${failed_indexes:-  (see $A/update.log)}" | sed 's/^/    /' >&2
        printf '%s\n' "$out" | grep -E '^(E:|W:)' | sed 's/^/    /' | head -n 8 >&2 || true
        if [ "$i" -lt "$tries" ]; then sleep $((i * 5)); fi
    done
    return 1
}

if [ "$refresh" = 1 ] || ! lists_fresh; then
    if ! update_lists; then
        if ! lists_fresh && ! find "$A/lists" -maxdepth 1 -name "*_dists_${codename}_main_binary-${ARCH}_Packages*" | grep -q .; then
            die "the $ARCH index of $mirror $codename could not be downloaded at all. Network or
    mirror problem: check $A/update.log, retry later, or set SEALWATCH_APT_MIRROR to another
    Debian mirror."
        fi
        msg="some $ARCH indexes failed to download (often: the $ARCH security index is out of
    sync on the mirror, 'File has unexpected size' / 'Hash Sum mismatch'). The sysroot is built
    from the indexes that did download, so some $ARCH packages may be older than the native
    ones. That is harmless for building and testing (this sysroot is never co-installed with
    the native packages, which is exactly why we do not use multiarch). To get the newest:
    re-run later with --refresh. SEALWATCH_SYSROOT_STRICT=1 makes this an error."
        [ "${SEALWATCH_SYSROOT_STRICT:-0}" = 1 ] && die "$msg"
        warn "$msg"
        degraded=$failed_indexes
    fi
else
    say "private $ARCH package lists are less than a day old; not updating (--refresh forces it)"
fi

# ---- check every package exists for ARCH; compare versions with the native ones ---------------
# One apt-cache call per side (each call re-reads all the lists): "name candidate" lines.
candidates() { awk '/^[^ ].*:$/{p=substr($0,1,length($0)-1)} /^  Candidate:/{print p, $2}'; }
declare -A arch_cand=() native_cand=()
while read -r p v; do arch_cand[$p]=$v; done < <(papt apt-cache policy "${PACKAGES[@]}" 2>/dev/null | candidates)
while read -r p v; do native_cand[$p]=$v; done < <(apt-cache policy "${PACKAGES[@]}" 2>/dev/null | candidates)
missing=(); lagging=()
for p in "${PACKAGES[@]}"; do
    cand=${arch_cand[$p]:-}
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then missing+=("$p"); continue; fi
    native=${native_cand[$p]:-}
    # binNMUs (+bN) legitimately differ between architectures
    if [ -n "$native" ] && [ "$native" != "(none)" ] && [ "${cand%+b[0-9]*}" != "${native%+b[0-9]*}" ]; then
        lagging+=("$p: $ARCH $cand, native $native")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    die "no $ARCH candidate for: ${missing[*]}
    Either the name is wrong for $codename, or the $ARCH index that carries it failed to
    download${failed_indexes:+ (failed: $(echo $failed_indexes))}. Retry with --refresh; see $A/update.log."
fi
if [ "${#lagging[@]}" -gt 0 ]; then
    msg="$ARCH and native package versions differ (one architecture's index lags the other, or
    the host's own lists are older/newer than the sysroot's):
$(printf '      %s\n' "${lagging[@]}")
    A multiarch co-install would fail here; this sysroot is unaffected. 'apt-get update' on the
    host, or '$0 $ARCH --refresh' later, usually brings them together."
    [ "${SEALWATCH_SYSROOT_STRICT:-0}" = 1 ] && die "$msg"
    warn "$msg"
fi

# ---- download the closure ---------------------------------------------------------------------
say "resolving and downloading ${#PACKAGES[@]} packages + dependencies for $ARCH"
dl_ok=0
for ((i = 1; i <= ${SEALWATCH_APT_RETRIES:-3}; i++)); do
    if papt apt-get install -y -q --download-only --no-install-recommends "${PACKAGES[@]}" \
            > "$A/download.log" 2>&1; then dl_ok=1; break; fi
    warn "download failed (try $i):"; grep -E '^(E:|W:|Err:)' "$A/download.log" | head -n 8 | sed 's/^/    /' >&2 || true
    if grep -qE '404|Not Found|Hash Sum mismatch|unexpected size' "$A/download.log"; then
        say "index out of date with the mirror: refreshing the $ARCH lists"; update_lists || true
    fi
    sleep $((i * 5))
done
[ "$dl_ok" = 1 ] || die "could not download the $ARCH packages; see $A/download.log"

# The exact set apt chose (name=version), for the stamp and for reproducing the sysroot.
manifest=$(papt apt-get install -s -q --no-install-recommends "${PACKAGES[@]}" 2>/dev/null \
    | awk '/^Inst /{v=$3; gsub(/[()]/,"",v); print $2"="v}' | sort)

# ---- unpack -----------------------------------------------------------------------------------
say "unpacking into $OUTDIR"
# Remove what a previous build unpacked (keep the private apt dir and its downloaded .debs).
find "$OUTDIR" -mindepth 1 -maxdepth 1 ! -name .apt -exec rm -rf {} +
n=0
while IFS= read -r pv; do
    name=${pv%%=*}; ver=${pv#*=}
    # archive names escape ':' in epochs as %3a
    deb=$(ls "$A/archives/${name}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    [ -n "$deb" ] || deb=$(ls "$A/archives/${name}_"*.deb 2>/dev/null | sort -V | tail -n1 || true)
    [ -n "$deb" ] || die "downloaded archive for $pv not found in $A/archives"
    case " $NO_UNPACK " in *" $name "*) continue ;; esac
    dpkg-deb -x "$deb" "$OUTDIR"
    n=$((n + 1))
done <<< "$manifest"
[ "$n" -gt 0 ] || die "apt selected no packages (see $A/download.log)"

# ---- make absolute symlinks resolve inside the sysroot ---------------------------------------
# e.g. usr/lib/aarch64-linux-gnu/libz.so -> /lib/aarch64-linux-gnu/libz.so.1.2.13,
#      lib/ld-linux-aarch64.so.1 -> /lib/aarch64-linux-gnu/ld-linux-aarch64.so.1
fixed=0
while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    case "$target" in
        /*) rel=$(realpath -ms --relative-to="$(dirname "$link")" "$OUTDIR$target")
            ln -sfn "$rel" "$link"; fixed=$((fixed + 1)) ;;
    esac
done < <(find "$OUTDIR" -path "$A" -prune -o -type l -print0)

# Sanity: the loader and the libraries the agent links must be there and resolve.
case "$ARCH" in arm64) ldso=lib/ld-linux-aarch64.so.1 ;; armhf) ldso=lib/ld-linux-armhf.so.3 ;; esac
for f in "$ldso" "usr/lib/$TRIPLET/libmodbus.so" "usr/lib/$TRIPLET/libmosquitto.so" \
         "usr/lib/$TRIPLET/libsqlite3.so" "usr/lib/$TRIPLET/libpq.so" "usr/lib/$TRIPLET/librabbitmq.so" \
         "usr/lib/$TRIPLET/libgtest.a" \
         "usr/lib/$TRIPLET/pkgconfig/libmodbus.pc" "usr/lib/$TRIPLET/cmake/GTest/GTestConfig.cmake"; do
    [ -e "$OUTDIR/$f" ] || die "sysroot incomplete: $OUTDIR/$f missing or a dangling link"
done
broken=$(find "$OUTDIR" -path "$A" -prune -o -xtype l -print | grep -v '/usr/share/doc/' | head -n 5 || true)
[ -z "$broken" ] || warn "dangling symlinks in the sysroot (first 5):
$broken"

{
    echo "$want_stamp"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "mirror=$mirror security=$secmirror suite=$codename"
    [ -z "$degraded" ] || printf 'degraded: built without these indexes: %s\n' "$(echo $degraded)"
    echo "packages:"
    printf '%s\n' "$manifest"
} > "$stamp"
say "done: $n packages, $fixed symlinks made relative, $(du -sh --exclude=.apt "$OUTDIR" | cut -f1) in $(( $(date +%s) - t0 ))s"
