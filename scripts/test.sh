#!/usr/bin/env bash
# The whole test suite. Tests start their own nats-server on free ports with temporary dirs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npx tsc -p tsconfig.json --noEmit
exec npx vitest run "$@"
