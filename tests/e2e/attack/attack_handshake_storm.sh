#!/usr/bin/env bash
# attack_handshake_storm.sh - a handshake storm against a silent port: the
# attacker's own kernel completes thousands of real handshakes (every ACK a
# valid cookie) to a port the server drops without answer (an nft drop rule
# in the server namespace), so the proxy holds a half-open flow for each one
# and retransmits its SYN. Meanwhile the real client pings the server and
# fetches over HTTP from another port.
#
# Phase 1 (one worker, per-prefix half-open cap off, a pool of 32767):
# STORM1 handshakes at RATE/s. Before, each half-open flow held an mbuf copy
# of its SYN (up to a quarter of the pool per worker, 8191 here): the storm
# held ~6000 mbufs, above the bound (5120). Asserted: most handshakes completed and became half-open flows
# (state_syn_sent and pending_syn peak high, SYN retransmissions sent), yet
# mbuf_in_use stays under its bound (what the rings, caches and bursts can
# hold: the README's pool arithmetic for this config), alloc_fail stays 0,
# every ping and fetch succeeds.
# Phase 2 (two workers, synproxy.limits.max_half_open_per_prefix = CAP):
# STORM2 handshakes from the attacker's /24. Asserted: the prefix is capped
# (prefix_half_open_cap counts the refusals, state_syn_sent never exceeds
# CAP per worker), the real client's prefix is not affected (pings and
# fetches succeed), mbuf_in_use under its bound, alloc_fail 0; once the
# half-open flows expired the attacker's prefix is admitted again in full
# (no count leaked). About 60 s.
# shellcheck source=attack_lib.sh
source "$(dirname "$0")/attack_lib.sh"

SILENT_PORT=8081
RATE=${STORM_RATE:-1000}
STORM1=${STORM1:-6000}
STORM2=${STORM2:-2000}
CAP=200
POOL=32767
STORM_PY="$ATK_DIR/handshake_storm.py"

# The mbufs the workers can hold at once (README "Sizing the mbuf pool"),
# for px_config's ports (rx_desc = tx_desc = 1024), steering ring 1024, burst
# 32 and cache 256: mbuf_bound WORKERS
mbuf_bound() {
	local w=$1 rings=$((2 * (1024 + 1024))) steer=0 inflight=$((6 * 32 + 64)) cache=$((256 * 3 / 2))
	if [ "$w" -gt 1 ]; then
		steer=1024
		inflight=$((inflight + w * 32))
	fi
	echo $((w * (rings + steer + inflight) + (w + 1) * cache))
}

# The storm in the background while the client pings and fetches and the
# counters are sampled: storm NAME COUNT -> STORM_OUT (the script's JSON),
# PEAK[key] (maxima of mbuf_in_use, state_syn_sent, pending_syn), FETCHES
declare -A PEAK=()
storm() {
	local name=$1 count=$2 pid rc=0 t0=$SECONDS k
	PEAK=([mbuf_in_use]=0 [state_syn_sent]=0 [pending_syn]=0)
	FETCHES=0
	netns_bg "$name" "$NS_ATTACKER" 80 /usr/bin/python3 "$STORM_PY" --dst "$SERVER_IP4" \
		--port "$SILENT_PORT" --count "$count" --rate "$RATE" --hold 2
	pid=$NETNS_BG_PID
	while kill -0 "$pid" 2>/dev/null; do
		px_read
		for k in "${!PEAK[@]}"; do
			[ "$(px_now "$k")" -le "${PEAK[$k]}" ] || PEAK[$k]=$(px_now "$k")
		done
		if [ $((FETCHES % 3)) = 2 ]; then
			e2e_ping "$NS_CLIENT" "$SERVER_IP4" 2 >/dev/null
		fi
		e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob" >/dev/null
		FETCHES=$((FETCHES + 1))
		[ $((SECONDS - t0)) -lt 90 ] || e2e_fail "the $name storm did not end within 90 s"
	done
	wait "$pid" || rc=$?
	_netns_forget_pid "$pid"
	[ $rc = 0 ] || { cat "$NETNS_LOGDIR/$name.log" >&2; e2e_fail "handshake_storm.py ($name) failed: $rc"; }
	STORM_OUT=$(tail -n 1 "$NETNS_LOGDIR/$name.log")
	e2e_log "$name: $STORM_OUT; peaks: mbuf_in_use=${PEAK[mbuf_in_use]}" \
		"state_syn_sent=${PEAK[state_syn_sent]} pending_syn=${PEAK[pending_syn]}; $FETCHES fetches meanwhile"
}

# ---- phase 1: one worker, no half-open cap: the pool ----
atk_setup auto '"limits": { "max_half_open_per_prefix": 0 }'
# A bigger pool than px_config's: the old per-worker cap on SYN copies was a
# quarter of it, 8191 here, more than the storm.
sed -i "s/\"mempool_size\": 16383/\"mempool_size\": $POOL/" "$NETNS_LOGDIR/attack.json"
px_start "$NETNS_LOGDIR/attack.json"
nsx "$NS_SERVER" 10 -- nft -f - <<EOF
table inet storm {
	chain in {
		type filter hook input priority 0;
		tcp dport $SILENT_PORT drop
	}
}
EOF
# The attacker talks to the server as a client on its own /24 would.
ip -n "$NS_ATTACKER" route add "$SERVER_IP4/32" dev eth0
ip -n "$NS_ATTACKER" neigh replace "$SERVER_IP4" lladdr "$SERVER_MAC" nud permanent dev eth0
e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob" >/dev/null
px_mark
storm storm1 "$STORM1"
px_read
px_show syn_received ack_cookie_ok ack_cache_ok syn_to_server syn_to_server_retx syn_to_server_timeout \
	prefix_half_open_cap prefix_flow_cap alloc_fail syn_ratelimited
bound=$(mbuf_bound 1)
assert_ge "handshakes completed at the attacker (90%)" $((STORM1 * 9 / 10)) "$(atk_field "$STORM_OUT" connected)"
assert_ge "half-open flows at the peak" $((STORM1 / 2)) "${PEAK[state_syn_sent]}"
assert_ge "pending SYNs at the peak (held no mbuf)" $((STORM1 / 2)) "${PEAK[pending_syn]}"
assert_ge "SYN retransmissions (rebuilt from the flows)" 1 "$(px_delta syn_to_server_retx)"
assert_range "mbuf_in_use peak (bound $bound)" 0 "$bound" "${PEAK[mbuf_in_use]}"
assert_eq "alloc_fail" 0 "$(px_delta alloc_fail)"
assert_ge "real fetches during the storm" 3 "$FETCHES"
assert_eq "prefix_half_open_cap (cap off)" 0 "$(px_delta prefix_half_open_cap)"
assert_eq "half-open connections at the server" 0 "$(nsx "$NS_SERVER" 10 -- ss -Htn state syn-recv | wc -l)"

# ---- phase 2: two workers, the attacker's /24 capped ----
px_config "$NETNS_LOGDIR/capped.json" auto "\"limits\": { \"max_half_open_per_prefix\": $CAP }"
px_start "$NETNS_LOGDIR/capped.json" 2
e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob" >/dev/null
px_mark
storm storm2 "$STORM2"
px_read
px_show syn_received ack_cookie_ok syn_to_server syn_to_server_retx prefix_half_open_cap prefix_flow_cap \
	alloc_fail syn_ratelimited
bound=$(mbuf_bound 2)
assert_ge "handshakes completed at the attacker (90%)" $((STORM2 * 9 / 10)) "$(atk_field "$STORM_OUT" connected)"
assert_ge "prefix_half_open_cap (refusals)" $((STORM2 / 4)) "$(px_delta prefix_half_open_cap)"
assert_range "half-open flows at the peak (<= cap x workers)" 1 $((2 * CAP)) "${PEAK[state_syn_sent]}"
assert_range "mbuf_in_use peak (bound $bound)" 0 "$bound" "${PEAK[mbuf_in_use]}"
assert_eq "alloc_fail" 0 "$(px_delta alloc_fail)"
assert_ge "real fetches during the storm" 3 "$FETCHES"
e2e_ping "$NS_CLIENT" "$SERVER_IP4" 3

# No count leaked: once the half-open flows are gone, the prefix gets its
# full quota again.
px_wait_stat state_syn_sent -eq 0 30 || e2e_fail "half-open flows still there after 30 s"
px_mark
storm storm3 $((CAP / 2))
px_read
assert_eq "refusals after the expiry" 0 "$(px_delta prefix_half_open_cap)"
assert_ge "handshakes admitted after the expiry" $((CAP / 2)) "$(px_delta syn_to_server)"
e2e_pass
