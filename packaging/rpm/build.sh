#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Build the dhcpd-rs RPM (binary + source) from this checkout, on Debian/Ubuntu or on a
# RHEL-like machine:
#
#   bash packaging/rpm/build.sh
#
# Leaves in packaging/rpm/out/ (gitignored):
#   dhcpd-rs-VERSION-RELEASE.ARCH.rpm, dhcpd-rs-VERSION-RELEASE.src.rpm
#   glibc-floor.txt      the newest GLIBC_x.y symbol version the binary needs
# and keeps, to make the next run faster:
#   out/cache/vendor-<Cargo.lock digest>.tar.gz   the cargo-vendored crates
#   target/rpmbuild/     cargo's target directory for the build inside rpmbuild
#
# Steps: the source tarball (every file git knows of or would add: tracked and untracked but
# not ignored, as they are in the working tree), the vendor tarball (cargo vendor; needs
# crates.io or a filled cargo cache the first time), the bundled-crate Provides, then
# rpmbuild -ba with no network at all (unshare -n) when possible.
#
# Needs: rpmbuild, cargo, git, tar, objdump (scripts/install-test-deps.sh installs them).
# Environment:
#   DHCPD_RS_RPM_DIST    value of the dist tag, e.g. .el9 (default: none)
#   DHCPD_RS_RPM_CHECK   0 to skip the unit tests in the spec's check section (default 1)
#   DHCPD_RS_RPM_TARGET  cargo target directory for the build (default
#                        ${CARGO_TARGET_DIR:-target}/rpmbuild)
set -euo pipefail

say() { printf 'build.sh: %s\n' "$*"; }
die() {
    printf 'build.sh: ERROR: %s\n' "$*" >&2
    exit 1
}

start=$SECONDS
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT"
if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-${HOME:-}/.cargo}/bin/cargo" ]; then
    export PATH="${CARGO_HOME:-${HOME:-}/.cargo}/bin:$PATH"
fi
for tool in rpmbuild rpm cargo git tar objdump rpm2cpio cpio sha256sum; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool not found; run scripts/install-test-deps.sh (Debian: apt-get install rpm binutils cpio)"
done

SPEC=packaging/rpm/dhcpd-rs.spec
NAME=dhcpd-rs
OUT=$ROOT/packaging/rpm/out
TOP=$OUT/rpmbuild
CACHE=$OUT/cache
TARGET=${DHCPD_RS_RPM_TARGET:-${CARGO_TARGET_DIR:-$ROOT/target}/rpmbuild}
[ "${TARGET#/}" = "$TARGET" ] && TARGET=$ROOT/$TARGET

# One version, in Cargo.toml and in the spec.
cargo_version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
spec_version=$(sed -n 's/^Version: *//p' "$SPEC")
[ -n "$cargo_version" ] || die "no version in [workspace.package] of Cargo.toml"
[ "$cargo_version" = "$spec_version" ] ||
    die "Cargo.toml says version $cargo_version but $SPEC says $spec_version: make them agree"
VER=$spec_version

rm -rf "$TOP"
mkdir -p "$TOP"/{SOURCES,SPECS,BUILD,BUILDROOT,RPMS,SRPMS} "$CACHE" "$TARGET"
rm -f "$OUT"/*.rpm "$OUT"/glibc-floor.txt

# 1. Sources, as in the working tree. Keeping the files' times lets cargo reuse TARGET.
say "source tarball"
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
    LC_ALL=C sort -z >"$TOP/files.list"
tar --null -T "$TOP/files.list" --transform "s,^,$NAME-$VER/," --owner=0 --group=0 \
    -czf "$TOP/SOURCES/$NAME-$VER.tar.gz"

# 2. Vendored crates, cached by the digest of Cargo.lock.
lock_sum=$(sha256sum Cargo.lock | cut -c1-16)
vendor_cache=$CACHE/vendor-$lock_sum.tar.gz
if [ ! -s "$vendor_cache" ]; then
    say "cargo vendor (Cargo.lock changed or first run)"
    work=$(mktemp -d "$CACHE/vendor.XXXXXX")
    cargo vendor --quiet --locked --versioned-dirs "$work/vendor" >/dev/null ||
        die "cargo vendor failed (it needs crates.io, or the crates in the local cargo cache)"
    tar -C "$work" --owner=0 --group=0 -czf "$vendor_cache.partial" vendor
    mv "$vendor_cache.partial" "$vendor_cache"
    rm -rf "$work"
    for old in "$CACHE"/vendor-*.tar.gz; do
        [ "$old" = "$vendor_cache" ] || rm -f "$old"
    done
fi
cp "$vendor_cache" "$TOP/SOURCES/$NAME-$VER-vendor.tar.gz"
cp packaging/systemd/dhcpd.sysusers "$TOP/SOURCES/"

# 3. Provides: bundled(crate(...)) for each crate linked into the binary.
say "bundled crates"
cargo tree --locked --package dhcpd --edges no-build,no-dev,no-proc-macro --prefix none --format '{p}' |
    grep -v -e '^$' -e '(\*)$' -e ' (/' | sort -u |
    awk '{ v = $2; sub(/^v/, "", v); printf "Provides:       bundled(crate(%s)) = %s\n", $1, v }' \
        >"$TOP/SOURCES/$NAME-$VER-bundled.inc"
[ -s "$TOP/SOURCES/$NAME-$VER-bundled.inc" ] || die "cargo tree listed no crates"

# 4. rpmbuild, offline. Debian's rpm database knows no BuildRequires, and a rustup
# toolchain is no RPM either: then --nodeps.
cp "$SPEC" "$TOP/SPECS/"
args=(--define "_topdir $TOP" --define "cargo_target_dir $TARGET")
[ -n "${DHCPD_RS_RPM_DIST:-}" ] && args+=(--define "dist $DHCPD_RS_RPM_DIST")
[ "${DHCPD_RS_RPM_CHECK:-1}" = 0 ] && args+=(--without check)
rpm -q --whatprovides cargo >/dev/null 2>&1 || args+=(--nodeps)
offline=(unshare -n)
if ! unshare -n true 2>/dev/null; then
    say "WARNING: unshare -n is not permitted here: building with the network present (cargo still runs --offline)"
    offline=()
fi
say "rpmbuild -ba (cargo target directory $TARGET)"
rpm_start=$SECONDS
"${offline[@]}" rpmbuild "${args[@]}" -ba "$TOP/SPECS/dhcpd-rs.spec" >"$TOP/rpmbuild.log" 2>&1 || {
    tail -n 40 "$TOP/rpmbuild.log" >&2
    die "rpmbuild failed (full log: $TOP/rpmbuild.log)"
}
rpm_secs=$((SECONDS - rpm_start))
grep -E '^test result:' "$TOP/rpmbuild.log" | sed 's/^/build.sh: check: /' || true

cp "$TOP"/RPMS/*/*.rpm "$TOP"/SRPMS/*.rpm "$OUT/"

# 5. The glibc floor: the newest symbol version the installed binary needs.
bin_rpm=
for f in "$OUT/$NAME-$VER"-*.rpm; do
    case $f in *.src.rpm) ;; *) bin_rpm=$f ;; esac
done
[ -n "$bin_rpm" ] || die "rpmbuild left no binary RPM"
x=$(mktemp -d)
(cd "$x" && rpm2cpio "$bin_rpm" | cpio -id --quiet ./usr/sbin/dhcpd)
floor=$(objdump -T "$x/usr/sbin/dhcpd" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV | tail -n 1)
rm -rf "$x"
echo "$floor" >"$OUT/glibc-floor.txt"

say "done in $((SECONDS - start))s (rpmbuild ${rpm_secs}s):"
for f in "$OUT"/*.rpm; do printf '  %s (%s bytes)\n' "$f" "$(stat -c %s "$f")"; done
say "glibc floor: $floor (RHEL 9 has 2.34, RHEL 8 has 2.28)"
