#!/usr/bin/env bash
# proxy_teardown.sh - every way a proxied connection can end gives its flow
# back, and nothing it held (pending SYN copies, mbufs) stays behind.
#
# Short timeouts (fin 2 s, time_wait 2 s, close 2 s, syn_sent 2 s, SYN to
# the server resent every 200 ms, twice). Then:
#  - 5 HTTP fetches over IPv4 and IPv6: FIN teardown from both sides;
#  - tcpprobe.py clients that close with SO_LINGER 0 (an RST from the
#    client) over IPv4 and IPv6;
#  - curl to a port the server does not listen on: the proxy completes the
#    client's handshake, the server answers its SYN with an RST, and the
#    client must get an RST too (curl fails at once, no hang);
#  - a connection to 198.18.0.3, a LAN address nobody owns (the client's
#    neighbour entry points it at the server's MAC, which ignores it): the
#    proxy's SYN copies are resent and then given up.
# Asserted: the flow table empties (the "flows" of /synproxy/stats and every
# per-state count back to 0) within 15 s; fin_seen, rst_accepted,
# server_rst, probe_refused, syn_to_server_retx, syn_to_server_timeout grew as each case
# implies; pending_syn and syn_cache are 0; mbuf_in_use is back at its value
# before the traffic; /synproxy/stats names each value once.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

netns_setup
px_config "$NETNS_LOGDIR/teardown.json" auto '"timeouts": { "syn_sent": 2, "fin": 2, "time_wait": 2, "close": 2 },
		"syn_retransmit_ms": 200, "syn_retries": 2'
px_start "$NETNS_LOGDIR/teardown.json"
e2e_http_server 256
netns_bg probe "$NS_SERVER" 120 python3 "$PX_DIR/tcpprobe.py" server --port 9000
netns_wait_listen "$NS_SERVER" 9000 10
sleep 0.5
px_mark
mbuf0=$(px_now mbuf_in_use)
e2e_log "before: flows=$(px_now flows) mbuf_in_use=$mbuf0"

# FIN teardown.
for i in 1 2 3; do e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob" >/dev/null; done
for i in 1 2; do e2e_fetch "http://[$SERVER_IP6]:$HTTP_PORT/blob" >/dev/null; done
e2e_log "ok: 5 fetches intact"

# RST teardown from the client.
for addr in "$SERVER_IP4" "$SERVER_IP6"; do
	px_py "$NS_CLIENT" 20 tcpprobe.py client "$addr" 9000 --messages 2 --interval 0.1 --rst >/dev/null ||
		e2e_fail "tcpprobe --rst to $addr failed"
done
e2e_log "ok: 2 connections closed with an RST by the client"

# The server refuses: closed port. Twice: the first client's SYN is held
# while the proxy probes the unknown port (src/fwd/synproxy_probe.c), whose
# RST resets that client (probe_refused); the port is then not probed again
# for a while, so the second client's handshake completes at the proxy and
# the server refuses the proxy's SYN (server_rst).
for try in probe handshake; do
	t0=$(date +%s%N)
	rc=0
	nsx "$NS_CLIENT" 20 -- curl -sS --connect-timeout 5 --max-time 8 -o /dev/null "http://$SERVER_IP4:8099/" \
		2>"$NETNS_LOGDIR/closed.err" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ $rc != 0 ] || e2e_fail "curl to a closed port succeeded"
	[ $rc != 28 ] || e2e_fail "curl to a closed port timed out instead of getting an RST: $(cat "$NETNS_LOGDIR/closed.err")"
	assert_range "$try: ms until the client learnt the port is closed (no hang)" 0 4000 "$ms"
	e2e_log "ok: closed port ($try): curl exit $rc ($(tr -d '\n' <"$NETNS_LOGDIR/closed.err"))"
done

# A server that never answers.
ip -n "$NS_CLIENT" neigh replace 198.18.0.3 lladdr "$(netns_mac "$NS_SERVER" eth0)" nud permanent dev eth0
nsx "$NS_CLIENT" 10 -- curl -sS --connect-timeout 2 --max-time 2 -o /dev/null "http://198.18.0.3:$HTTP_PORT/" 2>/dev/null &&
	e2e_fail "a fetch from an address nobody owns succeeded"
e2e_log "ok: nobody at 198.18.0.3 (as expected)"

px_read
px_show flows fin_seen rst_accepted server_rst probe_refused syn_to_server_retx syn_to_server_timeout flows_closed flows_expired
px_wait_stat flows -eq 0 15 || {
	telemetry /synproxy/stats >&2
	e2e_fail "flows did not return to 0 within 15 s (stats above)"
}
e2e_log "ok: flow table empty again"
sleep 0.3
px_read
for st in syn_sent lan_syn established fin_wait time_wait closed; do
	assert_eq "state_$st" 0 "$(px_now "state_$st")"
done
assert_eq "pending_syn (SYN copies kept for retransmission)" 0 "$(px_now pending_syn)"
assert_eq "syn_cache entries" 0 "$(px_now syn_cache)"
assert_ge "fin_seen (5 fetches, a FIN each way)" 10 "$(px_delta fin_seen)"
assert_ge "rst_accepted (2 client RSTs)" 2 "$(px_delta rst_accepted)"
assert_eq "probe_refused (the closed port, first client)" 1 "$(px_delta probe_refused)"
assert_eq "server_rst (the closed port, second client)" 1 "$(px_delta server_rst)"
assert_ge "syn_to_server_retx (the silent server: 2 resends)" 2 "$(px_delta syn_to_server_retx)"
assert_eq "syn_to_server_timeout (the silent server)" 1 "$(px_delta syn_to_server_timeout)"
assert_ge "flows removed (closed or expired)" 9 $(($(px_delta flows_closed) + $(px_delta flows_expired)))
assert_eq "mbuf_in_use back at its value before the traffic" "$mbuf0" "$(px_now mbuf_in_use)"
# Every key once: a JSON reader keeps only one of two equal keys.
assert_eq "keys that appear twice in /synproxy/stats" "" "$PX_DUPS"
e2e_pass
