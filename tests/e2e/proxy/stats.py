#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
stats.py - /synproxy/stats of a running dpdk-synproxy as "key value" lines,
for the shell (proxy_lib.sh px_read).

    stats.py FILE_PREFIX

It reads the DPDK telemetry socket itself rather than through
scripts/telemetry.py because it has to see the answer exactly as sent: a
key that appears twice in the JSON object would be silently collapsed by an
ordinary JSON reader (the last one wins). Here the first value is kept and
each repeated key is reported on a line "#dup KEY". Only integer values are
printed. Exit 1 if the proxy does not answer.
"""

import json
import socket
import sys


def main(argv):
	if len(argv) != 2:
		print(__doc__, file=sys.stderr)
		return 2
	path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % argv[1]
	try:
		s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
		s.settimeout(5)
		s.connect(path)
		banner = json.loads(s.recv(4096).decode())
		s.send(b"/synproxy/stats")
		raw = s.recv(int(banner.get("max_output_len", 16384)) + 1).decode()
	except (OSError, ValueError) as e:
		print("stats.py: %s: %s" % (path, e), file=sys.stderr)
		return 1
	dups = []

	def first(pairs):
		d = {}
		for k, v in pairs:
			if k in d:
				dups.append(k)
			else:
				d[k] = v
		return d
	try:
		stats = json.loads(raw, object_pairs_hook=first).get("/synproxy/stats") or {}
	except (ValueError, AttributeError):
		stats = {}
	if not stats:
		print("stats.py: no /synproxy/stats in the answer: %r" % raw[:300], file=sys.stderr)
		return 1
	for k, v in stats.items():
		if isinstance(v, int):
			print(k, v)
	for k in dups:
		print("#dup", k)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
