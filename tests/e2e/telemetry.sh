#!/usr/bin/env bash
# telemetry.sh - the counters on the telemetry socket match the traffic sent.
#
# The links are made silent first (IPv6 off in every namespace, permanent
# ARP entries), then exactly N1 UDP datagrams go client -> server, N2 server
# -> client and M echo requests client -> server (M replies back). The
# per-direction forward counters, the rx counters and the udp/icmp counters
# must grow by at least that and by no more than a small tolerance. The same
# query through DPDK's own /usr/bin/dpdk-telemetry.py must give the same
# numbers, /synproxy/ports and /synproxy/config must describe this run, and
# after the traffic (plus a few HTTP fetches through the SYN proxy) the mbufs
# in use return to the baseline taken once startup had settled (no leak).
source "$(dirname "$0")/lib.sh"

N1=200 N2=100 M=20 TOL=3
NETNS_IPV6=0
e2e_up 1
netns_static_neigh

snapshot() { telemetry -c /synproxy/stats >"$NETNS_LOGDIR/$1.json"; }
delta() { # key -> stats[key] in s1 - in s0
	python3 -c 'import json,sys
a = json.load(open(sys.argv[1]))["/synproxy/stats"]
b = json.load(open(sys.argv[2]))["/synproxy/stats"]
print(b[sys.argv[3]] - a[sys.argv[3]])' "$NETNS_LOGDIR/s0.json" "$NETNS_LOGDIR/s1.json" "$1"
}

# Baseline of mbufs in use, once two reads a second apart agree.
prev=-1
for i in $(seq 1 20); do
	cur=$(stat_get mbuf_in_use)
	[ "$cur" = "$prev" ] && break
	prev=$cur
	sleep 1
done
mbuf_base=$cur
e2e_log "mbuf_in_use baseline: $mbuf_base of $(stat_get mbuf_total)"

# UDP sinks: count datagrams until the expected number or 10 s of silence.
sink() { # name ns addr port expected
	netns_bg "$1" "$2" 60 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(10)
print("ready", flush=True)
n = 0
try:
	while n < int(sys.argv[3]):
		s.recv(2048)
		n += 1
except socket.timeout:
	pass
print("received", n, flush=True)' "$3" "$4" "$5"
	SINK_PID=$NETNS_BG_PID
	for i in $(seq 1 50); do
		grep -q ready "$NETNS_LOGDIR/$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	e2e_fail "UDP sink $1 did not start"
}
send_udp() { # ns dst port count
	nsx "$1" 30 -- python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])):
	s.sendto(b"synproxy-e2e %06d" % i, (sys.argv[1], int(sys.argv[2])))
	time.sleep(0.001)   # paced: the af_packet ring must not overflow
' "$2" "$3" "$4"
}

sink sink_s "$NS_SERVER" "$SERVER_IP4" 9000 "$N1"
pid_s=$SINK_PID
sink sink_c "$NS_CLIENT" "$CLIENT_IP4" 9001 "$N2"
pid_c=$SINK_PID
sleep 0.5
snapshot s0

send_udp "$NS_CLIENT" "$SERVER_IP4" 9000 "$N1"
send_udp "$NS_SERVER" "$CLIENT_IP4" 9001 "$N2"
nsx "$NS_CLIENT" 30 -- ping -n -q -c "$M" -i 0.05 -W 2 "$SERVER_IP4" >/dev/null || e2e_fail "ping failed"
wait "$pid_s" || true
wait "$pid_c" || true
assert_eq "datagrams received by the server" "received $N1" "$(grep received "$NETNS_LOGDIR/sink_s.log")"
assert_eq "datagrams received by the client" "received $N2" "$(grep received "$NETNS_LOGDIR/sink_c.log")"
sleep 0.5
snapshot s1

assert_range "fwd_wan_to_lan delta" $((N1 + M)) $((N1 + M + TOL)) "$(delta fwd_wan_to_lan)"
assert_range "fwd_lan_to_wan delta" $((N2 + M)) $((N2 + M + TOL)) "$(delta fwd_lan_to_wan)"
assert_range "rx_wan delta" $((N1 + M)) $((N1 + M + TOL)) "$(delta rx_wan)"
assert_range "rx_lan delta" $((N2 + M)) $((N2 + M + TOL)) "$(delta rx_lan)"
assert_range "tx_lan delta" $((N1 + M)) $((N1 + M + TOL)) "$(delta tx_lan)"
assert_range "tx_wan delta" $((N2 + M)) $((N2 + M + TOL)) "$(delta tx_wan)"
assert_range "udp delta" $((N1 + N2)) $((N1 + N2 + TOL)) "$(delta udp)"
assert_range "icmp delta" $((2 * M)) $((2 * M + TOL)) "$(delta icmp)"
assert_range "ipv4 delta" $((N1 + N2 + 2 * M)) $((N1 + N2 + 2 * M + TOL)) "$(delta ipv4)"
assert_eq "ipv6 delta (IPv6 is off)" 0 "$(delta ipv6)"
assert_eq "tx_drop delta" 0 "$(delta tx_drop)"
assert_eq "parse_error delta" 0 "$(delta parse_error)"

# The same answer through DPDK's own client (one compact JSON line per command).
ours=$(stat_get fwd_wan_to_lan)
theirs=$(echo /synproxy/stats | timeout 10 /usr/bin/dpdk-telemetry.py -f "$PROXY_FILE_PREFIX" |
	python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["/synproxy/stats"]["fwd_wan_to_lan"])') ||
	e2e_fail "dpdk-telemetry.py gave no usable answer"
assert_eq "fwd_wan_to_lan via dpdk-telemetry.py" "$ours" "$theirs"

# Ports and config describe this run.
telemetry -c /synproxy/ports >"$NETNS_LOGDIR/ports.json"
python3 - "$NETNS_LOGDIR/ports.json" "$N1" "$M" <<'PY' || e2e_fail "/synproxy/ports (above)"
import json, sys
ports = json.load(open(sys.argv[1]))["/synproxy/ports"]
n1, m = int(sys.argv[2]), int(sys.argv[3])
ok = True
for role, name in (("lan", "net_af_packet0"), ("wan", "net_af_packet1")):
	p = ports[role]
	print("  %s: %s" % (role, json.dumps(p, sort_keys=True)))
	ok &= p["name"] == name and p["role"] == role and p["link"] == "up"
	ok &= "af_packet" in p["driver"] and p["steering"] in ("single-queue", "software")
	ok &= p["rx_queues"] == 1 and p["tx_queues"] == 1
ok &= ports["wan"]["ipackets"] >= n1 + m and ports["lan"]["opackets"] >= n1 + m
sys.exit(0 if ok else 1)
PY
e2e_log "ok: /synproxy/ports"
# The effective config, nested settings included (however the keys are
# flattened): both port names, the mtu, the synproxy timeouts.
telemetry -c /synproxy/config >"$NETNS_LOGDIR/config.json"
python3 - "$NETNS_LOGDIR/config.json" <<'PY' || e2e_fail "/synproxy/config lacks parts of the config (above)"
import json, sys
cfg = json.load(open(sys.argv[1]))["/synproxy/config"]
def leaves(v, path=""):
	if isinstance(v, dict):
		for k, x in v.items():
			yield from leaves(x, path + "/" + k)
	elif isinstance(v, list):
		for i, x in enumerate(v):
			yield from leaves(x, "%s/%d" % (path, i))
	else:
		yield path, v
flat = dict(leaves(cfg))
values = set(str(v) for v in flat.values())
checks = {
	"port net_af_packet0": "net_af_packet0" in values,
	"port net_af_packet1": "net_af_packet1" in values,
	"mtu 1500": any(k.endswith("mtu") and v == 1500 for k, v in flat.items()),
	"synproxy timeouts": any("timeout" in k and "fin" in k for k in flat),
}
for what, ok in checks.items():
	print("  %-20s %s" % (what, "ok" if ok else "MISSING"))
if not all(checks.values()):
	print("  keys: " + " ".join(sorted(flat)))
sys.exit(0 if all(checks.values()) else 1)
PY
e2e_log "ok: /synproxy/config"

# scripts/telemetry.py fails clearly: a prefix with no process, an unknown command.
rc=0
python3 "$REPO_DIR/scripts/telemetry.py" -f "nosuch$$" /synproxy/stats >"$NETNS_LOGDIR/tp.out" 2>&1 || rc=$?
assert_eq "telemetry.py, no such prefix: exit code" 2 "$rc"
assert_contains "telemetry.py, no such prefix" "no telemetry socket" "$NETNS_LOGDIR/tp.out"
assert_contains "telemetry.py, no such prefix, lists the running ones" "$PROXY_FILE_PREFIX" "$NETNS_LOGDIR/tp.out"
rc=0
telemetry /synproxy/no_such_command >"$NETNS_LOGDIR/tp.out" 2>&1 || rc=$?
assert_eq "telemetry.py, unknown command: exit code" 1 "$rc"

# TCP through the SYN proxy too (handshakes answered by the proxy, sequence
# translation), so the leak check below covers the TCP paths as well.
e2e_http_server 512
for i in 1 2 3; do
	e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob"
done

# No mbuf leaked: back to the baseline (caches drain within a moment).
for i in $(seq 1 50); do
	cur=$(stat_get mbuf_in_use)
	[ "$cur" = "$mbuf_base" ] && break
	sleep 0.1
done
assert_eq "mbuf_in_use back at baseline" "$mbuf_base" "$cur"
e2e_pass
