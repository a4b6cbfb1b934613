#!/usr/bin/env bash
# vlan.sh - VLAN-tagged traffic through the bridge: an 802.1Q VLAN (VID 10)
# and a QinQ stack (802.1ad VID 100 outside, 802.1Q VID 20 inside), each with
# an interface on client and server, ping both ways and a 1 MiB HTTP fetch
# across it. Full-size frames are used: MTU 1500 inside one tag, so tagged
# frames reach 1518 bytes; 1492 inside two (1514-byte frames: Linux lets a
# packet socket exceed the MTU by one 802.1Q tag only, so a QinQ segment with
# a 1500-byte MTU needs a larger MTU on the carrier, as on real switches).
#
# The 802.1Q interfaces are kernel VLAN devices when the kernel has 8021q;
# otherwise, and always for QinQ, they are TAP devices glued to eth0 by
# vlan_tap.py (the af_packet PMD re-inserts the outer tag it reads with TPID
# 0x8100, which a kernel 802.1ad device on the far side would not accept; the
# glue accepts either outer TPID and checks the VLAN IDs strictly).
# E2E_VLAN=tap forces the TAP glue for 802.1Q too.
source "$(dirname "$0")/lib.sh"

e2e_up 1
e2e_http_server 1024

kernel_vlan=0
if [ "${E2E_VLAN:-auto}" != tap ] &&
	ip -n "$NS_CLIENT" link add link eth0 name probe.7 type vlan id 7 2>/dev/null; then
	ip -n "$NS_CLIENT" link del probe.7
	kernel_vlan=1
fi
e2e_log "802.1Q devices: $([ $kernel_vlan = 1 ] && echo kernel 8021q || echo vlan_tap.py TAP glue)"

# vlan_dev NS NAME MTU ADDR/LEN TAG...   (TAG = TPID:VID, outermost first)
vlan_dev() {
	local ns=$1 name=$2 mtu=$3 addr=$4 i
	shift 4
	if [ $kernel_vlan = 1 ] && [ $# = 1 ] && [ "${1%%:*}" = 0x8100 ]; then
		ip -n "$ns" link add link eth0 name "$name" type vlan id "${1#*:}"
		# best effort: a VLAN device inherits what eth0 has (all off already)
		nsx "$ns" ethtool -K "$name" rx off tx off tso off gso off gro off >/dev/null 2>&1 || true
	else
		local tags=() t
		for t in "$@"; do tags+=(--tag "$t"); done
		netns_bg "vlan-$ns-$name" "$ns" 250 python3 "$E2E_DIR/vlan_tap.py" --dev eth0 --tap "$name" "${tags[@]}"
		for ((i = 0; i < 50; i++)); do
			grep -q '^ready' "$NETNS_LOGDIR/vlan-$ns-$name.log" 2>/dev/null && break
			kill -0 "$NETNS_BG_PID" 2>/dev/null || break
			sleep 0.1
		done
		grep -q '^ready' "$NETNS_LOGDIR/vlan-$ns-$name.log" ||
			{ cat "$NETNS_LOGDIR/vlan-$ns-$name.log" >&2; e2e_fail "vlan_tap.py did not start in $ns"; }
		netns_offloads_off "$ns" "$name"
	fi
	ip -n "$ns" link set dev "$name" mtu "$mtu" up
	ip -n "$ns" addr add "$addr" dev "$name"
}

vlan0=$(stat_get vlan)

# 802.1Q, VID 10
vlan_dev "$NS_CLIENT" vlan10 1500 198.18.10.1/24 0x8100:10
vlan_dev "$NS_SERVER" vlan10 1500 198.18.10.2/24 0x8100:10
e2e_ping "$NS_CLIENT" 198.18.10.2 3
e2e_ping "$NS_SERVER" 198.18.10.1 3
nsx "$NS_CLIENT" 20 -- ping -n -c 2 -W 2 -M "do" -s 1472 198.18.10.2 >/dev/null ||
	e2e_fail "full-size (1518-byte) tagged frames do not pass"
e2e_log "ok: full-size 802.1Q frames pass"
e2e_fetch "http://198.18.10.2:$HTTP_PORT/blob"
vlan1=$(stat_get vlan)
assert_ge "vlan-tagged packets counted (802.1Q)" $((vlan0 + 700)) "$vlan1"

# QinQ: 802.1ad VID 100 outside, 802.1Q VID 20 inside
vlan_dev "$NS_CLIENT" qinq 1492 198.18.20.1/24 0x88a8:100 0x8100:20
vlan_dev "$NS_SERVER" qinq 1492 198.18.20.2/24 0x88a8:100 0x8100:20
e2e_ping "$NS_CLIENT" 198.18.20.2 3
e2e_ping "$NS_SERVER" 198.18.20.1 3
nsx "$NS_SERVER" 20 -- ping -n -c 2 -W 2 -M "do" -s 1464 198.18.20.1 >/dev/null ||
	e2e_fail "full-size (1514-byte) QinQ frames do not pass"
e2e_log "ok: full-size QinQ frames pass"
e2e_fetch "http://198.18.20.2:$HTTP_PORT/blob"
assert_ge "vlan-tagged packets counted (QinQ)" $((vlan1 + 700)) "$(stat_get vlan)"

# Untagged traffic still flows next to the VLANs.
e2e_ping "$NS_CLIENT" "$SERVER_IP4" 2
e2e_pass
