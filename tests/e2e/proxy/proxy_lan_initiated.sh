#!/usr/bin/env bash
# proxy_lan_initiated.sh - connections opened from the LAN (the server side)
# to a listener on the WAN side are tracked and bridged untouched: the proxy
# answers nothing itself, validates no cookie and translates nothing.
#
# Listeners in the client namespace: tcpprobe.py (echo and bulk echo) on
# 9000 and python's http.server on 8081. From the server namespace: a probe
# over IPv4 and one over IPv6 (3 echoes, 256 KiB echoed back) and a 1 MiB
# HTTP download checked by sha256. Asserted: all of it works; the counters
# show passthrough_new per connection and passthrough segments, and no
# SYN-proxy counter moved (syn_received, SYN-ACKs sent, cookie or cache
# validations, bad cookies, proxied connections, translations, wan_no_flow);
# captures on both ends show the very same segments (seq, ack, window,
# options), i.e. nothing was rewritten.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

netns_setup
px_config "$NETNS_LOGDIR/auto.json" auto
px_start "$NETNS_LOGDIR/auto.json"

netns_bg probe "$NS_CLIENT" 120 python3 "$PX_DIR/tcpprobe.py" server --port 9000
WWW=$NETNS_LOGDIR/client-www
mkdir -p "$WWW"
head -c $((1024 * 1024)) /dev/urandom >"$WWW/blob"
sum=$(sha256sum <"$WWW/blob" | cut -d' ' -f1)
netns_bg http-client "$NS_CLIENT" 120 python3 -m http.server --bind :: --directory "$WWW" 8081
netns_wait_listen "$NS_CLIENT" 9000 10
netns_wait_listen "$NS_CLIENT" 8081 10

px_cap_start cli "$NS_CLIENT" tcp port 9000
px_cap_start srv "$NS_SERVER" tcp port 9000
px_mark
for addr in "$CLIENT_IP4" "$CLIENT_IP6"; do
	px_py "$NS_SERVER" 30 tcpprobe.py client "$addr" 9000 --messages 3 --interval 0.2 --bytes 262144 \
		>"$NETNS_LOGDIR/probe.json" || { cat "$NETNS_LOGDIR/probe.json" >&2; e2e_fail "probe from the server to $addr:9000 failed"; }
	e2e_log "ok: server -> $addr:9000: 3 echoes and 256 KiB echoed back intact"
done
nsx "$NS_SERVER" 60 -- curl -sS --fail --connect-timeout 10 --max-time 45 -o "$NETNS_LOGDIR/got" \
	"http://$CLIENT_IP4:8081/blob" || e2e_fail "HTTP download from the client namespace failed"
assert_eq "sha256 of the 1 MiB file fetched from the LAN side" "$sum" "$(sha256sum <"$NETNS_LOGDIR/got" | cut -d' ' -f1)"
px_cap_stop cli
px_cap_stop srv
sleep 0.3
px_read
px_show passthrough_new passthrough lan_no_flow syn_received proxied_established translated_wan translated_lan

assert_eq "passthrough_new (3 LAN-initiated connections)" 3 "$(px_delta passthrough_new)"
assert_ge "passthrough (segments bridged for them)" 700 "$(px_delta passthrough)"
for k in syn_received synack_sent_cookie synack_sent_cache ack_cookie_ok ack_cache_ok ack_bad_cookie \
	syn_to_server proxied_established translated_wan translated_lan wan_no_flow syn_bad ack_bad; do
	assert_eq "$k (no SYN-proxy work for LAN-initiated connections)" 0 "$(px_delta "$k")"
done
px_pcap same "$NETNS_LOGDIR/srv.pcap" "$NETNS_LOGDIR/cli.pcap" 9000 >"$NETNS_LOGDIR/same.txt" ||
	{ cat "$NETNS_LOGDIR/same.txt" >&2; e2e_fail "segments differ between the two ends (above)"; }
e2e_log "ok: $(head -n 1 "$NETNS_LOGDIR/same.txt") - bridged untouched"
e2e_pass
