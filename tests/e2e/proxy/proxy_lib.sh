# shellcheck shell=bash
#
# proxy_lib.sh - what the SYN-proxy end-to-end tests share, on top of the
# harness (../lib.sh: strict mode, topology, cleanup trap, assertions).
#
# A test writes the proxy's config into its own temporary directory
# (px_config: one knob set per test, everything else the demo's small
# tables), starts or restarts the proxy on it (px_start, one worker), and
# judges the run by counter deltas (px_mark before, px_read after, then
# px_delta KEY) and by captures taken with tcpdump inside the end hosts'
# namespaces (px_cap_start / px_cap_stop), read by pcap_tcp.py. The python
# helpers next to this file do what curl and iperf3 cannot: tcpprobe.py
# reports TCP_INFO at both ends of one connection, rawtcp.py makes
# handshakes with a chosen delay before the final ACK.

# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
E2E_NAME=$(basename "$0" .sh)    # lib.sh took this file's name
PX_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_netns_logdir

# Run a python helper of this folder in a namespace, bounded in time:
# px_py NS SECONDS helper.py args...
px_py() {
	local ns=$1 t=$2 h=$3
	shift 3
	nsx "$ns" "$t" -- python3 "$PX_DIR/$h" "$@"
}

# Write a proxy config: px_config FILE MODE [JSON members for "synproxy"]
# MODE is cookie, cache, auto, or off (synproxy.enabled=false: a pure bridge).
px_config() {
	local file=$1 mode=$2 extra=${3:-} enabled=true
	if [ "$mode" = off ]; then
		enabled=false
		mode=auto
	fi
	cat >"$file" <<EOF
/* written by $E2E_NAME */
{
	"ports": [
		{ "name": "net_af_packet0", "role": "lan" },
		{ "name": "net_af_packet1", "role": "wan" }
	],
	"mempool_size": 8191,
	"log_level": "info",
	"synproxy": {
		"enabled": $enabled,
		"mode": "$mode",
		"flow_table_size": 65536,
		"syn_cache_size": 16384${extra:+,
		$extra}
	}
}
EOF
}

# (Re)start the proxy on a config: px_start CONFIG [WORKERS]
# A running proxy is stopped first and must exit cleanly.
px_start() {
	local cfg=$1 workers=${2:-1}
	if [ -n "$PROXY_PID" ]; then
		proxy_stop TERM 20
		[ "$PROXY_RC" = 0 ] || e2e_fail "the proxy exited with '$PROXY_RC' when stopped"
	fi
	proxy_start "$workers" --config "$cfg"
	proxy_wait_started 60
	e2e_log "proxy up on $(basename "$cfg") ($workers worker(s)), pid $PROXY_PID"
}

# ---- counters ----------------------------------------------------------------
declare -A PX_NOW=() PX_BASE=()

# Read /synproxy/stats into PX_NOW.
px_read() {
	local k v
	PX_NOW=()
	while read -r k v; do
		PX_NOW[$k]=$v
	done < <(telemetry -c /synproxy/stats | python3 -c '
import json, sys
for k, v in json.load(sys.stdin)["/synproxy/stats"].items():
	if isinstance(v, int):
		print(k, v)')
	[ ${#PX_NOW[@]} -gt 10 ] || e2e_fail "could not read /synproxy/stats"
}

# Remember the counters now; px_delta measures from here.
px_mark() {
	local k
	px_read
	PX_BASE=()
	for k in "${!PX_NOW[@]}"; do
		PX_BASE[$k]=${PX_NOW[$k]}
	done
}

# Growth of a counter between px_mark and the last px_read.
px_delta() { echo $((${PX_NOW[$1]:-0} - ${PX_BASE[$1]:-0})); }
# Its current value (last px_read).
px_now() { echo "${PX_NOW[$1]:-0}"; }

# Print the deltas of the named counters on one line (for the log).
px_show() {
	local k out=""
	for k in "$@"; do
		out+=" $k=+$(px_delta "$k")"
	done
	e2e_log "counters:$out"
}

# Wait until a counter reaches a value: px_wait_stat KEY OP VALUE SECONDS
# (OP: -eq -le -ge). Leaves the last reading in PX_NOW; returns 1 on timeout.
px_wait_stat() {
	local key=$1 op=$2 want=$3 t=$4 i
	for ((i = 0; i < t * 5; i++)); do
		px_read
		# shellcheck disable=SC2086
		[ "$(px_now "$key")" $op "$want" ] && return 0
		sleep 0.2
	done
	return 1
}

# ---- captures ----------------------------------------------------------------
declare -A PX_CAP=()

# tcpdump on eth0 of a namespace into $NETNS_LOGDIR/NAME.pcap, in the
# background, until px_cap_stop: px_cap_start NAME NS FILTER...
px_cap_start() {
	local name=$1 ns=$2 i
	shift 2
	rm -f "$NETNS_LOGDIR/$name.pcap"
	netns_bg "cap-$name" "$ns" 200 tcpdump -i eth0 -n -s 200 -U -B 8192 \
		-w "$NETNS_LOGDIR/$name.pcap" "$@"
	PX_CAP[$name]=$NETNS_BG_PID
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening on' "$NETNS_LOGDIR/cap-$name.log" 2>/dev/null && return 0
		kill -0 "$NETNS_BG_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$NETNS_LOGDIR/cap-$name.log" >&2
	e2e_fail "tcpdump in $ns did not start"
}

# Stop a capture (tcpdump flushes on SIGTERM); prints tcpdump's counts.
px_cap_stop() {
	local name=$1 pid=${PX_CAP[$1]}
	sleep 0.3    # let the last frames in
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	_netns_forget_pid "$pid"
	unset "PX_CAP[$name]"
	[ -s "$NETNS_LOGDIR/$name.pcap" ] || e2e_fail "capture $name is empty"
	e2e_log "capture $name: $(grep -E 'captured|dropped by kernel' "$NETNS_LOGDIR/cap-$name.log" | tr '\n' ' ')"
}

# pcap_tcp.py on captures of this run: px_pcap CMD ARGS...
px_pcap() { python3 "$PX_DIR/pcap_tcp.py" "$@"; }

# ---- traffic -------------------------------------------------------------------

# N fetches of the test blob, each checked: px_fetch_n N URL
px_fetch_n() {
	local n=$1 url=$2 i
	for ((i = 0; i < n; i++)); do
		e2e_fetch "$url" >/dev/null
	done
	e2e_log "ok: $n fetches of $url intact"
}

# iperf3 for T seconds through the proxy: px_iperf ADDR T [extra iperf3 args]
# (needs an "iperf3 -s -p 5201" in the server namespace)
px_iperf() {
	local addr=$1 t=$2 out=$NETNS_LOGDIR/iperf.txt
	shift 2
	nsx "$NS_CLIENT" $((t + 20)) -- iperf3 -c "$addr" -p 5201 -t "$t" --connect-timeout 5000 "$@" >"$out" 2>&1 ||
		{ cat "$out" >&2; e2e_fail "iperf3 to $addr failed"; }
	e2e_log "ok: iperf3 $addr $*: $(grep -E 'receiver' "$out" | tail -n 1 | awk '{print $7, $8}')"
}
