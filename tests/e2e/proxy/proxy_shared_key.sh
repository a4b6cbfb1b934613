#!/usr/bin/env bash
# proxy_shared_key.sh - with synproxy.secret_file, a cookie made by one
# process validates in another: a handshake whose SYN-ACK came from a proxy
# that is then stopped completes through the proxy started after it, on the
# same key; on a different key the same ACK is refused (ack_bad_cookie).
#
# rawtcp.py (as in proxy_rotation.sh) sends a SYN from 198.18.0.9, gets the
# first proxy's SYN-ACK and sends the ACK DELAY seconds later. Meanwhile the
# first proxy is stopped (SIGTERM) and the second started. cookie_period is
# 30 s, so DELAY (8 s) is well inside the one-period validity; the restart
# itself must fit in DELAY, which the test checks so a slow start cannot pass
# for a refused cookie.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

DELAY=8
netns_setup
for k in key1 key2; do
	install -m 600 /dev/null "$NETNS_LOGDIR/$k"
	head -c 32 /dev/urandom >"$NETNS_LOGDIR/$k"
done
for k in key1 key2; do
	px_config "$NETNS_LOGDIR/$k.json" cookie "\"cookie_period\": 30, \"secret_file\": \"$NETNS_LOGDIR/$k\""
done
e2e_http_server 16
RAW_IP=198.18.0.9
ip -n "$NS_SERVER" neigh replace "$RAW_IP" lladdr "$(netns_mac "$NS_CLIENT" eth0)" nud permanent dev eth0

# handover LABEL SECOND-CONFIG: RESULT=true if the handshake completed;
# PX_NOW holds the second process's counters.
handover() {
	local label=$1 second=$2 rc=0 t0 sent
	px_start "$NETNS_LOGDIR/key1.json"
	assert_contains "first proxy ($label)" "derived from the shared key" "$NETNS_LOGDIR/proxy.log"
	px_read
	sent=$(px_now synack_sent_cookie)
	netns_bg "raw-$label" "$NS_CLIENT" 40 python3 "$PX_DIR/rawtcp.py" handshake eth0 "$RAW_IP" \
		"$(netns_mac "$NS_SERVER" eth0)" "$SERVER_IP4" "$HTTP_PORT" "$DELAY"
	local raw=$NETNS_BG_PID
	px_wait_stat synack_sent_cookie -ge $((sent + 1)) 10 ||
		e2e_fail "$label: the first proxy sent no SYN-ACK within 10 s"
	t0=$(date +%s.%N)
	px_start "$second"
	python3 -c "import sys; d = float(sys.argv[2]) - float(sys.argv[1]); sys.exit(0 if d < $DELAY - 1 else 1)" \
		"$t0" "$(date +%s.%N)" || e2e_fail "$label: the restart took longer than the ACK's delay"
	px_mark
	wait "$raw" || rc=$?
	_netns_forget_pid "$raw"
	cat "$NETNS_LOGDIR/raw-$label.log"
	[ $rc = 0 ] || e2e_fail "$label: rawtcp.py failed (rc $rc)"
	px_read
	RESULT=$(python3 -c 'import json, sys; r = json.loads(open(sys.argv[1]).readline()); print(str(r["synack"] and r["established"]).lower())' \
		"$NETNS_LOGDIR/raw-$label.log")
}

handover same "$NETNS_LOGDIR/key1.json"
assert_eq "same key: the handshake from the old process completes in the new one" true "$RESULT"
px_show ack_cookie_ok ack_bad_cookie proxied_established
assert_ge "same key: ack_cookie_ok in the second process" 1 "$(px_now ack_cookie_ok)"
assert_eq "same key: ack_bad_cookie in the second process" 0 "$(px_now ack_bad_cookie)"

handover other "$NETNS_LOGDIR/key2.json"
assert_eq "different key: the handshake is refused" false "$RESULT"
px_show ack_cookie_ok ack_bad_cookie
assert_ge "different key: ack_bad_cookie in the second process" 1 "$(px_now ack_bad_cookie)"
assert_eq "different key: ack_cookie_ok in the second process" 0 "$(px_now ack_cookie_ok)"
e2e_pass
