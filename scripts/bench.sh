#!/usr/bin/env bash
# Benchmarks (not part of the test suite). BENCH_QUICK=1 for a short run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npx tsc -p tsconfig.json --outDir dist-bench
node --enable-source-maps dist-bench/bench/core.js "$@"
node --enable-source-maps dist-bench/bench/domain.js "$@"
npx tsc -p tsconfig.build.json
node --enable-source-maps dist-bench/bench/failover.js "$@"
node --enable-source-maps dist-bench/bench/edge.js "$@"
exec node --enable-source-maps dist-bench/bench/api.js "$@"
