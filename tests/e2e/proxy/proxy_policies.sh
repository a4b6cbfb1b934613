#!/usr/bin/env bash
# proxy_policies.sh - synproxy.services, allow and deny in the data path,
# each case judged by captures at the server (and the client) and counters.
#
# The client namespace gets two more addresses: ALLOWED (in synproxy.allow)
# and DENIED (in synproxy.deny). The server listens (tcpprobe.py) on
#   PROT  protected by a service with the global settings,
#   OVR   protected by a service with its own defaults (mss, wscale, no SACK),
#   UNP   in no service.
# Asserted:
#   - a connection to UNP reaches the server directly: the segments at the
#     server are the client's own, untouched (pcap "same"); syn_unprotected;
#   - DENIED reaches nothing: its connection and its pings fail, the server's
#     capture holds no frame from it; deny_drop counts them; its /24 shows in
#     /synproxy/top;
#   - ALLOWED to PROT is bridged untouched (pcap "same"); allow_pass;
#   - the client's SYN-ACK from OVR carries the service's MSS and window scale
#     and no SACK (client-side capture), PROT's carries the global defaults,
#     and both connections were opened by the proxy (pcap "handshake").
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

PROT=9000
OVR=9001
UNP=9002
ALLOWED=198.18.0.11
DENIED=198.18.0.12

netns_setup
ip -n "$NS_CLIENT" addr add "$ALLOWED/24" dev eth0
ip -n "$NS_CLIENT" addr add "$DENIED/24" dev eth0
netns_static_neigh
cmac=$(netns_mac "$NS_CLIENT" eth0)
for a in $ALLOWED $DENIED; do
	ip -n "$NS_SERVER" neigh replace "$a" lladdr "$cmac" nud permanent dev eth0
done
CFG=$NETNS_LOGDIR/policies.json
# synproxy.probe off: a service's option defaults are what a client of a
# server not yet learned is told (a probe would learn the server first, and
# learned options win over the defaults: README).
px_config "$CFG" cookie "\"probe\": false, \"services\": [
			{ \"prefix\": \"$SERVER_IP4\", \"ports\": [$PROT] },
			{ \"prefix\": \"198.18.0.0/24\", \"ports\": [$OVR], \"mode\": \"cache\",
			  \"defaults\": { \"mss\": 1220, \"wscale\": 3, \"sack\": false } },
			{ \"prefix\": \"$SERVER_IP6\", \"ports\": [$PROT, $OVR] }
		],
		\"allow\": [\"$ALLOWED\"],
		\"deny\": [\"$DENIED/32\", \"2001:2:0:666::/64\"]"
px_start "$CFG"
netns_bg probe "$NS_SERVER" 120 python3 "$PX_DIR/tcpprobe.py" server --port $PROT --port $OVR --port $UNP
for p in $PROT $OVR $UNP; do netns_wait_listen "$NS_SERVER" $p 10; done

probe() { # probe SOURCE PORT NAME
	px_py "$NS_CLIENT" 30 tcpprobe.py client "$SERVER_IP4" "$2" --source "$1" --messages 2 --interval 0.1 \
		>"$NETNS_LOGDIR/$3.json" 2>&1
}

# ---- unprotected port: straight to the server ----
px_cap_start unp-cli "$NS_CLIENT" tcp port $UNP
px_cap_start unp-srv "$NS_SERVER" tcp port $UNP
px_mark
probe "$CLIENT_IP4" $UNP unp || { cat "$NETNS_LOGDIR/unp.json" >&2; e2e_fail "connection to the unprotected port failed"; }
px_cap_stop unp-cli
px_cap_stop unp-srv
px_read
px_show syn_unprotected syn_received passthrough
assert_eq "syn_unprotected" 1 "$(px_delta syn_unprotected)"
assert_eq "syn_received (nothing proxied)" 0 "$(px_delta syn_received)"
px_pcap same "$NETNS_LOGDIR/unp-srv.pcap" "$NETNS_LOGDIR/unp-cli.pcap" $UNP >"$NETNS_LOGDIR/unp-same.txt" ||
	{ cat "$NETNS_LOGDIR/unp-same.txt" >&2; e2e_fail "unprotected: segments differ between client and server"; }
e2e_log "ok: unprotected port: $(head -n 1 "$NETNS_LOGDIR/unp-same.txt") - the client's SYN reached the server untouched"

# ---- denied source: reaches nothing ----
px_cap_start den-srv "$NS_SERVER" host $DENIED
px_mark
if px_py "$NS_CLIENT" 15 tcpprobe.py client "$SERVER_IP4" $PROT --source $DENIED --timeout 3 \
	>"$NETNS_LOGDIR/den.json" 2>&1; then
	e2e_fail "a denied source got a connection"
fi
if nsx "$NS_CLIENT" 10 -- ping -n -c 2 -i 0.2 -W 1 -I $DENIED "$SERVER_IP4" >"$NETNS_LOGDIR/den-ping.txt" 2>&1; then
	e2e_fail "a denied source got a ping answered"
fi
px_cap_stop den-srv
px_read
px_show deny_drop syn_received
assert_ge "deny_drop (SYNs and pings of the denied source)" 3 "$(px_delta deny_drop)"
assert_eq "syn_received (a denied SYN is not proxied)" 0 "$(px_delta syn_received)"
n=$(tcpdump -n -r "$NETNS_LOGDIR/den-srv.pcap" 2>/dev/null | wc -l)
assert_eq "frames from/to $DENIED at the server" 0 "$n"
e2e_log "ok: denied source: connection and pings failed, nothing reached the server"
# Denied SYNs make their /24 a top talker within one interval (10 s); the
# proxy samples one in 256 of these drops, so send 600 more.
nsx "$NS_CLIENT" 20 -- python3 -c '
import socket, sys, time
socks = []
for i in range(600):
	s = socket.socket()
	s.setblocking(False)
	s.bind((sys.argv[1], 0))
	s.connect_ex((sys.argv[2], int(sys.argv[3])))
	socks.append(s)
time.sleep(0.3)
for s in socks:
	s.close()
' "$DENIED" "$SERVER_IP4" $PROT
top=""
for ((i = 0; i < 50; i++)); do
	top=$(telemetry /synproxy/top,5 | python3 -c '
import json, sys
d = json.load(sys.stdin)["/synproxy/top"]
print(" ".join("%s=%d" % (v["prefix"], v["syn_drops"]) for k, v in sorted(d.items()) if k.startswith("top")))')
	case " $top" in *" 198.18.0.0/24="*) break ;; esac
	sleep 0.5
done
case " $top" in *" 198.18.0.0/24="*) ;; *) e2e_fail "/synproxy/top never listed 198.18.0.0/24 (last: '$top')" ;; esac
e2e_log "ok: /synproxy/top lists the denied source's prefix: $top"

# ---- allowed source: bridged untouched even to a protected port ----
px_cap_start alw-cli "$NS_CLIENT" tcp port $PROT and host $ALLOWED
px_cap_start alw-srv "$NS_SERVER" tcp port $PROT and host $ALLOWED
px_mark
probe $ALLOWED $PROT alw || { cat "$NETNS_LOGDIR/alw.json" >&2; e2e_fail "connection from the allowed source failed"; }
px_cap_stop alw-cli
px_cap_stop alw-srv
px_read
px_show allow_pass syn_received
assert_eq "allow_pass" 1 "$(px_delta allow_pass)"
assert_eq "syn_received (an allowed source is not proxied)" 0 "$(px_delta syn_received)"
px_pcap same "$NETNS_LOGDIR/alw-srv.pcap" "$NETNS_LOGDIR/alw-cli.pcap" $PROT >"$NETNS_LOGDIR/alw-same.txt" ||
	{ cat "$NETNS_LOGDIR/alw-same.txt" >&2; e2e_fail "allowed: segments differ between client and server"; }
e2e_log "ok: allowed source: $(head -n 1 "$NETNS_LOGDIR/alw-same.txt") - bridged untouched"

# ---- protected services: the proxy answers, each with its own options ----
px_cap_start prot-cli "$NS_CLIENT" tcp port $PROT or tcp port $OVR
px_cap_start prot-srv "$NS_SERVER" tcp port $PROT or tcp port $OVR
px_mark
probe "$CLIENT_IP4" $OVR ovr || { cat "$NETNS_LOGDIR/ovr.json" >&2; e2e_fail "connection to the overriding service failed"; }
probe "$CLIENT_IP4" $PROT prot || { cat "$NETNS_LOGDIR/prot.json" >&2; e2e_fail "connection to the protected service failed"; }
px_cap_stop prot-cli
px_cap_stop prot-srv
px_read
px_show syn_received synack_sent_cookie synack_sent_cache proxied_established
assert_eq "syn_received (two protected connections)" 2 "$(px_delta syn_received)"
assert_eq "synack_sent_cache (the overriding service's mode is cache)" 1 "$(px_delta synack_sent_cache)"
assert_eq "synack_sent_cookie (the global mode is cookie)" 1 "$(px_delta synack_sent_cookie)"
assert_eq "proxied_established" 2 "$(px_delta proxied_established)"
for p in $PROT $OVR; do
	px_pcap handshake "$NETNS_LOGDIR/prot-cli.pcap" "$NETNS_LOGDIR/prot-srv.pcap" $p >"$NETNS_LOGDIR/hs-$p.txt" ||
		{ cat "$NETNS_LOGDIR/hs-$p.txt" >&2; e2e_fail "port $p: not a proxied handshake"; }
done
synack() { # synack PORT FIELD: that field of the SYN-ACK the client received
	px_pcap synopts "$NETNS_LOGDIR/prot-cli.pcap" "$1" |
		python3 -c 'import json,sys; l=[x for x in json.load(sys.stdin) if x["dir"]=="synack"]; print(l[0][sys.argv[1]] if l else "none")' "$2"
}
assert_eq "MSS of the overriding service's SYN-ACK" 1220 "$(synack $OVR mss)"
assert_eq "window scale of the overriding service's SYN-ACK" 3 "$(synack $OVR wscale)"
assert_eq "SACK of the overriding service's SYN-ACK" False "$(synack $OVR sack)"
assert_eq "MSS of the protected service's SYN-ACK (global default)" 1460 "$(synack $PROT mss)"
assert_eq "window scale of the protected service's SYN-ACK (global default)" 7 "$(synack $PROT wscale)"
e2e_log "ok: protected services answered by the proxy, $OVR with mss 1220 wscale 3 no SACK, $PROT with the defaults"
e2e_pass
