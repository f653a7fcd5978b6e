#!/usr/bin/env bash
# Makes a fresh Debian machine with Node 20 ready: system packages edgeplane needs
# (nats-server, socat; tmux, mosquitto-clients and chromium for the tests), npm packages, and the compiled CLI. Safe to run again: it only does
# what is missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v nats-server >/dev/null 2>&1 || need_apt+=(nats-server)
command -v socat >/dev/null 2>&1 || need_apt+=(socat)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
command -v mosquitto_pub >/dev/null 2>&1 || need_apt+=(mosquitto-clients)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing ${need_apt[*]} from Debian's packages" >&2
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: installing npm packages (native modules build from source, ~2 min)" >&2
  npm ci --no-audit --no-fund >&2
fi

# Compile when any source is newer than the build.
if [ ! -f dist/cli/main.js ] || [ -n "$(find src -newer dist/cli/main.js -name '*.ts' -print -quit)" ]; then
  echo "bootstrap: compiling TypeScript" >&2
  npx tsc -p tsconfig.build.json
fi
