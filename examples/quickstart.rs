//! The crate's main job, step by step: upload a CA certificate, list, get, show its
//! associations, try to delete it while a service uses it, then delete it.
//!
//! ```sh
//! cargo run --example quickstart --features fake-server
//! ```
//!
//! It runs against the built-in fake on loopback, whatever the environment holds: it never
//! writes to a real account unless asked. With `-- --real` (and `CLOUDFLARE_API_TOKEN`, or
//! `CLOUDFLARE_API_KEY` + `CLOUDFLARE_EMAIL`, and `CLOUDFLARE_ACCOUNT_ID`) it runs against the
//! real API, says so first, and skips the steps only a fake can do (attaching a service to
//! the certificate):
//!
//! ```sh
//! cargo run --example quickstart --features fake-server -- --real
//! ```
//!
//! Exits non-zero on any unexpected outcome.

use std::error::Error;
use std::process::ExitCode;

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::FakeServer;
use cloudflare_mtls::{AccountId, Association, Certificate, CertificateId, Config, Credentials, List, Upload};

/// A small ECDSA P-256 CA certificate shipped with the tests (valid until 2126).
const CA_PEM: &str = include_str!("../tests/fixtures/ca-p256.pem");

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Where the calls go: the fake (with its server, for the test hooks) or the real API.
enum Target {
    Fake(FakeServer),
    Real,
}

struct Steps(u32);

impl Steps {
    fn next(&mut self, what: &str) {
        self.0 += 1;
        println!("\n{}. {what}", self.0);
    }
}

fn unexpected(what: impl Into<String>) -> Box<dyn Error> {
    what.into().into()
}

fn describe(cert: &Certificate) -> String {
    format!(
        "{} \"{}\" (CA: {}), issuer {}, serial {}, {}, expires {}",
        cert.id.as_ref().map_or("<no id>", |id| id.as_str()),
        cert.name.as_deref().unwrap_or(""),
        cert.ca.map_or("?".into(), |c| c.to_string()),
        cert.issuer.as_deref().unwrap_or("?"),
        cert.serial_number.as_deref().unwrap_or("?"),
        cert.signature.as_deref().unwrap_or("?"),
        cert.expiry(),
    )
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => {
            println!("\nDone.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nquickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let real = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--real") => true,
        Some(other) => return Err(unexpected(format!("unknown argument {other:?}; the only one is --real"))),
    };
    let (target, config, account) = match env("CLOUDFLARE_ACCOUNT_ID") {
        Some(account) if real => {
            let config = Config::from_lookup(env)?;
            println!("--real: running against the REAL API at {}", config.base_url());
            println!("for account {account}. This uploads one CA certificate and deletes it at the end.");
            (Target::Real, config, AccountId::new(account)?)
        }
        None if real => return Err(unexpected("--real needs CLOUDFLARE_ACCOUNT_ID (and CLOUDFLARE_API_TOKEN) set")),
        _ => {
            if env("CLOUDFLARE_ACCOUNT_ID").is_some() || env("CLOUDFLARE_API_TOKEN").is_some() {
                println!("(Cloudflare credentials are set, but this runs against the fake unless given --real.)");
            }
            let account = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353")?;
            let server = FakeServer::start(FakeApi::new("quickstart-token", account.clone()))?;
            let config = Config::new(Credentials::api_token("quickstart-token")?).with_base_url(server.base_url());
            println!("Using the built-in fake at {}", server.base_url());
            println!(
                "(with CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID set, `-- --real` runs it against the real API)."
            );
            (Target::Fake(server), config, account)
        }
    };
    let client = cloudflare_mtls::ureq::client(config);
    let mut step = Steps(0);

    // A name no earlier run used: the API wants names unique.
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let name = format!("cloudflare-mtls-quickstart-{stamp}");
    step.next(&format!("Upload a CA certificate named {name}"));
    let cert = client.upload(&Upload::ca(account.clone(), CA_PEM).with_name(&name))?;
    let id = cert.id.clone().ok_or_else(|| unexpected("the upload's answer has no id"))?;
    println!("   uploaded: {}", describe(&cert));

    // From here on, a failure still tries to remove the certificate from a real account.
    let outcome = steps(&client, &target, &account, &id, &name, &mut step);
    if outcome.is_err() && matches!(target, Target::Real) {
        eprintln!("\ncleaning up: deleting {id}");
        if let Err(e) = client.delete(&account, &id) {
            eprintln!("cleanup failed, delete it yourself: {e}");
        }
    }
    outcome
}

fn steps(
    client: &cloudflare_mtls::ureq::Client,
    target: &Target,
    account: &AccountId,
    id: &CertificateId,
    name: &str,
    step: &mut Steps,
) -> Result<()> {
    step.next("List the account's CA certificates (every page)");
    let all = client.list_all(List::new(account.clone()).with_ca(true)).collect::<std::result::Result<Vec<_>, _>>()?;
    for cert in &all {
        println!("   - {} {}", cert.id.as_ref().map_or("?", |i| i.as_str()), cert.name.as_deref().unwrap_or(""));
    }
    println!("   {} certificate(s)", all.len());
    if !all.iter().any(|c| c.id.as_ref() == Some(id)) {
        return Err(unexpected("the uploaded certificate is not in the list"));
    }

    step.next("Get it by ID");
    let got = client.get(account, id)?;
    println!("   {}", describe(&got));
    if got.name.as_deref() != Some(name) {
        return Err(unexpected(format!("got name {:?}, expected {name:?}", got.name)));
    }

    if let Target::Fake(server) = target {
        step.next("(fake only) A Cloudflare service starts using it: attach a gateway association");
        if !server.with_api(|api| api.attach(id, Association::new("gateway", "pending_deployment"))) {
            return Err(unexpected("the fake did not find the certificate to attach"));
        }
        println!("   attached: gateway (pending_deployment)");
    }

    step.next("Show its associations (the services using it)");
    let associations = client.associations(account, id)?;
    if associations.items.is_empty() {
        println!("   none");
    }
    for a in &associations.items {
        println!("   - {} ({})", a.service.as_deref().unwrap_or("?"), a.status.as_deref().unwrap_or("?"));
    }

    if let Target::Fake(server) = target {
        step.next("Try to delete it while the gateway uses it");
        match client.delete(account, id) {
            Ok(_) => return Err(unexpected("the API deleted a certificate that is in use")),
            Err(e) if e.response().and_then(|r| r.api()).is_some() => println!("   refused, as expected: {e}"),
            Err(e) => return Err(e.into()),
        }

        step.next("(fake only) The gateway stops using it: detach");
        if !server.with_api(|api| api.detach(id, "gateway")) {
            return Err(unexpected("nothing was attached to detach"));
        }
        println!("   detached");
    }

    step.next("Delete it");
    let deleted = client.delete(account, id)?;
    println!("   deleted {}", deleted.id());

    step.next("Check it is gone");
    match client.get(account, id) {
        Err(e) if e.is_not_found() => println!("   not found, as expected"),
        Ok(_) => return Err(unexpected("the certificate is still there after the delete")),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
