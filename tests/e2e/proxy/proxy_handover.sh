#!/usr/bin/env bash
# proxy_handover.sh - connections survive a restart through the state file.
#
# One proxy (1 worker) carries, at the same time:
#  - a long-lived proxied connection (tcpprobe.py: 60 echoes 0.5 s apart);
#  - an HTTP download read at 200 KB/s (slowget.py) so it spans the restart;
#  - a handshake whose final ACK waits DELAY s (rawtcp.py, as in
#    proxy_shared_key.sh): its SYN-ACK comes from the old process.
# The proxy gets SIGUSR2: it writes synproxy.state_file and exits 0. A
# different copy of the binary file (a new build as far as the kernel is
# concerned) starts with --restore and 2 workers, so every flow has to be
# placed by the software steering hash. Then: both connections complete,
# the download's sha256 matches the server's file, the delayed handshake
# completes through the new process (shared key), the state file was renamed
# .restored. The gap (old workers stopped -> new workers started) is printed
# from the two processes' log lines.
#
# Then the refusals: the same file with one payload byte flipped, and with
# its format version set to 3, are each refused with their message, counted
# (restore_refused) and set aside as .refused; the proxy starts empty.
# shellcheck source=proxy_lib.sh
source "$(dirname "$0")/proxy_lib.sh"

DELAY=12
netns_setup
KEY=$NETNS_LOGDIR/cookie.key
install -m 600 /dev/null "$KEY"
head -c 32 /dev/urandom >"$KEY"
STATE_DIR=$NETNS_LOGDIR/state
mkdir -m 700 "$STATE_DIR"
STATE=$STATE_DIR/synproxy.state
CFG=$NETNS_LOGDIR/handover.json
px_config "$CFG" auto "\"cookie_period\": 30, \"secret_file\": \"$KEY\", \"state_file\": \"$STATE\""

e2e_http_server 6144
netns_bg probe "$NS_SERVER" 200 python3 "$PX_DIR/tcpprobe.py" server --port 9000
netns_wait_listen "$NS_SERVER" 9000 15
RAW_IP=198.18.0.9
ip -n "$NS_SERVER" neigh replace "$RAW_IP" lladdr "$(netns_mac "$NS_CLIENT" eth0)" nud permanent dev eth0

px_start "$CFG" 1
px_mark

# ---- traffic that spans the restart ----
netns_bg longconn "$NS_CLIENT" 120 python3 "$PX_DIR/tcpprobe.py" client "$SERVER_IP4" 9000 \
	--messages 60 --interval 0.5 --timeout 40
LONG_PID=$NETNS_BG_PID
DL=$NETNS_LOGDIR/download
# Paced by the reader through a small receive buffer (slowget.py says why
# not curl --limit-rate): about 30 s on the wire.
netns_bg download "$NS_CLIENT" 120 python3 "$PX_DIR/slowget.py" "$SERVER_IP4" "$HTTP_PORT" /blob \
	"$DL" --rate 204800 --timeout 100
DL_PID=$NETNS_BG_PID
px_wait_stat proxied_established -ge 2 15 || e2e_fail "the two connections did not establish"
px_read
sent=$(($(px_now synack_sent_cookie) + $(px_now synack_sent_cache)))
netns_bg raw "$NS_CLIENT" 60 python3 "$PX_DIR/rawtcp.py" handshake eth0 "$RAW_IP" \
	"$(netns_mac "$NS_SERVER" eth0)" "$SERVER_IP4" "$HTTP_PORT" "$DELAY"
RAW_PID=$NETNS_BG_PID
for ((i = 0; i < 50; i++)); do
	px_read
	[ $(($(px_now synack_sent_cookie) + $(px_now synack_sent_cache))) -gt "$sent" ] && break
	sleep 0.2
done
[ $i -lt 50 ] || e2e_fail "the old process sent no SYN-ACK to the delayed handshake within 10 s"
sleep 1
before=$(stat -c %s "$DL" 2>/dev/null || echo 0)
[ "$before" -gt 0 ] && [ "$before" -lt $((6144 * 1024)) ] ||
	e2e_fail "the download is not in progress at the handover ($before bytes)"
e2e_log "handover with $before of $((6144 * 1024)) bytes downloaded"

# ---- the handover ----
t0=$(date +%s.%N)
# PROXY_PID is the timeout(1) wrapper, which does not relay SIGUSR2: signal
# its child, the proxy, then wait for both (signal 0 only checks).
child=$(pgrep -P "$PROXY_PID" | head -n 1 || true)
kill -USR2 "${child:-$PROXY_PID}"
proxy_stop 0 30
assert_eq "exit code after SIGUSR2" 0 "$PROXY_RC"
OLD_LOG=$NETNS_LOGDIR/proxy.log
assert_contains "old process" "handover: wrote" "$OLD_LOG"
[ -f "$STATE" ] || e2e_fail "no state file $STATE after SIGUSR2"
assert_eq "state file mode" 600 "$(stat -c %a "$STATE")"
compgen -G "$STATE.tmp.*" >/dev/null && e2e_fail "a temporary state file was left behind"
NEWBIN=$NETNS_LOGDIR/newbin/dpdk-synproxy
mkdir -p "$(dirname "$NEWBIN")"
cp "$PROXY_BIN" "$NEWBIN"
[ "$(stat -c %i "$NEWBIN")" != "$(stat -c %i "$PROXY_BIN")" ] || e2e_fail "the new binary is the same file"
PROXY_BIN=$NEWBIN
px_start "$CFG" 2 --restore
OLD_LOG=$NETNS_LOGDIR/proxy.$PX_RESTARTS.log
took=$(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$t0" "$(date +%s.%N)")
e2e_log "restart took $took s (SIGUSR2 to telemetry answering)"
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < $DELAY - 2 else 1)" "$took" ||
	e2e_fail "the restart ($took s) took longer than the delayed ACK's wait allows"
assert_contains "new process" "restored" "$NETNS_LOGDIR/proxy.log"
[ -f "$STATE" ] && e2e_fail "the state file is still there after a restore"
[ -f "$STATE.restored" ] || e2e_fail "the state file was not renamed $STATE.restored"
stopped=$(sed -n 's/.*forwarding stopped at \([0-9]*\) ms.*/\1/p' "$OLD_LOG")
resumed=$(sed -n 's/.*forwarding resumed at \([0-9]*\) ms.*/\1/p' "$NETNS_LOGDIR/proxy.log")
[ -n "$stopped" ] && [ -n "$resumed" ] || e2e_fail "handover timestamps missing from the logs"
GAP=$((resumed - stopped))
e2e_log "GAP: forwarding stopped -> forwarding resumed: $GAP ms"
px_read
assert_ge "restored_flows" 2 "$(px_now restored_flows)"
assert_eq "restore_refused" 0 "$(px_now restore_refused)"

# ---- everything completes through the new process ----
rc=0
wait "$RAW_PID" || rc=$?
_netns_forget_pid "$RAW_PID"
cat "$NETNS_LOGDIR/raw.log"
[ $rc = 0 ] || e2e_fail "rawtcp.py failed (rc $rc)"
assert_eq "delayed handshake: SYN-ACK from the old process, established through the new one" true \
	"$(python3 -c 'import json, sys; r = json.loads(open(sys.argv[1]).readline()); print(str(r["synack"] and r["established"]).lower())' "$NETNS_LOGDIR/raw.log")"
rc=0
wait "$DL_PID" || rc=$?
_netns_forget_pid "$DL_PID"
[ $rc = 0 ] || { cat "$NETNS_LOGDIR/download.log" >&2; e2e_fail "the download failed across the handover (rc $rc)"; }
assert_eq "sha256 of the download across the handover" "$HTTP_SUM" "$(sha256sum "$DL" | cut -d' ' -f1)"
rc=0
wait "$LONG_PID" || rc=$?
_netns_forget_pid "$LONG_PID"
[ $rc = 0 ] || { cat "$NETNS_LOGDIR/longconn.log" >&2; e2e_fail "the long-lived connection broke (rc $rc)"; }
assert_eq "long-lived connection: echoes" 60 \
	"$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["echoed"])' "$NETNS_LOGDIR/longconn.log")"
px_read
px_show restored_flows restore_expired ack_cookie_ok ack_cache_ok wan_no_flow translated_lan
assert_ge "handshake ACKs validated by the new process" 1 $(($(px_now ack_cookie_ok) + $(px_now ack_cache_ok)))

# ---- refusals ----
GOOD=$NETNS_LOGDIR/good.state
cp "$STATE.restored" "$GOOD"
refused() { # LABEL MESSAGE
	px_start "$CFG" 1 --restore
	assert_contains "$1 state file" "state file $STATE refused: $2" "$NETNS_LOGDIR/proxy.log"
	assert_contains "$1 state file" "starting empty" "$NETNS_LOGDIR/proxy.log"
	px_read
	assert_eq "$1: restore_refused" 1 "$(px_now restore_refused)"
	assert_eq "$1: restored_flows" 0 "$(px_now restored_flows)"
	assert_eq "$1: flows" 0 "$(px_now flows)"
	[ -f "$STATE" ] && e2e_fail "$1: the refused file is still in place"
	[ -f "$STATE.refused" ] || e2e_fail "$1: not set aside as $STATE.refused"
	rm -f "$STATE.refused"
}
install -m 600 "$GOOD" "$STATE"
printf '\x5a' | dd of="$STATE" bs=1 seek=120 conv=notrunc status=none
refused corrupt "checksum mismatch"
install -m 600 "$GOOD" "$STATE"
printf '\x03' | dd of="$STATE" bs=1 seek=8 conv=notrunc status=none
refused "wrong-version" "state file format version 3, this build reads version 2"
install -m 600 "$GOOD" "$STATE"
truncate -s 300 "$STATE"
refused truncated "truncated"
proxy_stop TERM 20
assert_eq "exit code after SIGTERM" 0 "$PROXY_RC"

# ---- without synproxy.state_file: --restore is an error, SIGUSR2 a plain stop ----
PLAIN=$NETNS_LOGDIR/plain.json
px_config "$PLAIN" auto
rc=0
"$PROXY_BIN" -- --config "$PLAIN" --restore >"$NETNS_LOGDIR/norestore.out" 2>&1 || rc=$?
assert_eq "--restore without a state_file: exit code" 1 "$rc"
assert_contains "--restore without a state_file" "--restore needs synproxy.state_file" "$NETNS_LOGDIR/norestore.out"
px_start "$PLAIN" 1
child=$(pgrep -P "$PROXY_PID" | head -n 1 || true)
kill -USR2 "${child:-$PROXY_PID}"
proxy_stop 0 30
assert_eq "SIGUSR2 without a state_file: exit code" 0 "$PROXY_RC"
assert_contains "SIGUSR2 without a state_file" "plain stop, no handover" "$NETNS_LOGDIR/proxy.log"
e2e_pass
