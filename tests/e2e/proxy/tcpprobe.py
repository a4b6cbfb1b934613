#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
tcpprobe.py - a TCP client/server pair that reports what each end's kernel
negotiated, for the proxy end-to-end tests.

  server --port P [--port P2 ...] [--bind ADDR] [--max-conns N]
      Listens on every port given (dual-stack on "::" by default) and serves
      each connection in a thread with a line protocol: "info" answers one
      JSON line with the server's TCP_INFO view of the connection, "echo X"
      answers "X", "bulk N" echoes the next N bytes back, EOF closes. Exits
      after N connections (default: unbounded; the caller bounds the time).

  client HOST PORT [--mss M] [--messages N] [--interval S] [--rst]
         [--timeout S] [--bytes B] [--source ADDR]
      Connects (from ADDR if given; TCP_MAXSEG M before connect, so the SYN
      announces M), asks
      the server for its view, exchanges N echo messages S seconds apart
      over the same connection (a long-lived one), optionally sends B bytes
      of bulk data that the server echoes back, then closes: with --rst by
      SO_LINGER 0 (an RST), else with a FIN. Prints one JSON object:
      {"client": INFO, "server": INFO, "echoed": n, "elapsed": s} where INFO
      has options (TCPI_OPT_* bits: 1 timestamps, 2 SACK, 4 window scale),
      snd_wscale, rcv_wscale, snd_mss, rcv_mss, advmss, state, retrans,
      and ecn (1 if the handshake negotiated ECN, TCPI_OPT_ECN).
      Exit 1 if any echo is missing or wrong.

The struct tcp_info layout (linux/tcp.h): eight u8 fields (state, ca_state,
retransmits, probes, backoff, options, snd_wscale:4|rcv_wscale:4, flags),
then u32 rto, ato, snd_mss, rcv_mss, unacked, sacked, lost, retrans,
fackets, four last_* stamps, pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh,
snd_cwnd, advmss, ... Bitfields are allocated from the low bits on the
little- and big-endian ABIs Linux uses for this struct's u8, so snd_wscale
is the low nibble.
"""

import argparse
import json
import select
import socket
import struct
import sys
import threading
import time

TCP_INFO_LEN = 104


def tcp_info(sock):
	raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_LEN)
	u8 = struct.unpack_from("8B", raw, 0)
	u32 = struct.unpack_from("=21I", raw, 8)
	return {
		"state": u8[0],
		"options": u8[5] & 0x07,           # TS | SACK | WSCALE; ECN bits left out
		"ecn": (u8[5] >> 3) & 1,           # TCPI_OPT_ECN: ECN negotiated
		"snd_wscale": u8[6] & 0x0f,
		"rcv_wscale": u8[6] >> 4,
		"snd_mss": u32[2],
		"rcv_mss": u32[3],
		"retrans": u32[7],
		"pmtu": u32[13],
		"advmss": u32[19],
	}


def _readline(f):
	line = f.readline()
	if not line:
		raise EOFError("connection closed")
	return line.decode("ascii", "replace").rstrip("\n")


def serve_one(conn):
	try:
		conn.settimeout(60)
		# One buffered reader for lines and bulk bytes alike: reading the
		# socket directly would miss what the reader already buffered.
		f = conn.makefile("rb")
		while True:
			try:
				line = _readline(f)
			except (EOFError, OSError):
				break
			if line == "info":
				conn.sendall((json.dumps(tcp_info(conn)) + "\n").encode())
			elif line.startswith("echo "):
				conn.sendall((line[5:] + "\n").encode())
			elif line.startswith("bulk "):
				n = int(line[5:])
				got = 0
				while got < n:
					b = f.read1(min(65536, n - got))
					if not b:
						break
					conn.sendall(b)
					got += len(b)
			else:
				break
	finally:
		conn.close()


def server(args):
	fam = socket.AF_INET if ":" not in args.bind else socket.AF_INET6
	socks = []
	for port in args.port:
		s = socket.socket(fam, socket.SOCK_STREAM)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		if fam == socket.AF_INET6:
			s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
		s.bind((args.bind, port))
		s.listen(128)
		socks.append(s)
	n = 0
	while args.max_conns == 0 or n < args.max_conns:
		ready, _, _ = select.select(socks, [], [])
		for s in ready:
			conn, _ = s.accept()
			n += 1
			threading.Thread(target=serve_one, args=(conn,), daemon=True).start()
	time.sleep(0.5)   # let the last one answer
	return 0


def client(args):
	t0 = time.monotonic()
	fam = socket.AF_INET6 if ":" in args.host else socket.AF_INET
	s = socket.socket(fam, socket.SOCK_STREAM)
	if args.mss:
		s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, args.mss)
	s.settimeout(args.timeout)
	if args.source:
		s.bind((args.source, 0))
	s.connect((args.host, args.port))
	f = s.makefile("rb")
	s.sendall(b"info\n")
	srv = json.loads(_readline(f))
	echoed = 0
	for i in range(args.messages):
		if i:
			time.sleep(args.interval)
		msg = "message %d at %.3f" % (i, time.monotonic() - t0)
		s.sendall(("echo " + msg + "\n").encode())
		if _readline(f) == msg:
			echoed += 1
	bulk_ok = True
	if args.bytes:
		s.sendall(("bulk %d\n" % args.bytes).encode())
		pattern = bytes(range(256)) * 256
		sent = got = 0
		# Send and read back in step so neither side's buffers fill.
		while got < args.bytes:
			if sent < args.bytes:
				chunk = pattern[:min(len(pattern), args.bytes - sent)]
				s.sendall(chunk)
				sent += len(chunk)
			while got < sent:
				b = f.read1(min(65536, sent - got))
				if not b:
					break
				if b != (pattern * 2)[got % len(pattern):got % len(pattern) + len(b)]:
					bulk_ok = False
				got += len(b)
			if got < sent:
				bulk_ok = False
				break
	cli = tcp_info(s)
	if args.rst:
		s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
	f.close()
	s.close()
	print(json.dumps({"client": cli, "server": srv, "echoed": echoed, "bulk_ok": bulk_ok,
			  "elapsed": round(time.monotonic() - t0, 3)}))
	return 0 if echoed == args.messages and bulk_ok else 1


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
	sub = ap.add_subparsers(dest="cmd", required=True)
	sv = sub.add_parser("server")
	sv.add_argument("--port", type=int, action="append", required=True)
	sv.add_argument("--bind", default="::")
	sv.add_argument("--max-conns", type=int, default=0)
	cl = sub.add_parser("client")
	cl.add_argument("host")
	cl.add_argument("port", type=int)
	cl.add_argument("--mss", type=int, default=0)
	cl.add_argument("--messages", type=int, default=0)
	cl.add_argument("--interval", type=float, default=1.0)
	cl.add_argument("--bytes", type=int, default=0)
	cl.add_argument("--rst", action="store_true")
	cl.add_argument("--timeout", type=float, default=10.0)
	cl.add_argument("--source", default="")
	args = ap.parse_args()
	try:
		return server(args) if args.cmd == "server" else client(args)
	except (OSError, EOFError, ValueError) as e:
		print("tcpprobe: %s" % e, file=sys.stderr)
		return 1


if __name__ == "__main__":
	sys.exit(main())
