#!/usr/bin/env bash
# Credentials, clouds and targets as Azure users expect them, end to end
# against `cmkctl sandbox serve`: a client certificate (PEM, PKCS#12 with a
# password) gets tokens and plans, and one the server does not know is
# refused; the chain moves past a managed identity endpoint answering 403 to
# the Azure CLI, and lists every source when none gives a token; azurerm's
# ARM_* names work and lose to AZURE_*; --cloud sets the three endpoints and
# the single overrides still win; in CI a target nobody chose is refused.
# Certificates are made here with the openssl command; the Azure CLI is a
# script that gets its tokens from the served token endpoint; the refusing
# "IMDS" is a few lines of Perl.
# Usage: credentials_e2e.sh CMKCTL SOURCE_DIR
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" "$@"
bank=$examples/bank

# cmk [-u VAR | VAR=VALUE]... -- ARGS...: cmkctl ARGS in this environment
# changed so (every -u first); sets out, err, code.
cmk() {
  local changes=()
  while [ "$1" != -- ]; do changes+=("$1"); shift; done
  shift
  out=$(env "${changes[@]}" "$cmkctl" "$@" 2>"$work/stderr" </dev/null)
  code=$?
  err=$(cat "$work/stderr")
}
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

sb=$work/wire
"$cmkctl" --sandbox "$sb" sandbox clock set 2026-11-23T00:00:00Z >/dev/null
"$cmkctl" --sandbox "$sb" sandbox seed "$bank/sandbox-seed.yaml" >/dev/null
start_server "$sb"
check "server started (port '$port')" test -n "$port"
secret=$AZURE_CLIENT_SECRET
tenant=$AZURE_TENANT_ID
target_line="Target: azure: https://127.0.0.1:$port"

# Client certificates: the registered one as PEM (certificate + key) and as
# PKCS#12, and a stranger's.
for name in app stranger; do
  openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=cmkctl-e2e-$name" -days 2 \
    -keyout "$work/$name.key" -out "$work/$name.crt" 2>/dev/null
  cat "$work/$name.crt" "$work/$name.key" >"$work/$name.pem"
done
openssl pkcs12 -export -in "$work/app.crt" -inkey "$work/app.key" -out "$work/app.pfx" \
  -passout pass:e2e-pfx-pass
cp "$work/app.crt" "$sb/server-client-certs.pem"
key_line=$(sed -n 2p "$work/app.key")

cmk -u AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH="$work/app.pem" -- \
  --target azure -v plan -f "$bank"
check "a PEM certificate gets tokens and plans (exit $code: $(tail -3 <<<"$err"))" test "$code" -eq 0
check "the plan is the served sandbox's" contains "$out" "$target_line"
check "the certificate credential gave the token" contains "$err" "credential: client-certificate gave a token"
check "-v names the certificate by thumbprint" contains "$err" "client-certificate x5t#S256"
check "the key is not logged" bash -c '! grep -qF -- "$1" <<<"$2"' _ "$key_line" "$err"

cmk -u AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH="$work/app.pfx" \
  AZURE_CLIENT_CERTIFICATE_PASSWORD=e2e-pfx-pass AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true -- \
  --target azure plan -f "$bank"
check "a PKCS#12 certificate with its password plans, chain sent (exit $code: $err)" test "$code" -eq 0
cmk AZURE_CLIENT_CERTIFICATE_PATH="$work/app.pfx" AZURE_CLIENT_CERTIFICATE_PASSWORD=e2e-pfx-pass -- \
  --target azure --credential client-certificate plan -f "$bank"
check "--credential client-certificate uses it though a secret is set (exit $code)" test "$code" -eq 0

cmk -u AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH="$work/app.pfx" \
  AZURE_CLIENT_CERTIFICATE_PASSWORD=not-the-pfx-pass -- --target azure plan -f "$bank"
check "a wrong PKCS#12 password fails (exit $code)" test "$code" -eq 1
check "... naming the password variable" contains "$err" "AZURE_CLIENT_CERTIFICATE_PASSWORD"
check "... not the password" bash -c '! grep -qF not-the-pfx-pass <<<"$1"' _ "$err"

cmk -u AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH="$work/stranger.pem" -- \
  --target azure plan -f "$bank"
check "a certificate the server does not know is refused (exit $code)" test "$code" -eq 1
check "... by the identity platform (AADSTS700027)" contains "$err" "client-certificate: failed: token request failed with HTTP 401 (invalid_client: AADSTS700027"
check "... which stops the chain" contains "$err" "managed-identity: not tried"
check "... and no key is in the error" bash -c '! grep -q "PRIVATE KEY" <<<"$1"' _ "$err"

# The chain: IMDS answering 403 (a proxy would), then the Azure CLI.
perl -MIO::Socket::INET -e '
  my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 5,
                                ReuseAddr => 1) or die "listen: $!";
  print $s->sockport, "\n";
  STDOUT->flush;
  my $b = q({"error":"forbidden","error_description":"A socket operation was attempted to an unreachable network."});
  while (my $c = $s->accept) {
    while (my $l = <$c>) { last if $l =~ /^\r?\n$/ }
    print $c "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n",
             "Content-Length: ", length($b), "\r\nConnection: close\r\n\r\n", $b;
    close $c;
  }' >"$work/imds.port" &
imds=$!
for _ in $(seq 50); do [ -s "$work/imds.port" ] && break; sleep 0.1; done
imds_host=http://127.0.0.1:$(cat "$work/imds.port")

mkdir -p "$work/bin" "$work/bin-logged-out"
cat >"$work/bin/az" <<'EOF'
#!/usr/bin/env bash
# A logged-in Azure CLI for the test: `az account get-access-token --resource R`
# answered with a token from the served sandbox's token endpoint.
resource=
while [ $# -gt 0 ]; do [ "$1" = --resource ] && resource=$2; shift; done
curl -s --cacert "$CMKCTL_CA_BUNDLE" --data-urlencode grant_type=client_credentials \
  --data-urlencode client_id=az-cli-user --data-urlencode "client_secret=$E2E_CLI_SECRET" \
  --data-urlencode "scope=$resource/.default" "$AZURE_AUTHORITY_HOST/$E2E_TENANT/oauth2/v2.0/token" |
  jq '{accessToken: .access_token, expires_on: (now + .expires_in | floor), tokenType: "Bearer"}'
EOF
cat >"$work/bin-logged-out/az" <<'EOF'
#!/usr/bin/env bash
echo "ERROR: Please run 'az login' to setup account." >&2
exit 1
EOF
chmod +x "$work/bin/az" "$work/bin-logged-out/az"

cmk -u AZURE_CLIENT_SECRET AZURE_POD_IDENTITY_AUTHORITY_HOST="$imds_host" PATH="$work/bin:$PATH" \
  E2E_CLI_SECRET="$secret" E2E_TENANT="$tenant" -- --target azure -v plan -f "$bank"
check "IMDS answering 403: the chain moves on to the Azure CLI and plans (exit $code: $(tail -3 <<<"$err"))" \
  test "$code" -eq 0
check "... the plan is the served sandbox's" contains "$out" "$target_line"
check "... managed identity was tried and refused" contains "$err" "credential: managed-identity unavailable: the managed identity endpoint refused the request (HTTP 403"
check "... the CLI gave the token" contains "$err" "credential: azure-cli gave a token"

cmk -u AZURE_CLIENT_SECRET AZURE_POD_IDENTITY_AUTHORITY_HOST="$imds_host" \
  PATH="$work/bin-logged-out:$PATH" -- --target azure plan -f "$bank"
check "nothing gives a token (exit $code)" test "$code" -eq 1
check "one error lists every source" contains "$err" "no Azure credential gave a token; credentials in order:"
for line in "client-secret: unavailable: AZURE_CLIENT_SECRET not set" \
            "client-certificate: unavailable: AZURE_CLIENT_CERTIFICATE_PATH not set" \
            "workload-identity: unavailable: AZURE_FEDERATED_TOKEN_FILE not set" \
            "managed-identity: unavailable: the managed identity endpoint refused the request (HTTP 403: forbidden" \
            "azure-cli: unavailable: az account get-access-token failed (run \`az login\`)"; do
  check "... $line" contains "$err" "  $line"
done
kill "$imds" 2>/dev/null
wait "$imds" 2>/dev/null

# azurerm's names.
cmk -u AZURE_TENANT_ID -u AZURE_CLIENT_ID -u AZURE_CLIENT_SECRET ARM_TENANT_ID="$tenant" \
  ARM_CLIENT_ID=arm-app ARM_CLIENT_SECRET="$secret" -- --target azure plan -f "$bank"
check "ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET work (exit $code: $err)" test "$code" -eq 0
cmk ARM_CLIENT_SECRET=wrong-arm-secret ARM_TENANT_ID=00000000-0000-0000-0000-00000000dead -- \
  --target azure plan -f "$bank"
check "they lose to AZURE_* when both are set (exit $code: $err)" test "$code" -eq 0
cmk AZURE_CLIENT_SECRET=wrong-azure-secret ARM_CLIENT_SECRET="$secret" -- --target azure plan -f "$bank"
check "... whichever is right (exit $code)" test "$code" -eq 1
check "... the AZURE_* secret was the one sent" contains "$err" "AADSTS7000215"
cmk -u AZURE_TENANT_ID -u AZURE_CLIENT_ID -u AZURE_CLIENT_SECRET ARM_TENANT_ID="$tenant" \
  ARM_CLIENT_ID=arm-app ARM_CLIENT_CERTIFICATE_PATH="$work/app.pfx" \
  ARM_CLIENT_CERTIFICATE_PASSWORD=e2e-pfx-pass -- --target azure plan -f "$bank"
check "ARM_CLIENT_CERTIFICATE_PATH and _PASSWORD work (exit $code: $err)" test "$code" -eq 0

# A federated token (as a pipeline's OIDC issuer would sign it) in ARM_OIDC_TOKEN_FILE_PATH.
now=$(date +%s)
jwt_input=$(printf '{"alg":"RS256","typ":"JWT"}' | b64url).$(printf \
  '{"iss":"https://token.actions.example","sub":"repo:bank/cmk:ref:refs/heads/main","aud":"api://AzureADTokenExchange","nbf":%d,"exp":%d}' \
  "$now" $((now + 600)) | b64url)
printf '%s.%s\n' "$jwt_input" "$(printf %s "$jwt_input" | openssl dgst -sha256 -sign "$work/app.key" | b64url)" \
  >"$work/oidc-token"
cmk -u AZURE_TENANT_ID -u AZURE_CLIENT_ID -u AZURE_CLIENT_SECRET ARM_TENANT_ID="$tenant" \
  ARM_CLIENT_ID=arm-app ARM_USE_OIDC=true ARM_OIDC_TOKEN_FILE_PATH="$work/oidc-token" -- \
  --target azure -v plan -f "$bank"
check "ARM_USE_OIDC + ARM_OIDC_TOKEN_FILE_PATH work (exit $code: $(tail -3 <<<"$err"))" test "$code" -eq 0
check "... as workload identity" contains "$err" "credential: workload-identity gave a token"
cmk -u AZURE_TENANT_ID -u AZURE_CLIENT_ID -u AZURE_CLIENT_SECRET ARM_TENANT_ID="$tenant" \
  ARM_CLIENT_ID=arm-app ARM_OIDC_TOKEN_FILE_PATH="$work/oidc-token" -- \
  --target azure --credential workload-identity plan -f "$bank"
check "ARM_OIDC_TOKEN_FILE_PATH without ARM_USE_OIDC is not read (exit $code)" test "$code" -eq 1
check "... workload identity unavailable" contains "$err" "workload-identity: unavailable"

# Clouds: three endpoints by name; CMKCTL_ARM_ENDPOINT and the others still win.
cmk -- --target azure --cloud AzureChinaCloud plan -f "$bank"
check "--cloud with the single overrides set plans against the server (exit $code)" test "$code" -eq 0
check "... the overrides won" contains "$out" "$target_line"
no_overrides=(-u CMKCTL_ARM_ENDPOINT -u CMKCTL_VAULT_DNS_SUFFIX -u AZURE_AUTHORITY_HOST -u AZURE_CLOUD
              -u ARM_ENVIRONMENT PATH=/nonexistent)
cmk "${no_overrides[@]}" -- --target azure --cloud AzureChinaCloud --credential azure-cli -v plan -f "$bank"
check "--cloud AzureChinaCloud sets ARM, the authority and the vault suffix" contains "$err" \
  "azure: ARM https://management.chinacloudapi.cn, authority https://login.chinacloudapi.cn, vaults https://{vault}.vault.azure.cn"
cmk "${no_overrides[@]}" ARM_ENVIRONMENT=usgovernment -- --target azure --credential azure-cli -v plan -f "$bank"
check "ARM_ENVIRONMENT=usgovernment sets them too" contains "$err" \
  "azure: ARM https://management.usgovcloudapi.net, authority https://login.microsoftonline.us, vaults https://{vault}.vault.usgovcloudapi.net"
cmk "${no_overrides[@]}" ARM_ENVIRONMENT=usgovernment AZURE_CLOUD=AzureChinaCloud -- --target azure \
  --credential azure-cli -v --authority-host https://login.example plan -f "$bank"
check "AZURE_CLOUD wins over ARM_ENVIRONMENT, --authority-host over both" contains "$err" \
  "azure: ARM https://management.chinacloudapi.cn, authority https://login.example, vaults https://{vault}.vault.azure.cn"
cmk -- --target azure --cloud AzureMoonCloud plan -f "$bank"
check "an unknown --cloud is a usage error (exit $code)" test "$code" -eq 64
cmk ARM_ENVIRONMENT=german -- --target azure plan -f "$bank"
check "an unknown ARM_ENVIRONMENT is an error naming it (exit $code)" \
  bash -c '[ "$1" -eq 1 ] && grep -q "ARM_ENVIRONMENT: unknown cloud" <<<"$2"' _ "$code" "$err"

# Targets: CMKCTL_TARGET like --target; in CI a target nobody chose is refused.
local_sb=$work/local
"$cmkctl" --sandbox "$local_sb" sandbox seed "$bank/sandbox-seed.yaml" >/dev/null
cmk -u CMKCTL_TARGET CI=true -- --sandbox "$local_sb" plan -f "$bank"
check "CI=true plan without a target refuses (exit $code)" test "$code" -eq 1
check "... naming --target sandbox and --target azure" \
  bash -c 'grep -qF -- "--target sandbox" <<<"$1" && grep -qF -- "--target azure" <<<"$1"' _ "$err"
check "... before reading anything" test -z "$out"
cmk -u CMKCTL_TARGET CI=true -- --sandbox "$local_sb" apply -f "$bank" --auto-approve
check "CI=true apply without a target refuses (exit $code)" test "$code" -eq 1
cmk -u CMKCTL_TARGET TF_BUILD=True -- --sandbox "$local_sb" plan -f "$bank"
check "so does Azure Pipelines (TF_BUILD=True) (exit $code)" test "$code" -eq 1
cmk -u CMKCTL_TARGET CI=true -- --sandbox "$local_sb" --target sandbox plan -f "$bank"
check "CI=true with --target sandbox plans (exit $code)" test "$code" -eq 0
check "... on the sandbox" contains "$out" "Target: sandbox: $local_sb"
check "... which the refused apply did not change" contains "$out" "+ vault/"
cmk CI=true CMKCTL_TARGET=sandbox -- --sandbox "$local_sb" plan -f "$bank"
check "CI=true with CMKCTL_TARGET=sandbox plans (exit $code)" test "$code" -eq 0
cmk CI=true CMKCTL_TARGET=azure -- plan -f "$bank"
check "CMKCTL_TARGET=azure plans against Azure, here the served sandbox (exit $code)" test "$code" -eq 0
check "... $target_line" contains "$out" "$target_line"
cmk CMKCTL_TARGET=azure -- --sandbox "$local_sb" --target sandbox plan -f "$bank"
check "--target wins over CMKCTL_TARGET" contains "$out" "Target: sandbox: $local_sb"
cmk CMKCTL_TARGET=azure -- --sandbox "$local_sb" sandbox clock show
check "sandbox commands work whatever CMKCTL_TARGET says (exit $code)" test "$code" -eq 0
cmk CMKCTL_TARGET=gcp -- plan -f "$bank"
check "CMKCTL_TARGET that is no target is a usage error (exit $code)" test "$code" -eq 64
cmk -u CMKCTL_TARGET CI=true -- validate -f "$bank"
check "validate needs no target in CI (exit $code)" test "$code" -eq 0

echo "credentials e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
