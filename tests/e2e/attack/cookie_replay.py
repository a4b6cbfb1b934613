#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
cookie_replay.py - ACK floods carrying real cookies of the previous period
(attack_cookie_replay.sh runs it in the attacker namespace).

The secret is random per process, so the attacker harvests real cookies: it
sends SYNs from spoofed sources and reads the proxy's SYN-ACKs (they come
back to the attacker's MAC). A cookie's top two bits are the period number
mod 4 (see src/syncookie/cookie.h), so a probe SYN repeated every 0.1 s
shows when the proxy's period changes. Then:
  1. right after a rotation (period t), harvest HARVEST cookies per family;
  2. once period t + 1 started (the cookies are now from the previous
     period, still valid for their own handshake), flood forged ACKs built
     from them: the cookie on another source port, on another source
     address, with another client ISN (seq), with other hash bits, with the
     current period's bits; then the exact ACK for one control tuple per
     family (accepted: the proxy opens the server side for it);
  3. once period t + 2 started, replay the exact ACK of every other
     harvested tuple: two periods old, all refused.
Prints JSON: counts of each kind and the control tuples' addresses. Exits 1
if the proxy's periods did not line up (a phase overran its period).
"""

import argparse
import json
import random
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
import atk  # noqa: E402


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--dst-mac", required=True)
	ap.add_argument("--dst4", required=True)
	ap.add_argument("--dst6", required=True)
	ap.add_argument("--dport", type=int, required=True)
	ap.add_argument("--period", type=int, required=True)
	ap.add_argument("--harvest", type=int, default=40)
	ap.add_argument("--repeat", type=int, default=5)
	ap.add_argument("--seed", type=int, default=None)
	a = ap.parse_args()
	rng = random.Random(a.seed)
	for d in (a.dst4, a.dst6):
		atk._check_dst(d)
	smac = atk.iface_mac()
	snd = atk.Sender(rate=3000, seconds=8 * a.period + 20)
	sn = atk.Sniffer()
	sn.start()
	dst = {4: a.dst4, 6: a.dst6}
	shape = {4: "v4", 6: "v6"}

	def syn(fam, src, sport, isn):
		sn.want.add((src, sport))
		for f in atk.tcp_frame(shape[fam], src, dst[fam], a.dst_mac, smac, sport, a.dport,
				       flags="S", seq=isn):
			snd.send(f)

	acks = {f: atk.Template(shape[f], dst[f], a.dst_mac, smac, a.dport, "A") for f in (4, 6)}

	def ack(fam, src, sport, seq, ackn):
		for f in acks[fam].make(src, sport, seq, ackn):
			snd.send(f)

	def cookie_of(src, sport, after, wait=1.0):
		end = time.monotonic() + wait
		while time.monotonic() < end:
			for d, p, _, seq, _ in sn.synacks[after:]:
				if (d, p) == (src, sport):
					return seq
			time.sleep(0.01)
		return None

	# The probe: the same SYN again and again; its cookie's period bits.
	probe = (atk.spoofed(4, rng), rng.randrange(1024, 65536), rng.getrandbits(32))

	def period_now():
		for _ in range(3):
			n = len(sn.synacks)
			syn(4, *probe)
			c = cookie_of(probe[0], probe[1], n, 0.5)
			if c is not None:
				return ((c - probe[2] - 1) & 0xffffffff) >> 30
		raise SystemExit("cookie_replay: no SYN-ACK for the probe, 3 times")

	def wait_period(want, budget):
		end = time.monotonic() + budget
		while time.monotonic() < end:
			if period_now() == want:
				return
			time.sleep(0.1)
		raise SystemExit("cookie_replay: period %d did not come within %.1f s" % (want, budget))

	t0 = period_now()
	t = (t0 + 1) & 3
	wait_period(t, a.period + 2)
	t_start = time.monotonic()

	# 1. harvest in period t
	tuples = []
	for fam in (4, 6):
		for _ in range(a.harvest):
			src, sport, isn = atk.spoofed(fam, rng), rng.randrange(1024, 65536), rng.getrandbits(32)
			n = len(sn.synacks)
			syn(fam, src, sport, isn)
			c = cookie_of(src, sport, n)
			if c is None:
				raise SystemExit("cookie_replay: no SYN-ACK for a harvest SYN")
			tuples.append((fam, src, sport, isn, c))
	bits = {(((c - isn - 1) & 0xffffffff) >> 30) for _, _, _, isn, c in tuples}
	if bits != {t}:
		raise SystemExit("cookie_replay: harvested cookies span periods %s (want %d)" % (bits, t))
	harvest_s = time.monotonic() - t_start

	# 2. period t + 1: forged ACKs from previous-period cookies, then controls
	wait_period((t + 1) & 3, a.period + 2)
	controls = [next(x for x in tuples if x[0] == 4), next(x for x in tuples if x[0] == 6)]
	rest = [x for x in tuples if x not in controls]
	forged = 0
	for _ in range(a.repeat):
		for fam, src, sport, isn, c in rest:
			good_seq, good_ack = (isn + 1) & 0xffffffff, (c + 1) & 0xffffffff
			variants = [
				(src, sport ^ 1, good_seq, good_ack),                         # other port
				(atk.spoofed(fam, rng), sport, good_seq, good_ack),           # other address
				(src, sport, (good_seq + 2) & 0xffffffff, good_ack),          # other client ISN
				# other hash bits: 1..25. Bit 26 is the cache bit and 27..29
				# the MSS index, unauthenticated (a flip only changes what the
				# cookie says of the peer's own SYN); raising bit 0 makes
				# ack - seq = C + 1, the window-probe reading of a client whose
				# ISN is one more. Both are handshakes whoever knows C (this
				# attacker, from the SYN-ACK) can make anyway (cookie.h).
				(src, sport, good_seq, good_ack ^ (1 << rng.randrange(1, 26))),
				(src, sport, good_seq,                                        # current period's bits
				 (good_ack & 0x3fffffff) | ((((good_ack >> 30) + 1) & 3) << 30)),
			]
			for v in variants:
				ack(fam, *v)
				forged += 1
	for fam, src, sport, isn, c in controls:
		ack(fam, src, sport, (isn + 1) & 0xffffffff, (c + 1) & 0xffffffff)
	if period_now() != (t + 1) & 3:
		raise SystemExit("cookie_replay: the forged flood overran period %d" % ((t + 1) & 3))

	# 3. period t + 2: the exact ACKs, two periods old
	wait_period((t + 2) & 3, a.period + 2)
	for fam, src, sport, isn, c in rest:
		ack(fam, src, sport, (isn + 1) & 0xffffffff, (c + 1) & 0xffffffff)
	stale = len(rest)
	sn.stop(0.3)
	print(json.dumps({"period_bits": t, "harvested": len(tuples), "harvest_seconds": round(harvest_s, 2),
			  "forged": forged, "controls": len(controls), "stale": stale,
			  "control_addrs": [x[1] for x in controls], "frames": snd.sent}))


if __name__ == "__main__":
	main()
