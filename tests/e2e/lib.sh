# shellcheck shell=bash
#
# lib.sh - the harness every end-to-end test sources.
#
# A test is a bash script run by meson as "bash TEST.sh /path/to/dpdk-synproxy".
# Sourcing this file gives it strict mode, the topology of scripts/lib/netns.sh
# under a per-run prefix (spt<PID>-), a cleanup trap that removes every
# namespace, veth and process of the run on success, failure or signal, and
# small assertion helpers that print what was expected and what was seen.
# Root is required; without it the test fails loudly (a skipped e2e suite must
# never look like a passing one).

set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
E2E_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL: the e2e suite needs root (network namespaces, af_packet)." >&2
	echo "      run: sudo meson test -C build --suite e2e   (or sudo scripts/test.sh)" >&2
	exit 1
fi

PROXY_BIN=${1:-${PROXY_BIN:-}}
[ -n "$PROXY_BIN" ] || { echo "usage: $0 /path/to/dpdk-synproxy" >&2; exit 2; }
PROXY_BIN=$(readlink -f "$PROXY_BIN")
[ -x "$PROXY_BIN" ] || { echo "FAIL: $PROXY_BIN is not an executable (build first)" >&2; exit 1; }

NETNS_PREFIX="spt$$-"
PROXY_FILE_PREFIX="spt$$"
PROXY_TIMEOUT=280          # meson kills a test at 300 s; the proxy goes first
# shellcheck source=../../scripts/lib/netns.sh
source "$REPO_DIR/scripts/lib/netns.sh"
netns_require_root
netns_install_trap

_e2e_t0=$SECONDS
e2e_log() { netns_log "$E2E_NAME: $*"; }
e2e_fail() {
	printf '[%s] FAIL %s: %s\n' "$(date +%T)" "$E2E_NAME" "$*" >&2
	exit 1
}
e2e_pass() { netns_log "PASS $E2E_NAME ($((SECONDS - _e2e_t0))s)"; }

assert_eq() { # what expected actual
	[ "$2" = "$3" ] || e2e_fail "$1: expected '$2', got '$3'"
	e2e_log "ok: $1 = $3"
}
assert_ge() { # what min actual
	[ "$3" -ge "$2" ] 2>/dev/null || e2e_fail "$1: expected >= $2, got '$3'"
	e2e_log "ok: $1 = $3 (>= $2)"
}
assert_range() { # what min max actual
	{ [ "$4" -ge "$2" ] && [ "$4" -le "$3" ]; } 2>/dev/null ||
		e2e_fail "$1: expected $2..$3, got '$4'"
	e2e_log "ok: $1 = $4 (in $2..$3)"
}
assert_contains() { # what needle haystack-file
	grep -qF -- "$2" "$3" || { cat "$3" >&2; e2e_fail "$1: '$2' not found in the output above"; }
	e2e_log "ok: $1 mentions '$2'"
}

# Topology plus a running proxy: e2e_up WORKERS [proxy options...]
e2e_up() {
	local workers=$1
	shift
	netns_setup
	proxy_start "$workers" "$@"
	proxy_wait_started 60
	e2e_log "proxy up ($workers worker(s)), pid $PROXY_PID"
}

# One counter of /synproxy/stats.
stat_get() { telemetry -k "$1" /synproxy/stats; }

# ping that must fully succeed: e2e_ping NS ADDR [COUNT]
e2e_ping() {
	local ns=$1 addr=$2 n=${3:-3} out
	if ! out=$(nsx "$ns" 30 -- ping -n -c "$n" -i 0.2 -W 2 -w 20 "$addr" 2>&1); then
		echo "$out" >&2
		e2e_fail "ping $addr from $ns failed"
	fi
	echo "$out" | grep -q " 0% packet loss" || { echo "$out" >&2; e2e_fail "ping $addr from $ns lost packets"; }
	e2e_log "ok: ping $addr from $ns ($n/$n)"
}

# A file served by python's http.server in the server namespace:
# e2e_http_server SIZE_KB -> HTTP_DIR, HTTP_PORT, HTTP_SUM (sha256 at the server)
e2e_http_server() {
	local kb=$1
	HTTP_DIR=$NETNS_LOGDIR/www
	HTTP_PORT=8080
	mkdir -p "$HTTP_DIR"
	head -c "$((kb * 1024))" /dev/urandom >"$HTTP_DIR/blob"
	HTTP_SUM=$(sha256sum "$HTTP_DIR/blob" | cut -d' ' -f1)
	# "::" listens dual-stack, so the same server answers IPv4 and IPv6.
	netns_bg http "$NS_SERVER" 250 python3 -m http.server --bind :: --directory "$HTTP_DIR" "$HTTP_PORT"
	netns_wait_listen "$NS_SERVER" "$HTTP_PORT" 15
}

# Fetch the blob from the client side and compare checksums: e2e_fetch URL [NS]
e2e_fetch() {
	local url=$1 ns=${2:-$NS_CLIENT} out=$NETNS_LOGDIR/fetched sum
	rm -f "$out"
	nsx "$ns" 60 -- curl -sS -g --fail --connect-timeout 10 --max-time 45 -o "$out" "$url" ||
		e2e_fail "curl $url from $ns failed"
	sum=$(sha256sum "$out" | cut -d' ' -f1)
	assert_eq "sha256 of $url" "$HTTP_SUM" "$sum"
}
