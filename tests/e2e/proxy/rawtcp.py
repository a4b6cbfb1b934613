#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
rawtcp.py - hand-made TCP handshakes over an AF_PACKET socket, to control
what a kernel stack cannot: how long the final ACK of a handshake waits.

  handshake IFACE SRC_IP DST_MAC DST_IP DST_PORT DELAY [DELAY...]

For each DELAY (seconds) one handshake from SRC_IP (an address no kernel in
the namespace owns, so no stack answers for it) and its own source port:
a SYN with MSS, SACK-permitted, timestamps and window scale; the SYN-ACK
(the proxy's cookie) is awaited; after DELAY seconds the ACK echoing it is
sent. A handshake counts as "established" when the proxy's window update
(an ACK from DST_IP acknowledging our ISN + 1 with a non-zero window)
arrives within 3 s, which only happens once the proxy accepted the cookie
and the server answered the SYN the proxy opened. Each one ends with an RST
from our side so the server keeps nothing. The handshakes run interleaved
(all SYNs first) so the run takes max(DELAY) + a few seconds.

Prints one JSON object per handshake: {"delay": d, "sport": p,
"synack": bool, "established": bool}. Exit 0 unless a socket error
occurred; the test judges the results.
"""

import ipaddress
import json
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
SYN, RST, ACK = 0x02, 0x04, 0x10


def csum(data):
	if len(data) % 2:
		data += b"\0"
	s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return (~s) & 0xffff


class Link:
	def __init__(self, iface, src_ip, dst_mac, dst_ip):
		self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
		self.sock.bind((iface, 0))
		with open("/sys/class/net/%s/address" % iface) as f:
			self.src_mac = bytes.fromhex(f.read().strip().replace(":", ""))
		self.dst_mac = bytes.fromhex(dst_mac.replace(":", ""))
		self.src = ipaddress.IPv4Address(src_ip).packed
		self.dst = ipaddress.IPv4Address(dst_ip).packed
		self.iface = iface

	def send(self, sport, dport, seq, ack, flags, win, opts=b""):
		opts += b"\0" * (-len(opts) % 4)
		hl = 20 + len(opts)
		tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (hl // 4) << 4, flags, win, 0, 0) + opts
		pseudo = self.src + self.dst + struct.pack("!BBH", 0, 6, len(tcp))
		tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
		ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16), 0x4000,
				 64, 6, 0, self.src, self.dst)
		ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
		self.sock.send(self.dst_mac + self.src_mac + struct.pack("!H", ETH_P_IP) + ip + tcp)

	def recv(self, timeout):
		"""One incoming TCP segment to our address: (sport, dport, seq, ack, flags, win, tsval) or None."""
		end = time.monotonic() + timeout
		while True:
			left = end - time.monotonic()
			if left <= 0:
				return None
			r, _, _ = select.select([self.sock], [], [], left)
			if not r:
				return None
			fr, addr = self.sock.recvfrom(65535)
			if addr[2] == PACKET_OUTGOING or len(fr) < 54:
				continue
			if struct.unpack("!H", fr[12:14])[0] != ETH_P_IP or fr[23] != 6:
				continue
			if fr[26:30] != self.dst or fr[30:34] != self.src:
				continue
			ihl = (fr[14] & 0x0f) * 4
			t = 14 + ihl
			sp, dp, seq, ack, hl, fl, win = struct.unpack("!HHIIBBH", fr[t:t + 16])
			tsval = None
			o, oend = t + 20, t + (hl >> 4) * 4
			while o < oend and o < len(fr):
				k = fr[o]
				if k == 0:
					break
				if k == 1:
					o += 1
					continue
				if o + 1 >= len(fr) or fr[o + 1] < 2:
					break
				if k == 8 and fr[o + 1] == 10:
					tsval = struct.unpack("!I", fr[o + 2:o + 6])[0]
				o += fr[o + 1]
			return sp, dp, seq, ack, fl, win, tsval


def ts_opt(val, ecr):
	return b"\x01\x01\x08\x0a" + struct.pack("!II", val, ecr)


def handshake(args):
	link = Link(args[0], args[1], args[2], args[3])
	dport = int(args[4])
	delays = [float(d) for d in args[5:]]
	base = random.randint(20000, 60000 - len(delays))
	probes = []
	for i, d in enumerate(delays):
		p = {"delay": d, "sport": base + i, "isn": random.getrandbits(32), "synack": False,
		     "established": False, "ack_at": None, "server_seq": None, "tsecr": 0}
		syn_opts = struct.pack("!BBH", 2, 4, 1460) + b"\x04\x02" + ts_opt(1000 + i, 0)[2:] + b"\x01\x03\x03\x07"
		link.send(p["sport"], dport, p["isn"], 0, SYN, 64240, syn_opts)
		probes.append(p)
	by_port = {p["sport"]: p for p in probes}
	t_syn = time.monotonic()
	# Collect the SYN-ACKs (5 s at most: on a loaded machine this process may
	# be scheduled late; each ACK's time counts from its own SYN-ACK), then
	# send each ACK at its time and watch for the window updates.
	while time.monotonic() - t_syn < 5 and not all(p["synack"] for p in probes):
		seg = link.recv(0.2)
		if seg is None:
			continue
		sp, dp, seq, ack, fl, win, tsval = seg
		p = by_port.get(dp)
		if p and fl & (SYN | ACK) == SYN | ACK and ack == (p["isn"] + 1) & 0xffffffff:
			p["synack"], p["server_seq"], p["tsecr"] = True, seq, tsval or 0
			p["ack_at"] = time.monotonic() + p["delay"]
	deadline = max([p["ack_at"] for p in probes if p["ack_at"]] or [time.monotonic()]) + 3
	while time.monotonic() < deadline:
		now = time.monotonic()
		for p in probes:
			if p["ack_at"] is not None and now >= p["ack_at"]:
				link.send(p["sport"], dport, (p["isn"] + 1) & 0xffffffff, (p["server_seq"] + 1) & 0xffffffff,
					  ACK, 502, ts_opt(2000, p["tsecr"]))
				p["ack_at"] = None
				p["sent_at"] = now
		seg = link.recv(0.05)
		if seg is None:
			continue
		sp, dp, seq, ack, fl, win, tsval = seg
		p = by_port.get(dp)
		if p and p.get("sent_at") and fl & (SYN | ACK | RST) == ACK and \
				ack == (p["isn"] + 1) & 0xffffffff and win > 0:
			if not p["established"]:
				p["established"] = True
				# Done with it: reset, so the server forgets the connection.
				link.send(p["sport"], dport, (p["isn"] + 1) & 0xffffffff, 0, RST, 0)
	for p in probes:
		print(json.dumps({"delay": p["delay"], "sport": p["sport"], "synack": p["synack"],
				  "established": p["established"]}))
	return 0


def main(argv):
	if len(argv) < 8 or argv[1] != "handshake":
		print(__doc__, file=sys.stderr)
		return 2
	try:
		return handshake(argv[2:])
	except OSError as e:
		print("rawtcp: %s" % e, file=sys.stderr)
		return 1


if __name__ == "__main__":
	sys.exit(main(sys.argv))
