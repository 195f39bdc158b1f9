#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Serving benchmark: perfdhcp against ISC dhcpd 4.4.3, Kea 2.2 (memfile; when installed) and
# dhcpd-rs, in one network-namespace lab this script creates and removes.
#
#   sudo bash scripts/bench-serve.sh            # all servers, default steps
#   PERIOD=5 RATES="1000 2000" SERVERS="ours" bash scripts/bench-serve.sh
#
# Lab (never the root namespace; only 198.51.100.0/24):
#   NS-sw  : bridge br0
#   NS-srv : eth0 198.51.100.1/24  -- the server under test
#   NS-gen : eth0 198.51.100.2/24  -- perfdhcp, acting as a relay agent (giaddr 198.51.100.2,
#            source port 67), so every reply comes back to it through UDP.
# Every veth has TX checksum offload off, IPv6 is disabled in every namespace, and the bridge
# does not call iptables (bridge-nf-call-*=0 in NS-sw).
#
# Workload: CLIENTS (default 200) simulated clients doing full DORA exchanges, each server with
# the same pool of 241 addresses and 1-hour leases. The clients come back again and again, so
# `dhcp-cache-threshold 0` makes ISC (and us) rewrite the lease on every ACK: ISC fsyncs the
# lease file before every ACK (its default), we fdatasync once per batch of records (group
# commit on the journal's writer thread, which then sends the batch's ACKs), Kea's memfile appends without fsync at all. `ping-check false` for ISC and us.
#
# For each server and each RATE (ascending) perfdhcp runs `-r RATE -p PERIOD` (bounded again by
# `timeout`); a step passes when fewer than 1% of the DISCOVERs and of the REQUESTs were dropped
# and perfdhcp really sent at least 90% of RATE x PERIOD DISCOVERs. The sustained rate is the
# highest passing step below the first failure. For every step the script reads the server's
# and perfdhcp's CPU seconds (utime+stime from /proc/PID/stat, and /usr/bin/time), and at the end
# the server's peak RSS (VmHWM). Then, for dhcpd-rs and ISC, one short run under strace counts
# fsync/fdatasync, and for dhcpd-rs a second traced run checks the order of system calls: every
# DHCPACK sendto comes after a completed fdatasync that followed the last lease-file write
# of its address (the journal's writer thread writes, syncs and sends the ACKs, the loop
# sends the rest; strace -f sees every thread).
#
# Environment: RATES, PERIOD (s, default 10), CLIENTS, SERVERS ("isc kea ours"), OURS (binary,
# default target/release/dhcpd, built when missing), KEEP=1 keeps the work directory,
# FSYNC_PROOF=0 skips the strace runs, PERF_RECORD="SERVER:RATE ..." records a `perf` profile of that server during that step,
# PERF_STAT="SERVER:RATE ..." counts that server's context switches and system calls (all threads) during that step.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

RATES=${RATES:-"250 500 1000 1500 2000 3000 4000 5000 6000 8000 10000 12000 16000"}
PERIOD=${PERIOD:-10}
CLIENTS=${CLIENTS:-200}
SERVERS=${SERVERS:-"isc kea ours"}
OURS=${OURS:-$ROOT/target/release/dhcpd}
ISC=${ISC_DHCPD:-/usr/sbin/dhcpd}
KEA=${KEA_DHCP4:-/usr/sbin/kea-dhcp4}
TICK=$(getconf CLK_TCK)

say() { printf 'bench-serve: %s\n' "$*"; }
die() {
    printf 'bench-serve: ERROR: %s\n' "$*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for t in ip ethtool perfdhcp strace python3 timeout /usr/bin/time; do
    command -v "$t" >/dev/null 2>&1 || die "$t missing (bash scripts/install-test-deps.sh installs perfdhcp from kea-admin)"
done
if [ ! -x "$OURS" ]; then
    say "building $OURS (cargo build --release -p dhcpd)"
    cargo build --release -p dhcpd >/dev/null
fi

TAG=drsb-$$
NS_SW=$TAG-sw
NS_SRV=$TAG-srv
NS_GEN=$TAG-gen
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-serve.XXXXXX")
SERVER_PID=
STRACE_PID=

cleanup() {
    set +e
    [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null
    [ -n "$STRACE_PID" ] && kill -TERM "$STRACE_PID" 2>/dev/null
    sleep 0.3
    for ns in "$NS_GEN" "$NS_SRV" "$NS_SW"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
    [ "${KEEP:-0}" = 1 ] && say "work directory kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Lab
# ---------------------------------------------------------------------------------------------
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
mkns "$NS_SRV"
mkns "$NS_GEN"
plug "$NS_SRV" p1 198.51.100.1/24
plug "$NS_GEN" p2 198.51.100.2/24
ip netns exec "$NS_GEN" ping -c 1 -W 2 198.51.100.1 >/dev/null || die "lab: no connectivity"

# ---------------------------------------------------------------------------------------------
# Configurations (the same pool, lease time and options for every server)
# ---------------------------------------------------------------------------------------------
cat >"$WORK/dhcpd.conf" <<'EOF'
ddns-update-style none;
authoritative;
ping-check false;
dhcp-cache-threshold 0;
default-lease-time 3600;
max-lease-time 3600;
subnet 198.51.100.0 netmask 255.255.255.0 {
  range 198.51.100.10 198.51.100.250;
  option routers 198.51.100.1;
}
EOF
cat >"$WORK/kea-dhcp4.json" <<EOF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "eth0" ] },
  "lease-database": { "type": "memfile", "persist": true,
                      "name": "$WORK/kea-leases4.csv", "lfc-interval": 0 },
  "valid-lifetime": 3600,
  "subnet4": [ { "id": 1, "subnet": "198.51.100.0/24",
                 "pools": [ { "pool": "198.51.100.10 - 198.51.100.250" } ],
                 "option-data": [ { "name": "routers", "data": "198.51.100.1" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "stdout" } ],
                 "severity": "INFO" } ]
} }
EOF

# start_server NAME [WRAPPER...]: starts it in NS_SRV, sets SERVER_PID (the server itself).
start_server() {
    local name=$1
    shift
    local cmd
    case $name in
    isc | ours)
        local bin=$ISC
        [ "$name" = ours ] && bin=$OURS
        : >"$WORK/$name.leases"
        cmd=("$bin" -4 -f -d -cf "$WORK/dhcpd.conf" -lf "$WORK/$name.leases" -pf "$WORK/$name.pid" eth0)
        ;;
    kea)
        rm -f "$WORK"/kea-leases4.csv*
        cmd=(env KEA_PIDFILE_DIR="$WORK" KEA_LOCKFILE_DIR="$WORK" "$KEA" -c "$WORK/kea-dhcp4.json")
        ;;
    esac
    ip netns exec "$NS_SRV" "$@" "${cmd[@]}" >"$WORK/$name.log" 2>&1 &
    local pid=$!
    if [ $# -gt 0 ]; then
        STRACE_PID=$pid
        for _ in $(seq 50); do
            SERVER_PID=$(pgrep -P "$pid" | head -n 1 || true)
            [ -n "$SERVER_PID" ] && break
            sleep 0.1
        done
    else
        SERVER_PID=$pid
    fi
    # `env` execs the server, `ip netns exec` too: the PID is the server's own.
    sleep 1.5
    [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null || {
        cat "$WORK/$name.log" >&2
        die "$name did not start"
    }
    # Warm up: every simulated client gets its lease once (not measured).
    perf_run 200 3 >/dev/null || true
}
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    if [ -n "$STRACE_PID" ]; then
        wait "$STRACE_PID" 2>/dev/null || true
        STRACE_PID=
    fi
}
gen_rcvbuf_errors() { # replies perfdhcp's socket had no room for (its namespace's counter)
    ip netns exec "$NS_GEN" nstat -az UdpRcvbufErrors 2>/dev/null | awk '$1 == "UdpRcvbufErrors" { print $2 + 0; f = 1 } END { if (!f) print 0 }'
}
cpu_ticks() { # utime + stime of PID, in clock ticks
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# perf_run RATE SECONDS: runs perfdhcp; prints "disc_sent disc_drop req_sent req_drop
# exch_rate perfdhcp_cpu_s"
perf_run() {
    local rate=$1 secs=$2 out="$WORK/perfdhcp.out"
    timeout $((secs + 20)) ip netns exec "$NS_GEN" /usr/bin/time -f 'CPU %U %S' \
        perfdhcp -4 -l 198.51.100.2 -r "$rate" -R "$CLIENTS" -p "$secs" -W 500000 -s 1 \
        198.51.100.1 >"$out" 2>&1 || true
    python3 - "$out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
sent = [int(x) for x in re.findall(r"sent packets: (\d+)", t)]
drops = [int(x) for x in re.findall(r"drops: (\d+)", t)]
rate = re.search(r"rate: ([0-9.]+)", t)
cpu = re.search(r"CPU ([0-9.]+) ([0-9.]+)", t)
if len(sent) < 2 or len(drops) < 2:
    print("0 0 0 0 0 0"); sys.exit(0)
print(sent[0], drops[0], sent[1], drops[1], rate.group(1) if rate else 0,
      float(cpu.group(1)) + float(cpu.group(2)) if cpu else 0)
PY
}

# ---------------------------------------------------------------------------------------------
# Rate steps
# ---------------------------------------------------------------------------------------------
declare -A SUSTAINED CPU_K PERF_CPU_K RSS STEP_CPU
RESULTS="$WORK/results.txt"
: >"$RESULTS"
printf '%-5s %7s %9s %9s %9s %9s %10s %12s %12s %-9s %s\n' server rate disc_sent disc_drop req_sent \
    req_drop exch_per_s srv_cpu_s/1k gen_cpu_s/1k verdict gen_rcvbuf_err | tee -a "$RESULTS"
for name in $SERVERS; do
    case $name in
    isc) [ -x "$ISC" ] || { say "ISC dhcpd not installed: skipped"; continue; } ;;
    kea) [ -x "$KEA" ] || { say "Kea NOT measured: $KEA missing (apt-get install kea-dhcp4-server)"; continue; } ;;
    ours) ;;
    *) die "unknown server $name" ;;
    esac
    start_server "$name"
    best=0
    best_cpu=
    best_gen=
    for rate in $RATES; do
        before=$(cpu_ticks "$SERVER_PID")
        rb_before=$(gen_rcvbuf_errors)
        rec=
        if case " ${PERF_RECORD:-} " in *" $name:$rate "*) true ;; *) false ;; esac; then
            perf record -q -F 1999 -g -p "$SERVER_PID" -o "$WORK/perf-$name-$rate.data" \
                -- sleep "$PERIOD" >/dev/null 2>&1 &
            rec=$!
        fi
        st=
        if case " ${PERF_STAT:-} " in *" $name:$rate "*) true ;; *) false ;; esac; then
            perf stat -x, ${PERF_STAT_OPTS:-} -o "$WORK/stat-$name-$rate.txt" -p "$SERVER_PID" \
                -e task-clock,context-switches,raw_syscalls:sys_enter \
                -e syscalls:sys_enter_epoll_wait,syscalls:sys_enter_select,syscalls:sys_enter_poll \
                -e syscalls:sys_enter_recvmmsg,syscalls:sys_enter_recvfrom,syscalls:sys_enter_recvmsg \
                -e syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendmmsg \
                -e syscalls:sys_enter_write,syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync \
                -e syscalls:sys_enter_futex,syscalls:sys_enter_clock_nanosleep \
                -- sleep "$PERIOD" >/dev/null 2>&1 &
            st=$!
        fi
        read -r ds dd rs rd xr gcpu < <(perf_run "$rate" "$PERIOD")
        if [ -n "$st" ]; then
            wait "$st" || true
            say "counts of $name at $rate/s, per exchange ($((rs - rd)) exchanges):"
            awk -F, -v x=$((rs - rd)) '$1 ~ /^[0-9.]+$/ && x > 0 {
                printf "bench-serve:   %-40s %10.3f\n", $3, $1 / x }
                $2 ~ /^[0-9.]+$/ && x > 0 { # --per-thread: thread first
                printf "bench-serve:   %-20s %-40s %10.3f\n", $1, $4, $2 / x }' "$WORK/stat-$name-$rate.txt"
        fi
        if [ -n "$rec" ]; then
            wait "$rec" || true
            perf report -i "$WORK/perf-$name-$rate.data" --no-children --percent-limit 1.5 \
                --stdio 2>/dev/null | grep -v '^$' | head -n 80 >"$WORK/perf-$name-$rate.txt" || true
            say "profile of $name at $rate/s: $WORK/perf-$name-$rate.txt"
        fi
        after=$(cpu_ticks "$SERVER_PID")
        rb=$(($(gen_rcvbuf_errors) - rb_before))
        verdict=$(python3 -c "
ds,dd,rs,rd,rate,p=$ds,$dd,$rs,$rd,$rate,$PERIOD
ok = ds >= 0.9*rate*p and dd < 0.01*ds and rd < 0.01*max(rs,1)
print('pass' if ok else ('FAIL(gen)' if ds < 0.9*rate*p else 'FAIL'))")
        done_x=$((rs - rd))
        srv_k=$(python3 -c "print(f'{($after-$before)/$TICK/max($done_x,1)*1000:.4f}')")
        gen_k=$(python3 -c "print(f'{$gcpu/max($done_x,1)*1000:.4f}')")
        printf '%-5s %7s %9s %9s %9s %9s %10s %12s %12s %-9s %s\n' "$name" "$rate" "$ds" "$dd" "$rs" \
            "$rd" "$xr" "$srv_k" "$gen_k" "$verdict" "$rb" | tee -a "$RESULTS"
        if [ "$verdict" = pass ]; then
            STEP_CPU[$name:$rate]=$srv_k
            best=$rate
            best_cpu=$srv_k
            best_gen=$gen_k
        else
            break
        fi
    done
    RSS[$name]=$(awk '/VmHWM/ { print $2 / 1024 }' "/proc/$SERVER_PID/status")
    SUSTAINED[$name]=$best
    CPU_K[$name]=${best_cpu:-?}
    PERF_CPU_K[$name]=${best_gen:-?}
    stop_server
done

echo
say "summary (sustained = highest step with <1% drops; CPU per 1,000 exchanges at that step)"
printf '%-5s %10s %14s %14s %10s\n' server sustained srv_cpu_s/1k gen_cpu_s/1k rss_MiB
for name in $SERVERS; do
    [ -n "${SUSTAINED[$name]:-}" ] || continue
    printf '%-5s %10s %14s %14s %10.1f\n' "$name" "${SUSTAINED[$name]}" "${CPU_K[$name]}" \
        "${PERF_CPU_K[$name]}" "${RSS[$name]}"
done
# CPU per exchange at the highest rate every measured server sustained (per-wakeup costs
# shrink as the rate grows, so only the same rate compares fairly).
common=
for rate in $RATES; do
    all=1
    for name in $SERVERS; do
        [ -n "${SUSTAINED[$name]:-}" ] || continue
        [ -n "${STEP_CPU[$name:$rate]:-}" ] || all=0
    done
    [ "$all" = 1 ] && common=$rate
done
if [ -n "$common" ]; then
    line="server CPU s per 1,000 exchanges at $common/s (the highest rate all sustained):"
    for name in $SERVERS; do
        [ -n "${STEP_CPU[$name:$common]:-}" ] && line+=" $name ${STEP_CPU[$name:$common]}"
    done
    say "$line"
fi
ratio() { python3 -c "a,b='$1','$2'
try: print(f'{float(a)/float(b):.2f}')
except Exception: print('n/a')"; }
if [ -n "${SUSTAINED[ours]:-}" ]; then
    for other in isc kea; do
        [ -n "${SUSTAINED[$other]:-}" ] || continue
        msg="ours/$other: sustained rate x$(ratio "${SUSTAINED[ours]}" "${SUSTAINED[$other]}")"
        [ -n "$common" ] && msg+=", CPU per exchange at $common/s x$(ratio "${STEP_CPU[ours:$common]:-}" "${STEP_CPU[$other:$common]:-}")"
        say "$msg"
    done
fi

# ---------------------------------------------------------------------------------------------
# fsync proof
# ---------------------------------------------------------------------------------------------
[ "${FSYNC_PROOF:-1}" = 1 ] || { say "fsync proof skipped (FSYNC_PROOF=0)"; exit 0; }
FS_RATE=${FS_RATE:-1000}
FS_SECS=${FS_SECS:-5}
echo
for name in isc ours; do
    case " $SERVERS " in *" $name "*) ;; *) continue ;; esac
    start_server "$name" strace -f -c -e trace=fdatasync,fsync -o "$WORK/strace-$name.txt"
    read -r ds dd rs rd xr gcpu < <(perf_run "$FS_RATE" "$FS_SECS")
    stop_server
    syncs=$(awk '$NF == "fdatasync" || $NF == "fsync" { n += $4 } END { print n + 0 }' "$WORK/strace-$name.txt")
    say "$name under strace at $FS_RATE/s for ${FS_SECS}s (after a 3 s warm-up of $((200 * 3)) exchanges): $((rs - rd)) ACKs measured, $syncs fsync+fdatasync calls in the whole run"
done
if case " $SERVERS " in *" ours "*) true ;; *) false ;; esac; then
    start_server ours strace -f -tt -e trace=write,writev,pwrite64,fdatasync,fsync,sendto,sendmsg,sendmmsg \
        -e signal=none -s 65536 -xx -o "$WORK/order-ours.txt"
    read -r ds dd rs rd xr gcpu < <(perf_run "${ORDER_RATE:-1000}" 2)
    stop_server
    python3 - "$WORK/order-ours.txt" <<'PY'
import re, sys
# strace -f -tt -xx of the server (every thread): for each DHCPACK sent, the last lease-file
# write of its address must have been followed by a fdatasync of that file that completed
# before the system call sending the ACK began (sendto, or sendmmsg: only the datagrams the
# call reports as sent count).
lines = open(sys.argv[1]).read().splitlines()
hexstr = lambda h: bytes.fromhex(h.replace("\\x", ""))
lease_fd = None
for l in lines:
    m = re.search(r"write\((\d+), \"((?:\\x[0-9a-f]{2})+)", l)
    if m and hexstr(m.group(2)).startswith(b"lease "):
        lease_fd = m.group(1); break
seq = 0; last_write = {}; synced = {}; pending = {}
sending = {}  # pid -> (text so far, synced snapshot at the call's start)
acks = bad = syncs = 0
def check_send(text, snap):
    global acks, bad
    m = re.search(r"=\s*(-?\d+)(?:\s+\w+\s*\(.*\))?\s*$", text)
    sent = int(m.group(1)) if m else 0
    call = re.search(r"\b(sendto|sendmsg|sendmmsg)\(", text)
    if call and call.group(1) == "sendmmsg":
        bufs = re.findall(r"iov_base=\"((?:\\x[0-9a-f]{2})+)\"", text)[:max(sent, 0)]
    else:
        bufs = re.findall(r"\"((?:\\x[0-9a-f]{2})+)\"", text)[:1] if sent > 0 else []
    for h in bufs:
        b = hexstr(h)
        # ISC's (and our) option order: 53 right after the magic cookie.
        if len(b) > 242 and b[236:240] == b"\x63\x82\x53\x63" and b[240:243] == b"\x35\x01\x05":
            acks += 1
            y = ".".join(str(x) for x in b[16:20])
            if y not in last_write or snap.get(y, 0) < last_write[y]:
                bad += 1
for l in lines:
    pid = l.split(" ", 1)[0]
    if pid in sending and "resumed>" in l:
        text, snap = sending.pop(pid)
        check_send(text + l, snap)
        continue
    m = re.search(r"\b(?:write|pwrite64)\(%s, \"((?:\\x[0-9a-f]{2})+)" % lease_fd, l)
    if m:
        for a in re.findall(rb"lease (\d+\.\d+\.\d+\.\d+) \{", hexstr(m.group(1))):
            seq += 1; last_write[a.decode()] = seq
        continue
    if re.search(r"\bfdatasync\(%s\) += 0" % lease_fd, l):
        syncs += 1; synced.update(last_write); continue
    if re.search(r"\bfdatasync\(%s <unfinished" % lease_fd, l):
        pending[pid] = dict(last_write); continue
    if "<... fdatasync resumed>" in l and pid in pending:
        snap = pending.pop(pid)
        if re.search(r"= 0\s*$", l):
            syncs += 1
            for k, v in snap.items():
                synced[k] = max(synced.get(k, 0), v)
        continue
    if re.search(r"\bsend(?:to|msg|mmsg)\(", l):
        if "<unfinished" in l:
            sending[pid] = (l, dict(synced))
        else:
            check_send(l, dict(synced))
print(f"bench-serve: ours, syscall order (all threads): lease fd {lease_fd}, {syncs} fdatasync, "
      f"{acks} DHCPACKs sent, {bad} ACK(s) sent before their lease record was synced")
sys.exit(1 if bad or not acks or not syncs else 0)
PY
fi
say "work directory: $WORK (removed unless KEEP=1)"
