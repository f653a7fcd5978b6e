#!/usr/bin/env bash
# The main job: the demo — the control plane on the embedded defaults (its own nats-server, SQLite
# store under ./data/demo) with simulated edge workers for all five seed systems, each its own
# process. Extra arguments go to `edgeplane demo` (--fresh, --http <port>, --data-dir <dir>).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# Through its #! line, which gives node the control plane's flags (src/shared/heap.ts).
exec ./bin/edgeplane.js demo "$@"
