#!/usr/bin/env bash
# http.sh - a 1 MiB file fetched with curl over IPv4 through the proxy (the
# TCP handshake is answered by the proxy first), checksum equal at both ends;
# then a few sequential fetches to exercise connection setup and teardown.
source "$(dirname "$0")/lib.sh"

e2e_up 1
e2e_http_server 1024
e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob"
for i in 1 2 3; do
	e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob"
done
tcp=$(stat_get tcp)
assert_ge "tcp packets seen" 700 "$tcp"
e2e_pass
