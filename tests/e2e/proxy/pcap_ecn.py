#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap_ecn.py - the ECN view of every connection to one server port in a
capture, for proxy_ecn.sh.

  pcap_ecn.py CAPTURE PORT

Prints a JSON list, one object per connection (client address and port), in
the order their first segment was captured:
  {"client": "ADDR.PORT",
   "syn": [ece, cwr],          the SYN's ECE and CWR flags (0/1)
   "synack": [ece, cwr],       the SYN-ACK's
   "from_client": COUNTS, "from_server": COUNTS}
COUNTS, over the segments after the SYN / SYN-ACK in that direction:
  {"data": segments with payload, "ect": of them ECT(0) or ECT(1),
   "ce": of them CE, "ip_marked": any segment with a non-zero IP ECN field,
   "ece": segments with ECE, "cwr": segments with CWR}
The segments are read by pcap_tcp.read(); exit 1 if there are none.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcap_tcp  # noqa: E402

ECE, CWR = 0x40, 0x80


def counts():
	return {"data": 0, "ect": 0, "ce": 0, "ip_marked": 0, "ece": 0, "cwr": 0}


def main(argv):
	if len(argv) != 3:
		print(__doc__, file=sys.stderr)
		return 2
	port = int(argv[2])
	conns = {}
	for p in pcap_tcp.read(argv[1]):
		if p["dport"] == port:
			key, side = (p["src"], p["sport"]), "from_client"
		elif p["sport"] == port:
			key, side = (p["dst"], p["dport"]), "from_server"
		else:
			continue
		c = conns.setdefault(key, {"client": "%s.%d" % key, "t": p["t"], "syn": None,
					   "synack": None, "from_client": counts(),
					   "from_server": counts()})
		fl = p["flags"]
		bits = [int(bool(fl & ECE)), int(bool(fl & CWR))]
		if fl & pcap_tcp.SYN:
			name = "synack" if fl & pcap_tcp.ACK else "syn"
			if c[name] is None:
				c[name] = bits
			continue
		k = c[side]
		k["ece"] += bits[0]
		k["cwr"] += bits[1]
		k["ip_marked"] += p["ecn"] != 0
		if p["len"] > 0:
			k["data"] += 1
			k["ect"] += p["ecn"] in (1, 2)
			k["ce"] += p["ecn"] == 3
	out = sorted(conns.values(), key=lambda c: c["t"])
	for c in out:
		del c["t"]
	print(json.dumps(out, indent=1))
	return 0 if out else 1


if __name__ == "__main__":
	sys.exit(main(sys.argv))
