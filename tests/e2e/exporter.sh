#!/usr/bin/env bash
# exporter.sh - scripts/synproxy-exporter.py against a running proxy.
#
# The proxy (two workers) carries real HTTP downloads, a few bare handshakes,
# one connection the server refuses and a few forged ACKs and stray RSTs
# (dropped, with a reason). The exporter runs in the proxy's
# namespace (the telemetry socket is a file; its HTTP port on that
# namespace's loopback collides with nothing), bound to 127.0.0.1 by default.
# Once the links are idle, /synproxy/stats and /synproxy/ports are read just
# before and just after one scrape: every counter of the scrape (summed over
# the worker label) must lie between the two reads, and the counters that
# cannot move on an idle link (checked not to) must equal them exactly. The
# text passes `promtool check metrics`; an OpenMetrics Accept header gets
# OpenMetrics, which promtool's OpenMetrics parser reads. With the proxy stopped the exporter answers HTTP 200 with
# synproxy_up 0, and it stops cleanly on SIGTERM.
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || e2e_fail "missing promtool (package prometheus): run scripts/install-deps.sh"
NETNS_IPV6=0
PORT=9477
e2e_up 2
netns_static_neigh

netns_bg exporter "$NS_PROXY" 250 python3 "$REPO_DIR/scripts/synproxy-exporter.py" \
	-f "$PROXY_FILE_PREFIX" --port "$PORT" --timeout 2
exp_pid=$NETNS_BG_PID
netns_wait_listen "$NS_PROXY" "$PORT" 15
assert_eq "exporter listens on loopback only" "127.0.0.1:$PORT" \
	"$(nsx "$NS_PROXY" 10 -- ss -Htln "sport = :$PORT" | awk '{print $4}')"

scrape() { # NAME [curl options...] -> $NETNS_LOGDIR/NAME.prom and NAME.hdr
	local name=$1
	shift
	nsx "$NS_PROXY" 20 -- curl -sS --fail --max-time 15 -D "$NETNS_LOGDIR/$name.hdr" \
		-o "$NETNS_LOGDIR/$name.prom" "$@" "http://127.0.0.1:$PORT/metrics" ||
		e2e_fail "scrape $name: curl failed"
}

# Traffic: downloads, bare handshakes, a refused connection.
e2e_http_server 256
for i in 1 2 3; do
	e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob"
done
nsx "$NS_CLIENT" 30 -- python3 -c '
import socket, sys
for i in range(5):
	s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
	s.close()
' "$SERVER_IP4" "$HTTP_PORT" || e2e_fail "bare handshakes failed"
# Nothing listens on 8081: the server refuses the proxy's probe of it (or,
# once the port is known, the handshake the client completed at the proxy).
nsx "$NS_CLIENT" 20 -- curl -sS --connect-timeout 5 --max-time 10 -o /dev/null \
	"http://$SERVER_IP4:8081/" >/dev/null 2>&1 || true
# Drops with a reason: bare ACKs with no valid cookie, stray RSTs of no flow.
command -v hping3 >/dev/null || e2e_fail "missing hping3: run scripts/install-deps.sh"
nsx "$NS_CLIENT" 20 -- hping3 -q -A -c 3 -i u20000 -p "$HTTP_PORT" "$SERVER_IP4" >/dev/null 2>&1 || true
nsx "$NS_CLIENT" 20 -- hping3 -q -R -c 2 -i u20000 -p "$HTTP_PORT" "$SERVER_IP4" >/dev/null 2>&1 || true

# Idle: wait until two reads a second apart agree (closing flows settle).
STABLE=(rx_lan rx_wan tx_lan tx_wan fwd_lan_to_wan fwd_wan_to_lan ipv4 tcp syn_received
	synack_sent_cookie synack_sent_cache ack_cookie_ok ack_cache_ok syn_to_server server_synack
	server_rst proxied_established translated_wan translated_lan fin_seen rst_accepted
	ack_bad_cookie wan_no_flow)
stable_sig() { telemetry -c /synproxy/stats | python3 -c '
import json, sys
s = json.load(sys.stdin)["/synproxy/stats"]
print(" ".join(str(s.get(k)) for k in sys.argv[1:]))' "${STABLE[@]}"; }
prev=
for _ in $(seq 1 15); do
	cur=$(stable_sig)
	[ "$cur" = "$prev" ] && break
	prev=$cur
	sleep 1
done
[ "$cur" = "$prev" ] || e2e_fail "the counters did not settle after the traffic"

telemetry -c /synproxy/stats /synproxy/ports >"$NETNS_LOGDIR/before.json"
scrape text
telemetry -c /synproxy/stats /synproxy/ports >"$NETNS_LOGDIR/after.json"
scrape om -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'

assert_contains "Content-Type of the default scrape" "Content-Type: text/plain; version=0.0.4" "$NETNS_LOGDIR/text.hdr"
assert_contains "Content-Type with an OpenMetrics Accept header" \
	"Content-Type: application/openmetrics-text; version=1.0.0" "$NETNS_LOGDIR/om.hdr"

rc=0
promtool check metrics <"$NETNS_LOGDIR/text.prom" >"$NETNS_LOGDIR/promtool.out" 2>&1 || rc=$?
cat "$NETNS_LOGDIR/promtool.out"
assert_eq "promtool check metrics: exit code" 0 "$rc"
assert_eq "promtool check metrics: complaints" 0 "$(wc -l <"$NETNS_LOGDIR/promtool.out")"
# The OpenMetrics scrape through Prometheus' own OpenMetrics parser (promtool's
# backfill, which wants a timestamp on every sample).
awk '/^#/ {print; next} {print $0 " 1700000000"}' "$NETNS_LOGDIR/om.prom" >"$NETNS_LOGDIR/om-stamped.txt"
rc=0
timeout 60 promtool tsdb create-blocks-from openmetrics "$NETNS_LOGDIR/om-stamped.txt" \
	"$NETNS_LOGDIR/blocks" >"$NETNS_LOGDIR/promtool-om.out" 2>&1 || rc=$?
cat "$NETNS_LOGDIR/promtool-om.out"
assert_eq "promtool parses the OpenMetrics scrape: exit code" 0 "$rc"

python3 - "$NETNS_LOGDIR" "$REPO_DIR/scripts/synproxy-exporter.py" "${STABLE[@]}" <<'PY' || e2e_fail "the metrics do not match the telemetry (above)"
import importlib.machinery, importlib.util, json, re, sys
d, exporter, stable = sys.argv[1], sys.argv[2], set(sys.argv[3:])
loader = importlib.machinery.SourceFileLoader("exp", exporter)
ex = importlib.util.module_from_spec(importlib.util.spec_from_loader("exp", loader))
loader.exec_module(ex)

def load(name):
	out = {}
	for line in open("%s/%s.json" % (d, name)):
		out.update(json.loads(line))
	return out["/synproxy/stats"], out["/synproxy/ports"]

def samples(name):
	out = []
	for line in open("%s/%s.prom" % (d, name)):
		if line.startswith("#"):
			continue
		m = re.match(r'^(\w+)(?:\{(.*)\})? (\S+)$', line.strip())
		assert m, "unparsable line: " + line
		labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
		out.append((m.group(1), labels, float(m.group(3))))
	return out

s0, p0 = load("before")
s1, p1 = load("after")
text, om = samples("text"), samples("om")
ok = True
def check(what, good, detail):
	global ok
	print("  %-4s %-58s %s" % ("ok" if good else "FAIL", what, detail))
	ok &= bool(good)

def total(ss, name, **match):
	return sum(v for n, l, v in ss if n == name and all(l.get(k) == x for k, x in match.items()))

check("synproxy_up", total(text, "synproxy_up") == 1, total(text, "synproxy_up"))
for k in sorted(stable):
	check("idle: %s did not move" % k, s0[k] == s1[k], "%s -> %s" % (s0[k], s1[k]))
for k, v in sorted(s0.items()):
	if k not in ex.WORKER_KEYS or ex.FAMILIES[ex.WORKER_KEYS[k][0]][0] != ex.COUNTER:
		continue
	fam, extra = ex.WORKER_KEYS[k]
	got = total(text, "synproxy_%s_total" % fam, **extra)
	if s0[k] == s1[k]:
		check("%s == /synproxy/stats %s" % (fam + str(extra or ""), k), got == s0[k], "%d vs %d" % (got, s0[k]))
	else:
		check("%s in /synproxy/stats %s" % (fam, k), s0[k] <= got <= s1[k], "%d in %d..%d" % (got, s0[k], s1[k]))
# The same few by hand, independent of the exporter's table.
for metric, labels, key in (("synproxy_syn_received_total", {}, "syn_received"),
			    ("synproxy_proxied_established_total", {}, "proxied_established"),
			    ("synproxy_server_rst_total", {}, "server_rst"),
			    ("synproxy_received_frames_total", {"port": "wan"}, "rx_wan"),
			    ("synproxy_bridged_frames_total", {"direction": "lan_to_wan"}, "fwd_lan_to_wan")):
	check("%s%s" % (metric, labels or ""), total(text, metric, **labels) == s1[key], s1[key])
check("syn_received >= 9 (3 downloads, 5 handshakes, 1 refused)", s1["syn_received"] >= 9, s1["syn_received"])
check("proxied_established >= 8", s1["proxied_established"] >= 8, s1["proxied_established"])
# the refusal: by the probe of the unknown port (src/fwd/synproxy_probe.c), or
# by the server in the handshake
check("server_rst + probe_refused >= 1", s1["server_rst"] + s1["probe_refused"] >= 1,
      s1["server_rst"] + s1["probe_refused"])
for reason, n in (("ack_bad_cookie", 3), ("wan_no_flow", 2)):
	got = total(text, "synproxy_dropped_packets_total", reason=reason)
	check("synproxy_dropped_packets_total{reason=%s} >= %d" % (reason, n), got == s1[reason] >= n, got)
check("synack_sent by method sums to the SYN-ACKs",
      total(text, "synproxy_synack_sent_total") == s1["synack_sent_cookie"] + s1["synack_sent_cache"],
      total(text, "synproxy_synack_sent_total"))
workers = {l.get("worker") for n, l, v in text if n == "synproxy_syn_received_total"}
check("worker labels", workers == {"0", "1"}, sorted(workers))
check("synproxy_worker_info per worker", {l["worker"] for n, l, v in text if n == "synproxy_worker_info"} == {"0", "1"}, "")
check("synproxy_under_attack", total(text, "synproxy_under_attack") == s1["under_attack"] == 0, s1["under_attack"])
check("synproxy_workers", total(text, "synproxy_workers") == 2, total(text, "synproxy_workers"))
check("synproxy_mbuf_pool_size", total(text, "synproxy_mbuf_pool_size") == s1["mbuf_total"], s1["mbuf_total"])
states = {k[6:] for k in s1 if k.startswith("state_")}
got_states = {l["state"] for n, l, v in text if n == "synproxy_flows"}
check("synproxy_flows has every state", states and got_states == states, sorted(got_states))
for st in sorted(states):
	k = "state_" + st
	if s0[k] == s1[k]:
		check("synproxy_flows{state=%s}" % st, total(text, "synproxy_flows", state=st) == s1[k], s1[k])
# Ports: ethdev counters per role.
for role in ("lan", "wan"):
	for key, metric in (("ipackets", "port_received_packets"), ("opackets", "port_transmitted_packets"),
			    ("ibytes", "port_received_bytes"), ("obytes", "port_transmitted_bytes"),
			    ("imissed", "port_rx_missed_packets")):
		got = total(text, "synproxy_%s_total" % metric, port=role)
		a, b = p0[role][key], p1[role][key]
		check("synproxy_%s_total{port=%s}" % (metric, role), a <= got <= b and (a != b or got == a),
		      "%d in %d..%d" % (got, a, b))
	info = [l for n, l, v in text if n == "synproxy_port_info" and l.get("port") == role]
	check("synproxy_port_info{port=%s}" % role, len(info) == 1 and info[0]["name"] == p1[role]["name"],
	      info[0].get("name") if info else None)
	check("synproxy_port_link_up{port=%s}" % role, total(text, "synproxy_port_link_up", port=role) == 1, "")
# OpenMetrics: same counters, its own framing.
omtext = open("%s/om.prom" % d).read()
check("OpenMetrics ends with # EOF", omtext.endswith("# EOF\n"), "")
check("OpenMetrics counter family without _total", "# TYPE synproxy_syn_received counter\n" in omtext, "")
check("OpenMetrics info family", "# TYPE synproxy_port info\n" in omtext, "")
for k in sorted(stable & set(ex.WORKER_KEYS)):
	fam, extra = ex.WORKER_KEYS[k]
	n = "synproxy_%s_total" % fam
	check("OpenMetrics %s%s" % (n, extra or ""), total(om, n, **extra) == total(text, n, **extra), "")
sys.exit(0 if ok else 1)
PY
e2e_log "ok: the scrape matches /synproxy/stats and /synproxy/ports"

# The proxy goes away: HTTP 200, synproxy_up 0, the exporter keeps running.
proxy_stop TERM 20
scrape down
assert_eq "scrape with the proxy stopped: synproxy_up" "synproxy_up 0" "$(grep '^synproxy_up ' "$NETNS_LOGDIR/down.prom")"
assert_eq "scrape with the proxy stopped: samples" 2 "$(grep -vc '^#' "$NETNS_LOGDIR/down.prom")"
kill -0 "$exp_pid" 2>/dev/null || e2e_fail "the exporter died with the proxy"
assert_contains "exporter log" "serving synproxy_up 0" "$NETNS_LOGDIR/exporter.log"
kill -TERM "$exp_pid"
rc=0
wait "$exp_pid" || rc=$?
_netns_forget_pid "$exp_pid"
assert_eq "exporter exit code on SIGTERM" 0 "$rc"
if grep -q Traceback "$NETNS_LOGDIR/exporter.log"; then
	cat "$NETNS_LOGDIR/exporter.log" >&2
	e2e_fail "the exporter printed a stack trace"
fi
e2e_pass
