#!/usr/bin/env bash
# Runs sdk_scenario.mjs (official @azure/identity + @azure/keyvault-keys)
# against a fresh sandbox served by sandbox_serve_for_tests.
# Usage: sdk_scenario.sh BUILD_DIR [NODE_MODULES_DIR]
# Needs node >= 18; installs the two npm packages into NODE_MODULES_DIR
# (default /tmp/cmk_sdk_node) when they are missing. In ctest it exits 77
# (skipped) when node/npm are missing or the npm registry cannot be reached.
set -euo pipefail
build=${1:?build dir}
node_dir=${2:-/tmp/cmk_sdk_node}
here=$(cd "$(dirname "$0")" && pwd)
runner="$build/tests/sandbox_server/sandbox_serve_for_tests"
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm not installed"; exit 77; }
mkdir -p "$node_dir"
if [ ! -d "$node_dir/node_modules/@azure/keyvault-keys" ]; then
  if ! (cd "$node_dir" && npm init -y >/dev/null && \
        npm install --no-audit --no-fund @azure/identity@4 @azure/keyvault-keys@4 >/dev/null); then
    echo "SKIP: could not install @azure/identity and @azure/keyvault-keys from npm"
    exit 77
  fi
fi
cp "$here/sdk_scenario.mjs" "$node_dir/"
box=$(mktemp -d /tmp/cmk_sdk_box_XXXXXX)
port=$((20000 + RANDOM % 20000))
"$runner" "$box/sb" "$port" >"$box/serve.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$box"' EXIT
for _ in $(seq 50); do grep -q "tenant:" "$box/serve.log" 2>/dev/null && break; sleep 0.1; done
tenant=$(awk '/tenant:/ {print $2}' "$box/serve.log")
NODE_EXTRA_CA_CERTS="$box/sb/server-ca.pem" node "$node_dir/sdk_scenario.mjs" "$port" "$tenant" \
  "$(cat "$box/sb/server-client-secret")"
