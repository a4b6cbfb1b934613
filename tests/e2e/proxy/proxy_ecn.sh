#!/usr/bin/env bash
# proxy_ecn.sh - ECN through the proxy with real Linux stacks
# (net.ipv4.tcp_ecn=1 at both ends: they ask for ECN and accept it, over
# IPv4 and IPv6 alike).
#
# The proxy tells a client yes to ECN only for a server it has learned to do
# ECN, asks an unknown server whatever the client asked, and clears the
# marks on a connection whose two ends disagree (src/fwd/ecn.h). Captures at
# the client and at the server, read by pcap_ecn.py, and both ends' own
# view (TCP_INFO's TCPI_OPT_ECN, tcpprobe.py) show it. Two server ports, each
# a learned-table entry of its own: an HTTP download (8080, the client sends
# its request, the server the file) and tcpprobe's echo (7001, 512 KiB
# uploaded and sent back: data both ways), over IPv4, and the echo again
# over IPv6.
#
#  A. The server does ECN. The first connection to a port teaches the
#     proxy: its client is told no, the SYN at the server carries ECE|CWR,
#     the server answers yes and marks its data ECT, and the proxy clears
#     those marks before the client (not-ECT at the client). The second
#     connection is ECN end to end: the client's SYN-ACK has ECE, the SYN at
#     the server ECE|CWR, ECT-marked data reach the server from the client
#     and the client from the server, both ends report ECN on.
#  B. The server turns ECN off (tcp_ecn=0: it neither asks nor accepts).
#     The next connection's client is still told yes (the table says so),
#     the server refuses; the client marks its data ECT (seen at the
#     client) and the server sees no ECT, ECE or CWR from it; the transfer
#     completes intact. The connection after that is told no (a learned
#     "no", not yet due for its re-probe) and its SYN at the server asks
#     nothing.
# Counters: ecn_on for the three end-to-end connections, ecn_scrubbed for
# the three first contacts and the two refusals, ecn_cleared > 0.
# A and B run with synproxy.probe off: the proxy answers before the server
# has said anything (what it always does under attack), so a first contact
# is a disagreement to scrub.
#  C. With probes on (the default; src/fwd/synproxy_probe.c) the proxy asks
#     a server it does not know before it answers: the FIRST connection is
#     ECN end to end, and the probe counted.
# Runs in about 25 s.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

ECHO_PORT=7001
BULK=524288

netns_setup
nsx "$NS_CLIENT" sysctl -qw net.ipv4.tcp_ecn=1
nsx "$NS_SERVER" sysctl -qw net.ipv4.tcp_ecn=1
e2e_http_server 1024
netns_bg probe "$NS_SERVER" 250 python3 "$PX_DIR/tcpprobe.py" server --port $ECHO_PORT
netns_wait_listen "$NS_SERVER" $ECHO_PORT 10
px_config "$NETNS_LOGDIR/auto.json" auto '"probe": false'
px_start "$NETNS_LOGDIR/auto.json"
px_cap_start cli "$NS_CLIENT" "tcp port $HTTP_PORT or tcp port $ECHO_PORT"
px_cap_start srv "$NS_SERVER" "tcp port $HTTP_PORT or tcp port $ECHO_PORT"
px_mark

# One echo connection: echo NAME ADDR -> $NETNS_LOGDIR/NAME.json
echo_conn() {
	local out=$NETNS_LOGDIR/$1.json
	px_py "$NS_CLIENT" 30 tcpprobe.py client "$2" $ECHO_PORT --bytes $BULK >"$out" ||
		{ cat "$out" >&2; e2e_fail "$1: tcpprobe to $2 failed"; }
	[ "$(jq -r .bulk_ok "$out")" = true ] || e2e_fail "$1: the $BULK-byte echo came back wrong"
}
# What an end said: ends NAME -> "client=C server=S" (TCPI_OPT_ECN)
ends() { jq -r '"client=\(.client.ecn) server=\(.server.ecn)"' "$NETNS_LOGDIR/$1.json"; }

# A. the server does ECN
e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob"
e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob"
echo_conn a4-1 "$SERVER_IP4"
echo_conn a4-2 "$SERVER_IP4"
echo_conn a6-1 "$SERVER_IP6"
echo_conn a6-2 "$SERVER_IP6"
assert_eq "A, echo v4, first contact: ECN at the ends" "client=0 server=1" "$(ends a4-1)"
assert_eq "A, echo v4, second: ECN at the ends" "client=1 server=1" "$(ends a4-2)"
assert_eq "A, echo v6, first contact: ECN at the ends" "client=0 server=1" "$(ends a6-1)"
assert_eq "A, echo v6, second: ECN at the ends" "client=1 server=1" "$(ends a6-2)"

# B. the server refuses ECN from now on
nsx "$NS_SERVER" sysctl -qw net.ipv4.tcp_ecn=0
echo_conn b4-1 "$SERVER_IP4"
echo_conn b4-2 "$SERVER_IP4"
e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob"
e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob"
assert_eq "B, echo, told yes, server refuses: ECN at the ends" "client=1 server=0" "$(ends b4-1)"
assert_eq "B, echo, learned no: ECN at the ends" "client=0 server=0" "$(ends b4-2)"

px_cap_stop cli
px_cap_stop srv
px_read
px_show ecn_on ecn_scrubbed ecn_cleared ecn_ce_drop proxied_established
for side in cli srv; do
	for port in $HTTP_PORT $ECHO_PORT; do
		python3 "$PX_DIR/pcap_ecn.py" "$NETNS_LOGDIR/$side.pcap" "$port" >"$NETNS_LOGDIR/ecn-$side-$port.json" ||
			e2e_fail "no connection to port $port in the $side capture"
	done
done

# q SIDE PORT IDX JQ: one field of connection IDX (capture order) to PORT.
q() { jq -c ".[$3] | $4" "$NETNS_LOGDIR/ecn-$1-$2.json"; }
# conn_check WHAT PORT IDX ...: every remaining pair is "SIDE:JQ EXPECTED".
conn_check() {
	local what=$1 port=$2 idx=$3 a
	shift 3
	for a in "$@"; do
		local sel=${a%% *} want=${a#* }
		assert_eq "$what: ${sel#*:} at the ${sel%%:*}" "$want" "$(q "${sel%%:*}" "$port" "$idx" "${sel#*:}")"
	done
}
H=$HTTP_PORT E=$ECHO_PORT
assert_eq "connections to $H at the server" 4 "$(jq length "$NETNS_LOGDIR/ecn-srv-$H.json")"
assert_eq "connections to $E at the server" 6 "$(jq length "$NETNS_LOGDIR/ecn-srv-$E.json")"

# A, first contact (download and echo v4/v6): told no, the server asked and
# marking, its marks cleared before the client.
for i in "$H 0" "$E 0" "$E 2"; do
	read -r port idx <<<"$i"
	set -- "$port" "$idx"
	conn_check "A, port $1 #$2, first contact" "$1" "$2" \
		"cli:.synack [0,0]" "srv:.syn [1,1]" "srv:.synack [1,0]" \
		"cli:.from_server.ip_marked 0" "cli:.from_server.ece 0" "cli:.from_server.cwr 0"
	assert_ge "A, port $1 #$2: ECT data the server sent" 1 "$(q srv "$1" "$2" .from_server.ect)"
done
# A, second connection: ECN end to end.
for i in "$H 1" "$E 1" "$E 3"; do
	read -r port idx <<<"$i"
	set -- "$port" "$idx"
	conn_check "A, port $1 #$2, learned yes" "$1" "$2" \
		"cli:.syn [1,1]" "cli:.synack [1,0]" "srv:.syn [1,1]" "srv:.synack [1,0]"
	for side in srv cli; do
		for from in from_client from_server; do
			data=$(q $side "$1" "$2" .$from.data)
			ect=$(q $side "$1" "$2" .$from.ect)
			ce=$(q $side "$1" "$2" .$from.ce)
			# data segments are ECT (or CE); only retransmissions go
			# out not-ECT (RFC 3168 6.1.5): allow a few on a busy box
			assert_range "A, port $1 #$2: ECT/CE data $from at the $side (of $data)" \
				$(((data * 9 + 9) / 10)) "$data" $((ect + ce))
		done
	done
done
assert_ge "A, echo v4 #2: ECT data from the client at the server" $((BULK / 1500)) "$(q srv $E 1 .from_client.ect)"
assert_ge "A, echo v4 #2: ECT data from the server at the client" $((BULK / 1500)) "$(q cli $E 1 .from_server.ect)"

# B, told yes, the server refuses: the client marks, the server sees nothing.
for i in "$E 4" "$H 2"; do
	read -r port idx <<<"$i"
	set -- "$port" "$idx"
	conn_check "B, port $1 #$2, told yes, server refuses" "$1" "$2" \
		"cli:.syn [1,1]" "cli:.synack [1,0]" "srv:.syn [1,1]" "srv:.synack [0,0]" \
		"srv:.from_client.ip_marked 0" "srv:.from_client.ece 0" "srv:.from_client.cwr 0" \
		"srv:.from_server.ip_marked 0"
	assert_ge "B, port $1 #$2: ECT data the client sent" 1 "$(q cli "$1" "$2" .from_client.ect)"
done
assert_ge "B, echo: the client's ECT data (at the client)" $((BULK / 1500)) "$(q cli $E 4 .from_client.ect)"
# B, the next connection: a learned no, nothing asked.
for i in "$E 5" "$H 3"; do
	read -r port idx <<<"$i"
	set -- "$port" "$idx"
	conn_check "B, port $1 #$2, learned no" "$1" "$2" \
		"cli:.syn [1,1]" "cli:.synack [0,0]" "srv:.syn [0,0]" "srv:.synack [0,0]" \
		"srv:.from_client.ip_marked 0" "cli:.from_server.ip_marked 0"
done

assert_eq "ecn_on (the three second connections of A)" 3 "$(px_delta ecn_on)"
assert_eq "ecn_scrubbed (three first contacts, two refusals)" 5 "$(px_delta ecn_scrubbed)"
assert_ge "ecn_cleared" $((BULK / 1500)) "$(px_delta ecn_cleared)"
assert_eq "proxied_established" 10 "$(px_delta proxied_established)"

# C. probes on, a new proxy (nothing learned), the server does ECN again.
nsx "$NS_SERVER" sysctl -qw net.ipv4.tcp_ecn=1
px_config "$NETNS_LOGDIR/probe.json" auto
px_start "$NETNS_LOGDIR/probe.json"
px_mark
echo_conn c4-1 "$SERVER_IP4"
echo_conn c6-1 "$SERVER_IP6"
px_read
px_show probe_sent probe_answered ecn_on ecn_scrubbed proxied_established
assert_eq "C, echo v4, first contact probed: ECN at the ends" "client=1 server=1" "$(ends c4-1)"
assert_eq "C, echo v6, first contact probed: ECN at the ends" "client=1 server=1" "$(ends c6-1)"
assert_eq "C: probes answered (v4 and v6 servers)" 2 "$(px_delta probe_answered)"
assert_eq "C: ecn_on" 2 "$(px_delta ecn_on)"
assert_eq "C: ecn_scrubbed" 0 "$(px_delta ecn_scrubbed)"
e2e_pass
