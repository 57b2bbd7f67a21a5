#!/usr/bin/env bash
# Installs the Debian packages cmkctl builds against, only those missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
# With --test it also installs what only the tests need and is too large to
# impose on `make run` (`make test` passes it).
set -euo pipefail
packages=(
  g++ cmake make pkg-config
  libyaml-cpp-dev libcurl4-openssl-dev libssl-dev nlohmann-json3-dev liblua5.4-dev
  libspdlog-dev libcli11-dev libcpp-httplib-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  jq        # the end-to-end scripts read plan JSON with it
  curl      # the wire end-to-end test changes the served cloud behind cmkctl's back
  faketime  # the wire end-to-end test runs again with the clock a year ahead
  python3-jsonschema python3-yaml  # tests/deploy validates deploy/ against vendored JSON schemas
  openssl   # the credentials e2e test makes client certificates; the evidence e2e checks signatures
)
if [ "${1:-}" = "--test" ]; then
  packages+=(
    chromium  # tests/e2e/report_e2e.sh renders the HTML reports headless
  )
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "cmkctl needs these Debian packages: ${missing[*]}" >&2
  echo "run as root:  apt-get update && $cmd" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
