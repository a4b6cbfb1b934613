#!/usr/bin/env bash
# build.sh - configure (first time) and build dpdk-synproxy with meson/ninja.
#   BUILD_DIR  build directory (default: build)
#   CI=true    warnings are errors (-Dwerror=true), also on an existing build dir
#   JOBS       parallel compile jobs (default: number of CPUs)
# Extra arguments go to "meson setup" on the first configure.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
opts=()
[ "${CI:-}" = true ] && opts+=(-Dwerror=true)

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
	meson setup "$BUILD_DIR" "${opts[@]}" "$@"
elif [ ${#opts[@]} -gt 0 ]; then
	meson configure "$BUILD_DIR" "${opts[@]}"
fi
ninja -C "$BUILD_DIR" -j "${JOBS:-$(nproc)}"
echo "build: $BUILD_DIR/src/dpdk-synproxy"
