//! `serve-fake`: the fake API on a loopback port, with the lines that point the tools at it.

use cloudflare_mtls::fake::FakeApi;
use cloudflare_mtls::fake_server::FakeServer;
use serde_json::json;

use crate::args::ServeArgs;
use crate::exit::CliError;
use crate::output;

/// Serves until the process is stopped (Ctrl-C).
pub fn serve(args: &ServeArgs, json: bool) -> Result<(), CliError> {
    // The fake takes credentials in clear over plain HTTP: it stays on this machine.
    if !args.listen.ip().is_loopback() {
        return Err(CliError::usage(format!(
            "--listen {}: the fake only listens on a loopback address (127.0.0.1, ::1)",
            args.listen
        )));
    }
    let mut api = FakeApi::new(&args.token, args.account.clone());
    if let Some((calls, window)) = args.rate_limit {
        api.rate_limit(calls, window);
    }
    let server = FakeServer::bind(args.listen, api).map_err(|e| {
        CliError::usage(format!("cannot listen on {}: {e}", args.listen))
            .note("hint: pass --listen 127.0.0.1:0 to take any free port")
    })?;
    if !args.quiet {
        // On stderr, so stdout keeps only the lines to export (or the one JSON line).
        server.log_requests(|method, uri, status, took| {
            eprintln!("{method} {} {} {:.1}ms", output::safe(uri.path()), status.as_u16(), took.as_secs_f64() * 1000.0);
        });
    }
    let url = server.base_url().to_string();
    let (token, account) = (args.token.as_str(), args.account.as_str());
    if json {
        // One line, so that a caller can read it while the server keeps running.
        output::print_line_json(&json!({
            "base_url": url,
            "env": {
                "CLOUDFLARE_BASE_URL": url,
                "CLOUDFLARE_API_BASE_URL": url,
                "CLOUDFLARE_API_TOKEN": token,
                "CLOUDFLARE_ACCOUNT_ID": account,
            },
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
    }
    // The server runs on its own thread; this one only keeps the process (and it) alive.
    let _server = server;
    loop {
        std::thread::park();
    }
}
