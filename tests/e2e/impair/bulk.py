#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
bulk.py - timed bulk transfers both ways, checked by sha256, for the
impairment matrix (impair_matrix.sh). Standard library only.

  server --ctl SOCK --data FILE --ports LO-HI
      In the server namespace. Listens on every port LO..HI (dual-stack on
      "::"); each connection is served in a thread after one request byte:
        U  the client uploads: read until EOF, then answer one JSON line
           {"bytes", "sha256", "info"} (the sha256 of what arrived);
        D  the client downloads: one JSON line {"info"}, then FILE, then EOF;
        T  a connection that only teaches the proxy: the JSON line, EOF.
      "info" is this end's TCP_INFO view (options, ECN, retransmissions).
      A unix socket SOCK takes one JSON command per connection:
        {"sysctl": {"net.ipv4.tcp_sack": 0, ...}}  set them in this namespace
        {"done": [PORT, ...]}   what the last finished connection on each
                                port saw at its end (info, error)
      Every socket operation is bounded (STALL seconds without progress).

  client --ctl SOCK --data FILE --plan PLAN --mode proxy|bridge --out RESULTS
         (--chunk I | --cases JSON) [--round R] [--limit S] [--deadline S]
         [--file-prefix P]
      In the client namespace: runs chunk I of the plan (or the named
      cases, round R: a second round on fresh ports) and appends one JSON
      line per run to RESULTS: per direction the connect time, the transfer
      time (from connect() returning to the last byte checked: the server's
      sha256 line for an upload, EOF after FILE for a download), both ends'
      TCP_INFO, and the proxy's counters that moved during the run
      (telemetry: /synproxy/stats and the ports' drop counters). A transfer
      still running after --limit s is stopped (over_limit); nothing starts
      after --deadline s.

  plan --out PLAN --chunks K --server4 A [--server6 A] [--only REGEX]
      Writes the case list (below) split into K chunks, with the ports.

  retry --results RESULTS --out JSON --max N
      The names of the failed cases (none if more than N).

  report --results RESULTS [--ratio R] [--floor-ms F]
      The table (case, direction, proxy median, bridge median, ratio,
      options, verdict), the details of each failure, and the verdict:
      exit 1 if any case failed.

A case sets the client's and the server's sysctls (net.ipv4.tcp_timestamps,
tcp_sack, tcp_window_scaling, tcp_ecn: the IPv4 names govern IPv6 too), then
each of its runs uses its own pair of server ports (one upload, one
download, concurrently), so the proxy has learned nothing about them: a
first contact, probed. Transitions ("kind" drop, gain, reprobe) teach the
proxy first: "teach" connections with the server's options of the case's
first phase, then the server's sysctls of the second phase. A drop or gain
case runs its three runs in a row on one pair of ports (transition()); a
reprobe case's runs each wait until their entry is due (wait_s).
Through the bridge a case is its class's connection (negotiated()): the
cases of a class share the class's runs (assign_bridge_runs) and are judged
against its median.
"""

import argparse
import hashlib
import json
import os
import resource
import selectors
import socket
import struct
import sys
import threading
import time

STALL = 6.0                 # seconds without progress: the transfer failed
CONN_DEADLINE = 40.0        # seconds for one whole transfer
CHUNK = 65536
TCP_INFO_LEN = 104
# /synproxy/stats members that are levels, not counts (left out of a run's
# counter deltas; state_* too). Counters such as syn_cache_conflict,
# syn_cache_evictions or flows_expired stay in.
GAUGES = ("uptime_s", "flows", "syn_cache", "syn_cache_capacity", "learned")

SYSCTL = {"ts": "net.ipv4.tcp_timestamps", "sack": "net.ipv4.tcp_sack",
	  "ws": "net.ipv4.tcp_window_scaling", "ecn": "net.ipv4.tcp_ecn"}


def tcp_info(sock):
	try:
		raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_LEN)
	except OSError:
		return None
	u8 = struct.unpack_from("8B", raw, 0)
	u32 = struct.unpack_from("=24I", raw, 8)
	return {"opts": opts_str(u8[5]), "wscale": [u8[6] & 0x0f, u8[6] >> 4],
		"mss": u32[2], "rto_ms": u32[0] // 1000, "retrans": u32[23]}


def opts_str(bits):
	# TCPI_OPT_TIMESTAMPS 1, SACK 2, WSCALE 4, ECN 8
	return "".join(c if bits & b else "-" for c, b in (("t", 1), ("s", 2), ("w", 4), ("e", 8)))


def set_sysctls(values):
	for name, v in values.items():
		with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
			f.write("%d\n" % int(v))


def load(path):
	with open(path, "rb") as f:
		data = f.read()
	return data, hashlib.sha256(data).hexdigest()


def outq(sock):
	import fcntl
	import termios
	buf = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
	return struct.unpack("i", buf)[0]


def send_all(sock, data, deadline):
	"""Send everything; fail after STALL s without a byte accepted."""
	view = memoryview(data)
	sock.settimeout(STALL)
	while view:
		if time.monotonic() > deadline:
			raise TimeoutError("deadline while sending (%d bytes left)" % len(view))
		try:
			n = sock.send(view[:CHUNK])
		except socket.timeout:
			raise TimeoutError("send stalled %.0f s (%d bytes left)" % (STALL, len(view))) from None
		view = view[n:]


def read_line(sock, deadline, rest=b""):
	"""One line (and what came after it), bounded."""
	buf = rest
	while b"\n" not in buf:
		if time.monotonic() > deadline:
			raise TimeoutError("deadline while waiting for a line")
		b = sock.recv(4096)
		if not b:
			raise EOFError("EOF before a full line (%d bytes)" % len(buf))
		buf += b
	line, _, rest = buf.partition(b"\n")
	return json.loads(line.decode()), rest


# ---- server ----------------------------------------------------------------

class Server:
	def __init__(self, data, sha):
		self.data, self.sha = data, sha
		self.done = {}
		self.lock = threading.Lock()

	def serve(self, conn, port):
		rec = {"port": port, "t": time.time()}
		deadline = time.monotonic() + CONN_DEADLINE
		try:
			conn.settimeout(STALL)
			kind = conn.recv(1)
			rec["kind"] = kind.decode(errors="replace")
			if kind == b"U":
				h, n = hashlib.sha256(), 0
				while True:
					if time.monotonic() > deadline:
						raise TimeoutError("deadline while receiving (%d bytes)" % n)
					try:
						b = conn.recv(1 << 18)
					except socket.timeout:
						raise TimeoutError("receive stalled %.0f s at %d bytes" % (STALL, n)) from None
					if not b:
						break
					h.update(b)
					n += len(b)
				sha = h.hexdigest()
				rec["sha_ok"] = sha == self.sha and n == len(self.data)
				send_all(conn, (json.dumps({"bytes": n, "sha256": sha, "info": tcp_info(conn)}) + "\n").encode(),
					 deadline)
			elif kind in (b"D", b"T"):
				send_all(conn, (json.dumps({"info": tcp_info(conn)}) + "\n").encode(), deadline)
				if kind == b"D":
					send_all(conn, self.data, deadline)
			else:
				raise ValueError("unknown request %r" % kind)
			conn.shutdown(socket.SHUT_WR)
			# Wait for the client's FIN, so the last bytes are acknowledged
			# before the final TCP_INFO is taken.
			while time.monotonic() < deadline:
				try:
					if not conn.recv(4096):
						break
				except socket.timeout:
					raise TimeoutError("no FIN from the client within %.0f s" % STALL) from None
		except (OSError, ValueError, TimeoutError, EOFError) as e:
			rec["error"] = "%s: %s" % (type(e).__name__, e)
			print("port %d: %s" % (port, rec["error"]), file=sys.stderr, flush=True)
		rec["info"] = tcp_info(conn)
		conn.close()
		with self.lock:
			self.done[port] = rec

	def control(self, conn):
		conn.settimeout(10)
		try:
			req, _ = read_line(conn, time.monotonic() + 10)
			if "sysctl" in req:
				set_sysctls(req["sysctl"])
				ans = {"ok": True}
			elif "done" in req:
				with self.lock:
					ans = {str(p): self.done.get(p) for p in req["done"]}
			else:
				ans = {"error": "unknown command"}
		except (OSError, ValueError, TimeoutError, EOFError) as e:
			ans = {"error": str(e)}
		try:
			conn.sendall((json.dumps(ans) + "\n").encode())
		except OSError:
			pass
		conn.close()


def cmd_server(a):
	data, sha = load(a.data)
	lo, hi = (int(x) for x in a.ports.split("-"))
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	want = hi - lo + 100
	if soft < want:
		resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
	srv = Server(data, sha)
	sel = selectors.DefaultSelector()
	for p in range(lo, hi + 1):
		s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
		s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s.bind(("::", p))
		s.listen(8)
		s.setblocking(False)
		sel.register(s, selectors.EVENT_READ, p)
	try:
		os.unlink(a.ctl)
	except FileNotFoundError:
		pass
	ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	ctl.bind(a.ctl)
	ctl.listen(8)
	ctl.setblocking(False)
	sel.register(ctl, selectors.EVENT_READ, None)
	print("listening on %d ports, control %s" % (hi - lo + 1, a.ctl), flush=True)
	while True:
		for key, _ in sel.select():
			try:
				conn, _ = key.fileobj.accept()
			except BlockingIOError:
				continue
			conn.setblocking(True)
			if key.data is None:
				target, args = srv.control, (conn,)
			else:
				target, args = srv.serve, (conn, key.data)
			threading.Thread(target=target, args=args, daemon=True).start()


# ---- client ----------------------------------------------------------------

def ctl_call(path, req):
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.settimeout(10)
	s.connect(path)
	s.sendall((json.dumps(req) + "\n").encode())
	ans, _ = read_line(s, time.monotonic() + 10)
	s.close()
	if isinstance(ans, dict) and ans.get("error"):
		raise RuntimeError("server control: %s" % ans["error"])
	return ans


class Stats:
	"""The proxy's /synproxy/stats and its ports' drop counters (imissed:
	frames the kernel could not hand to the proxy, its rings were full),
	over the DPDK telemetry socket."""

	def __init__(self, prefix):
		self.path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix if prefix else None

	def read(self):
		if not self.path:
			return {}
		try:
			s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
			s.settimeout(5)
			s.connect(self.path)
			max_len = int(json.loads(s.recv(4096).decode()).get("max_output_len", 16384))

			def query(cmd):
				s.send(cmd.encode())
				return json.loads(s.recv(max_len + 1).decode()).get(cmd.split(",")[0]) or {}
			st = {k: v for k, v in query("/synproxy/stats").items() if isinstance(v, int)}
			for port in (0, 1):
				eth = query("/ethdev/stats,%d" % port)
				for k in ("imissed", "ierrors", "oerrors", "rx_nombuf"):
					if isinstance(eth.get(k), int):
						st["port%d_%s" % (port, k)] = eth[k]
			s.close()
			return st
		except (OSError, ValueError, AttributeError) as e:
			return {"telemetry_error": str(e)}


def transfer(kind, addr, port, data, sha, out, limit):
	"""One connection; fills out (a dict). limit: seconds the transfer may
	take once connected (the connect itself has the kernel's SYN timers)."""
	out.update(port=port, ok=False)
	t0 = time.monotonic()
	fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
	s = socket.socket(fam, socket.SOCK_STREAM)
	try:
		# connect: the kernel's SYN retransmissions at 1, 3 and 7 s fit in 8 s
		s.settimeout(8)
		s.connect((addr, port))
		t1 = time.monotonic()
		deadline = t1 + limit
		out["connect_ms"] = round((t1 - t0) * 1000, 1)
		s.settimeout(STALL)
		if kind == "U":
			send_all(s, b"U" + data, deadline)
			s.shutdown(socket.SHUT_WR)
			# wait for the server's line; progress = our queue draining
			s.settimeout(0.2)
			buf, last_q, last_t = b"", None, time.monotonic()
			while b"\n" not in buf:
				now = time.monotonic()
				if now > deadline:
					raise TimeoutError("deadline waiting for the server's sha256 (%d bytes unacknowledged)" % outq(s))
				try:
					b = s.recv(4096)
					if not b:
						raise EOFError("EOF before the server's sha256")
					buf += b
				except socket.timeout:
					q = outq(s)
					if q != last_q:
						last_q, last_t = q, now
					elif now - last_t > STALL:
						raise TimeoutError("upload stalled %.0f s with %d bytes unacknowledged" % (STALL, q)) from None
			ans = json.loads(buf.partition(b"\n")[0].decode())
			out["server"] = ans.get("info")
			out["sha_ok"] = ans.get("sha256") == sha and ans.get("bytes") == len(data)
			if not out["sha_ok"]:
				raise ValueError("the server received %s bytes, sha256 %s" % (ans.get("bytes"), ans.get("sha256")))
		elif kind == "D":
			s.sendall(b"D")
			hdr, rest = read_line(s, deadline)
			out["server"] = hdr.get("info")
			h, n = hashlib.sha256(rest), len(rest)
			while True:
				if time.monotonic() > deadline:
					raise TimeoutError("deadline while receiving (%d of %d bytes)" % (n, len(data)))
				try:
					b = s.recv(1 << 18)
				except socket.timeout:
					raise TimeoutError("download stalled %.0f s at %d bytes" % (STALL, n)) from None
				if not b:
					break
				h.update(b)
				n += len(b)
			out["sha_ok"] = h.hexdigest() == sha and n == len(data)
			if not out["sha_ok"]:
				raise ValueError("received %d bytes, sha256 %s" % (n, h.hexdigest()))
		else:   # T
			s.sendall(b"T")
			hdr, _ = read_line(s, deadline)
			out["server"] = hdr.get("info")
		out["xfer_ms"] = round((time.monotonic() - t1) * 1000, 1)
		out["ok"] = True
	except (OSError, ValueError, TimeoutError, EOFError) as e:
		out["error"] = "%s: %s" % (type(e).__name__, e)
		if isinstance(e, TimeoutError) and "deadline" in str(e):
			out["over_limit"] = True
	out["client"] = tcp_info(s)
	s.close()
	out["total_ms"] = round((time.monotonic() - t0) * 1000, 1)


def run_pair(addr, up, down, data, sha, limit):
	"""The upload and the download of one run, at the same time."""
	res = {"up": {}, "down": {}}
	th = [threading.Thread(target=transfer, args=("U", addr, up, data, sha, res["up"], limit)),
	      threading.Thread(target=transfer, args=("D", addr, down, data, sha, res["down"], limit))]
	for t in th:
		t.start()
	for t in th:
		t.join(limit + 30)
	return res


def sysctls_of(opts):
	return {SYSCTL[k]: int(v) for k, v in opts.items()}


def cmd_client(a):
	data, sha = load(a.data)
	plan = json.load(open(a.plan))
	if a.cases:
		names = set(json.load(open(a.cases)))
		cases = [c for c in plan["cases"] if c["name"] in names]
		assign_bridge_runs(cases, plan["runs"])
	else:
		cases = [plan["cases"][i] for i in plan["chunks"][a.chunk]]
	stats = Stats(a.file_prefix)
	t_start = time.monotonic()
	outf = open(a.out, "a")
	rnd = a.round

	def ports(c, r):
		return c["ports"][rnd][r]

	def emit(rec):
		rec.update(mode=a.mode, round=rnd)
		rec.setdefault("limit", a.limit)
		outf.write(json.dumps(rec) + "\n")
		outf.flush()

	def apply(c, phase):
		set_sysctls(sysctls_of(c["client"]))
		ctl_call(a.ctl, {"sysctl": sysctls_of(c[phase])})

	taught_at = {}

	def teach(c, runs):
		apply(c, "teach")
		for r in runs:
			for port in ports(c, r):
				o = {}
				transfer("T", c["addr"], port, data, sha, o, a.limit)
				if not o["ok"]:
					emit({"case": c["name"], "run": r, "teach": True, "port": port, "result": o})
		taught_at[c["name"]] = time.monotonic()

	# Through the bridge a case is its class's connection (plan): it runs
	# only its share of the class's runs, and there is nothing to teach.
	bridge = a.mode == "bridge"

	def nruns(c):
		return c["bridge_runs"] if bridge else plan["runs"]

	# Cases that wait for the re-probe are taught first, all of them, so
	# their wait runs while the other cases do.
	for c in cases:
		if c.get("kind") == "reprobe" and not bridge:
			teach(c, range(plan["runs"]))
	over = {}

	def timed(c, r, limit, residual=False):
		"""Run r of case c (its server's sysctls set first): one record."""
		name = c["name"]
		if time.monotonic() - t_start > a.deadline:
			emit({"case": name, "class": c["class"], "run": r, "skipped": "the session's time budget (%d s) ran out" % a.deadline})
			return
		if over.get(name, 0) >= 2:
			# its median is over the limit: the case has failed, its
			# time goes to the others
			emit({"case": name, "class": c["class"], "run": r, "skipped": "two runs were over the %g s limit" % a.limit})
			return
		apply(c, "server")
		before = stats.read()
		t0 = time.time()
		since = time.monotonic() - taught_at[name] if name in taught_at else None
		res = run_pair(c["addr"], ports(c, r)[0], ports(c, r)[1], data, sha, limit)
		after = stats.read()
		rec = {"case": name, "class": c["class"], "run": r, "t": round(t0, 3), "res": res, "limit": limit,
		       "counters": {k: after[k] - before.get(k, 0) for k in after
				    if isinstance(after[k], int) and isinstance(before.get(k, 0), int)
				    and after[k] != before.get(k, 0) and k not in GAUGES and not k.startswith("state_")}}
		if "telemetry_error" in before or "telemetry_error" in after or not after:
			rec["telemetry_error"] = before.get("telemetry_error") or after.get("telemetry_error") or "no counters"
		if residual:
			rec["residual"] = True
		if since is not None:
			rec["since_teach_s"] = round(since, 2)   # at the run's start
		if any(res[d].get("over_limit") for d in res):
			over[name] = over.get(name, 0) + 1
		if any(not res[d].get("ok") for d in res):
			try:
				rec["server_end"] = ctl_call(a.ctl, {"done": list(ports(c, r))})
			except (OSError, RuntimeError, ValueError) as e:
				rec["server_end"] = str(e)
		emit(rec)

	def transition(c):
		"""A server that changes between connections (proxy): taught its
		old options on the case's one pair of ports, changed once, then its
		runs in order on those same ports. "drop": run 0 is the first
		connection after the change, promised the old options (the residual:
		it must complete, under the bridge's limit, and is judged apart);
		its SYN-ACK relearns the server, so runs 1 to `runs` (the median's)
		follow at once. "gain": run 0 is promised the old "no"; runs 1 and
		2 wait until the learned entry is due (wait_s after teaching), so
		run 1's SYN is re-probed."""
		teach(c, [0])
		for r in range(plan["runs"] + (1 if c["kind"] == "drop" else 0)):
			if c["kind"] == "gain" and r > 0:
				left = taught_at[c["name"]] + c["wait_s"] - time.monotonic()
				if left > 0:
					time.sleep(left)
			residual = c["kind"] == "drop" and r == 0
			timed(c, r, a.limit_residual if residual else a.limit, residual)

	# Then run r of every case, then run r+1: the runs of a case are spread
	# over the session (a noisy moment hits one run, not the median). Cases
	# that wait come last in each round; a transition case (through the
	# proxy) makes its three runs in a row, in round 0.
	for r in range(plan["runs"]):
		for c in sorted(cases, key=lambda c: c.get("wait_s", 0)):
			if r >= nruns(c):
				continue
			if c.get("kind") in ("drop", "gain") and not bridge:
				if r == 0:
					transition(c)
				continue
			if c.get("kind") == "reprobe" and not bridge:
				left = taught_at[c["name"]] + c["wait_s"] - time.monotonic()
				if left > 0:
					time.sleep(left)
			timed(c, r, a.limit)
	outf.close()
	return 0


# ---- the plan --------------------------------------------------------------

COMBOS = ["tsw", "-sw", "t-w", "ts-", "--w", "-s-", "t--", "---"]


def opts(name, ecn):
	"""'t-w' -> options (a letter: present, '-': lacking)."""
	return {"ts": int(name[0] == "t"), "sack": int(name[1] == "s"), "ws": int(name[2] == "w"), "ecn": ecn}


def negotiated(c):
	"""What two Linux ends agree on without a proxy: the options both have,
	ECN if both ask and accept (the class of a case, through the bridge)."""
	both = {k: c["client"][k] and c["server"][k] for k in ("ts", "sack", "ws")}
	name = "".join(l if both[k] else "-" for l, k in (("t", "ts"), ("s", "sack"), ("w", "ws")))
	fam = "v6" if ":" in c["addr"] else "v4"
	return "%s %s%s" % (fam, name, " ecn" if c["client"]["ecn"] and c["server"]["ecn"] else "")


def assign_bridge_runs(cases, runs):
	"""Through the bridge, every case of a class makes the same connection,
	so the class's runs are shared among its cases: one each, and more
	(round-robin) while the class has fewer than `runs`."""
	classes = {}
	for c in cases:
		c["class"] = negotiated(c)
		c["bridge_runs"] = 1
		classes.setdefault(c["class"], []).append(c)
	for members in classes.values():
		i = 0
		while sum(m["bridge_runs"] for m in members) < runs:
			members[i % len(members)]["bridge_runs"] += 1
			i += 1


def cmd_plan(a):
	cases = []

	def add(name, addr, client, server, **kw):
		cases.append(dict(name=name, addr=addr, client=client, server=server, **kw))

	# The matrix: every client x server combination, ECN off and on, over IPv4.
	for ecn in (0, 1):
		for cc in COMBOS:
			for sc in COMBOS:
				add("c:%s s:%s%s" % (cc, sc, " ecn" if ecn else ""), a.server4, opts(cc, ecn), opts(sc, ecn),
				    kind="first")
	# Transitions: a client with everything (ECN on), a server that changes
	# between the teaching connection and the timed ones (one pair of ports
	# for the case's runs, client.transition()).
	full = opts("tsw", 1)
	wait = a.reprobe + a.reprobe_margin
	for sc in ("-sw", "t-w", "ts-", "---"):
		# learned with everything, then the server loses options (and ECN)
		add("drop tsw>%s" % sc, a.server4, full, opts(sc, 0), teach=full, kind="drop")
		# learned without them, then the server has them again
		add("gain %s>tsw" % sc, a.server4, full, full, teach=opts(sc, 0), kind="gain", wait_s=wait)
		# learned without them; the timed connections come once the re-probe is due
		add("reprobe %s" % sc, a.server4, full, opts(sc, 0), teach=opts(sc, 0), kind="reprobe", wait_s=wait)
	# IPv6: a client with everything, the server lacking each option, ECN on.
	if a.server6:
		for sc in ("tsw", "-sw", "t-w", "ts-", "---"):
			add("v6 c:tsw s:%s ecn" % sc, a.server6, full, opts(sc, 1), kind="first")
	if a.only:
		import re
		cases = [c for c in cases if re.search(a.only, c["name"])]
	assign_bridge_runs(cases, a.runs)
	# Ports: [round][run] = [upload, download], each used once per mode (the
	# proxy restarts between sessions, so a port is unknown to it until the
	# case teaches it). Round 1 is the confirmation of cases that failed.
	port = a.port_base
	for c in cases:
		c["ports"] = []
		for _rnd in range(2):
			# a transition's runs share one pair (the server it changed)
			same = c["kind"] in ("drop", "gain")
			# (a drop case makes one run more: its residual, run 0)
			c["ports"].append([[port + 2 * (0 if same else r), port + 2 * (0 if same else r) + 1]
					   for r in range(a.runs + (1 if c["kind"] == "drop" else 0))])
			port += 2 * a.runs
	# Round-robin into chunks, so each has a mix of cases (and the waits of
	# the re-probe cases overlap with the others' runs).
	n = len(cases)
	chunks = [list(range(i, n, a.chunks)) for i in range(a.chunks)]
	json.dump({"runs": a.runs, "cases": cases, "chunks": chunks}, open(a.out, "w"), indent=1)
	print("%d-%d" % (a.port_base, port - 1))
	return 0


# ---- the report ------------------------------------------------------------

def median(v):
	v = sorted(v)
	return v[len(v) // 2] if v else None


class Results:
	"""results.jsonl: the proxy's runs per case, the bridge's per class."""

	def __init__(self, path):
		self.proxy, self.bridge, self.order, self.cls, self.teach_fail = {}, {}, [], {}, []
		for line in open(path):
			rec = json.loads(line)
			if rec.get("teach"):
				self.teach_fail.append(rec)
				continue
			k, rnd = rec["case"], rec.get("round", 0)
			if k not in self.order:
				self.order.append(k)
			self.cls[k] = rec["class"]
			if rec["mode"] == "proxy":
				self.proxy.setdefault((k, rnd), []).append(rec)
			else:
				self.bridge.setdefault((rec["class"], rnd), []).append(rec)
		self.rounds = {}
		for k, rnd in self.proxy:
			self.rounds.setdefault(k, []).append(rnd)
		for k in self.rounds:
			self.rounds[k].sort()

	def runs_of(self, k, rnd, mode):
		return self.proxy.get((k, rnd), []) if mode == "proxy" else self.bridge.get((self.cls[k], rnd), [])


def kind_of(name):
	"""drop, gain, reprobe (transitions), or first (a first contact)."""
	w = name.split()[0]
	return w if w in ("drop", "gain", "reprobe") else "first"


def class_opts(cls):
	"""'v4 -sw ecn' -> '-swe': TCP_INFO's options of the class's connection."""
	f = cls.split()
	return f[1] + ("e" if f[-1] == "ecn" else "-")


def proxy_checks(rec, r, who, a):
	"""What the proxy must have done in this run (one direction r), from
	the client's TCP_INFO and the proxy's counters.
	 - first contact (matrix, IPv6): each of the run's two connections was
	   probed: probe_sent +2 (probe_answered is summed in the report);
	 - reprobe: both connections came while their entry was due: probed and
	   answered (+2 each), and the client got what the server has now;
	 - drop: runs after the first negotiated what the server has now (the
	   first one's SYN-ACK relearned it);
	 - gain: the last run negotiated what the server has now (its entry
	   re-probed once due)."""
	why = []
	kind = kind_of(rec["case"])
	cnt = rec.get("counters") or {}
	if rec.get("telemetry_error"):
		return ["%s: the proxy's counters were not read (%s)" % (who, rec["telemetry_error"])]
	if kind == "first" and cnt.get("probe_sent", 0) != 2:
		why.append("%s: probe_sent +%d, not +2 (one per first contact)" % (who, cnt.get("probe_sent", 0)))
	if kind == "reprobe" and (cnt.get("probe_sent", 0) != 2 or cnt.get("probe_answered", 0) != 2):
		why.append("%s: probe_sent +%d, probe_answered +%d, not +2 each (both entries were due)" % (
			who, cnt.get("probe_sent", 0), cnt.get("probe_answered", 0)))
	must = (kind == "reprobe" or (kind == "drop" and rec["run"] >= 1)
		or (kind == "gain" and rec["run"] == a.runs - 1))
	got = (r.get("client") or {}).get("opts")
	if must and not opts_agree(got, rec["class"], r):
		why.append("%s: the client negotiated %s, the server now has %s" % (who, got, class_opts(rec["class"])))
	return why


def opts_agree(got, cls, r):
	"""The client's TCP_INFO options are the class's (what both ends have).
	ECN only when the client's first SYN got through: a Linux client
	retransmits its SYN without ECE|CWR (tcp_ecn_fallback), so after a lost
	SYN or SYN-ACK (a connect over 900 ms: the 1 s timer) it no longer asks,
	through a bridge as well."""
	want = class_opts(cls)
	if got is None:
		return False
	if (r.get("connect_ms") or 0) > 900:
		return got[:3] == want[:3]
	return got == want


def judge(res, k, rnd, d, a):
	"""One case, one direction, one round: (ok, medians, ratio, reasons).
	The proxy's median over the case's runs, the bridge's over its class's.
	A run stopped at the time limit counts as the limit (its time is at
	least that); a median is a number, ">N" when it is such a run (the
	case fails), or None when runs are missing."""
	med, why = {}, []
	for mode in ("proxy", "bridge"):
		xs, stopped = [], 0
		for rec in res.runs_of(k, rnd, mode):
			who = "%s run %d%s" % (mode, rec["run"], "" if rec["case"] == k else " (%s)" % rec["case"])
			if "skipped" in rec:
				why.append("%s skipped: %s" % (who, rec["skipped"]))
				continue
			r = rec["res"][d]
			if rec.get("residual"):
				# a drop case's run 0, promised the old options: it must
				# complete with its sha256 (under the bridge's limit); its
				# time is printed, not in the median (judged on the runs
				# after it, which the proxy has no excuse for)
				if not r.get("ok"):
					why.append("%s (residual): %s" % (who, r.get("error") or "still running at its limit"))
				continue
			if r.get("ok"):
				xs.append(r["xfer_ms"])
			elif r.get("over_limit"):
				xs.append(rec["limit"] * 1000.0)
				stopped += 1
			else:
				why.append("%s: %s" % (who, r.get("error")))
			# through the bridge the ends must have agreed what the class says
			got = ((r.get("client") or {}).get("opts") or "???")[:3]
			if mode == "bridge" and got != rec["class"].split()[1]:
				why.append("%s: the ends agreed on %s, not the class's %s" % (who, got, rec["class"]))
			if mode == "proxy":
				why += proxy_checks(rec, r, who, a)
		if len(xs) < a.runs and not any(w.startswith(mode) for w in why):
			why.append("%s: %d of %d runs recorded" % (mode, len(xs), a.runs))
		m = median(xs) if len(xs) >= a.runs else None
		limits = [rec["limit"] * 1000.0 for rec in res.runs_of(k, rnd, mode)]
		if m is not None and stopped and m >= min(limits):
			why.append("%s: %d of %d runs were still running at the %g s limit" % (
				mode, stopped, len(xs), min(limits) / 1000))
			m = ">%d" % m
		med[mode] = m
	ratio = None
	if isinstance(med["proxy"], float) and isinstance(med["bridge"], float):
		ratio = max(med["proxy"], a.floor_ms) / max(med["bridge"], a.floor_ms)
		if ratio > a.ratio:
			why.append("median ratio %.2f > %.2f" % (ratio, a.ratio))
	return (not why), med, ratio, why


def ms(v):
	return "-" if v is None else v if isinstance(v, str) else "%.0f" % v


def verdicts(res, a):
	"""case -> dir -> [(ok, med, ratio, why) per round present]"""
	return {k: {d: [judge(res, k, rnd, d, a) for rnd in res.rounds.get(k, [0])] for d in ("up", "down")}
		for k in res.order}


def case_ok(v):
	# a case fails when its last round fails (a confirmation round is run
	# only for cases that failed the first)
	return all(v[d][-1][0] for d in v)


def cmd_retry(a):
	"""Names of the failed cases, as JSON, if there are at most --max."""
	res = Results(a.results)
	v = verdicts(res, a)
	bad = [k for k in res.order if not case_ok(v[k])]
	json.dump(bad if len(bad) <= a.max else [], open(a.out, "w"))
	print(len(bad))
	return 0


def cmd_report(a):
	res = Results(a.results)
	v = verdicts(res, a)
	fmt = "%-20s %-4s %9s %9s %6s  %-8s %-8s %s"
	print(fmt % ("case", "dir", "proxy ms", "bridge ms", "ratio", "opts cli", "opts srv", "verdict"))
	worst = 0.0
	for k in res.order:
		for d in ("up", "down"):
			ok, med, ratio, _ = v[k][d][0]
			if ratio:
				worst = max(worst, ratio)
			verdict = "ok" if ok else "FAIL"
			if len(v[k][d]) > 1:
				ok2, med2, _, _ = v[k][d][-1]
				verdict = "%s, again: %s (%s/%s ms)" % (verdict, "ok" if ok2 else "FAIL",
								      ms(med2["proxy"]), ms(med2["bridge"]))
			# what the two ends agreed on in the proxy's last run
			last = next((rec["res"][d] for rec in reversed(res.runs_of(k, 0, "proxy")) if "res" in rec), {})
			print(fmt % (k, d, ms(med["proxy"]), ms(med["bridge"]),
				     "%.2f" % ratio if ratio is not None else "-",
				     (last.get("client") or {}).get("opts", "?"), (last.get("server") or {}).get("opts", "?"),
				     verdict))
			# a drop case's first run after the change: the residual
			# (promised the old options), shown alone, not in the median
			for rec in res.runs_of(k, 0, "proxy"):
				if rec.get("residual") and "res" in rec:
					r = rec["res"][d]
					t = r.get("xfer_ms")
					rr = (max(t, a.floor_ms) / max(med["bridge"], a.floor_ms)
					      if t is not None and isinstance(med["bridge"], float) else None)
					print(fmt % ("  run 0 (residual)", d, ms(t), ms(med["bridge"]),
						     "%.2f" % rr if rr is not None else "-",
						     (r.get("client") or {}).get("opts", "?"),
						     (r.get("server") or {}).get("opts", "?"),
						     "completed, sha256 ok" if r.get("ok") else "FAIL: %s" % r.get("error")))
		if kind_of(k) != "first":
			# each run: the client's options up/down, probes sent/answered,
			# seconds since the teaching connections
			runs = []
			for rec in res.runs_of(k, 0, "proxy"):
				if "res" not in rec:
					continue
				cnt = rec.get("counters") or {}
				runs.append("%d: %s/%s probes %d/%d at %ss" % (
					rec["run"], (rec["res"]["up"].get("client") or {}).get("opts", "?"),
					(rec["res"]["down"].get("client") or {}).get("opts", "?"),
					cnt.get("probe_sent", 0), cnt.get("probe_answered", 0), rec.get("since_teach_s", "?")))
			print("    runs (client opts up/down, probes sent/answered, since teaching; server now %s): %s"
			      % (class_opts(res.cls[k]), " | ".join(runs)))
	# Connection setup, left out of the times: the share of setups slower
	# than 900 ms (a lost SYN or SYN-ACK: the kernel's 1 s timer) per mode.
	slow, conns = {}, {}
	for mode, table in (("proxy", res.proxy), ("bridge", res.bridge)):
		for recs in table.values():
			for rec in recs:
				for d in ("up", "down"):
					c = rec.get("res", {}).get(d, {}).get("connect_ms")
					if c is not None:
						conns[mode] = conns.get(mode, 0) + 1
						slow[mode] = slow.get(mode, 0) + (c > 900)
	bad_cases = [k for k in res.order if not case_ok(v[k])]
	print("cases: %d, failed: %d; worst first-round median ratio %.2f (bound %.2f, floor %d ms)" % (
		len(res.order), len(bad_cases), worst, a.ratio, a.floor_ms))
	# The probe on first contacts (every matrix and IPv6 run, all rounds):
	# one probe per connection; each answered, unless its SYN or SYN-ACK
	# was lost to the loss rules (the server's input and output: about 2 x
	# LOSS_PERMILLE per try) in all three tries the proxy makes (probe_retx),
	# then timed out and the client got the defaults: 3x that rate plus two.
	first = [rec for recs in res.proxy.values() for rec in recs
		 if "res" in rec and kind_of(rec["case"]) == "first"]
	pc = {k: sum((rec.get("counters") or {}).get(k, 0) for rec in first)
	      for k in ("probe_sent", "probe_answered", "probe_retx", "probe_timeout", "probe_refused",
		    "probe_dup_syn")}
	other = sum(1 for rec in first for d in ("up", "down")
		    if (rec["res"][d].get("client") or {}).get("opts") is not None
		    and not opts_agree(rec["res"][d]["client"]["opts"], rec["class"], rec["res"][d]))
	nconn = 2 * len(first)
	allowed = 3 * nconn * (2 * a.loss_permille / 1000.0) ** 3 + 2
	probes_bad = (pc["probe_sent"] != nconn or pc["probe_answered"] + pc["probe_timeout"] != pc["probe_sent"]
		      or pc["probe_timeout"] > allowed)
	print("probes on first contacts: %d connections, probe_sent %d, probe_answered %d, probe_retx %d, "
	      "probe_timeout %d (at most %.0f: 3x the loss rules' rate for three tries, plus two), "
	      "probe_refused %d, probe_dup_syn %d; "
	      "connections whose client got other options than both ends have: %d%s"
	      % (nconn, pc["probe_sent"], pc["probe_answered"], pc["probe_retx"], pc["probe_timeout"], allowed,
		 pc["probe_refused"], pc["probe_dup_syn"], other, "  FAIL" if probes_bad else ""))
	print("connections set up in over 900 ms (a lost SYN or SYN-ACK): proxy %d of %d, bridge %d of %d"
	      % (slow.get("proxy", 0), conns.get("proxy", 0), slow.get("bridge", 0), conns.get("bridge", 0)))
	for t in res.teach_fail:
		print("teaching connection failed: %s run %d port %d (%s): %s" % (
			t["case"], t["run"], t["port"], t["mode"], t["result"].get("error")))
	for k in bad_cases:
		for d in ("up", "down"):
			for rnd, (ok, med, ratio, why) in zip(res.rounds.get(k, [0]), v[k][d]):
				if ok:
					continue
				print("\n== FAIL %s, %s, round %d: %s" % (k, d, rnd, "; ".join(why)))
				for mode in ("proxy", "bridge"):
					for rec in res.runs_of(k, rnd, mode):
						if "res" not in rec:
							continue
						r = rec["res"][d]
						print("   %-6s run %d%s: %s ms (connect %s ms)%s client %s server %s%s" % (
							mode, rec["run"], "" if rec["case"] == k else " (%s)" % rec["case"],
							r.get("xfer_ms", "-"), r.get("connect_ms", "-"),
							"" if r.get("ok") else " " + str(r.get("error")),
							r.get("client"), r.get("server"),
							" %.1f s after teaching" % rec["since_teach_s"] if "since_teach_s" in rec else ""))
						if rec.get("counters"):
							print("          counters: " + " ".join(
								"%s=+%d" % kv for kv in sorted(rec["counters"].items())))
						if rec.get("server_end"):
							print("          server's end: %s" % json.dumps(rec["server_end"]))
	expected = slow.get("bridge", 0) * conns.get("proxy", 0) / max(conns.get("bridge", 0), 1)
	slow_bad = slow.get("proxy", 0) > 2 * expected + a.slow_connect_slack
	if slow_bad:
		print("FAIL: %d slow connection setups through the proxy, the bridge's rate predicts %.0f"
		      % (slow.get("proxy", 0), expected))
	return 1 if bad_cases or res.teach_fail or slow_bad or probes_bad else 0


def main():
	p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
	sub = p.add_subparsers(dest="cmd", required=True)
	s = sub.add_parser("server")
	s.add_argument("--ctl", required=True)
	s.add_argument("--data", required=True)
	s.add_argument("--ports", required=True)
	c = sub.add_parser("client")
	c.add_argument("--ctl", required=True)
	c.add_argument("--data", required=True)
	c.add_argument("--plan", required=True)
	c.add_argument("--chunk", type=int, default=0)
	c.add_argument("--cases", default="", help="a JSON list of case names instead of a chunk")
	c.add_argument("--round", type=int, default=0)
	c.add_argument("--mode", required=True)
	c.add_argument("--out", required=True)
	c.add_argument("--file-prefix", default="")
	c.add_argument("--deadline", type=float, default=120)
	c.add_argument("--limit", type=float, default=3)
	c.add_argument("--limit-residual", type=float, default=20,
		       help="the limit of a drop case's first run after the change")
	pl = sub.add_parser("plan")
	pl.add_argument("--out", required=True)
	pl.add_argument("--chunks", type=int, required=True)
	pl.add_argument("--runs", type=int, default=3)
	pl.add_argument("--server4", required=True)
	pl.add_argument("--server6", default="")
	pl.add_argument("--port-base", type=int, default=20000)
	pl.add_argument("--reprobe", type=float, default=2,
		help="the proxy's timeouts.reprobe (s)")
	pl.add_argument("--reprobe-margin", type=float, default=0.7,
		help="waited past it before a run that must find the entry due (s)")
	pl.add_argument("--only", default="")
	for name, f in (("report", cmd_report), ("retry", cmd_retry)):
		r = sub.add_parser(name)
		r.set_defaults(f=f)
		r.add_argument("--results", required=True)
		r.add_argument("--runs", type=int, default=3)
		r.add_argument("--ratio", type=float, default=2.0)
		r.add_argument("--floor-ms", type=float, default=200)
		r.add_argument("--slow-connect-slack", type=int, default=10)
		r.add_argument("--loss-permille", type=float, default=5)
		if name == "retry":
			r.add_argument("--out", required=True)
			r.add_argument("--max", type=int, default=10)
	a = p.parse_args()
	return {"server": cmd_server, "client": cmd_client, "plan": cmd_plan, "report": cmd_report,
		"retry": cmd_retry}[a.cmd](a)


if __name__ == "__main__":
	sys.exit(main())
