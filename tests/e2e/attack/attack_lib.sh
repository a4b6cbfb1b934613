# shellcheck shell=bash
#
# attack_lib.sh - what the attack tests share, on top of the proxy tests'
# library (../proxy/proxy_lib.sh: harness, topology, proxy config and
# counters, captures).
#
# The topology is the usual one (scripts/lib/netns.sh) plus an attacker on
# the WAN switch: namespace "attacker", 198.19.0.1/16 and 2001:2:0:1000::1/52,
# next to the real client. The attacker runs atk.py (scapy; see the comment
# at its top for how to add a test) with /usr/bin/python3, where Debian's
# python3-scapy lives. A capture in the server namespace (atk_cap_start /
# atk_cap_stop) records everything that reached the server; atk_cap_stop
# prints a summary of what came from anyone but the real client and what the
# server sent back to such sources, and atk_seen KEY reads one figure of it.

# shellcheck source=../proxy/proxy_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../proxy/proxy_lib.sh"
ATK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ATK_PY=${ATK_PY:-/usr/bin/python3}
NS_ATTACKER=${NETNS_PREFIX}attacker
ATTACKER_IP4=198.19.0.1
ATTACKER_IP6=2001:2:0:1000::1

"$ATK_PY" -c 'import scapy' 2>/dev/null ||
	e2e_fail "$ATK_PY has no scapy (package python3-scapy): run scripts/install-deps.sh"

# Topology, attacker, proxy on a config, HTTP server, one fetch each way
# (ARP/ND settled, MACs learnt); sets SERVER_MAC and ATK_TARGET:
# atk_setup MODE [JSON members for "synproxy"]
atk_setup() {
	netns_setup
	netns_add_wan_host "$NS_ATTACKER" "$ATTACKER_IP4/16" "$ATTACKER_IP6/52"
	px_config "$NETNS_LOGDIR/attack.json" "$1" "${2:-}"
	px_start "$NETNS_LOGDIR/attack.json"
	e2e_http_server 64
	e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob" >/dev/null
	e2e_fetch "http://[$SERVER_IP6]:$HTTP_PORT/blob" >/dev/null
	SERVER_MAC=$(netns_mac "$NS_SERVER" eth0)
	# The options that aim atk.py (and scripts like it) at the server's HTTP port.
	# shellcheck disable=SC2034  # for the tests
	ATK_TARGET=(--dst-mac "$SERVER_MAC" --dst4 "$SERVER_IP4" --dst6 "$SERVER_IP6" --dport "$HTTP_PORT")
	# The server can answer spoofed sources (via the client, as via a
	# router), so whatever got past the proxy shows as to_spoofed too.
	ip -n "$NS_SERVER" route add 198.19.0.0/16 via "$CLIENT_IP4"
	ip -n "$NS_SERVER" -6 route add 2001:2:0:1000::/52 via "$CLIENT_IP6"
}

# atk.py in the attacker namespace, bounded in time: atk_py SECONDS CMD ARGS...
atk_py() {
	local t=$1
	shift
	nsx "$NS_ATTACKER" "$t" -- "$ATK_PY" "$ATK_DIR/atk.py" "$@"
}


# Capture everything at the server (all protocols: an IPv6 SYN behind
# extension headers is not "tcp" to a capture filter).
atk_cap_start() { px_cap_start srv "$NS_SERVER" ip or ip6; }

# Stop it, summarise it into ATK_SEEN (JSON) and print the summary:
# atk_cap_stop [ADDRESSES EXPECTED THROUGH...]
# shellcheck disable=SC2120  # the addresses are optional
atk_cap_stop() {
	px_cap_stop srv
	ATK_SEEN=$("$ATK_PY" "$ATK_DIR/atk.py" report "$NETNS_LOGDIR/srv.pcap" \
		--allow "$CLIENT_IP4" "$CLIENT_IP6" --server "$SERVER_IP4" "$SERVER_IP6" --expect "$@")
	e2e_log "at the server from spoofed sources: $ATK_SEEN"
}

# One figure of the last summary: atk_seen tcp_syn|tcp_other|later_fragment|other|to_spoofed|
# from_allowed|from_expected|to_expected
atk_seen() {
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$ATK_SEEN" "$1"
}

# A figure of an atk.py send/flood result: atk_field JSON KEY
atk_field() {
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}
