# Shared helpers of the end-to-end scripts, sourced with the script's own
# arguments: `source lib.sh CMKCTL [SOURCE_DIR]`. Sets `cmkctl`, `src`,
# `examples` (the example estates) and `work` (a new temp dir, unless the
# caller set one), and exports CMKCTL_TARGET=sandbox. On exit the server (if
# any) is stopped and `work` removed, unless KEEP is set.
cmkctl=${1:?usage: CMKCTL SOURCE_DIR}
src=${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
examples=$src/manifests/examples
work=${work:-$(mktemp -d)}
# Every script works on sandboxes it names (or says --target azure): it
# chooses the target, as CI (CI=true) requires of plan and apply.
export CMKCTL_TARGET=sandbox
cleanup() {
  stop_server
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0

check() {  # check NAME CONDITION-COMMAND...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name" >&2
  fi
}
run() {  # run SANDBOX ARGS... ; sets out, err, code
  local sb=$1
  shift
  out=$("$cmkctl" --sandbox "$sb" "$@" 2>"$work/stderr" </dev/null)
  code=$?
  err=$(cat "$work/stderr")
}
contains() { grep -qF -- "$2" <<<"$1"; }
matches() { grep -qE -- "$2" <<<"$1"; }

# `cmkctl sandbox serve` for SANDBOX_DIR in the background, with the
# environment `--target azure` needs to reach it. Sets `server` (its pid) and
# `port`; stops a server started before. The caller stops it (stop_server).
server=
start_server() {  # start_server SANDBOX_DIR [serve flags...]
  local sb=$1
  shift
  stop_server
  "$cmkctl" --sandbox "$sb" sandbox serve "$@" >"$work/serve.log" 2>&1 &
  server=$!
  # Up to 60 s: on a loaded 2-core machine (a Docker build beside it) the
  # start (TLS certificate, sandbox open) has taken more than 10 s.
  for _ in $(seq 600); do
    grep -q "tenant:" "$work/serve.log" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || break  # it exited: its log says why
    sleep 0.1
  done
  port=$(sed -n 's#.*listening on https://127.0.0.1:\([0-9]*\).*#\1#p' "$work/serve.log")
  export AZURE_TENANT_ID=$(awk '/tenant:/ {print $2}' "$work/serve.log")
  export AZURE_CLIENT_ID=cmkctl-e2e
  export AZURE_CLIENT_SECRET=$(cat "$sb/server-client-secret" 2>/dev/null)
  export CMKCTL_ARM_ENDPOINT=https://127.0.0.1:$port
  export CMKCTL_VAULT_DNS_SUFFIX=vault.localhost:$port
  export AZURE_AUTHORITY_HOST=https://127.0.0.1:$port
  export CMKCTL_CA_BUNDLE=$sb/server-ca.pem
}
stop_server() {
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null
    wait "$server" 2>/dev/null || true
  fi
  server=
}
