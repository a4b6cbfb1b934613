#!/usr/bin/env bash
# run-fuzz.sh - the 'fuzz-synproxy' meson test: run the libFuzzer harness from
# the committed seeds for FUZZ_SECONDS (default 60) seconds, with the
# dictionary. New inputs go to a scratch corpus in the build directory, never
# into tests/fuzz/corpus; a crash leaves its input as fuzz-crash-* there.
#   run-fuzz.sh FUZZER [extra libFuzzer flags]
set -euo pipefail
fuzzer=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$fuzzer")
work=$(mktemp -d "$out/fuzz-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
exec_rc=0
"$fuzzer" -max_total_time="${FUZZ_SECONDS:-60}" -dict="$here/synproxy.dict" \
	-artifact_prefix="$out/fuzz-" -print_final_stats=1 "$@" "$work" "$here/corpus" || exec_rc=$?
exit "$exec_rc"
