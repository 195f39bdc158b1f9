#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Times `dhcpd -4 -t -cf FILE` on a large configuration, ours (release build) against ISC's:
#
#   bash scripts/bench-conf.sh [RUNS]
#
# The configuration (1,000 subnets, 100,000 host declarations, 1,000 classes; 10.0.0.0/8) is
# written by tests/examples/bench_conf.rs, deterministically. Each program runs RUNS times
# (default 3) under `/usr/bin/time -f '%e %M'`; the best wall time and the smallest peak RSS are
# reported, with the ratios ours/ISC. Exit status and first error are shown when a program
# rejects the file (then its time measures how fast it fails, not a full parse).
#
# Environment: ISC_DHCPD (default /usr/sbin/dhcpd), CARGO_TARGET_DIR as cargo does.
# Needs /usr/bin/time (Debian package `time`; scripts/install-test-deps.sh installs it).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
runs=${1:-3}
isc=${ISC_DHCPD:-/usr/sbin/dhcpd}
target=${CARGO_TARGET_DIR:-$ROOT/target}
[ "${target#/}" = "$target" ] && target="$ROOT/$target"
ours="$target/release/dhcpd"

[ -x /usr/bin/time ] || {
    echo "bench-conf: /usr/bin/time is missing (apt-get install time, or bash scripts/install-test-deps.sh)" >&2
    exit 1
}

echo "bench-conf: building our dhcpd (release) and the generator"
cargo build -q --release -p dhcpd
work=$(mktemp -d "${TMPDIR:-/tmp}/dhcpd-rs-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cargo run -q -p dhcpd-system-tests --example bench_conf -- "$work/dhcpd.conf"
printf 'bench-conf: %s: %s bytes, %s subnets, %s hosts, %s classes\n' "dhcpd.conf" \
    "$(wc -c <"$work/dhcpd.conf")" "$(grep -c '^subnet ' "$work/dhcpd.conf")" \
    "$(grep -c '^host ' "$work/dhcpd.conf")" "$(grep -c '^class ' "$work/dhcpd.conf")"

# measure NAME PROGRAM: prints "best_wall min_rss exit first_error" after RUNS runs.
measure() {
    local prog=$1 best_wall='' best_rss='' rc=0 i wall rss
    for ((i = 0; i < runs; i++)); do
        rc=0
        (cd "$work" && /usr/bin/time -o "$work/time.out" -f '%e %M' "$prog" -4 -t -cf dhcpd.conf \
            >"$work/run.out" 2>&1) || rc=$?
        read -r wall rss < <(tail -n 1 "$work/time.out")
        if [ -z "$best_wall" ] || awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall; fi
        if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
    done
    # /usr/bin/time reports "Command exited with non-zero status N" in its output file.
    [ "$rc" -ne 0 ] && rc=$(sed -n 's/^Command exited with non-zero status \([0-9]*\).*/\1/p' "$work/time.out" | head -n 1)
    local first
    first=$(grep -m 1 ' line [0-9]*: ' "$work/run.out" || true)
    echo "$best_wall $best_rss ${rc:-1} $first"
}

[ -x "$isc" ] || { echo "bench-conf: ISC dhcpd not found at $isc (set ISC_DHCPD)" >&2; exit 1; }
echo "bench-conf: $runs runs each, best wall time and smallest peak RSS"
read -r o_wall o_rss o_rc o_err < <(measure "$ours")
read -r i_wall i_rss i_rc i_err < <(measure "$isc")

printf '\n| program | exit | wall time (s) | peak RSS (MiB) |\n|---|---|---|---|\n'
printf '| dhcpd-rs (%s) | %s | %s | %.1f |\n' "${ours#"$ROOT"/}" "$o_rc" "$o_wall" "$(awk "BEGIN{print $o_rss/1024}")"
printf '| ISC dhcpd 4.4.3 (%s) | %s | %s | %.1f |\n' "$isc" "$i_rc" "$i_wall" "$(awk "BEGIN{print $i_rss/1024}")"
printf '| ratio ours/ISC | | %s | %s |\n' \
    "$(awk "BEGIN{ if ($i_wall > 0) printf \"%.2f\", $o_wall/$i_wall; else print \"n/a (ISC 0.00 s)\" }")" \
    "$(awk "BEGIN{ printf \"%.2f\", $o_rss/$i_rss }")"
echo
[ "$i_rc" = 0 ] || echo "NOTE: ISC REJECTED the benchmark file (exit $i_rc): $i_err"
if [ "$o_rc" != 0 ]; then
    echo "NOTE: OUR dhcpd REJECTED the benchmark file (exit $o_rc): ${o_err:-see its output}"
    echo "      its time measures how fast it fails, not a full parse."
fi
echo "command: (cd DIR && /usr/bin/time -f '%e %M' PROGRAM -4 -t -cf dhcpd.conf), best of $runs"
