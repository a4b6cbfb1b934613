#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
synproxy-exporter.py - Prometheus / OpenMetrics metrics of a running dpdk-synproxy.

    synproxy-exporter.py [-f FILE_PREFIX] [-s SOCKET] [--listen ADDR] [--port N]
                         [--timeout S] [--once [--openmetrics]]

Serves GET /metrics over HTTP (default http://127.0.0.1:9477/metrics: bound to
loopback unless the operator chooses an address). Every scrape opens the DPDK
telemetry socket afresh (scripts/telemetry.py speaks it; imported, not
copied), reads /synproxy/stats, /synproxy/lcores and /synproxy/ports under a
time limit, and turns them into synproxy_* metrics: per-worker counters with a
worker label, per-port ethdev counters with a port label, gauges for the
tables, the mbuf pool and the under-attack state. A proxy that is down or
silent gives "synproxy_up 0" with HTTP 200, as exporters do.

The metrics follow the telemetry at run time: every numeric key the proxy
reports is exported, also one this file does not know yet (as an untyped
metric named after the key). The table below only adds names, types, labels
and help text; tests/unit/tools/test_exporter.py fails when a counter of
src/stats.h or src/fwd/synproxy.h, or a key of src/telemetry.c, has no entry,
so the table cannot silently drift from the C sources.

The text format is Prometheus' 0.0.4; a scraper that asks for OpenMetrics in
its Accept header (Prometheus does) gets OpenMetrics 1.0.0. Only the standard
library is used.
"""

import argparse
import http.server
import importlib.machinery
import importlib.util
import os
import signal
import socket
import sys
import threading
import time

COUNTER, GAUGE, INFO, UNTYPED = "counter", "gauge", "info", "untyped"
DEFAULT_PORT = 9477
PREFIX = "synproxy_"

# ---------------------------------------------------------------- metric table

# Family name (without "synproxy_" and without "_total") -> (type, help).
FAMILIES = {
	# exporter and process
	"up": (GAUGE, "1 if the last scrape read the dpdk-synproxy telemetry socket, 0 if not"),
	"scrape_duration_seconds": (GAUGE, "Time the exporter took to read the telemetry socket"),
	"mbufs_in_use": (GAUGE, "Packet buffers (mbufs) of the pool currently in use"),
	"mbuf_pool_size": (GAUGE, "Packet buffers (mbufs) in the pool"),
	"workers": (GAUGE, "Worker lcores forwarding packets"),
	"uptime_seconds": (GAUGE, "Seconds since dpdk-synproxy started forwarding"),
	"under_attack": (GAUGE, "1 while any worker judges it is under a SYN flood "
			 "(answers from the SYN cache give way to cookies), else 0"),
	"worker": (INFO, "Worker lcore and the queue pair it serves"),
	"worker_under_attack": (GAUGE, "1 while this worker judges it is under a SYN flood, else 0"),
	# bridge (src/stats.h)
	"received_frames": (COUNTER, "Frames received by the worker on a port (incl. steered to it)"),
	"transmitted_frames": (COUNTER, "Frames transmitted by the worker on a port"),
	"bridged_frames": (COUNTER, "Frames bridged from one port to the other"),
	"steered_frames": (COUNTER, "Frames handed to their owning worker (software steering)"),
	"parse_errors": (COUNTER, "Frames with malformed or truncated L2/L3/L4 headers"),
	"non_ip_frames": (COUNTER, "ARP and other non-IP frames (bridged)"),
	"ipv4_frames": (COUNTER, "IPv4 frames received by the worker (both ports)"),
	"ipv6_frames": (COUNTER, "IPv6 frames received by the worker (both ports)"),
	"tcp_frames": (COUNTER, "TCP frames received by the worker (both ports)"),
	"udp_frames": (COUNTER, "UDP frames received by the worker (both ports)"),
	"icmp_frames": (COUNTER, "ICMP and ICMPv6 frames received by the worker (both ports)"),
	"vlan_frames": (COUNTER, "Frames with at least one VLAN tag"),
	"fragment_frames": (COUNTER, "IP fragments received by the worker (both ports)"),
	# drops, by reason (one packet each, reasons disjoint: sum() is all drops)
	"dropped_packets": (COUNTER, "Packets dropped, by reason: syn_ratelimited (per-prefix SYN rate "
			    "limit), syn_bad (SYN with bad checksum, options or flags), ack_bad_cookie "
			    "(ACK with no flow and a wrong cookie), ack_bad (handshake ACK with bad "
			    "checksum or malformed), flow_full (validated handshake, flow table full), "
			    "prefix_flow_cap / prefix_half_open_cap (validated handshake, its source "
			    "prefix at its cap of flows / half-open handshakes), "
			    "service_flow_cap / service_half_open_cap (the same against the caps of "
			    "a service with limits of its own), "
			    "server_synack_bad (unexpected SYN-ACK from the LAN), rst_out_of_window, "
			    "seg_out_of_window (segment of a live flow outside the window or with an "
			    "impossible ACK), challenge_ack_limited (SYN or inexact RST on a live flow "
			    "within 512 ms of that flow's last challenge ACK), "
			    "wan_no_flow (WAN TCP segment of no flow, not SYN/ACK), deny_drop (source in "
			    "synproxy.deny), fragment_drop (TCP "
			    "fragment from the WAN), bad_drop (malformed IP frame from the WAN), ecn_ce_drop "
			    "(CE-marked data of a connection whose other end does not do ECN), "
			    "icmp_err_out_of_window (WAN ICMP error quoting a proxied connection outside "
			    "the server's send window), probe_refused (server RST to a probe: the "
			    "client got a RST), probe_dup_syn (SYN on the tuple of a probe in flight), "
			    "probe_bad (SYN-ACK/RST on a probe's tuple, wrong ack or checksum), tx_drop "
			    "(transmit failed after retries), steer_drop (hand-off ring to the owning "
			    "worker full)"),
	# SYN proxy (src/fwd/synproxy.h)
	"syn_received": (COUNTER, "SYNs from the WAN to be proxied"),
	"synack_sent": (COUNTER, "SYN-ACKs the proxy answered a client SYN with, by method: cookie "
			"(state in the cookie only) or cache (client's options kept in the SYN cache)"),
	"handshake_ack_valid": (COUNTER, "Client handshake ACKs validated, by method: cookie or cache"),
	"syn_retransmit": (COUNTER, "Client SYNs for a flow already handed to the server"),
	"server_probes_sent": (COUNTER, "Client SYNs held while the proxy probed their server's options "
			       "(server unknown or due for a re-probe)"),
	"server_probe_retransmissions": (COUNTER, "Probe SYNs sent again (the previous one, or the server's answer to it, was lost)"),
	"server_probe_results": (COUNTER, "Probes ended, by result: answered (client answered with the "
				 "options just learned) or timeout (no answer: client answered with "
				 "the defaults); refused probes are dropped_packets{reason=probe_refused}"),
	"handshake_ack_probe": (COUNTER, "Handshakes completed by a zero-window probe (the client's ACK was lost)"),
	"handshake_ack_cache_miss": (COUNTER, "Good cookie ACKs whose SYN cache entry was gone and "
				     "that carried no timestamp: the client was reset (it reconnects)"),
	"syn_cache_conflicts": (COUNTER, "SYNs with another ISN for a tuple whose SYN cache entry was "
				"pending: answered by cookie only, the entry kept"),
	"syn_timeout_resets": (COUNTER, "Clients reset after the server never answered any SYN retransmission"),
	"syn_to_server": (COUNTER, "SYNs sent to servers (first copies) after a validated handshake"),
	"syn_to_server_retransmits": (COUNTER, "SYN retransmissions to servers"),
	"syn_to_server_timeouts": (COUNTER, "Proxied handshakes given up: the server never answered"),
	"server_synack": (COUNTER, "Server SYN-ACKs completing a proxied handshake"),
	"server_rst": (COUNTER, "Proxied handshakes the server refused with a RST"),
	"server_challenge_ack": (COUNTER, "Servers holding an old connection, reset so the new SYN can succeed"),
	"proxied_established": (COUNTER, "Proxied connections established (client and server handshakes completed)"),
	"translated_segments": (COUNTER, "Segments of proxied connections translated (seq/ack, "
				"options), by direction: wan_to_lan (client to server) or lan_to_wan"),
	"ecn_connections": (COUNTER, "Proxied connections by ECN outcome: on (both ends agreed, "
			    "marks pass) or scrubbed (one end does ECN, the other not: the proxy clears the marks)"),
	"ecn_cleared_segments": (COUNTER, "Segments of ECN-scrubbed connections whose ECT, ECE or CWR "
				 "the proxy cleared"),
	"early_data_drop": (COUNTER, "Client segments whose data came before the server answered and "
			    "was dropped (the client retransmits it)"),
	"rst_accepted": (COUNTER, "RSTs that closed a flow (at the exact sequence number)"),
	"challenge_ack_sent": (COUNTER, "Challenge ACKs sent (RFC 5961) for a SYN on a live flow or "
			       "an RST in the window but not at the exact sequence number"),
	"fin_seen": (COUNTER, "FIN segments of tracked flows"),
	"flows_closed": (COUNTER, "Flows removed on close or timeout"),
	"flows_expired": (COUNTER, "Flows removed by timeout"),
	"passthrough_new": (COUNTER, "LAN-initiated TCP connections tracked (bridged, not proxied)"),
	"passthrough_segments": (COUNTER, "Segments of pass-through (not proxied) connections bridged"),
	"policy_passthrough_new": (COUNTER, "WAN-initiated TCP connections bridged and tracked, not "
				   "proxied, by reason: allowed (source in synproxy.allow) or unprotected "
				   "(destination in no synproxy.services entry)"),
	"lan_no_flow": (COUNTER, "LAN TCP segments of no tracked flow (bridged)"),
	"tcp_bad_checksum": (COUNTER, "TCP segments that would create state with a wrong checksum "
			     "(dropped; also counted under their drop reason)"),
	"tcp_bad_options": (COUNTER, "TCP segments with malformed options"),
	"fragment_pass": (COUNTER, "IP fragments bridged (never proxied)"),
	"non_tcp_pass": (COUNTER, "Non-TCP IP packets bridged"),
	"icmp_errors": (COUNTER, "ICMP/ICMPv6 errors quoting a TCP segment, by result: translated (the "
			"quote of a proxied connection rewritten into the receiver's sequence space), "
			"no_flow (no proxied connection quoted: bridged untouched)"),
	"bad_pass": (COUNTER, "Malformed frames from the LAN bridged untouched"),
	"alloc_fail": (COUNTER, "Packet buffer (mbuf) allocation failures"),
	"restored_flows": (COUNTER, "Flows taken over from the previous process's state file (--restore)"),
	"restore_expired_flows": (COUNTER, "Flows in the state file that aged out during the restart gap"),
	"restore_refused": (COUNTER, "State files refused (corrupt, truncated, other format version, "
			    "unmappable worker placement): the proxy started empty"),
	# tables
	"flow_table_entries": (GAUGE, "Flows in the worker's flow table"),
	"flow_table_capacity": (GAUGE, "Flows the worker's flow table can hold"),
	"flow_table_bytes": (GAUGE, "Memory of the worker's flow table"),
	"flows": (GAUGE, "Flows in the worker's flow table, by TCP state"),
	"syn_cache_entries": (GAUGE, "Client SYNs held in the worker's SYN cache"),
	"syn_cache_capacity": (GAUGE, "Client SYNs the worker's SYN cache can hold"),
	"syn_cache_evictions": (COUNTER, "SYN cache entries dropped to make room for new ones"),
	"syn_cache_expired": (COUNTER, "SYN cache entries expired unanswered"),
	"syn_cache_refused": (COUNTER, "SYNs the SYN cache could not place (both buckets of the key full)"),
	"learned_replaced": (COUNTER, "Learned server options evicted by another server in the same set"),
	"pending_server_syns": (GAUGE, "SYNs to servers kept for retransmission (handshakes in progress)"),
	"ratelimit_takeovers": (COUNTER, "Rate-limit buckets handed to a new source prefix (table full)"),
	# ports (ethdev, /synproxy/ports)
	"port": (INFO, "Port role, device name, driver, steering method and checksum offloads"),
	"port_link_up": (GAUGE, "1 if the port's link is up, else 0"),
	"port_speed_bytes": (GAUGE, "Link speed of the port in bytes per second"),
	"port_rx_queues": (GAUGE, "Receive queues configured on the port"),
	"port_tx_queues": (GAUGE, "Transmit queues configured on the port"),
	"port_received_packets": (COUNTER, "Packets received by the port (ethdev ipackets)"),
	"port_transmitted_packets": (COUNTER, "Packets transmitted by the port (ethdev opackets)"),
	"port_received_bytes": (COUNTER, "Bytes received by the port (ethdev ibytes)"),
	"port_transmitted_bytes": (COUNTER, "Bytes transmitted by the port (ethdev obytes)"),
	"port_rx_missed_packets": (COUNTER, "Packets the port dropped because the receive queues were full (imissed)"),
	"port_rx_errors": (COUNTER, "Erroneous packets received by the port (ierrors)"),
	"port_tx_errors": (COUNTER, "Packets the port failed to transmit (oerrors)"),
	"port_rx_nombuf": (COUNTER, "Receive buffer allocation failures of the port (rx_nombuf)"),
}

# OpenMetrics UNIT metadata: families whose name ends in their base unit.
UNITS = {
	"scrape_duration_seconds": "seconds",
	"uptime_seconds": "seconds",
	"flow_table_bytes": "bytes",
	"port_received_bytes": "bytes",
	"port_transmitted_bytes": "bytes",
}

# Key of a worker in /synproxy/lcores -> (family, extra labels).
WORKER_KEYS = {
	"rx_lan": ("received_frames", {"port": "lan"}),
	"rx_wan": ("received_frames", {"port": "wan"}),
	"tx_lan": ("transmitted_frames", {"port": "lan"}),
	"tx_wan": ("transmitted_frames", {"port": "wan"}),
	"fwd_lan_to_wan": ("bridged_frames", {"direction": "lan_to_wan"}),
	"fwd_wan_to_lan": ("bridged_frames", {"direction": "wan_to_lan"}),
	"steered": ("steered_frames", {}),
	"parse_error": ("parse_errors", {}),
	"non_ip": ("non_ip_frames", {}),
	"ipv4": ("ipv4_frames", {}),
	"ipv6": ("ipv6_frames", {}),
	"tcp": ("tcp_frames", {}),
	"udp": ("udp_frames", {}),
	"icmp": ("icmp_frames", {}),
	"vlan": ("vlan_frames", {}),
	"fragment": ("fragment_frames", {}),
	"syn_received": ("syn_received", {}),
	"synack_sent_cookie": ("synack_sent", {"method": "cookie"}),
	"synack_sent_cache": ("synack_sent", {"method": "cache"}),
	"ack_cookie_ok": ("handshake_ack_valid", {"method": "cookie"}),
	"ack_cache_ok": ("handshake_ack_valid", {"method": "cache"}),
	"syn_retransmit": ("syn_retransmit", {}),
	"ack_probe": ("handshake_ack_probe", {}),
	"probe_sent": ("server_probes_sent", {}),
	"probe_answered": ("server_probe_results", {"result": "answered"}),
	"probe_timeout": ("server_probe_results", {"result": "timeout"}),
	"probe_retx": ("server_probe_retransmissions", {}),
	"ack_cache_miss": ("handshake_ack_cache_miss", {}),
	"syn_cache_conflict": ("syn_cache_conflicts", {}),
	"syn_timeout_rst": ("syn_timeout_resets", {}),
	"syn_to_server": ("syn_to_server", {}),
	"syn_to_server_retx": ("syn_to_server_retransmits", {}),
	"syn_to_server_timeout": ("syn_to_server_timeouts", {}),
	"server_synack": ("server_synack", {}),
	"server_rst": ("server_rst", {}),
	"server_challenge_ack": ("server_challenge_ack", {}),
	"proxied_established": ("proxied_established", {}),
	"translated_wan": ("translated_segments", {"direction": "wan_to_lan"}),
	"translated_lan": ("translated_segments", {"direction": "lan_to_wan"}),
	"ecn_on": ("ecn_connections", {"outcome": "on"}),
	"ecn_scrubbed": ("ecn_connections", {"outcome": "scrubbed"}),
	"ecn_cleared": ("ecn_cleared_segments", {}),
	"early_data_drop": ("early_data_drop", {}),
	"rst_accepted": ("rst_accepted", {}),
	"challenge_ack_sent": ("challenge_ack_sent", {}),
	"fin_seen": ("fin_seen", {}),
	"flows_closed": ("flows_closed", {}),
	"flows_expired": ("flows_expired", {}),
	"passthrough_new": ("passthrough_new", {}),
	"passthrough": ("passthrough_segments", {}),
	"allow_pass": ("policy_passthrough_new", {"reason": "allowed"}),
	"syn_unprotected": ("policy_passthrough_new", {"reason": "unprotected"}),
	"lan_no_flow": ("lan_no_flow", {}),
	"tcp_bad_csum": ("tcp_bad_checksum", {}),
	"tcp_bad_options": ("tcp_bad_options", {}),
	"fragment_pass": ("fragment_pass", {}),
	"non_tcp_pass": ("non_tcp_pass", {}),
	"icmp_err_translated": ("icmp_errors", {"result": "translated"}),
	"icmp_err_no_flow": ("icmp_errors", {"result": "no_flow"}),
	"bad_pass": ("bad_pass", {}),
	"alloc_fail": ("alloc_fail", {}),
	"restored_flows": ("restored_flows", {}),
	"restore_expired": ("restore_expired_flows", {}),
	"restore_refused": ("restore_refused", {}),
	"flows": ("flow_table_entries", {}),
	"flow_capacity": ("flow_table_capacity", {}),
	"flow_table_bytes": ("flow_table_bytes", {}),
	"syn_cache": ("syn_cache_entries", {}),
	"syn_cache_capacity": ("syn_cache_capacity", {}),
	"syn_cache_evictions": ("syn_cache_evictions", {}),
	"syn_cache_expired": ("syn_cache_expired", {}),
	"syn_cache_refused": ("syn_cache_refused", {}),
	"learned_replaced": ("learned_replaced", {}),
	"pending_syn": ("pending_server_syns", {}),
	"ratelimit_takeovers": ("ratelimit_takeovers", {}),
	"under_attack": ("worker_under_attack", {}),
}
for _reason in ("syn_ratelimited", "syn_bad", "ack_bad_cookie", "ack_bad", "flow_full",
		"prefix_flow_cap", "prefix_half_open_cap", "service_flow_cap",
		"service_half_open_cap", "server_synack_bad",
		"rst_out_of_window", "seg_out_of_window", "challenge_ack_limited", "wan_no_flow",
		"deny_drop", "fragment_drop", "bad_drop", "ecn_ce_drop", "icmp_err_out_of_window",
		"probe_refused", "probe_dup_syn", "probe_bad", "tx_drop", "steer_drop"):
	WORKER_KEYS[_reason] = ("dropped_packets", {"reason": _reason})
# Flows by state: "state_<name>" keys, one family with a state label.
STATE_PREFIX = "state_"
STATE_FAMILY = "flows"
# Worker keys that describe the worker (labels of synproxy_worker_info).
WORKER_INFO_KEYS = ("lcore", "queue")

# Keys of /synproxy/stats exported unlabelled. Every other key of it that the
# workers also report is their sum and is left to the per-worker series.
GLOBAL_KEYS = {
	"mbuf_in_use": "mbufs_in_use",
	"mbuf_total": "mbuf_pool_size",
	"workers": "workers",
	"uptime_s": "uptime_seconds",
	"under_attack": "under_attack",
}

# Numeric keys of a port in /synproxy/ports -> (family, scale).
PORT_KEYS = {
	"ipackets": ("port_received_packets", 1),
	"opackets": ("port_transmitted_packets", 1),
	"ibytes": ("port_received_bytes", 1),
	"obytes": ("port_transmitted_bytes", 1),
	"imissed": ("port_rx_missed_packets", 1),
	"ierrors": ("port_rx_errors", 1),
	"oerrors": ("port_tx_errors", 1),
	"rx_nombuf": ("port_rx_nombuf", 1),
	"rx_queues": ("port_rx_queues", 1),
	"tx_queues": ("port_tx_queues", 1),
	"link_speed_mbps": ("port_speed_bytes", 125000),
}
# Keys of a port that become labels of synproxy_port_info ("role" is the port label).
PORT_INFO_KEYS = ("name", "port_id", "driver", "steering", "rx_checksum", "tx_checksum", "mac")
PORT_IGNORED_KEYS = ("role", "steering_note", "link")   # note: free text; link: port_link_up

# ---------------------------------------------------------------- collection


class Metrics:
	"""Families in insertion order, each with its samples."""

	def __init__(self):
		self.fam = {}   # name -> [type, help, [(labels, value)]]

	def add(self, family, value, labels=None, mtype=None, mhelp=None):
		if family not in self.fam:
			t, h = FAMILIES.get(family, (mtype or UNTYPED, mhelp or ""))
			self.fam[family] = [t, h, []]
		self.fam[family][2].append((labels or {}, value))


def _unknown(m, key, value, labels):
	"""A numeric telemetry key this exporter has no entry for: exported under
	its own name, untyped, so a new counter is never lost."""
	name = "".join(c if c.isalnum() or c == "_" else "_" for c in key).lower()
	if name in FAMILIES or not name or name[0].isdigit():
		name = "telemetry_" + name
	m.add(name, value, labels, UNTYPED,
	      "Telemetry value '%s' (not described by this version of the exporter)" % key)


def _num(v):
	return isinstance(v, (int, float)) and not isinstance(v, bool)


def build(stats, lcores, ports):
	"""Turn the three telemetry answers into Metrics (pure: unit-tested)."""
	m = Metrics()
	m.add("up", 1)
	# Per worker, in worker order.
	worker_keys = set()
	def wnum(name):
		digits = name[len("worker"):] if name.startswith("worker") else name
		return (0, int(digits)) if digits.isdigit() else (1, name)
	for wname in sorted(lcores or {}, key=wnum):
		w = lcores[wname]
		if not isinstance(w, dict):
			continue
		wid = wname[len("worker"):] if wname.startswith("worker") else wname
		base = {"worker": wid}
		info = dict(base)
		for k in WORKER_INFO_KEYS:
			if k in w:
				info[k] = str(w[k])
		m.add("worker", 1, info)
		for key, v in w.items():
			worker_keys.add(key)
			if key in WORKER_INFO_KEYS or not _num(v):
				continue
			if key in WORKER_KEYS:
				fam, extra = WORKER_KEYS[key]
				m.add(fam, v, dict(base, **extra))
			elif key.startswith(STATE_PREFIX):
				m.add(STATE_FAMILY, v, dict(base, state=key[len(STATE_PREFIX):]))
			else:
				_unknown(m, key, v, base)
	# Process-wide values, and whatever only the totals carry.
	for key, v in (stats or {}).items():
		if not _num(v):
			continue
		if key in GLOBAL_KEYS:
			m.add(GLOBAL_KEYS[key], v)
		elif key not in worker_keys:
			_unknown(m, key, v, {})
	# Ports.
	for role in sorted(ports or {}):
		p = ports[role]
		if not isinstance(p, dict):
			continue
		base = {"port": str(p.get("role", role))}
		info = dict(base)
		for k in PORT_INFO_KEYS:
			if k in p:
				info[k] = str(p[k])
		m.add("port", 1, info)
		if "link" in p:
			m.add("port_link_up", 1 if p["link"] == "up" else 0, base)
		for key, v in p.items():
			if key in PORT_INFO_KEYS or key in PORT_IGNORED_KEYS or not _num(v):
				continue
			if key in PORT_KEYS:
				fam, scale = PORT_KEYS[key]
				m.add(fam, v * scale, base)
			else:
				_unknown(m, "port_" + key, v, base)
	return m


def load_telemetry_module():
	"""scripts/telemetry.py next to this file (installed: synproxy-telemetry)."""
	here = os.path.dirname(os.path.realpath(__file__))
	for name in ("telemetry.py", "synproxy-telemetry"):
		path = os.path.join(here, name)
		if os.path.exists(path):
			loader = importlib.machinery.SourceFileLoader("synproxy_telemetry", path)
			spec = importlib.util.spec_from_loader("synproxy_telemetry", loader)
			mod = importlib.util.module_from_spec(spec)
			loader.exec_module(mod)
			return mod
	raise ImportError("telemetry.py (or synproxy-telemetry) not found next to %s" % __file__)


tele = load_telemetry_module()
COMMANDS = ("/synproxy/stats", "/synproxy/lcores", "/synproxy/ports")


def scrape(path, timeout):
	"""Read the socket once: (Metrics, error or None). Never raises for a
	missing, dead, slow or confused proxy; every socket call is bounded."""
	t0 = time.monotonic()
	answers = {}
	err = None
	sock = None
	try:
		sock, max_len = tele.open_socket(path, timeout)
		for cmd in COMMANDS:
			if time.monotonic() - t0 > 3 * timeout:
				raise tele.TelemetryError("%s: scrape took longer than %gs" % (cmd, 3 * timeout))
			v = tele.query(sock, max_len, cmd)
			if not isinstance(v, dict):
				raise tele.TelemetryError("%s: no answer (is this a dpdk-synproxy?)" % cmd)
			answers[cmd] = v
	except tele.TelemetryError as e:
		err = str(e)
	except OSError as e:   # anything else the socket layer throws
		err = "%s: %s" % (path, e)
	finally:
		if sock is not None:
			sock.close()
	m = None
	if err is None:
		try:
			m = build(*(answers[c] for c in COMMANDS))
		except Exception as e:   # an answer of a shape we do not expect: no trace, up 0
			err = "cannot read the telemetry answers: %s: %s" % (type(e).__name__, e)
	if m is None:
		m = Metrics()
		m.add("up", 0)
	m.add("scrape_duration_seconds", round(time.monotonic() - t0, 6))
	return m, err

# ---------------------------------------------------------------- exposition

TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OM_TYPE = "application/openmetrics-text; version=%s; charset=utf-8"


def _esc_label(v):
	return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(d):
	if not d:
		return ""
	return "{" + ",".join('%s="%s"' % (k, _esc_label(str(v))) for k, v in d.items()) + "}"


def _value(v):
	if isinstance(v, int):
		return str(v)
	return repr(float(v))


def render(m, openmetrics=False):
	"""Prometheus text 0.0.4, or OpenMetrics 1.0.0 (counters are families
	without _total whose samples carry it; info families end in _info)."""
	out = []
	for fam, (t, h, samples) in m.fam.items():
		name = PREFIX + fam
		if openmetrics:
			suffix = {COUNTER: "_total", INFO: "_info"}.get(t, "")
			otype = {UNTYPED: "unknown"}.get(t, t)
			out.append("# TYPE %s %s" % (name, otype))
			if fam in UNITS:
				out.append("# UNIT %s %s" % (name, UNITS[fam]))
			if h:
				out.append("# HELP %s %s" % (name, h.replace("\\", "\\\\").replace("\n", "\\n")
								.replace('"', '\\"')))
		else:
			suffix = {COUNTER: "_total", INFO: "_info"}.get(t, "")
			ptype = {INFO: GAUGE}.get(t, t)
			if h:
				out.append("# HELP %s%s %s" % (name, suffix,
							      h.replace("\\", "\\\\").replace("\n", "\\n")))
			out.append("# TYPE %s%s %s" % (name, suffix, ptype))
		for labels, v in samples:
			out.append("%s%s%s %s" % (name, suffix, _labels(labels), _value(v)))
	if openmetrics:
		out.append("# EOF")
	return "\n".join(out) + "\n"


def negotiate(accept):
	"""Pick the exposition format from an Accept header: the OpenMetrics
	version string to use, or None for the Prometheus text format."""
	best_q, best = -1.0, None
	text_q = -1.0
	for part in (accept or "").split(","):
		fields = [f.strip() for f in part.split(";")]
		mtype = fields[0].lower()
		params = {}
		for f in fields[1:]:
			if "=" in f:
				k, v = f.split("=", 1)
				params[k.strip().lower()] = v.strip().strip('"')
		try:
			q = float(params.get("q", "1"))
		except ValueError:
			q = 0.0
		if q <= 0:
			continue
		if mtype == "application/openmetrics-text":
			ver = params.get("version", "1.0.0")
			if ver in ("1.0.0", "0.0.1") and q > best_q:
				best_q, best = q, ver
		elif mtype in ("text/plain", "text/*", "*/*"):
			text_q = max(text_q, q)
	return best if best is not None and best_q >= text_q else None

# ---------------------------------------------------------------- HTTP

INDEX = b"""<html><head><title>dpdk-synproxy exporter</title></head><body>
<h1>dpdk-synproxy exporter</h1><p><a href="/metrics">Metrics</a></p></body></html>
"""


class Handler(http.server.BaseHTTPRequestHandler):
	server_version = "synproxy-exporter"
	timeout = 10          # a client that stalls is dropped, never holds a thread
	protocol_version = "HTTP/1.0"

	def do_GET(self):
		self._serve(True)

	def do_HEAD(self):
		self._serve(False)

	def _serve(self, body):
		path = self.path.split("?", 1)[0]
		if path == "/metrics":
			ver = negotiate(self.headers.get("Accept"))
			data = self.server.exporter.collect(ver is not None).encode()
			ctype = OM_TYPE % ver if ver else TEXT_TYPE
			code = 200
		elif path == "/":
			data, ctype, code = INDEX, "text/html; charset=utf-8", 200
		else:
			data, ctype, code = b"not found: try /metrics\n", "text/plain; charset=utf-8", 404
		self.send_response(code)
		self.send_header("Content-Type", ctype)
		self.send_header("Content-Length", str(len(data)))
		self.end_headers()
		if body:
			self.wfile.write(data)

	def log_message(self, fmt, *args):
		if self.server.exporter.verbose:
			sys.stderr.write("synproxy-exporter: %s %s\n" % (self.address_string(), fmt % args))


class Exporter:
	"""One scrape at a time (the telemetry socket serves few clients); the
	state of the last scrape is logged when it changes, not on every scrape."""

	def __init__(self, path, timeout, verbose=False):
		self.path, self.timeout, self.verbose = path, timeout, verbose
		self.lock = threading.Lock()
		self.last_err = ""

	def collect(self, openmetrics=False):
		with self.lock:
			m, err = scrape(self.path, self.timeout)
			if (err or None) != (self.last_err or None):
				if err:
					log("telemetry unreachable, serving synproxy_up 0: %s" % err)
				else:
					log("telemetry reachable again: %s" % self.path)
				self.last_err = err
		return render(m, openmetrics)


class Server(http.server.ThreadingHTTPServer):
	daemon_threads = True
	allow_reuse_address = True


def log(msg):
	sys.stderr.write("synproxy-exporter: %s\n" % msg)
	sys.stderr.flush()


def main():
	ap = argparse.ArgumentParser(description="Serve dpdk-synproxy telemetry as Prometheus metrics.")
	ap.add_argument("-f", "--file-prefix", default="rte",
			help="EAL --file-prefix of the proxy (default: rte)")
	ap.add_argument("-s", "--socket", help="telemetry socket path (overrides -f)")
	ap.add_argument("--listen", default="127.0.0.1",
			help="address to bind (default 127.0.0.1; 0.0.0.0 or :: exposes it)")
	ap.add_argument("--port", type=int, default=DEFAULT_PORT,
			help="HTTP port (default %d)" % DEFAULT_PORT)
	ap.add_argument("--timeout", type=float, default=2.0,
			help="seconds for each telemetry socket operation (default 2)")
	ap.add_argument("--once", action="store_true", help="print one scrape to stdout and exit")
	ap.add_argument("--openmetrics", action="store_true", help="with --once: OpenMetrics format")
	ap.add_argument("-v", "--verbose", action="store_true", help="log every HTTP request")
	args = ap.parse_args()
	if not 0 < args.timeout <= 60:
		ap.error("--timeout must be in (0, 60]")
	if not 0 <= args.port <= 65535:
		ap.error("--port must be in 0..65535")

	path = tele.socket_path(args.file_prefix, args.socket)
	exp = Exporter(path, args.timeout, args.verbose)
	if args.once:
		m, err = scrape(path, args.timeout)
		sys.stdout.write(render(m, args.openmetrics))
		if err:
			log(err)
		return 0 if err is None else 1

	Server.address_family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
	try:
		srv = Server((args.listen, args.port), Handler)
	except OSError as e:
		log("cannot listen on %s port %d: %s" % (args.listen, args.port, e.strerror or e))
		return 2
	srv.exporter = exp
	host = "[%s]" % args.listen if ":" in args.listen else args.listen
	log("serving http://%s:%d/metrics from %s" % (host, srv.server_address[1], path))

	def stop(signum, frame):
		# One stop is enough: a second TERM (timeout(1) and the like signal
		# the whole group too) must not kill the interpreter mid-exit.
		signal.signal(signal.SIGTERM, signal.SIG_IGN)
		raise KeyboardInterrupt
	signal.signal(signal.SIGTERM, stop)
	try:
		srv.serve_forever()
	except KeyboardInterrupt:
		pass
	finally:
		srv.server_close()
	log("stopped")
	return 0


if __name__ == "__main__":
	sys.exit(main())
