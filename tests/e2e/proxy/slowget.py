#!/usr/bin/env python3
"""slowget.py - an HTTP/1.0 GET whose body is read at a fixed pace through a
small receive buffer, so that the transfer on the wire lasts body / rate.

Why not curl --limit-rate: its limit is an average kept by pausing reads, and
the kernel's receive buffer (up to tcp_rmem's 6 MiB) takes the burst: a
6 MiB body can be on disk within 2 s. Here the socket's buffer is small and
the reader takes at most rate * TICK bytes per tick, so the server can only
send as fast as the client reads.

  slowget.py HOST PORT PATH OUT [--rate B/s] [--timeout S]
Exits 0 when the whole body (Content-Length) is in OUT, 1 otherwise.
"""
import argparse
import socket
import sys
import time

TICK = 0.05


def fail(msg):
    print(f"slowget: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("path")
    p.add_argument("out")
    p.add_argument("--rate", type=int, default=200 * 1024, help="bytes per second")
    p.add_argument("--timeout", type=float, default=100.0, help="whole transfer, seconds")
    a = p.parse_args()

    deadline = time.monotonic() + a.timeout
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)   # before connect: sets the window
    s.settimeout(30)   # one read may wait across a proxy restart
    try:
        s.connect((a.host, a.port))
        s.sendall(f"GET {a.path} HTTP/1.0\r\nHost: {a.host}\r\n\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk or len(buf) > 65536:
                fail("no HTTP header")
            buf += chunk
        head, body = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if len(lines[0].split()) < 2 or lines[0].split()[1] != "200":
            fail(f"status: {lines[0]}")
        length = None
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip())
        if length is None:
            fail("no Content-Length")
        per_tick = max(1, int(a.rate * TICK))
        got = len(body)
        with open(a.out, "wb") as f:
            f.write(body)
            while got < length:
                if time.monotonic() > deadline:
                    fail(f"timeout after {got} of {length} bytes")
                want = min(per_tick, length - got)
                while want > 0:
                    chunk = s.recv(want)
                    if not chunk:
                        fail(f"connection closed after {got} of {length} bytes")
                    f.write(chunk)
                    got += len(chunk)
                    want -= len(chunk)
                f.flush()
                time.sleep(TICK)
    except OSError as e:
        fail(str(e))
    finally:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
