#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Lease-file loading benchmark: generates a lease file of N leases (default 1,000,000) and a
# configuration whose range covers them, then times `dhcpd -4 -T` (read the configuration and
# the lease file, expire, write the start-up rewrite to a temporary file) with ISC dhcpd and
# with ours in the same run, and prints wall time and peak RSS (/usr/bin/time -f '%e %M') of
# both and the ratios. Then the lease journal: commits/s and fsyncs per lease for a burst of
# 10,000 commits (crates/dhcpd-server/examples/journal-bench.rs).
#
#   bash scripts/bench-leases.sh [N] [WORKDIR]
#
# Our binary: $DHCPD_RS_BIN, else target/release/dhcpd (built here). ISC: $ISC_DHCPD, else
# /usr/sbin/dhcpd. Each run is stopped after $ISC_TIMEOUT (ISC) or $OURS_TIMEOUT (ours) seconds
# (default 1200 both): ISC needs more than 20 minutes for 1,000,000 leases (its pool queues are
# filled by a quadratic insertion sort). A stopped run is reported as such, with its time as a
# lower bound and its peak RSS so far (VmHWM, sampled from /proc/PID/status every second up to
# the kill) as a lower bound of its peak. BENCH_ONLY=isc|ours runs one of the two;
# BENCH_JOURNAL=0 skips the journal part. An existing DHCPD.LEASES in WORKDIR of N leases is
# reused (not regenerated) when BENCH_REUSE=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-1000000}
work=${2:-$(mktemp -d /var/tmp/bench-leases.XXXXXX)}
mkdir -p "$work"
isc=${ISC_DHCPD:-/usr/sbin/dhcpd}
if [ -z "${DHCPD_RS_BIN:-}" ]; then
    cargo build --release -q -p dhcpd
    ours=$PWD/target/release/dhcpd
else
    ours=$DHCPD_RS_BIN
fi
[ -x "$isc" ] || { echo "bench-leases: ISC dhcpd not found at $isc" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-leases: /usr/bin/time missing (package time)" >&2; exit 1; }

if [ "${BENCH_REUSE:-0}" = 1 ] && [ -s "$work/dhcpd.leases" ] && [ -s "$work/dhcpd.conf" ]; then
    echo "bench-leases: reusing $work/dhcpd.leases"
else
python3 - "$n" "$work" <<'PY'
import sys, time, ipaddress
n, work = int(sys.argv[1]), sys.argv[2]
now = int(time.time())
base = int(ipaddress.IPv4Address("10.0.0.1"))
last = ipaddress.IPv4Address(base + n - 1)
bits = max(8, (n + 2).bit_length())
mask = ipaddress.IPv4Network(f"10.0.0.0/{32 - bits}")
with open(f"{work}/dhcpd.conf", "w") as c:
    c.write(f"subnet {mask.network_address} netmask {mask.netmask} {{\n  range 10.0.0.1 {last};\n}}\n")
def date(t):
    tm = time.gmtime(t)
    return f"{(tm.tm_wday + 1) % 7} {tm.tm_year}/{tm.tm_mon:02d}/{tm.tm_mday:02d} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
with open(f"{work}/dhcpd.leases", "w") as f:
    f.write("# The format of this file is documented in the dhcpd.leases(5) manual page.\n"
            "# This lease file was written by isc-dhcp-4.4.3-P1\n\n"
            "# authoring-byte-order entry is generated, DO NOT DELETE\n"
            "authoring-byte-order little-endian;\n\n")
    for i in range(n):
        a = ipaddress.IPv4Address(base + i)
        s, e = now - 600 - (i % 3600), now + 3600 + (i % 86400)
        mac = ":".join(f"{b:02x}" for b in (2, 0, (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255))
        uid = "".join(f"\\{b:03o}" for b in (1, 2, 0, (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255))
        f.write(f"lease {a} {{\n  starts {date(s)};\n  ends {date(e)};\n  tstp {date(e)};\n"
                f"  cltt {date(s)};\n  binding state active;\n  next binding state free;\n"
                f"  rewind binding state free;\n  hardware ethernet {mac};\n  uid \"{uid}\";\n"
                f"  client-hostname \"host-{i}\";\n}}\n")
PY
fi
size=$(du -h "$work/dhcpd.leases" | cut -f1)
echo "bench-leases: $n leases ($size) in $work"

only=${BENCH_ONLY:-both}
echo "bench-leases: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# measure NAME BIN LIMIT -> prints "seconds kib how" (how: done | stopped)
measure() {
    local name=$1 bin=$2 limit=$3
    rm -f "$work/time.$name"
    ( cd "$work" && exec /usr/bin/time -f '%e %M' -o "$work/time.$name" "$bin" -4 -T \
        -cf dhcpd.conf -lf dhcpd.leases >"$work/out.$name" 2>&1 ) &
    local tpid=$! start=$SECONDS pid="" hwm=0 h
    while kill -0 "$tpid" 2>/dev/null; do
        [ -n "$pid" ] || pid=$(pgrep -P "$tpid" | head -1 || true)
        if [ -n "$pid" ]; then
            h=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
            [ -z "$h" ] || hwm=$h
        fi
        if (( SECONDS - start >= limit )) && [ -n "$pid" ]; then
            kill "$pid" 2>/dev/null || true
            wait "$tpid" 2>/dev/null || true
            echo "$((SECONDS - start)) $hwm stopped"
            return
        fi
        sleep 1
    done
    wait "$tpid" 2>/dev/null || true
    grep -h "Wrote .* leases" "$work/out.$name" | sed "s/^/bench-leases: $name: /" >&2 || true
    echo "$(tail -1 "$work/time.$name") done"
}
report() { # NAME SECONDS KIB HOW
    if [ "$4" = stopped ]; then
        echo "bench-leases: $1 -T: STOPPED after ${2} s (limit), peak RSS so far (VmHWM) ${3} KiB -- both lower bounds"
    else
        echo "bench-leases: $1 -T: ${2} s, peak RSS ${3} KiB"
    fi
}
if [ "$only" != ours ]; then
    read -r ti mi hi < <(measure isc "$isc" "${ISC_TIMEOUT:-1200}")
    report "ISC dhcpd" "$ti" "$mi" "$hi"
fi
if [ "$only" != isc ]; then
    read -r to mo ho < <(measure ours "$ours" "${OURS_TIMEOUT:-1200}")
    report "ours     " "$to" "$mo" "$ho"
fi
echo "bench-leases: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$only" = both ]; then
    python3 -c "
ti, to, mi, mo, hi = $ti, $to, $mi, $mo, '$hi'
lb = 'at least ' if hi == 'stopped' else ''
print(f'bench-leases: ours is {lb}{ti / max(to, 0.001):.1f}x faster, uses {\"at most \" if lb else \"\"}{mo / max(mi, 1):.2f}x the memory (targets: >= 10x, <= 0.5x)')"
fi

[ "${BENCH_JOURNAL:-1}" = 1 ] || exit 0
echo "bench-leases: journal, burst of 10,000 commits (B = leases per event-loop turn; B=1 is ISC's one fsync per lease):"
cargo run --release -q -p dhcpd-server --example journal-bench -- 10000 "$work" 1 16 64 256
