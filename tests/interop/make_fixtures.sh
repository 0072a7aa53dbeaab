#!/usr/bin/env bash
# Regenerates the fake's X.509 fixtures in tests/fixtures with the openssl CLI (not run by CI;
# the outputs are committed). Valid certificates last 100 years so tests never rot.
set -euo pipefail
out="$(cd "$(dirname "$0")/../fixtures" && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
days=36500

ext() { printf '%s\n' "$@" > "$work/ext.cnf"; }

# Root CA, ECDSA P-256. Subject written CN first: Go (and so the API) still prints it in its fixed order.
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$out/ca-p256-key.pem"
openssl req -x509 -new -key "$out/ca-p256-key.pem" -sha256 -days $days -set_serial 1001 \
  -subj "/CN=cloudflare-mtls Test Root CA/O=cloudflare-mtls tests/C=US" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$out/ca-p256.pem"

# Intermediate CA, ECDSA P-256, signed by the root with SHA-384.
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$out/intermediate-p256-key.pem"
openssl req -new -key "$out/intermediate-p256-key.pem" \
  -subj "/C=US/ST=California/L=San Francisco/O=cloudflare-mtls tests/OU=Fixtures/CN=cloudflare-mtls Test Intermediate CA" \
  -out int.csr
ext "basicConstraints=critical,CA:TRUE,pathlen:0" "keyUsage=critical,keyCertSign,cRLSign"
openssl x509 -req -in int.csr -CA "$out/ca-p256.pem" -CAkey "$out/ca-p256-key.pem" -sha384 -days $days \
  -set_serial 0x00c0ffee00000000000000000000000000000001 -extfile ext.cnf -out "$out/intermediate-p256.pem"

# Leaf (client certificate), ECDSA P-256 (SEC1 key), signed by the intermediate; and the chain leaf + intermediate.
openssl ecparam -name prime256v1 -genkey -noout -out "$out/leaf-p256-key.pem"
openssl req -new -key "$out/leaf-p256-key.pem" -subj "/O=cloudflare-mtls tests/CN=client.example.test" -out leaf.csr
ext "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth"
openssl x509 -req -in leaf.csr -CA "$out/intermediate-p256.pem" -CAkey "$out/intermediate-p256-key.pem" -sha256 \
  -days $days -set_serial 3003 -extfile ext.cnf -out "$out/leaf-p256.pem"
cat "$out/leaf-p256.pem" "$out/intermediate-p256.pem" > "$out/chain-p256.pem"

# Root CA, RSA 2048 (PKCS#1 key), SHA-256.
openssl genrsa -traditional -out "$out/ca-rsa2048-key.pem" 2048
openssl req -x509 -new -key "$out/ca-rsa2048-key.pem" -sha256 -days $days -set_serial 4004 \
  -subj "/C=GB/L=London/O=cloudflare-mtls tests, RSA/CN=cloudflare-mtls Test RSA Root" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$out/ca-rsa2048.pem"

# An expired CA certificate (valid 2020-01-01 to 2021-01-01), through `openssl ca` for fixed dates.
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out expired-key.pem
mkdir -p db && : > db/index.txt && echo 5005 > db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = fixtures
[fixtures]
dir = $work/db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = v3
[any]
commonName = supplied
organizationName = optional
[v3]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
CNF
openssl req -new -key expired-key.pem -subj "/O=cloudflare-mtls tests/CN=cloudflare-mtls Expired CA" -out expired.csr
openssl ca -batch -config ca.cnf -selfsign -keyfile expired-key.pem -in expired.csr -notext \
  -startdate 20200101000000Z -enddate 20210101000000Z -out "$out/expired-p256.pem" 2>/dev/null

# Root CA, Ed25519 (PKCS#8 key).
openssl genpkey -algorithm ed25519 -out "$out/ca-ed25519-key.pem"
openssl req -x509 -new -key "$out/ca-ed25519-key.pem" -days $days -set_serial 6006 \
  -subj "/O=cloudflare-mtls tests/CN=cloudflare-mtls Test Ed25519 Root" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$out/ca-ed25519.pem"
