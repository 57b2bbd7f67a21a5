#!/usr/bin/env bash
# Runs an end-to-end script with every process's clock (cmkctl, the sandbox
# server, the shell) a year ahead, through libfaketime: a test or a code path
# that depends on today's date fails here instead of on a date in the future.
# Usage: clock_ahead.sh SCRIPT CMKCTL SOURCE_DIR
set -uo pipefail
script=${1:?usage: clock_ahead.sh SCRIPT CMKCTL SOURCE_DIR}
shift
if ! command -v faketime >/dev/null; then
  echo "faketime is missing: scripts/install-deps.sh installs it (Debian package faketime)" >&2
  exit 1
fi
# Timeouts and rate limiters keep the real monotonic clock.
export FAKETIME_DONT_FAKE_MONOTONIC=1
real=$(date +%s)
ahead=$(faketime -f +365d date +%s)
if [ $((ahead - real)) -lt $((364 * 86400)) ]; then
  echo "faketime did not move the clock ahead (real $real, faked $ahead)" >&2
  exit 1
fi
echo "clock moved a year ahead: $(faketime -f +365d date -u +%Y-%m-%dT%H:%M:%SZ)"
exec faketime -f +365d bash "$script" "$@"
