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
	"mempool_size": 16383,
	"steer_ring_size": 1024,
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

# (Re)start the proxy on a config: px_start CONFIG [WORKERS [PROXY ARGS...]]
# A running proxy is stopped first and must exit cleanly. Its log is kept
# as proxy.N.log: proxy_start truncates proxy.log only once the new process
# runs, so proxy_wait_started could otherwise find the old instance's
# "forwarding started" and return before the new one is up. Ready means
# the telemetry socket answers too.
PX_RESTARTS=0
px_start() {
	local cfg=$1 workers=${2:-1} i
	shift $(($# < 2 ? $# : 2))
	if [ -n "$PROXY_PID" ]; then
		proxy_stop TERM 20
		[ "$PROXY_RC" = 0 ] || e2e_fail "the proxy exited with '$PROXY_RC' when stopped"
	fi
	if [ -f "$NETNS_LOGDIR/proxy.log" ]; then
		PX_RESTARTS=$((PX_RESTARTS + 1))
		mv "$NETNS_LOGDIR/proxy.log" "$NETNS_LOGDIR/proxy.$PX_RESTARTS.log"
	fi
	proxy_start "$workers" --config "$cfg" "$@"
	proxy_wait_started 60
	for ((i = 0; i < 100; i++)); do
		timeout 10 python3 "$PX_DIR/stats.py" "$PROXY_FILE_PREFIX" >/dev/null 2>&1 && break
		sleep 0.1
	done
	[ $i -lt 100 ] || e2e_fail "the proxy's telemetry does not answer 10 s after start"
	e2e_log "proxy up on $(basename "$cfg") ($workers worker(s)), pid $PROXY_PID"
}

# ---- counters ----------------------------------------------------------------
declare -A PX_NOW=() PX_BASE=()

# Read /synproxy/stats into PX_NOW (stats.py). Should a key appear twice in
# the JSON the first value is kept (the event counters come before the
# occupancy figures) and the key is listed in PX_DUPS.
PX_DUPS=""
px_read() {
	local k v
	PX_NOW=()
	PX_DUPS=""
	while read -r k v; do
		if [ "$k" = "#dup" ]; then
			PX_DUPS+="${PX_DUPS:+ }$v"
		else
			PX_NOW[$k]=$v
		fi
	done < <(timeout 10 python3 "$PX_DIR/stats.py" "$PROXY_FILE_PREFIX")
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
	local key=$1 op=$2 want=$3 t=$4 i v
	for ((i = 0; i < t * 5; i++)); do
		px_read
		v=$(px_now "$key")
		case $op in
		-eq) [ "$v" -eq "$want" ] && return 0 ;;
		-le) [ "$v" -le "$want" ] && return 0 ;;
		-ge) [ "$v" -ge "$want" ] && return 0 ;;
		*) e2e_fail "px_wait_stat: unknown operator '$op'" ;;
		esac
		sleep 0.2
	done
	return 1
}

# ---- captures ----------------------------------------------------------------
declare -A PX_CAP=()

# tcpdump on eth0 of a namespace into $NETNS_LOGDIR/NAME.pcap, in the
# background, until px_cap_stop: px_cap_start NAME NS FILTER...
# --immediate-mode: each packet reaches tcpdump at once, not when the
# kernel's ring block fills or times out (1 s), so a stopped capture holds
# everything that crossed the interface.
px_cap_start() {
	local name=$1 ns=$2 i
	shift 2
	rm -f "$NETNS_LOGDIR/$name.pcap"
	netns_bg "cap-$name" "$ns" 200 tcpdump -i eth0 -n -s 200 -U --immediate-mode -B 8192 \
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

# Stop a capture and check it is complete: px_cap_stop NAME
# tcpdump stops reading at SIGTERM, and whatever the kernel queued for it
# but it had not read yet is lost; on a loaded box that can be half the
# capture. So first wait (10 s at most) until the file stopped growing,
# then stop it and compare its own counts: every packet the filter passed
# must have been written, none dropped.
px_cap_stop() {
	local name=$1 pid=${PX_CAP[$1]} f=$NETNS_LOGDIR/$1.pcap i last=-1 size stable=0
	for ((i = 0; i < 50 && stable < 2; i++)); do
		sleep 0.2
		size=$(stat -c %s "$f" 2>/dev/null || echo 0)
		if [ "$size" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
		last=$size
	done
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	_netns_forget_pid "$pid"
	unset "PX_CAP[$name]"
	local log=$NETNS_LOGDIR/cap-$name.log cap rec drop
	cap=$(awk '/packets? captured/ {print $1}' "$log")
	rec=$(awk '/packets? received by filter/ {print $1}' "$log")
	drop=$(awk '/packets? dropped by kernel/ {print $1}' "$log")
	e2e_log "capture $name: ${cap:-?} captured, ${rec:-?} received by the filter, ${drop:-?} dropped"
	[ -s "$f" ] || e2e_fail "capture $name is empty"
	if ! { [ -n "$cap" ] && [ "$cap" = "$rec" ] && [ "$drop" = 0 ]; }; then
		e2e_fail "capture $name is incomplete (tcpdump: $(tr '\n' ' ' <"$log"))"
	fi
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
	e2e_log "ok: iperf3 $addr${*:+ $*}: $(grep -E 'receiver' "$out" | tail -n 1 | awk '{print $7, $8}')"
}
