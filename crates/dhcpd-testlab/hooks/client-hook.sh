#!/bin/sh
# Minimal DHCP client hook for dhcpd-rs tests (dhclient -sf, udhcpc -s, dhcpcd --script).
# It only ever touches the client's own interface inside a test namespace, never resolv.conf,
# and refuses to run anywhere else: the machine's own network must never be changed.
ns=$(ip netns identify $$ 2>/dev/null)
case "$ns" in
    drs-*) ;;
    *) echo "client-hook: refusing to run outside a dhcpd-rs test namespace" >&2; exit 1 ;;
esac
log=${DRS_HOOK_LOG:-/dev/null}
# dhclient: $reason, $interface, $new_ip_address, $new_subnet_mask
# udhcpc:   $1 = deconfig|bound|renew|leasefail|nak, $interface, $ip, $mask
# dhcpcd:   $reason, $interface, $new_ip_address, $new_subnet_cidr
iface=${interface:-$IFACE}
addr=${new_ip_address:-$ip}
mask=${new_subnet_mask:-$subnet}
cidr=${new_subnet_cidr:-$mask}
case "$cidr" in
    *.*) cidr=$(echo "$cidr" | awk -F. '{n=0; for(i=1;i<=4;i++){x=$i; while(x>0){n+=x%2; x=int(x/2)}} print n}') ;;
esac
[ -n "$cidr" ] || cidr=32
case "$addr" in
    ""|198.51.100.*|203.0.113.*) ;;
    *) echo "client-hook: $addr is outside TEST-NET-2/3, not configured" >&2; exit 1 ;;
esac
event=${reason:-$1}
echo "$event $iface $addr/$cidr" >> "$log"
case "$event" in
    BOUND|RENEW|REBIND|REBOOT|bound|renew)
        [ -n "$addr" ] && ip -4 addr replace "$addr/$cidr" dev "$iface" ;;
    EXPIRE|FAIL|RELEASE|STOP|deconfig|nak|EXPIRE6|NOCARRIER|DEPARTED)
        ip -4 addr flush dev "$iface" scope global 2>/dev/null ;;
    PREINIT|MEDIUM|ARPCHECK|ARPSEND)
        ip link set dev "$iface" up ;;
esac
exit 0
