#!/usr/bin/env bash
# proxy_relearn.sh - when a server turns an option back on, connections
# through the proxy get it back.
#
# The proxy announces to clients the options it learned from a server's
# earlier SYN-ACKs (README, "How the proxy behaves"). A server can change:
# SACK, timestamps or window scaling switched off for a while and on again
# (a sysctl, a restart, another machine behind the same address). Per
# option, on its own server port: the server turns it off, a priming
# connection teaches the proxy, a second connection must then negotiate it
# off (as with no proxy); the server turns it on again and, within
# RELEARN_CONNS connections made 1 s apart, connections through the proxy
# must negotiate it again - the same options as a port whose server never
# changed (the reference, itself checked against no proxy by proxy_options).
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

RELEARN_CONNS=${RELEARN_CONNS:-15}
declare -A PORT=([sack]=7001 [ts]=7002 [ws]=7003) SYSCTL=([sack]=net.ipv4.tcp_sack
	[ts]=net.ipv4.tcp_timestamps [ws]=net.ipv4.tcp_window_scaling) BIT=([ts]=1 [sack]=2 [ws]=4)
REF_PORT=7004

netns_setup
px_config "$NETNS_LOGDIR/auto.json" auto
px_start "$NETNS_LOGDIR/auto.json"
netns_bg probe "$NS_SERVER" 120 python3 "$PX_DIR/tcpprobe.py" server \
	--port 7001 --port 7002 --port 7003 --port $REF_PORT
netns_wait_listen "$NS_SERVER" $REF_PORT 10

# The client's tcpi_options of one connection: client_opts PORT
client_opts() {
	px_py "$NS_CLIENT" 20 tcpprobe.py client "$SERVER_IP4" "$1" >"$NETNS_LOGDIR/c.json" ||
		e2e_fail "tcpprobe to port $1 failed"
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["client"]["options"])' "$NETNS_LOGDIR/c.json"
}

client_opts $REF_PORT >/dev/null
ref=$(client_opts $REF_PORT)
assert_eq "reference: timestamps, SACK and window scaling through the proxy" 7 "$ref"

for o in sack ts ws; do
	port=${PORT[$o]}
	nsx "$NS_SERVER" sysctl -qw "${SYSCTL[$o]}=0"
	client_opts "$port" >/dev/null
	assert_eq "$o off at the server: the client negotiates it off" $((ref & ~BIT[$o])) "$(client_opts "$port")"
	nsx "$NS_SERVER" sysctl -qw "${SYSCTL[$o]}=1"
	got=
	for ((i = 1; i <= RELEARN_CONNS; i++)); do
		got=$(client_opts "$port")
		[ "$got" != "$ref" ] || break
		sleep 1
	done
	[ "$got" = "$ref" ] || e2e_fail "$o back on at the server, but after $RELEARN_CONNS connections" \
		"over ${RELEARN_CONNS}s the client still negotiates options=$got (reference $ref):" \
		"the proxy keeps announcing what it learned before and never learns the option back"
	e2e_log "ok: $o back on: negotiated again after $i connection(s)"
done
e2e_pass
