#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
telemetry.py - query a running dpdk-synproxy over the DPDK telemetry socket.

    telemetry.py [-f FILE_PREFIX] [-s SOCKET] [-c] [-k KEY] CMD...

DPDK listens on a SOCK_SEQPACKET unix socket,
/var/run/dpdk/<file-prefix>/dpdk_telemetry.v2 (under $XDG_RUNTIME_DIR/dpdk
when not root). On connect it sends a JSON banner carrying max_output_len;
afterwards each command ("/synproxy/stats", "/ethdev/list", "/" for the
list) is one datagram and each answer one JSON datagram {"<cmd>": value}.

Each answer is printed as JSON (indented, or one line with -c). With -k the
value is unwrapped and walked by a dotted path ("net_af_packet0.rx_queues",
list elements by index) and a scalar is printed bare, for shell scripts.
Only the standard library is used, so any python3 runs it. Other tools
(synproxy-exporter.py) import it: open_socket() and query() raise
TelemetryError instead of exiting.
"""

import argparse
import json
import os
import socket
import sys

SOCKET_NAME = "dpdk_telemetry.v2"


def runtime_dir():
	if os.geteuid() == 0:
		return "/var/run/dpdk"
	return os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/tmp"), "dpdk")


def known_prefixes():
	base = runtime_dir()
	try:
		names = sorted(os.listdir(base))
	except OSError:
		return []
	return [n for n in names if os.path.exists(os.path.join(base, n, SOCKET_NAME))]


def fail(msg, code=2):
	print("telemetry.py: " + msg, file=sys.stderr)
	sys.exit(code)


class TelemetryError(Exception):
	"""The socket is missing, refuses us, times out or answers nonsense."""


def socket_path(file_prefix="rte", sock=None):
	return sock or os.path.join(runtime_dir(), file_prefix, SOCKET_NAME)


def open_socket(path, timeout=5.0):
	"""Connect and read the banner: (socket, max_output_len). Every send and
	receive on the socket is bounded by timeout (seconds)."""
	if not os.path.exists(path):
		running = known_prefixes()
		hint = ("running instances (file prefixes): " + ", ".join(running)) if running \
			else "no DPDK process with telemetry is running"
		raise TelemetryError("no telemetry socket at %s: is dpdk-synproxy running with that "
				     "--file-prefix? (%s)" % (path, hint))
	sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	sock.settimeout(timeout)
	try:
		try:
			sock.connect(path)
		except PermissionError:
			raise TelemetryError("permission denied on %s (run as root)" % path) from None
		except OSError as e:
			raise TelemetryError("cannot connect to %s: %s (stale socket of a dead process?)"
					     % (path, e.strerror or e)) from None
		try:
			banner = json.loads(sock.recv(4096).decode())
			max_len = int(banner.get("max_output_len", 16384))
		except (OSError, ValueError, AttributeError) as e:
			raise TelemetryError("no banner from %s: %s" % (path, e)) from None
	except TelemetryError:
		sock.close()
		raise
	return sock, max_len


def request(sock, max_len, cmd):
	"""One command, its answer as sent: {"<cmd>": value}."""
	try:
		sock.send(cmd.encode())
		raw = sock.recv(max_len + 1)
	except OSError as e:
		raise TelemetryError("%s: %s" % (cmd, e)) from None
	try:
		answer = json.loads(raw.decode())
	except ValueError:
		raise TelemetryError("%s: answer is not JSON: %r" % (cmd, raw[:200])) from None
	return answer


def unwrap(answer):
	# The key of the answer is the command without its parameters.
	return next(iter(answer.values())) if isinstance(answer, dict) and len(answer) == 1 else answer


def query(sock, max_len, cmd):
	"""One command, its value unwrapped (None: unknown command or no data)."""
	return unwrap(request(sock, max_len, cmd))


def walk(value, path):
	"""Follow a dotted path; a dict key may itself contain dots (the flattened
	/synproxy/config has keys like "ports[0].name"), so the longest matching
	key wins."""
	parts = path.split(".") if path else []
	while parts:
		if isinstance(value, dict):
			for n in range(len(parts), 0, -1):
				key = ".".join(parts[:n])
				if key in value:
					value, parts = value[key], parts[n:]
					break
			else:
				fail("key '%s' not found in the answer" % ".".join(parts), 1)
		elif isinstance(value, list):
			try:
				value = value[int(parts[0])]
			except (ValueError, IndexError):
				fail("key '%s' not found (list of %d)" % (parts[0], len(value)), 1)
			parts = parts[1:]
		else:
			fail("key '%s' not found: %r is not a container" % (".".join(parts), value), 1)
	return value


def main():
	ap = argparse.ArgumentParser(description="Query dpdk-synproxy (or any DPDK app) telemetry.")
	ap.add_argument("-f", "--file-prefix", default="rte",
			help="EAL --file-prefix of the process (default: rte)")
	ap.add_argument("-s", "--socket", help="socket path (overrides -f)")
	ap.add_argument("-c", "--compact", action="store_true", help="one line per answer")
	ap.add_argument("-k", "--key", help="print only this dotted path of the value")
	ap.add_argument("cmds", nargs="+", metavar="CMD", help="e.g. /synproxy/stats; / lists commands")
	args = ap.parse_args()

	path = socket_path(args.file_prefix, args.socket)
	try:
		sock, max_len = open_socket(path)
	except TelemetryError as e:
		fail(str(e))
	rc = 0
	for cmd in args.cmds:
		if not cmd.startswith("/"):
			fail("commands start with '/': %s" % cmd, 1)
		try:
			answer = request(sock, max_len, cmd)
		except TelemetryError as e:
			fail(str(e))
		value = unwrap(answer)
		if value is None:
			print("telemetry.py: %s: unknown command or no data" % cmd, file=sys.stderr)
			rc = 1
		if args.key is not None:
			out = walk(value, args.key)
			if isinstance(out, str):
				print(out)
			else:
				print(json.dumps(out, indent=None if args.compact or
						 not isinstance(out, (dict, list)) else 2))
		else:
			print(json.dumps(answer, indent=None if args.compact else 2))
	sock.close()
	return rc


if __name__ == "__main__":
	sys.exit(main())
