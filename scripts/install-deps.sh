#!/usr/bin/env bash
# install-deps.sh - install what building, testing and the demo need (Debian 12
# / Ubuntu, apt). Idempotent: asks dpkg which packages are missing and
# installs only those, so a second run changes nothing and needs no network.
# Runs apt-get through sudo when not root.
set -euo pipefail

PKGS=(
	# build
	dpdk dpdk-dev libdpdk-dev libjansson-dev libnuma-dev libcmocka-dev
	meson ninja-build pkg-config gcc python3
	# the fuzzer (tests/fuzz, run by scripts/test.sh): clang with libFuzzer
	clang libclang-rt-14-dev
	# the namespace demo and the end-to-end tests
	iproute2 ethtool iputils-ping curl iperf3 hping3 netsniff-ng python3-scapy nftables
	tcpdump tshark netcat-openbsd
	# promtool, which checks the exporter's output (tests/e2e/exporter.sh)
	prometheus
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi
if ! command -v apt-get >/dev/null; then
	echo "install-deps: no apt-get here; install these packages by hand: ${missing[*]}" >&2
	exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	SUDO=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
# Only promtool is wanted from the prometheus package: on a systemd host its
# install also starts a Prometheus server, which these tests never asked for.
# Stop and disable it, but only when this run was the one that installed it.
if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null &&
	[ -d /run/systemd/system ]; then
	"${SUDO[@]}" systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
