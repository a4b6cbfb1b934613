#!/usr/bin/env bash
# proxy_pmtu.sh - path MTU discovery through the proxy (ICMP errors about
# proxied connections, src/fwd/icmp_err.c).
#
# The client sits behind a router whose link towards it has MTU 1280
# (NETNS_ROUTER_MTU, scripts/lib/netns.sh); the client's own interface has
# 1500, so it announces an MSS of 1460 and the server sends full-size
# segments with DF set (Linux's default for TCP) or over IPv6. The router
# answers each with "fragmentation needed" / "packet too big", quoting the
# segment as the client would see it: through the proxy, in the proxy's
# sequence space. The server's stack ignores a quote whose seq is not one it
# sent, so unless the proxy translates it the download stalls (a PMTU black
# hole).
#
# For a pure bridge (synproxy.enabled false), then the proxy with one worker
# and with two (software steering must hand each error to the worker that
# holds the quoted connection; three connections per family there), over
# IPv4 and IPv6: a 16 MiB download completes with the server's sha256, and
# the server's route towards the client shows the learned "mtu 1280"
# afterwards (and did not before: the route is recreated before each
# download). Through the proxy, icmp_err_translated grew and no error was
# bridged untranslated. (An error can be dropped as icmp_err_out_of_window
# without harm: the router's last errors of a burst may reach the proxy
# after the server retransmitted and got the quoted data acknowledged, so
# the server would ignore them too. The download and the learned MTU are
# what must hold.)
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

# shellcheck disable=SC2034  # read by netns_setup (scripts/lib/netns.sh)
NETNS_ROUTER_MTU=1280
netns_setup
e2e_http_server $((16 * 1024))
px_config "$NETNS_LOGDIR/bridge.json" off
px_config "$NETNS_LOGDIR/proxy.json" auto

# The server's route to ADDR, as `ip route get` prints it (one line).
route_to() { ip -n "$NS_SERVER" route get "$1" | tr -s ' \n' ' '; }

# A 16 MiB download, bounded in time, checked against the server's sha256.
download() {
	local url=$1 out=$NETNS_LOGDIR/fetched t0 sum
	rm -f "$out"
	t0=$(date +%s%N)
	nsx "$NS_CLIENT" 70 -- curl -sS -g --fail --connect-timeout 10 --max-time 60 -o "$out" "$url" ||
		e2e_fail "download of $url did not complete in 60 s (PMTU black hole?)"
	sum=$(sha256sum "$out" | cut -d' ' -f1)
	assert_eq "sha256 of 16 MiB from $url ($((($(date +%s%N) - t0) / 1000000)) ms)" "$HTTP_SUM" "$sum"
}

# One proxy configuration: run MODE WORKERS ROUNDS (downloads per family,
# each with the path MTU forgotten first, so each one meets the router).
run() {
	local mode=$1 workers=$2 rounds=$3 addr url r before after
	px_start "$NETNS_LOGDIR/$mode.json" "$workers"
	for addr in "$CLIENT_IP4" "$CLIENT_IP6"; do
		url="http://$SERVER_IP4:$HTTP_PORT/blob"
		[ "$addr" = "$CLIENT_IP4" ] || url="http://[$SERVER_IP6]:$HTTP_PORT/blob"
		for ((r = 0; r < rounds; r++)); do
			netns_server_default_route   # forget the path MTUs learned so far
			before=$(route_to "$addr")
			case $before in
			*" mtu "*) e2e_fail "$mode: the server's route to $addr has an MTU before the download: $before" ;;
			esac
			px_mark
			download "$url"
			after=$(route_to "$addr")
			case $after in
			*" mtu 1280 "*) e2e_log "ok: $mode/$workers: the server learned the path MTU: $after" ;;
			*) e2e_fail "$mode/$workers: the server's route to $addr shows no 'mtu 1280': $after" ;;
			esac
			px_read
			px_show icmp_err_translated icmp_err_no_flow icmp_err_out_of_window proxied_established
			[ "$mode" = proxy ] || continue
			assert_ge "$mode/$workers: proxied connections" 1 "$(px_delta proxied_established)"
			assert_ge "$mode/$workers: ICMP errors translated" 1 "$(px_delta icmp_err_translated)"
			# With two workers the error must reach the connection's worker.
			assert_eq "$mode/$workers: ICMP errors bridged untranslated" 0 "$(px_delta icmp_err_no_flow)"
		done
	done
}

run bridge 1 1
run proxy 1 1
run proxy 2 3
e2e_pass
