#!/usr/bin/env bash
# proxy_probe.sh - the proxy learns a server's options before it promises
# them (src/fwd/synproxy_probe.c), so the promise holds on the very first
# connection, and again after the server changed.
#
# Per option (timestamps, SACK, window scaling), on its own server port,
# with the client's stack doing all three:
#  - the server's namespace turns the option off; the FIRST connection
#    through the proxy (a 4 MiB fetch, sha256 checked) must get a SYN-ACK
#    without it (capture at the client), and in a connection with
#    timestamps every server segment the client receives carries one
#    (pcap_tcp.py tsall);
#  - the capture at the server shows the probe: the proxy's own SYN on the
#    client's tuple, the server's SYN-ACK, the proxy's RST at the probe's
#    ISN + 1, then the real handshake (pcap_tcp.py handshake);
#    probe_sent / probe_answered count it;
#  - the server turns the option back on; past the re-probe interval
#    (timeouts.reprobe, 2 s here) the next connection is probed again and
#    gets the option.
# Runs in about 40 s.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

REPROBE=2
declare -A PORT=([ts]=8081 [sack]=8082 [ws]=8083)
declare -A SYSCTL=([ts]=net.ipv4.tcp_timestamps [sack]=net.ipv4.tcp_sack
	[ws]=net.ipv4.tcp_window_scaling)

netns_setup
nsx "$NS_CLIENT" sysctl -qw net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=1
e2e_http_server 4096
for o in ts sack ws; do
	netns_bg "http-$o" "$NS_SERVER" 250 python3 -m http.server --bind :: --directory "$HTTP_DIR" "${PORT[$o]}"
	netns_wait_listen "$NS_SERVER" "${PORT[$o]}" 15
done
px_config "$NETNS_LOGDIR/auto.json" auto "\"timeouts\": { \"reprobe\": $REPROBE, \"probe_ms\": 500 }"
px_start "$NETNS_LOGDIR/auto.json"

# The options of the SYN-ACK the client got on port P in capture C, as
# "ts sack wscale": synack_opts C P
synack_opts() {
	px_pcap synopts "$1" "$2" | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin) if x["dir"] == "synack"]
if len(s) != 1:
    sys.exit("expected one SYN-ACK, got %d" % len(s))
print(int(s[0]["ts"]), int(s[0]["sack"]), -1 if s[0]["wscale"] is None else s[0]["wscale"])'
}

# One fetch on port P, captured at both ends as NAME-{cli,srv}: fetch_cap NAME P
fetch_cap() {
	local name=$1 port=$2
	px_cap_start "$name-cli" "$NS_CLIENT" tcp port "$port"
	px_cap_start "$name-srv" "$NS_SERVER" tcp port "$port"
	px_mark
	e2e_fetch "http://$SERVER_IP4:$port/blob"
	px_cap_stop "$name-cli"
	px_cap_stop "$name-srv"
	px_read
	px_show syn_received probe_sent probe_answered probe_timeout probe_dup_syn probe_bad \
		synack_sent_cache synack_sent_cookie proxied_established
	assert_eq "$name: one probe sent" 1 "$(px_delta probe_sent)"
	assert_eq "$name: and answered" 1 "$(px_delta probe_answered)"
	assert_eq "$name: one connection" 1 "$(px_delta proxied_established)"
	px_pcap handshake "$NETNS_LOGDIR/$name-cli.pcap" "$NETNS_LOGDIR/$name-srv.pcap" "$port" \
		>"$NETNS_LOGDIR/$name-hs.txt" || { cat "$NETNS_LOGDIR/$name-hs.txt" >&2; e2e_fail "$name: handshake at the server"; }
	assert_contains "$name: the server saw the probe, then the handshake" "(probe first)" "$NETNS_LOGDIR/$name-hs.txt"
	px_pcap tsall "$NETNS_LOGDIR/$name-cli.pcap" "$port" >"$NETNS_LOGDIR/$name-ts.txt" ||
		{ cat "$NETNS_LOGDIR/$name-ts.txt" >&2; e2e_fail "$name: a server segment without TS in a TS connection"; }
}

for o in ts sack ws; do
	port=${PORT[$o]}
	nsx "$NS_SERVER" sysctl -qw "${SYSCTL[$o]}=0"
	fetch_cap "$o-off" "$port"
	read -r ts sack ws < <(synack_opts "$NETNS_LOGDIR/$o-off-cli.pcap" "$port")
	e2e_log "$o off at the server: first SYN-ACK to the client: ts=$ts sack=$sack wscale=$ws"
	case $o in
	ts) assert_eq "no timestamps promised on the first connection" 0 "$ts"
	    assert_eq "SACK still promised" 1 "$sack" ;;
	sack) assert_eq "no SACK promised on the first connection" 0 "$sack"
	      assert_eq "timestamps still promised" 1 "$ts" ;;
	ws) assert_eq "no window scaling promised on the first connection" -1 "$ws"
	    assert_eq "timestamps still promised" 1 "$ts" ;;
	esac

	nsx "$NS_SERVER" sysctl -qw "${SYSCTL[$o]}=1"
	sleep $((REPROBE + 1))
	fetch_cap "$o-on" "$port"
	read -r ts sack ws < <(synack_opts "$NETNS_LOGDIR/$o-on-cli.pcap" "$port")
	e2e_log "$o back on, past the re-probe: SYN-ACK to the client: ts=$ts sack=$sack wscale=$ws"
	assert_eq "$o back on: timestamps promised" 1 "$ts"
	assert_eq "$o back on: SACK promised" 1 "$sack"
	[ "$ws" -ge 0 ] || e2e_fail "$o back on: no window scale promised"
done
e2e_pass
