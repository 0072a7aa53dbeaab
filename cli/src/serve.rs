//! `serve-fake`: the fake API on a loopback port, with the lines that point the tools at it.

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::{FakeServer, FakeTls};
use serde_json::json;

use crate::args::ServeArgs;
use crate::exit::CliError;
use crate::write::Outcome;
use crate::{output, text};

/// Serves until the process is stopped (Ctrl-C).
pub fn serve(args: &ServeArgs, json: bool, quiet: bool) -> Result<(), CliError> {
    // The fake takes credentials in clear over plain HTTP: it stays on this machine.
    if !args.listen.ip().is_loopback() {
        return Err(CliError::usage(format!(
            "--listen {}: the fake only listens on a loopback address (127.0.0.1, ::1)",
            args.listen
        )));
    }
    let mut api = FakeApi::new(&args.token, args.account.clone());
    for (zone, name) in &args.zones {
        // Checked as the option was read: a name that is no hostname never gets here.
        api.add_zone(zone.clone(), name).map_err(|e| CliError::usage(format!("--zone {zone}={name}: {e}")))?;
    }
    if let Some((calls, window)) = args.rate_limit {
        api.rate_limit(calls, window);
    }
    let mut builder = FakeServer::builder(api).with_addr(args.listen);
    if args.tls {
        let tls = FakeTls::new().map_err(|e| CliError::new(crate::exit::Exit::Other, e.to_string()))?;
        builder = builder.with_tls(tls);
    }
    let server = builder.start().map_err(|e| {
        CliError::usage(format!("cannot listen on {}: {e}", args.listen))
            .note("hint: pass --listen 127.0.0.1:0 to take any free port")
    })?;
    let ca_file = match (&args.tls_ca, server.ca_pem()) {
        (Some(path), Some(pem)) => {
            let cannot = |why: String| {
                CliError::local(format!("cannot write the CA certificate to {}: {why}", text::path(path)))
            };
            match crate::write::file(path, pem.as_bytes(), args.force, 0o644).map_err(|e| cannot(e.to_string()))? {
                Outcome::Written | Outcome::Unchanged => {}
                Outcome::Exists => {
                    return Err(cannot("it exists".to_owned())
                        .note("hint: pass --force to replace it (a symlink there is replaced, never followed), or name a new file"));
                }
            }
            Some(path.display().to_string())
        }
        _ => None,
    };
    if !quiet {
        // On stderr, so stdout keeps only the lines to export (or the one JSON line).
        server.log_requests(|method, uri, status, took| {
            eprintln!("{method} {} {} {:.1}ms", text::safe(uri.path()), status.as_u16(), took.as_secs_f64() * 1000.0);
        });
    }
    let url = server.base_url().to_string();
    let (token, account) = (args.token.as_str(), args.account.as_str());
    // The first zone is the one `hostnames` takes when no ZONE_ID is given.
    let first_zone = args.zones.first().map(|(zone, _)| zone.as_str());
    if json {
        let mut env = json!({
            "CLOUDFLARE_BASE_URL": url,
            "CLOUDFLARE_API_BASE_URL": url,
            "CLOUDFLARE_API_TOKEN": token,
            "CLOUDFLARE_ACCOUNT_ID": account,
        });
        if let (Some(zone), Some(map)) = (first_zone, env.as_object_mut()) {
            map.insert("CLOUDFLARE_ZONE_ID".to_owned(), zone.into());
        }
        let zones: Vec<_> = args.zones.iter().map(|(id, name)| json!({"id": id.as_str(), "name": name})).collect();
        // One line, so that a caller can read it while the server keeps running.
        output::print_line_json(&json!({
            "base_url": url,
            "ca_file": ca_file,
            "ca_pem": if ca_file.is_none() { server.ca_pem() } else { None },
            "env": env,
            "zones": zones,
        }))?;
    } else {
        output::print(&format!(
            "Fake Cloudflare mTLS API on {url} (token {token:?}, account {account}); Ctrl-C stops it.\n\
             \n\
             # cf-mtls, and Cloudflare's SDKs (Python, TypeScript, Go):\n\
             export CLOUDFLARE_BASE_URL={url}\n\
             export CLOUDFLARE_API_TOKEN={token}\n\
             export CLOUDFLARE_ACCOUNT_ID={account}\n\
             # wrangler (with the token and account above):\n\
             export CLOUDFLARE_API_BASE_URL={url}\n\
             export WRANGLER_SEND_METRICS=false\n"
        ))?;
        if let Some(zone) = first_zone {
            let zones: Vec<String> = args.zones.iter().map(|(id, name)| format!("{name} ({id})")).collect();
            output::print(&format!(
                "# Zones, for `cf-mtls hostnames`: {}\nexport CLOUDFLARE_ZONE_ID={zone}\n",
                zones.join(", ")
            ))?;
        }
        match (&ca_file, server.ca_pem()) {
            (Some(file), _) => output::print(&format!(
                "# HTTPS: trust the fake's CA (cf-mtls --cacert; Python's SDK; wrangler and Node):\n\
                 export SSL_CERT_FILE={file}\n\
                 export NODE_EXTRA_CA_CERTS={file}\n"
            ))?,
            (None, Some(pem)) => {
                output::print(&format!("# HTTPS: the fake's CA, to trust (or pass --tls-ca FILE):\n{pem}"))?
            }
            (None, None) => {}
        }
    }
    // The server runs on its own thread; this one only keeps the process (and it) alive.
    let _server = server;
    loop {
        std::thread::park();
    }
}
