//! `cf-mtls`: Cloudflare's mTLS certificates from the shell. See `cf-mtls --help`.

mod api;
mod apply;
mod args;
mod check;
mod commands;
mod confirm;
mod context;
mod docs;
mod exit;
mod export;
mod files;
mod hostnames;
mod network;
mod output;
mod progress;
mod serve;
mod table;
mod text;
mod token;
mod write;

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use cloudflare_mtls::{AccountId, Config, RetryPolicy};

use crate::args::{Cli, Command, Global};
use crate::exit::{CliError, Exit};

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with 2 (`Exit::Usage`), help with 0.
    let cli = args::parse();
    match run(&cli) {
        Ok(()) => ExitCode::from(Exit::Ok.code()),
        Err(err) => {
            // Messages quote servers and users: made safe for the terminal, as stdout is.
            if !err.message.is_empty() {
                eprintln!("error: {}", text::safe(&err.message));
            }
            for note in &err.notes {
                eprintln!("{}", text::safe(note));
            }
            ExitCode::from(err.exit.code())
        }
    }
}

fn run(cli: &Cli) -> Result<(), CliError> {
    // Generated from the declaration: no credentials, no request.
    match &cli.command {
        Command::Completions(args) => return docs::completions(args.shell),
        Command::Man(args) => return docs::man(args),
        _ => {}
    }
    if let Command::ServeFake(args) = &cli.command {
        if cli.global.dry_run {
            return Err(CliError::usage("serve-fake sends no request: --dry-run does not apply"));
        }
        return serve::serve(args, cli.global.json, cli.global.quiet);
    }
    progress::set_quiet(cli.global.quiet);
    let token = token::from_flags(&cli.global, &cli.command)?;
    let config = config(&cli.global, token)?;
    let account = account(&cli.global)?;
    let ctx = context::Context {
        json: cli.global.json,
        quiet: cli.global.quiet,
        dry_run: cli.global.dry_run,
        now: time::OffsetDateTime::now_utc(),
    };
    // `apply --dry-run` is `plan`: it reads the account (to compare) and changes nothing.
    // `hostnames set --dry-run` reads the list (and the CA by name) to show the PUT it would send.
    let command = match &cli.command {
        Command::Apply(args) if cli.global.dry_run => &Command::Plan(args.clone()),
        command @ Command::Hostnames(args::HostnamesArgs { set: Some(_), .. }) => command,
        command if cli.global.dry_run => return commands::dry_run(command, &config, account, &ctx),
        command => command,
    };
    let connect_timeout = cloudflare_mtls::ureq::DEFAULT_CONNECT_TIMEOUT.min(cli.global.timeout);
    let client = cloudflare_mtls::ureq::Builder::new(config.clone())
        .with_timeout(cli.global.timeout)
        .with_connect_timeout(connect_timeout)
        .with_retry(
            RetryPolicy::default().with_max_retries(cli.global.retries).with_max_retry_after(cli.global.max_wait),
        )
        .with_pacing(cli.global.pace.with_max_wait(cli.global.max_wait))
        .with_roots(network::roots(&cli.global, config.base_url().as_str().starts_with("https:"))?)
        .with_proxy(network::proxy(&cli.global, config.base_url())?)
        .build();
    let api =
        api::Api::new(config, client.transport(), client.retry_policy().clone(), client.pacing(), seed(), account);
    commands::run(command, &api, &ctx)
}

/// The core reads the environment (the same names as Cloudflare's tools); flags win (`token`:
/// the one `--api-token` or `--api-token-file` gave).
fn config(global: &Global, token: Option<String>) -> Result<Config, CliError> {
    let lookup = |name: &str| match name {
        "CLOUDFLARE_API_TOKEN" if token.is_some() => token.clone(),
        // A --base-url makes the variables irrelevant, even malformed ones.
        "CLOUDFLARE_BASE_URL" | "CLOUDFLARE_API_BASE_URL" if global.base_url.is_some() => None,
        _ => std::env::var(name).ok(),
    };
    let config = Config::from_lookup(lookup)?;
    Ok(match &global.base_url {
        Some(url) => config.with_base_url(url.clone()),
        None => config,
    })
}

fn account(global: &Global) -> Result<AccountId, CliError> {
    global.account_id.clone().ok_or_else(|| {
        CliError::usage("CLOUDFLARE_ACCOUNT_ID is not set")
            .note("hint: export CLOUDFLARE_ACCOUNT_ID=... (on the dashboard's account home page), or pass --account-id")
    })
}

/// Retry jitter differs between processes, so that clients failing together do not retry
/// together.
fn seed() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    nanos ^ u64::from(std::process::id()).rotate_left(32)
}
