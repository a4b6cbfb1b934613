#!/usr/bin/env bash
# iperf.sh - an iperf3 TCP run of 3 s client -> server and 3 s reverse (-R)
# through the proxy; the throughput goes to the test log. Only a sanity floor
# is asserted (1 Mbit/s): af_packet on veth in a VM says little about speed.
source "$(dirname "$0")/lib.sh"

e2e_up 1
netns_bg iperf3 "$NS_SERVER" 60 iperf3 -s -p 5201
netns_wait_listen "$NS_SERVER" 5201 10

run_iperf() { # label, extra args
	local label=$1 json=$NETNS_LOGDIR/iperf.json bps
	shift
	nsx "$NS_CLIENT" 30 -- iperf3 -c "$SERVER_IP4" -p 5201 -t 3 -J --connect-timeout 5000 "$@" >"$json" ||
		{ cat "$json" >&2; e2e_fail "iperf3 $label failed"; }
	bps=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$json")
	e2e_log "throughput $label: $((bps / 1000000)) Mbit/s"
	assert_ge "iperf3 $label bit/s" 1000000 "$bps"
}
run_iperf "client->server"
run_iperf "server->client" -R
e2e_pass
