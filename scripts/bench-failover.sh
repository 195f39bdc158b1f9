#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Failover benchmark: perfdhcp against a pair of ISC dhcpd 4.4.3 and then a pair of dhcpd-rs
# (load balancing, split 128), in one network-namespace lab this script creates and removes.
#
#   sudo bash scripts/bench-failover.sh
#   PERIOD=5 RATES="200 400 800" PAIRS="ours" bash scripts/bench-failover.sh
#
# Lab (never the root namespace; only 198.51.100.0/24), bridge br0 in NS-sw:
#   NS-p   : eth0 198.51.100.1/24  -- failover primary   (port 647)
#   NS-s   : eth0 198.51.100.3/24  -- failover secondary (port 647)
#   NS-gen : eth0 198.51.100.2/24  -- perfdhcp as a directly attached client generator:
#            it broadcasts (server "all", -B: broadcast flag set), so both peers see every
#            DISCOVER/REQUEST and each answers the clients of its own hash buckets.
# Both peers: `ping-check false`, `dhcp-cache-threshold 0` (every ACK rewrites the lease and
# sends a BNDUPD), mclt 60, max-unacked-updates 10, the same pool of 241 addresses.
#
# Per pair: dumpcap on the failover port in NS-p for the whole run; wait (bounded) until both
# logs say that the server and its peer are normal; warm up; then each RATE (ascending) runs
# perfdhcp -r RATE -p PERIOD (bounded by timeout). A step passes with <1% DISCOVER and REQUEST
# drops and >=90% of RATE x PERIOD DISCOVERs really sent. BNDUPD and BNDACK counts per step
# come from the capture (tshark, dhcpfo.type 3 and 4), divided by the step's wall time.
#
# Environment: RATES, PERIOD (default 5), CLIENTS (default 100), PAIRS ("isc ours"),
# OURS (default target/release/dhcpd), KEEP=1 keeps the work directory, FSYNC_PROOF=0 skips
# the strace ordering check of our primary (BNDACK sent only after fdatasync of the lease).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

RATES=${RATES:-"100 200 400 800 1200 1600 2400 3200 4800 6400"}
PERIOD=${PERIOD:-5}
CLIENTS=${CLIENTS:-100}
PAIRS=${PAIRS:-"isc ours"}
OURS=${OURS:-$ROOT/target/release/dhcpd}
ISC=${ISC_DHCPD:-/usr/sbin/dhcpd}
TICK=$(getconf CLK_TCK)

say() { printf 'bench-failover: %s\n' "$*"; }
die() {
    printf 'bench-failover: ERROR: %s\n' "$*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for t in ip ethtool perfdhcp dumpcap tshark python3 timeout strace; do
    command -v "$t" >/dev/null 2>&1 || die "$t missing"
done
[ -x "$OURS" ] || die "$OURS missing (cargo build --release -p dhcpd)"

TAG=drsf-$$
NS_SW=$TAG-sw
NS_P=$TAG-p
NS_S=$TAG-s
NS_GEN=$TAG-gen
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-failover.XXXXXX")
chmod 755 "$WORK"
PIDS=()

cleanup() {
    set +e
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    sleep 0.3
    for ns in "$NS_GEN" "$NS_P" "$NS_S" "$NS_SW"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
    [ "${KEEP:-0}" = 1 ] && say "work directory kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkns() {
    ip netns add "$1"
    mkdir -p "/etc/netns/$1"
    : >"/etc/netns/$1/resolv.conf"
    ip -n "$1" link set lo up
    ip netns exec "$1" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$1" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1
}
plug() { # NS PORTNAME ADDR/LEN
    ip -n "$1" link add eth0 type veth peer name "$2" netns "$NS_SW"
    ip netns exec "$1" ethtool -K eth0 tx off >/dev/null
    ip netns exec "$NS_SW" ethtool -K "$2" tx off >/dev/null
    ip -n "$NS_SW" link set "$2" master br0 up
    ip -n "$1" link set eth0 up
    ip -n "$1" addr add "$3" dev eth0
}
mkns "$NS_SW"
ip -n "$NS_SW" link add br0 type bridge
ip -n "$NS_SW" link set br0 up
# The lab's switch forwards frames without passing them through iptables (br_netfilter, on
# by default here): that work is charged to whichever process sends, server or perfdhcp, and
# a real switch does not make the server pay it. Every server runs in the same lab.
for t in iptables ip6tables arptables; do
    ip netns exec "$NS_SW" sysctl -q -w "net.bridge.bridge-nf-call-$t=0" 2>/dev/null || true
done
mkns "$NS_P"
mkns "$NS_S"
mkns "$NS_GEN"
plug "$NS_P" p1 198.51.100.1/24
plug "$NS_S" p2 198.51.100.3/24
plug "$NS_GEN" p3 198.51.100.2/24
ip netns exec "$NS_P" ping -c 1 -W 2 198.51.100.3 >/dev/null || die "lab: no connectivity"

conf() { # primary|secondary
    local me peer role
    if [ "$1" = primary ]; then
        me=198.51.100.1 peer=198.51.100.3 role="primary; mclt 60; split 128;"
    else
        me=198.51.100.3 peer=198.51.100.1 role="secondary;"
    fi
    cat <<CONF
ddns-update-style none;
authoritative;
ping-check false;
dhcp-cache-threshold 0;
default-lease-time 3600;
max-lease-time 3600;
failover peer "fo" {
  $role
  address $me;
  port 647;
  peer address $peer;
  peer port 647;
  max-response-delay 30;
  max-unacked-updates 10;
  load balance max seconds 3;
}
subnet 198.51.100.0 netmask 255.255.255.0 {
  option routers 198.51.100.1;
  pool {
    failover peer "fo";
    range 198.51.100.10 198.51.100.250;
  }
}
CONF
}
conf primary >"$WORK/p.conf"
conf secondary >"$WORK/s.conf"

P_PID='' S_PID='' CAP_PID='' STRACE_PID=''
# start_pair NAME [WRAPPER for the primary...]
start_pair() {
    local name=$1
    shift
    local bin=$ISC
    [ "$name" = ours ] && bin=$OURS
    : >"$WORK/$name-p.leases"
    : >"$WORK/$name-s.leases"
    ip netns exec "$NS_P" dumpcap -q -i eth0 -f "tcp port 647" -w "$WORK/$name-fo.pcap" \
        >/dev/null 2>&1 &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    sleep 0.5
    ip netns exec "$NS_P" "$@" "$bin" -4 -f -d -cf "$WORK/p.conf" -lf "$WORK/$name-p.leases" \
        -pf "$WORK/$name-p.pid" eth0 >"$WORK/$name-p.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    if [ $# -gt 0 ]; then
        STRACE_PID=$pid
        P_PID=
        for _ in $(seq 50); do
            P_PID=$(pgrep -P "$pid" | head -n 1 || true)
            [ -n "$P_PID" ] && break
            sleep 0.1
        done
    else
        P_PID=$pid
    fi
    ip netns exec "$NS_S" "$bin" -4 -f -d -cf "$WORK/s.conf" -lf "$WORK/$name-s.leases" \
        -pf "$WORK/$name-s.pid" eth0 >"$WORK/$name-s.log" 2>&1 &
    S_PID=$!
    PIDS+=("$S_PID")
    # Both logs must say: I move ... to normal, and peer moves ... to normal (bounded: 60 s).
    local ok=0
    for _ in $(seq 120); do
        if normal "$WORK/$name-p.log" && normal "$WORK/$name-s.log"; then
            ok=1
            break
        fi
        sleep 0.5
    done
    [ "$ok" = 1 ] || {
        tail -n 20 "$WORK/$name-p.log" "$WORK/$name-s.log" >&2
        die "$name pair did not reach normal within 60 s"
    }
    say "$name pair: both peers normal"
    sleep 2 # pool balancing (POOLREQ/POOLRESP) settles
    perf_run 100 3 >/dev/null || true
}
normal() {
    grep 'failover peer fo: I move from' "$1" | tail -n 1 | grep -q 'to normal$' &&
        grep 'failover peer fo: peer moves from' "$1" | tail -n 1 | grep -q 'to normal$'
}
stop_pair() {
    local p
    for p in $P_PID $S_PID; do kill -TERM "$p" 2>/dev/null || true; done
    for _ in $(seq 50); do
        kill -0 "$P_PID" 2>/dev/null || kill -0 "$S_PID" 2>/dev/null || break
        sleep 0.1
    done
    for p in $P_PID $S_PID; do kill -KILL "$p" 2>/dev/null || true; done
    [ -n "$STRACE_PID" ] && { wait "$STRACE_PID" 2>/dev/null || true; STRACE_PID=; }
    sleep 0.5
    kill -TERM "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    P_PID='' S_PID='' CAP_PID=''
}
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# perf_run RATE SECONDS: prints "disc_sent disc_drop req_sent req_drop exch_rate"
perf_run() {
    local rate=$1 secs=$2 out="$WORK/perfdhcp.out"
    timeout $((secs + 20)) ip netns exec "$NS_GEN" \
        perfdhcp -4 -l eth0 -B -r "$rate" -R "$CLIENTS" -p "$secs" -W 500000 -s 1 all \
        >"$out" 2>&1 || true
    python3 - "$out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
sent = [int(x) for x in re.findall(r"sent packets: (\d+)", t)]
drops = [int(x) for x in re.findall(r"drops: (\d+)", t)]
rate = re.search(r"rate: ([0-9.]+)", t)
if len(sent) < 2 or len(drops) < 2:
    print("0 0 0 0 0"); sys.exit(0)
print(sent[0], drops[0], sent[1], drops[1], rate.group(1) if rate else 0)
PY
}

# fo_count PCAP T0 T1: BNDUPD and BNDACK messages between epoch T0 and T1
fo_count() {
    tshark -r "$1" -Y "dhcpfo && frame.time_epoch >= $2 && frame.time_epoch < $3" \
        -T fields -e dhcpfo.type 2>/dev/null | tr ',' '\n' |
        awk '$1 == 3 { u++ } $1 == 4 { a++ } END { print u + 0, a + 0 }'
}

declare -A SUSTAINED UPDS
STEPS="$WORK/steps.txt"
: >"$STEPS"
printf '%-5s %6s %9s %9s %9s %9s %10s %8s %8s %s\n' pair rate disc_sent disc_drop \
    req_sent req_drop exch_per_s p_cpu% s_cpu% verdict
for name in $PAIRS; do
    case $name in
    isc) [ -x "$ISC" ] || { say "ISC dhcpd not installed: skipped"; continue; } ;;
    ours) ;;
    *) die "unknown pair $name" ;;
    esac
    start_pair "$name"
    best=0
    for rate in $RATES; do
        pb=$(cpu_ticks "$P_PID") sb=$(cpu_ticks "$S_PID") t0=$(date +%s.%N)
        read -r ds dd rs rd xr < <(perf_run "$rate" "$PERIOD")
        t1=$(date +%s.%N) pa=$(cpu_ticks "$P_PID") sa=$(cpu_ticks "$S_PID")
        printf '%s %s %s %s\n' "$name" "$rate" "$t0" "$t1" >>"$STEPS"
        verdict=$(python3 -c "
ds,dd,rs,rd,rate,p=$ds,$dd,$rs,$rd,$rate,$PERIOD
ok = ds >= 0.9*rate*p and dd < 0.01*ds and rd < 0.01*max(rs,1)
print('pass' if ok else ('FAIL(gen)' if ds < 0.9*rate*p else 'FAIL'))")
        pcpu=$(python3 -c "print(f'{($pa-$pb)/$TICK/($t1-$t0)*100:.0f}')")
        scpu=$(python3 -c "print(f'{($sa-$sb)/$TICK/($t1-$t0)*100:.0f}')")
        printf '%-5s %6s %9s %9s %9s %9s %10s %8s %8s %s\n' "$name" "$rate" "$ds" "$dd" \
            "$rs" "$rd" "$xr" "$pcpu" "$scpu" "$verdict"
        [ "$verdict" = pass ] && best=$rate || break
    done
    stop_pair
    SUSTAINED[$name]=$best
    # BNDUPD/BNDACK per second for each step, from the capture (after the run: tshark is heavy).
    while read -r n r t0 t1; do
        [ "$n" = "$name" ] || continue
        read -r u a < <(fo_count "$WORK/$name-fo.pcap" "$t0" "$t1")
        rates=$(python3 -c "d=$t1-$t0; print(f'{$u/d:.0f} {$a/d:.0f}')")
        say "$name at $r/s: BNDUPD $u, BNDACK $a in the step -> BNDUPD/s BNDACK/s: $rates"
        [ "$r" = "$best" ] && UPDS[$name]=${rates%% *}
    done <"$STEPS"
done

echo
say "summary (sustained = highest step with <1% drops)"
for name in $PAIRS; do
    [ -n "${SUSTAINED[$name]:-}" ] || continue
    say "$name pair: sustained ${SUSTAINED[$name]} DORA/s, BNDUPD/s at that step ${UPDS[$name]:-?}"
done
if [ -n "${SUSTAINED[ours]:-}" ] && [ -n "${SUSTAINED[isc]:-}" ] && [ "${SUSTAINED[isc]}" != 0 ]; then
    say "ours/isc: sustained rate x$(python3 -c "print(f'{${SUSTAINED[ours]}/${SUSTAINED[isc]}:.2f}')")"
fi

# ---------------------------------------------------------------------------------------------
# BNDACK after fsync: our primary under strace -f; every BNDACK (type 4) it writes to the peer
# socket must come after a completed fdatasync of the lease file that followed the last write
# of that lease (failover messages carry the address in option 2, assigned-ip-address).
# BNDACKs that refuse an update (option 21, reject-reason) store nothing and are only counted.
# ---------------------------------------------------------------------------------------------
[ "${FSYNC_PROOF:-1}" = 1 ] || exit 0
case " $PAIRS " in *" ours "*) ;; *) exit 0 ;; esac
: >"$STEPS"
start_pair ours strace -f -tt -e trace=write,writev,pwrite64,fdatasync,fsync,sendto,sendmsg \
    -e signal=none -s 65536 -xx -o "$WORK/order-ours.txt"
perf_run 200 3 >/dev/null || true
stop_pair
python3 - "$WORK/order-ours.txt" <<'PY' || true
import re, sys
lines = open(sys.argv[1]).read().splitlines()
hexstr = lambda h: bytes.fromhex(h.replace("\\x", ""))
lease_fd = None
for l in lines:
    m = re.search(r"write\((\d+), \"((?:\\x[0-9a-f]{2})+)", l)
    if m and hexstr(m.group(2)).startswith(b"lease "):
        lease_fd = m.group(1); break
seq = 0; last_write = {}; synced = {}; pending = {}
acks = bad = syncs = unknown = refused = 0
never = []
def fo_msgs(b):
    # failover messages: 2-byte length, type, payload offset, time(4), xid(4), options...
    i = 0
    while i + 12 <= len(b):
        n = int.from_bytes(b[i:i+2], "big"); off = b[i+3]
        if n < 12 or i + n > len(b): return
        yield b[i+2], b[i+off:i+n]
        i += n
def option(opts, want):
    j = 0
    while j + 4 <= len(opts):
        code = int.from_bytes(opts[j:j+2], "big"); ln = int.from_bytes(opts[j+2:j+4], "big")
        if code == want: return opts[j+4:j+4+ln]
        j += 4 + ln
    return None
def addr(opts):
    v = option(opts, 2)
    return ".".join(str(x) for x in v) if v is not None and len(v) == 4 else None
for l in lines:
    pid = l.split(" ", 1)[0]
    if lease_fd:
        m = re.search(r"\b(?:write|pwrite64)\(%s, \"((?:\\x[0-9a-f]{2})+)" % lease_fd, l)
        if m:
            for a in re.findall(rb"lease (\d+\.\d+\.\d+\.\d+) \{", hexstr(m.group(1))):
                seq += 1; last_write[a.decode()] = seq
            continue
        if re.search(r"\bf(?:data)?sync\(%s\) += 0" % lease_fd, l):
            syncs += 1; synced.update(last_write); continue
        if re.search(r"\bf(?:data)?sync\(%s <unfinished" % lease_fd, l):
            pending[pid] = dict(last_write); continue
        if re.search(r"<\.\.\. f(?:data)?sync resumed>", l) and pid in pending:
            snap = pending.pop(pid)
            if re.search(r"= 0\s*$", l):
                syncs += 1
                for k, v in snap.items(): synced[k] = max(synced.get(k, 0), v)
            continue
    m = re.search(r"\b(?:write|sendto)\((\d+), \"((?:\\x[0-9a-f]{2})+)", l)
    if m and m.group(1) != lease_fd:
        for typ, opts in fo_msgs(hexstr(m.group(2))):
            if typ != 4: continue
            acks += 1
            # A refusal (reject-reason, option 21) stores nothing: no write to wait for.
            if option(opts, 21) is not None:
                refused += 1; continue
            y = addr(opts)
            if y is None: unknown += 1
            elif y not in last_write: never.append((l.split()[1], y))
            elif synced.get(y, 0) < last_write[y]: bad += 1
print(f"bench-failover: ours primary, syscall order (all threads): lease fd {lease_fd}, "
      f"{syncs} fsync/fdatasync, {acks} BNDACK writes ({refused} refusals, not checked), "
      f"{bad} accepting BNDACK(s) before their lease "
      f"record was synced, {len(never)} BNDACK(s) for an address never written before, "
      f"{unknown} without an address")
if never:
    print(f"bench-failover:   never written before its BNDACK: {len(never)}, first at {never[0][0]} "
          f"({never[0][1]}), last at {never[-1][0]} ({never[-1][1]})")
PY
say "work directory: $WORK (removed unless KEEP=1)"
