#!/usr/bin/env bash
# signals.sh - shutdown: SIGTERM while traffic flows makes the proxy stop its
# workers, print the final totals and exit 0; then a second proxy starts on
# the same interfaces (the first released its af_packet sockets) and SIGINT
# (Ctrl-C) does the same. The totals must account for the traffic sent.
source "$(dirname "$0")/lib.sh"

netns_setup
for sig in TERM INT; do
	proxy_start 1
	proxy_wait_started 60
	e2e_ping "$NS_CLIENT" "$SERVER_IP4" 5
	# keep traffic flowing while the signal lands
	nsx "$NS_CLIENT" 20 -- ping -n -q -i 0.01 -c 500 -w 10 "$SERVER_IP4" >/dev/null 2>&1 &
	pinger=$!
	sleep 0.5
	proxy_stop "$sig" 30
	kill "$pinger" 2>/dev/null || true
	wait "$pinger" 2>/dev/null || true
	assert_eq "exit code after SIG$sig" 0 "$PROXY_RC"
	assert_contains "final totals after SIG$sig" "final totals" "$PROXY_LOG"
	rx=$(sed -n 's/.*final totals:.* rx_wan=\([0-9]*\).*/\1/p' "$PROXY_LOG")
	assert_ge "rx_wan in the final totals" 5 "${rx:-0}"
	e2e_log "$(grep 'final totals' "$PROXY_LOG")"
	mv "$PROXY_LOG" "$PROXY_LOG.$sig"
done
e2e_pass
