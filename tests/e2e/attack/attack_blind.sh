#!/usr/bin/env bash
# attack_blind.sh - blind RST / FIN / SYN / data injection into live
# connections (RFC 5961), which must keep exchanging data afterwards.
#
# Three long-lived connections, each a steady exchange (blind.py talk: a
# 100-byte message every 20 ms, every echo checked): proxied over IPv4,
# proxied over IPv6, and one opened from the LAN (pass-through: the server
# namespace connects out to an echo server in the client namespace). For
# each, the attacker on the WAN switch, knowing the 4-tuple (read with ss in
# the client namespace) and, as the strongest blind attacker, a recent
# sequence number of the WAN side (blind.py peek), sends as the WAN end:
# COUNT RSTs far outside the window, COUNT RSTs in the window but never at
# the exact sequence, COUNT FINs, COUNT SYNs and COUNT data segments with
# random seq/ack (blind.py inject).
# Asserted, per connection: nothing the attacker sent reached the server
# (no RST, SYN, FIN or marked payload of the tuple in the capture at the
# server, which is printed); the proxy judged every injected segment
# (rst_out_of_window = COUNT, seg_out_of_window = 2 COUNT, challenge ACKs
# sent or limited = 2 COUNT, at most one sent per 512 ms of attack,
# rst_accepted unchanged); the connection
# kept exchanging data (at least MIN_AFTER more rounds after the attack) and
# ended cleanly with every echo intact. About 30 s.
# shellcheck source=attack_lib.sh
source "$(dirname "$0")/attack_lib.sh"

COUNT=${COUNT:-200}
MIN_AFTER=20
BL=$ATK_DIR/blind.py

atk_setup cookie

# blind_start NAME SERVER_NS TALKER_NS ADDR PORT [--v6]: an echo server and
# its talker; waits until they exchange.
declare -A TALK_PID=()
blind_start() {
	local name=$1 sns=$2 cns=$3 addr=$4 port=$5 v6=${6:-} i
	netns_bg "serve-$name" "$sns" 150 "$ATK_PY" "$BL" serve --port "$port" $v6
	netns_wait_listen "$sns" "$port"
	netns_bg "talk-$name" "$cns" 150 "$ATK_PY" "$BL" talk --host "$addr" --port "$port" \
		--status "$NETNS_LOGDIR/$name.rounds" --stop "$NETNS_LOGDIR/$name.stop"
	TALK_PID[$name]=$NETNS_BG_PID
	for ((i = 0; i < 100; i++)); do
		[ "$(blind_rounds "$name")" -ge 10 ] && return 0
		sleep 0.1
	done
	cat "$NETNS_LOGDIR/talk-$name.log" >&2
	e2e_fail "$name: no exchange"
}
blind_rounds() { cat "$NETNS_LOGDIR/$1.rounds" 2>/dev/null || echo 0; }

# The WAN end's address and port of the one established connection that
# matches an ss filter in the client namespace, and the LAN end's:
# blind_tuple FILTER -> "wan_addr wan_port lan_addr lan_port"
blind_tuple() {
	nsx "$NS_CLIENT" ss -Htn state established "$1" | awk '{
		l = $(NF - 1); p = $NF
		lp = l; sub(/.*:/, "", lp); la = l; sub(/:[0-9]+$/, "", la)
		pp = p; sub(/.*:/, "", pp); pa = p; sub(/:[0-9]+$/, "", pa)
		gsub(/[][]/, "", la); gsub(/[][]/, "", pa)
		print la, lp, pa, pp; exit }'
}

blind_start c4 "$NS_SERVER" "$NS_CLIENT" "$SERVER_IP4" 9001
blind_start c6 "$NS_SERVER" "$NS_CLIENT" "$SERVER_IP6" 9002 --v6
blind_start l4 "$NS_CLIENT" "$NS_SERVER" "$CLIENT_IP4" 9003
declare -A TUPLE=(
	[c4]=$(blind_tuple "dport = :9001")
	[c6]=$(blind_tuple "dport = :9002")
	[l4]=$(blind_tuple "sport = :9003")
)
for n in c4 c6 l4; do
	[ -n "${TUPLE[$n]}" ] || e2e_fail "$n: no established connection in ss"
	e2e_log "$n: WAN end, LAN end: ${TUPLE[$n]}"
done

atk_cap_start
for n in c4 c6 l4; do
	read -r wa wp la lp <<<"${TUPLE[$n]}"
	tuple=(--src "$wa" --sport "$wp" --dst "$la" --dport "$lp")
	seen=$(nsx "$NS_CLIENT" 15 -- "$ATK_PY" "$BL" peek "${tuple[@]}") || e2e_fail "$n: peek failed"
	seq=$(atk_field "$seen" seq)
	px_mark
	t0=$(date +%s%3N)
	res=$(nsx "$NS_ATTACKER" 90 -- "$ATK_PY" "$BL" inject "${tuple[@]}" --dst-mac "$SERVER_MAC" \
		--seq "$seq" --count "$COUNT" --seed 7) || e2e_fail "$n: inject failed"
	t1=$(date +%s%3N)
	e2e_log "$n: attacker (near seq $seq): $res"
	before=$(blind_rounds "$n")
	sleep 0.5
	px_read
	px_show rst_out_of_window seg_out_of_window challenge_ack_sent challenge_ack_limited rst_accepted \
		fin_seen
	assert_eq "$n: rst_out_of_window (far RSTs)" "$COUNT" "$(px_delta rst_out_of_window)"
	assert_eq "$n: seg_out_of_window (blind FINs and data)" $((2 * COUNT)) "$(px_delta seg_out_of_window)"
	assert_eq "$n: challenge ACKs sent or limited (SYNs, in-window RSTs)" $((2 * COUNT)) \
		$(($(px_delta challenge_ack_sent) + $(px_delta challenge_ack_limited)))
	# One challenge ACK per flow per 512 ms at most (no budget shared
	# between flows: CVE-2016-5696), and at least the first.
	assert_range "$n: challenge ACKs sent (one per 512 ms of the $((t1 - t0)) ms attack)" 1 \
		$(((t1 - t0) / 512 + 2)) "$(px_delta challenge_ack_sent)"
	assert_eq "$n: rst_accepted" 0 "$(px_delta rst_accepted)"
	assert_eq "$n: fin_seen" 0 "$(px_delta fin_seen)"
	sleep 2
	after=$(blind_rounds "$n")
	e2e_log "$n: rounds $before at the end of the attack, $after 2 s later"
	assert_ge "$n: rounds exchanged after the attack" "$MIN_AFTER" $((after - before))
done
sleep 0.5
atk_cap_stop
# The exchanges end cleanly, every echo intact.
for n in c4 c6 l4; do
	touch "$NETNS_LOGDIR/$n.stop"
done
for n in c4 c6 l4; do
	wait "${TALK_PID[$n]}" || { cat "$NETNS_LOGDIR/talk-$n.log" >&2; e2e_fail "$n: the exchange failed"; }
	e2e_log "$n: $(tail -n 1 "$NETNS_LOGDIR/talk-$n.log")"
done
for n in c4 c6 l4; do
	read -r wa wp la lp <<<"${TUPLE[$n]}"
	got=$("$ATK_PY" "$BL" report "$NETNS_LOGDIR/srv.pcap" --src "$wa" --sport "$wp" --dst "$la" \
		--dport "$lp")
	e2e_log "$n: at the server from the WAN end's tuple: $got"
	read -r rst syn fin blind data < <(python3 -c 'import json, sys; r = json.loads(sys.argv[1])
print(r["rst"], r["syn"], r["fin"], r["blind"], r["data"])' "$got")
	assert_eq "$n: RSTs of the tuple at the server" 0 "$rst"
	assert_eq "$n: SYNs of the tuple at the server" 0 "$syn"
	assert_eq "$n: FINs of the tuple at the server" 0 "$fin"
	assert_eq "$n: injected data segments at the server" 0 "$blind"
	assert_ge "$n: segments of the real exchange at the server" 100 "$data"
done
e2e_pass
