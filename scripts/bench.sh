#!/usr/bin/env bash
# Benchmarks (not part of the test suite). BENCH_QUICK=1 for a short run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# bench/mqtt's peer: a bare mosquitto broker, which the bench starts itself on a free port with its
# own config. Only the package: a mosquitto service it may start (on 1883) is neither used nor touched.
if [ ! -x /usr/sbin/mosquitto ]; then
  echo "bench: installing mosquitto from Debian's packages" >&2
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null
fi
npx tsc -p tsconfig.json --outDir dist-bench
# The control plane's node flags (bin/edgeplane.js's #! line; src/shared/heap.ts): the benches run it
# in-process or spawn it, as shipped.
node=(node --enable-source-maps --initial-old-space-size=256)
"${node[@]}" dist-bench/bench/core.js "$@"
"${node[@]}" dist-bench/bench/domain.js "$@"
npx tsc -p tsconfig.build.json
"${node[@]}" dist-bench/bench/failover.js "$@"
"${node[@]}" dist-bench/bench/edge.js "$@"
"${node[@]}" dist-bench/bench/mqtt.js "$@"
exec "${node[@]}" dist-bench/bench/api.js "$@"
