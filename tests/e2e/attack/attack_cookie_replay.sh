#!/usr/bin/env bash
# attack_cookie_replay.sh - ACK floods carrying real cookies from the
# previous period are refused unless they are exactly the handshake the
# cookie was made for; two periods later even that is refused.
#
# Cookie mode, cookie_period PERIOD s. cookie_replay.py (in the attacker
# namespace) finds the proxy's period boundaries from its own SYN-ACKs,
# harvests HARVEST cookies per family (IPv4 and IPv6, spoofed sources) right
# after a rotation, and in the next period floods forged ACKs built from
# them (the cookie on another port or address, with another client ISN,
# other hash bits, the current period's bits), REPEAT rounds; then sends the
# exact ACK of one control tuple per family. In the period after that it
# replays the exact ACKs of all the other harvested tuples.
# Asserted: every forged and every stale ACK counted as ack_bad_cookie; the
# two controls, and only they, accepted (ack_cookie_ok) and their SYNs seen
# at the server; nothing else from a spoofed source at the server, nothing
# sent to one, but the proxy's probes of a server (one per server:port and
# re-probe interval, outside an attack); real fetches work before and
# after. About 20 s.
# shellcheck source=attack_lib.sh
source "$(dirname "$0")/attack_lib.sh"

PERIOD=4
HARVEST=40
REPEAT=5

atk_setup cookie "\"cookie_period\": $PERIOD"
atk_cap_start
px_mark
res=$(nsx "$NS_ATTACKER" $((PERIOD * 8 + 30)) -- "$ATK_PY" "$ATK_DIR/cookie_replay.py" \
	--period "$PERIOD" --harvest "$HARVEST" --repeat "$REPEAT" --seed 11 \
	"${ATK_TARGET[@]}") ||
	e2e_fail "cookie_replay.py failed"
e2e_log "attacker: $res"
forged=$(atk_field "$res" forged)
stale=$(atk_field "$res" stale)
read -r c4 c6 < <(python3 -c 'import json, sys; print(*json.loads(sys.argv[1])["control_addrs"])' "$res")
e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob" >/dev/null
e2e_fetch "http://[$SERVER_IP6]:$HTTP_PORT/blob" >/dev/null

sleep 0.5
px_read
px_show syn_received synack_sent_cookie ack_bad_cookie ack_cookie_ok syn_to_server tcp_bad_csum
atk_cap_stop "$c4" "$c6"
assert_eq "forged ACKs sent (previous-period cookies)" $(((HARVEST * 2 - 2) * 5 * REPEAT)) "$forged"
assert_eq "ack_bad_cookie (every forged and every stale ACK)" $((forged + stale)) "$(px_delta ack_bad_cookie)"
assert_eq "ack_cookie_ok (the 2 controls and the 2 fetches)" 4 "$(px_delta ack_cookie_ok)"
assert_eq "tcp_bad_csum" 0 "$(px_delta tcp_bad_csum)"
assert_ge "frames from the control tuples at the server (their handshakes)" 2 "$(atk_seen from_expected)"
# The only exception, by design (src/fwd/synproxy_probe.c): outside an
# attack, a SYN to a server:port unknown or due for its re-probe (10 s) is
# held while the proxy probes the server on that SYN's tuple - a spoofed one
# here: one SYN, the server's SYN-ACK (which the proxy takes, never the
# spoofed host), the proxy's RST. Two servers, a run of about 20 s: at most
# one probe per server and re-probe interval.
probes=$(px_delta probe_sent)
assert_range "probes (at most one per server:port per re-probe interval)" 0 6 "$probes"
assert_range "SYNs from other spoofed sources at the server (probes only)" 0 "$probes" "$(atk_seen tcp_syn)"
assert_range "other TCP segments from other spoofed sources at the server (probe RSTs only)" 0 "$probes" "$(atk_seen tcp_other)"
assert_eq "non-TCP frames from spoofed sources at the server" 0 "$(atk_seen other)"
assert_range "frames the server sent to other spoofed sources (SYN-ACKs to probes only)" 0 "$probes" "$(atk_seen to_spoofed)"
e2e_pass
