#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
atk.py - the attack suite's frame kit: a scapy attacker on the WAN switch.

The attacker is a namespace on the WAN side (attack_lib.sh: atk_setup) next
to the real client; the proxy and the real server sit behind it. It writes
Ethernet frames straight to its eth0 (an AF_PACKET socket), addressed to the
server's MAC as a router would, with spoofed sources, and it sees what the
proxy sends back to the MACs it used (the proxy answers a SYN to the frame's
source MAC, whatever the source address). Every run is bounded in frames and
in seconds; sources come only from SPOOF4 / SPOOF6 (inside 198.18.0.0/15 and
2001:2::/48, away from the real client's 198.18.0.0/24 and 2001:2::/64).

How to add an attack test
  1. tests/e2e/attack/attack_NAME.sh: start with a comment saying what the
     attacker does and what is asserted, then
         source "$(dirname "$0")/attack_lib.sh"
         atk_setup MODE [JSON config members]   # topology, attacker, proxy, HTTP server
         atk_cap_start                          # capture at the server
         px_mark                                # counters from here
         atk_py 60 send --shapes v6-frag-dest --count 10 "${ATK_TARGET[@]}"   # or your own script
         atk_cap_stop                           # prints what reached the server
         assert_eq "SYNs from spoofed sources at the server" 0 "$(atk_seen tcp_syn)"
     and list it in meson.build (suite 'attack').
  2. Frames: build them with the functions below (tcp_frame, SHAPES for
     IPv6 header chains, fragments); send with Sender (paced, bounded);
     watch replies with Sniffer. A test-specific python script imports this
     file (sys.path is its folder) and keeps only its own logic.
  3. Judge by the server capture (`report`, printed and asserted by
     atk_cap_stop / atk_seen) and by the proxy's counters (px_delta).

Command line (run inside the attacker namespace by atk_py):
  send   --shapes A,B,.. --count N [--rate PPS] --dst-mac MAC --dst4 IP
         --dst6 IP --dport P [--flags S|A] [--sniff SECONDS] [--seed N]
         Sends N segments of each shape in turn, each from a random spoofed
         source and port; with --sniff, also counts the SYN-ACKs that came
         back to those sources (and how many had a zero window: the proxy's
         own). Prints JSON per shape: segments, frames, synacks, synack_win0.
  flood  --shapes A,B,.. --count N --rate PPS ... (same target options)
         N segments in all, the shapes taking turns.
  report PCAP --allow IP... --server IP... [--expect IP...]
         Reads a capture taken at the server and prints JSON: what arrived
         from sources not allowed (tcp_syn, tcp_other, later_fragment,
         other) and what the server sent to them (to_spoofed); frames from
         and to --expect sources are counted apart (from_/to_expected).
  shapes Lists the frame shapes.
"""

import argparse
import ipaddress
import json
import random
import socket
import struct
import threading
import time

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
				IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)
from scapy.layers.l2 import Ether
from scapy.packet import Raw

SPOOF4 = ipaddress.ip_network("198.19.0.0/16")
SPOOF6 = ipaddress.ip_network("2001:2:0:1000::/52")
ALLOWED4 = ipaddress.ip_network("198.18.0.0/15")
ALLOWED6 = ipaddress.ip_network("2001:2::/48")
MAX_FRAMES = 1000000       # no command sends more than this
MAX_SECONDS = 120          # nor runs longer


def spoofed(family, rng):
	"""A random source address from the spoofing range of a family."""
	net = SPOOF4 if family == 4 else SPOOF6
	host = rng.randrange(1, net.num_addresses - 1)
	return str(net.network_address + host)


def _check_dst(dst):
	a = ipaddress.ip_address(dst)
	if a not in (ALLOWED4 if a.version == 4 else ALLOWED6):
		raise SystemExit("atk: destination %s outside the test ranges" % dst)
	return a.version


# ---- IPv6 header chains --------------------------------------------------------
#
# A shape is a name for a frame layout. "v4" / "v6" are plain; the v6-*
# shapes put an extension-header chain between IPv6 and TCP. Fragment headers:
# "atomic" is offset 0, M = 0 (RFC 6946: an ordinary packet); "first" frames
# are sent as a complete datagram of two fragments (the first holding the
# chain and the TCP header, the second the rest of the segment), so a server
# that received both would reassemble a real SYN.

def _frag(m):
	return IPv6ExtHdrFragment(offset=0, m=m, id=random.getrandbits(32))


def _unknown(nh_after):
	# an IANA experimental extension header (253) the proxy does not walk
	return Raw(bytes([nh_after, 0]) + bytes(6))


SHAPES = {
	# name: (family, list of header factories, how to send, expected verdict)
	"v4": (4, [], "whole", "proxied"),
	"v6": (6, [], "whole", "proxied"),
	"v6-hbh": (6, [lambda: IPv6ExtHdrHopByHop()], "whole", "proxied"),
	"v6-dest": (6, [lambda: IPv6ExtHdrDestOpt()], "whole", "proxied"),
	"v6-atomic": (6, [lambda: _frag(0)], "whole", "proxied"),
	"v6-atomic-dest": (6, [lambda: _frag(0), lambda: IPv6ExtHdrDestOpt()], "whole", "proxied"),
	"v6-atomic-routing": (6, [lambda: _frag(0), lambda: IPv6ExtHdrRouting()], "whole", "proxied"),
	"v6-hbh-atomic": (6, [lambda: IPv6ExtHdrHopByHop(), lambda: _frag(0)], "whole", "proxied"),
	"v6-frag": (6, [lambda: _frag(0)], "fragments", "fragment_drop"),
	"v6-frag-dest": (6, [lambda: _frag(0), lambda: IPv6ExtHdrDestOpt()], "fragments", "fragment_drop"),
	"v6-frag-routing": (6, [lambda: _frag(0), lambda: IPv6ExtHdrRouting()], "fragments", "fragment_drop"),
	"v6-hbh-frag": (6, [lambda: IPv6ExtHdrHopByHop(), lambda: _frag(0)], "fragments", "fragment_drop"),
	"v6-unknown": (6, ["unknown"], "whole", "bad_drop"),
	"v6-frag-unknown": (6, [lambda: _frag(0), "unknown"], "fragments", "bad_drop"),
	"v6-long-chain": (6, [lambda: IPv6ExtHdrDestOpt()] * 9, "whole", "bad_drop"),
	"v6-frag-truncated": (6, [lambda: _frag(0), lambda: IPv6ExtHdrDestOpt(), lambda: IPv6ExtHdrDestOpt()],
				"truncated", "bad_drop"),
	# IPv4 fragments: a first fragment of TCP is dropped (fragment_drop), but
	# in the test topology the af_packet PMD's fanout socket reassembles IPv4
	# (PACKET_FANOUT_FLAG_DEFRAG) before the proxy sees it: whole, proxied.
	"v4-frag": (4, [], "fragments", "proxied (reassembled by af_packet)"),
}
# A number on the IPv6 "next header" chain for each scapy header class.
_NH = {IPv6ExtHdrHopByHop: 0, IPv6ExtHdrRouting: 43, IPv6ExtHdrFragment: 44, IPv6ExtHdrDestOpt: 60}


def tcp_frame(shape, src, dst, dst_mac, src_mac, sport, dport, flags="S", seq=None, ack=0,
	      payload=b"", opts=None):
	"""The frames (bytes) of one TCP segment in a shape: one frame, or two
	fragments for the "fragments" and "truncated" shapes (first, then the
	rest)."""
	return _build(shape, src, dst, dst_mac, src_mac, sport, dport, flags, seq, ack, payload, opts)[0]


def _build(shape, src, dst, dst_mac, src_mac, sport, dport, flags, seq, ack, payload, opts):
	"""tcp_frame, and the TCP header's offset in the first frame (None when
	the first frame does not hold it)."""
	family, chain, how, _ = SHAPES[shape]
	if seq is None:
		seq = random.getrandbits(32)
	if opts is None:
		opts = [("MSS", 1460)] if "S" in flags else []
	tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=64240, options=opts)
	if payload:
		tcp = tcp / Raw(payload)
	eth = Ether(src=src_mac, dst=dst_mac)
	pad = b""
	if how != "whole":
		# room for a second fragment after the TCP header
		pad = bytes(8 if family == 4 else 16)
		tcp = tcp / Raw(pad) if not payload else tcp / Raw(payload + pad)
	if family == 4:
		ip = IP(src=src, dst=dst, id=random.getrandbits(16))
		full = bytes(eth / ip / tcp)
		tcp_off = 14 + 20
		return (_v4_fragments(full) if how == "fragments" else [full]), tcp_off
	# The segment with its checksum (the pseudo header does not depend on
	# the extension headers), then the chain written with explicit next
	# header numbers in front of it.
	seg = bytes(IPv6(src=src, dst=dst) / tcp)[40:]
	layers = [h() if callable(h) else h for h in chain]
	nums = [253 if h == "unknown" else _NH[type(h)] for h in layers] + [6]
	stack = IPv6(src=src, dst=dst, nh=nums[0])
	for i, h in enumerate(layers):
		if h == "unknown":
			h = _unknown(nums[i + 1])
		else:
			h.nh = nums[i + 1]
		stack = stack / h
	full = bytes(eth / stack / Raw(seg))
	tcp_off = len(full) - len(seg)
	if how == "whole":
		return [full], tcp_off
	return _v6_fragments(full, how), (None if how == "truncated" else tcp_off)


def _csum(data):
	if len(data) % 2:
		data += b"\0"
	s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return ~s & 0xffff


def _v6_fragments(full, how):
	"""Split a frame carrying one Fragment header (offset 0, M = 0) into a
	first fragment (M = 1) and the rest. "fragments": the first holds the
	whole chain and the TCP header, the second 16 bytes of padding;
	"truncated": the first ends 8 bytes into the chain after the Fragment
	header, before its upper layer."""
	ip = 14
	nh, off = full[ip + 6], ip + 40
	while nh != 44:
		nh, off = full[off], off + (full[off + 1] + 1) * 8
	frag_off = off                       # the Fragment header
	body = full[frag_off + 8:]           # the fragmentable part
	if how == "truncated":
		cut = 8
	else:
		cut = (len(body) - 16 + 7) // 8 * 8  # all but the 16 bytes of padding, rounded up
	assert 0 < cut < len(body)
	first, rest = body[:cut], body[cut:]
	unfrag = bytearray(full[:frag_off + 8])
	out = []
	for data, fo in ((first, 1), (rest, (cut // 8) << 3)):
		f = bytearray(unfrag) + data
		struct.pack_into("!H", f, ip + 4, len(f) - ip - 40)
		struct.pack_into("!H", f, frag_off + 2, fo)
		out.append(bytes(f))
	return out


def _v4_fragments(full):
	ip = 14
	hl = (full[ip] & 0xf) * 4
	body = full[ip + hl:]
	cut = 24
	out = []
	for data, fo in ((body[:cut], 0x2000), (body[cut:], cut // 8)):
		h = bytearray(full[ip:ip + hl])
		struct.pack_into("!H", h, 2, hl + len(data))
		struct.pack_into("!H", h, 6, fo)
		struct.pack_into("!H", h, 10, 0)
		struct.pack_into("!H", h, 10, _csum(bytes(h)))
		out.append(full[:ip] + bytes(h) + data)
	return out


def _adjust(csum, old, new):
	"""RFC 1624 incremental update of a checksum for 16-bit aligned fields."""
	s = ~csum & 0xffff
	for i in range(0, len(old), 2):
		s += ~((old[i] << 8) | old[i + 1]) & 0xffff
		s += (new[i] << 8) | new[i + 1]
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return ~s & 0xffff


class Template:
	"""Frames of one shape built once by scapy, then stamped with a new
	source address, port, sequence and acknowledgment number per segment,
	checksums updated incrementally: what a flood needs, about 20 times
	faster than building each segment with scapy."""

	def __init__(self, shape, dst, dst_mac, src_mac, dport, flags):
		self.fam = SHAPES[shape][0]
		src = "198.19.0.2" if self.fam == 4 else "2001:2:0:1000::2"
		self.frames, self.tcp_off = _build(shape, src, dst, dst_mac, src_mac, 1024, dport, flags,
						   0, 0, b"", None)
		self.af = socket.AF_INET if self.fam == 4 else socket.AF_INET6
		self.src_off = 14 + (12 if self.fam == 4 else 8)
		self.src = socket.inet_pton(self.af, src)

	def make(self, src, sport, seq, ack):
		new_src = socket.inet_pton(self.af, src)
		so, n = self.src_off, len(new_src)
		out = []
		for k, f in enumerate(self.frames):
			g = bytearray(f)
			g[so:so + n] = new_src
			if self.fam == 4:
				struct.pack_into("!H", g, 24, _adjust(struct.unpack_from("!H", g, 24)[0],
								      self.src, new_src))
			t = self.tcp_off
			if k == 0 and t is not None:
				old = bytes(g[t:t + 2]) + bytes(g[t + 4:t + 12])
				struct.pack_into("!H", g, t, sport)
				struct.pack_into("!II", g, t + 4, seq, ack)
				new = bytes(g[t:t + 2]) + bytes(g[t + 4:t + 12])
				c = struct.unpack_from("!H", g, t + 16)[0]
				struct.pack_into("!H", g, t + 16, _adjust(c, self.src + old, new_src + new))
			out.append(bytes(g))
		return out


# ---- sending and watching ------------------------------------------------------------

class Sender:
	"""Frames out of one interface, paced at `rate` per second (0: as fast as
	the socket takes them), never more than MAX_FRAMES, never past `deadline`."""

	def __init__(self, iface="eth0", rate=0, seconds=MAX_SECONDS):
		self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
		self.sock.bind((iface, 0))
		self.rate = rate
		self.t0 = self.due = time.monotonic()
		self.deadline = self.t0 + min(seconds, MAX_SECONDS)
		self.sent = 0

	def send(self, frame):
		now = time.monotonic()
		if self.sent >= MAX_FRAMES or now > self.deadline:
			raise SystemExit("atk: frame or time budget exhausted after %d frames" % self.sent)
		if self.rate:
			# paced from the previous frame, never in a burst to catch up
			# after a pause
			if self.due > now:
				time.sleep(self.due - now)
			self.due = max(self.due, now) + 1.0 / self.rate
		self.sock.send(frame)
		self.sent += 1


class Sniffer(threading.Thread):
	"""Counts TCP SYN-ACKs addressed to a set of (address, port) pairs, seen
	on the attacker's interface, until stop()."""

	def __init__(self, iface="eth0"):
		super().__init__(daemon=True)
		self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
		self.sock.bind((iface, 0))
		self.sock.settimeout(0.1)
		self.want = set()
		self.synacks = []    # (dst, dport, window, seq, ack)
		self.running = True

	def run(self):
		while self.running:
			try:
				f = self.sock.recv(2048)
			except socket.timeout:
				continue
			p = Ether(f)
			if TCP not in p:
				continue
			t = p[TCP]
			ipl = p[IP] if IP in p else p[IPv6]
			if (int(t.flags) & 0x12) == 0x12 and (ipl.dst, t.dport) in self.want:
				self.synacks.append((ipl.dst, t.dport, t.window, t.seq, t.ack))

	def stop(self, linger=0.5):
		time.sleep(linger)
		self.running = False
		self.join(2)


def iface_mac(iface="eth0"):
	with open("/sys/class/net/%s/address" % iface) as f:
		return f.read().strip()


# ---- reading the server's capture ---------------------------------------------------

def _pcap_frames(path):
	"""Ethernet frames of a classic pcap file (what tcpdump -w writes)."""
	with open(path, "rb") as f:
		data = f.read()
	if len(data) < 24:
		return
	end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
	off = 24
	while off + 16 <= len(data):
		caplen = struct.unpack_from(end + "I", data, off + 8)[0]
		off += 16
		if off + caplen > len(data):
			return
		yield data[off:off + caplen]
		off += caplen


def _addrs(f):
	"""(source, destination, later fragment?) of an IPv4/IPv6 frame, read
	from the bytes (fast: most frames are the real client's), or None."""
	et, off = struct.unpack_from("!H", f, 12)[0] if len(f) >= 14 else 0, 14
	while et in (0x8100, 0x88a8) and len(f) >= off + 4:
		et, off = struct.unpack_from("!H", f, off + 2)[0], off + 4
	if et == 0x0800 and len(f) >= off + 20:
		later = struct.unpack_from("!H", f, off + 6)[0] & 0x1fff != 0
		return (ipaddress.ip_address(f[off + 12:off + 16]), ipaddress.ip_address(f[off + 16:off + 20]),
			later)
	if et == 0x86dd and len(f) >= off + 40:
		later = False
		nh, h = f[off + 6], off + 40
		for _ in range(16):
			if nh == 44 and len(f) >= h + 4:
				later = struct.unpack_from("!H", f, h + 2)[0] & 0xfff8 != 0
				break
			if nh not in (0, 43, 60) or len(f) < h + 2:
				break
			nh, h = f[h], h + (f[h + 1] + 1) * 8
		return (ipaddress.ip_address(f[off + 8:off + 24]), ipaddress.ip_address(f[off + 24:off + 40]),
			later)
	return None


def report(pcap, allowed, servers, expected=()):
	"""What reached the server from anyone not allowed, and what the server
	sent to anyone not allowed. Link-local and multicast (ND, MLD) are left
	out. Frames from spoofed sources are dissected by scapy, which finds a
	TCP header behind any extension-header chain it knows. Sources a test
	expects to get through (`expected`) are counted apart, both ways."""
	allow = {ipaddress.ip_address(a) for a in allowed}
	expect = {ipaddress.ip_address(a) for a in expected}
	srv = {ipaddress.ip_address(a) for a in servers}
	r = {"tcp_syn": 0, "tcp_other": 0, "later_fragment": 0, "other": 0, "to_spoofed": 0,
	     "from_allowed": 0, "from_expected": 0, "to_expected": 0, "examples": []}
	for f in _pcap_frames(pcap):
		a = _addrs(f)
		if a is None:
			continue
		s, d, later = a
		if s.is_link_local or d.is_link_local or d.is_multicast:
			continue
		if s in srv:
			if d in allow:
				continue
			key = "to_expected" if d in expect else "to_spoofed"
		elif s in expect:
			key = "from_expected"
		elif s in allow:
			r["from_allowed"] += 1
			continue
		elif later:
			key = "later_fragment"
		else:
			p = Ether(f)
			if TCP in p:
				key = "tcp_syn" if (int(p[TCP].flags) & 0x12) == 0x02 else "tcp_other"
			else:
				key = "other"
		r[key] += 1
		if key in ("from_expected", "to_expected"):
			continue
		if len(r["examples"]) < 8:
			r["examples"].append(Ether(f).summary())
	return r


# ---- command line ----------------------------------------------------------------

def _target_args(ap):
	ap.add_argument("--dst-mac", required=True)
	ap.add_argument("--dst4")
	ap.add_argument("--dst6")
	ap.add_argument("--dport", type=int, required=True)
	ap.add_argument("--count", type=int, required=True)
	ap.add_argument("--rate", type=int, default=0)
	ap.add_argument("--seconds", type=float, default=60)
	ap.add_argument("--flags", default="S")
	ap.add_argument("--seed", type=int, default=None)
	ap.add_argument("--iface", default="eth0")


def _send_shapes(a, shapes, sniff, cycle):
	"""send: a.count segments of each shape in turn; flood (cycle): a.count
	segments in all, the shapes taking turns."""
	total = a.count if cycle else a.count * len(shapes)
	if total > MAX_FRAMES:
		raise SystemExit("atk: more than %d segments asked" % MAX_FRAMES)
	rng = random.Random(a.seed)
	for d in (a.dst4, a.dst6):
		if d:
			_check_dst(d)
	snd = Sender(a.iface, a.rate, a.seconds)
	smac = iface_mac(a.iface)
	sn = Sniffer(a.iface) if sniff else None
	if sn:
		sn.start()
	per = {x: {"segments": 0, "frames": 0} for x in shapes}
	tmpl = {x: Template(x, a.dst4 if SHAPES[x][0] == 4 else a.dst6, a.dst_mac, smac, a.dport, a.flags)
		for x in shapes}
	owner = {}
	for i in range(total):
		shape = shapes[i % len(shapes)] if cycle else shapes[i // a.count]
		fam = SHAPES[shape][0]
		dst = a.dst4 if fam == 4 else a.dst6
		src = spoofed(fam, rng)
		sport = rng.randrange(1024, 65536)
		if sn:
			sn.want.add((src, sport))
			owner[(src, sport)] = shape
		ack = rng.getrandbits(32) if "A" in a.flags else 0
		frames = tmpl[shape].make(src, sport, rng.getrandbits(32), ack)
		for f in frames:
			snd.send(f)
		per[shape]["segments"] += 1
		per[shape]["frames"] += len(frames)
	out = {"frames": snd.sent, "seconds": round(time.monotonic() - snd.t0, 2), "shapes": per}
	if sn:
		sn.stop(sniff)
		for x in shapes:
			per[x]["synacks"] = per[x]["synack_win0"] = 0
		for dst, dport, win, _, _ in sn.synacks:
			per[owner[(dst, dport)]]["synacks"] += 1
			per[owner[(dst, dport)]]["synack_win0"] += win == 0
	print(json.dumps(out))


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
	sub = ap.add_subparsers(dest="cmd", required=True)
	s = sub.add_parser("send")
	s.add_argument("--shapes", required=True)
	s.add_argument("--sniff", type=float, default=0)
	_target_args(s)
	f = sub.add_parser("flood")
	f.add_argument("--shapes", required=True)
	_target_args(f)
	r = sub.add_parser("report")
	r.add_argument("pcap")
	r.add_argument("--allow", nargs="+", required=True)
	r.add_argument("--server", nargs="+", required=True)
	r.add_argument("--expect", nargs="*", default=[])
	sub.add_parser("shapes")
	a = ap.parse_args()
	if a.cmd in ("send", "flood"):
		shapes = a.shapes.split(",")
		for x in shapes:
			if x not in SHAPES:
				raise SystemExit("atk: unknown shape %s (atk.py shapes lists them)" % x)
		_send_shapes(a, shapes, a.sniff if a.cmd == "send" else 0, a.cmd == "flood")
	elif a.cmd == "report":
		print(json.dumps(report(a.pcap, a.allow, a.server, a.expect)))
	else:
		for k, v in SHAPES.items():
			print("%-22s IPv%d %-9s -> %s" % (k, v[0], v[2], v[3]))


if __name__ == "__main__":
	main()
