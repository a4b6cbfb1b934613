#!/usr/bin/env bash
# test.sh - THE test command: dependencies, build, then every meson test
# suite: 'unit' (cmocka, one executable per module), 'e2e' (network
# namespaces with the real binary on af_packet; needs root), 'attack' (a
# scapy attacker in the same topology; needs root) and 'bench'. Without root the
# unit suite still runs, then the script fails saying why: an e2e suite that
# silently did not run must never look like a pass. Then, with no arguments,
# the fuzzer: a second build in FUZZ_BUILD_DIR (clang, -Dfuzz=true: coverage,
# ASan, UBSan) and its suite 'fuzz' (the seeds replay, then 60 s of
# fuzzing; tests/fuzz). Takes a few minutes.
#   BUILD_DIR (default build), FUZZ_BUILD_DIR (default build-fuzz), CI=true
#   (warnings are errors), any extra arguments go to "meson test" of BUILD_DIR
#   only (e.g. --suite unit, or a test name).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
export BUILD_DIR

bash scripts/install-deps.sh
bash scripts/build.sh

if [ "$(id -u)" -ne 0 ] && [ $# -eq 0 ]; then
	meson test -C "$BUILD_DIR" --print-errorlogs --suite unit
	echo "test: the unit suite passed, but the e2e suite needs root (network namespaces," >&2
	echo "      af_packet): run   sudo scripts/test.sh" >&2
	exit 1
fi
rc=0
meson test -C "$BUILD_DIR" --print-errorlogs "$@" || rc=$?
if [ $# -eq 0 ]; then
	FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
	CC=clang BUILD_DIR=$FUZZ_BUILD_DIR bash scripts/build.sh -Dfuzz=true -Dtests=false -Db_lto=false
	meson test -C "$FUZZ_BUILD_DIR" --print-errorlogs --suite fuzz || rc=$?
fi
# One plain closing line for whoever reads only the end of the log.
logs=("$BUILD_DIR/meson-logs/testlog.json")
[ $# -ne 0 ] || logs+=("$FUZZ_BUILD_DIR/meson-logs/testlog.json")
if [ -f "${logs[0]}" ]; then
	python3 - "${logs[@]}" <<'PY'
import json, os, sys
res = [json.loads(l)["result"] for p in sys.argv[1:] if os.path.exists(p) for l in open(p) if l.strip()]
ok = sum(r in ("OK", "EXPECTEDFAIL") for r in res)
skip = sum(r == "SKIP" for r in res)
print(f"tests: {ok} passed, {len(res) - ok - skip} failed, {skip} skipped")
PY
fi
exit "$rc"
