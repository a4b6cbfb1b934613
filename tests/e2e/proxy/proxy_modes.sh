#!/usr/bin/env bash
# proxy_modes.sh - real connections through the proxy in each of its modes
# (cookie, cache, auto), over IPv4 and IPv6, and proof the proxy made them.
#
# Per mode (a config written here, the proxy restarted on it): three HTTP
# fetches of a 2 MiB file over IPv4 and three over IPv6, each checked by
# sha256 against the served file, then iperf3 for 2 s over IPv4 (client
# sends) and 2 s over IPv6 (-R, server sends). Asserted:
#  - the counters say the proxy answered and spliced every connection:
#    syn_received covers them all; in cookie mode every SYN-ACK came from a
#    cookie and every handshake was validated by one (ack_cookie_ok); in
#    cache and auto (quiet) mode from the SYN cache (ack_cache_ok); exactly
#    one proxied_established per connection (6 fetches + 2 iperf3 runs of a
#    control and a data connection = 10); both directions translated
#    (translated_wan/translated_lan) at least as many segments as the data
#    needs;
#  - captures on the client's and the server's interface show, for every
#    fetch, that the server saw exactly SYN, SYN-ACK, ACK and that its SYN
#    arrived only after the client had its SYN-ACK and had sent its ACK
#    (the proxy answered, then opened the server side), with the client's
#    own ISN (pcap_tcp.py handshake).
# Runs in about 30 s.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

netns_setup
e2e_http_server 2048
netns_bg iperf3 "$NS_SERVER" 250 iperf3 -s -p 5201
netns_wait_listen "$NS_SERVER" 5201 10
CONNS=10

for mode in cookie cache auto; do
	px_config "$NETNS_LOGDIR/$mode.json" "$mode"
	px_start "$NETNS_LOGDIR/$mode.json"
	px_cap_start "cli-$mode" "$NS_CLIENT" tcp port "$HTTP_PORT"
	px_cap_start "srv-$mode" "$NS_SERVER" tcp port "$HTTP_PORT"
	px_mark
	px_fetch_n 3 "http://$SERVER_IP4:$HTTP_PORT/blob"
	px_fetch_n 3 "http://[$SERVER_IP6]:$HTTP_PORT/blob"
	px_cap_stop "cli-$mode"
	px_cap_stop "srv-$mode"
	px_iperf "$SERVER_IP4" 2
	px_iperf "$SERVER_IP6" 2 -R
	px_read
	px_show syn_received synack_sent_cookie synack_sent_cache ack_cookie_ok ack_cache_ok \
		proxied_established translated_wan translated_lan syn_to_server_retx early_data_drop
	syn=$(px_delta syn_received)
	assert_ge "$mode: syn_received" $CONNS "$syn"
	assert_eq "$mode: proxied_established" $CONNS "$(px_delta proxied_established)"
	assert_eq "$mode: server_synack" $CONNS "$(px_delta server_synack)"
	case $mode in
	cookie)
		assert_eq "$mode: synack_sent_cookie = syn_received" "$syn" "$(px_delta synack_sent_cookie)"
		assert_eq "$mode: synack_sent_cache" 0 "$(px_delta synack_sent_cache)"
		assert_eq "$mode: ack_cookie_ok" $CONNS "$(px_delta ack_cookie_ok)"
		assert_eq "$mode: ack_cache_ok" 0 "$(px_delta ack_cache_ok)"
		;;
	cache | auto)
		assert_eq "$mode: synack_sent_cache = syn_received" "$syn" "$(px_delta synack_sent_cache)"
		assert_eq "$mode: synack_sent_cookie" 0 "$(px_delta synack_sent_cookie)"
		assert_eq "$mode: ack_cache_ok" $CONNS "$(px_delta ack_cache_ok)"
		assert_eq "$mode: ack_cookie_ok" 0 "$(px_delta ack_cookie_ok)"
		assert_eq "$mode: under_attack" 0 "$(px_now under_attack)"
		;;
	esac
	# 6 x 2 MiB leave the server in >= 8700 full-size segments; the client
	# acknowledges at least every other one. iperf3 adds far more.
	assert_ge "$mode: translated_lan (server -> client)" 8700 "$(px_delta translated_lan)"
	assert_ge "$mode: translated_wan (client -> server)" 4300 "$(px_delta translated_wan)"
	px_pcap handshake "$NETNS_LOGDIR/cli-$mode.pcap" "$NETNS_LOGDIR/srv-$mode.pcap" "$HTTP_PORT" \
		>"$NETNS_LOGDIR/hs-$mode.txt" || { cat "$NETNS_LOGDIR/hs-$mode.txt" >&2; e2e_fail "$mode: handshake order at the server (above)"; }
	sed 's/^/    /' "$NETNS_LOGDIR/hs-$mode.txt"
	assert_contains "$mode: all six fetches" "handshake: 6 connection(s) at the server, 0 bad" "$NETNS_LOGDIR/hs-$mode.txt"
done

# A large file end to end through the last (auto) proxy: 64 MiB, tens of
# thousands of translated segments, the same bytes at both ends.
head -c $((64 * 1024 * 1024)) /dev/urandom >"$HTTP_DIR/large"
large_sum=$(sha256sum "$HTTP_DIR/large" | cut -d' ' -f1)
nsx "$NS_CLIENT" 90 -- curl -sS --max-time 80 -o "$NETNS_LOGDIR/large.got" \
	"http://[$SERVER_IP6]:$HTTP_PORT/large" || e2e_fail "64 MiB fetch failed"
assert_eq "64 MiB file: sha256 at the client = at the server" "$large_sum" \
	"$(sha256sum "$NETNS_LOGDIR/large.got" | cut -d' ' -f1)"
rm -f "$HTTP_DIR/large" "$NETNS_LOGDIR/large.got"
e2e_pass
