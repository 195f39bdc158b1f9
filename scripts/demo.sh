#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The dhcpd-rs demo. Works from any directory:
#
#   bash scripts/demo.sh
#
# It builds the release binary, checks every example configuration in examples/ with
# `dhcpd -t -cf FILE` (ISC dhcpd's verdict beside ours when ISC is installed), then runs the
# server for real: in a throwaway network-namespace lab (198.51.100.0/24 only; the machine's
# own network is never touched) our dhcpd serves examples/basic.conf and a real dhclient gets
# a lease, with the server's log shown as it happens and the lease file at the end.
# Needs root (for the namespaces); it first runs scripts/install-test-deps.sh, which installs
# dhclient, ethtool and ISC dhcpd (for the comparison) when they are missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-${HOME:-}/.cargo}/bin/cargo" ]; then
    export PATH="${CARGO_HOME:-${HOME:-}/.cargo}/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || {
    echo "demo.sh: cargo not found: install a Rust toolchain (1.85 or newer) first" >&2
    exit 1
}

echo "==> installing what the demo needs (scripts/install-test-deps.sh; quick when present)"
bash "$ROOT/scripts/install-test-deps.sh"

echo "==> building dhcpd (cargo build --release)"
cargo build --release
target_dir=${CARGO_TARGET_DIR:-target}
dhcpd="$target_dir/release/dhcpd"
[ -x "$dhcpd" ] || {
    echo "demo.sh: the build did not produce $dhcpd" >&2
    exit 1
}

isc=""
[ -x /usr/sbin/dhcpd ] && isc=/usr/sbin/dhcpd

verdict() { # rc
    if [ "$1" -eq 0 ]; then echo "valid"; else echo "REJECTED (exit $1)"; fi
}

shopt -s nullglob
examples=(examples/*.conf)
[ ${#examples[@]} -gt 0 ] || {
    echo "demo.sh: no examples/*.conf found" >&2
    exit 1
}

problems=0
for conf in "${examples[@]}"; do
    echo
    echo "==> $dhcpd -t -cf $conf"
    rc=0
    out=$("$dhcpd" -t -cf "$conf" 2>&1) || rc=$?
    ours=$(verdict "$rc")
    [ "$rc" -eq 0 ] || problems=$((problems + 1))
    if [ "$rc" -ne 0 ]; then
        printf '%s\n' "$out" | sed 's/^/    /'
    fi
    printf '    dhcpd-rs : %s\n' "$ours"
    if [ -n "$isc" ]; then
        isc_rc=0
        "$isc" -4 -t -cf "$conf" >/dev/null 2>&1 || isc_rc=$?
        theirs=$(verdict "$isc_rc")
        printf '    ISC dhcpd: %s\n' "$theirs"
        if [ "$ours" != "$theirs" ]; then
            echo "    ** dhcpd-rs and ISC dhcpd disagree on $conf"
            problems=$((problems + 1))
        fi
    fi
done

echo
if [ -z "$isc" ]; then
    echo "(ISC dhcpd is not installed here, so no comparison was made; bash scripts/install-test-deps.sh installs it)"
fi
if [ "$problems" -ne 0 ]; then
    echo "demo: $problems problem(s) found"
    exit 1
fi
echo "demo: all ${#examples[@]} example configurations are valid"

echo
echo "==> serving for real: our dhcpd and a real dhclient in a network-namespace lab"
for tool in ip ethtool dhclient; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "demo.sh: $tool is missing; run: bash scripts/install-test-deps.sh" >&2
        exit 1
    }
done
[ "$(id -u)" = 0 ] || {
    echo "demo.sh: the live part needs root (it creates network namespaces)" >&2
    exit 1
}
cargo run --release -q -p dhcpd-testlab --example demo -- "$dhcpd" examples/basic.conf
