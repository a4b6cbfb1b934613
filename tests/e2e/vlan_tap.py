#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
vlan_tap.py - a VLAN "subinterface" in user space, for kernels without 8021q.

    vlan_tap.py --dev eth0 --tap vl10 --tag 0x8100:10 [--tag ...] [--mtu N]

Creates the TAP device TAP (it lives as long as this process) and glues it to
DEV the way a kernel VLAN device would: frames the stack sends on TAP leave
DEV with the tags pushed (first --tag outermost, so 0x88a8:100 then
0x8100:10 is QinQ); frames arriving on DEV that carry exactly these VLAN IDs
are popped and handed to TAP. Anything else on DEV is left to the kernel.

The kernel always pulls the outer tag of a received frame into metadata, so
the packet socket reads it back from PACKET_AUXDATA and re-inserts it before
matching. The outer TPID of a received frame is not compared: the DPDK
af_packet PMD re-inserts every tag it reads with TPID 0x8100, so after
crossing the proxy an 802.1ad outer tag arrives as 0x8100. VLAN IDs and the
inner TPIDs are compared strictly.
"""

import argparse
import fcntl
import os
import select
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
VLAN_TPIDS = (0x8100, 0x88A8)


def parse_tag(text):
	tpid, _, vid = text.partition(":")
	if not vid:
		tpid, vid = "0x8100", tpid
	tpid, vid = int(tpid, 0), int(vid, 0)
	if tpid not in VLAN_TPIDS or not 0 < vid < 4095:
		raise argparse.ArgumentTypeError("bad tag %r (TPID 0x8100|0x88a8, VID 1..4094)" % text)
	return tpid, vid


def open_tap(name):
	fd = os.open("/dev/net/tun", os.O_RDWR)
	fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
	return fd


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--dev", required=True)
	ap.add_argument("--tap", required=True)
	ap.add_argument("--tag", action="append", type=parse_tag, required=True)
	args = ap.parse_args()

	tags = args.tag
	push = b"".join(struct.pack("!HH", tpid, vid) for tpid, vid in tags)
	depth = 4 * len(tags)

	tap = open_tap(args.tap)
	raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
	raw.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
	raw.bind((args.dev, ETH_P_ALL))
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
	print("ready: %s <-> %s tags %s" % (args.tap, args.dev,
	      " ".join("0x%04x:%d" % t for t in tags)), flush=True)

	def from_wire(frame, anc):
		for level, kind, data in anc:
			if level != SOL_PACKET or kind != PACKET_AUXDATA or len(data) < 20:
				continue
			status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", data[:20])
			if status & TP_STATUS_VLAN_VALID:
				if not status & TP_STATUS_VLAN_TPID_VALID:
					tpid = 0x8100
				frame = frame[:12] + struct.pack("!HH", tpid, tci) + frame[12:]
		if len(frame) < 14 + depth:
			return None
		for i, (tpid, vid) in enumerate(tags):
			got_tpid, tci = struct.unpack_from("!HH", frame, 12 + 4 * i)
			if (tci & 0x0FFF) != vid:
				return None
			# outer TPID: any VLAN TPID (see the header); inner ones exact
			if got_tpid != tpid and not (i == 0 and got_tpid in VLAN_TPIDS):
				return None
		return frame[:12] + frame[12 + depth:]

	while True:
		ready, _, _ = select.select([tap, raw], [], [], 1.0)
		if tap in ready:
			frame = os.read(tap, 65536)
			if len(frame) >= 14:
				try:
					raw.send(frame[:12] + push + frame[12:])
				except OSError:
					pass   # too big or link down: a NIC would drop it too
		if raw in ready:
			frame, anc, _, addr = raw.recvmsg(65536, socket.CMSG_SPACE(64))
			if addr[2] == PACKET_OUTGOING:
				continue
			inner = from_wire(frame, anc)
			if inner is not None:
				try:
					os.write(tap, inner)
				except OSError:
					pass   # TAP not up yet (EIO): drop, like a down link


if __name__ == "__main__":
	try:
		main()
	except KeyboardInterrupt:
		pass
