#!/usr/bin/env bash
# deploy.sh - scripts/deploy.sh without touching a real NIC: "status" works
# on this machine; binding a device that does not exist, an interface that is
# not PCI, or the interface carrying the default route (without --force)
# fails cleanly and changes nothing; and the whole bind -> status -> unbind
# cycle runs against a fake sysfs tree with a fake dpdk-devbind.py that
# records its calls, checking the state file remembers each device's original
# driver and unbind gives back exactly that driver. The service's steps too:
# "prepare --config" binds the config's PCI ports and reserves hugepages only
# when fewer are there (fake dpdk-hugepages.py and /proc), refuses a config
# that fails --check; "run --config" execs the proxy with the EAL line.
source "$(dirname "$0")/lib.sh"

DEPLOY=$REPO_DIR/scripts/deploy.sh
_netns_logdir
T=$NETNS_LOGDIR/deploy
mkdir -p "$T/state"
export DEPLOY_STATE_DIR=$T/state

run() { # out-file args...
	local out=$1
	shift
	RC=0
	timeout 60 bash "$DEPLOY" "$@" >"$out" 2>&1 || RC=$?
}

run "$T/status.out" --status
assert_eq "deploy.sh --status exit code" 0 "$RC"
assert_contains "--status" "Network devices" "$T/status.out"
assert_contains "--status" "Hugepages" "$T/status.out"

run "$T/nodev.out" bind 0000:99:1f.7
[ "$RC" -ne 0 ] || e2e_fail "binding a nonexistent PCI device succeeded"
assert_contains "bind of a nonexistent PCI device" "no PCI device 0000:99:1f.7" "$T/nodev.out"
run "$T/noif.out" bind "nosuch$$"
[ "$RC" -ne 0 ] || e2e_fail "binding a nonexistent interface succeeded"
assert_contains "bind of a nonexistent interface" "nosuch$$" "$T/noif.out"
run "$T/lo.out" bind lo
[ "$RC" -ne 0 ] || e2e_fail "binding lo succeeded"
assert_contains "bind of lo" "not a PCI device" "$T/lo.out"
run "$T/junk.out" bind 'foo;bar'
[ "$RC" -ne 0 ] || e2e_fail "binding junk succeeded"
[ ! -s "$T/state/bound-devices" ] || e2e_fail "a failed bind wrote the state file"

# The interface of the default route, if it is a PCI NIC, must be refused.
dev=$(ip route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')
if [ -n "$dev" ] && [ -e "/sys/class/net/$dev/device" ]; then
	run "$T/busy.out" bind "$dev"
	[ "$RC" -ne 0 ] || e2e_fail "deploy.sh bound the default-route interface $dev"
	assert_contains "bind of the in-use $dev" "in use" "$T/busy.out"
	assert_contains "bind of the in-use $dev" "--force" "$T/busy.out"
	ip -o link show dev "$dev" | grep -q '[<,]UP[,>]' || e2e_fail "$dev is no longer up"
else
	e2e_log "no PCI default-route interface here: in-use refusal not exercised"
fi

# ---- the full cycle on a fake sysfs ----
F=$T/sys
P=$F/bus/pci
for drv in ixgbe i40e vfio-pci; do mkdir -p "$P/drivers/$drv"; done
mkdir -p "$F/kernel/iommu_groups/7" "$F/class/net"
fake_nic() { # pci driver iface
	mkdir -p "$P/devices/$1/net/$3" "$F/class/net/$3"
	ln -s "$P/drivers/$2" "$P/devices/$1/driver"
	ln -s "$P/devices/$1" "$F/class/net/$3/device"
}
IF0="spt$$a" IF1="spt$$b"
fake_nic 0000:05:00.0 ixgbe "$IF0"
fake_nic 0000:05:00.1 i40e "$IF1"
mkdir -p "$P/devices/0000:06:00.0"            # a function with no driver
cat >"$T/devbind" <<FAKE
#!/usr/bin/env bash
# fake dpdk-devbind.py: logs the call and moves the fake driver link
echo "\$*" >>"$T/devbind.log"
case \$1 in
-b) rm -f "$P/devices/\$3/driver"; ln -s "$P/drivers/\$2" "$P/devices/\$3/driver" ;;
-u) rm -f "$P/devices/\$2/driver" ;;
--status-dev) echo "Network devices using DPDK-compatible driver (fake)" ;;
esac
FAKE
chmod +x "$T/devbind"
export DEPLOY_SYSFS=$F DEVBIND=$T/devbind

run "$T/bind.out" bind "$IF0" 05:00.1 0000:06:00.0
[ "$RC" -eq 0 ] || { cat "$T/bind.out" >&2; e2e_fail "fake bind failed"; }
assert_eq "devbind calls" "-b vfio-pci 0000:05:00.0|-b vfio-pci 0000:05:00.1|-b vfio-pci 0000:06:00.0" \
	"$(paste -sd'|' "$T/devbind.log")"
assert_eq "state file" "0000:05:00.0 ixgbe $IF0|0000:05:00.1 i40e $IF1|0000:06:00.0 none -" \
	"$(paste -sd'|' "$T/state/bound-devices")"
assert_contains "EAL line after bind" "-a 0000:05:00.0 -a 0000:05:00.1 -a 0000:06:00.0 --file-prefix synproxy" "$T/bind.out"

# Binding again keeps the original driver on record.
: >"$T/devbind.log"
run "$T/bind2.out" bind 0000:05:00.0
assert_eq "second bind exit code" 0 "$RC"
assert_contains "second bind" "already bound to vfio-pci" "$T/bind2.out"
assert_eq "no devbind call for an already bound device" "" "$(cat "$T/devbind.log")"

run "$T/status2.out" status
assert_contains "status lists what deploy.sh bound" "0000:05:00.1 i40e $IF1" "$T/status2.out"

# Unbind one, then the rest: each gets its own driver back.
run "$T/unbind1.out" unbind 0000:05:00.1
assert_eq "unbind one exit code" 0 "$RC"
assert_eq "driver of 05:00.1 after unbind" i40e "$(basename "$(readlink "$P/devices/0000:05:00.1/driver")")"
run "$T/unbind.out" unbind
assert_eq "unbind all exit code" 0 "$RC"
assert_eq "driver of 05:00.0 after unbind" ixgbe "$(basename "$(readlink "$P/devices/0000:05:00.0/driver")")"
[ ! -e "$P/devices/0000:06:00.0/driver" ] || e2e_fail "06:00.0 had no driver but got one back"
assert_eq "state file after unbind" "" "$(cat "$T/state/bound-devices")"
run "$T/unbind3.out" unbind 0000:05:00.0
[ "$RC" -ne 0 ] || e2e_fail "unbinding a device deploy.sh did not bind succeeded"
assert_contains "unbind of an unknown device" "not bound by deploy.sh" "$T/unbind3.out"

# ---- prepare and run, the service's steps, from a config naming the fake ports ----
mkdir -p "$T/proc"
export DEPLOY_PROC=$T/proc HUGEPAGES_PY=$T/hugepages SYNPROXY_BIN=$PROXY_BIN
printf 'Hugepagesize:       2048 kB\nHugePages_Total:       0\n' >"$T/proc/meminfo"
echo "proc /proc proc rw 0 0" >"$T/proc/mounts"
cat >"$T/hugepages" <<FAKE
#!/usr/bin/env bash
echo "\$*" >>"$T/hugepages.log"
FAKE
chmod +x "$T/hugepages"
cat >"$T/svc.json" <<'JSON'
{ "ports": [ { "name": "0000:05:00.0", "role": "lan" }, { "name": "0000:05:00.1", "role": "wan" } ] }
JSON
: >"$T/devbind.log"
run "$T/prepare.out" prepare --config "$T/svc.json"
[ "$RC" -eq 0 ] || { cat "$T/prepare.out" >&2; e2e_fail "prepare failed"; }
assert_eq "prepare: devbind calls" "-b vfio-pci 0000:05:00.0|-b vfio-pci 0000:05:00.1" \
	"$(paste -sd'|' "$T/devbind.log")"
assert_eq "prepare: hugepage calls (none reserved, none mounted)" "--reserve 1G|--mount" \
	"$(paste -sd'|' "$T/hugepages.log")"
assert_eq "prepare: state file" "0000:05:00.0 ixgbe $IF0|0000:05:00.1 i40e $IF1" \
	"$(paste -sd'|' "$T/state/bound-devices")"
# Again, with 1G reserved and hugetlbfs mounted: nothing to do, and says so.
: >"$T/devbind.log"
: >"$T/hugepages.log"
printf 'Hugepagesize:       2048 kB\nHugePages_Total:     512\n' >"$T/proc/meminfo"
echo "hugetlbfs /dev/hugepages hugetlbfs rw 0 0" >>"$T/proc/mounts"
run "$T/prepare2.out" prepare --config "$T/svc.json"
assert_eq "second prepare exit code" 0 "$RC"
assert_eq "second prepare: no devbind call" "" "$(cat "$T/devbind.log")"
assert_eq "second prepare: no hugepage call" "" "$(cat "$T/hugepages.log")"
assert_contains "second prepare" "already bound to vfio-pci" "$T/prepare2.out"
SYNPROXY_HUGEPAGES=2G run "$T/prepare3.out" prepare --config "$T/svc.json"
assert_eq "prepare with more hugepages wanted" "--reserve 2G" "$(cat "$T/hugepages.log")"
# A config that does not pass --check binds nothing.
echo '{ "ports": [ { "name": "0000:05:00.0", "role": "lan" } ] }' >"$T/bad.json"
: >"$T/devbind.log"
run "$T/prepare4.out" prepare --config "$T/bad.json"
[ "$RC" -ne 0 ] || e2e_fail "prepare accepted a bad config"
assert_contains "prepare with a bad config" "does not pass --check" "$T/prepare4.out"
assert_contains "prepare with a bad config" '$.ports' "$T/prepare4.out"
assert_eq "prepare with a bad config: no devbind call" "" "$(cat "$T/devbind.log")"
run "$T/prepare5.out" prepare
[ "$RC" -ne 0 ] || e2e_fail "prepare without --config succeeded"
assert_contains "prepare without --config" "needs --config" "$T/prepare5.out"
# run execs the proxy with the EAL line from the config (a wrapper records it).
cat >"$T/fakebin" <<FAKE
#!/usr/bin/env bash
case " \$* " in *" --check "*) exec "$PROXY_BIN" "\$@" ;; esac
echo "\$*" >"$T/run.args"
FAKE
chmod +x "$T/fakebin"
SYNPROXY_BIN=$T/fakebin SYNPROXY_LCORES=0-3 SYNPROXY_EAL_ARGS="--no-huge -m 64" \
	run "$T/run.out" run --config "$T/svc.json"
assert_eq "run exit code" 0 "$RC"
assert_eq "run: the proxy's arguments" \
	"-l 0-3 --file-prefix synproxy -a 0000:05:00.0 -a 0000:05:00.1 --no-huge -m 64 -- --config $T/svc.json" \
	"$(cat "$T/run.args")"
# run --restore adds --restore only when the config's state file exists.
python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c.setdefault("synproxy", {})["state_file"] = sys.argv[2]; json.dump(c, open(sys.argv[3], "w"))' \
	"$T/svc.json" "$T/proxy.state" "$T/svc-state.json"
rm -f "$T/proxy.state" "$T/run.args"
SYNPROXY_BIN=$T/fakebin SYNPROXY_LCORES=0-3 run "$T/run2.out" run --restore --config "$T/svc-state.json"
assert_eq "run --restore without a state file: exit code" 0 "$RC"
assert_eq "run --restore without a state file: no --restore" \
	"-l 0-3 --file-prefix synproxy -a 0000:05:00.0 -a 0000:05:00.1 -- --config $T/svc-state.json" \
	"$(cat "$T/run.args")"
assert_contains "run --restore without a state file" "no state file $T/proxy.state to restore" "$T/run2.out"
install -m 600 /dev/null "$T/proxy.state"
SYNPROXY_BIN=$T/fakebin SYNPROXY_LCORES=0-3 run "$T/run3.out" run --restore --config "$T/svc-state.json"
assert_eq "run --restore with a state file: --restore passed" \
	"-l 0-3 --file-prefix synproxy -a 0000:05:00.0 -a 0000:05:00.1 -- --config $T/svc-state.json --restore" \
	"$(cat "$T/run.args")"
run "$T/unbind4.out" unbind
assert_eq "unbind after prepare" 0 "$RC"
e2e_pass
