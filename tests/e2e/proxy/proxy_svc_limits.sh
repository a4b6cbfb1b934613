#!/usr/bin/env bash
# proxy_svc_limits.sh - per-service per-prefix caps (synproxy.services[].limits)
# through real stacks, judged by the server's capture and the counters.
#
# The server listens on CAPPED (a service with limits.max_flows_per_prefix 2)
# and FREE (a service without limits; the global caps are the defaults). One
# client address (one /24), held connections (svcconns.py):
#   1. two connections to CAPPED echo; a third one is blocked: its handshake
#      ACK and the data the client retransmits are dropped
#      (service_flow_cap), its SYN never reaches the server (capture); three
#      connections from the same client to FREE, while CAPPED is full, echo;
#   2. all closed and expired: two new ones to CAPPED echo, a third is
#      blocked again (the count went back to exactly 0, not below or above);
#   3. a reload raises CAPPED's cap to 3 with those three open: the blocked
#      one's retransmission gets in (its cookie is still valid), the two
#      others still echo (nothing torn down), a fourth is blocked.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

CAPPED=9000
FREE=9001

netns_setup
netns_static_neigh
CFG=$NETNS_LOGDIR/svc_limits.json
write_cfg() { # write_cfg CAP
	px_config "$CFG" cookie "\"timeouts\": { \"fin\": 1, \"time_wait\": 1, \"close\": 1 },
		\"services\": [
			{ \"prefix\": \"$SERVER_IP4\", \"ports\": [$CAPPED],
			  \"limits\": { \"max_flows_per_prefix\": $1 } },
			{ \"prefix\": \"$SERVER_IP4\", \"ports\": [$FREE] }
		]"
}
write_cfg 2
px_start "$CFG"
netns_bg probe "$NS_SERVER" 150 python3 "$PX_DIR/tcpprobe.py" server --port $CAPPED --port $FREE
for p in $CAPPED $FREE; do netns_wait_listen "$NS_SERVER" $p 10; done

conns() { # conns LOGNAME STEP... (foreground)
	px_py "$NS_CLIENT" 90 svcconns.py "$SERVER_IP4" --source "$CLIENT_IP4" "${@:2}" \
		>"$NETNS_LOGDIR/$1.txt" 2>&1 || { cat "$NETNS_LOGDIR/$1.txt" >&2; e2e_fail "svcconns.py ($1) failed"; }
}
# the status of NAME in an svcconns log: its last line "NAME ok|blocked|lost"
# (LOG: one.txt of conns, two.log of the background run)
st_of() { awk -v n="$2" '$1 == n { s = $2 } END { print s ? s : "none" }' "$NETNS_LOGDIR/$1"; }
# client address.ports whose SYN reached the server on PORT, in a capture
# (distinct: a SYN the proxy retransmits counts once)
syns_at() {
	tcpdump -n -r "$1" "tcp dst port $2 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn" 2>/dev/null |
		awk '{ print $3 }' | sort -u | wc -l
}

# ---- 1. the cap per (prefix, service) ----
px_cap_start cap-srv "$NS_SERVER" tcp port $CAPPED or tcp port $FREE
px_mark
conns one open:a1:$CAPPED open:a2:$CAPPED open:a3:$CAPPED \
	open:b1:$FREE open:b2:$FREE open:b3:$FREE check:a1 check:a2 \
	close:a1 close:a2 abort:a3 close:b1 close:b2 close:b3
px_cap_stop cap-srv
px_read
px_show service_flow_cap prefix_flow_cap syn_received ack_cookie_ok syn_to_server proxied_established
for n in a1 a2 b1 b2 b3; do assert_eq "$n echoes" ok "$(st_of one.txt $n)"; done
assert_eq "a3 (third to $CAPPED) blocked" blocked "$(st_of one.txt a3)"
assert_ge "service_flow_cap (a3's ACK and its retransmissions)" 1 "$(px_delta service_flow_cap)"
assert_eq "prefix_flow_cap (the global caps are not involved)" 0 "$(px_delta prefix_flow_cap)"
assert_eq "syn_to_server" 5 "$(px_delta syn_to_server)"
assert_eq "connections whose SYN reached $CAPPED at the server" 2 "$(syns_at "$NETNS_LOGDIR/cap-srv.pcap" $CAPPED)"
assert_eq "connections whose SYN reached $FREE at the server" 3 "$(syns_at "$NETNS_LOGDIR/cap-srv.pcap" $FREE)"
e2e_log "ok: 2 connections to $CAPPED, the 3rd held back before the server; 3 to $FREE from the same client"

# ---- 2. released: the cap admits 2 again, not 1 or 3 ----
px_wait_stat flows -eq 0 15 || e2e_fail "flows still in the table after close: $(px_now flows)"
rm -f "$NETNS_LOGDIR/sync" "$NETNS_LOGDIR/sync.ready"
px_mark
netns_bg two "$NS_CLIENT" 90 python3 "$PX_DIR/svcconns.py" "$SERVER_IP4" --source "$CLIENT_IP4" --late 25 \
	open:c1:$CAPPED open:c2:$CAPPED open:c3:$CAPPED sync:"$NETNS_LOGDIR/sync" \
	check:c3 check:c1 check:c2 open:c4:$CAPPED close:c1 close:c2 close:c3 abort:c4
TWO_PID=$NETNS_BG_PID
for ((i = 0; i < 300; i++)); do
	[ -f "$NETNS_LOGDIR/sync.ready" ] && break
	kill -0 "$TWO_PID" 2>/dev/null || break
	sleep 0.1
done
[ -f "$NETNS_LOGDIR/sync.ready" ] || { cat "$NETNS_LOGDIR/two.log" >&2; e2e_fail "svcconns.py never reached its sync point"; }
px_read
assert_eq "c1 echoes" ok "$(st_of two.log c1)"
assert_eq "c2 echoes" ok "$(st_of two.log c2)"
assert_eq "c3 blocked" blocked "$(st_of two.log c3)"
assert_ge "service_flow_cap" 1 "$(px_delta service_flow_cap)"
e2e_log "ok: after all closed, 2 new connections to $CAPPED, the 3rd blocked again"

# ---- 3. a reload raises the cap with them open ----
write_cfg 3
telemetry /synproxy/reload >"$NETNS_LOGDIR/reload.json"
res=$(telemetry /synproxy/reload_status |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["/synproxy/reload_status"]["last_reload_result"])')
assert_eq "reload result" applied "$res"
touch "$NETNS_LOGDIR/sync"
wait "$TWO_PID" || { cat "$NETNS_LOGDIR/two.log" >&2; e2e_fail "svcconns.py (after the reload) failed"; }
px_read
px_show service_flow_cap syn_to_server proxied_established
assert_eq "c3 (blocked before the reload) echoes" ok "$(st_of two.log c3)"
assert_eq "c1 still echoes" ok "$(st_of two.log c1)"
assert_eq "c2 still echoes" ok "$(st_of two.log c2)"
assert_eq "c4 (fourth, cap 3) blocked" blocked "$(st_of two.log c4)"
assert_eq "syn_to_server (c1, c2, c3)" 3 "$(px_delta syn_to_server)"
e2e_log "ok: reload to cap 3: the blocked connection got in, the open ones kept echoing, a 4th was held back"
px_wait_stat flows -eq 0 15 || e2e_fail "flows still in the table at the end: $(px_now flows)"
e2e_pass
