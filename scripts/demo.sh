#!/usr/bin/env bash
# demo.sh - dpdk-synproxy on any Linux box, no NIC needed:  sudo scripts/demo.sh
#
# Builds the proxy if needed, then creates network namespaces "client" (the
# WAN side, behind a small switch) and "server" (the LAN side) joined by the
# proxy, which runs in its own namespace "spd-proxy" on two af_packet vdevs
# with its embedded default config and two worker lcores. Real traffic then
# crosses it: ping both ways over IPv4 and IPv6, an HTTP download with curl
# (every TCP handshake is answered by the proxy first), downloads while an
# attacker on the WAN switch sends a bounded flood of 100000 SYNs and 50000
# forged ACKs from spoofed sources in 198.19.0.0/16 (the counters and a
# capture at the server show it was absorbed), a 3 s iperf3 run; the
# telemetry counters are printed at the end. The metrics exporter
# (scripts/synproxy-exporter.py) runs next to the proxy all along; its URL is
# printed and a scrape shown at the end. Everything is removed on exit,
# also on failure or Ctrl-C.
#
#   --keep        leave it running for you to play with until Ctrl-C
#   --workers N   worker lcores (af_packet queue pairs), default 2
#   --cleanup     only remove what a killed demo left behind, then exit
set -euo pipefail

REPO_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
KEEP=0
WORKERS=2
CLEANUP_ONLY=0
while [ $# -gt 0 ]; do
	case $1 in
	--keep) KEEP=1 ;;
	--workers) WORKERS=${2:?--workers needs a number}; shift ;;
	--cleanup) CLEANUP_ONLY=1 ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d'; exit 0 ;;
	*) echo "demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $WORKERS in ''|*[!0-9]*|0) echo "demo.sh: --workers wants a number >= 1" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: needs root (network namespaces, af_packet): sudo $0 $*" >&2; exit 1; }

# The names the README uses; the rest carries the demo's "spd-" prefix.
# DEMO_PREFIX=x- renames everything (x-client, x-server, ...): the e2e test
# uses it so a demo someone is running is never touched.
DEMO_PREFIX=${DEMO_PREFIX:-}
if [ -z "$DEMO_PREFIX" ]; then
	NETNS_PREFIX=spd- NS_CLIENT=client NS_SERVER=server PROXY_FILE_PREFIX=synproxy-demo
else
	NETNS_PREFIX=$DEMO_PREFIX NS_CLIENT=${DEMO_PREFIX}client NS_SERVER=${DEMO_PREFIX}server
	PROXY_FILE_PREFIX=${DEMO_PREFIX%-}
fi
PROXY_MEM=auto                      # hugepages if reserved (dpdk-dumpcap needs them)
PROXY_TIMEOUT=$([ $KEEP = 1 ] && echo 0 || echo 300)
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$REPO_DIR/$BUILD_DIR ;; esac
PROXY_BIN=$BUILD_DIR/src/dpdk-synproxy
NETNS_SHOW_TOTALS=1
# shellcheck source=lib/netns.sh
source "$REPO_DIR/scripts/lib/netns.sh"

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }

if [ $CLEANUP_ONLY = 1 ]; then
	# A demo killed with SIGKILL cannot clean up; its namespaces are
	# recognisable by the spd- ones next to client/server.
	if ip netns list | awk '{print $1}' | grep -qxE "${NS_PROXY}|${NS_WAN}"; then
		for ns in "$NS_PROXY" "$NS_WAN" "$NS_CLIENT" "$NS_SERVER" "${NETNS_PREFIX}attacker"; do
			ip netns list | awk '{print $1}' | grep -qxF "$ns" && NETNS_CREATED+=("$ns")
		done
		gone="${NETNS_CREATED[*]}"
		netns_cleanup
		rm -rf /tmp/synproxy-"${NETNS_PREFIX}"??????
		echo "demo.sh: removed namespaces $gone, their processes and /var/run/dpdk/$PROXY_FILE_PREFIX"
	else
		echo "demo.sh: nothing to clean up"
	fi
	exit 0
fi
if ip netns list | awk '{print $1}' | grep -qxE "${NS_PROXY}|${NS_WAN}"; then
	netns_die "a demo is already running or was killed: stop it, or run: sudo $0 --cleanup"
fi

if [ ! -x "$PROXY_BIN" ]; then
	step "dpdk-synproxy is not built yet: installing dependencies and building"
	bash "$REPO_DIR/scripts/install-deps.sh"
	BUILD_DIR=$BUILD_DIR bash "$REPO_DIR/scripts/build.sh"
	[ -x "$PROXY_BIN" ] || netns_die "the build did not produce $PROXY_BIN"
fi
netns_require_root
for t in curl iperf3 ping trafgen tcpdump; do
	command -v $t >/dev/null || netns_die "missing '$t': run scripts/install-deps.sh"
done
netns_install_trap

step "creating namespaces: $NS_CLIENT (WAN side) <-> $NS_WAN (switch) <-> $NS_PROXY (dpdk-synproxy) <-> $NS_SERVER (LAN side)"
netns_setup
echo "client $CLIENT_IP4 $CLIENT_IP6   server $SERVER_IP4 $SERVER_IP6   MTU $NETNS_MTU, offloads off"

step "starting dpdk-synproxy ($WORKERS workers, embedded default config)"
proxy_start "$WORKERS"
proxy_wait_started 60
grep -E 'steering=|forwarding started' "$PROXY_LOG" | sed 's/^/    /'
[ "$PROXY_MEM_MODE" = huge ] && echo "    (running on hugepages)" || echo "    (running without hugepages)"
HELPER_TIME=$([ $KEEP = 1 ] && echo 86400 || echo 300)   # helpers live as long as the demo

step "metrics: scripts/synproxy-exporter.py serves Prometheus metrics from the telemetry socket"
# In the proxy's namespace: its loopback is the demo's own, so a second demo
# (or the e2e test of this one) never finds the port taken.
EXPORTER_PORT=9477
EXPORTER_URL=http://127.0.0.1:$EXPORTER_PORT/metrics
netns_bg exporter "$NS_PROXY" "$HELPER_TIME" \
	python3 "$REPO_DIR/scripts/synproxy-exporter.py" -f "$PROXY_FILE_PREFIX" --port "$EXPORTER_PORT"
netns_wait_listen "$NS_PROXY" "$EXPORTER_PORT" 15
echo "    exporter: $EXPORTER_URL in namespace $NS_PROXY"
echo "    (ip netns exec $NS_PROXY curl -s $EXPORTER_URL)"

step "ping client -> server and back (IPv4)"
nsx "$NS_CLIENT" 20 -- ping -n -c 3 -i 0.3 -W 2 "$SERVER_IP4" | tail -n 2
nsx "$NS_SERVER" 20 -- ping -n -c 3 -i 0.3 -W 2 "$CLIENT_IP4" | tail -n 2

step "ping client -> server and back (IPv6)"
nsx "$NS_CLIENT" 20 -- ping -n -c 3 -i 0.3 -W 2 "$SERVER_IP6" | tail -n 2
nsx "$NS_SERVER" 20 -- ping -n -c 3 -i 0.3 -W 2 "$CLIENT_IP6" | tail -n 2

step "HTTP: curl a 4 MiB file from python3 -m http.server in the server namespace"
WWW=$NETNS_LOGDIR/www
mkdir -p "$WWW"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$WWW/file.bin"
# shellcheck disable=SC2016
printf 'Hello through dpdk-synproxy!\n' >"$WWW/index.txt"
netns_bg http "$NS_SERVER" "$HELPER_TIME" \
	python3 -m http.server --bind :: --directory "$WWW" 8080
netns_wait_listen "$NS_SERVER" 8080 15
for url in "http://$SERVER_IP4:8080/file.bin" "http://[$SERVER_IP6]:8080/file.bin"; do
	nsx "$NS_CLIENT" 60 -- curl -sS -g --fail --connect-timeout 10 --max-time 45 \
		-o "$NETNS_LOGDIR/got.bin" -w "    $url: %{size_download} bytes in %{time_total}s (%{speed_download} B/s)\n" "$url"
	if cmp -s "$WWW/file.bin" "$NETNS_LOGDIR/got.bin"; then
		echo "    identical at both ends (sha256 $(sha256sum <"$WWW/file.bin" | cut -c1-16)...)"
	else
		netns_die "the downloaded file differs from the served one"
	fi
done

step "SYN flood: an attacker on the WAN switch spoofs 100000 SYNs, then 50000 ACKs, while the client downloads"
# The attacker (198.19.0.1) sends with trafgen, every frame from a random
# source in 198.19.0.0/16 (the other half of the benchmarking range; the
# client's 198.18.0.0/24 is left alone) with a random port and ISN, then
# bare ACKs with random acknowledgment numbers (forged cookies). Both are
# bounded in count (-n) and time, paced at 25000 frames/s. A capture in the
# server namespace counts every SYN and ACK that reaches the server.
NS_ATTACKER=${NETNS_PREFIX}attacker
netns_add_wan_host "$NS_ATTACKER" 198.19.0.1/16
netns_bg srvcap "$NS_SERVER" 90 tcpdump -i eth0 -n -s 96 -U --immediate-mode -w "$NETNS_LOGDIR/server.pcap" tcp
for i in $(seq 50); do grep -q 'listening on' "$NETNS_LOGDIR/srvcap.log" 2>/dev/null && break; sleep 0.1; done
srvcap_pid=$NETNS_BG_PID
before=$(telemetry -c /synproxy/stats)
flood_t0=$SECONDS
netns_flood synflood "$NS_ATTACKER" syn 100000 25000 "$SERVER_IP4" 8080 40
flood_pid=$NETNS_BG_PID
sleep 0.5
attack=0
for i in 1 2 3; do
	nsx "$NS_CLIENT" 60 -- curl -sS --fail --connect-timeout 10 --max-time 45 -o /dev/null \
		-w "    download $i during the flood: HTTP %{http_code}, %{size_download} bytes in %{time_total}s\n" \
		"http://$SERVER_IP4:8080/file.bin"
	if [ "$(telemetry -k under_attack /synproxy/stats)" = 1 ]; then attack=1; fi
done
wait "$flood_pid" 2>/dev/null || true
echo "    attacker: $(grep -o '[0-9]* packets outgoing' "$NETNS_LOGDIR/synflood.log" | cut -d' ' -f1) spoofed SYNs sent in $((SECONDS - flood_t0))s"
netns_flood ackflood "$NS_ATTACKER" ack 50000 25000 "$SERVER_IP4" 8080 40
flood_pid=$NETNS_BG_PID
nsx "$NS_CLIENT" 60 -- curl -sS --fail --connect-timeout 10 --max-time 45 -o /dev/null \
	-w "    download 4 during the ACK flood: HTTP %{http_code}, %{size_download} bytes in %{time_total}s\n" \
	"http://$SERVER_IP4:8080/file.bin"
wait "$flood_pid" 2>/dev/null || true
echo "    attacker: $(grep -o '[0-9]* packets outgoing' "$NETNS_LOGDIR/ackflood.log" | cut -d' ' -f1) forged ACKs sent"
sleep 0.5        # the capture writes each packet as it comes (--immediate-mode)
after=$(telemetry -c /synproxy/stats)
kill -TERM "$srvcap_pid" 2>/dev/null || true
wait "$srvcap_pid" 2>/dev/null || true
echo "    what the proxy counted (change during the floods):"
python3 -c '
import json, sys
a = json.loads(sys.argv[1])["/synproxy/stats"]
b = json.loads(sys.argv[2])["/synproxy/stats"]
for k in ("rx_wan", "syn_received", "synack_sent_cookie", "synack_sent_cache", "syn_ratelimited",
          "ack_bad_cookie", "ack_cookie_ok", "ack_cache_ok", "syn_to_server"):
	if k in b:
		print("      %-20s +%d" % (k, b[k] - a.get(k, 0)))
print("      %-20s %d during the SYN flood, %d now" % ("under_attack", int(sys.argv[3]), b.get("under_attack", 0)))
' "$before" "$after" "$attack"
# Every SYN or ACK the server received, by source: only the real client's.
tcpdump -r "$NETNS_LOGDIR/server.pcap" -n 2>/dev/null | python3 -c '
import sys
server, clients = sys.argv[1:3], sys.argv[3:]
real, other = {"S": 0, "A": 0}, {"S": 0, "A": 0}
for line in sys.stdin:
	f = line.split()        # TIME IP|IP6 SRC.PORT > DST.PORT: Flags [..], ...
	if len(f) < 7 or f[1] not in ("IP", "IP6") or f[3] != ">" or "Flags [" not in line:
		continue
	src = f[2].rsplit(".", 1)[0]
	if src in server:
		continue        # sent by the server itself
	flags = line.split("Flags [", 1)[1].split("]", 1)[0]
	d = real if src in clients else other
	d["S"] += "S" in flags
	d["A"] += "." in flags and "S" not in flags
print("    at the server: %d SYNs and %d ACKs from the real client, %d SYNs and %d ACKs from anyone else"
      % (real["S"], real["A"], other["S"], other["A"]))
print("    spoofed SYNs that reached the server: %d" % other["S"])
' "$SERVER_IP4" "$SERVER_IP6" "$CLIENT_IP4" "$CLIENT_IP6"
echo "    half-open connections at the server: $(nsx "$NS_SERVER" 10 -- ss -Htn state syn-recv | wc -l)" \
	"(the flood never reached it)"

step "iperf3: 3 seconds client -> server"
netns_bg iperf3 "$NS_SERVER" "$HELPER_TIME" iperf3 -s -p 5201
netns_wait_listen "$NS_SERVER" 5201 10
nsx "$NS_CLIENT" 30 -- iperf3 -c "$SERVER_IP4" -p 5201 -t 3 --connect-timeout 5000 | grep -E 'sender|receiver'

step "telemetry: /synproxy/stats (scripts/telemetry.py -f $PROXY_FILE_PREFIX /synproxy/stats)"
telemetry -c /synproxy/stats | python3 -c '
import json, sys
s = json.load(sys.stdin)["/synproxy/stats"]
nz = [(k, v) for k, v in s.items() if v]
w = max(len(k) for k, _ in nz)
for i in range(0, len(nz), 3):
	print("    " + "   ".join("%-*s %10d" % (w, k, v) for k, v in nz[i:i + 3]))
print("    (counters that are zero are not shown)")'

step "metrics: a scrape of $EXPORTER_URL (a few of its series)"
nsx "$NS_PROXY" 20 -- curl -sS --fail --max-time 15 "$EXPORTER_URL" >"$NETNS_LOGDIR/metrics.prom" ||
	netns_die "the exporter did not answer at $EXPORTER_URL"
grep -E '^synproxy_(up|under_attack|mbufs_in_use|workers) |^synproxy_(syn_received|proxied_established)_total|^synproxy_dropped_packets_total.*reason="(syn_ratelimited|ack_bad_cookie)"' \
	"$NETNS_LOGDIR/metrics.prom" | sed 's/^/    /'
echo "    ($(grep -c '^# TYPE' "$NETNS_LOGDIR/metrics.prom") metric families, $(grep -vc '^#' "$NETNS_LOGDIR/metrics.prom") series;" \
	"Grafana dashboard: contrib/grafana/dpdk-synproxy.json)"

if [ $KEEP = 0 ]; then
	step "done: removing everything (run with --keep to play with it)"
	exit 0
fi

cat <<EOF

${BOLD}The demo keeps running; press Ctrl-C to stop it and remove everything.${PLAIN}

  Traffic (root shell):
    ip netns exec $NS_CLIENT curl http://$SERVER_IP4:8080/index.txt
    ip netns exec $NS_CLIENT ping $SERVER_IP6
    ip netns exec $NS_CLIENT iperf3 -c $SERVER_IP4 -t 5
  A spoofed SYN flood (100000 SYNs from 198.19.0.0/16, the demo's trafgen config):
    ip netns exec $NS_ATTACKER trafgen -o eth0 -i $NETNS_LOGDIR/synflood.trafgen -n 100000 -b 25000pps -P 1 --no-sock-mem
  Telemetry:
    $REPO_DIR/scripts/telemetry.py -f $PROXY_FILE_PREFIX /synproxy/stats /synproxy/lcores
    $REPO_DIR/scripts/telemetry.py -f $PROXY_FILE_PREFIX /synproxy/ports /synproxy/config
    dpdk-telemetry.py -f $PROXY_FILE_PREFIX          # interactive, DPDK's own client
  Metrics (Prometheus text; the exporter runs in the proxy's namespace):
    ip netns exec $NS_PROXY curl -s $EXPORTER_URL
    $REPO_DIR/scripts/synproxy-exporter.py -f $PROXY_FILE_PREFIX   # on the host (127.0.0.1:9477), for a local Prometheus
  Capture (dpdk-dumpcap attaches to the running proxy as a secondary process):
EOF
if [ "$PROXY_MEM_MODE" = huge ]; then
	echo "    dpdk-dumpcap --file-prefix $PROXY_FILE_PREFIX -i net_af_packet1 -c 100 -w /tmp/wan.pcapng"
else
	echo "    (needs the proxy on hugepages: stop, run  sudo scripts/deploy.sh hugepages 1G  and start again;"
	echo "     meanwhile:  ip netns exec $NS_PROXY tcpdump -ni wan0)"
fi
cat <<EOF
  Proxy log: $PROXY_LOG
EOF
while kill -0 "$PROXY_PID" 2>/dev/null; do
	sleep 1
done
# Stopped by a signal of its own (Ctrl-C reaches it too): a clean stop is fine.
proxy_stop TERM
[ "$PROXY_RC" = 0 ] || netns_die "dpdk-synproxy exited with status $PROXY_RC (log below)"
exit 0
