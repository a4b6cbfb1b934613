#!/usr/bin/env bash
# ipv6.sh - IPv6 through the bridge: ping both ways (neighbour discovery
# crosses the proxy as multicast), the neighbour entries carry the real
# MACs, and the 1 MiB HTTP fetch over IPv6 arrives intact.
source "$(dirname "$0")/lib.sh"

e2e_up 1
e2e_ping "$NS_CLIENT" "$SERVER_IP6" 5
e2e_ping "$NS_SERVER" "$CLIENT_IP6" 5
assert_eq "client's ND entry for the server" "$(netns_mac "$NS_SERVER" eth0)" \
	"$(ip -n "$NS_CLIENT" -6 neigh show "$SERVER_IP6" dev eth0 | awk '{print $3}')"
assert_eq "server's ND entry for the client" "$(netns_mac "$NS_CLIENT" eth0)" \
	"$(ip -n "$NS_SERVER" -6 neigh show "$CLIENT_IP6" dev eth0 | awk '{print $3}')"

e2e_http_server 1024
e2e_fetch "http://[$SERVER_IP6]:$HTTP_PORT/blob"
e2e_fetch "http://[$SERVER_IP6]:$HTTP_PORT/blob"
assert_ge "ipv6 packets seen" 700 "$(stat_get ipv6)"
e2e_pass
