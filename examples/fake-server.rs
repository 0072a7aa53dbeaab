//! Serves the fake mTLS API on loopback, for Cloudflare's own clients or yours.
//!
//! ```sh
//! cargo run --example fake-server --features fake-server -- \
//!     --listen 127.0.0.1:8787 --token TOKEN --account ACCOUNT_ID [--email E --key K] \
//!     [--tls --tls-ca FILE] [--zone ZONE_ID=NAME ...]
//! ```
//!
//! Every option has a default. Prints the base URL and the environment for Cloudflare's
//! Python SDK and `wrangler`, then logs each request. Ctrl-C stops it.

use std::process::ExitCode;

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::{FakeServer, FakeTls};
use cloudflare_mtls::{AccountId, ZoneId};

const USAGE: &str =
    "usage: fake-server [--listen ADDR] [--token TOKEN] [--account ACCOUNT_ID] [--email EMAIL --key KEY] [--tls --tls-ca FILE] [--zone ZONE_ID=NAME]...

  --listen ADDR         loopback address and port to listen on (default 127.0.0.1:8787; port 0 picks one)
  --token TOKEN         the API token to accept as `Authorization: Bearer TOKEN` (default fake-token)
  --account ACCOUNT_ID  the one account the fake holds (default 023e105f4ecef8ad9ca31a8372d0c353)
  --email EMAIL --key KEY
                        also accept this global API key with X-Auth-Email (optional, both or neither)
  --tls --tls-ca FILE   serve HTTPS (h2 and HTTP/1.1) with a certificate signed by a CA made at start,
                        whose certificate is written to FILE for clients to trust
  --zone ZONE_ID=NAME   a zone of the account (e.g. 9a7806061c88ada191ed06f989cc3dac=example.com), for
                        the hostname associations; repeat for several";

struct Args {
    listen: String,
    token: String,
    account: String,
    global_key: Option<(String, String)>,
    tls: bool,
    tls_ca: Option<String>,
    zones: Vec<String>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        listen: "127.0.0.1:8787".into(),
        token: "fake-token".into(),
        account: "023e105f4ecef8ad9ca31a8372d0c353".into(),
        global_key: None,
        tls: false,
        tls_ca: None,
        zones: Vec::new(),
    };
    let (mut email, mut key) = (None, None);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        if flag == "--tls" {
            parsed.tls = true;
            continue;
        }
        // `--flag=value` or `--flag value`.
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (flag.clone(), None),
        };
        let slot = match name.as_str() {
            "--listen" => &mut parsed.listen,
            "--token" => &mut parsed.token,
            "--account" => &mut parsed.account,
            "--email" => email.insert(String::new()),
            "--key" => key.insert(String::new()),
            "--tls-ca" => parsed.tls_ca.insert(String::new()),
            "--zone" => {
                parsed.zones.push(String::new());
                parsed.zones.last_mut().ok_or("--zone needs a value")?
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        };
        *slot = match inline.or_else(|| args.next()) {
            Some(v) if !v.is_empty() => v,
            _ => return Err(format!("{name} needs a value")),
        };
    }
    parsed.global_key = match (email, key) {
        (Some(e), Some(k)) => Some((e, k)),
        (None, None) => None,
        _ => return Err("--email and --key go together".into()),
    };
    if parsed.tls != parsed.tls_ca.is_some() {
        return Err("--tls and --tls-ca FILE go together".into());
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(why) if why.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("fake-server: {why}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let account = match AccountId::new(args.account.clone()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fake-server: --account: {e}");
            return ExitCode::from(2);
        }
    };
    let mut api = FakeApi::new(&args.token, account.clone());
    if let Some((email, key)) = &args.global_key {
        api = api.with_global_key(email, key);
    }
    for zone in &args.zones {
        let added = zone
            .split_once('=')
            .ok_or_else(|| "expected ZONE_ID=NAME".to_owned())
            .and_then(|(id, name)| ZoneId::new(id).map(|id| (id, name)).map_err(|e| e.to_string()))
            .and_then(|(id, name)| api.add_zone(id, name).map_err(|e| e.to_string()));
        if let Err(e) = added {
            eprintln!("fake-server: --zone {zone}: {e}");
            return ExitCode::from(2);
        }
    }
    let mut builder = FakeServer::builder(api).with_addr(args.listen.as_str());
    if args.tls {
        match FakeTls::new() {
            Ok(tls) => builder = builder.with_tls(tls),
            Err(e) => {
                eprintln!("fake-server: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let server = match builder.start() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-server: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    if let (Some(file), Some(pem)) = (&args.tls_ca, server.ca_pem())
        && let Err(e) = std::fs::write(file, pem)
    {
        eprintln!("fake-server: cannot write the CA certificate to {file}: {e}");
        return ExitCode::FAILURE;
    }
    let base = server.base_url();
    println!("Fake Cloudflare mTLS API listening on {}", server.local_addr());
    println!("Base URL: {base}");
    println!();
    println!("For this crate and Cloudflare's Python SDK:");
    println!("  export CLOUDFLARE_BASE_URL={base}");
    println!("For wrangler:");
    println!("  export CLOUDFLARE_API_BASE_URL={base}");
    println!("For both:");
    println!("  export CLOUDFLARE_API_TOKEN={}", args.token);
    println!("  export CLOUDFLARE_ACCOUNT_ID={account}");
    if let Some((email, _)) = &args.global_key {
        println!("  (or CLOUDFLARE_EMAIL={email} with CLOUDFLARE_API_KEY=<the --key given>)");
    }
    if let Some(file) = &args.tls_ca {
        println!("To trust its CA (cf-mtls --cacert FILE; Python's SDK; wrangler and Node):");
        println!("  export SSL_CERT_FILE={file}");
        println!("  export NODE_EXTRA_CA_CERTS={file}");
    }
    println!();
    println!("Ctrl-C stops it. Requests:");
    server.log_requests(|method, uri, status, took| {
        println!("  {method} {uri} -> {} ({:.1} ms)", status.as_u16(), took.as_secs_f64() * 1000.0)
    });
    // The server runs on its own thread; this one waits until the process is interrupted.
    loop {
        std::thread::park();
    }
}
