#!/usr/bin/env bash
# config_errors.sh - the command line and config contract, no traffic needed:
# a syntax error, an unknown key, a wrong type and out-of-range values each
# exit non-zero before any port is touched, with a message on stderr naming
# the file and the JSON path (and line:column), and so does a bad cookie key
# file (synproxy.secret_file); a port the config names but
# EAL did not probe is an error naming that port; --check passes on the
# shipped configs (and shows the services and lists of the bare-metal one);
# --help and --version exit 0; an unknown option fails.
# EAL runs without hugepages or PCI and with no vdevs at all, so nothing here
# needs a namespace (the cleanup trap still guards the run).
source "$(dirname "$0")/lib.sh"

_netns_logdir
CFG=$NETNS_LOGDIR/cfg
mkdir -p "$CFG"
EAL=(-l 0-1 --no-huge -m 256 --no-pci --file-prefix="$PROXY_FILE_PREFIX" --log-level=error)

# run_proxy OUTFILE args... -> exit code in RC, stdout+stderr in OUTFILE
run_proxy() {
	local out=$1
	shift
	RC=0
	timeout -k 5 60 "$PROXY_BIN" "$@" >"$out" 2>"$out.err" || RC=$?
	cat "$out.err" >>"$out"
}

# expect_reject NAME FILE-CONTENT NEEDLE...: non-zero exit, every NEEDLE on
# stderr, and no sign of a port having been set up.
expect_reject() {
	local name=$1 text=$2 f=$CFG/$1.json out=$CFG/$1.out n
	shift 2
	printf '%s\n' "$text" >"$f"
	for mode in run check; do
		if [ $mode = run ]; then
			run_proxy "$out" "${EAL[@]}" -- --config "$f"
		else
			run_proxy "$out" "${EAL[@]}" -- --config "$f" --check
		fi
		[ "$RC" -ne 0 ] || { cat "$out" >&2; e2e_fail "$name ($mode): exit 0 for a bad config"; }
		[ "$RC" -ne 124 ] || e2e_fail "$name ($mode): hung"
		assert_contains "$name ($mode): stderr names the file" "$f" "$out.err" >/dev/null
		for n in "$@"; do
			assert_contains "$name ($mode): stderr" "$n" "$out.err" >/dev/null
		done
		if grep -qE 'forwarding started|rxq=' "$out"; then
			cat "$out" >&2
			e2e_fail "$name ($mode): ports were set up despite the bad config"
		fi
	done
	e2e_log "ok: $name rejected (exit $RC): $(grep -m1 'config' "$out.err")"
}

PORTS='"ports": [ { "name": "net_af_packet0", "role": "lan" }, { "name": "net_af_packet1", "role": "wan" } ]'

expect_reject syntax "{
	$PORTS,
	\"mtu\": 1500,,
}" ":3:"
expect_reject unterminated_comment "{ $PORTS /* no end" "comment"
expect_reject unknown_key "{ $PORTS, \"bogus_knob\": 1 }" 'bogus_knob' 'unknown key'
expect_reject unknown_nested_key "{ $PORTS, \"synproxy\": { \"timeouts\": { \"fin\": 60, \"finn\": 1 } } }" \
	'$.synproxy.timeouts.finn' 'unknown key'
expect_reject wrong_type "{ $PORTS, \"mtu\": \"big\" }" '$.mtu' 'line 1:'
expect_reject wrong_type_bool "{ $PORTS, \"synproxy\": { \"enabled\": 1 } }" '$.synproxy.enabled'
expect_reject out_of_range_low "{ $PORTS, \"mtu\": 20 }" '$.mtu'
expect_reject out_of_range_high "{ $PORTS, \"burst_size\": 100000 }" '$.burst_size'
expect_reject out_of_range_nested "{ $PORTS, \"synproxy\": { \"timeouts\": { \"fin\": 0 } } }" \
	'$.synproxy.timeouts.fin'
expect_reject bad_role '{ "ports": [ { "name": "net_af_packet0", "role": "lan" }, { "name": "net_af_packet1", "role": "dmz" } ] }' \
	'$.ports[1].role'
expect_reject one_port '{ "ports": [ { "name": "net_af_packet0", "role": "lan" } ] }' '$.ports'
expect_reject duplicate_key "{ $PORTS, \"mtu\": 1500, \"mtu\": 1400 }" '$.mtu' 'duplicate'
# Protected services and source lists: bad prefixes, ports and overlaps.
expect_reject service_host_bits "{ $PORTS, \"synproxy\": { \"services\": [ { \"prefix\": \"198.18.1.1/24\", \"ports\": [80] } ] } }" \
	'$.synproxy.services[0].prefix' 'line 1:' 'host bits' '198.18.1.0/24'
expect_reject service_bad_range "{ $PORTS, \"synproxy\": { \"services\": [ { \"prefix\": \"2001:2::/64\", \"ports\": [\"90-80\"] } ] } }" \
	'$.synproxy.services[0].ports[0]' 'reversed'
expect_reject service_overlap "{ $PORTS, \"synproxy\": { \"services\": [ { \"prefix\": \"198.18.1.0/24\", \"ports\": [\"1-1024\"] },
	{ \"prefix\": \"198.18.1.0/24\", \"ports\": [443] } ] } }" '$.synproxy.services[1].ports' 'line 2:' 'overlaps $.synproxy.services[0]'
expect_reject allow_and_deny "{ $PORTS, \"synproxy\": { \"allow\": [\"198.18.5.0/24\"], \"deny\": [\"198.18.5.0/24\"] } }" \
	'$.synproxy.deny[0]' 'both allowed and denied'
expect_reject deny_nested "{ $PORTS, \"synproxy\": { \"deny\": [\"198.18.0.0/15\", \"198.18.5.0/24\"] } }" \
	'$.synproxy.deny[1]' 'lies inside $.synproxy.deny[0]'

# The shared cookie key file: open to group/others, too short, missing, or
# not a regular file - each refused at --check and at startup, before EAL
# touches a port. A good one passes --check, which shows its path only.
KEY=$CFG/cookie.key
install -m 600 /dev/null "$KEY"
head -c 32 /dev/urandom >"$KEY"
keycfg() { echo "{ $PORTS, \"synproxy\": { \"secret_file\": \"$1\" } }"; }
chmod 640 "$KEY"
expect_reject key_group_readable "$(keycfg "$KEY")" '$.synproxy.secret_file (line 1:' 'mode 0640' 'chmod 600'
chmod 602 "$KEY"
expect_reject key_world_writable "$(keycfg "$KEY")" 'mode 0602'
chmod 600 "$KEY"
head -c 31 /dev/urandom >"$CFG/short.key"
chmod 600 "$CFG/short.key"
expect_reject key_short "$(keycfg "$CFG/short.key")" 'has 31 bytes, need 32..'
expect_reject key_missing "$(keycfg "$CFG/none.key")" 'cannot open the key file'
expect_reject key_directory "$(keycfg "$CFG")" 'not a regular file'
expect_reject key_relative "$(keycfg cookie.key)" 'not an absolute path'
keycfg "$KEY" >"$CFG/key.json"
run_proxy "$CFG/key.out" "${EAL[@]}" -- --config "$CFG/key.json" --check
[ "$RC" -eq 0 ] || { cat "$CFG/key.out" >&2; e2e_fail "--check with a good key file failed"; }
assert_contains "--check with a key file" "\"secret_file\": \"$KEY\"" "$CFG/key.out"
key_hex=$(od -An -tx1 "$KEY" | tr -d ' \n')
grep -q "${key_hex:0:16}" "$CFG/key.out" && e2e_fail "--check printed key bytes"

# A file that does not exist.
run_proxy "$CFG/missing.out" "${EAL[@]}" -- --config "$CFG/does-not-exist.json"
[ "$RC" -ne 0 ] || e2e_fail "a missing config file was accepted"
assert_contains "missing file" "$CFG/does-not-exist.json" "$CFG/missing.out.err"

# Ports the config names but EAL did not probe: the embedded default names
# net_af_packet0/1 and EAL gets no --vdev; then a PCI address on --no-pci.
run_proxy "$CFG/noport.out" "${EAL[@]}"
[ "$RC" -ne 0 ] || e2e_fail "missing ports accepted"
assert_contains "unprobed port (embedded default)" "net_af_packet0" "$CFG/noport.out.err"
printf '{ "ports": [ { "name": "0000:99:00.0", "role": "lan" }, { "name": "net_af_packet1", "role": "wan" } ] }\n' \
	>"$CFG/pci.json"
run_proxy "$CFG/pci.out" "${EAL[@]}" -- --config "$CFG/pci.json"
[ "$RC" -ne 0 ] || e2e_fail "missing PCI port accepted"
assert_contains "unprobed PCI port" "0000:99:00.0" "$CFG/pci.out.err"

# A pool too small for the workers the EAL arguments give: --check says
# what to raise, with the arithmetic (startup checks it again, with the
# ports' real placement, before any port starts).
printf '{ %s, "mempool_size": 8191 }\n' "$PORTS" >"$CFG/pool.json"
run_proxy "$CFG/pool.out" -l 0-1 -- --config "$CFG/pool.json" --check
[ "$RC" -eq 0 ] || { cat "$CFG/pool.out" >&2; e2e_fail "--check: 8191 mbufs refused for one worker"; }
assert_contains "--check prints the pool figures" "mbuf pool: 8191 mbufs for 1 worker(s)" "$CFG/pool.out"
run_proxy "$CFG/pool.out" -l 0-2 -- --config "$CFG/pool.json" --check
[ "$RC" -ne 0 ] || { cat "$CFG/pool.out" >&2; e2e_fail "--check: 8191 mbufs accepted for two workers"; }
assert_contains "--check: pool too small (file)" "$CFG/pool.json" "$CFG/pool.out.err"
assert_contains "--check: pool too small (what to raise)" "raise mempool_size to at least 9984" "$CFG/pool.out.err"
run_proxy "$CFG/pool.out" --lcores='(0-2)@(0-1)' -- --config "$CFG/pool.json" --check
assert_contains "--check: workers from --lcores" "cannot cover 2 worker(s)" "$CFG/pool.out.err"

# --check passes on the shipped configs and on the embedded default.
for f in "$REPO_DIR/config/baremetal.json" "$REPO_DIR/config/demo.json"; do
	run_proxy "$CFG/check.out" "${EAL[@]}" -- --config "$f" --check
	[ "$RC" -eq 0 ] || { cat "$CFG/check.out" >&2; e2e_fail "--check on $f failed"; }
	assert_contains "--check $(basename "$f")" "config OK" "$CFG/check.out"
done
# --check shows the services and lists of the bare-metal sample in normal form.
run_proxy "$CFG/check.out" "${EAL[@]}" -- --config "$REPO_DIR/config/baremetal.json" --check
assert_contains "--check shows a host service as /32" '"198.18.10.25/32"' "$CFG/check.out"
assert_contains "--check shows a port range" '"8000-8099"' "$CFG/check.out"
assert_contains "--check shows the deny list" '"2001:2:0:666::/64"' "$CFG/check.out"
run_proxy "$CFG/check.out" -- --check
[ "$RC" -eq 0 ] || { cat "$CFG/check.out" >&2; e2e_fail "--check of the embedded default failed"; }
assert_contains "--check (embedded default)" "net_af_packet1" "$CFG/check.out"

# --help / --version exit 0; an unknown option does not.
run_proxy "$CFG/help.out" --help
assert_eq "--help exit code" 0 "$RC"
assert_contains "--help" "--config" "$CFG/help.out"
run_proxy "$CFG/help2.out" "${EAL[@]}" -- --help
assert_eq "-- --help exit code" 0 "$RC"
run_proxy "$CFG/version.out" --version
assert_eq "--version exit code" 0 "$RC"
assert_contains "--version" "dpdk-synproxy" "$CFG/version.out"
run_proxy "$CFG/badopt.out" "${EAL[@]}" -- --no-such-option
[ "$RC" -ne 0 ] || e2e_fail "an unknown option was accepted"
assert_contains "unknown option" "--no-such-option" "$CFG/badopt.out.err"

e2e_pass
