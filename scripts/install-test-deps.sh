#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Install everything the dhcpd-rs tests need, on Debian/Ubuntu (apt-get) or on a
# RHEL-like system (dnf). Idempotent: when everything is already present it only
# checks and returns within a second or two.
#
#   bash scripts/install-test-deps.sh
#
# What it installs:
#   needed   : isc-dhcp-server (the oracle: ISC dhcpd 4.4), isc-dhcp-client, iproute2,
#              isc-dhcp-relay, udhcpc, dhcpcd-base, tshark, time (/usr/bin/time) and python3 (benchmark scripts),
#              dhcpd-pools (lease-file consumer checked by tests/tests/leases_consumers.rs;
#              dhcp-lease-list and omshell come with isc-dhcp-server);
#              bind9 and bind9-dnsutils (named, dig: the DNS server of tests/tests/ddns.rs);
#              for packaging/rpm/test-install.sh: rpm, rpmlint, createrepo-c, dnf, mmdebstrap,
#              binutils (objdump), cpio (RHEL-like: rpm-build, rpmlint, createrepo_c, ...)
#   optional : kea-admin (perfdhcp) and kea-dhcp4-server (Kea 2.2, compared in scripts/bench-serve.sh)
# It also checks (never installs) the Rust toolchain: cargo, rustfmt, clippy.
#
# Exit status: 0 when every needed piece is there; 1 with the missing package named otherwise.
# On a RHEL-like system without an ISC dhcpd package the oracle is reported missing in plain
# words and the script still succeeds: scripts/test.sh then reports that the oracle tests did
# NOT run (it looks for /usr/sbin/dhcpd itself).
#
# Services: package installs must never start a DHCP server or relay on this machine's own
# network. On Debian a policy-rc.d that refuses every service start is put in place for the
# duration of the install (and removed again if this script created it).
set -euo pipefail

say() { printf 'install-test-deps: %s\n' "$*"; }
die() {
    printf 'install-test-deps: ERROR: %s\n' "$*" >&2
    exit 1
}

# Root, or sudo without a password prompt (CI has no standard input).
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        SUDO=(__not_root__)
    fi
fi
as_root() {
    if [ "${SUDO[0]:-}" = "__not_root__" ]; then
        die "need root (or password-less sudo) to run: $*"
    fi
    "${SUDO[@]}" "$@"
}

# ---------------------------------------------------------------------------------------------
# Rust toolchain: checked, not installed (rustup cannot download anything here).
# ---------------------------------------------------------------------------------------------
check_rust() {
    if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-${HOME:-}/.cargo}/bin/cargo" ]; then
        PATH="${CARGO_HOME:-${HOME:-}/.cargo}/bin:$PATH"
        export PATH
    fi
    command -v cargo >/dev/null 2>&1 ||
        die "cargo not found (not on PATH, not in ${CARGO_HOME:-${HOME:-}/.cargo}/bin). Install a Rust toolchain (1.85 or newer) with rustfmt and clippy."
    cargo fmt --version >/dev/null 2>&1 ||
        die "rustfmt is missing from the Rust toolchain (rustup component add rustfmt)"
    cargo clippy --version >/dev/null 2>&1 ||
        die "clippy is missing from the Rust toolchain (rustup component add clippy)"
    say "rust: $(cargo --version)"
}

# ---------------------------------------------------------------------------------------------
# Debian / Ubuntu
# ---------------------------------------------------------------------------------------------
DEB_NEEDED=(isc-dhcp-server isc-dhcp-client iproute2 isc-dhcp-relay udhcpc dhcpcd-base tshark ethtool iputils-ping time python3 dhcpd-pools bind9 bind9-dnsutils)
# The RPM build and install test (packaging/rpm/).
DEB_NEEDED+=(rpm rpmlint createrepo-c dnf mmdebstrap binutils cpio)
DEB_OPTIONAL=(kea-admin kea-dhcp4-server)

deb_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]
}

POLICY_RC=/usr/sbin/policy-rc.d
created_policy=0
remove_policy() {
    if [ "$created_policy" -eq 1 ]; then
        as_root rm -f "$POLICY_RC"
        created_policy=0
    fi
}

install_debian() {
    local missing=() optional_missing=() p
    for p in "${DEB_NEEDED[@]}"; do deb_installed "$p" || missing+=("$p"); done
    for p in "${DEB_OPTIONAL[@]}"; do deb_installed "$p" || optional_missing+=("$p"); done

    if [ ${#missing[@]} -eq 0 ] && [ ${#optional_missing[@]} -eq 0 ]; then
        say "all Debian packages already installed"
        return 0
    fi

    export DEBIAN_FRONTEND=noninteractive
    # tshark's wireshark-common asks whether non-root users may capture: answer no, silently.
    echo 'wireshark-common wireshark-common/install-setuid boolean false' |
        as_root debconf-set-selections

    # Never let a package start isc-dhcp-server / isc-dhcp-relay in the root namespace.
    if [ ! -e "$POLICY_RC" ]; then
        printf '#!/bin/sh\n# temporary, from dhcpd-rs scripts/install-test-deps.sh\nexit 101\n' |
            as_root tee "$POLICY_RC" >/dev/null
        as_root chmod 0755 "$POLICY_RC"
        created_policy=1
        trap remove_policy EXIT
    fi

    say "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed"

    local apt_opts=(-y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    local log
    log=$(mktemp "${TMPDIR:-/tmp}/install-test-deps.XXXXXX")
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing: ${missing[*]} (apt output in $log)"
        if ! as_root apt-get install "${apt_opts[@]}" "${missing[@]}" </dev/null >"$log" 2>&1; then
            tail -n 20 "$log" >&2
            # Install one by one to name the package that apt cannot provide.
            for p in "${missing[@]}"; do
                as_root apt-get install "${apt_opts[@]}" "$p" </dev/null >>"$log" 2>&1 ||
                    die "apt-get cannot install the needed package '$p' (see $log)"
            done
        fi
    fi
    for p in "${optional_missing[@]}"; do
        if as_root apt-get install "${apt_opts[@]}" "$p" </dev/null >>"$log" 2>&1; then
            say "installed optional package $p"
        else
            say "WARNING: optional package '$p' is not available; tests that need it will report they did not run"
        fi
    done

    for p in "${DEB_NEEDED[@]}"; do
        deb_installed "$p" || die "package '$p' is still not installed after apt-get install (see $log)"
    done
    rm -f "$log"
    remove_policy
}

# ---------------------------------------------------------------------------------------------
# RHEL-like (RHEL, Rocky, Alma, Fedora, CentOS Stream)
# ---------------------------------------------------------------------------------------------
install_rhel() {
    have_pkg() { rpm -q "$1" >/dev/null 2>&1; }

    # Needed: only what exists on every RHEL-like release (rpm-build ... for packaging/rpm/).
    local needed=(iproute ethtool iputils time python3 rpm-build createrepo_c binutils cpio bind bind-utils)
    # ISC packages: RHEL 8/9 and Fedora ship them as dhcp-*, RHEL 10 dropped them.
    local isc=(dhcp-server dhcp-client dhcp-relay)
    # Cheap extras; most come from EPEL or Fedora.
    local optional=(wireshark-cli dhcpcd busybox kea rpmlint mmdebstrap)

    local p missing=()
    for p in "${needed[@]}"; do have_pkg "$p" || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing: ${missing[*]}"
        as_root dnf install -y -q "${missing[@]}" </dev/null ||
            die "dnf cannot install the needed package(s): ${missing[*]}"
    fi
    for p in "${isc[@]}" "${optional[@]}"; do
        have_pkg "$p" && continue
        if as_root dnf install -y -q "$p" </dev/null >/dev/null 2>&1; then
            say "installed $p"
        elif [ "$p" = dhcp-server ]; then
            say "WARNING: no ISC DHCP server package (dhcp-server) exists for this system."
            say "WARNING: the oracle (ISC dhcpd) is NOT available: tests that compare with ISC will NOT run,"
            say "WARNING: and scripts/test.sh will say so in its summary."
        else
            say "WARNING: package '$p' is not available here; tests that need it will report they did not run"
        fi
    done
    # The ISC dhcpd unit is enabled by nothing here; make sure no install started it.
    if command -v systemctl >/dev/null 2>&1; then
        as_root systemctl stop dhcpd.service dhcrelay.service named.service >/dev/null 2>&1 || true
    fi
}

# ---------------------------------------------------------------------------------------------
check_rust

if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
    install_debian
elif command -v dnf >/dev/null 2>&1; then
    install_rhel
else
    die "neither apt-get nor dnf found: install by hand isc-dhcp-server, isc-dhcp-client, iproute2, isc-dhcp-relay, udhcpc, dhcpcd, tshark"
fi

# Final report: what the tests will find.
report() {
    local name=$1 path
    if path=$(command -v "$name" 2>/dev/null) || { [ -x "/usr/sbin/$name" ] && path=/usr/sbin/$name; }; then
        say "found $name: $path"
    else
        say "not found: $name"
    fi
}
for tool in dhcpd dhclient dhcrelay udhcpc dhcpcd tshark perfdhcp ip named dig; do report "$tool"; done
if [ -x /usr/sbin/dhcpd ]; then
    say "oracle: $(/usr/sbin/dhcpd --version 2>&1 | head -n 1)"
else
    say "oracle: ISC dhcpd NOT available (/usr/sbin/dhcpd missing): oracle tests will NOT run"
fi
