#!/usr/bin/env bash
# Checks deploy/ as far as a machine without Docker, GitHub or a cluster allows.
#
#   check_deploy.sh files CMKCTL SOURCE_DIR   (about a minute)
#     1. every YAML file under deploy/ against its vendored JSON schema, plus the rules the schemas
#        cannot express, and every cmkctl command line against `CMKCTL --help` (check_deploy.py);
#     2. the shell the workflows and the CronJob run, run here with a stand-in cmkctl (and curl and
#        docker) that exits with each code cmkctl can give: plan's 0/2/1, drift's 0/4/5/6/1, the shard
#        merge's verdicts, apply; the OIDC login and the cmkctl wrapper;
#     3. deliberately broken copies of the files, each of which must fail 1 or 2.
#   check_deploy.sh build CMKCTL SOURCE_DIR   (a Release build of cmkctl: minutes)
#     the build stage of deploy/Dockerfile as plain shell: the scripts it RUNs, in order, into a
#     scratch build directory; then the built binary validates manifests/examples/* and the manifests
#     in deploy/kubernetes, and its shared libraries are checked against the runtime stage's packages.
#     CMK_DEPLOY_BUILD_DIR reuses a build directory (incremental); by default a fresh one is removed
#     afterwards. JOBS sets the compile jobs (default 2).
set -euo pipefail

mode=${1:?usage: check_deploy.sh files|build CMKCTL SOURCE_DIR}
cmkctl=$(realpath "${2:?cmkctl binary}")
src=$(realpath "${3:?source directory}")
py=/usr/bin/python3
here=$src/tests/deploy
schemas=$src/tests/data/schemas
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$py" -c 'import jsonschema, yaml' 2> /dev/null || {
  echo "needs Debian's python3-jsonschema and python3-yaml: run scripts/install-deps.sh as root" >&2
  exit 1
}

# A stand-in cmkctl: logs its arguments, writes what --out and --summary name, exits $FAKE_EXIT.
make_fakes() {
  local bin=$1
  mkdir -p "$bin"
  cat > "$bin/cmkctl" <<'EOF'
#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) echo '{"format_version": 2, "changes": []}' > "$2"; shift ;;
    --summary) echo '{"fake": true,' > "$2"; echo ' "shard": "'"$FAKE_SHARD"'"}' >> "$2"; shift ;;
  esac
  shift
done
echo "report from the stand-in cmkctl"
exit "${FAKE_EXIT:-0}"
EOF
  cat > "$bin/curl" <<'EOF'
#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
echo '{"count": 1, "value": "eyJhbGciOiJSUzI1NiJ9.fake.token"}'
EOF
  cat > "$bin/docker" <<'EOF'
#!/usr/bin/env bash
echo "docker $*" >> "$FAKE_LOG"
EOF
  chmod +x "$bin/cmkctl" "$bin/curl" "$bin/docker"
}

# Runs one workflow step's script as the runner does (bash -e), in DIR, with the stand-ins first on
# PATH. Prints the exit code. The script's background processes are ended with it (own session).
run_step() {
  local deploy=$1 workflow=$2 job=$3 step=$4 dir=$5
  shift 5
  mkdir -p "$dir"
  "$py" "$here/extract_script.py" "$deploy/github/workflows/$workflow" "$job" "$step" "$@" \
    > "$dir/.step.sh" || { echo "no such step"; return 0; }
  local rc=0
  (cd "$dir" && GITHUB_OUTPUT=$dir/.output GITHUB_ENV=$dir/.env GITHUB_PATH=$dir/.path \
    GITHUB_STEP_SUMMARY=$dir/.summary RUNNER_TEMP=$dir/.runner-temp PATH="$work/bin:$PATH" \
    setsid --wait bash -c 'echo $$ > .pgid; exec bash -e .step.sh' > "$dir/.stdout" 2>&1) || rc=$?
  kill -TERM -- "-$(cat "$dir/.pgid")" 2> /dev/null || true
  echo "$rc"
}

# The behaviour of the shell in DEPLOY (a deploy/ tree). Returns the number of failures.
check_behaviour() {
  local deploy=$1 before=$failures d code rc want
  export FAKE_LOG=$work/fake.log FAKE_SHARD=2

  # Plan: exit 2 (changes) is not a failure; 1 is reported; the saved plan and the code are kept.
  for code in 0 2 1; do
    d=$work/plan-$code
    rc=$(FAKE_EXIT=$code run_step "$deploy" cmkctl-plan.yml plan "cmkctl plan" "$d")
    [ "$rc" = 0 ] && [ "$(cat "$d/plan-exitcode" 2> /dev/null)" = "$code" ] \
      && grep -qx "exitcode=$code" "$d/.output" && [ -s "$d/plan.json" ] \
      || fail "plan step, cmkctl exit $code: step exit $rc, plan-exitcode $(cat "$d/plan-exitcode" 2> /dev/null)"
  done

  # Drift shards: 0, 4, 5 and 6 are findings (the shard uploads them), anything else fails the shard.
  for code in 0 4 5 6 1 64; do
    d=$work/drift-$code
    : > "$FAKE_LOG"
    rc=$(FAKE_EXIT=$code run_step "$deploy" cmkctl-drift.yml drift "cmkctl drift" "$d" matrix.shard=2)
    case $code in 0|4|5|6) want=0 ;; *) want=1 ;; esac
    [ "$rc" = "$want" ] && [ "$(cat "$d/out/exitcode" 2> /dev/null)" = "$code" ] \
      && [ -s "$d/out/drift-summary.json" ] && grep -q -- "--shard 2/4" "$FAKE_LOG" \
      || fail "drift shard step, cmkctl exit $code: step exit $rc (want $want)"
  done

  # The merge: one verdict over the shards. Risky (5) wins over unobservable (6); a missing or failed
  # shard is an error; expected drift only passes.
  local scenario verdict
  while IFS='|' read -r scenario want verdict; do
    d=$work/report-${scenario// /}
    mkdir -p "$d"
    local i=0 c
    for c in $scenario; do
      if [ "$c" != - ]; then
        mkdir -p "$d/shards/drift-shard-$i"
        echo "$c" > "$d/shards/drift-shard-$i/exitcode"
        echo "{\"shard\": $i}" > "$d/shards/drift-shard-$i/drift-summary.json"
        echo "shard $i report" > "$d/shards/drift-shard-$i/drift.md"
      fi
      i=$((i + 1))
    done
    rc=$(run_step "$deploy" cmkctl-drift.yml report "Merge the shard summaries" "$d")
    if [ "$rc" != 0 ] || ! grep -qx "verdict=$verdict" "$d/.env"; then
      fail "drift merge of shards '$scenario': exit $rc, $(cat "$d/.env" 2> /dev/null), want verdict=$verdict"
      continue
    fi
    jq -e --arg v "$verdict" '.verdict == $v and (.results | length) == 4 and .shards == 4' \
      "$d/drift-summary.json" > /dev/null || fail "merged summary of '$scenario' is not as expected"
    rc=$(verdict=$verdict run_step "$deploy" cmkctl-drift.yml report "Verdict" "$d")
    [ "$rc" = "$want" ] || fail "drift verdict '$verdict' for shards '$scenario': exit $rc, want $want"
  done <<'EOF'
0 0 0 0|0|none
0 4 0 4|0|expected
0 6 4 0|6|unobservable
6 0 5 4|5|risky
5 5 6 6|5|risky
0 0 0 -|1|error
1 0 5 0|1|error
EOF
  d=$work/report-0000
  jq -e '.results[1].summary == {"shard": 1}' "$d/drift-summary.json" > /dev/null \
    || fail "the merged summary does not carry each shard's summary"

  # Apply: only a saved plan with changes is applied; a failed apply fails the job.
  for code in 0 2 1; do
    d=$work/apply-check-$code
    mkdir -p "$d/approved"
    echo '{}' > "$d/approved/plan.json"
    echo "$code" > "$d/approved/plan-exitcode"
    rc=$(run_step "$deploy" cmkctl-apply.yml apply "Check the saved plan" "$d")
    case $code in 0) want=0 ;; 2) want=0 ;; *) want=1 ;; esac
    [ "$rc" = "$want" ] && { [ "$code" != 2 ] || [ -s "$d/plan.json" ]; } \
      || fail "apply's plan check, plan exit code $code: step exit $rc (want $want)"
  done
  for code in 0 1; do
    d=$work/apply-$code
    : > "$FAKE_LOG"
    rc=$(FAKE_EXIT=$code run_step "$deploy" cmkctl-apply.yml apply "cmkctl apply" "$d" steps.find.outputs.pr=7)
    [ "$rc" = "$code" ] && grep -qx "apply plan.json --auto-approve --target azure" "$FAKE_LOG" \
      || fail "apply step, cmkctl exit $code: step exit $rc"
  done

  # The OIDC login: the token (audience api://AzureADTokenExchange) in a file, the three variables
  # exported, no secret; and the wrapper that runs cmkctl from the image with only those passed on.
  local wf
  for wf in cmkctl-plan.yml:plan cmkctl-drift.yml:drift cmkctl-apply.yml:apply; do
    d=$work/login-${wf%%:*}
    : > "$FAKE_LOG"
    rc=$(ACTIONS_ID_TOKEN_REQUEST_URL='https://token.example/req?api-version=2.0' \
      ACTIONS_ID_TOKEN_REQUEST_TOKEN=request-token \
      run_step "$deploy" "${wf%%:*}" "${wf#*:}" "Log in to Azure with the GitHub OIDC token (no client secret)" \
      "$d" vars.AZURE_CLIENT_ID=read-client vars.AZURE_APPLY_CLIENT_ID=write-client vars.AZURE_TENANT_ID=tenant)
    [ "$rc" = 0 ] \
      && grep -q "https://token.example/req?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange" "$FAKE_LOG" \
      && grep -qx "AZURE_FEDERATED_TOKEN_FILE=$d/.runner-temp/azure-oidc/token" "$d/.env" \
      && grep -qx "AZURE_TENANT_ID=tenant" "$d/.env" && grep -q "^AZURE_CLIENT_ID=" "$d/.env" \
      && [ "$(cat "$d/.runner-temp/azure-oidc/token")" = eyJhbGciOiJSUzI1NiJ9.fake.token ] \
      || fail "OIDC login step of ${wf%%:*}: exit $rc"
    d=$work/install-${wf%%:*}
    : > "$FAKE_LOG"
    rc=$(run_step "$deploy" "${wf%%:*}" "${wf#*:}" "Install cmkctl (container image)" "$d" \
      vars.CMKCTL_IMAGE=registry.example/cmkctl@sha256:0123)
    [ "$rc" = 0 ] && [ -x "$d/.runner-temp/bin/cmkctl" ] \
      && (cd "$d" && PATH="$work/bin:$PATH" .runner-temp/bin/cmkctl plan -f manifests) \
      && grep -q -- "docker run --rm --read-only .* -e AZURE_FEDERATED_TOKEN_FILE -e AZURE_CLIENT_ID -e AZURE_TENANT_ID .*registry.example/cmkctl@sha256:0123 plan -f manifests" "$FAKE_LOG" \
      && grep -q -- "-v $d/.runner-temp/azure-oidc:$d/.runner-temp/azure-oidc:ro" "$FAKE_LOG" \
      && grep -qx "$d/.runner-temp/bin" "$d/.path" \
      || fail "install step of ${wf%%:*}: exit $rc; $(tail -n 1 "$FAKE_LOG")"
  done

  # The CronJob's pod script: 4 ends the pod successfully, 5 and 6 keep their codes (the Job's
  # podFailurePolicy fails the index without a retry), the summary is printed on one line.
  local script
  script=$("$py" "$here/extract_script.py" "$deploy/kubernetes/cronjob.yaml" --container drift) || {
    fail "cannot read the CronJob's container script"; script=false; }
  script=${script//\/dev\/termination-log/$work/termination-log}
  script=${script//\/out\//$work/out/}
  mkdir -p "$work/out"
  for code in 0 4 5 6 1; do
    : > "$FAKE_LOG"
    rm -f "$work/out/drift-summary.json"
    rc=0
    JOB_COMPLETION_INDEX=3 FAKE_EXIT=$code PATH="$work/bin:$PATH" sh -c "$script" > "$work/pod.out" 2>&1 || rc=$?
    case $code in 4) want=0 ;; *) want=$code ;; esac
    [ "$rc" = "$want" ] && grep -q -- "--shard 3/4" "$FAKE_LOG" \
      && grep -q "^cmkctl-drift-summary shard=3/4 exit=$code {\"fake\": true, \"shard\": \"2\"}$" "$work/pod.out" \
      && grep -q "^shard 3/4: .*(exit $code)$" "$work/termination-log" \
      || fail "CronJob pod script, cmkctl exit $code: pod exit $rc (want $want)"
  done
  return $((failures - before))
}

# Each mutation must make check_deploy.py fail with the given message: FILE|OLD|NEW|MESSAGE.
# OLD must occur in FILE (the first occurrence is replaced), so a mutation cannot go stale unnoticed.
mutations() {
  cat <<'EOF'
github/workflows/cmkctl-plan.yml|    runs-on: ubuntu-24.04|    runs_on: ubuntu-24.04|github-workflow schema
github/workflows/cmkctl-plan.yml|permissions: {}|permissions: write-all|top-level permissions must be {}
github/workflows/cmkctl-plan.yml|--out plan.json \|--out plan.json --detailed-exit-code \|has no flag --detailed-exit-code
github/workflows/cmkctl-plan.yml|          AZURE_TENANT_ID: ${{ vars.AZURE_TENANT_ID }}|          AZURE_TENANT_ID: ${{ vars.AZURE_TENANT_ID }}\n          AZURE_CLIENT_SECRET: ${{ secrets.AZURE_CLIENT_SECRET }}|mentions a client secret
github/workflows/cmkctl-plan.yml|on:\n  pull_request:|on:\n  pull_request:\n  pull_request:|duplicate key
github/workflows/cmkctl-drift.yml|        shard: [0, 1, 2, 3]|        shard: [0, 1, 2]|does not cover --shard .../4
github/workflows/cmkctl-drift.yml|--shard ${{ matrix.shard }}/4|--shards ${{ matrix.shard }}/4|has no flag --shards
github/workflows/cmkctl-drift.yml|--format markdown --summary|--format html --summary|--format html
github/workflows/cmkctl-drift.yml|      fail-fast: false|      fail-fast: true|must not fail fast
github/workflows/cmkctl-apply.yml|download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1|download-artifact@v8|not pinned to a full commit SHA
github/workflows/cmkctl-apply.yml|      id-token: write      # the OIDC token|      id-token: none       # the OIDC token|without `id-token: write`
github/workflows/cmkctl-apply.yml|      actions: read |      actions: write|more than these workflows need
github/workflows/cmkctl-apply.yml|          cmkctl apply plan.json --auto-approve --target azure|          cmkctl apply plan.json --target azure|does not run `cmkctl apply plan.json --auto-approve
kubernetes/cronjob.yaml|      completions: 4|      completions: "4"|CronJob batch/v1 schema
kubernetes/cronjob.yaml|      completionMode: Indexed|      completionMode: Indexed\n      completionsMode: Indexed|Additional properties are not allowed
kubernetes/cronjob.yaml|      parallelism: 4|      parallelism: 2|must both equal the shard count
kubernetes/cronjob.yaml|            azure.workload.identity/use: "true"|            azure.workload.identity/use: true|CronJob batch/v1 schema
kubernetes/cronjob.yaml|  concurrencyPolicy: Forbid|  concurrencyPolicy: Allow|concurrencyPolicy must be Forbid
kubernetes/cronjob.yaml|                readOnlyRootFilesystem: true|                readOnlyRootFilesystem: false|readOnlyRootFilesystem must be true
kubernetes/cronjob.yaml|                  drop: ["ALL"]|                  drop: ["NET_RAW"]|capabilities must drop ALL
kubernetes/cronjob.yaml|                  memory: 1Gi|                  memroy: 1Gi|no resources.limits.memory
kubernetes/cronjob.yaml|              imagePullPolicy: IfNotPresent|              imagePullPolicy: [IfNotPresent]|CronJob batch/v1 schema
kubernetes/cronjob.yaml|              values: [5, 6, 64]|              values: [6, 64]|exit codes 5 (risky) and 6
kubernetes/cronjob.yaml|      backoffLimit: 8\n|\n|backoffLimit is not set
kubernetes/cronjob.yaml|  schedule: "17 */6 * * *"|  schedule: "17 */6 * * *|not valid YAML
kubernetes/cronjob.yaml|--summary /out/drift-summary.json|--summary /out/drift-summary.json --no-such-flag|has no flag --no-such-flag
kubernetes/serviceaccount.yaml|automountServiceAccountToken: false|automountServiceAccountToken: false\nautomountServiceAccountToken: true|duplicate key
kubernetes/serviceaccount.yaml|"00000000-0000-0000-0000-000000000000"|""|azure.workload.identity/client-id
kubernetes/kustomization.yaml|  - cronjob.yaml|  - cron-job.yaml|lists cron-job.yaml
kubernetes/kustomization.yaml|resources:|resources: cronjob.yaml\nresourcez:|kustomization schema
kubernetes/manifests-configmap.yaml|data:|date:|ConfigMap v1 schema
EOF
}

# Behaviour mutations: the schema-valid copy must fail check_behaviour.
behaviour_mutations() {
  cat <<'EOF'
kubernetes/cronjob.yaml|if [ "$code" -eq 4 ]; then exit 0; fi|if [ "$code" -eq 5 ]; then exit 0; fi
github/workflows/cmkctl-drift.yml|            5) echo "::warning title=cmkctl drift::risky drift" ;;|            5) echo "::warning title=cmkctl drift::risky drift"; exit 1 ;;
github/workflows/cmkctl-drift.yml|0) rank=0 ;; 4) rank=1 ;; 6) rank=2 ;; 5) rank=3 ;;|0) rank=0 ;; 4) rank=1 ;; 5) rank=2 ;; 6) rank=3 ;;
github/workflows/cmkctl-plan.yml|            2) echo "The plan has changes." ;;|            2) echo "The plan has changes."; exit 2 ;;
EOF
}

mutate() {  # DEPLOY_COPY FILE OLD NEW
  "$py" - "$@" <<'EOF'
import sys
deploy, name, old, new = sys.argv[1:5]
old, new = old.replace("\\n", "\n"), new.replace("\\n", "\n")
path = f"{deploy}/{name}"
text = open(path, encoding="utf-8").read()
if old not in text:
    sys.exit(f"stale mutation: {old!r} is not in {name}")
open(path, "w", encoding="utf-8").write(text.replace(old, new, 1))
EOF
}

files_mode() {
  make_fakes "$work/bin"
  echo "== schemas and rules (check_deploy.py)"
  if "$py" "$here/check_deploy.py" "$schemas" "$src/deploy" --cmkctl "$cmkctl"; then
    pass "deploy/ is valid"
  else
    fail "deploy/ has problems (above)"
  fi

  echo "== the shell the workflows and the CronJob run"
  if check_behaviour "$src/deploy"; then pass "exit codes, OIDC login and wrappers behave"; fi

  echo "== broken copies must fail"
  # All broken copies in one run of the checker (the schemas load once); each must fail with its
  # message, on a line naming a file of that copy.
  local n=0 file old new message out copies=()
  while IFS='|' read -r file old new message; do
    n=$((n + 1))
    cp -r "$src/deploy" "$work/mut-$n"
    mutate "$work/mut-$n" "$file" "$old" "$new" || fail "mutation $n"
    copies+=("$work/mut-$n")
  done < <(mutations)
  out=$("$py" "$here/check_deploy.py" "$schemas" "${copies[@]}" --cmkctl "$cmkctl" 2>&1) || true
  n=0
  while IFS='|' read -r file old new message; do
    n=$((n + 1))
    if ! grep -F "FAIL $work/mut-$n/" <<< "$out" | grep -qF -- "$message"; then
      fail "mutation $n ($file: $new) did not fail with '$message':"
      grep -F "$work/mut-$n/" <<< "$out" || true
    fi
  done < <(mutations)
  pass "$n broken copies, each failing with its own message"
  local m=0
  while IFS='|' read -r file old new; do
    m=$((m + 1))
    rm -rf "$work/mut" && cp -r "$src/deploy" "$work/mut"
    if ! mutate "$work/mut" "$file" "$old" "$new"; then fail "behaviour mutation $m"; continue; fi
    # Noticed when either check fails; the subshell keeps its failure count to itself.
    if "$py" "$here/check_deploy.py" "$schemas" "$work/mut" --cmkctl "$cmkctl" > /dev/null \
      && (failures=0; check_behaviour "$work/mut" > /dev/null); then
      fail "behaviour mutation $m ($file: $new) went unnoticed"
    fi
  done < <(behaviour_mutations)
  pass "$m behaviour-breaking copies checked"
}

# The scripts the Dockerfile's build stage RUNs, in order, one per line with their arguments (the
# image's own clean-up, e.g. of apt lists, is not run here).
build_stage_scripts() {
  awk '/^FROM /{stage++} stage==1 && /^RUN /' "$1" | grep -o 'scripts/[A-Za-z0-9_.-]*\.sh[^&;]*' || true
}

# The packages the runtime stage installs, sorted, CA certificates aside.
runtime_packages() {
  awk '/^FROM /{stage++} stage==2' "$1" | sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' \
    | grep -E '^[a-z0-9][a-z0-9.+-]+$' | grep -vE '^(apt-get|install|rm|ca-certificates)$' | sort -u
}

build_mode() {
  local dockerfile=$src/deploy/Dockerfile build_dir commands
  echo "== the Dockerfile's build stage, as plain shell"
  commands=$(build_stage_scripts "$dockerfile")
  if [ "$(printf '%s\n' "$commands" | awk '{print $1}' | tr '\n' ' ')" != "scripts/install-deps.sh scripts/build-release.sh " ]; then
    fail "the Dockerfile's build stage does not RUN scripts/install-deps.sh then scripts/build-release.sh: $commands"
    return
  fi
  sed 's|^RUN scripts/build-release.sh /build|RUN cmake -S . -B /build \&\& cmake --build /build|' \
    "$dockerfile" > "$work/Dockerfile.broken"
  [ "$(build_stage_scripts "$work/Dockerfile.broken" | wc -l)" = 1 ] \
    || fail "a build stage that no longer RUNs scripts/build-release.sh goes unnoticed"
  grep -q '^ARG DEBIAN_IMAGE=debian:bookworm' "$dockerfile" || fail "the Dockerfile is not based on Debian bookworm"
  grep -qE '^USER [1-9][0-9]*' "$dockerfile" || fail "the runtime stage does not run as a non-root user"
  grep -q '^ENTRYPOINT \["/usr/local/bin/cmkctl"\]' "$dockerfile" || fail "the ENTRYPOINT is not cmkctl"

  if [ -n "${CMK_DEPLOY_BUILD_DIR:-}" ]; then build_dir=$CMK_DEPLOY_BUILD_DIR; else build_dir=$work/build; fi
  local script args start=$SECONDS
  while read -r script args; do
    args=${args//\/build/$build_dir}
    echo "+ $script $args"
    # shellcheck disable=SC2086
    (cd "$src" && JOBS=${JOBS:-2} "$script" $args) || { fail "$script $args"; return; }
  done <<< "$commands"
  echo "build stage took $((SECONDS - start)) s"
  local built=$build_dir/reconciler/cli/cmkctl
  [ -x "$built" ] || { fail "no $built"; return; }

  echo "== the built cmkctl"
  local example
  for example in "$src"/manifests/examples/*/; do
    if (cd "$work" && "$built" validate -f "$example" > "$work/validate.out" 2>&1); then
      pass "validate $(basename "$example")"
    else
      fail "validate $example: $(cat "$work/validate.out")"
    fi
  done
  mkdir -p "$work/configmap"
  "$py" - "$src/deploy/kubernetes/manifests-configmap.yaml" "$work/configmap" <<'EOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
for name, text in doc["data"].items():
    open(f"{sys.argv[2]}/{name}", "w", encoding="utf-8").write(text)
EOF
  if (cd "$work" && "$built" validate -f "$work/configmap" > "$work/validate.out" 2>&1); then
    pass "validate the manifests in deploy/kubernetes/manifests-configmap.yaml"
  else
    fail "the manifests in the ConfigMap: $(cat "$work/validate.out")"
  fi
  "$py" "$here/check_deploy.py" "$schemas" "$src/deploy" --cmkctl "$built" > "$work/flags.out" \
    && pass "the workflows' flags exist in the built cmkctl" || fail "$(cat "$work/flags.out")"

  echo "== runtime stage: the Debian packages of the libraries cmkctl links, and nothing else"
  local wanted listed so path pkg
  listed=$(runtime_packages "$dockerfile")
  # The base image has the C and C++ runtimes (apt itself needs them).
  wanted=$(for so in $(objdump -p "$built" | awk '/NEEDED/{print $2}'); do
      path=$(ldd "$built" | awk -v so="$so" '$1 == so {print $3}')
      pkg=$(dpkg -S "$path" 2> /dev/null || dpkg -S "$(readlink -f "$path")" 2> /dev/null \
        || dpkg -S "${path#/usr}" 2> /dev/null || echo "unknown-package-for-$so:")
      echo "${pkg%%:*}"
    done | grep -vE '^(libc6|libgcc-s1|libstdc\+\+6)$' | sort -u)
  if [ "$listed" = "$wanted" ]; then
    pass "runtime packages: $(echo $wanted)"
  else
    fail "the runtime stage installs [$(echo $listed)]; cmkctl links [$(echo $wanted)]"
  fi
  grep -q 'ca-certificates' "$dockerfile" || fail "the runtime stage has no CA certificates (TLS to Azure)"
  grep -v '^ *libfmt9 \\$' "$dockerfile" > "$work/Dockerfile.broken"
  [ "$(runtime_packages "$work/Dockerfile.broken")" != "$wanted" ] \
    || fail "a runtime stage without libfmt9 goes unnoticed"
}

case $mode in
  files) files_mode ;;
  build) build_mode ;;
  *) echo "unknown mode $mode" >&2; exit 64 ;;
esac
if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
