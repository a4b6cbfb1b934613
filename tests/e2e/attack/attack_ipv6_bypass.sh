#!/usr/bin/env bash
# attack_ipv6_bypass.sh - spoofed SYNs behind every IPv6 extension-header
# shape never reach the server as a SYN.
#
# The attacker sends SYN_EACH SYNs per shape to the server's HTTP port, each
# from a random spoofed source (2001:2:0:1000::/52, 198.19.0.0/16 for the
# IPv4 one), and watches for SYN-ACKs coming back to those sources:
#  - answered by the proxy itself (a SYN-ACK with its zero window, nothing at
#    the server): plain HBH -> TCP and DestOpts -> TCP, and the atomic
#    fragments (offset 0, M = 0; RFC 6946), bare or followed by Destination
#    options or Routing, or after Hop-by-hop;
#  - dropped as fragment_drop: complete fragmented SYNs (first fragment with
#    the chain and the TCP header, then the rest), after Fragment,
#    Fragment -> DestOpts, Fragment -> Routing, HBH -> Fragment; the later
#    fragments pass (fragment_pass, or fragment_drop when their Fragment
#    header names TCP) and can complete nothing;
#  - a fragmented IPv4 SYN: here the af_packet PMD's socket reassembles IPv4
#    (PACKET_FANOUT_FLAG_DEFRAG) before the proxy sees it, so the proxy
#    answers it whole; the IPv4 fragment rule itself is unit-tested;
#  - dropped as bad_drop: an extension header the proxy does not walk (253),
#    bare or after a first Fragment header, a chain of 9 headers, and a first
#    fragment whose chain ends before its upper layer.
# Asserted on the capture at the server: no TCP segment and nothing but
# those later fragments from a spoofed source, nothing sent back to one, no
# half-open connection; on the attacker: a SYN-ACK from the proxy for every
# SYN that is answered, none for the others; the proxy's counters match the
# shapes one for one; real fetches work before and after. About 20 s.
# shellcheck source=attack_lib.sh
source "$(dirname "$0")/attack_lib.sh"

SYN_EACH=5
PROXIED=(v6-hbh v6-dest v6-atomic v6-atomic-dest v6-atomic-routing v6-hbh-atomic v4-frag)
FRAGMENTED=(v6-frag v6-frag-dest v6-frag-routing v6-hbh-frag)
# later fragments whose Fragment header names TCP are dropped too
LATER_TCP=(v6-frag v6-hbh-frag)
MALFORMED=(v6-unknown v6-frag-unknown v6-long-chain v6-frag-truncated)

atk_setup cookie
atk_cap_start
px_mark
all=("${PROXIED[@]}" "${FRAGMENTED[@]}" "${MALFORMED[@]}")
res=$(atk_py 90 send --shapes "$(IFS=,; echo "${all[*]}")" --count "$SYN_EACH" --rate 100 \
	--sniff 1 --seed 8 "${ATK_TARGET[@]}")
# One line per shape and figure, read once: SHAPE_FIG[shape.key]
declare -A SHAPE_FIG=()
while read -r k v; do
	SHAPE_FIG[$k]=$v
done < <(python3 -c 'import json, sys
for s, d in json.loads(sys.argv[1])["shapes"].items():
	print(s, d)
	for k, v in d.items():
		print("%s.%s %s" % (s, k, v))' "$res")
shape_field() { echo "${SHAPE_FIG[$1.$2]}"; }
later=0
for s in "${all[@]}"; do
	e2e_log "$s: ${SHAPE_FIG[$s]}"
done
for s in "${FRAGMENTED[@]}" "${MALFORMED[@]}"; do
	later=$((later + $(shape_field "$s" frames) - SYN_EACH))
done
later_tcp=$((SYN_EACH * ${#LATER_TCP[@]}))
e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob" >/dev/null
e2e_fetch "http://[$SERVER_IP6]:$HTTP_PORT/blob" >/dev/null

px_read
px_show syn_received synack_sent_cookie fragment_drop fragment_pass bad_drop tcp_bad_csum ack_cookie_ok
atk_cap_stop
assert_eq "SYNs from spoofed sources at the server" 0 "$(atk_seen tcp_syn)"
assert_eq "other TCP segments from spoofed sources at the server" 0 "$(atk_seen tcp_other)"
assert_eq "non-TCP frames from spoofed sources at the server" 0 "$(atk_seen other)"
assert_eq "later fragments from spoofed sources at the server (they complete nothing)" \
	$((later - later_tcp)) "$(atk_seen later_fragment)"
assert_eq "frames the server sent to spoofed sources" 0 "$(atk_seen to_spoofed)"
assert_ge "frames from the real client at the server" 10 "$(atk_seen from_allowed)"
assert_eq "half-open connections at the server" 0 "$(nsx "$NS_SERVER" 10 -- ss -Htn state syn-recv | wc -l)"

for s in "${PROXIED[@]}"; do
	assert_eq "$s: SYN-ACKs from the proxy (zero window)" "$SYN_EACH" "$(shape_field "$s" synack_win0)"
	assert_eq "$s: SYN-ACKs in all" "$SYN_EACH" "$(shape_field "$s" synacks)"
done
for s in "${FRAGMENTED[@]}" "${MALFORMED[@]}"; do
	assert_eq "$s: SYN-ACKs" 0 "$(shape_field "$s" synacks)"
done
assert_eq "syn_received (the answered shapes and the 2 fetches)" $((SYN_EACH * ${#PROXIED[@]} + 2)) \
	"$(px_delta syn_received)"
assert_eq "fragment_drop (first fragments of TCP, later ones naming TCP)" \
	$((SYN_EACH * ${#FRAGMENTED[@]} + later_tcp)) "$(px_delta fragment_drop)"
assert_eq "fragment_pass (the other later fragments)" $((later - later_tcp)) "$(px_delta fragment_pass)"
assert_eq "bad_drop (chains the proxy cannot follow)" $((SYN_EACH * ${#MALFORMED[@]})) "$(px_delta bad_drop)"
assert_eq "tcp_bad_csum" 0 "$(px_delta tcp_bad_csum)"
assert_eq "ack_cookie_ok (the 2 fetches only)" 2 "$(px_delta ack_cookie_ok)"
e2e_pass
