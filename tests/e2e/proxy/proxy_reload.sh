#!/usr/bin/env bash
# proxy_reload.sh - live reload (SIGHUP and /synproxy/reload) keeps every
# connection and applies the new policy at once; a bad file and a change
# that needs a restart are refused whole, and nothing changes.
#
# Two long-lived connections (proxied, to PROT; one over IPv4, one over IPv6)
# exchange an echo every 0.25 s (70 s) while the config flips 10 times between
# "PROT protected" and "PROT and FLIP protected", alternately by SIGHUP and by
# the telemetry command. After each reload: /synproxy/reload_status has the
# next generation and "applied", and a new connection to FLIP is proxied
# (syn_received) or bridged (syn_unprotected) as the new policy says. Then a
# file with a syntax error and one changing flow_table_size are refused, with
# the parser's line:column and the key's name; the generation stays, and a new
# connection to FLIP still follows the last applied policy. The long-lived
# connections must have every echo back.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

PROT=9000
FLIP=9100
CFG=$NETNS_LOGDIR/reload.json

netns_setup
netns_static_neigh
write_cfg() { # write_cfg with|without [extra synproxy members]
	local flip=""
	[ "$1" = with ] && flip=", { \"prefix\": \"$SERVER_IP4\", \"ports\": [$FLIP] }"
	px_config "$CFG" auto "\"services\": [
			{ \"prefix\": \"$SERVER_IP4\", \"ports\": [$PROT] },
			{ \"prefix\": \"$SERVER_IP6\", \"ports\": [$PROT] }$flip
		]${2:+,
		$2}"
}
status() { # status FIELD: that field of /synproxy/reload_status
	telemetry /synproxy/reload_status |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["/synproxy/reload_status"][sys.argv[1]])' "$1"
}
# A new connection to FLIP; echo "proxied" or "bridged" from the counters.
flip_conn() {
	px_mark
	px_py "$NS_CLIENT" 20 tcpprobe.py client "$SERVER_IP4" $FLIP >"$NETNS_LOGDIR/flip.json" 2>&1 ||
		{ cat "$NETNS_LOGDIR/flip.json" >&2; e2e_fail "a new connection to $FLIP failed"; }
	px_read
	if [ "$(px_delta syn_received)" = 1 ] && [ "$(px_delta syn_unprotected)" = 0 ]; then
		echo proxied
	elif [ "$(px_delta syn_received)" = 0 ] && [ "$(px_delta syn_unprotected)" = 1 ]; then
		echo bridged
	else
		echo "unclear: syn_received +$(px_delta syn_received) syn_unprotected +$(px_delta syn_unprotected)"
	fi
}

# SIGHUP goes to the proxy itself: PROXY_PID may be timeout(1), which would
# pass it on to its whole group and then kill the proxy after -k seconds.
hup() {
	local pid
	pid=$(pgrep -P "$PROXY_PID" | head -n 1)
	kill -HUP "${pid:-$PROXY_PID}"
}

write_cfg without
px_start "$CFG"
assert_eq "generation at start" 1 "$(status generation)"
netns_bg probe "$NS_SERVER" 120 python3 "$PX_DIR/tcpprobe.py" server --port $PROT --port $FLIP
netns_wait_listen "$NS_SERVER" $PROT 10
assert_eq "port $FLIP before any reload" bridged "$(flip_conn)"

px_mark
longs=()
for addr in "$SERVER_IP4" "$SERVER_IP6"; do
	netns_bg "long-${#longs[@]}" "$NS_CLIENT" 150 python3 "$PX_DIR/tcpprobe.py" client "$addr" $PROT \
		--messages 280 --interval 0.25 --timeout 20
	longs+=("$NETNS_BG_PID")
done
px_wait_stat proxied_established -ge $(($(px_now proxied_established) + 2)) 10 ||
	e2e_fail "the long-lived connections were not proxied"

gen=1
for ((i = 1; i <= 10; i++)); do
	if [ $((i % 2)) = 1 ]; then want=proxied; write_cfg with; else want=bridged; write_cfg without; fi
	if [ $((i % 2)) = 1 ]; then
		hup
		for ((t = 0; t < 50; t++)); do
			[ "$(status generation)" = $((gen + 1)) ] && break
			sleep 0.1
		done
	else
		telemetry /synproxy/reload >"$NETNS_LOGDIR/reload-$i.json"
	fi
	gen=$((gen + 1))
	assert_eq "reload $i: generation" $gen "$(status generation)"
	assert_eq "reload $i: result" applied "$(status last_reload_result)"
	assert_eq "reload $i: a new connection to $FLIP" $want "$(flip_conn)"
	for p in "${longs[@]}"; do
		kill -0 "$p" 2>/dev/null ||
			{ cat "$NETNS_LOGDIR"/long-*.log >&2; e2e_fail "a long-lived connection ended during reload $i"; }
	done
done
e2e_log "ok: 10 reloads (SIGHUP and /synproxy/reload) applied, new connections followed each at once"

# ---- refused: a broken file, a key that needs a restart ----
printf '{\n\t"ports": [ { "name": "net_af_packet0", "role": "lan" },\n\t"synproxy": { }\n}\n' >"$CFG"
telemetry /synproxy/reload >"$NETNS_LOGDIR/reload-bad.json"
assert_eq "broken file: result" refused "$(status last_reload_result)"
assert_eq "broken file: generation unchanged" $gen "$(status generation)"
status message >"$NETNS_LOGDIR/bad-msg.txt"
assert_contains "broken file: the parser's position" "reload.json:3:" "$NETNS_LOGDIR/bad-msg.txt"
write_cfg without '"flow_table_size": 131072'
sed -i 's/"flow_table_size": 65536,//' "$CFG"
hup
for ((t = 0; t < 50; t++)); do
	[ "$(status reloads_refused)" = 2 ] && break
	sleep 0.1
done
assert_eq "restart key: result" refused "$(status last_reload_result)"
status message >"$NETNS_LOGDIR/restart-msg.txt"
assert_contains "restart key: named" "synproxy.flow_table_size" "$NETNS_LOGDIR/restart-msg.txt"
assert_eq "refused reloads: generation unchanged" $gen "$(status generation)"
# the last applied config (generation 11: FLIP unprotected) still runs
assert_eq "after the refusals: a new connection to $FLIP" bridged "$(flip_conn)"
assert_contains "the proxy logged the refusal" "reload refused, the running config stays" "$NETNS_LOGDIR/proxy.log"
e2e_log "ok: a broken file and a restart-only change were refused; nothing changed"

for i in 0 1; do
	rc=0
	wait "${longs[$i]}" || rc=$?
	_netns_forget_pid "${longs[$i]}"
	cat "$NETNS_LOGDIR/long-$i.log"
	[ $rc = 0 ] || e2e_fail "long-lived connection $i failed across the reloads (rc $rc, log above)"
	assert_contains "long-lived connection $i: 280 messages echoed" '"echoed": 280' "$NETNS_LOGDIR/long-$i.log"
done
e2e_log "ok: both long-lived connections kept exchanging data across the reloads"
e2e_pass
