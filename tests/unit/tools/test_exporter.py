#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
test_exporter.py - scripts/synproxy-exporter.py without a running proxy.

The metric table must cover what the C sources report: every counter of the
X-macro lists in src/stats.h and src/fwd/synproxy.h, every literal key and
flow state that src/telemetry.c puts into /synproxy/stats, /synproxy/lcores
and /synproxy/ports, each with a type and help text (a counter
added in C without an entry here fails this test). The formatting is
checked on a snapshot built from those same lists: both exposition formats
parse back, sums per family equal the inputs, labels are escaped, and
promtool (when installed) accepts the text. A fake DPDK telemetry server on
a SOCK_SEQPACKET socket then drives the real client and the HTTP server:
Accept negotiation, a vanished proxy (synproxy_up 0, HTTP 200) and a proxy
that never answers (bounded by the timeout). The Grafana dashboard may only
query metric names the exporter produces.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import importlib.machinery  # noqa: E402
import importlib.util  # noqa: E402

_loader = importlib.machinery.SourceFileLoader(
	"synproxy_exporter", os.path.join(REPO, "scripts", "synproxy-exporter.py"))
_spec = importlib.util.spec_from_loader("synproxy_exporter", _loader)
ex = importlib.util.module_from_spec(_spec)
_loader.exec_module(ex)


def read(rel):
	with open(os.path.join(REPO, rel)) as f:
		return f.read()


def xmacro(rel, name):
	"""Names of an X-macro list: '#define NAME(X) \\' up to the first line
	that does not continue."""
	lines = read(rel).splitlines()
	start = next(i for i, l in enumerate(lines) if l.startswith("#define %s(X)" % name))
	names = []
	for l in lines[start + 1:]:
		names += re.findall(r"\bX\((\w+)\)", re.sub(r"/\*.*?\*/", "", l))
		if not l.rstrip().endswith("\\"):
			break
	return names


BRIDGE = xmacro("src/stats.h", "BRIDGE_COUNTERS")
SYNPROXY = xmacro("src/fwd/synproxy.h", "SYNPROXY_COUNTERS")
TELEMETRY_C = read("src/telemetry.c")
FLOW_ENTRY_H = read("src/flow/flow_entry.h")


def c_function(name):
	"""Body of a top-level function of src/telemetry.c (DPDK style: the name
	starts a line, the body ends at the first '}' in column 0)."""
	m = re.search(r"^%s\(.*?^\}" % name, TELEMETRY_C, re.S | re.M)
	assert m, "src/telemetry.c has no function %s: update this test" % name
	return m.group(0)


# The functions behind the three commands the exporter reads.
EXPORTED_C = "".join(c_function(f) for f in ("add_bridge", "add_synproxy", "cmd_stats",
					      "cmd_lcores", "cmd_ports"))
NUM_KEYS = set(re.findall(r'rte_tel_data_add_dict_(?:u64|int)\(\s*\w+,\s*"(\w+)"', EXPORTED_C))
STR_KEYS = set(re.findall(r'rte_tel_data_add_dict_string\(\s*\w+,\s*"(\w+)"', EXPORTED_C))
# The state names live next to enum flow_state (flow_state_name()).
_states = re.search(r"names\[FLOW_S_MAX\]\s*=\s*\{(.*?)\}", FLOW_ENTRY_H, re.S)
assert _states, "src/flow/flow_entry.h has no flow_state_name() table: update this test"
_states = _states.group(1)
STATES = re.findall(r'"(\w+)"', _states)[1:]   # [0] "free" is not reported


def snapshot(workers=2):
	"""What the proxy would answer, with a distinct value per key and worker."""
	lcores, stats = {}, {}
	for w in range(workers):
		d = {"lcore": w + 1, "queue": w}
		for i, k in enumerate(BRIDGE + SYNPROXY):
			d[k] = 1000 * (w + 1) + i
		for k in ("flows", "flow_capacity", "syn_cache", "syn_cache_capacity", "pending_syn",
			  "flow_table_bytes", "syn_cache_evictions", "syn_cache_expired",
			  "ratelimit_takeovers"):
			d[k] = 7 + w
		d["under_attack"] = w   # worker1 under attack
		for i, s in enumerate(STATES):
			d["state_" + s] = i + w
		lcores["worker%d" % w] = d
	for k, v in lcores["worker0"].items():
		if k not in ("lcore", "queue"):
			stats[k] = sum(lcores[w][k] for w in lcores)
	stats["under_attack"] = 1
	stats.update(mbuf_in_use=1234, mbuf_total=8191, workers=workers, uptime_s=42)
	ports = {}
	for r, n in (("lan", 0), ("wan", 1)):
		ports[r] = {"name": "net_af_packet%d" % n, "port_id": n, "role": r, "driver": "net_af_packet",
			    "steering": "software", "steering_note": 'no RSS "here"\\', "rx_queues": 2,
			    "tx_queues": 2, "rx_checksum": "software", "tx_checksum": "software",
			    "mac": "02:00:00:00:00:0%d" % n, "link": "up", "link_speed_mbps": 10000,
			    "ipackets": 11 + n, "opackets": 21 + n, "ibytes": 31 + n, "obytes": 41 + n,
			    "imissed": 0, "ierrors": 0, "oerrors": 0, "rx_nombuf": 0}
	return stats, lcores, ports


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse(text, openmetrics=False):
	"""Parse an exposition back: {family: (type, help, [(name, labels, value)])},
	checking the order rules on the way (metadata before its samples, every
	sample in a declared family, counters' samples end in _total)."""
	fams, cur = {}, None
	lines = text.split("\n")
	assert lines[-1] == "", "output ends with a newline"
	lines = lines[:-1]
	if openmetrics:
		assert lines[-1] == "# EOF", "OpenMetrics ends with # EOF"
		lines = lines[:-1]
	for l in lines:
		if l.startswith("# "):
			kind, name, rest = (l[2:].split(" ", 2) + [""])[:3]
			assert kind in ("HELP", "TYPE") or (openmetrics and kind == "UNIT"), l
			f = fams.setdefault(name, [None, None, []])
			assert not f[2], "metadata after samples: " + l
			if kind == "UNIT":
				assert name.endswith("_" + rest), "unit %s is not the suffix of %s" % (rest, name)
				continue
			f[0 if kind == "TYPE" else 1] = rest
			cur = name
			continue
		mt = SAMPLE.match(l)
		assert mt, "bad sample line: " + l
		name, lbl, val = mt.group(1), mt.group(3) or "", mt.group(4)
		f = fams[cur]
		suffix = {"counter": "_total", "info": "_info"}.get(f[0], "") if openmetrics else ""
		assert name == cur + suffix, "sample %s outside its family %s" % (name, cur)
		labels = {}
		pos = 0
		while pos < len(lbl):
			ml = LABEL.match(lbl, pos)
			assert ml, "bad labels: " + lbl
			labels[ml.group(1)] = re.sub(r'\\(.)', lambda x: {"n": "\n"}.get(x.group(1), x.group(1)),
						     ml.group(2))
			pos = ml.end()
		f[2].append((name, labels, float(val)))
	for name, (t, h, s) in fams.items():
		assert t is not None and h, "family %s lacks TYPE or HELP" % name
		if t == "counter":
			assert name.endswith("_total") != openmetrics, name
	return fams


class Table(unittest.TestCase):
	def test_sources_parsed(self):
		# The parsers above must have found the lists, or the checks are empty.
		self.assertGreater(len(BRIDGE), 10)
		self.assertGreater(len(SYNPROXY), 30)
		self.assertIn("established", STATES)
		self.assertIn("mbuf_in_use", NUM_KEYS)
		self.assertIn("ipackets", NUM_KEYS)
		self.assertIn("driver", STR_KEYS)

	def test_every_counter_has_an_entry(self):
		for k in BRIDGE + SYNPROXY:
			with self.subTest(counter=k):
				self.assertTrue(k in ex.WORKER_KEYS, "counter %s has no entry in WORKER_KEYS of "
						"scripts/synproxy-exporter.py" % k)
				fam = ex.WORKER_KEYS[k][0]
				t, h = ex.FAMILIES[fam]
				self.assertEqual(t, ex.COUNTER, "%s: %s is not a counter" % (k, fam))
				self.assertGreater(len(h), 10)

	def test_every_telemetry_key_is_known(self):
		known = (set(ex.WORKER_KEYS) | set(ex.GLOBAL_KEYS) | set(ex.PORT_KEYS) |
			 set(ex.WORKER_INFO_KEYS) | set(ex.PORT_INFO_KEYS) | set(ex.PORT_IGNORED_KEYS))
		for k in sorted(NUM_KEYS | STR_KEYS):
			with self.subTest(key=k):
				self.assertTrue(k in known, "telemetry key %s (src/telemetry.c) has no entry in "
						"scripts/synproxy-exporter.py" % k)

	def test_families_are_described(self):
		for fam, (t, h) in ex.FAMILIES.items():
			with self.subTest(family=fam):
				self.assertRegex(fam, r"^[a-z][a-z0-9_]*$")
				self.assertIn(t, (ex.COUNTER, ex.GAUGE, ex.INFO))
				self.assertGreater(len(h), 10)
				self.assertFalse(fam.endswith("_total"))
		for k, (fam, _) in ex.WORKER_KEYS.items():
			self.assertIn(fam, ex.FAMILIES, k)
		for k, fam in ex.GLOBAL_KEYS.items():
			self.assertIn(fam, ex.FAMILIES, k)
		for k, (fam, _) in ex.PORT_KEYS.items():
			self.assertIn(fam, ex.FAMILIES, k)
		for fam, unit in ex.UNITS.items():
			self.assertTrue(fam.endswith("_" + unit), fam)


def totals(fams, name, **match):
	return sum(v for _, l, v in fams[name][2] if all(l.get(k) == x for k, x in match.items()))


class Format(unittest.TestCase):
	def setUp(self):
		self.stats, self.lcores, self.ports = snapshot()
		self.m = ex.build(self.stats, self.lcores, self.ports)

	def check_values(self, fams, om):
		c = "" if om else "_total"
		self.assertEqual(totals(fams, "synproxy_up"), 1)
		# Every counter of the C lists: the sum over workers is the total.
		for k in BRIDGE + SYNPROXY:
			fam, extra = ex.WORKER_KEYS[k]
			self.assertEqual(totals(fams, "synproxy_" + fam + c, **extra), self.stats[k], k)
		self.assertEqual(totals(fams, "synproxy_synack_sent" + c, method="cache"),
				 self.stats["synack_sent_cache"])
		self.assertEqual(totals(fams, "synproxy_dropped_packets" + c, reason="syn_ratelimited",
					worker="1"), self.lcores["worker1"]["syn_ratelimited"])
		for s in STATES:
			self.assertEqual(totals(fams, "synproxy_flows", state=s), self.stats["state_" + s], s)
		self.assertEqual(totals(fams, "synproxy_under_attack"), 1)
		self.assertEqual(totals(fams, "synproxy_worker_under_attack", worker="0"), 0)
		self.assertEqual(totals(fams, "synproxy_mbufs_in_use"), 1234)
		self.assertEqual(totals(fams, "synproxy_port_received_packets" + c, port="wan"), 12)
		self.assertEqual(totals(fams, "synproxy_port_speed_bytes", port="lan"), 10000 * 125000)
		self.assertEqual(totals(fams, "synproxy_port_link_up", port="lan"), 1)
		info = fams["synproxy_port" if om else "synproxy_port_info"][2]
		self.assertEqual({l["port"]: l["name"] for _, l, _ in info},
				 {"lan": "net_af_packet0", "wan": "net_af_packet1"})
		workers = {l["worker"]: l["lcore"] for _, l, _ in fams["synproxy_worker" if om
									   else "synproxy_worker_info"][2]}
		self.assertEqual(workers, {"0": "1", "1": "2"})
		# The totals of /synproxy/stats are not exported again next to the workers.
		for _, l, _ in fams["synproxy_syn_received" + c][2]:
			self.assertIn(l.get("worker"), ("0", "1"))

	def test_text(self):
		fams = parse(ex.render(self.m))
		self.check_values(fams, False)
		self.assertEqual(fams["synproxy_syn_received_total"][0], "counter")
		self.assertEqual(fams["synproxy_port_info"][0], "gauge")

	def test_openmetrics(self):
		fams = parse(ex.render(self.m, openmetrics=True), openmetrics=True)
		self.check_values(fams, True)
		self.assertEqual(fams["synproxy_syn_received"][0], "counter")
		self.assertEqual(fams["synproxy_port"][0], "info")

	def test_unknown_keys_survive(self):
		self.lcores["worker0"]["brand_new_counter"] = 5
		self.lcores["worker1"]["brand_new_counter"] = 6
		self.stats["config_generation"] = 3
		self.ports["wan"]["rx_dropped"] = 9
		self.ports["wan"]["flags"] = "x"          # strings are not metrics
		fams = parse(ex.render(ex.build(self.stats, self.lcores, self.ports)))
		self.assertEqual(fams["synproxy_brand_new_counter"][0], "untyped")
		self.assertEqual(totals(fams, "synproxy_brand_new_counter"), 11)
		self.assertEqual(totals(fams, "synproxy_config_generation"), 3)
		self.assertEqual(totals(fams, "synproxy_port_rx_dropped", port="wan"), 9)

	def test_label_escaping(self):
		m = ex.Metrics()
		m.add("port", 1, {"port": "wan", "name": 'a"b\\c\nd'})
		fams = parse(ex.render(m))
		self.assertEqual(fams["synproxy_port_info"][2][0][1]["name"], 'a"b\\c\nd')

	def test_bridge_only(self):
		# Without the SYN proxy the workers report bridge counters only.
		lc = {w: {k: v for k, v in d.items() if k in BRIDGE or k in ("lcore", "queue")}
		      for w, d in self.lcores.items()}
		st = {k: v for k, v in self.stats.items() if k in BRIDGE or k in ex.GLOBAL_KEYS}
		st.pop("under_attack")
		fams = parse(ex.render(ex.build(st, lc, self.ports)))
		self.assertNotIn("synproxy_flows", fams)
		self.assertEqual(totals(fams, "synproxy_received_frames_total", port="wan"), st["rx_wan"])

	@unittest.skipUnless(shutil.which("promtool"), "promtool not installed (package prometheus)")
	def test_promtool(self):
		text = ex.render(self.m)
		p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
				   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
		self.assertEqual((p.returncode, p.stdout.decode()), (0, ""))

	@unittest.skipUnless(shutil.which("promtool"), "promtool not installed (package prometheus)")
	def test_promtool_openmetrics(self):
		# promtool's backfill reads OpenMetrics with Prometheus' own strict
		# parser (# EOF, UNIT suffixes, syntax); it wants a timestamp per sample.
		text = ex.render(self.m, openmetrics=True)
		self.assertIn("# UNIT synproxy_port_received_bytes bytes\n", text)
		stamped = "".join(l if l.startswith("#") else l.rstrip("\n") + " 1700000000\n"
				  for l in text.splitlines(True))
		with tempfile.TemporaryDirectory() as d:
			with open(os.path.join(d, "om.txt"), "w") as f:
				f.write(stamped)
			p = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics",
					    os.path.join(d, "om.txt"), os.path.join(d, "blocks")],
					   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
		self.assertEqual(p.returncode, 0, p.stdout.decode())
		series = sum(len(s) for _, _, s in self.m.fam.values())
		self.assertRegex(p.stdout.decode(), r"\s%d\s+%d\s" % (series, series))

	def test_negotiate(self):
		prom = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
			"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
		self.assertEqual(ex.negotiate(prom), "1.0.0")
		self.assertEqual(ex.negotiate("application/openmetrics-text; version=0.0.1"), "0.0.1")
		self.assertIsNone(ex.negotiate(None))
		self.assertIsNone(ex.negotiate("*/*"))
		self.assertIsNone(ex.negotiate("text/plain"))
		self.assertIsNone(ex.negotiate("application/openmetrics-text;version=2.0.0"))
		self.assertIsNone(ex.negotiate("application/openmetrics-text;q=0.2, text/plain"))
		self.assertIsNone(ex.negotiate("application/openmetrics-text;q=0"))


class FakeTelemetry:
	"""DPDK's side of the socket: banner, then one JSON answer per command.
	mute=True accepts and never says anything."""

	def __init__(self, path, answers, mute=False):
		self.path, self.answers, self.mute = path, answers, mute
		self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
		self.srv.bind(path)
		self.srv.listen(4)
		self.srv.settimeout(0.2)
		self.stop = False
		self.conns = []
		self.t = threading.Thread(target=self.run, daemon=True)
		self.t.start()

	def run(self):
		while not self.stop:
			try:
				c, _ = self.srv.accept()
			except socket.timeout:
				continue
			except OSError:
				return
			self.conns.append(c)
			if self.mute:
				continue
			threading.Thread(target=self.serve, args=(c,), daemon=True).start()

	def serve(self, c):
		c.settimeout(5)
		try:
			c.send(json.dumps({"version": "DPDK 22.11.0", "pid": 1, "max_output_len": 16384}).encode())
			while True:
				cmd = c.recv(1024).decode()
				if not cmd:
					return
				c.send(json.dumps({cmd: self.answers.get(cmd)}).encode())
		except OSError:
			return

	def close(self):
		self.stop = True
		self.t.join()
		for c in self.conns:
			c.close()
		self.srv.close()
		os.unlink(self.path)


class Http(unittest.TestCase):
	def setUp(self):
		self.dir = tempfile.mkdtemp(prefix="exporter-test-")
		self.sock = os.path.join(self.dir, "dpdk_telemetry.v2")
		stats, lcores, ports = snapshot(3)
		self.stats = stats
		self.answers = {"/synproxy/stats": stats, "/synproxy/lcores": lcores, "/synproxy/ports": ports}
		self.exp = ex.Exporter(self.sock, 0.5)
		self.srv = ex.Server(("127.0.0.1", 0), ex.Handler)
		self.srv.exporter = self.exp
		self.th = threading.Thread(target=self.srv.serve_forever, daemon=True)
		self.th.start()
		self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]

	def tearDown(self):
		self.srv.shutdown()
		self.srv.server_close()
		shutil.rmtree(self.dir)

	def get(self, path="/metrics", accept=None):
		req = urllib.request.Request(self.url + path, headers={"Accept": accept} if accept else {})
		with urllib.request.urlopen(req, timeout=10) as r:
			return r.status, r.headers["Content-Type"], r.read().decode()

	def test_scrape_and_negotiation(self):
		fake = FakeTelemetry(self.sock, self.answers)
		try:
			code, ctype, body = self.get()
			self.assertEqual((code, ctype), (200, ex.TEXT_TYPE))
			fams = parse(body)
			self.assertEqual(totals(fams, "synproxy_up"), 1)
			self.assertEqual(totals(fams, "synproxy_syn_received_total"), self.stats["syn_received"])
			self.assertEqual({l["worker"] for _, l, _ in fams["synproxy_syn_received_total"][2]},
					 {"0", "1", "2"})
			code, ctype, body = self.get(accept="application/openmetrics-text;version=1.0.0,"
						     "text/plain;version=0.0.4;q=0.5")
			self.assertTrue(ctype.startswith("application/openmetrics-text; version=1.0.0"))
			fams = parse(body, openmetrics=True)
			self.assertEqual(totals(fams, "synproxy_up"), 1)
			self.assertEqual(totals(fams, "synproxy_syn_received"), self.stats["syn_received"])
			self.assertEqual(self.get("/")[0], 200)
			with self.assertRaises(urllib.error.HTTPError) as e:
				self.get("/nope")
			self.assertEqual(e.exception.code, 404)
		finally:
			fake.close()
		# Gone: still HTTP 200, synproxy_up 0 and nothing else of the proxy.
		code, ctype, body = self.get()
		fams = parse(body)
		self.assertEqual(code, 200)
		self.assertEqual(totals(fams, "synproxy_up"), 0)
		self.assertEqual(sorted(fams), ["synproxy_scrape_duration_seconds", "synproxy_up"])
		self.assertIn("no telemetry socket", self.exp.last_err)

	def test_silent_proxy_is_bounded(self):
		fake = FakeTelemetry(self.sock, self.answers, mute=True)
		try:
			t0 = time.monotonic()
			code, _, body = self.get()
			took = time.monotonic() - t0
		finally:
			fake.close()
		self.assertEqual(code, 200)
		self.assertEqual(totals(parse(body), "synproxy_up"), 0)
		self.assertLess(took, 3.0)
		self.assertIn("no banner", self.exp.last_err)

	def test_not_a_synproxy(self):
		self.answers.pop("/synproxy/lcores")   # a DPDK app without our commands
		fake = FakeTelemetry(self.sock, self.answers)
		try:
			_, _, body = self.get()
		finally:
			fake.close()
		self.assertEqual(totals(parse(body), "synproxy_up"), 0)
		self.assertIn("/synproxy/lcores", self.exp.last_err)


class Dashboard(unittest.TestCase):
	def test_queries_name_real_metrics(self):
		dash = json.loads(read("contrib/grafana/dpdk-synproxy.json"))
		m = ex.build(*snapshot())
		names = set()
		for fam, (t, _, _) in m.fam.items():
			names.add(ex.PREFIX + fam + {ex.COUNTER: "_total", ex.INFO: "_info"}.get(t, ""))
		exprs = []

		def walk(v):
			if isinstance(v, dict):
				if isinstance(v.get("expr"), str):
					exprs.append(v["expr"])
				for x in v.values():
					walk(x)
			elif isinstance(v, list):
				for x in v:
					walk(x)
		walk(dash)
		self.assertGreaterEqual(len(exprs), 6)
		for e in exprs:
			for n in re.findall(r"\bsynproxy_\w+", e):
				self.assertIn(n, names, "dashboard query uses unknown metric %s" % n)
		variables = {v["name"]: v for v in dash["templating"]["list"]}
		self.assertEqual(variables["datasource"]["type"], "datasource")
		titles = " ".join(p.get("title", "") for p in dash["panels"]).lower()
		for want in ("syn", "cookie", "drop", "state", "handshake", "mbuf"):
			self.assertIn(want, titles)


if __name__ == "__main__":
	unittest.main(verbosity=2)
