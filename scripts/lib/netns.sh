# shellcheck shell=bash
#
# netns.sh - the network-namespace topology shared by scripts/demo.sh and the
# end-to-end tests (tests/e2e/*.sh). Source it, never run it.
#
# Topology (everything lives in namespaces; nothing is created in the root one):
#
#   client ns            wan ns (L2 switch)              proxy ns                server ns
#   eth0 ---veth--- p-client [br0] p-proxy ---veth--- wan0 [dpdk-synproxy] lan0 ---veth--- eth0
#   198.18.0.1/24              \ p-<host> ...  (more WAN hosts,                        198.18.0.2/24
#   2001:2::1/64                  e.g. an attacker, join br0)                          2001:2::2/64
#
# With NETNS_ROUTER_MTU set, the client sits behind a router instead, the
# way most clients do (and the path towards it can have a smaller MTU):
#
#   wan ns [br0] p-router ---veth--- eth0 router ns eth1 ---veth--- eth0 client ns
#                         198.18.0.254/24      198.18.1.254/24   198.18.1.1/24
#                         2001:2::fe/64        2001:2:1::fe/64   2001:2:1::1/64
#
# The router forwards (IPv4 and IPv6), its eth1 has MTU NETNS_ROUTER_MTU
# (the client's own interface keeps NETNS_MTU, so the client still announces
# the larger MSS and the router has to send "fragmentation needed" / "packet
# too big" back to the server), and the server's default route goes via the
# router's WAN-side address: the proxy is still a bridge between the server
# and the router.
#
# The proxy runs inside its own namespace on two af_packet vdevs bound to wan0
# and lan0, so client and server share one L2 segment through it. All
# offloads are off on every veth end: the proxy must see the real frames
# (checksums filled in, no GSO super-frames, VLAN tags in the frame).
#
# Every namespace name carries a per-run prefix (NETNS_PREFIX, "spt<PID>-"
# for tests) so parallel runs and leftovers never collide; the demo overrides
# the client/server names. netns_install_trap registers netns_cleanup on
# EXIT/INT/TERM: it stops every process the run started (the proxy first, so
# it can print its totals), kills whatever still runs inside our namespaces,
# deletes the namespaces (and with them every veth and bridge) and removes
# the proxy's DPDK runtime files. Only namespaces this run created are touched.
#
# Logs of the proxy and helpers go to a temporary directory, removed at the
# end unless KEEP_LOGS=1. Callers use "set -euo pipefail"; everything here is
# written for that.

# ---- configuration (override before netns_setup) ----------------------------
NETNS_PREFIX=${NETNS_PREFIX:-spt$$-}
NS_PROXY=${NS_PROXY:-${NETNS_PREFIX}proxy}
NS_WAN=${NS_WAN:-${NETNS_PREFIX}wan}
NS_CLIENT=${NS_CLIENT:-${NETNS_PREFIX}client}
NS_SERVER=${NS_SERVER:-${NETNS_PREFIX}server}
NETNS_MTU=${NETNS_MTU:-1500}
NETNS_IPV6=${NETNS_IPV6:-1}          # 0: IPv6 off in client/server (quiet links)
NETNS_ROUTER_MTU=${NETNS_ROUTER_MTU:-}  # set: the client behind a router, this MTU towards it
NS_ROUTER=${NS_ROUTER:-${NETNS_PREFIX}router}

# Fixed addressing: benchmarking ranges only (RFC 2544 / RFC 5180).
CLIENT_IP4=198.18.0.1
SERVER_IP4=198.18.0.2
CLIENT_IP6=2001:2::1
SERVER_IP6=2001:2::2
ROUTER_WAN_IP4=198.18.0.254       # the router's addresses (NETNS_ROUTER_MTU)
ROUTER_WAN_IP6=2001:2::fe
ROUTER_CLIENT_IP4=198.18.1.254
ROUTER_CLIENT_IP6=2001:2:1::fe
PROXY_LAN_IF=lan0
PROXY_WAN_IF=wan0

# The proxy (see proxy_start).
PROXY_BIN=${PROXY_BIN:-}
PROXY_FILE_PREFIX=${PROXY_FILE_PREFIX:-${NETNS_PREFIX%-}}
PROXY_TIMEOUT=${PROXY_TIMEOUT:-600}  # seconds; 0 = no limit (demo --keep)
PROXY_MEM=${PROXY_MEM:-nohuge}       # nohuge | huge | auto
PROXY_PID=
PROXY_LOG=

# ---- state ------------------------------------------------------------------
NETNS_CREATED=()   # namespaces this run created (and only those get deleted)
NETNS_PIDS=()      # background processes this run started
NETNS_LOGDIR=${NETNS_LOGDIR:-}
NETNS_SHOW_TOTALS=${NETNS_SHOW_TOTALS:-}   # print the proxy's final totals at cleanup
_NETNS_CLEANED=

netns_log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
netns_die() { printf '[%s] ERROR: %s\n' "$(date +%T)" "$*" >&2; exit 1; }

# ip netns exec with a hard time limit, so no command can hang a run.
# usage: nsx NS [timeout-seconds] -- cmd...   or   nsx NS cmd...
nsx() {
	local ns=$1 t=60
	shift
	if [ "${2:-}" = "--" ]; then
		t=$1
		shift 2
	fi
	timeout -k 5 "$t" ip netns exec "$ns" "$@"
}

netns_require_root() {
	[ "$(id -u)" -eq 0 ] || netns_die "this needs root (network namespaces, af_packet): run it with sudo"
	local t
	for t in ip ethtool timeout python3; do
		command -v "$t" >/dev/null || netns_die "missing tool '$t': run scripts/install-deps.sh"
	done
}

_netns_logdir() {
	if [ -z "$NETNS_LOGDIR" ]; then
		NETNS_LOGDIR=$(mktemp -d "/tmp/synproxy-${NETNS_PREFIX}XXXXXX")
		_NETNS_OWN_LOGDIR=1
	fi
}

# Create one namespace (refuses to reuse an existing one: it is not ours).
netns_create() {
	local ns=$1
	if ip netns list | awk '{print $1}' | grep -qxF "$ns"; then
		netns_die "network namespace '$ns' already exists (left over from an earlier run? delete it with: ip netns del $ns)"
	fi
	ip netns add "$ns"
	NETNS_CREATED+=("$ns")
	ip -n "$ns" link set dev lo up
	# No router solicitations, no DAD delay: the links must be usable at once
	# and stay quiet so packet counts in the tests are exact.
	nsx "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.router_solicitations=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_ra=0 >/dev/null
}

netns_disable_ipv6() {
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
}

# Offloads off, so frames on the wire are exactly what a NIC would carry.
# Some features are fixed on veth; ethtool then complains about those only.
netns_offloads_off() {
	local ns=$1 dev=$2
	nsx "$ns" ethtool -K "$dev" rx off tx off tso off gso off gro off lro off \
		txvlan off rxvlan off >/dev/null 2>&1 || true
	# Check the ones that matter actually went off.
	local on
	on=$(nsx "$ns" ethtool -k "$dev" | awk -F': ' '
		/^(tx-checksumming|rx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|tx-vlan-offload|rx-vlan-offload):/ \
		&& $2 ~ /^on/ {print $1}')
	[ -z "$on" ] || netns_die "could not switch off on $ns/$dev: $on"
}

# veth pair between two namespaces, created directly in them, offloads off, up.
netns_veth() {
	local ns1=$1 if1=$2 ns2=$3 if2=$4
	ip -n "$ns1" link add name "$if1" mtu "$NETNS_MTU" type veth \
		peer name "$if2" mtu "$NETNS_MTU" netns "$ns2"
	netns_offloads_off "$ns1" "$if1"
	netns_offloads_off "$ns2" "$if2"
	ip -n "$ns1" link set dev "$if1" up
	ip -n "$ns2" link set dev "$if2" up
}

netns_mac() { ip -n "$1" -o link show dev "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }

# A host on the WAN switch: netns_add_wan_host NS IPV4/LEN [IPV6/LEN]
# (the client is one; attackers join the same way). Its interface is eth0,
# its switch port p-<name without the run prefix>.
netns_add_wan_host() {
	local ns=$1 ip4=$2 ip6=${3:-} port
	port=p-${ns#"$NETNS_PREFIX"}
	port=${port:0:15}     # interface names have at most 15 characters
	netns_create "$ns"
	[ "$NETNS_IPV6" = 1 ] || netns_disable_ipv6 "$ns"
	netns_veth "$NS_WAN" "$port" "$ns" eth0
	ip -n "$NS_WAN" link set dev "$port" master br0
	ip -n "$ns" addr add "$ip4" dev eth0
	if [ -n "$ip6" ] && [ "$NETNS_IPV6" = 1 ]; then
		ip -n "$ns" addr add "$ip6" dev eth0 nodad
	fi
}

# Build the whole topology (proxy not started).
netns_setup() {
	_netns_logdir
	netns_create "$NS_PROXY"
	netns_create "$NS_WAN"
	# The proxy's and the switch's interfaces carry no addresses: keep them
	# from sending anything on their own (IPv6 link-local, MLD, RS).
	netns_disable_ipv6 "$NS_PROXY"
	netns_disable_ipv6 "$NS_WAN"

	ip -n "$NS_WAN" link add name br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
	ip -n "$NS_WAN" link set dev br0 mtu "$NETNS_MTU" up
	netns_veth "$NS_WAN" p-proxy "$NS_PROXY" "$PROXY_WAN_IF"
	ip -n "$NS_WAN" link set dev p-proxy master br0

	if [ -n "$NETNS_ROUTER_MTU" ]; then
		_netns_router_client
	else
		netns_add_wan_host "$NS_CLIENT" "$CLIENT_IP4/24" "$CLIENT_IP6/64"
	fi

	netns_create "$NS_SERVER"
	[ "$NETNS_IPV6" = 1 ] || netns_disable_ipv6 "$NS_SERVER"
	netns_veth "$NS_PROXY" "$PROXY_LAN_IF" "$NS_SERVER" eth0
	ip -n "$NS_SERVER" addr add "$SERVER_IP4/24" dev eth0
	if [ "$NETNS_IPV6" = 1 ]; then
		ip -n "$NS_SERVER" addr add "$SERVER_IP6/64" dev eth0 nodad
	fi
	if [ -n "$NETNS_ROUTER_MTU" ]; then
		netns_server_default_route
	fi
}

# The client behind a router (NETNS_ROUTER_MTU, see the top of this file).
_netns_router_client() {
	CLIENT_IP4=198.18.1.1
	CLIENT_IP6=2001:2:1::1
	netns_add_wan_host "$NS_ROUTER" "$ROUTER_WAN_IP4/24" "$ROUTER_WAN_IP6/64"
	nsx "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
	netns_create "$NS_CLIENT"
	[ "$NETNS_IPV6" = 1 ] || netns_disable_ipv6 "$NS_CLIENT"
	netns_veth "$NS_ROUTER" eth1 "$NS_CLIENT" eth0
	ip -n "$NS_ROUTER" link set dev eth1 mtu "$NETNS_ROUTER_MTU"
	ip -n "$NS_ROUTER" addr add "$ROUTER_CLIENT_IP4/24" dev eth1
	ip -n "$NS_CLIENT" addr add "$CLIENT_IP4/24" dev eth0
	ip -n "$NS_CLIENT" route add default via "$ROUTER_CLIENT_IP4"
	if [ "$NETNS_IPV6" = 1 ]; then
		ip -n "$NS_ROUTER" addr add "$ROUTER_CLIENT_IP6/64" dev eth1 nodad
		ip -n "$NS_CLIENT" addr add "$CLIENT_IP6/64" dev eth0 nodad
		ip -n "$NS_CLIENT" -6 route add default via "$ROUTER_CLIENT_IP6"
	fi
}

# (Re)create the server's default routes via the router. Deleting a route
# also deletes the path MTUs the server learned through it.
netns_server_default_route() {
	ip -n "$NS_SERVER" route del default 2>/dev/null || true
	ip -n "$NS_SERVER" route add default via "$ROUTER_WAN_IP4"
	if [ "$NETNS_IPV6" = 1 ]; then
		ip -n "$NS_SERVER" -6 route del default 2>/dev/null || true
		ip -n "$NS_SERVER" -6 route add default via "$ROUTER_WAN_IP6"
	fi
}

# Pin each end's neighbour entry so no ARP/ND crosses the proxy while counting.
netns_static_neigh() {
	local cmac smac
	cmac=$(netns_mac "$NS_CLIENT" eth0)
	smac=$(netns_mac "$NS_SERVER" eth0)
	ip -n "$NS_CLIENT" neigh replace "$SERVER_IP4" lladdr "$smac" nud permanent dev eth0
	ip -n "$NS_SERVER" neigh replace "$CLIENT_IP4" lladdr "$cmac" nud permanent dev eth0
}

# Start a helper in a namespace, in the background, bounded in time, tracked
# for cleanup. usage: netns_bg NAME NS SECONDS cmd...   (log: $NETNS_LOGDIR/NAME.log)
# Sets NETNS_BG_PID.
netns_bg() {
	local name=$1 ns=$2 t=$3
	shift 3
	_netns_logdir
	timeout -k 5 "$t" ip netns exec "$ns" "$@" >"$NETNS_LOGDIR/$name.log" 2>&1 </dev/null &
	NETNS_BG_PID=$!
	NETNS_PIDS+=("$NETNS_BG_PID")
}

# Wait until a TCP port listens in a namespace: netns_wait_listen NS PORT [SECONDS]
netns_wait_listen() {
	local ns=$1 port=$2 t=${3:-10} i
	for ((i = 0; i < t * 10; i++)); do
		if nsx "$ns" ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
	done
	netns_die "nothing listens on port $port in $ns after ${t}s"
}

# ---- the proxy -----------------------------------------------------------------

# EAL memory: af_packet needs no hugepages. dpdk-dumpcap (a secondary process)
# can only attach to a primary that runs on hugepages, so "auto" uses them
# when enough are free and mounted. Sets PROXY_MEM_MODE.
_proxy_mem_mode() {
	PROXY_MEM_MODE=$PROXY_MEM
	if [ "$PROXY_MEM_MODE" = auto ]; then
		local free size
		free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
		size=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
		if [ $(( ${free:-0} * ${size:-0} )) -ge $((600 * 1024)) ] &&
			grep -q hugetlbfs /proc/mounts; then
			PROXY_MEM_MODE=huge
		else
			PROXY_MEM_MODE=nohuge
		fi
	fi
}

# The EAL arguments for the topology: proxy_eal_args WORKERS -> PROXY_EAL array.
# lcores: main + one worker per queue. On a box with no more CPUs than workers
# the lcores float over all CPUs (slow but correct) instead of failing EAL init.
proxy_eal_args() {
	local workers=$1 ncpu
	ncpu=$(nproc)
	if [ "$ncpu" -gt "$workers" ]; then
		PROXY_EAL=(-l "0-$workers")
	else
		PROXY_EAL=("--lcores=(0-$workers)@(0-$((ncpu - 1)))")
	fi
	_proxy_mem_mode
	if [ "$PROXY_MEM_MODE" = huge ]; then
		PROXY_EAL+=(-m 512)
	else
		PROXY_EAL+=(--no-huge -m 512)
	fi
	PROXY_EAL+=(--file-prefix="$PROXY_FILE_PREFIX" --no-pci
		"--vdev=net_af_packet0,iface=$PROXY_LAN_IF,qpairs=$workers"
		"--vdev=net_af_packet1,iface=$PROXY_WAN_IF,qpairs=$workers")
}

# Start dpdk-synproxy in the proxy namespace, in the background.
# usage: proxy_start WORKERS [proxy options after "--"...]
proxy_start() {
	local workers=$1
	shift
	[ -x "$PROXY_BIN" ] || netns_die "proxy binary '$PROXY_BIN' not found or not executable"
	_netns_logdir
	proxy_eal_args "$workers"
	PROXY_LOG=$NETNS_LOGDIR/proxy.log
	# A restart must not see the previous instance's "forwarding started":
	# keep the old log aside and start the new one empty, synchronously.
	if [ -s "$PROXY_LOG" ]; then
		mv "$PROXY_LOG" "$PROXY_LOG.$(date +%s%N)"
	fi
	: >"$PROXY_LOG"
	netns_log "starting: $PROXY_BIN ${PROXY_EAL[*]} -- $*"
	if [ "$PROXY_TIMEOUT" = 0 ]; then
		ip netns exec "$NS_PROXY" "$PROXY_BIN" "${PROXY_EAL[@]}" -- "$@" \
			>>"$PROXY_LOG" 2>&1 </dev/null &
	else
		timeout -k 10 "$PROXY_TIMEOUT" ip netns exec "$NS_PROXY" \
			"$PROXY_BIN" "${PROXY_EAL[@]}" -- "$@" >>"$PROXY_LOG" 2>&1 </dev/null &
	fi
	PROXY_PID=$!
	NETNS_PIDS+=("$PROXY_PID")
}

# Wait for the "forwarding started" line; fail with the log if the proxy dies.
proxy_wait_started() {
	local t=${1:-60} i
	for ((i = 0; i < t * 10; i++)); do
		if grep -q 'forwarding started' "$PROXY_LOG" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$PROXY_PID" 2>/dev/null; then
			cat "$PROXY_LOG" >&2 || true
			netns_die "dpdk-synproxy exited during startup (log above)"
		fi
		sleep 0.1
	done
	cat "$PROXY_LOG" >&2 || true
	netns_die "dpdk-synproxy did not print 'forwarding started' within ${t}s (log above)"
}

# Stop the proxy with a signal and collect its exit code in PROXY_RC.
# usage: proxy_stop [SIGNAL] [SECONDS]
proxy_stop() {
	local sig=${1:-TERM} t=${2:-20} i
	PROXY_RC=
	[ -n "$PROXY_PID" ] || return 0
	kill -"$sig" "$PROXY_PID" 2>/dev/null || true
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$PROXY_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$PROXY_PID" 2>/dev/null; then
		kill -KILL "$PROXY_PID" 2>/dev/null || true
		PROXY_RC=timeout
	fi
	local rc=0
	wait "$PROXY_PID" 2>/dev/null || rc=$?
	[ -n "$PROXY_RC" ] || PROXY_RC=$rc
	_netns_forget_pid "$PROXY_PID"
	PROXY_PID=
}

_netns_forget_pid() {
	local p keep=()
	for p in "${NETNS_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	NETNS_PIDS=("${keep[@]}")
}

# Telemetry of the running proxy: telemetry CMD... (JSON on stdout).
telemetry() {
	timeout 10 python3 "$NETNS_SCRIPTS_DIR/telemetry.py" -f "$PROXY_FILE_PREFIX" "$@"
}

# ---- spoofed floods (trafgen) ----------------------------------------------------
#
# Floods come from trafgen (netsniff-ng): frames built byte by byte from a
# small config, source address and port, ISN or ACK number randomized per
# frame at run time, IPv4 and TCP checksums recomputed for each one, so the
# proxy sees valid segments it has to judge on their merit. Sources stay
# inside 198.19.0.0/16 (the upper half of the benchmarking range
# 198.18.0.0/15), away from the real client's 198.18.0.0/24: a flood
# never claims a real host's address, and the per-/24 rate limit of the
# client's prefix is left alone. trafgen runs on one CPU (-P 1), paced
# (-b, its sendto path), leaves the host's socket-memory sysctls and IRQ
# affinities alone (only the long options exist in 0.6.8), and is bounded
# in count (-n) and, through netns_bg, in time.

# Write a trafgen config: netns_flood_conf FILE syn|ack SRC_MAC DST_MAC DST_IP DST_PORT
# syn: SYN with an MSS option (what a SYN flood tool sends);
# ack: bare ACK with a random sequence and acknowledgment number (a forged
#      cookie ACK: no flow exists for it).
netns_flood_conf() {
	local file=$1 kind=$2 smac=$3 dmac=$4 dip=$5 dport=$6 flags hl opts ack
	case $kind in
	syn) flags=0x002 hl=6 opts='0x02, 0x04, c16(1460),' ack='c32(0)' ;;
	ack) flags=0x010 hl=5 opts='' ack='drnd(4)' ;;
	*) netns_die "netns_flood_conf: kind must be syn or ack, not '$kind'" ;;
	esac
	local iplen=$((20 + hl * 4))
	{
		echo "/* $kind flood: 198.19.0.0/16 -> $dip:$dport (generated by netns_flood_conf) */"
		echo "{"
		echo "  $(echo "$dmac" | sed 's/^/0x/; s/:/, 0x/g'),"
		echo "  $(echo "$smac" | sed 's/^/0x/; s/:/, 0x/g'),"
		echo "  c16(0x0800),"
		echo "  0x45, 0, c16($iplen), drnd(2), 0x40, 0, 64, 6, csumip(14, 33),"
		echo "  198, 19, drnd(2),"
		echo "  $(echo "$dip" | tr '.' ','),"
		echo "  drnd(2), c16($dport), drnd(4), $ack,"
		echo "  c16(($hl << 12) | $flags), c16(64240), csumtcp(14, 34), c16(0),"
		[ -z "$opts" ] || echo "  $opts"
		echo "}"
	} >"$file"
}

# Start a bounded flood from a WAN host in the background (tracked for
# cleanup, log in $NETNS_LOGDIR/NAME.log; NETNS_BG_PID is its pid):
# netns_flood NAME NS syn|ack COUNT RATE_PPS DST_IP DST_PORT [SECONDS]
# The frames go to the server's MAC, as a router would send them.
netns_flood() {
	local name=$1 ns=$2 kind=$3 count=$4 rate=$5 dip=$6 dport=$7 t=${8:-60}
	command -v trafgen >/dev/null || netns_die "missing 'trafgen' (package netsniff-ng): run scripts/install-deps.sh"
	_netns_logdir
	local conf=$NETNS_LOGDIR/$name.trafgen
	netns_flood_conf "$conf" "$kind" "$(netns_mac "$ns" eth0)" "$(netns_mac "$NS_SERVER" eth0)" "$dip" "$dport"
	netns_bg "$name" "$ns" "$t" trafgen -o eth0 -i "$conf" -n "$count" -b "${rate}pps" -P 1 \
		--no-sock-mem --notouch-irq --no-cpu-stats
}

# ---- teardown ------------------------------------------------------------------

netns_cleanup() {
	local rc=$?
	[ -z "$_NETNS_CLEANED" ] || return 0
	_NETNS_CLEANED=1
	set +e
	local p ns i
	# The proxy first, politely, so it prints its totals into its log.
	if [ -n "$PROXY_PID" ] && kill -0 "$PROXY_PID" 2>/dev/null; then
		kill -TERM "$PROXY_PID" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$PROXY_PID" 2>/dev/null || break
			sleep 0.1
		done
	fi
	for p in "${NETNS_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for ((i = 0; i < 30; i++)); do
		local alive=0
		for p in "${NETNS_PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ $alive = 1 ] || break
		sleep 0.1
	done
	for p in "${NETNS_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# Anything else still running inside our namespaces was started by us too.
	for ns in "${NETNS_CREATED[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	done
	for ns in "${NETNS_CREATED[@]}"; do
		for ((i = 0; i < 20; i++)); do
			[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
			sleep 0.1
		done
		ip netns del "$ns" 2>/dev/null
	done
	NETNS_CREATED=()
	# DPDK runtime files of this run's file prefix (sockets, shared config,
	# hugepage files if a killed proxy left them).
	if [ -n "$PROXY_FILE_PREFIX" ]; then
		rm -rf "/var/run/dpdk/$PROXY_FILE_PREFIX"
		rm -f /dev/hugepages/"$PROXY_FILE_PREFIX"map_* 2>/dev/null
	fi
	if [ -n "${NETNS_SHOW_TOTALS:-}" ] && [ -n "$PROXY_LOG" ] && grep -q 'totals' "$PROXY_LOG" 2>/dev/null; then
		echo "dpdk-synproxy stopped:"
		grep 'totals' "$PROXY_LOG" | fold -s -w 100 | sed 's/^/    /'
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] && [ -n "$PROXY_LOG" ] && [ -s "$PROXY_LOG" ]; then
		echo "---- proxy log (last 40 lines) ----" >&2
		tail -n 40 "$PROXY_LOG" >&2
	fi
	if [ -n "${_NETNS_OWN_LOGDIR:-}" ] && [ -z "${KEEP_LOGS:-}" ]; then
		rm -rf "$NETNS_LOGDIR"
	fi
	return "$rc"
}

# Cleanup on every way out; INT/TERM turn into an exit so EXIT runs it once.
netns_install_trap() {
	trap netns_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

NETNS_SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
