#!/usr/bin/env bash
# install.sh - "meson install --destdir" of this build into a temporary root:
# the binary (runs), the scripts (executable), the pristine samples, the
# config and defaults file under sysconfdir, and dpdk-synproxy.service with
# the installed paths. A second install keeps an edited config while the examples follow the source. The unit passes systemd-analyze
# verify (on a copy whose paths point into the temporary root, so the
# commands it names exist), and says what the service needs: prepare/run
# through deploy.sh, Restart=on-failure, unlimited memlock, the DPDK
# capabilities, and the handover: stop by SIGUSR2, start with --restore.
source "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$(dirname "$PROXY_BIN")")
[ -f "$BUILD/meson-private/install.dat" ] || e2e_fail "$BUILD is not a meson build directory"
_netns_logdir
T=$NETNS_LOGDIR/install
ROOT=$T/root
mkdir -p "$T"

opt() { # a meson option's value in this build
	meson introspect "$BUILD" --buildoptions |
		python3 -c 'import json, sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}[sys.argv[1]])' "$1"
}
under() { # absolute path of option $2 under prefix $1
	case $2 in /*) echo "$2" ;; *) echo "$1/$2" ;; esac
}
PREFIX=$(opt prefix)
BINDIR=$(under "$PREFIX" "$(opt bindir)")
SYSCONF=$(under "$PREFIX" "$(opt sysconfdir)")
SHARE=$(under "$PREFIX" "$(opt datadir)")/dpdk-synproxy
UNIT=$(meson introspect "$BUILD" --installed |
	python3 -c 'import json, sys; print(next(v for v in json.load(sys.stdin).values() if v.endswith("/dpdk-synproxy.service")))')
e2e_log "prefix $PREFIX, bindir $BINDIR, sysconfdir $SYSCONF, unit $UNIT"

install_root() { # out-file
	timeout 120 meson install -C "$BUILD" --no-rebuild --destdir "$ROOT" >"$1" 2>&1 ||
		{ cat "$1" >&2; e2e_fail "meson install failed"; }
}
install_root "$T/install1.out"

# ---- layout ----
for f in "$BINDIR/dpdk-synproxy" "$SHARE/scripts/deploy.sh" "$SHARE/scripts/telemetry.py"; do
	[ -x "$ROOT$f" ] || e2e_fail "$f not installed executable"
done
for f in "$SHARE/scripts/lib/netns.sh" "$SHARE/examples/baremetal.json" "$SHARE/examples/demo.json" \
	"$SHARE/examples/dpdk-synproxy.default" "$SYSCONF/default/dpdk-synproxy" "$UNIT"; do
	[ -f "$ROOT$f" ] || e2e_fail "$f not installed"
done
CONF=$SYSCONF/dpdk-synproxy/dpdk-synproxy.json
cmp -s "$ROOT$CONF" "$REPO_DIR/config/baremetal.json" || e2e_fail "$CONF is not config/baremetal.json"
assert_eq "mode of $CONF" 644 "$(stat -c %a "$ROOT$CONF")"
"$ROOT$BINDIR/dpdk-synproxy" --version >"$T/version.out" 2>&1 || e2e_fail "installed binary: --version failed"
assert_contains "installed binary" "dpdk-synproxy" "$T/version.out"
"$ROOT$BINDIR/dpdk-synproxy" -- --config "$ROOT$CONF" --check >"$T/check.out" 2>&1 ||
	{ cat "$T/check.out" >&2; e2e_fail "the installed config does not pass --check"; }
assert_contains "installed config --check" "config OK" "$T/check.out"

# ---- a second install keeps the operator's edits ----
echo "// edited by the operator" >>"$ROOT$CONF"
echo "SYNPROXY_LCORES=0-2" >>"$ROOT$SYSCONF/default/dpdk-synproxy"
sum_conf=$(sha256sum <"$ROOT$CONF")
sum_def=$(sha256sum <"$ROOT$SYSCONF/default/dpdk-synproxy")
echo "stale" >"$ROOT$SHARE/examples/baremetal.json"
install_root "$T/install2.out"
assert_eq "config after a reinstall" "$sum_conf" "$(sha256sum <"$ROOT$CONF")"
assert_eq "defaults file after a reinstall" "$sum_def" "$(sha256sum <"$ROOT$SYSCONF/default/dpdk-synproxy")"
cmp -s "$ROOT$SHARE/examples/baremetal.json" "$REPO_DIR/config/baremetal.json" ||
	e2e_fail "the example config was not refreshed by the reinstall"
compgen -G "$ROOT$SYSCONF/dpdk-synproxy/*.new.*" >/dev/null && e2e_fail "a temporary file was left in $SYSCONF/dpdk-synproxy"

# ---- the unit ----
U=$ROOT$UNIT
assert_contains "unit: reload sends SIGHUP (live reload)" 'ExecReload=/bin/kill -HUP $MAINPID' "$U"
assert_contains "unit: start binds and reserves" "ExecStartPre=+$SHARE/scripts/deploy.sh prepare --config $CONF" "$U"
assert_contains "unit: start runs the proxy, restoring" "ExecStart=$SHARE/scripts/deploy.sh run --restore --config $CONF" "$U"
assert_contains "unit: the binary" "Environment=SYNPROXY_BIN=$BINDIR/dpdk-synproxy" "$U"
assert_contains "unit: the settings" "EnvironmentFile=-$SYSCONF/default/dpdk-synproxy" "$U"
assert_contains "unit" "Restart=on-failure" "$U"
assert_contains "unit" "LimitMEMLOCK=infinity" "$U"
assert_contains "unit: stop hands over" "KillSignal=SIGUSR2" "$U"
assert_contains "unit: the handover has a bound" "TimeoutStopSec=" "$U"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$U")
for c in CAP_IPC_LOCK CAP_SYS_ADMIN CAP_SYS_RAWIO CAP_DAC_OVERRIDE CAP_NET_ADMIN CAP_NET_RAW; do
	[[ " $caps " == *" $c "* ]] || e2e_fail "unit: $c missing from CapabilityBoundingSet ($caps)"
done
grep -q '@[A-Z]*@' "$U" && e2e_fail "unit: an unsubstituted @VARIABLE@ is left"
# systemd-analyze checks the commands exist: point them into the temporary root.
sed -e "s|$SHARE/|$ROOT$SHARE/|g; s|=$BINDIR/|=$ROOT$BINDIR/|g" "$U" >"$T/dpdk-synproxy.service"
if command -v systemd-analyze >/dev/null; then
	if ! (cd "$T" && systemd-analyze verify "$T/dpdk-synproxy.service") >"$T/verify.out" 2>&1; then
		cat "$T/verify.out" >&2
		e2e_fail "systemd-analyze verify rejected the unit"
	fi
	# verify only warns about an unknown key or section: none may appear.
	if grep -E "dpdk-synproxy.service:[0-9]+:" "$T/verify.out"; then
		e2e_fail "systemd-analyze verify complained about the unit (above)"
	fi
	e2e_log "ok: systemd-analyze verify: $(cat "$T/verify.out")"
else
	e2e_fail "systemd-analyze not found (install systemd): the unit cannot be verified"
fi
e2e_pass
