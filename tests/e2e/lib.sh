# Shared helpers of the end-to-end scripts (sourced, not run). The caller
# sets `cmkctl` and `work` (a temp dir) first.
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
