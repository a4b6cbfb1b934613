#!/usr/bin/env bash
# ping_arp.sh - IPv4 reachability through the bridge, both directions, and ARP:
# each end must learn the other's MAC (the proxy forwards broadcasts and
# replies unchanged), so a neighbour entry with the peer's real MAC appears
# on both sides.
source "$(dirname "$0")/lib.sh"

e2e_up 1

e2e_ping "$NS_CLIENT" "$SERVER_IP4" 5
e2e_ping "$NS_SERVER" "$CLIENT_IP4" 5

cmac=$(netns_mac "$NS_CLIENT" eth0)
smac=$(netns_mac "$NS_SERVER" eth0)
got=$(ip -n "$NS_CLIENT" neigh show "$SERVER_IP4" dev eth0)
e2e_log "client neighbour: $got"
assert_eq "client's ARP entry for the server" "$smac" "$(awk '{print $3}' <<<"$got")"
got=$(ip -n "$NS_SERVER" neigh show "$CLIENT_IP4" dev eth0)
e2e_log "server neighbour: $got"
assert_eq "server's ARP entry for the client" "$cmac" "$(awk '{print $3}' <<<"$got")"

# A second round after flushing: ARP must be resolved again through the proxy.
ip -n "$NS_CLIENT" neigh flush dev eth0
ip -n "$NS_SERVER" neigh flush dev eth0
e2e_ping "$NS_CLIENT" "$SERVER_IP4" 2

rx_wan=$(stat_get rx_wan)
rx_lan=$(stat_get rx_lan)
assert_ge "rx_wan after 12 echo requests" 12 "$rx_wan"
assert_ge "rx_lan after 12 echo replies" 12 "$rx_lan"
e2e_pass
