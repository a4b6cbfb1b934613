#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
svcconns.py - hold several TCP connections to a tcpprobe.py server at once
and report which of them get through, for the per-service caps test
(proxy_svc_limits.sh).

  svcconns.py HOST --source ADDR [--wait S] [--late S] STEP...

Steps, done in order (every wait bounded):
  open:NAME:PORT   connect (5 s at most) and send "echo NAME"; prints
                   "NAME ok" if the echo comes back within --wait seconds,
                   "NAME blocked" otherwise (the connection is kept: behind
                   the proxy, connect() succeeds before the server is asked)
  check:NAME       a connection that was ok: another echo, "NAME ok" or
                   "NAME lost"; one that was blocked: waits up to --late
                   seconds for its first echo (the client retransmits it),
                   "NAME ok" or "NAME blocked"
  sync:FILE        prints "sync", creates FILE.ready and waits (60 s at most)
                   for FILE to exist
  close:NAME       FIN;  abort:NAME  RST (SO_LINGER 0)
Connections left open at the end are closed with a FIN. Exit 0 unless a
step could not run (an error, not a blocked connection: the caller judges).
"""

import argparse
import os
import socket
import struct
import sys
import time


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("host")
	ap.add_argument("--source", required=True)
	ap.add_argument("--wait", type=float, default=2.0)
	ap.add_argument("--late", type=float, default=20.0)
	ap.add_argument("steps", nargs="+")
	args = ap.parse_args()
	conns = {}   # name -> [socket, ok, buffer]

	def say(line):
		print(line, flush=True)

	def recv_line(c, timeout):
		s, _, buf = c
		end = time.monotonic() + timeout
		while b"\n" not in buf:
			left = end - time.monotonic()
			if left <= 0:
				c[2] = buf
				return None
			s.settimeout(left)
			try:
				b = s.recv(4096)
			except socket.timeout:
				continue
			if not b:
				c[2] = buf
				return None
			buf += b
		line, _, rest = buf.partition(b"\n")
		c[2] = rest
		return line.decode("ascii", "replace")

	for step in args.steps:
		op, _, rest = step.partition(":")
		if op == "open":
			name, port = rest.split(":")
			s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
			s.bind((args.source, 0))
			s.settimeout(5)
			s.connect((args.host, int(port)))
			s.sendall(("echo %s\n" % name).encode())
			c = [s, False, b""]
			conns[name] = c
			c[1] = recv_line(c, args.wait) == name
			say("%s %s" % (name, "ok" if c[1] else "blocked"))
		elif op == "check":
			c = conns[rest]
			if c[1]:
				c[0].sendall(("echo %s\n" % rest).encode())
				say("%s %s" % (rest, "ok" if recv_line(c, args.wait) == rest else "lost"))
			else:
				c[1] = recv_line(c, args.late) == rest
				say("%s %s" % (rest, "ok" if c[1] else "blocked"))
		elif op == "sync":
			open(rest + ".ready", "w").close()
			say("sync")
			end = time.monotonic() + 60
			while not os.path.exists(rest):
				if time.monotonic() > end:
					say("sync timeout")
					return 1
				time.sleep(0.1)
		elif op in ("close", "abort"):
			s = conns.pop(rest)[0]
			if op == "abort":
				s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
			s.close()
		else:
			print("unknown step %s" % step, file=sys.stderr)
			return 2
	for c in conns.values():
		c[0].close()
	return 0


if __name__ == "__main__":
	sys.exit(main())
