#!/usr/bin/env bash
# proxy_options.sh - the TCP options client and server negotiate through the
# proxy are the ones they negotiate with no proxy.
#
# Both ends report their own view from TCP_INFO (tcpprobe.py): which of
# timestamps, SACK and window scaling are on (tcpi_options), the window
# scale each side sends with and expects (tcpi_snd_wscale/rcv_wscale) and
# the MSS each side sends with (tcpi_snd_mss, which follows the peer's MSS
# option). The baseline comes from the same client/server pair in the same
# topology with synproxy.enabled=false (the proxy is then a plain bridge).
#
# Cases, each on its own server port (the proxy learns a server's options
# per address and port, so every case starts from a clean slate): server
# defaults; net.ipv4.tcp_sack=0; net.ipv4.tcp_timestamps=0;
# net.ipv4.tcp_window_scaling=0; defaults over IPv6. The proxy has to
# answer a client's SYN before it has heard from the server, so it announces
# its configured defaults until the server's first SYN-ACK teaches it what
# that server does: each case therefore makes one priming connection first
# and compares the second. Each compared connection also carries 256 KiB
# echoed back intact, so the translation the options imply (window scaling
# on one side only, no SACK, no timestamps) actually moves data.
#
# Modes: auto (quiet, so the SYN cache) for every case; cookie for the cases
# where the server keeps timestamps (a cookie carries window scale and SACK
# only inside the timestamp, so with a server that refuses timestamps cookie
# mode gives them up by design; README "How the proxy behaves").
#
# MSS: a client whose SYN announces 1234 (TCP_MAXSEG; not in mss_table):
# in cache mode the server's SYN carries exactly 1234 (capture at the
# server) and the server's snd_mss equals the baseline's; in cookie mode it
# is the table entry below or a finer value, never above 1234.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

CASES=(defaults nosack nots nowscale v6)
declare -A PORT=([defaults]=7001 [nosack]=7002 [nots]=7003 [nowscale]=7004 [v6]=7005)
declare -A SYSCTL=([defaults]="" [nosack]=net.ipv4.tcp_sack=0 [nots]=net.ipv4.tcp_timestamps=0
	[nowscale]=net.ipv4.tcp_window_scaling=0 [v6]="")
MSS_PORT=7006
OUT=$NETNS_LOGDIR/opts
mkdir -p "$OUT"

netns_setup
for m in off auto cache cookie; do
	px_config "$NETNS_LOGDIR/$m.json" "$m"
done
server_args=()
for c in "${CASES[@]}"; do server_args+=(--port "${PORT[$c]}"); done
netns_bg probe "$NS_SERVER" 250 python3 "$PX_DIR/tcpprobe.py" server "${server_args[@]}" --port $MSS_PORT
netns_wait_listen "$NS_SERVER" $MSS_PORT 10

server_sysctls() {
	nsx "$NS_SERVER" sysctl -qw net.ipv4.tcp_sack=1 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_window_scaling=1
	[ -z "$1" ] || nsx "$NS_SERVER" sysctl -qw "$1"
}

probe() { # probe OUTFILE ADDR PORT [client args]
	local out=$1 addr=$2 port=$3
	shift 3
	px_py "$NS_CLIENT" 30 tcpprobe.py client "$addr" "$port" --bytes 262144 "$@" >"$out" ||
		{ cat "$out" >&2; e2e_fail "tcpprobe to $addr:$port failed"; }
}

# run_cases MODE CASE...: one (baseline) or two (priming + compared) connections per case.
run_cases() {
	local mode=$1 c addr
	shift
	for c in "$@"; do
		addr=$SERVER_IP4
		[ "$c" != v6 ] || addr=$SERVER_IP6
		server_sysctls "${SYSCTL[$c]}"
		[ "$mode" = off ] || probe "$OUT/$mode-$c-prime.json" "$addr" "${PORT[$c]}"
		probe "$OUT/$mode-$c.json" "$addr" "${PORT[$c]}"
	done
	server_sysctls ""
}

# The MSS probe: capture the SYN the server receives. mss_probe MODE
mss_probe() {
	local mode=$1
	px_cap_start "mss-$mode" "$NS_SERVER" "tcp port $MSS_PORT and tcp[tcpflags] & tcp-syn != 0"
	probe "$OUT/$mode-mss-prime.json" "$SERVER_IP4" $MSS_PORT --mss 1234
	probe "$OUT/$mode-mss.json" "$SERVER_IP4" $MSS_PORT --mss 1234
	px_cap_stop "mss-$mode"
	px_pcap synopts "$NETNS_LOGDIR/mss-$mode.pcap" $MSS_PORT >"$OUT/$mode-mss-syn.json"
}

compare() { # compare MODE CASE...
	python3 - "$OUT" "$@" <<'PY'
import json, sys
out, mode, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
keys = ("options", "snd_wscale", "rcv_wscale", "snd_mss")
names = {1: "ts", 2: "sack", 4: "ws"}
def fmt(v, k):
	if k == "options":
		return "+".join(n for b, n in names.items() if v & b) or "-"
	return str(v)
bad = 0
for c in cases:
	base = json.load(open("%s/off-%s.json" % (out, c)))
	got = json.load(open("%s/%s-%s.json" % (out, mode, c)))
	for side in ("client", "server"):
		diff = [k for k in keys if base[side][k] != got[side][k]]
		line = "  %-6s %-9s %-6s " % (mode, c, side) + "  ".join(
			"%s=%s" % (k, fmt(got[side][k], k)) +
			("" if k not in diff else " (no proxy: %s)" % fmt(base[side][k], k)) for k in keys)
		print(line + ("   MISMATCH" if diff else ""))
		bad += bool(diff)
	if not got["bulk_ok"]:
		print("  %s %s: the 256 KiB echo came back wrong" % (mode, c))
		bad += 1
sys.exit(1 if bad else 0)
PY
}

# 1. The baseline: the proxy as a plain bridge.
px_start "$NETNS_LOGDIR/off.json"
run_cases off "${CASES[@]}"
mss_probe off
px_mark
assert_eq "SYNs the disabled proxy answered" 0 "$(px_now syn_received)"

# 2. auto mode (SYN cache while quiet): every case.
px_start "$NETNS_LOGDIR/auto.json"
px_mark
run_cases auto "${CASES[@]}"
px_read
assert_ge "SYN-ACKs from the cache in auto mode" $((${#CASES[@]} * 2)) "$(px_delta synack_sent_cache)"
assert_eq "SYN-ACKs from cookies in auto mode (quiet)" 0 "$(px_delta synack_sent_cookie)"
compare auto "${CASES[@]}" || e2e_fail "auto mode: options differ from the baseline (above)"
e2e_log "ok: auto mode negotiates what the ends negotiate without the proxy (${CASES[*]})"

# 3. cache mode: the client's exact MSS reaches the server.
px_start "$NETNS_LOGDIR/cache.json"
mss_probe cache
compare cache mss || e2e_fail "cache mode: options or MSS differ from the baseline (above)"
# A field of the last SYN (not SYN-ACK) in a synopts listing.
field_of() {
	python3 -c 'import json, sys; print([s for s in json.load(open(sys.argv[1])) if s["dir"] == "syn"][-1][sys.argv[2]])' "$1" "$2"
}
assert_eq "MSS option of the SYN at the server, no proxy" 1234 "$(field_of "$OUT/off-mss-syn.json" mss)"
assert_eq "MSS option of the SYN at the server, cache mode" 1234 "$(field_of "$OUT/cache-mss-syn.json" mss)"

# 4. cookie mode: the cases a cookie can carry, and its MSS rounding.
px_start "$NETNS_LOGDIR/cookie.json"
px_mark
run_cases cookie defaults nosack nowscale v6
mss_probe cookie
px_read
assert_ge "SYN-ACKs from cookies in cookie mode" 10 "$(px_delta synack_sent_cookie)"
assert_eq "SYN-ACKs from the cache in cookie mode" 0 "$(px_delta synack_sent_cache)"
compare cookie defaults nosack nowscale v6 || e2e_fail "cookie mode: options differ from the baseline (above)"
mss=$(field_of "$OUT/cookie-mss-syn.json" mss)
assert_range "MSS of the SYN at the server, cookie mode (1220 = mss_table entry below 1234)" 1220 1234 "$mss"
e2e_pass
