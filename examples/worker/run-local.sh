#!/usr/bin/env bash
# Runs the Worker locally and offline under `wrangler dev` (workerd) against the fake, with
# two certificates made by openssl (one expiring in 10 days, one in 100), and checks its
# answers. Needs: wasm-bindgen-cli at Cargo.lock's version and worker-build on PATH,
# `npm install` done here (wrangler, esbuild), openssl, and cf-mtls built (cargo build -p cf-mtls).
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)
cf_mtls="$repo/target/debug/cf-mtls"
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# worker-build takes wasm-bindgen and esbuild from these instead of downloading them.
export PATH="$PWD/node_modules/.bin:$PATH"
export WASM_BINDGEN_BIN=wasm-bindgen ESBUILD_BIN=esbuild
worker-build --release

"$cf_mtls" serve-fake --listen 127.0.0.1:0 --json --quiet > "$work/fake.json" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/fake.json" ] && break; sleep 0.1; done
base=$(sed -E 's/.*"base_url":"([^"]+)".*/\1/' "$work/fake.json")
export CLOUDFLARE_BASE_URL="$base" CLOUDFLARE_API_TOKEN=fake-token CLOUDFLARE_ACCOUNT_ID=023e105f4ecef8ad9ca31a8372d0c353
for days in 10 100; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" -subj "/CN=ca-$days" \
    -addext basicConstraints=critical,CA:TRUE -keyout /dev/null -out "$work/ca-$days.pem" 2>/dev/null
  "$cf_mtls" upload --ca --name "in-$days-days" --cert "$work/ca-$days.pem" > /dev/null
done

# The Worker's secret and the fake's URL, as wrangler dev reads them locally.
printf 'CLOUDFLARE_API_TOKEN=fake-token\nCLOUDFLARE_BASE_URL=%s\n' "$base" > .dev.vars
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false \
  wrangler dev --ip 127.0.0.1 --port "$port" --test-scheduled > "$work/wrangler.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done

echo "--- GET /expiring?days=30"
code=$(curl -s -o "$work/30.json" -w '%{http_code}' "http://127.0.0.1:$port/expiring?days=30")
cat "$work/30.json"; echo " (HTTP $code)"
test "$code" = 409
grep -q '"name":"in-10-days"' "$work/30.json"
# Not `! grep` alone: bash's `set -e` ignores a `!` pipeline, so it could never fail the script.
if grep -q 'in-100-days' "$work/30.json"; then echo "in-100-days listed as expiring within 30 days" >&2; exit 1; fi
echo "--- GET /expiring?days=5"
code=$(curl -s -o "$work/5.json" -w '%{http_code}' "http://127.0.0.1:$port/expiring?days=5")
cat "$work/5.json"; echo " (HTTP $code)"
test "$code" = 200
# The body says so too: both certificates checked, none expiring.
grep -q '"checked":2' "$work/5.json"
grep -q '"expiring":\[\]' "$work/5.json"
echo "--- the cron trigger (/__scheduled)"
curl -s "http://127.0.0.1:$port/__scheduled?cron=0+6+*+*+*" > /dev/null
# The log line comes when the handler has run: wait for it (up to 30 s), not a fixed time.
for _ in $(seq 150); do grep -qE "expiring: |OK: none|the check failed" "$work/wrangler.log" && break; sleep 0.2; done
grep -E "expiring: |OK: none|the check failed" "$work/wrangler.log" || { cat "$work/wrangler.log"; exit 1; }
grep -q "expiring: .*in-10-days" "$work/wrangler.log"
rm -f .dev.vars
echo "the Worker ran under workerd and answered as expected"
