// Cloudflare's official TypeScript SDK (npm `cloudflare`) against the fake: the BYO CA calls,
// a CA uploaded, its hostnames updated and read back, the delete refused until they are
// removed (not run by CI).
//
//   cargo run --example fake-server --features fake-server -- --listen 127.0.0.1:8787 --token fake-token \
//       --zone 9a7806061c88ada191ed06f989cc3dac=example.com
//   npm install cloudflare
//   CLOUDFLARE_BASE_URL=http://127.0.0.1:8787/client/v4 CLOUDFLARE_API_TOKEN=fake-token \
//       CLOUDFLARE_ACCOUNT_ID=023e105f4ecef8ad9ca31a8372d0c353 CLOUDFLARE_ZONE_ID=9a7806061c88ada191ed06f989cc3dac \
//       node tests/interop/node_sdk.mjs
//
// Exits non-zero if a call fails or answers otherwise than expected.

import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import Cloudflare from "cloudflare";

const account_id = process.env.CLOUDFLARE_ACCOUNT_ID ?? "023e105f4ecef8ad9ca31a8372d0c353";
const zone_id = process.env.CLOUDFLARE_ZONE_ID ?? "9a7806061c88ada191ed06f989cc3dac";
const pem = readFileSync(new URL("../fixtures/ca-p256.pem", import.meta.url), "utf8");

// Base URL and token from CLOUDFLARE_BASE_URL and CLOUDFLARE_API_TOKEN, as a user would.
const client = new Cloudflare({ maxRetries: 0 });
const created = await client.mtlsCertificates.create({ account_id, ca: true, certificates: pem, name: `node-sdk-${Date.now()}` });
console.log("create:", created.id, created.issuer);

const hosts = client.certificateAuthorities.hostnameAssociations;
const updated = await hosts.update({ zone_id, hostnames: ["api.example.com", "*.example.com"], mtls_certificate_id: created.id });
console.log("hostnameAssociations.update:", updated.hostnames);
assert.deepEqual(updated.hostnames, ["api.example.com", "*.example.com"]);
const read = await hosts.get({ zone_id, mtls_certificate_id: created.id });
console.log("hostnameAssociations.get:", read.hostnames);
assert.deepEqual(read.hostnames, updated.hostnames);
assert.deepEqual((await hosts.get({ zone_id })).hostnames, [], "the managed CA's list is apart");

await assert.rejects(hosts.update({ zone_id, hostnames: ["api.example.org"], mtls_certificate_id: created.id }), (e) => {
  console.log("outside the zone:", e.status, e.errors);
  return e.status === 400;
});
await assert.rejects(client.mtlsCertificates.delete(created.id, { account_id }), (e) => {
  console.log("delete with hostnames:", e.status, e.errors);
  return e.status === 400;
});
assert.deepEqual((await hosts.update({ zone_id, hostnames: [], mtls_certificate_id: created.id })).hostnames, []);
const deleted = await client.mtlsCertificates.delete(created.id, { account_id });
assert.equal(deleted.id, created.id);
console.log("delete:", deleted.id);
console.log("OK");
