#!/usr/bin/env bash
# deploy.sh - prepare a bare-metal box for dpdk-synproxy: bind the two NIC
# ports to vfio-pci, reserve hugepages, and print the EAL line to run with.
#
#   deploy.sh [--force] bind IFACE|PCI...   bind to vfio-pci (remembering the old driver)
#   deploy.sh unbind [PCI...]               give devices back to their old driver (default: all)
#   deploy.sh status                        (or --status) NICs, drivers, hugepages, what we bound
#   deploy.sh hugepages [SIZE|--show|--clear]  reserve and mount hugepages (default 1G;
#                                           a bare number is a count of default-size pages)
#   deploy.sh eal [--workers N]             print the EAL line for the bound devices
#   deploy.sh prepare --config FILE         what the service does before starting: hugepages
#                                           (SYNPROXY_HUGEPAGES, default 1G) if fewer are
#                                           reserved, and bind the config's PCI ports
#   deploy.sh run --config FILE             exec dpdk-synproxy on the config's PCI ports:
#                                           -l SYNPROXY_LCORES (default 0-N, N = CPUs - 1, <= 8),
#                                           --file-prefix SYNPROXY_FILE_PREFIX (synproxy),
#                                           SYNPROXY_EAL_ARGS; the binary is SYNPROXY_BIN or
#                                           dpdk-synproxy from PATH or this tree's build/
#   deploy.sh run --restore --config FILE   the same, and take over the connections of the
#                                           previous process: adds --restore when the config
#                                           names a synproxy.state_file and that file exists
#
# bind refuses an interface that is up, has addresses or routes (it is likely
# carrying traffic, maybe your SSH session) unless --force, which takes it down
# first. Which kernel driver each device had is recorded in
# /var/lib/dpdk-synproxy/bound-devices, so unbind restores exactly that.
# Uses dpdk-devbind.py and dpdk-hugepages.py from the dpdk package.
set -euo pipefail

STATE_DIR=${DEPLOY_STATE_DIR:-/var/lib/dpdk-synproxy}
STATE=$STATE_DIR/bound-devices
DEVBIND=${DEVBIND:-dpdk-devbind.py}
HUGEPAGES=${HUGEPAGES_PY:-dpdk-hugepages.py}
SYSFS=${DEPLOY_SYSFS:-/sys}      # the tests point this at a fake tree
PROC=${DEPLOY_PROC:-/proc}       # likewise (meminfo, mounts)
FORCE=0
RESTORE=0
WORKERS=
CONFIG=

die() { echo "deploy.sh: error: $*" >&2; exit 1; }
note() { echo "deploy.sh: $*"; }
need_root() { [ "$(id -u)" -eq 0 ] || die "'$1' needs root: sudo $0 $1 ..."; }
need_tool() { command -v "$1" >/dev/null || die "'$1' not found: install the dpdk package (scripts/install-deps.sh)"; }

usage() { sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d'; }

# IFACE or PCI address (short forms 03:00.0 accepted) -> full PCI address.
resolve() {
	local a=$1 pci
	if [[ $a =~ ^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]]; then
		pci=${a,,}
		[[ $pci == ????:* ]] || pci=0000:$pci
		[ -e "$SYSFS/bus/pci/devices/$pci" ] || die "no PCI device $pci on this machine (see: $0 status)"
		echo "$pci"
		return
	fi
	[ -e "$SYSFS/class/net/$a" ] || die "'$a' is neither a network interface nor a PCI address (see: $0 status)"
	pci=$(readlink -f "$SYSFS/class/net/$a/device" 2>/dev/null || true)
	# virtio-net hangs its netdev one level below the PCI function
	[[ -z $pci || $(basename "$pci") =~ ^[0-9a-f]{4}: ]] || pci=$(dirname "$pci")
	[[ -n $pci && $(basename "$pci") =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] ||
		die "interface '$a' is not a PCI device (virtual or USB?): DPDK cannot bind it"
	basename "$pci"
}

driver_of() {
	local d=$SYSFS/bus/pci/devices/$1/driver
	if [ -e "$d" ]; then basename "$(readlink -f "$d")"; else echo none; fi
}

ifaces_of() { # the kernel netdevs of a PCI function (virtio: one level down)
	local d
	for d in "$SYSFS"/bus/pci/devices/"$1"/net/* "$SYSFS"/bus/pci/devices/"$1"/*/net/*; do
		[ -e "$d" ] && basename "$d"
	done
	return 0
}

# Why an interface looks in use ("" when it does not).
in_use() {
	local ifc=$1 why=()
	ip -o link show dev "$ifc" 2>/dev/null | grep -q '[<,]UP[,>]' && why+=("up")
	[ -n "$(ip -o addr show dev "$ifc" 2>/dev/null)" ] && why+=("has addresses")
	[ -n "$(ip route show dev "$ifc" 2>/dev/null; ip -6 route show dev "$ifc" 2>/dev/null | grep -v '^fe80::/64\|^multicast')" ] &&
		why+=("has routes")
	local IFS=,
	echo "${why[*]:-}" | sed 's/,/, /g'
}

state_get() { [ -f "$STATE" ] && awk -v p="$1" '$1 == p {print $2}' "$STATE" || true; }
state_put() { # pci driver iface
	mkdir -p "$STATE_DIR"
	{ [ -f "$STATE" ] && awk -v p="$1" '$1 != p' "$STATE"; echo "$1 $2 $3"; } >"$STATE.new"
	mv "$STATE.new" "$STATE"
}
state_del() {
	[ -f "$STATE" ] || return 0
	awk -v p="$1" '$1 != p' "$STATE" >"$STATE.new"
	mv "$STATE.new" "$STATE"
}

cmd_bind() {
	need_root bind
	need_tool "$DEVBIND"
	[ $# -gt 0 ] || die "bind what? give interface names or PCI addresses"
	local a pci drv ifc why devs=()
	# Check everything first: a refusal must leave every device untouched.
	for a in "$@"; do
		pci=$(resolve "$a")
		drv=$(driver_of "$pci")
		for ifc in $(ifaces_of "$pci"); do
			why=$(in_use "$ifc")
			if [ -n "$why" ] && [ $FORCE = 0 ]; then
				die "$pci ($ifc) is in use: $why. Binding it to vfio-pci takes it away from the kernel (and whatever runs over it). Re-run with --force if you are sure."
			fi
		done
		devs+=("$pci")
	done
	if [ -z "$(ls "$SYSFS/kernel/iommu_groups" 2>/dev/null)" ]; then
		note "warning: no IOMMU groups: enable VT-d/AMD-Vi (intel_iommu=on iommu=pt) or, without an IOMMU, run: modprobe vfio enable_unsafe_noiommu_mode=1"
	fi
	modprobe vfio-pci 2>/dev/null || [ -d "$SYSFS/bus/pci/drivers/vfio-pci" ] ||
		die "cannot load the vfio-pci module (modprobe vfio-pci failed)"
	for pci in "${devs[@]}"; do
		drv=$(driver_of "$pci")
		if [ "$drv" = vfio-pci ]; then
			note "$pci is already bound to vfio-pci"
			continue
		fi
		ifc=$(ifaces_of "$pci" | head -n 1)
		if [ -n "$ifc" ]; then
			ip link set dev "$ifc" down 2>/dev/null || true
		fi
		# Keep the first recorded driver if a device is bound twice.
		[ -n "$(state_get "$pci")" ] || state_put "$pci" "$drv" "${ifc:--}"
		"$DEVBIND" -b vfio-pci "$pci" || die "dpdk-devbind.py could not bind $pci (was $drv)"
		note "$pci: $drv${ifc:+ ($ifc)} -> vfio-pci"
	done
	[ -n "$CONFIG" ] || cmd_eal   # prepare: the service runs the proxy itself
}

cmd_unbind() {
	need_root unbind
	need_tool "$DEVBIND"
	local pci drv devs=()
	if [ $# -gt 0 ]; then
		for pci in "$@"; do devs+=("$(resolve "$pci")"); done
	elif [ -s "$STATE" ]; then
		mapfile -t devs < <(awk '{print $1}' "$STATE")
	else
		note "nothing recorded in $STATE: nothing to unbind"
		return 0
	fi
	for pci in "${devs[@]}"; do
		drv=$(state_get "$pci")
		[ -n "$drv" ] || die "$pci was not bound by deploy.sh (not in $STATE); use dpdk-devbind.py directly"
		[ -e "$SYSFS/bus/pci/devices/$pci" ] || { note "$pci is gone; forgetting it"; state_del "$pci"; continue; }
		if [ "$drv" = none ]; then
			"$DEVBIND" -u "$pci" || die "could not unbind $pci"
		else
			modprobe "$drv" 2>/dev/null || true
			"$DEVBIND" -b "$drv" "$pci" || die "could not give $pci back to $drv"
		fi
		state_del "$pci"
		note "$pci -> $drv $(ifaces_of "$pci" | tr '\n' ' ')"
	done
}

cmd_status() {
	need_tool "$DEVBIND"
	# (lspci inside dpdk-devbind.py may complain about libkmod: noise)
	"$DEVBIND" --status-dev net 2> >(grep -v libkmod >&2) || true
	echo
	if [ -s "$STATE" ]; then
		echo "Bound by deploy.sh (PCI, original driver, interface) in $STATE:"
		sed 's/^/    /' "$STATE"
	else
		echo "Bound by deploy.sh: nothing ($STATE is empty or missing)"
	fi
	echo
	echo "Hugepages:"
	if command -v "$HUGEPAGES" >/dev/null; then
		"$HUGEPAGES" --show 2>&1 | sed 's/^/    /' || true
	else
		grep -i '^huge' /proc/meminfo | sed 's/^/    /'
	fi
}

cmd_hugepages() {
	local arg=${1:-1G} size
	need_tool "$HUGEPAGES"
	if [ "$arg" = --show ]; then
		"$HUGEPAGES" --show
		return
	fi
	need_root hugepages
	if [ "$arg" = --clear ]; then
		"$HUGEPAGES" --clear --unmount || die "dpdk-hugepages.py --clear failed (pages still in use?)"
		"$HUGEPAGES" --show
		return
	fi
	if [[ $arg =~ ^[0-9]+$ ]]; then
		size=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
		arg="$((arg * size))K"
	fi
	[[ $arg =~ ^[0-9]+[KMGkmg]$ ]] || die "hugepages: SIZE like 512M or 2G, or a page count; got '$1'"
	"$HUGEPAGES" --setup "$arg" || die "dpdk-hugepages.py --setup $arg failed (enough free memory?)"
	"$HUGEPAGES" --show
}

cmd_eal() {
	local n=${WORKERS:-} pcis
	if [ -z "$n" ]; then
		n=$(($(nproc) - 1))
		[ "$n" -ge 1 ] || n=1
		[ "$n" -le 8 ] || n=8
	fi
	pcis=$( [ -f "$STATE" ] && awk '{printf " -a %s", $1}' "$STATE" || true)
	if [ -z "$pcis" ]; then
		note "no devices bound by deploy.sh yet; the EAL line would be:"
		pcis=" -a <lan PCI> -a <wan PCI>"
	fi
	echo
	echo "EAL line (main lcore 0 + $n workers; name the same PCI addresses in the config's \"ports\"):"
	echo "    dpdk-synproxy -l 0-$n$pcis --file-prefix synproxy -- --config /path/to/baremetal.json"
	echo "Telemetry:  scripts/telemetry.py -f synproxy /synproxy/stats"
}

# ---- the service's two steps, driven by the JSON config ----

synproxy_bin() {
	local b=${SYNPROXY_BIN:-}
	[ -n "$b" ] || b=$(command -v dpdk-synproxy || true)
	[ -n "$b" ] || b=$(dirname "$0")/../build/src/dpdk-synproxy
	[ -x "$b" ] || die "dpdk-synproxy not found (set SYNPROXY_BIN, or install it)"
	echo "$b"
}

# The config's port names, one a line, as the proxy itself parses them (its
# --check validates the whole file and touches no device).
config_ports() {
	local bin out
	[ -n "$CONFIG" ] || die "'$cmd' needs --config FILE"
	bin=$(synproxy_bin)
	out=$("$bin" -- --config "$CONFIG" --check 2>&1) || die "the config does not pass --check: $out"
	python3 -c '
import json, sys
text = sys.stdin.read()
text = text[:text.rindex("\nconfig OK")]
for p in json.loads(text)["ports"]:
    print(p["name"])' <<<"$out" || die "cannot read the ports from the --check output of $CONFIG"
}

# The config's synproxy.state_file, or nothing.
config_state_file() {
	local bin out
	bin=$(synproxy_bin)
	out=$("$bin" -- --config "$CONFIG" --check 2>&1) || die "the config does not pass --check: $out"
	python3 -c '
import json, sys
text = sys.stdin.read()
text = text[:text.rindex("\nconfig OK")]
print(json.loads(text).get("synproxy", {}).get("state_file", ""))' <<<"$out" ||
		die "cannot read synproxy.state_file from the --check output of $CONFIG"
}

is_pci() { [[ $1 =~ ^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]]; }

# Reserve SIZE of hugepages unless at least that much is reserved, and mount.
ensure_hugepages() {
	local arg=$1 page_kb want_kb have
	page_kb=$(awk '/^Hugepagesize:/ {print $2}' "$PROC/meminfo")
	have=$(awk '/^HugePages_Total:/ {print $2}' "$PROC/meminfo")
	if [ -z "$page_kb" ] || [ -z "$have" ]; then
		die "no hugepage support in this kernel ($PROC/meminfo)"
	fi
	[[ $arg =~ ^([0-9]+)([KMGkmg])$ ]] || die "SYNPROXY_HUGEPAGES: a size like 512M or 2G; got '$arg'"
	case ${BASH_REMATCH[2],,} in
	k) want_kb=${BASH_REMATCH[1]} ;;
	m) want_kb=$((BASH_REMATCH[1] * 1024)) ;;
	g) want_kb=$((BASH_REMATCH[1] * 1024 * 1024)) ;;
	esac
	if [ $((have * page_kb)) -ge "$want_kb" ]; then
		note "hugepages: $have x ${page_kb} kB reserved, $arg wanted: enough"
	else
		need_tool "$HUGEPAGES"
		"$HUGEPAGES" --reserve "$arg" || die "dpdk-hugepages.py --reserve $arg failed (enough free memory?)"
		note "hugepages: reserved $arg"
	fi
	if ! awk '$3 == "hugetlbfs" {found = 1} END {exit !found}' "$PROC/mounts"; then
		need_tool "$HUGEPAGES"
		"$HUGEPAGES" --mount || die "dpdk-hugepages.py --mount failed"
	fi
}

cmd_prepare() {
	need_root prepare
	local names n pcis=()
	names=$(config_ports) || exit 1
	ensure_hugepages "${SYNPROXY_HUGEPAGES:-1G}"
	for n in $names; do
		if is_pci "$n"; then
			pcis+=("$n")
		else
			note "port $n is not a PCI address (a vdev?): nothing to bind"
		fi
	done
	[ ${#pcis[@]} -eq 0 ] || cmd_bind "${pcis[@]}"
}

cmd_run() {
	local names n bin workers state eal=() app=()
	names=$(config_ports) || exit 1
	bin=$(synproxy_bin)
	workers=$(($(nproc) - 1))
	[ "$workers" -ge 1 ] || workers=1
	[ "$workers" -le 8 ] || workers=8
	eal+=(-l "${SYNPROXY_LCORES:-0-$workers}" --file-prefix "${SYNPROXY_FILE_PREFIX:-synproxy}")
	for n in $names; do
		is_pci "$n" && eal+=(-a "$n")
	done
	# shellcheck disable=SC2206  # split on purpose: several EAL arguments
	[ -z "${SYNPROXY_EAL_ARGS:-}" ] || eal+=(${SYNPROXY_EAL_ARGS})
	app=(--config "$CONFIG")
	if [ "$RESTORE" = 1 ]; then
		state=$(config_state_file) || exit 1
		if [ -n "$state" ] && [ -f "$state" ]; then
			app+=(--restore)
		else
			note "no state file${state:+ $state} to restore: starting empty"
		fi
	fi
	note "exec $bin ${eal[*]} -- ${app[*]}"
	exec "$bin" "${eal[@]}" -- "${app[@]}"
}

[ $# -gt 0 ] || { usage; exit 2; }
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--force) FORCE=1 ;;
	--restore) RESTORE=1 ;;
	--workers) WORKERS=${2:?--workers needs a number}; shift ;;
	--config) CONFIG=${2:?--config needs a file}; shift ;;
	--status) args+=(status) ;;
	-h|--help) usage; exit 0 ;;
	*) args+=("$1") ;;
	esac
	shift
done
[ ${#args[@]} -gt 0 ] || { usage; exit 2; }
cmd=${args[0]}
set -- "${args[@]:1}"
case $cmd in
bind) cmd_bind "$@" ;;
unbind) cmd_unbind "$@" ;;
status) cmd_status ;;
hugepages) cmd_hugepages "$@" ;;
eal) cmd_eal ;;
prepare) cmd_prepare ;;
run) cmd_run ;;
*) usage >&2; die "unknown command '$cmd'" ;;
esac
