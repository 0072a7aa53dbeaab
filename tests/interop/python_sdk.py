"""Cloudflare's official Python SDK against the fake server (not run by CI).

    cargo run --example fake-server --features fake-server -- --listen 127.0.0.1:8787 --token fake-token \
        --zone 9a7806061c88ada191ed06f989cc3dac=example.com
    python3 -m venv venv && venv/bin/pip install cloudflare
    CLOUDFLARE_BASE_URL=http://127.0.0.1:8787/client/v4 CLOUDFLARE_API_TOKEN=fake-token \
        CLOUDFLARE_ACCOUNT_ID=023e105f4ecef8ad9ca31a8372d0c353 CLOUDFLARE_ZONE_ID=9a7806061c88ada191ed06f989cc3dac \
        venv/bin/python tests/interop/python_sdk.py

(`cf-mtls serve-fake --listen 127.0.0.1:8787 --token fake-token --zone ID=example.com` serves the same.)

Exits non-zero if any call fails or returns something untyped.
"""

import os
import pathlib
import sys
import time

import cloudflare
from cloudflare import Cloudflare

ACCOUNT = os.environ.get("CLOUDFLARE_ACCOUNT_ID", "023e105f4ecef8ad9ca31a8372d0c353")
# A zone the fake has, named example.com (--zone ID=example.com).
ZONE = os.environ.get("CLOUDFLARE_ZONE_ID", "9a7806061c88ada191ed06f989cc3dac")
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"

# Base URL and token from CLOUDFLARE_BASE_URL and CLOUDFLARE_API_TOKEN, as a user would.
client = Cloudflare(max_retries=0)
print("SDK", cloudflare.__version__, "at", client.base_url)

name = f"python-sdk-{int(time.time())}"
created = client.mtls_certificates.create(
    account_id=ACCOUNT, ca=True, certificates=(FIXTURES / "openapi-example-ca.pem").read_text(), name=name
)
print("create:", type(created).__name__, created.id, created.issuer, created.serial_number, created.signature,
      repr(created.expires_on), repr(created.uploaded_on), repr(created.updated_at))
assert created.issuer == "O=Example Inc.,L=California,ST=San Francisco,C=US", created.issuer
assert created.serial_number == "235217144297995885180570755458463043449861756659"
assert created.expires_on.year == 2122

page = client.mtls_certificates.list(account_id=ACCOUNT)
items = list(page)
print("list:", type(page).__name__, [(type(c).__name__, c.id, c.name) for c in items])
assert any(c.id == created.id for c in items)

got = client.mtls_certificates.get(created.id, account_id=ACCOUNT)
print("get:", type(got).__name__, got.id, got.name, repr(got.expires_on))
assert got.name == name

assoc = client.mtls_certificates.associations.get(created.id, account_id=ACCOUNT)
assoc_items = list(assoc)
print("associations.get:", type(assoc).__name__, assoc_items)

# BYO CA: the zone's hostnames associated with the CA, with the SDK's update and get.
hosts = client.certificate_authorities.hostname_associations
updated = hosts.update(zone_id=ZONE, hostnames=["api.example.com", "*.example.com"], mtls_certificate_id=created.id)
print("hostname_associations.update:", type(updated).__name__, updated.hostnames)
assert updated.hostnames == ["api.example.com", "*.example.com"], updated
read = hosts.get(zone_id=ZONE, mtls_certificate_id=created.id)
print("hostname_associations.get:", type(read).__name__, read.hostnames)
assert read.hostnames == updated.hostnames
managed = hosts.get(zone_id=ZONE)
print("hostname_associations.get (managed CA):", managed.hostnames)
assert managed.hostnames == []
try:
    hosts.update(zone_id=ZONE, hostnames=["api.example.org"], mtls_certificate_id=created.id)
    sys.exit("a hostname outside the zone was accepted")
except cloudflare.BadRequestError as e:
    print("outside the zone:", type(e).__name__, e.status_code, e.body)
try:
    client.mtls_certificates.delete(created.id, account_id=ACCOUNT)
    sys.exit("a CA with hostnames was deleted")
except cloudflare.BadRequestError as e:
    print("delete with hostnames:", type(e).__name__, e.status_code, e.body)
emptied = hosts.update(zone_id=ZONE, hostnames=[], mtls_certificate_id=created.id)
assert emptied.hostnames == [], emptied

deleted = client.mtls_certificates.delete(created.id, account_id=ACCOUNT)
print("delete:", type(deleted).__name__, deleted.id)
assert deleted.id == created.id

try:
    client.mtls_certificates.get(created.id, account_id=ACCOUNT)
    sys.exit("get after delete succeeded")
except cloudflare.NotFoundError as e:
    print("get after delete:", type(e).__name__, e.status_code, e.body)

try:
    Cloudflare(api_token="wrong", max_retries=0).mtls_certificates.list(account_id=ACCOUNT)
    sys.exit("a wrong token was accepted")
except cloudflare.PermissionDeniedError as e:
    print("wrong token:", type(e).__name__, e.status_code, e.body)

try:
    client.mtls_certificates.create(account_id=ACCOUNT, ca=True,
                                    certificates=(FIXTURES / "openapi-example-key.pem").read_text())
    sys.exit("a key was accepted as a certificate")
except cloudflare.BadRequestError as e:
    print("key as certificate:", type(e).__name__, e.status_code, e.body)

print("OK")
