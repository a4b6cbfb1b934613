#!/usr/bin/env bash
# demo.sh - the README's first command keeps working: scripts/demo.sh runs
# against the binary under test (its build directory), every step succeeds
# (pings both ways on IPv4 and IPv6, both downloads identical, three
# downloads during the spoofed SYN flood with the server never seeing it,
# iperf3, the telemetry table, the exporter's URL and a scrape), it prints the proxy's final totals and leaves nothing
# behind: no namespace, no process, no DPDK runtime directory. DEMO_PREFIX
# gives its namespaces this run's prefix, so a demo someone runs at the same
# time (client/server) is never touched.
source "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$(dirname "$PROXY_BIN")")
DP="spt$$-demo-"
_netns_logdir
out=$NETNS_LOGDIR/demo.out
rc=0
DEMO_PREFIX=$DP BUILD_DIR=$BUILD timeout -k 10 200 bash "$REPO_DIR/scripts/demo.sh" --workers 2 >"$out" 2>&1 || rc=$?
cat "$out"
assert_eq "demo.sh exit code" 0 "$rc"
assert_eq "pings without loss (4 runs)" 4 "$(grep -c ' 0% packet loss' "$out")"
assert_eq "downloads identical at both ends (IPv4, IPv6)" 2 "$(grep -c 'identical at both ends' "$out")"
assert_eq "downloads during the SYN flood" 3 "$(grep -c 'during the flood: HTTP 200, 4194304 bytes' "$out")"
assert_contains "demo" "half-open connections at the server: 0 " "$out"
assert_contains "demo" "receiver" "$out"
assert_contains "demo telemetry table" "fwd_wan_to_lan" "$out"
assert_contains "demo exporter URL" "exporter: http://127.0.0.1:9477/metrics in namespace ${DP}proxy" "$out"
assert_contains "demo exporter scrape" "synproxy_up 1" "$out"
assert_contains "demo" "steering=software" "$out"
assert_contains "demo" "final totals" "$out"
left=$(ip netns list | awk '{print $1}' | grep -F "$DP" || true)
[ -z "$left" ] || e2e_fail "the demo left namespaces behind: $left"
[ ! -e "/var/run/dpdk/${DP%-}" ] || e2e_fail "the demo left /var/run/dpdk/${DP%-} behind"
left=$(pgrep -f -- "--file-prefix=${DP%-} |synproxy-exporter.py -f ${DP%-} " || true)
[ -z "$left" ] || e2e_fail "the demo left processes behind: $left"
e2e_log "ok: the demo cleaned up after itself"
e2e_pass
