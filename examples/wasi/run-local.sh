#!/usr/bin/env bash
# Builds the component for wasm32-wasip2 and runs it under Node with jco (its preview2 shim
# carries wasi:http to Node's sockets), against the fake: the five calls, an expiry report
# over two certificates made by openssl (one expiring in 10 days, one in 100), the faults of
# the scripted fake, a refused connection, a server that never answers, a body over the
# limit, and over HTTPS, trusted and not. Checks each step and ends with `N passed, M failed` (exit 1 on any failure).
# Needs: `npm ci` done here, the wasm32-wasip2 target, openssl, python3, and cf-mtls and the
# scripted fake built (cargo build -p cf-mtls; cargo build --example scripted-fake
# --features fake-server), which it builds when they are missing.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)
target_dir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]+)".*/\1/')
cf_mtls="$target_dir/debug/cf-mtls"
scripted_fake="$target_dir/debug/examples/scripted-fake"
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

[ -x "$cf_mtls" ] || (cd "$repo" && cargo build -q -p cf-mtls)
[ -x "$scripted_fake" ] || (cd "$repo" && cargo build -q --example scripted-fake --features fake-server)
cargo build -q --release --target wasm32-wasip2
component="$PWD/target/wasm32-wasip2/release/mtls-wasi-component.wasm"
echo "component: $(stat -c %s "$component") bytes"

passed=0 failed=0
# Runs the component with ARGS, and counts its `ok`/`FAIL` lines against the steps expected.
run() {
  local expected=$1; shift
  local out="$work/out"
  echo "--- jco run mtls-wasi-component.wasm $*"
  # jco's run prints the component's output; its exit code is the component's.
  if ! node_modules/.bin/jco run "$component" "$@" > "$out" 2> "$work/err"; then
    cat "$work/err" >&2
  fi
  cat "$out"
  for step in $expected; do
    if grep -q "^ok $step:" "$out"; then passed=$((passed + 1)); else
      failed=$((failed + 1))
      grep -q "^FAIL $step:" "$out" || echo "FAIL $step: the component did not report it"
    fi
  done
}

# The fake, as cf-mtls serves it, and two certificates for the report.
"$cf_mtls" serve-fake --listen 127.0.0.1:0 --json --quiet > "$work/fake.json" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/fake.json" ] && break; sleep 0.1; done
base=$(sed -E 's/.*"base_url":"([^"]+)".*/\1/' "$work/fake.json")
export CLOUDFLARE_BASE_URL="$base" CLOUDFLARE_API_TOKEN=fake-token CLOUDFLARE_ACCOUNT_ID=023e105f4ecef8ad9ca31a8372d0c353
run "upload list get associations delete get-after-delete" calls

for days in 10 100; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" -subj "/CN=ca-$days" \
    -addext basicConstraints=critical,CA:TRUE -keyout /dev/null -out "$work/ca-$days.pem" 2>/dev/null
  "$cf_mtls" upload --ca --name "in-$days-days" --cert "$work/ca-$days.pem" > /dev/null
done
run "report" report 30
# The report names the one expiring within 30 days, and only it.
if grep -qE '^ok report: 2 checked, expiring within 30 days: \[in-10-days in (9|10) days\]$' "$work/out"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "FAIL report-content: not the one certificate expiring in 10 days"
fi

# The scripted fake: faults queued on its control port, by the component itself.
"$scripted_fake" > "$work/scripted" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/scripted" ] && break; sleep 0.1; done
read -r api control < <(sed -E 's/^API=([^ ]+) CONTROL=(.*)$/\1 \2/' "$work/scripted")
CLOUDFLARE_BASE_URL=$api CF_MTLS_FAKE_CONTROL=$control \
  run "retried-html-502 retried-api-500 retried-disconnect disconnect-is-io waited-out-429 redirect-not-followed" faults

# Nothing listens on port 9 (discard); the silent server accepts and never answers.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' > "$work/silent" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/silent" ] && break; sleep 0.1; done
CF_MTLS_REFUSED_URL=http://127.0.0.1:9/client/v4 CF_MTLS_SILENT_URL="http://127.0.0.1:$(cat "$work/silent")/client/v4" \
  run "connection-refused timeout body-limit no-token-in-debug" edges

# Over HTTPS: the fake with a CA made at start. Trusted through NODE_EXTRA_CA_CERTS (the
# shim makes its connections with Node's TLS), the five calls pass; untrusted, a TLS error.
"$cf_mtls" serve-fake --listen 127.0.0.1:0 --tls --tls-ca "$work/ca.pem" --json --quiet > "$work/tls.json" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/tls.json" ] && [ -s "$work/ca.pem" ] && break; sleep 0.1; done
tls_base=$(sed -E 's/.*"base_url":"([^"]+)".*/\1/' "$work/tls.json")
case "$tls_base" in https://*) ;; *) echo "FAIL the TLS fake's URL is $tls_base"; failed=$((failed + 1)) ;; esac
CLOUDFLARE_BASE_URL=$tls_base NODE_EXTRA_CA_CERTS="$work/ca.pem" \
  run "upload list get associations delete get-after-delete" calls
CLOUDFLARE_BASE_URL=$tls_base run "tls-untrusted" untrusted

echo "$passed passed, $failed failed"
test "$failed" = 0
