#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Packaging test: build the dhcpd-rs RPM, lint it, and install it with dnf into throw-away
# install roots, the way an admin would on RHEL 9; scripts/test.sh runs it.
#
#   bash packaging/rpm/test-install.sh
#
# 1. packaging/rpm/build.sh (offline rpmbuild from the vendored tarball; check = unit tests)
# 2. rpmlint (no errors), the glibc floor (RHEL 9's 2.34 at most), License covers the crates,
#    the man pages render without groff warnings
# 3. a local createrepo_c repository with: our RPM, a stand-in for Red Hat's dhcp-server and
#    dhcp-common (packaging/rpm/test/dhcp-standin.spec), and a stub package that Provides the
#    distribution's capabilities (glibc sonames, shadow-utils, systemd): dnf cannot skip
#    dependencies, and the install roots are Debian (mmdebstrap) roots, not RHEL ones.
# 4. fresh install: dnf install dhcpd-rs; rpm -V; the dhcpd user (177); owners and modes;
#    the units (byte-identical to Red Hat's, systemd-analyze verify); the installed binary
#    runs dhcpd -t on the placeholder, on the shipped examples and with the unit's flags.
# 5. replacement: a root with the stand-in dhcp-server, dhcpd.service enabled, an edited
#    dhcpd.conf and sysconfig, a lease, a drop-in; dnf install dhcpd-rs replaces it; the
#    configuration, the lease, the drop-in and the enabled state survive. Control: erasing
#    the stand-in alone does disable the unit; dnf install dhcp-server picks dhcpd-rs.
# 6. upgrade to a release 2 (same files): enabled state, configuration and leases kept;
#    then erase: unit disabled, edited configuration and leases saved as .rpmsave.
#
# Every install root is chrooted into by dnf/rpm only; nothing is started, no network is
# touched. Needs root. The Debian base root is built once with mmdebstrap (about 20 s, from
# the configured Debian mirror) and cached in packaging/rpm/out/cache/.
# Environment: DHCPD_RS_RPM_SKIP_BUILD=1 reuses the RPMs in packaging/rpm/out/;
#              DHCPD_RS_RPM_KEEP=1 keeps the work directory (install roots) for inspection.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
OUT=$ROOT/packaging/rpm/out
CACHE=$OUT/cache
PKG=$ROOT/packaging
start=$SECONDS

say() { printf 'test-install: %s\n' "$*"; }
die() {
    printf 'test-install: ERROR: %s\n' "$*" >&2
    exit 1
}
fails=0
passes=0
pass() {
    passes=$((passes + 1))
    printf '  ok    %s\n' "$1"
}
fail() {
    fails=$((fails + 1))
    printf '  FAIL  %s\n' "$1"
    [ -n "${2:-}" ] && printf '        %s\n' "$2"
    return 0
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$what"; else fail "$what" "$(printf '%s' "$out" | head -n 5 | tr '\n' '|')"; fi
}
# same EXPECTED ACTUAL DESCRIPTION
same() {
    if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "expected '$1', got '$2'"; fi
}

[ "$(id -u)" -eq 0 ] || die "needs root (dnf --installroot, chroot)"
for tool in rpmbuild rpm rpmlint createrepo_c dnf mmdebstrap chroot; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found; run scripts/install-test-deps.sh"
done

# 1. Build.
if [ "${DHCPD_RS_RPM_SKIP_BUILD:-0}" != 1 ]; then
    build_start=$SECONDS
    bash "$PKG/rpm/build.sh" || die "packaging/rpm/build.sh failed"
    say "build took $((SECONDS - build_start))s"
fi
RPM=
SRPM=
for f in "$OUT"/dhcpd-rs-*.rpm; do
    [ -f "$f" ] || continue
    case $f in *.src.rpm) SRPM=$f ;; *) RPM=$f ;; esac
done
if [ -z "$RPM" ] || [ -z "$SRPM" ]; then
    die "no RPMs in $OUT (run packaging/rpm/build.sh)"
fi

# The install roots (about 400 MB) go to /dev/shm when it is a roomy tmpfs that allows
# executing programs: unpacking and deleting them on a busy disk costs more than the test.
work_parent=${TMPDIR:-/tmp}
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
    [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt 1500000 ] 2>/dev/null &&
    ! findmnt -no OPTIONS --target /dev/shm 2>/dev/null | grep -qw noexec; then
    work_parent=/dev/shm
fi
WORK=$(mktemp -d "$work_parent/dhcpd-rs-rpmtest.XXXXXX")
cleanup() {
    if [ "${DHCPD_RS_RPM_KEEP:-0}" = 1 ]; then
        say "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# 2. Static checks.
say "static checks"
mkdir -p "$WORK/lint"
cp "$PKG/rpm/dhcpd-rs.spec" "$OUT"/rpmbuild/SOURCES/*.inc "$WORK/lint/"
lint_out=$(cd "$WORK/lint" && rpmlint -c "$PKG/rpm/rpmlint.toml" -r "$PKG/rpm/dhcpd-rs.rpmlintrc" \
    dhcpd-rs.spec "$RPM" "$SRPM" 2>&1)
lint_rc=$?
printf '%s\n' "$lint_out" | grep -E ': [EW]: |checked;' | sed 's/^/        /'
if [ $lint_rc -eq 0 ] && ! printf '%s\n' "$lint_out" | grep -q ': E: '; then
    pass "rpmlint: no errors"
else
    fail "rpmlint: no errors" "rpmlint exit $lint_rc"
fi

floor=$(cat "$OUT/glibc-floor.txt" 2>/dev/null)
if [ -n "$floor" ] && [ "$(printf '%s\nGLIBC_2.34\n' "$floor" | sort -V | tail -n 1)" = GLIBC_2.34 ]; then
    pass "glibc floor $floor: installable on RHEL 9 (glibc 2.34)"
else
    fail "glibc floor '$floor' is newer than RHEL 9's GLIBC_2.34"
fi
reqs=$(rpm -qp --requires "$RPM")
check "requires the symbol versions it was linked against, nothing newer than objdump says" \
    grep -q "libc.so.6($floor)(64bit)" <<<"$reqs"

# Every licence id of the crates linked in appears in the License tag.
license=$(rpm -qp --qf '%{LICENSE}' "$RPM")
x=$WORK/extract
mkdir -p "$x"
(cd "$x" && rpm2cpio "$RPM" | cpio -idm --quiet)
deps=$x/usr/share/licenses/dhcpd-rs/LICENSE.dependencies
if [ -s "$deps" ]; then
    missing=""
    for id in $(sed 's/^[^ ]* v[^ ]* //' "$deps" | tr '()' '  ' | tr ' ' '\n' | grep -v -e '^$' -e '^AND$' -e '^OR$' -e '^WITH$' | sort -u); do
        grep -qw -- "$id" <<<"$license" || missing="$missing $id"
    done
    same "" "${missing# }" "License tag ($license) covers every crate licence in LICENSE.dependencies"
else
    fail "LICENSE.dependencies is shipped and not empty"
fi
check "cargo-vendor.txt shipped" test -s "$x/usr/share/licenses/dhcpd-rs/cargo-vendor.txt"
check "COPYING shipped" test -s "$x/usr/share/licenses/dhcpd-rs/COPYING"
check "Provides bundled(crate(...)) for the crates linked in" grep -q '^bundled(crate(clap))' \
    <<<"$(rpm -qp --provides "$RPM")"
check "Provides dhcp-server = 12:4.4.3-1000" grep -qx 'dhcp-server = 12:4.4.3-1000' \
    <<<"$(rpm -qp --provides "$RPM")"
check "Obsoletes dhcp-server < 12:4.4.3-1000" grep -qx 'dhcp-server < 12:4.4.3-1000' \
    <<<"$(rpm -qp --obsoletes "$RPM")"

# The man pages render without warnings.
if command -v groff >/dev/null 2>&1; then
    for m in dhcpd.8 dhcpd.conf.5 dhcpd.leases.5; do
        warn=$(groff -man -Tutf8 -ww -z "$PKG/man/$m" 2>&1)
        same "" "$warn" "man page $m renders without groff warnings"
    done
else
    say "groff not found: man pages NOT checked"
fi

# 3. Fixtures and repositories.
say "fixtures"
FTOP=$WORK/fixtures
mkdir -p "$FTOP"/{BUILD,BUILDROOT,RPMS,SRPMS,SOURCES,SPECS}
rpmbuild --define "_topdir $FTOP" --define "pkgdir $PKG" --nodeps --quiet \
    -bb "$PKG/rpm/test/dhcp-standin.spec" >"$WORK/standin.log" 2>&1 ||
    die "building the dhcp-server stand-in failed: $(tail -n 5 "$WORK/standin.log")"
{
    cat <<'EOF'
%global debug_package %{nil}
Name:      base-stub
Version:   1
Release:   1
Summary:   Stands in for the distribution packages the test roots lack
License:   GPL-3.0-or-later
BuildArch: noarch
Provides:  shadow-utils
Provides:  systemd
Provides:  coreutils
Provides:  grep
Provides:  sed
EOF
    rpm -qp --requires "$RPM" | grep -v -e '^rpmlib(' -e '^config(' -e '^shadow-utils$' -e '^systemd$' \
        -e '^coreutils$' -e '^grep$' -e '^sed$' | sort -u | sed 's/^/Provides:  /'
    printf '%%description\nTest stub.\n%%files\n'
} >"$FTOP/SPECS/base-stub.spec"
rpmbuild --define "_topdir $FTOP" --nodeps --quiet -bb "$FTOP/SPECS/base-stub.spec" \
    >>"$WORK/standin.log" 2>&1 || die "building the stub failed: $(tail -n 5 "$WORK/standin.log")"

mkdir -p "$WORK/repo-base" "$WORK/repo-ours"
cp "$FTOP"/RPMS/noarch/*.rpm "$WORK/repo-base/"
cp "$RPM" "$WORK/repo-ours/"
createrepo_c -q "$WORK/repo-base" || die "createrepo_c failed"
createrepo_c -q "$WORK/repo-ours" || die "createrepo_c failed"

# The Debian base root: sh, getent, useradd, systemctl, systemd-analyze.
# (essential + systemd + passwd, without docs: about 130 MB; rebuilt when this name changes)
base_tar=$CACHE/base-bookworm-essential-systemd.tar
if [ ! -s "$base_tar" ]; then
    say "building the Debian base root with mmdebstrap (once; cached in $base_tar)"
    mkdir -p "$CACHE"
    rm -f "$CACHE"/base-*.tar
    mmdebstrap --quiet --variant=essential --include=systemd,passwd \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/info/*' \
        bookworm "$base_tar.partial.tar" ||
        die "mmdebstrap failed (it needs a Debian mirror; see /etc/apt/sources.list*)"
    mv "$base_tar.partial.tar" "$base_tar"
fi

# new_root DIR: a fresh root with a RHEL-like preset (dhcpd units disabled by default).
new_root() {
    mkdir -p "$1"
    tar -C "$1" -xf "$base_tar" || die "cannot unpack $base_tar"
    mkdir -p "$1/etc/systemd/system-preset"
    printf 'disable dhcpd.service\ndisable dhcpd6.service\n' >"$1/etc/systemd/system-preset/00-rhel-like.preset"
}
# dnf_in ROOT REPOS... -- ARGS...
dnf_in() {
    local root=$1 repos=()
    shift
    while [ "$1" != -- ]; do
        repos+=(--repofrompath="$(basename "$1"),$1" --setopt="$(basename "$1").gpgcheck=0")
        shift
    done
    shift
    dnf -y -q --installroot="$root" --releasever=9 --setopt=reposdir=/dev/null \
        --setopt=install_weak_deps=False --setopt=cachedir="$WORK/dnf-cache" --disablerepo='*' \
        "${repos[@]}" "$@"
}
# owner_mode ROOT PATH: owner, group (names as the root knows them) and mode.
owner_mode() { chroot "$1" stat -c '%U:%G %a' "$2" 2>&1; }

# 4. Fresh install.
say "fresh install into a new root"
A=$WORK/root-fresh
new_root "$A"
if dnf_in "$A" "$WORK/repo-base" "$WORK/repo-ours" -- install base-stub dhcpd-rs >"$WORK/dnf-fresh.log" 2>&1; then
    pass "dnf install dhcpd-rs"
else
    fail "dnf install dhcpd-rs" "$(tail -n 5 "$WORK/dnf-fresh.log" | tr '\n' '|')"
fi
check "rpm -V dhcpd-rs: files as packaged" rpm --root "$A" -V dhcpd-rs
same "dhcpd:x:177:177:DHCP server:/:/sbin/nologin" "$(grep '^dhcpd:' "$A/etc/passwd")" "user dhcpd, UID 177"
same "dhcpd:x:177:" "$(grep '^dhcpd:' "$A/etc/group")" "group dhcpd, GID 177"
same "root:root 755" "$(owner_mode "$A" "/usr/sbin/dhcpd")" "/usr/sbin/dhcpd root:root 0755"
same "root:root 750" "$(owner_mode "$A" "/etc/dhcp")" "/etc/dhcp root:root 0750"
same "root:root 644" "$(owner_mode "$A" "/etc/dhcp/dhcpd.conf")" "/etc/dhcp/dhcpd.conf root:root 0644"
same "dhcpd:dhcpd 755" "$(owner_mode "$A" "/var/lib/dhcpd")" "/var/lib/dhcpd dhcpd:dhcpd 0755"
for f in dhcpd.leases dhcpd6.leases; do
    same "dhcpd:dhcpd 644 0" "$(chroot "$A" stat -c '%U:%G %a %s' "/var/lib/dhcpd/$f" 2>&1)" "/var/lib/dhcpd/$f empty, dhcpd:dhcpd 0644"
done
for u in dhcpd.service dhcpd6.service; do
    check "$u identical to packaging/systemd/$u" cmp "$PKG/systemd/$u" "$A/usr/lib/systemd/system/$u"
done
# shellcheck disable=SC2016  # a literal $DHCPDARGS
check "ExecStart is Red Hat's" grep -qx 'ExecStart=/usr/sbin/dhcpd -f -cf /etc/dhcp/dhcpd.conf -user dhcpd -group dhcpd --no-pid $DHCPDARGS' \
    "$A/usr/lib/systemd/system/dhcpd.service"
check "/etc/dhcp/dhcpd.conf is the placeholder" cmp "$PKG/config/dhcpd.conf" "$A/etc/dhcp/dhcpd.conf"
check "/etc/sysconfig/dhcpd is the placeholder" cmp "$PKG/config/sysconfig-dhcpd" "$A/etc/sysconfig/dhcpd"
check "sysusers.d/dhcp.conf installed" cmp "$PKG/systemd/dhcpd.sysusers" "$A/usr/lib/sysusers.d/dhcp.conf"
for m in man8/dhcpd.8 man5/dhcpd.conf.5 man5/dhcpd.leases.5; do
    check "man page $m" test -s "$A/usr/share/man/$m.gz"
done
check "docs: compatibility.md" test -s "$A/usr/share/doc/dhcpd-rs/compatibility.md"
same "disabled" "$(systemctl --root="$A" is-enabled dhcpd.service 2>&1)" "fresh install: dhcpd.service follows the preset (disabled)"
check "no rpm-state left behind" test ! -e "$A/var/lib/rpm-state/dhcpd-rs"
if [ -x "$A/usr/bin/systemd-analyze" ]; then
    check "systemd-analyze verify dhcpd.service" chroot "$A" systemd-analyze verify --man=no /usr/lib/systemd/system/dhcpd.service
    check "systemd-analyze verify dhcpd6.service" chroot "$A" systemd-analyze verify --man=no /usr/lib/systemd/system/dhcpd6.service
else
    say "systemd-analyze not in the root: unit verification NOT run"
fi
check "installed dhcpd --version is dhcpd-rs" grep -q dhcpd-rs <<<"$(chroot "$A" /usr/sbin/dhcpd --version 2>&1)"
check "installed dhcpd -t accepts the placeholder /etc/dhcp/dhcpd.conf (default path)" chroot "$A" /usr/sbin/dhcpd -t -q
check "installed dhcpd -t with the unit's flags" chroot "$A" /usr/sbin/dhcpd -t -f -cf /etc/dhcp/dhcpd.conf -user dhcpd -group dhcpd --no-pid
mkdir -p "$A/tmp/examples"
for f in "$ROOT"/examples/*.conf; do
    b=$(basename "$f")
    cp "$f" "$A/tmp/examples/$b"
    if [ -n "${ISC_DHCPD:-}" ] && ! "$ISC_DHCPD" -t -q -cf "$f" >/dev/null 2>&1; then
        fail "examples/$b: ISC dhcpd rejects it, so it cannot be a shipped example"
        continue
    fi
    check "installed dhcpd -t accepts examples/$b" chroot "$A" /usr/sbin/dhcpd -t -q -cf "/tmp/examples/$b"
done
# The negative case: a configuration that cannot be read must fail the check (exit 1).
if chroot "$A" /usr/sbin/dhcpd -t -q -cf /etc/dhcp/no-such.conf >/dev/null 2>&1; then
    fail "installed dhcpd -t fails on a missing configuration file"
else
    pass "installed dhcpd -t fails on a missing configuration file"
fi

# 5. Replacement of dhcp-server.
say "replacing the dhcp-server stand-in"
B=$WORK/root-replace
new_root "$B"
if dnf_in "$B" "$WORK/repo-base" -- install base-stub dhcp-server >"$WORK/dnf-standin.log" 2>&1; then
    pass "dnf install dhcp-server (stand-in)"
else
    fail "dnf install dhcp-server (stand-in)" "$(tail -n 5 "$WORK/dnf-standin.log" | tr '\n' '|')"
fi
# The admin's changes.
cp "$ROOT/examples/basic.conf" "$B/etc/dhcp/dhcpd.conf"
echo 'DHCPDARGS="eth1"' >>"$B/etc/sysconfig/dhcpd"
cat >>"$B/var/lib/dhcpd/dhcpd.leases" <<'EOF'
authoring-byte-order little-endian;

lease 198.51.100.150 {
  starts 4 2026/11/26 10:00:00;
  ends 4 2026/11/26 11:00:00;
  cltt 4 2026/11/26 10:00:00;
  binding state active;
  next binding state free;
  hardware ethernet 00:00:5e:00:53:01;
}
EOF
mkdir -p "$B/etc/systemd/system/dhcpd.service.d"
printf '[Service]\nEnvironment=ADMIN=1\n' >"$B/etc/systemd/system/dhcpd.service.d/override.conf"
systemctl --root="$B" enable dhcpd.service >/dev/null 2>&1
same "enabled" "$(systemctl --root="$B" is-enabled dhcpd.service 2>&1)" "before: the admin enabled dhcpd.service"
conf_before=$(sha256sum <"$B/etc/dhcp/dhcpd.conf")
sysconfig_before=$(sha256sum <"$B/etc/sysconfig/dhcpd")
leases_before=$(sha256sum <"$B/var/lib/dhcpd/dhcpd.leases")

if dnf_in "$B" "$WORK/repo-base" "$WORK/repo-ours" -- install dhcpd-rs >"$WORK/dnf-replace.log" 2>&1; then
    pass "dnf install dhcpd-rs over dhcp-server"
else
    fail "dnf install dhcpd-rs over dhcp-server" "$(tail -n 5 "$WORK/dnf-replace.log" | tr '\n' '|')"
fi
check "dhcpd-rs installed" rpm --root "$B" -q dhcpd-rs
if rpm --root "$B" -q dhcp-server >/dev/null 2>&1; then
    fail "dhcp-server removed (obsoleted)"
else
    pass "dhcp-server removed (obsoleted)"
fi
check "dhcp-common left alone" rpm --root "$B" -q dhcp-common
check "rpm -V --noconfig dhcpd-rs" rpm --root "$B" -V --noconfig dhcpd-rs
same "$conf_before" "$(sha256sum <"$B/etc/dhcp/dhcpd.conf")" "the admin's dhcpd.conf kept"
same "$sysconfig_before" "$(sha256sum <"$B/etc/sysconfig/dhcpd")" "the admin's /etc/sysconfig/dhcpd kept"
same "$leases_before" "$(sha256sum <"$B/var/lib/dhcpd/dhcpd.leases")" "the lease file kept"
same "dhcpd:dhcpd 644" "$(owner_mode "$B" "/var/lib/dhcpd/dhcpd.leases")" "lease file still dhcpd:dhcpd 0644"
same "dhcpd:dhcpd 755" "$(owner_mode "$B" "/var/lib/dhcpd")" "/var/lib/dhcpd still dhcpd:dhcpd 0755"
same "" "$(find "$B/etc" "$B/var/lib/dhcpd" -name '*.rpmnew' -o -name '*.rpmsave' 2>/dev/null)" "no .rpmnew or .rpmsave files"
same "dhcpd:x:177:177:DHCP server:/:/sbin/nologin" "$(grep '^dhcpd:' "$B/etc/passwd")" "user dhcpd unchanged"
check "the admin's drop-in kept" test -s "$B/etc/systemd/system/dhcpd.service.d/override.conf"
same "enabled" "$(systemctl --root="$B" is-enabled dhcpd.service 2>&1)" "after: dhcpd.service still enabled"
check "after: the multi-user.target.wants link exists" test -L "$B/etc/systemd/system/multi-user.target.wants/dhcpd.service"
same "disabled" "$(systemctl --root="$B" is-enabled dhcpd6.service 2>&1)" "after: dhcpd6.service still disabled"
check "no rpm-state left behind" test ! -e "$B/var/lib/rpm-state/dhcpd-rs"
check "omshell (not shipped by dhcpd-rs) is gone" test ! -e "$B/usr/bin/omshell"
check "/usr/sbin/dhcpd is dhcpd-rs" grep -q dhcpd-rs <<<"$(chroot "$B" /usr/sbin/dhcpd --version 2>&1)"
check "installed dhcpd -t accepts the kept configuration" chroot "$B" /usr/sbin/dhcpd -t -q

# 6. Upgrade of our own package (release 1 -> 2) on the replaced root, then erase.
say "upgrading dhcpd-rs to a next release, then erasing it"
UTOP=$WORK/upgrade
mkdir -p "$UTOP"/{BUILDROOT,RPMS,SRPMS,SPECS} "$WORK/repo-ours2"
sed 's/^Release:.*/Release:        2%{?dist}/' "$PKG/rpm/dhcpd-rs.spec" >"$UTOP/SPECS/dhcpd-rs.spec"
# Same sources, build directory and cargo target directory as build.sh: nothing recompiles.
target=${DHCPD_RS_RPM_TARGET:-${CARGO_TARGET_DIR:-$ROOT/target}/rpmbuild}
[ "${target#/}" = "$target" ] && target=$ROOT/$target
up_args=(--define "_topdir $UTOP" --define "_sourcedir $OUT/rpmbuild/SOURCES"
    --define "_builddir $OUT/rpmbuild/BUILD" --define "cargo_target_dir $target" --without check --nodeps)
[ -n "${DHCPD_RS_RPM_DIST:-}" ] && up_args+=(--define "dist $DHCPD_RS_RPM_DIST")
if rpmbuild "${up_args[@]}" -bb "$UTOP/SPECS/dhcpd-rs.spec" >"$WORK/upgrade-build.log" 2>&1; then
    cp "$UTOP"/RPMS/*/dhcpd-rs-*.rpm "$WORK/repo-ours2/"
    createrepo_c -q "$WORK/repo-ours2" || die "createrepo_c failed"
    if dnf_in "$B" "$WORK/repo-base" "$WORK/repo-ours2" -- upgrade dhcpd-rs >"$WORK/dnf-upgrade.log" 2>&1; then
        pass "dnf upgrade dhcpd-rs (release 2)"
    else
        fail "dnf upgrade dhcpd-rs (release 2)" "$(tail -n 5 "$WORK/dnf-upgrade.log" | tr '\n' '|')"
    fi
    same "2" "$(rpm --root "$B" -q --qf '%{RELEASE}' dhcpd-rs | cut -c1)" "release 2 installed"
    same "enabled" "$(systemctl --root="$B" is-enabled dhcpd.service 2>&1)" "upgrade: dhcpd.service still enabled"
    same "$conf_before" "$(sha256sum <"$B/etc/dhcp/dhcpd.conf")" "upgrade: the admin's dhcpd.conf kept"
    same "$leases_before" "$(sha256sum <"$B/var/lib/dhcpd/dhcpd.leases")" "upgrade: the lease file kept"
    same "" "$(find "$B/etc" "$B/var/lib/dhcpd" -name '*.rpmnew' -o -name '*.rpmsave' 2>/dev/null)" "upgrade: no .rpmnew or .rpmsave files"
    check "upgrade: rpm -V --noconfig dhcpd-rs" rpm --root "$B" -V --noconfig dhcpd-rs
else
    fail "rpmbuild of release 2" "$(tail -n 5 "$WORK/upgrade-build.log" | tr '\n' '|')"
fi
if dnf_in "$B" "$WORK/repo-base" -- remove dhcpd-rs >"$WORK/dnf-remove.log" 2>&1; then
    pass "dnf remove dhcpd-rs"
else
    fail "dnf remove dhcpd-rs" "$(tail -n 5 "$WORK/dnf-remove.log" | tr '\n' '|')"
fi
check "erase: dhcpd.service disabled (link removed)" test ! -L "$B/etc/systemd/system/multi-user.target.wants/dhcpd.service"
check "erase: /usr/sbin/dhcpd removed" test ! -e "$B/usr/sbin/dhcpd"
same "$conf_before" "$(sha256sum <"$B/etc/dhcp/dhcpd.conf.rpmsave" 2>&1)" "erase: the admin's dhcpd.conf saved as .rpmsave"
same "$leases_before" "$(sha256sum <"$B/var/lib/dhcpd/dhcpd.leases.rpmsave" 2>&1)" "erase: the lease file saved as .rpmsave (as with dhcp-server)"
check "erase: user dhcpd stays" grep -q '^dhcpd:x:177:177:' "$B/etc/passwd"

# Control, so that "still enabled" above means something: erasing the stand-in disables
# the unit (its preun), and "dnf install dhcp-server" then resolves to dhcpd-rs.
say "control: erase the stand-in, then dnf install dhcp-server"
C=$WORK/root-control
new_root "$C"
if dnf_in "$C" "$WORK/repo-base" -- install base-stub dhcp-server >"$WORK/dnf-control.log" 2>&1 &&
    systemctl --root="$C" enable dhcpd.service >/dev/null 2>&1 &&
    test -L "$C/etc/systemd/system/multi-user.target.wants/dhcpd.service" &&
    dnf_in "$C" "$WORK/repo-base" -- remove dhcp-server >>"$WORK/dnf-control.log" 2>&1; then
    pass "control: install, enable and erase the stand-in"
else
    fail "control: install, enable and erase the stand-in" "$(tail -n 5 "$WORK/dnf-control.log" | tr '\n' '|')"
fi
check "control: erasing dhcp-server alone disables dhcpd.service (link removed)" \
    test ! -L "$C/etc/systemd/system/multi-user.target.wants/dhcpd.service"
if dnf_in "$C" "$WORK/repo-base" "$WORK/repo-ours" -- install dhcp-server >>"$WORK/dnf-control.log" 2>&1; then
    pass "dnf install dhcp-server (both in the repositories)"
else
    fail "dnf install dhcp-server (both in the repositories)" "$(tail -n 5 "$WORK/dnf-control.log" | tr '\n' '|')"
fi
check "dnf install dhcp-server installed dhcpd-rs" rpm --root "$C" -q dhcpd-rs

say "$passes passed, $fails failed ($((SECONDS - start))s in all)"
[ "$fails" -eq 0 ]
