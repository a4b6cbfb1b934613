#!/usr/bin/env bash
# workers.sh - two worker lcores on af_packet with qpairs=2. af_packet cannot
# do RSS, so both ports must report software steering; after many parallel
# connections (and both directions of each one) every worker must have
# received traffic, according to /synproxy/lcores, and every fetch must
# arrive intact (a flow split across workers would break the TCP proxying).
source "$(dirname "$0")/lib.sh"

e2e_up 2
assert_contains "proxy log" "steering=software" "$PROXY_LOG"
for role in lan wan; do
	assert_eq "$role port steering" software "$(telemetry -k "$role.steering" /synproxy/ports)"
	assert_eq "$role port rx queues" 2 "$(telemetry -k "$role.rx_queues" /synproxy/ports)"
done

e2e_http_server 256
# 24 connections, 8 at a time; each has its own source port, so the flows
# hash to both af_packet queues and both workers.
pids=()
for i in $(seq 1 24); do
	nsx "$NS_CLIENT" 60 -- curl -sS --fail --connect-timeout 10 --max-time 40 \
		-o "$NETNS_LOGDIR/par$i" "http://$SERVER_IP4:$HTTP_PORT/blob" &
	pids+=($!)
	if [ $((i % 8)) = 0 ]; then
		for p in "${pids[@]}"; do wait "$p" || e2e_fail "a parallel fetch failed"; done
		pids=()
	fi
done
for i in $(seq 1 24); do
	assert_eq "sha256 of parallel fetch $i" "$HTTP_SUM" "$(sha256sum "$NETNS_LOGDIR/par$i" | cut -d' ' -f1)" >/dev/null
done
e2e_log "ok: 24 parallel fetches intact"

netns_bg iperf3 "$NS_SERVER" 60 iperf3 -s -p 5201
netns_wait_listen "$NS_SERVER" 5201 10
nsx "$NS_CLIENT" 30 -- iperf3 -c "$SERVER_IP4" -p 5201 -t 2 -P 4 --connect-timeout 5000 >"$NETNS_LOGDIR/iperf.txt" ||
	{ cat "$NETNS_LOGDIR/iperf.txt" >&2; e2e_fail "iperf3 -P 4 failed"; }
e2e_log "iperf3 -P 4: $(grep -E 'SUM.*receiver' "$NETNS_LOGDIR/iperf.txt" || tail -n 1 "$NETNS_LOGDIR/iperf.txt")"

telemetry -c /synproxy/lcores >"$NETNS_LOGDIR/lcores.json"
telemetry -c /synproxy/stats >"$NETNS_LOGDIR/stats.json"
python3 - "$NETNS_LOGDIR/lcores.json" "$NETNS_LOGDIR/stats.json" <<'PY' || e2e_fail "per-worker counters (above)"
import json, sys
lcores = json.load(open(sys.argv[1]))["/synproxy/lcores"]
stats = json.load(open(sys.argv[2]))["/synproxy/stats"]
ok = len(lcores) == 2
for name, w in sorted(lcores.items()):
	rx = w["rx_lan"] + w["rx_wan"]
	print("  %s (lcore %s, queue %s): rx_lan=%d rx_wan=%d tcp=%d steered=%d" %
	      (name, w.get("lcore"), w.get("queue"), w["rx_lan"], w["rx_wan"], w["tcp"], w["steered"]))
	ok &= rx > 0 and w["tcp"] > 0
for k in ("rx_lan", "rx_wan", "tcp", "steered"):
	s = sum(w[k] for w in lcores.values())
	print("  sum %s=%d total=%d" % (k, s, stats[k]))
	ok &= s <= stats[k] + 50 and s + 50 >= stats[k]   # read a moment apart
print("  steer_drop=%d" % stats["steer_drop"])
sys.exit(0 if ok else 1)
PY
e2e_log "ok: both workers received traffic"
e2e_pass
