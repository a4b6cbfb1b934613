#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""
handshake_storm.py - real handshakes, as many as asked, to a port the server
silently drops (attack_handshake_storm.sh runs it in the attacker namespace).

The kernel's own TCP does the handshakes: non-blocking connect() at a paced
rate. The proxy answers every SYN itself, so each connect completes (the
client's ACK is a valid cookie ACK) and the proxy opens a connection to the
server that the server never answers: the proxy holds one half-open flow per
connection until it gives up. The sockets stay open for --hold seconds after
the last connect, then are closed with SO_LINGER 0 (an RST each).

Bounded: at most MAX_COUNT connections and MAX_SECONDS in all. Only
addresses inside 198.18.0.0/15 and 2001:2::/48 are accepted as targets.
Prints JSON: attempted, connected (handshake completed at the client),
failed, seconds (of the connect phase).
"""

import argparse
import errno
import ipaddress
import json
import resource
import select
import socket
import struct
import time

MAX_COUNT = 20000
MAX_SECONDS = 90
ALLOWED = (ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:2::/48"))


def main():
	ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
	ap.add_argument("--dst", required=True)
	ap.add_argument("--port", type=int, required=True)
	ap.add_argument("--count", type=int, required=True)
	ap.add_argument("--rate", type=float, default=1000.0, help="connects per second")
	ap.add_argument("--hold", type=float, default=3.0, help="seconds to keep the sockets open")
	a = ap.parse_args()
	dst = ipaddress.ip_address(a.dst)
	if not any(dst in n for n in ALLOWED):
		raise SystemExit("handshake_storm.py: %s is outside the test ranges" % dst)
	count = max(0, min(a.count, MAX_COUNT))
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	want = count + 64
	if soft < want:
		resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))

	fam = socket.AF_INET if dst.version == 4 else socket.AF_INET6
	start = time.monotonic()
	deadline = start + MAX_SECONDS
	pending = {}      # fd -> socket, connect in progress
	done = []         # connected sockets
	failed = 0
	poller = select.poll()

	def reap(timeout_ms):
		nonlocal failed
		for fd, ev in poller.poll(timeout_ms):
			s = pending.pop(fd, None)
			if s is None:
				continue
			poller.unregister(fd)
			err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
			if err == 0 and ev & select.POLLOUT:
				done.append(s)
			else:
				failed += 1
				s.close()

	for i in range(count):
		if time.monotonic() > deadline:
			break
		due = start + i / a.rate
		while True:
			now = time.monotonic()
			if now >= due:
				break
			reap(int((due - now) * 1000) + 1)
		s = socket.socket(fam, socket.SOCK_STREAM)
		s.setblocking(False)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
		rc = s.connect_ex((str(dst), a.port))
		if rc not in (0, errno.EINPROGRESS):
			failed += 1
			s.close()
			continue
		pending[s.fileno()] = s
		poller.register(s.fileno(), select.POLLOUT | select.POLLERR)
		reap(0)
	connect_end = time.monotonic() + 3.0
	while pending and time.monotonic() < min(connect_end, deadline):
		reap(100)
	seconds = time.monotonic() - start
	failed += len(pending)
	for s in pending.values():
		s.close()
	hold_end = min(time.monotonic() + a.hold, deadline)
	while time.monotonic() < hold_end:
		time.sleep(0.1)
	for s in done:
		s.close()
	print(json.dumps({"attempted": count, "connected": len(done), "failed": failed,
			  "seconds": round(seconds, 2)}))


if __name__ == "__main__":
	main()
