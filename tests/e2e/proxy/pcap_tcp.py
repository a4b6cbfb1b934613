#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
pcap_tcp.py - read the TCP segments of a tcpdump capture and check what the
proxy end-to-end tests assert about them.

A small reader of classic pcap files (what "tcpdump -w" writes; Ethernet,
Linux cooked v1/v2 or BSD loopback link types, VLAN tags skipped) that
decodes IPv4/IPv6 + TCP into plain records, so the tests need neither
tshark nor scapy and every assertion is spelled out here, in one place:

  handshake CLIENT.pcap SERVER.pcap PORT
      For every connection to PORT seen at the server: the server's first
      segments are SYN, SYN-ACK, ACK (a three-way handshake the proxy opened
      for the client), after at most one probe (the proxy's own SYN on the
      client's tuple with another ISN, answered by the server's SYN-ACK and
      reset by the proxy at ISN + 1, before the client got its SYN-ACK); the client had already received its SYN-ACK and sent
      its ACK before that SYN reached the server (the proxy answered first);
      the SYN carries the client's ISN. Prints one line per connection and
      a summary; exit 1 on any violation or if no connection was found.

  synopts PCAP PORT
      JSON list of the options of every SYN / SYN-ACK on PORT (mss, wscale,
      sack, ts, who sent it), in capture order.

  tsall PCAP PORT
      For every connection to PORT in a capture at the client: if the
      SYN-ACK the client got carried a timestamp, every segment from the
      server side but RSTs carries one too (RFC 7323: the promise holds). Prints one
      line per connection; exit 1 on a segment without, a connection with
      no SYN-ACK, or no connection at all.

  foreign PCAP DST ALLOWED_SRC...
      Counts the SYN and ACK segments addressed to DST whose source is not
      in ALLOWED_SRC; prints JSON {"syn": n, "ack": n, "other": n,
      "from_allowed": n, "examples": [...]}. Exit status 0 always: the test
      decides.

  same A.pcap B.pcap PORT
      The segments on PORT in both captures are the same, field by field
      (addresses, ports, flags, seq, ack, window, options, length): what
      a bridge that leaves them untouched delivers. Prints the counts and
      the first differences; exit 1 if they differ or there are none.

  checksums PCAP
      Verifies the IPv4 header and TCP checksums of every segment (for
      checking generated traffic); prints counts, exit 1 if any is wrong.

Reading is defensive: a truncated record or header ends or skips that record,
never raises, so a capture cut short by a signal still reads.
"""

import ipaddress
import json
import struct
import sys

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def _records(path):
	"""Yield (time, linktype, frame bytes) from a classic pcap file."""
	with open(path, "rb") as f:
		data = f.read()
	if len(data) < 24:
		return
	magic = data[:4]
	if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
		end = "<"
	elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
		end = ">"
	else:
		raise SystemExit("%s: not a classic pcap file" % path)
	nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
	linktype = struct.unpack(end + "I", data[20:24])[0] & 0xffff
	off = 24
	while off + 16 <= len(data):
		sec, frac, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
		off += 16
		if off + caplen > len(data):
			return
		yield sec + frac / (1e9 if nano else 1e6), linktype, data[off:off + caplen]
		off += caplen


def _l3(linktype, frame):
	"""(ethertype, offset of the IP header) or None."""
	if linktype == 1:                      # Ethernet
		off, et = 14, None
		if len(frame) < 14:
			return None
		et = struct.unpack("!H", frame[12:14])[0]
		while et in (0x8100, 0x88a8) and len(frame) >= off + 4:
			et = struct.unpack("!H", frame[off + 2:off + 4])[0]
			off += 4
		return et, off
	if linktype == 113 and len(frame) >= 16:    # Linux cooked v1
		return struct.unpack("!H", frame[14:16])[0], 16
	if linktype == 276 and len(frame) >= 20:    # Linux cooked v2
		return struct.unpack("!H", frame[0:2])[0], 20
	if linktype == 0 and len(frame) >= 4:       # BSD loopback (trafgen --out)
		fam = struct.unpack("<I", frame[0:4])[0]
		return (0x0800 if fam == 2 else 0x86dd), 4
	return None


def _opts(raw):
	o = {"mss": None, "wscale": None, "sack": False, "ts": None}
	i = 0
	while i < len(raw):
		kind = raw[i]
		if kind == 0:
			break
		if kind == 1:
			i += 1
			continue
		if i + 1 >= len(raw) or raw[i + 1] < 2:
			break
		ln = raw[i + 1]
		body = raw[i + 2:i + ln]
		if kind == 2 and len(body) == 2:
			o["mss"] = struct.unpack("!H", body)[0]
		elif kind == 3 and len(body) == 1:
			o["wscale"] = body[0]
		elif kind == 4:
			o["sack"] = True
		elif kind == 8 and len(body) == 8:
			o["ts"] = struct.unpack("!II", body)
		i += ln
	return o


def _csum(data):
	if len(data) % 2:
		data += b"\0"
	s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
	while s >> 16:
		s = (s & 0xffff) + (s >> 16)
	return s


def read(path):
	"""Every TCP segment of the capture as a dict."""
	out = []
	for t, lt, fr in _records(path):
		l3 = _l3(lt, fr)
		if l3 is None:
			continue
		et, off = l3
		if et == 0x0800 and len(fr) >= off + 20:
			ihl = (fr[off] & 0x0f) * 4
			if fr[off + 9] != 6 or ihl < 20:
				continue
			tot = struct.unpack("!H", fr[off + 2:off + 4])[0]
			src = str(ipaddress.IPv4Address(fr[off + 12:off + 16]))
			dst = str(ipaddress.IPv4Address(fr[off + 16:off + 20]))
			l4 = off + ihl
			end = min(len(fr), off + tot)
			pseudo = fr[off + 12:off + 20] + struct.pack("!BBH", 0, 6, end - l4)
			ip_ok = _csum(fr[off:off + ihl]) == 0xffff
			ecn = fr[off + 1] & 3
		elif et == 0x86dd and len(fr) >= off + 40:
			if fr[off + 6] != 6:           # extension headers: not needed here
				continue
			plen = struct.unpack("!H", fr[off + 4:off + 6])[0]
			src = str(ipaddress.IPv6Address(fr[off + 8:off + 24]))
			dst = str(ipaddress.IPv6Address(fr[off + 24:off + 40]))
			l4 = off + 40
			end = min(len(fr), l4 + plen)
			pseudo = fr[off + 8:off + 40] + struct.pack("!IxxxB", end - l4, 6)
			ip_ok = True
			ecn = (fr[off + 1] >> 4) & 3   # the traffic class's low bits
		else:
			continue
		if end - l4 < 20:
			continue
		sp, dp, seq, ack, hl, fl, win = struct.unpack("!HHIIBBH", fr[l4:l4 + 16])
		hlen = (hl >> 4) * 4
		out.append({
			"t": t, "src": src, "dst": dst, "sport": sp, "dport": dp,
			"seq": seq, "ack": ack, "flags": fl, "win": win,
			"len": max(0, end - l4 - hlen),
			"opts": _opts(fr[l4 + 20:l4 + hlen]) if hlen > 20 else _opts(b""),
			"ip_ok": ip_ok, "ecn": ecn,
			"tcp_ok": _csum(pseudo + fr[l4:end]) == 0xffff,
		})
	return out


def _flags(p):
	return "".join(c for c, b in (("S", SYN), ("A", ACK), ("F", FIN), ("R", RST), ("P", PSH))
		       if p["flags"] & b)


def cmd_handshake(cpath, spath, port):
	port = int(port)
	cli, srv = read(cpath), read(spath)
	conns = {}
	for p in srv:
		if p["dport"] == port:
			key = (p["src"], p["sport"])
		elif p["sport"] == port:
			key = (p["dst"], p["dport"])
		else:
			continue
		conns.setdefault(key, []).append(p)
	bad = 0
	for (caddr, cport), pkts in sorted(conns.items(), key=lambda kv: kv[1][0]["t"]):
		why = []
		# The same connection on the client side (its own address and port).
		cside = [p for p in cli if (p["src"] == caddr and p["sport"] == cport and p["dport"] == port)
			 or (p["dst"] == caddr and p["dport"] == cport and p["sport"] == port)]
		c_syn = next((p for p in cside if p["flags"] & (SYN | ACK) == SYN), None)
		c_synack = next((p for p in cside if p["flags"] & (SYN | ACK) == SYN | ACK), None)
		# A probe first (the proxy learning the server's options before
		# answering the client): its own SYN on the client's tuple with
		# another ISN, the server's SYN-ACK to it, the proxy's RST at its
		# ISN + 1; the client's SYN-ACK only after the server answered.
		probe = ""
		p0 = pkts[0]
		if (c_syn is not None and p0["dport"] == port and p0["flags"] & (SYN | ACK) == SYN
		    and p0["seq"] != c_syn["seq"]):
			isn1 = (p0["seq"] + 1) & 0xffffffff
			ans = pkts[1] if len(pkts) > 1 else None
			rst = pkts[2] if len(pkts) > 2 else None
			probe = " (probe first)"
			if ans is None or ans["sport"] != port or ans["flags"] & (SYN | ACK | RST) != SYN | ACK \
			   or ans["ack"] != isn1:
				why.append("probe SYN not answered by the server's SYN-ACK")
			elif rst is None or rst["dport"] != port or not rst["flags"] & RST or rst["seq"] != isn1:
				why.append("probe not reset at its ISN + 1")
			elif c_synack is not None and c_synack["t"] < ans["t"]:
				why.append("client SYN-ACK at %.6f before the server answered the probe at %.6f" %
					   (c_synack["t"], ans["t"]))
			pkts = pkts[3:]
		first = pkts[:3]
		kinds = []
		for p in first:
			from_client = p["dport"] == port
			kinds.append(("c:" if from_client else "s:") + _flags(p))
		if kinds != ["c:S", "s:SA", "c:A"]:
			why.append("server saw %s instead of SYN, SYN-ACK, ACK" % " ".join(kinds))
		syn_t = first[0]["t"] if first else 0
		c_ack = None
		if c_synack is not None:
			c_ack = next((p for p in cside if p["sport"] == cport and p["flags"] & (SYN | ACK) == ACK
				      and p["t"] >= c_synack["t"]), None)
		if c_syn is None or c_synack is None or c_ack is None:
			why.append("client capture lacks its SYN / SYN-ACK / ACK")
		else:
			if not c_synack["t"] <= c_ack["t"] <= syn_t:
				why.append("server SYN at %.6f is not after the client's SYN-ACK %.6f and ACK %.6f" %
					   (syn_t, c_synack["t"], c_ack["t"]))
			if first and first[0]["seq"] != c_syn["seq"]:
				why.append("server SYN ISN %u != client ISN %u" % (first[0]["seq"], c_syn["seq"]))
		print("  %s.%d: server %s%s; client SYN-ACK %+.3f ms, ACK %+.3f ms before the server's SYN%s" % (
			caddr, cport, " ".join(kinds), probe,
			(syn_t - c_synack["t"]) * 1e3 if c_synack else float("nan"),
			(syn_t - c_ack["t"]) * 1e3 if c_ack else float("nan"),
			("  BAD: " + "; ".join(why)) if why else ""))
		bad += bool(why)
	print("handshake: %d connection(s) at the server, %d bad" % (len(conns), bad))
	return 0 if conns and not bad else 1


def cmd_synopts(path, port):
	port = int(port)
	res = []
	for p in read(path):
		if not p["flags"] & SYN or port not in (p["sport"], p["dport"]):
			continue
		o = p["opts"]
		res.append({"dir": "synack" if p["flags"] & ACK else "syn", "src": p["src"],
			    "sport": p["sport"], "dport": p["dport"], "mss": o["mss"],
			    "wscale": o["wscale"], "sack": o["sack"], "ts": o["ts"] is not None})
	print(json.dumps(res))
	return 0


def cmd_tsall(path, port):
	"""Per connection to PORT seen at the client: whether its SYN-ACK carried
	a timestamp, and then how many of the server's segments did not."""
	port = int(port)
	conns = {}
	for p in read(path):
		if p["sport"] == port:
			key = (p["dst"], p["dport"])
		elif p["dport"] == port:
			key = (p["src"], p["sport"])
		else:
			continue
		conns.setdefault(key, []).append(p)
	bad = 0
	for (caddr, cport), pkts in sorted(conns.items(), key=lambda kv: kv[1][0]["t"]):
		srv = [p for p in pkts if p["sport"] == port]
		sa = next((p for p in srv if p["flags"] & (SYN | ACK) == SYN | ACK), None)
		ts = sa is not None and sa["opts"]["ts"] is not None
		# RSTs need none (RFC 7323 5.2: not even checked by PAWS)
		missing = sum(1 for p in srv if p["opts"]["ts"] is None and not p["flags"] & RST) if ts else 0
		print("  %s.%d: SYN-ACK %s, %d server segment(s), %d without TS%s" % (
			caddr, cport, "with TS" if ts else ("without TS" if sa else "missing"), len(srv),
			missing, "  BAD" if missing or sa is None else ""))
		bad += bool(missing or sa is None)
	print("tsall: %d connection(s), %d bad" % (len(conns), bad))
	return 0 if conns and not bad else 1


def cmd_foreign(path, dst, *allowed):
	allowed = {str(ipaddress.ip_address(a)) for a in allowed}
	dst = str(ipaddress.ip_address(dst))
	r = {"syn": 0, "ack": 0, "other": 0, "from_allowed": 0, "examples": []}
	for p in read(path):
		if p["dst"] != dst:
			continue
		if p["src"] in allowed:
			r["from_allowed"] += 1
			continue
		k = "syn" if p["flags"] & SYN else "ack" if p["flags"] & ACK else "other"
		r[k] += 1
		if len(r["examples"]) < 5:
			r["examples"].append("%s.%d > %s.%d %s" % (p["src"], p["sport"], p["dst"], p["dport"], _flags(p)))
	print(json.dumps(r))
	return 0


def cmd_same(apath, bpath, port):
	port = int(port)

	def sig(p):
		o = p["opts"]
		return (p["src"], p["dst"], p["sport"], p["dport"], _flags(p), p["seq"], p["ack"],
			p["win"], p["len"], o["mss"], o["wscale"], o["sack"], o["ts"])
	a = [sig(p) for p in read(apath) if port in (p["sport"], p["dport"])]
	b = [sig(p) for p in read(bpath) if port in (p["sport"], p["dport"])]
	sa, sb = sorted(a), sorted(b)
	print("same: %d segment(s) in %s, %d in %s" % (len(a), apath, len(b), bpath))
	if sa == sb and a:
		return 0
	seta, setb = set(sa), set(sb)
	only_a = [x for x in sa if x not in setb][:3]
	only_b = [x for x in sb if x not in seta][:3]
	for x in only_a:
		print("  only in the first:  %s" % (x,))
	for x in only_b:
		print("  only in the second: %s" % (x,))
	return 1


def cmd_checksums(path):
	pk = read(path)
	bad = sum(1 for p in pk if not (p["ip_ok"] and p["tcp_ok"]))
	print(json.dumps({"segments": len(pk), "bad_checksum": bad}))
	return 0 if pk and not bad else 1


def main(argv):
	cmds = {"handshake": (cmd_handshake, 3), "synopts": (cmd_synopts, 2),
		"tsall": (cmd_tsall, 2),
		"checksums": (cmd_checksums, 1), "same": (cmd_same, 3), "foreign": (cmd_foreign, None)}
	if len(argv) < 2 or argv[1] not in cmds:
		print(__doc__, file=sys.stderr)
		return 2
	fn, n = cmds[argv[1]]
	args = argv[2:]
	if (n is not None and len(args) != n) or (n is None and len(args) < 2):
		print(__doc__, file=sys.stderr)
		return 2
	return fn(*args)


if __name__ == "__main__":
	sys.exit(main(sys.argv))
