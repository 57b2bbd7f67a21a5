#!/usr/bin/env bash
# The HTML reports in a real browser: the bank example applied on a sandbox
# with a fixed clock, `report` and `rehearse --until P3Y --format html`
# written, each rendered by headless Chromium to a PNG (it must exist and not
# be trivial) and its DOM dumped after the page's script ran (the page marks
# <body data-rendered="ok">, or "error" from window.onerror). Also: the same
# inputs give the same bytes, and an --out that cannot be written is an error
# naming the path.
#
# Without Chromium (Debian's `chromium`, installed by
# `scripts/install-deps.sh --test`, which `make test` runs) the browser
# checks fail in CI (CI=true or 1, TF_BUILD=True) and are skipped elsewhere
# (exit 77), after the checks that need no browser. CHROMIUM=PATH picks
# another binary.
# Usage: report_e2e.sh CMKCTL SOURCE_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"

# A copy of the example, its hooks beside it as in the source tree, in a
# folder whose name is markup (the page names the manifests and the sandbox)
# and with markup in a tag value of the key: neither may become markup.
evil='<img src=x onerror=alert(1)>'
tree=$work/$evil
mkdir -p "$tree/manifests/examples"
cp -r "$examples/bank" "$tree/manifests/examples/bank"
ln -s "$(cd "$src" && pwd)/hooks" "$tree/hooks"
bank=$tree/manifests/examples/bank
perl -0pi -e 's/(  operations: \[wrapKey, unwrapKey\]\n)/$1  tags:\n    note: "<script>alert(2)<\/script>"\n/' "$bank/vault.yaml"
sb=$tree/sb
run "$sb" sandbox clock set 2027-01-01T00:00:00Z
run "$sb" sandbox seed "$bank/sandbox-seed.yaml"
check "seed (got $code: $err)" test "$code" -eq 0
run "$sb" apply -f "$bank" --auto-approve
check "apply (got $code: $err)" test "$code" -eq 0
run "$sb" sandbox clock advance P2D
check "clock advance (got $code: $err)" test "$code" -eq 0

run "$sb" report -f "$bank" --out "$work/report.html"
check "report (got $code: $err)" test "$code" -eq 0
check "report names the file it wrote" contains "$err" "$work/report.html"
page=$(cat "$work/report.html" 2>/dev/null)
check "report: a timeline for the key" contains "$page" 'aria-label="version timeline of key/treasury-ledger-kek"'
check "report: the target's clock" contains "$page" "2027-01-03T00:00:00Z"
check "report: no policy yet" contains "$page" "No policy in the manifests."
run "$sb" report -f "$bank"
check "report to stdout is the same page" test "$out" = "$page"
check "report: the folder's name is text" contains "$page" "&lt;img src=x onerror=alert(1)&gt;/manifests/examples/bank/vault.yaml"
check "report: the tag value is text" contains "$page" "&lt;script&gt;alert(2)&lt;/script&gt;"
check "report: no markup from names" test "$(grep -c -e '<img' -e '<script>alert' <<<"$page")" -eq 0

run "$sb" rehearse -f "$bank" --until P3Y --format html --out "$work/rehearsal.html"
check "rehearse html (got $code: $err)" test "$code" -eq 0
rehearsal=$(cat "$work/rehearsal.html" 2>/dev/null)
check "rehearse html: the verdict" contains "$rehearsal" "PASS: 0 violations, 0 outages"
check "rehearse html: 3 rotations" contains "$rehearsal" " 3 rotations,"
check "rehearse html: the rotated versions" \
  test "$(grep -c '<g data-v=' <<<"$rehearsal")" -eq 4
run "$sb" rehearse -f "$bank" --until P3Y --format html
check "rehearse html: the same bytes again" test "$out" = "$rehearsal"
run "$sb" rehearse -f "$bank" --until P1Y --out "$work/x.html"
check "rehearse --out without --format html is refused" test "$code" -eq 1

# A manual disable of the version in use, rehearsed: the page says FAIL.
first=$(grep -o 'data-v="[0-9a-f]*"' <<<"$page" | head -1 | sed 's/.*="\(........\).*/\1/')
run "$sb" rehearse -f "$bank" --until P30D --format html --out "$work/outage.html" \
  --inject "disable key/treasury-ledger-kek/versions/$first@P1D"
check "rehearse html with an outage exits 1 (got $code: $err)" test "$code" -eq 1
outage=$(cat "$work/outage.html" 2>/dev/null)
check "rehearse html: FAIL on top" contains "$outage" "FAIL: "
check "rehearse html: the violation listed" contains "$outage" "<h2>Violations</h2>"
check "rehearse html: the disabled span on the version's bar" contains "$outage" "disabled 2027-01-04T00:00:00Z"

run "$sb" report -f "$bank" --out "$work/no-such-dir/report.html"
check "unwritable --out fails (got $code)" test "$code" -eq 1
check "unwritable --out names the path" contains "$err" "$work/no-such-dir/report.html"

# The browser.
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  # CI as cmkctl reads it (context.h RunningInCi): CI true or 1, TF_BUILD True.
  ci=${CI:-}
  tf=${TF_BUILD:-}
  if [ "${ci,,}" = true ] || [ "$ci" = 1 ] || [ "${tf,,}" = true ]; then
    echo "FAIL: chromium is not installed (run scripts/install-deps.sh --test)" >&2
    exit 1
  fi
  echo "report_e2e: $passed passed, $failed failed; SKIP browser checks: chromium is not installed" \
       "(scripts/install-deps.sh --test installs it)" >&2
  [ "$failed" -eq 0 ] && exit 77
  exit 1
fi
browse() {  # browse ARGS...: headless Chromium, its own profile, bounded in time
  local profile
  profile=$(mktemp -d "$work/chromium-XXXXXX")
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --no-default-browser-check --disable-extensions --hide-scrollbars \
    --user-data-dir="$profile" "$@" 2>>"$work/chromium.log"
}
for name in report rehearsal outage; do
  html=$work/$name.html
  png=$work/$name.png
  browse --screenshot="$png" --window-size=1400,2400 "file://$html" >/dev/null
  check "$name: chromium wrote a PNG ($(tail -3 "$work/chromium.log"))" test -s "$png"
  check "$name: the PNG is a PNG" test "$(head -c 4 "$png" 2>/dev/null | od -An -c | tr -d ' ')" = "211PNG"
  check "$name: the PNG is not trivial ($(stat -c %s "$png" 2>/dev/null) bytes)" \
    test "$(stat -c %s "$png" 2>/dev/null || echo 0)" -gt 30000
  dom=$(browse --dump-dom "file://$html")
  check "$name: the page's script ran without errors" contains "$dom" 'data-rendered="ok"'
done

echo "report_e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
