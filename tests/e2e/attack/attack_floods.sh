#!/usr/bin/env bash
# attack_floods.sh - spoofed SYN floods and forged-ACK floods, over IPv4 and
# over IPv6 with every extension-header shape, while real HTTP fetches
# through the proxy keep working.
#
# Four phases, FLOOD_COUNT segments each at FLOOD_PPS from the attacker, every
# segment from a random spoofed source (198.19.0.0/16, 2001:2:0:1000::/52)
# and port with a random sequence number: SYNs over IPv4; SYNs over IPv6 with
# the shapes taking turns (plain, HBH, DestOpts, atomic fragments alone or
# with DestOpts / Routing / after HBH, complete fragmented datagrams behind
# Fragment / DestOpts / Routing / HBH, an unknown extension header, a chain
# of nine); the same two with bare ACKs carrying random acknowledgment
# numbers (forged cookies). Meanwhile the real client fetches a file in a
# loop, alternating IPv4 and IPv6, at least MIN_FETCHES times in all.
#
# Asserted: every fetch intact; in the capture at the server nothing from a
# spoofed source but later fragments (which complete nothing: their first
# fragments were dropped), exactly as many as the proxy let pass, and nothing
# sent back to a spoofed source, no half-open connection; at the proxy the
# floods were judged: SYNs answered, forged ACKs dropped as bad cookies,
# first fragments and unwalkable chains dropped, no flow from the floods,
# handshakes completed = fetches. About 30 s.
# shellcheck source=attack_lib.sh
source "$(dirname "$0")/attack_lib.sh"

FLOOD_COUNT=${FLOOD_COUNT:-12000}
FLOOD_PPS=${FLOOD_PPS:-4000}
MIN_FETCHES=24
V6_SHAPES=v6,v6-hbh,v6-dest,v6-atomic,v6-atomic-dest,v6-atomic-routing,v6-hbh-atomic,v6-frag,v6-frag-dest
V6_SHAPES+=,v6-frag-routing,v6-hbh-frag,v6-unknown,v6-frag-unknown,v6-long-chain

atk_setup auto
atk_cap_start
px_mark

fetches=0
fetch_one() {
	if [ $((fetches % 2)) = 0 ]; then
		e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob" >/dev/null
	else
		e2e_fetch "http://[$SERVER_IP6]:$HTTP_PORT/blob" >/dev/null
	fi
	fetches=$((fetches + 1))
}

# One flood in the background while the client fetches: flood_phase NAME FLAGS SHAPES
declare -A SENT=()
flood_phase() {
	local name=$1 flags=$2 shapes=$3 pid t0=$SECONDS n0=$fetches rc=0
		netns_bg "$name" "$NS_ATTACKER" 60 "$ATK_PY" "$ATK_DIR/atk.py" flood --shapes "$shapes" \
		--flags "$flags" --count "$FLOOD_COUNT" --rate "$FLOOD_PPS" --seconds 40 --seed "$RANDOM" \
		"${ATK_TARGET[@]}"
	pid=$NETNS_BG_PID
	while kill -0 "$pid" 2>/dev/null; do
		fetch_one
		[ $((SECONDS - t0)) -lt 45 ] || e2e_fail "the $name flood did not end within 45 s"
	done
	wait "$pid" || rc=$?
	_netns_forget_pid "$pid"
	[ $rc = 0 ] || { cat "$NETNS_LOGDIR/$name.log" >&2; e2e_fail "atk.py ($name) failed: $rc"; }
	SENT[$name]=$(tail -n 1 "$NETNS_LOGDIR/$name.log")
	e2e_log "$name: $(atk_field "${SENT[$name]}" frames) frames in $(atk_field "${SENT[$name]}" seconds)s," \
		"$((fetches - n0)) real fetches meanwhile"
}

flood_phase syn4 S v4
flood_phase syn6 S "$V6_SHAPES"
flood_phase ack4 A v4
flood_phase ack6 A "$V6_SHAPES"
while [ $fetches -lt $MIN_FETCHES ]; do
	fetch_one
done
e2e_log "ok: $fetches real fetches (IPv4 and IPv6) all intact"

sleep 0.5
px_read
px_show rx_wan syn_received synack_sent_cookie synack_sent_cache syn_ratelimited ack_bad_cookie \
	ack_cookie_ok ack_cache_ok fragment_drop fragment_pass bad_drop tcp_bad_csum flow_full
atk_cap_stop
assert_eq "SYNs from spoofed sources at the server" 0 "$(atk_seen tcp_syn)"
assert_eq "other TCP segments from spoofed sources at the server" 0 "$(atk_seen tcp_other)"
assert_eq "non-TCP frames from spoofed sources at the server" 0 "$(atk_seen other)"
assert_eq "frames the server sent to spoofed sources" 0 "$(atk_seen to_spoofed)"
assert_eq "later fragments at the server = fragment_pass" "$(px_delta fragment_pass)" "$(atk_seen later_fragment)"
assert_ge "frames from the real client at the server" $((MIN_FETCHES * 5)) "$(atk_seen from_allowed)"
assert_eq "half-open connections at the server" 0 "$(nsx "$NS_SERVER" 10 -- ss -Htn state syn-recv | wc -l)"

# The floods reached the worker (the af_packet ring may drop some on this
# shared box) and were judged there.
seg=$((FLOOD_COUNT / 14))   # segments of one IPv6 shape per phase
assert_ge "syn_received (>= 40% of the SYN segments that can be answered)" \
	$(((FLOOD_COUNT + 7 * seg) * 4 / 10)) "$(px_delta syn_received)"
assert_ge "ack_bad_cookie (>= 40% of the forged ACKs that can be judged)" \
	$(((FLOOD_COUNT + 7 * seg) * 4 / 10)) "$(px_delta ack_bad_cookie)"
assert_ge "fragment_drop (first fragments, >= 40%)" $((2 * 4 * seg * 4 / 10)) "$(px_delta fragment_drop)"
assert_ge "bad_drop (unwalkable chains, >= 40%)" $((2 * 3 * seg * 4 / 10)) "$(px_delta bad_drop)"
assert_eq "tcp_bad_csum (every flood checksum was valid)" 0 "$(px_delta tcp_bad_csum)"
assert_eq "handshakes completed = real fetches" "$fetches" \
	"$(($(px_delta ack_cookie_ok) + $(px_delta ack_cache_ok)))"
assert_range "flows in the table (only the client's, closing)" 0 $((fetches + 2)) "$(px_now flows)"
assert_eq "flow_full" 0 "$(px_delta flow_full)"
e2e_pass
