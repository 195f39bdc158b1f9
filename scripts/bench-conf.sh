#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Times `dhcpd -4 -t -cf FILE` on a large configuration, ours (release build) against ISC's:
#
#   bash scripts/bench-conf.sh [RUNS]
#
# The configuration (1,000 subnets, 100,000 host declarations, 1,000 classes; 10.0.0.0/8) is
# written by tests/examples/bench_conf.rs, deterministically. Each program runs RUNS times
# (default 3), timed by a python3 helper (monotonic clock around fork/exec/wait4, peak RSS from
# wait4's rusage); the best and median wall time and the smallest peak RSS are reported, with
# the ratios ours/ISC. Exit status and first error are shown when a program
# rejects the file (then its time measures how fast it fails, not a full parse).
#
# Environment: ISC_DHCPD (default /usr/sbin/dhcpd), CARGO_TARGET_DIR as cargo does.
# Needs python3.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
runs=${1:-3}
isc=${ISC_DHCPD:-/usr/sbin/dhcpd}
target=${CARGO_TARGET_DIR:-$ROOT/target}
[ "${target#/}" = "$target" ] && target="$ROOT/$target"
ours="$target/release/dhcpd"

command -v python3 >/dev/null || {
    echo "bench-conf: python3 is missing (apt-get install python3, or bash scripts/install-test-deps.sh)" >&2
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

# measure PROGRAM: prints "best_wall median_wall min_rss exit first_error" after RUNS runs.
# Each run is started by a small python3 timer: wall time from a monotonic clock around
# fork/exec/wait4, peak RSS from wait4's rusage (ru_maxrss), so nothing else is timed
# (a shell subshell and /usr/bin/time add ~5 ms, a tenth of our run; %e has 0.01 s steps).
measure() {
    (cd "$work" && python3 - "$runs" "$1" <<'PY'
import os, subprocess, sys, time
runs, prog = int(sys.argv[1]), sys.argv[2]
walls, rss, rc = [], [], 0
for _ in range(runs):
    with open("run.out", "wb") as out:
        t0 = time.perf_counter()
        p = subprocess.Popen([prog, "-4", "-t", "-cf", "dhcpd.conf"], stdout=out, stderr=out)
        _, status, ru = os.wait4(p.pid, 0)
        walls.append(time.perf_counter() - t0)
    rc = os.waitstatus_to_exitcode(status)
    rss.append(ru.ru_maxrss)
walls.sort()
first = ""
for line in open("run.out", errors="replace"):
    if " line " in line and ": " in line:
        first = line.strip()
        break
print(f"{walls[0]:.4f} {walls[(len(walls) - 1) // 2]:.4f} {min(rss)} {rc} {first}")
PY
    )
}

[ -x "$isc" ] || { echo "bench-conf: ISC dhcpd not found at $isc (set ISC_DHCPD)" >&2; exit 1; }
echo "bench-conf: $runs runs each, best wall time and smallest peak RSS"
read -r o_wall o_med o_rss o_rc o_err < <(measure "$ours")
read -r i_wall i_med i_rss i_rc i_err < <(measure "$isc")

printf '\n| program | exit | best wall time (s) | median (s) | peak RSS (MiB) |\n|---|---|---|---|---|\n'
printf '| dhcpd-rs (%s) | %s | %s | %s | %.1f |\n' "${ours#"$ROOT"/}" "$o_rc" "$o_wall" "$o_med" "$(awk "BEGIN{print $o_rss/1024}")"
printf '| ISC dhcpd 4.4.3 (%s) | %s | %s | %s | %.1f |\n' "$isc" "$i_rc" "$i_wall" "$i_med" "$(awk "BEGIN{print $i_rss/1024}")"
printf '| ratio ours/ISC | | %s | %s | %s |\n' \
    "$(awk "BEGIN{ printf \"%.3f\", $o_wall/$i_wall }")" \
    "$(awk "BEGIN{ printf \"%.3f\", $o_med/$i_med }")" \
    "$(awk "BEGIN{ printf \"%.2f\", $o_rss/$i_rss }")"
printf 'speed-up (ISC time / ours): best %s x, median %s x\n' \
    "$(awk "BEGIN{ printf \"%.1f\", $i_wall/$o_wall }")" "$(awk "BEGIN{ printf \"%.1f\", $i_med/$o_med }")"
echo
[ "$i_rc" = 0 ] || echo "NOTE: ISC REJECTED the benchmark file (exit $i_rc): $i_err"
if [ "$o_rc" != 0 ]; then
    echo "NOTE: OUR dhcpd REJECTED the benchmark file (exit $o_rc): ${o_err:-see its output}"
    echo "      its time measures how fast it fails, not a full parse."
fi
echo "command: (cd DIR && PROGRAM -4 -t -cf dhcpd.conf), timed with wait4 by python3, best and median of $runs"
