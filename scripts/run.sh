#!/usr/bin/env bash
# The main job: the control plane on the embedded defaults (its own nats-server, SQLite store
# under ./data). Extra arguments go to `edgeplane start`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node bin/edgeplane.js start "$@"
