#!/usr/bin/env bash
# proxy_rotation.sh - cookie mode with the shortest secret period (2 s):
# rotations break nothing that should live, and end the cookies that should
# die.
#
# The proxy rotates its SipHash key every cookie_period seconds; a cookie
# validates in the period it was made and the next one. So an ACK sent less
# than one period after its SYN-ACK always validates, one sent two periods
# or more after never does. Over about 9 s (4 rotations or more):
#  - two long-lived connections (tcpprobe.py, IPv4 and IPv6) exchange a
#    message every second for 8 s and then 256 KiB echoed back: their state
#    is in the flow table, not in a cookie, so rotations must not matter;
#  - new connections keep opening: a fetch every ~0.3 s, alternating IPv4
#    and IPv6, each checked, all of them handshaken with cookies;
#  - rawtcp.py makes three handshakes from 198.18.0.9 (an address no stack
#    owns) whose final ACK waits 0.2 s, 1.5 s and 5 s after the SYN-ACK: the
#    first two must be accepted (the proxy opens the server side and sends
#    the window update), the third, two periods stale, must be refused and
#    counted as ack_bad_cookie.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

netns_setup
px_config "$NETNS_LOGDIR/rotation.json" cookie '"cookie_period": 2'
px_start "$NETNS_LOGDIR/rotation.json"
assert_eq "cookie_period in the effective config" 2 "$(telemetry -k synproxy/cookie_period /synproxy/config)"
e2e_http_server 128
netns_bg probe "$NS_SERVER" 120 python3 "$PX_DIR/tcpprobe.py" server --port 9000
netns_wait_listen "$NS_SERVER" 9000 10
# The raw handshakes' address: the server reaches it at the client's MAC.
RAW_IP=198.18.0.9
ip -n "$NS_SERVER" neigh replace "$RAW_IP" lladdr "$(netns_mac "$NS_CLIENT" eth0)" nud permanent dev eth0

px_mark
t0=$SECONDS
longs=()
for addr in "$SERVER_IP4" "$SERVER_IP6"; do
	netns_bg "long-${#longs[@]}" "$NS_CLIENT" 40 python3 "$PX_DIR/tcpprobe.py" client "$addr" 9000 \
		--messages 9 --interval 1 --bytes 262144 --timeout 15
	longs+=("$NETNS_BG_PID")
done
netns_bg raw "$NS_CLIENT" 30 python3 "$PX_DIR/rawtcp.py" handshake eth0 "$RAW_IP" \
	"$(netns_mac "$NS_SERVER" eth0)" "$SERVER_IP4" "$HTTP_PORT" 0.2 1.5 5
raw_pid=$NETNS_BG_PID

fetches=0
while kill -0 "${longs[0]}" 2>/dev/null || kill -0 "${longs[1]}" 2>/dev/null; do
	if [ $((fetches % 2)) = 0 ]; then
		e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob" >/dev/null
	else
		e2e_fetch "http://[$SERVER_IP6]:$HTTP_PORT/blob" >/dev/null
	fi
	fetches=$((fetches + 1))
	sleep 0.3
	[ $((SECONDS - t0)) -lt 40 ] || e2e_fail "the long-lived connections did not finish within 40 s"
done
elapsed=$((SECONDS - t0))
e2e_log "ok: $fetches new connections during ${elapsed}s, all intact"
assert_ge "seconds covered (>= 4 periods of 2 s)" 8 "$elapsed"

for i in 0 1; do
	rc=0
	wait "${longs[$i]}" || rc=$?
	_netns_forget_pid "${longs[$i]}"
	cat "$NETNS_LOGDIR/long-$i.log"
	[ $rc = 0 ] || e2e_fail "long-lived connection $i failed across the rotations (rc $rc, log above)"
	assert_contains "long-lived connection $i: 9 messages echoed" '"echoed": 9, "bulk_ok": true' "$NETNS_LOGDIR/long-$i.log"
done

rc=0
wait "$raw_pid" || rc=$?
_netns_forget_pid "$raw_pid"
cat "$NETNS_LOGDIR/raw.log"
[ $rc = 0 ] || e2e_fail "rawtcp.py failed (rc $rc, log above)"
raw_result() { # raw_result DELAY FIELD
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
	r = json.loads(l)
	if r["delay"] == float(sys.argv[2]):
		print(str(r[sys.argv[3]]).lower())' "$NETNS_LOGDIR/raw.log" "$1" "$2"
}
for d in 0.2 1.5 5; do
	assert_eq "raw handshake, ACK after ${d}s: SYN-ACK received" true "$(raw_result $d synack)"
done
assert_eq "raw handshake, ACK 0.2 s after the SYN-ACK: accepted" true "$(raw_result 0.2 established)"
assert_eq "raw handshake, ACK 1.5 s after the SYN-ACK (< 1 period): accepted" true "$(raw_result 1.5 established)"
assert_eq "raw handshake, ACK 5 s after the SYN-ACK (>= 2 periods): refused" false "$(raw_result 5 established)"

px_read
px_show syn_received synack_sent_cookie ack_cookie_ok ack_bad_cookie proxied_established rst_accepted
assert_eq "synack_sent_cache (cookie mode)" 0 "$(px_delta synack_sent_cache)"
assert_ge "ack_cookie_ok (fetches + 2 long-lived + 2 raw)" $((fetches + 4)) "$(px_delta ack_cookie_ok)"
assert_ge "ack_bad_cookie (the stale raw ACK)" 1 "$(px_delta ack_bad_cookie)"
assert_ge "proxied_established" $((fetches + 4)) "$(px_delta proxied_established)"
e2e_pass
