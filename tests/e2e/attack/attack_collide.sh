#!/usr/bin/env bash
# attack_collide.sh - a hash-collision SYN flood at a bounded rate while a
# real client fetches over HTTP: the fetches must not get much slower.
#
# The attacker (collide.py) sends IPv6 SYNs from distinct source address/port
# pairs inside 2001:2:0:1000::/52 whose flow keys all share one value of the
# proxy's OLD table hash, rte_hash_crc(key, 40, seed), under every seed (CRC
# linearity: the kernel of a GF(2) linear map). With that hash and the SYN
# cache's extendable buckets, such a flood grew one bucket chain that every
# insert and lookup walked. The proxy runs in cache mode, so every flood SYN
# is a SYN cache insert (FIFO eviction once full).
#
# Three rounds of FETCHES fetches of the 64 KB file (IPv4 and IPv6 taking
# turns), each timed by curl: without the flood, with the flood running at
# COLLIDE_PPS (bounded in count and time; stopped once the fetches are done,
# and it must not end before), and without it again. The no-flood p99 is the
# larger of the rounds before and after: on a shared machine one round alone
# may have been lucky, and the flood's colliding entries are still in the
# cache during the last one.
#
# Asserted: every fetch intact; p99 fetch time under the flood within 2x of
# the no-flood p99; in the capture at the server nothing from a spoofed
# source and nothing back to one; at the proxy the flood was judged (SYNs
# answered from the cache), and no cache insert was refused
# (syn_cache_refused 0: no bucket filled up). About a minute.
# shellcheck source=attack_lib.sh
source "$(dirname "$0")/attack_lib.sh"

FETCHES=${FETCHES:-100}
COLLIDE_PPS=${COLLIDE_PPS:-3000}
COLLIDE_SECONDS=60

atk_setup cache
# A few warm-up fetches so both rounds start from the same state (caches, ND).
for i in 1 2 3 4; do
	e2e_fetch "http://$SERVER_IP4:$HTTP_PORT/blob" >/dev/null
	e2e_fetch "http://[$SERVER_IP6]:$HTTP_PORT/blob" >/dev/null
done

# FETCHES timed fetches into NETNS_LOGDIR/times.NAME (seconds, one a line):
# timed_fetches NAME [PID: fail if this process ends before the last fetch]
timed_fetches() {
	local name=$1 pid=${2:-} i url t out=$NETNS_LOGDIR/fetched
	: >"$NETNS_LOGDIR/times.$name"
	for ((i = 0; i < FETCHES; i++)); do
		if [ $((i % 2)) = 0 ]; then
			url="http://$SERVER_IP4:$HTTP_PORT/blob"
		else
			url="http://[$SERVER_IP6]:$HTTP_PORT/blob"
		fi
		rm -f "$out"
		t=$(nsx "$NS_CLIENT" 60 -- curl -sS -g --fail --connect-timeout 10 --max-time 30 \
			-o "$out" -w '%{time_total}' "$url") || e2e_fail "$name: fetch $i ($url) failed"
		[ "$(sha256sum "$out" | cut -d' ' -f1)" = "$HTTP_SUM" ] || e2e_fail "$name: fetch $i corrupted"
		echo "$t" >>"$NETNS_LOGDIR/times.$name"
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			e2e_fail "$name: the flood ended after $((i + 1)) of $FETCHES fetches (machine too slow?)"
		fi
	done
}

# p99 (nearest rank) and median of a times file, in ms: pct FILE P
pct() {
	sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END { r = int((p * NR + 99) / 100); if (r < 1) r = 1; printf "%d\n", v[r] * 1000 + 0.5 }'
}

timed_fetches before
e2e_log "no flood: $FETCHES fetches, median $(pct "$NETNS_LOGDIR/times.before" 50) ms," \
	"p99 $(pct "$NETNS_LOGDIR/times.before" 99) ms"

atk_cap_start
px_mark
stop=$NETNS_LOGDIR/collide.stop
rm -f "$stop"
netns_bg collide "$NS_ATTACKER" $((COLLIDE_SECONDS + 15)) "$ATK_PY" "$ATK_DIR/collide.py" flood \
	--count $((COLLIDE_PPS * COLLIDE_SECONDS)) --rate "$COLLIDE_PPS" --seconds "$COLLIDE_SECONDS" \
	--seed "$RANDOM" --stop-file "$stop" --dst-mac "$SERVER_MAC" --dst6 "$SERVER_IP6" --dport "$HTTP_PORT"
pid=$NETNS_BG_PID
for ((i = 0; i < 100; i++)); do
	grep -q "collide: flooding" "$NETNS_LOGDIR/collide.log" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
grep -q "collide: flooding" "$NETNS_LOGDIR/collide.log" || { cat "$NETNS_LOGDIR/collide.log" >&2; e2e_fail "collide.py did not start"; }
sleep 1   # the cache has a second of colliding entries before the first fetch
timed_fetches flood "$pid"
touch "$stop"
rc=0
wait "$pid" || rc=$?
_netns_forget_pid "$pid"
[ $rc = 0 ] || { cat "$NETNS_LOGDIR/collide.log" >&2; e2e_fail "collide.py failed: $rc"; }
sent=$(tail -n 1 "$NETNS_LOGDIR/collide.log")
e2e_log "collision flood: $sent"
flood_p99=$(pct "$NETNS_LOGDIR/times.flood" 99)
e2e_log "under the flood: $FETCHES fetches, median $(pct "$NETNS_LOGDIR/times.flood" 50) ms, p99 $flood_p99 ms"

sleep 0.5
px_read
px_show rx_wan syn_received synack_sent_cache synack_sent_cookie syn_ratelimited ack_cache_ok \
	ack_cookie_ok syn_cache_evictions syn_cache_refused
atk_cap_stop
frames=$(atk_field "$sent" frames)
assert_eq "distinct colliding keys sent = SYNs sent" "$frames" "$(atk_field "$sent" keys)"
assert_ge "SYNs sent (>= 2 s of flood)" $((2 * COLLIDE_PPS)) "$frames"
assert_eq "SYNs from spoofed sources at the server" 0 "$(atk_seen tcp_syn)"
assert_eq "other TCP segments from spoofed sources at the server" 0 "$(atk_seen tcp_other)"
assert_eq "frames the server sent to spoofed sources" 0 "$(atk_seen to_spoofed)"
assert_ge "syn_received (>= 40% of the flood)" $((frames * 4 / 10)) "$(px_delta syn_received)"
assert_ge "synack_sent_cache (the flood went into the SYN cache, >= 40%)" $((frames * 4 / 10)) \
	"$(px_delta synack_sent_cache)"
assert_eq "syn_cache_refused" 0 "$(px_delta syn_cache_refused)"
assert_eq "handshakes completed = real fetches" "$FETCHES" "$(($(px_delta ack_cookie_ok) + $(px_delta ack_cache_ok)))"

timed_fetches after
e2e_log "no flood again: $FETCHES fetches, median $(pct "$NETNS_LOGDIR/times.after" 50) ms," \
	"p99 $(pct "$NETNS_LOGDIR/times.after" 99) ms"
base_p99=$(pct "$NETNS_LOGDIR/times.before" 99)
after_p99=$(pct "$NETNS_LOGDIR/times.after" 99)
[ "$after_p99" -le "$base_p99" ] || base_p99=$after_p99
# A quiet box fetches in ~1 ms: 2x of that is below the scheduler's own jitter
# when a 3000/s flood shares the 2 CPUs, so the reference has a 10 ms floor.
# A collision flood that stalled the worker would cost seconds, not ms.
[ "$base_p99" -ge 10 ] || base_p99=10
assert_range "p99 fetch time under the flood (ms, <= 2x no-flood p99 $base_p99 ms)" 0 $((2 * base_p99)) \
	"$flood_p99"
e2e_pass
