//! The command line, declared with clap's derive.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use cloudflare_mtls::pacing::Budget;
use cloudflare_mtls::{AccountId, BaseUrl, CertificateId, CertificateType, Hostname, Pacing, ZoneId};

const ABOUT: &str = "Manage Cloudflare mTLS certificates: upload, list, get, associations, hostnames, delete.";

const LONG_ABOUT: &str = "\
Manage the mTLS certificates of a Cloudflare account: upload, list, get, associations, delete;
and the hostnames of a zone whose client certificates an uploaded CA verifies (hostnames).

Credentials come from the same environment variables as Cloudflare's own tools:
  CLOUDFLARE_API_TOKEN       an API token with `SSL and Certificates` (#ssl:read, #ssl:edit)
  CLOUDFLARE_API_KEY         a global API key, with CLOUDFLARE_EMAIL
  CLOUDFLARE_ACCOUNT_ID      the account (or --account-id)
  CLOUDFLARE_ZONE_ID         the zone of `hostnames` when no ZONE_ID is given
  CLOUDFLARE_BASE_URL        another API base URL (wrangler's CLOUDFLARE_API_BASE_URL works too)
Prefer the environment or --api-token-file to --api-token: a flag shows in `ps` and in shell
history.

For `hostnames`, the token also needs the zone's `SSL and Certificates` permission (Read to
list, Edit to set).

Try it without an account: run `cf-mtls serve-fake` and use the lines it prints.";

/// The heading of the options every command takes: listed in `cf-mtls --help` and cf-mtls(1)
/// only, not again in every command's help (see [`command`]).
const GLOBAL: &str = "Global options";

/// A command's `after_help`: its examples, then where the global options and the exit codes
/// are (once, for every command). A macro: clap's attribute takes one string, and `concat!`
/// only literals.
macro_rules! examples {
    ($($line:literal),+ $(,)?) => {
        concat!("Examples:\n", $("  ", $line, "\n",)+ "\n", see_top!())
    };
}

/// The line at the end of every command's help.
macro_rules! see_top {
    () => {
        "Global options (--json, --dry-run, --quiet, --api-token-file, ...) and exit codes: cf-mtls --help\n"
    };
}

const BASE_URL_HELP: &str = "The API base URL [default: https://api.cloudflare.com/client/v4, or CLOUDFLARE_BASE_URL, or CLOUDFLARE_API_BASE_URL]";

/// `cf-mtls`: the command line.
#[derive(Debug, Parser)]
#[command(name = "cf-mtls", version, about = ABOUT, long_about = LONG_ABOUT, after_help = crate::exit::help())]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes (they may come before or after the command).
#[derive(Debug, Args)]
pub struct Global {
    /// Print JSON instead of text, for scripts: the API's objects as they came, one JSON
    /// document on stdout
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,

    /// Print the HTTP request that would be sent (secrets redacted) and send nothing
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub dry_run: bool,

    /// The account ID
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "ID", env = "CLOUDFLARE_ACCOUNT_ID")]
    pub account_id: Option<AccountId>,

    /// An API token; it shows in `ps` and shell history (a warning says so): prefer
    /// CLOUDFLARE_API_TOKEN or --api-token-file
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "TOKEN")]
    pub api_token: Option<String>,

    /// Read the API token from FILE (- for standard input): one line, its newline dropped
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "FILE", conflicts_with = "api_token")]
    pub api_token_file: Option<PathBuf>,

    /// The API base URL (the help text names the default and the variables).
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "URL", help = BASE_URL_HELP)]
    pub base_url: Option<BaseUrl>,

    /// How long one attempt may take, from connecting to the last byte (e.g. 10s, 2m)
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Retries after a failed attempt (connection failures, 429, 5xx; an upload only when
    /// it was certainly not received)
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "N", default_value_t = 2)]
    pub retries: u32,

    /// Stay within N calls per WINDOW, and within what the API's Ratelimit headers say:
    /// wait rather than be locked out by 429s (the API's limit is 1200/5m per token, all
    /// tools together); `off` sends at once
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "N/WINDOW|off", default_value = "1200/5m", value_parser = parse_pacing)]
    pub pace: Pacing,

    /// The longest wait for the API's rate limit (its Ratelimit, Ratelimit-Policy or a 429's
    /// Retry-After) before a call; a longer one fails the call at once, saying how long to
    /// wait. Every wait over a second is announced on stderr
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub max_wait: Duration,

    /// Print only errors, warnings and what a script needs: upload prints only the new
    /// certificate's ID, delete, apply and export nothing, check only the certificates that
    /// expire; no progress, no notice of waits, no request log of serve-fake. The output of
    /// list, get, associations and plan, and --json documents, are unchanged
    #[arg(long, short = 'q', global = true, help_heading = GLOBAL)]
    pub quiet: bool,

    /// Trust only the CA certificates in FILE (PEM), as curl's --cacert; without it,
    /// SSL_CERT_FILE if set, else Mozilla's roots
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Go through this proxy (http://host:port, or http://user:password@host:port) for every
    /// host ('' for none); without it, HTTPS_PROXY / ALL_PROXY and NO_PROXY as curl reads
    /// them (never for loopback)
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "URL")]
    pub proxy: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload a certificate or chain (PEM), checked locally first
    #[command(after_help = examples!(
        "# A CA that verifies client certificates",
        "cf-mtls upload --ca --name my-ca --cert ca.pem",
        "# A client certificate with its key, the certificate from standard input",
        "cat client.pem | cf-mtls upload --name my-client --cert - --key client.key",
        "# The new ID alone, for a script",
        "id=$(cf-mtls -q upload --ca --name my-ca --cert ca.pem)",
    ))]
    Upload(UploadArgs),
    /// List certificates as a table (every page)
    #[command(after_help = examples!(
        "cf-mtls list",
        "cf-mtls list --ca --expiring-within 30d",
        "cf-mtls list --json | jq -r '.[].id'",
    ))]
    List(ListArgs),
    /// Show one certificate
    #[command(after_help = examples!("cf-mtls get --name my-ca", "cf-mtls get 2458ce5a-0c35-4c7f-82c7-8e9487d3ff60 --json"))]
    Get(Target),
    /// List the Cloudflare services that use a certificate
    #[command(after_help = examples!(
        "cf-mtls associations --name my-ca",
        "cf-mtls associations 2458ce5a-0c35-4c7f-82c7-8e9487d3ff60 --json",
    ))]
    Associations(Target),
    /// Show the hostnames of a zone whose client certificates a CA verifies (BYO CA for
    /// mTLS), or with `set`, change them
    #[command(
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true,
        disable_help_subcommand = true,
        after_help = examples!(
            "cf-mtls hostnames 9a7806061c88ada191ed06f989cc3dac --cert my-ca",
            "# The zone's Cloudflare-managed CA, the zone from CLOUDFLARE_ZONE_ID",
            "cf-mtls hostnames --json",
            "cf-mtls hostnames set 9a7806061c88ada191ed06f989cc3dac --cert my-ca api.example.com",
        )
    )]
    Hostnames(HostnamesArgs),
    /// Delete a certificate (asks first on a terminal; refused while a service uses it, or
    /// while a zone's hostnames are associated with it: --detach removes those first)
    #[command(after_help = examples!(
        "cf-mtls delete --name old-ca",
        "# A CA with hostnames in two zones: remove them, then delete it",
        "cf-mtls delete --name old-ca --detach 9a7806061c88ada191ed06f989cc3dac --detach 5b1c6f3d4b7e4c08a1f3e8b2d9a60c77",
        "# From a script (no prompt)",
        "cf-mtls delete 2458ce5a-0c35-4c7f-82c7-8e9487d3ff60 --yes",
    ))]
    Delete(DeleteArgs),
    /// Make the account's custom certificates match a folder: each NAME.pem is the
    /// certificate (or chain) named NAME, with NAME.key as its key if present; a second run
    /// changes nothing. With --dry-run, only shows the plan (as `plan` does); a blocked plan
    /// changes nothing (exit 8)
    #[command(after_help = apply_help(examples!(
        "cf-mtls apply certs/",
        "# The plan only, as `plan` shows it",
        "cf-mtls --dry-run apply certs/",
        "# Also delete the custom certificates that the folder does not name",
        "cf-mtls apply --prune certs/",
    )))]
    Apply(ApplyArgs),
    /// Show what `apply` would do, changing nothing: exit 0 when there is nothing to do, 7
    /// when there are changes, 8 when the plan is blocked
    #[command(after_help = apply_help(examples!(
        "cf-mtls plan certs/",
        "# In CI: fail when the account differs from the folder",
        "cf-mtls plan --json certs/ > plan.json",
    )))]
    Plan(ApplyArgs),
    /// Check for certificates that expire soon: exit 6 if any does (for cron and CI); or, with
    /// `--format prometheus`, every expiry as a gauge for node_exporter's textfile collector
    #[command(after_help = examples!(
        "# In cron: mail when a certificate expires within two weeks",
        "cf-mtls -q check --expiring-within 14d",
        "# For node_exporter's textfile collector: the file is replaced once the listing succeeds",
        "cf-mtls check --format prometheus > cf-mtls.prom.tmp && mv cf-mtls.prom.tmp cf-mtls.prom",
    ))]
    Check(CheckArgs),
    /// Write the account's custom certificates into a folder that `plan` and `apply` read
    /// back as they are: NAME.pem each, and a manifest (.cf-mtls.json) for a `ca` flag a
    /// certificate does not say itself. Keys are never returned by the API, so none is written.
    /// A certificate left out is listed (exit 9)
    #[command(after_help = examples!(
        "cf-mtls export certs/",
        "# Then nothing to do: the folder is the account",
        "cf-mtls export certs/ && cf-mtls plan certs/",
    ))]
    Export(ExportArgs),
    /// Run a fake of the API on this machine, to try this tool (or wrangler, or an SDK)
    /// without an account
    #[command(after_help = examples!(
        "cf-mtls serve-fake",
        "cf-mtls serve-fake --tls --tls-ca fake-ca.pem --rate-limit 20/10s",
    ))]
    ServeFake(ServeArgs),
    /// Print the shell completion script for SHELL (e.g. `cf-mtls completions bash >
    /// ~/.local/share/bash-completion/completions/cf-mtls`)
    #[command(after_help = examples!(
        "cf-mtls completions bash > ~/.local/share/bash-completion/completions/cf-mtls",
        "cf-mtls completions zsh > ~/.zfunc/_cf-mtls",
    ))]
    Completions(CompletionsArgs),
    /// Print the manual page cf-mtls(1), in roff; with --dir, write it and a page for each
    /// command (cf-mtls-upload(1), ...) into a folder
    #[command(after_help = examples!(
        "cf-mtls man --dir ~/.local/share/man/man1 && man cf-mtls-upload",
        "cf-mtls man | man -l -",
    ))]
    Man(ManArgs),
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The folder to write into (made if missing); nothing in it is ever deleted
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Overwrite files that exist already (without it, they are left as they are and the
    /// export is partial, exit 9)
    #[arg(long)]
    pub force: bool,

    /// Also write the hostnames each exported CA holds in zone ZONE_ID into the manifest, so
    /// that plan of the folder finds nothing to do (the zone's Cloudflare-managed CA is left
    /// out). Repeat for each zone
    #[arg(long = "zone", value_name = "ZONE_ID")]
    pub zones: Vec<ZoneId>,
}

/// `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write cf-mtls.1 and a page per command into DIR (made if missing), instead of printing
    /// cf-mtls.1; an existing page is an error, nothing written
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// With --dir: replace pages that exist already (a symlink is replaced, never followed)
    #[arg(long, requires = "dir")]
    pub force: bool,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `upload`.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The certificate, or a chain of certificates, in a PEM file (- for standard input)
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,

    /// The private key, in a PEM file of its own (only a few services need it; - for
    /// standard input)
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// A unique name for the certificate
    #[arg(long)]
    pub name: Option<String>,

    /// Upload a CA certificate (to verify client certificates); without it, a leaf certificate
    #[arg(long)]
    pub ca: bool,

    /// Upload even if the certificate's basicConstraints disagree with --ca (or its absence)
    #[arg(long)]
    pub force: bool,
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only certificates of this type: custom, gateway_managed, access_managed (repeat for
    /// several)
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<CertificateType>,

    /// Only CA certificates
    #[arg(long, conflicts_with = "leaf")]
    pub ca: bool,

    /// Only leaf (non-CA) certificates
    #[arg(long)]
    pub leaf: bool,

    /// Only the certificate with this name
    #[arg(long)]
    pub name: Option<String>,

    /// Only certificates that expire within this time (e.g. 30d, 12h, 2w), expired ones
    /// included
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expiring_within: Option<Duration>,
}

/// Which certificate: an ID, or `--name`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// The certificate's ID
    pub id: Option<CertificateId>,

    /// The certificate's name instead of its ID (exactly one certificate must have it)
    #[arg(long)]
    pub name: Option<String>,
}

/// `delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Which certificate.
    #[command(flatten)]
    pub target: Target,

    /// First remove the hostnames of zone ZONE_ID associated with the certificate (a CA):
    /// the API refuses to delete a CA that has some. Repeat for each zone (the API cannot say
    /// which zones have them)
    #[arg(long, value_name = "ZONE_ID")]
    pub detach: Vec<ZoneId>,

    /// Do not ask for confirmation (needed when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `hostnames`: the list, or `set`.
#[derive(Debug, Args)]
pub struct HostnamesArgs {
    /// `set`, or nothing to show the list.
    #[command(subcommand)]
    pub set: Option<HostnamesCommand>,

    /// The zone's ID (on its Overview page in the dashboard) [default: CLOUDFLARE_ZONE_ID]
    #[arg(value_name = "ZONE_ID")]
    pub zone: Option<ZoneId>,

    /// The CA, by name or ID (an uploaded certificate with CA: yes); without it, the zone's
    /// Cloudflare-managed CA
    #[arg(long, value_name = "NAME|ID")]
    pub cert: Option<String>,
}

/// What `hostnames` does besides listing.
#[derive(Debug, Subcommand)]
pub enum HostnamesCommand {
    /// Replace the hostnames of a zone associated with a CA by HOST...; removing any that
    /// are there asks first on a terminal (--yes elsewhere). ZONE_ID may be left out when
    /// CLOUDFLARE_ZONE_ID is set (a word with a dot is a hostname; a zone ID has none)
    #[command(after_help = examples!(
        "cf-mtls hostnames set 9a7806061c88ada191ed06f989cc3dac --cert my-ca '*.example.com'",
        "# Add one, keeping the others (read, change, write)",
        "cf-mtls hostnames set 9a7806061c88ada191ed06f989cc3dac --cert my-ca --add new.example.com",
        "# Remove them all, from a script",
        "cf-mtls hostnames set 9a7806061c88ada191ed06f989cc3dac --cert my-ca --clear --yes",
    ))]
    Set(SetArgs),
}

/// `hostnames set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The zone's ID, then the hostnames (letters, digits, hyphens; a leading `*.` wildcard;
    /// punycode for international names); the zone's ID may be left out when
    /// CLOUDFLARE_ZONE_ID is set
    #[arg(value_name = "ZONE_ID|HOST", required_unless_present = "clear")]
    pub words: Vec<String>,

    /// The CA, by name or ID (an uploaded certificate with CA: yes); without it, the zone's
    /// Cloudflare-managed CA
    #[arg(long, value_name = "NAME|ID")]
    pub cert: Option<String>,

    /// Add HOST... to the hostnames there are. The API has no add call: this reads the list,
    /// changes it and writes it back, so it races with another tool editing the list at the
    /// same time (one of the changes is lost)
    #[arg(long, conflicts_with_all = ["remove", "clear"])]
    pub add: bool,

    /// Remove HOST... from the hostnames there are (read, change, write, as --add)
    #[arg(long, conflicts_with = "clear")]
    pub remove: bool,

    /// Remove every hostname (of this CA in this zone); no HOST is given
    #[arg(long)]
    pub clear: bool,

    /// Do not ask before removing hostnames (needed when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `apply` and `plan`.
#[derive(Debug, Clone, Args)]
pub struct ApplyArgs {
    /// The folder: NAME.pem is a certificate or chain (a CA or a leaf by its first
    /// certificate's basicConstraints; a self-signed one with its NAME.key is a client
    /// certificate, a leaf; .cf-mtls.json, as `export` writes it, may give the flag), NAME.key
    /// its private key (optional); other files are not read
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Also delete the account's custom certificates that have no NAME.pem in the folder
    /// (unnamed ones included; not those the folder's export left out)
    #[arg(long)]
    pub prune: bool,

    /// apply: do not ask before deleting or taking hostnames away (a replace deletes the old
    /// certificate; --prune deletes); needed when stdin is not a terminal
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Also look in zone ZONE_ID for the hostnames of a CA the plan removes (rotated,
    /// replaced or pruned), and remove them first: the API refuses to delete a CA that has
    /// some, and cannot say which zones do. The zones of the manifest's "hostnames" are
    /// always looked in. Repeat for each zone
    #[arg(long = "zone", value_name = "ZONE_ID")]
    pub zones: Vec<ZoneId>,

    /// The most CAs the account may hold (Cloudflare's documented five, shared by API Shield,
    /// Workers mTLS and Gateway); a plan that would pass it is blocked (exit 8) before
    /// anything is changed
    #[arg(long, value_name = "N", default_value_t = cloudflare_mtls::plan::DEFAULT_CA_LIMIT)]
    pub ca_limit: usize,
}

/// How `apply` decides, then `examples`: after the help of `apply` and `plan`.
fn apply_help(examples: &str) -> String {
    let how = "\
How it decides:
  Certificates are matched by name and compared by their DER bytes and CA flag, never by
  their PEM text (the API rewrites PEM; that is not a change). Every file is checked first
  (PEM, X.509, the key against the certificate, expiry): one bad file and nothing is sent.
  A certificate cannot be updated: a change is a replace (delete, then upload), made only
  when no service uses the old one. Only custom certificates are replaced or deleted.
  A replace or delete of a certificate in use, or a name that several certificates on the
  account share, blocks the whole plan (exit 8): nothing is changed. If a call fails
  midway, apply stops: run it again to finish. Calls are paced (--pace), so a large folder
  does not run into the rate limit.
  BYO CA: the manifest's \"hostnames\" gives each CA its list per zone, set after its
  upload. A CA whose PEM changes is rotated (a stand-in NAME (rotating) takes the hostnames,
  the old CA is emptied and deleted, the new one uploaded as NAME); the plan lists every
  call, counts the account's CAs against --ca-limit (exit 8 past it), and taking hostnames
  away is confirmed as a delete is.
";
    format!("{how}\n{examples}")
}

/// `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The window: a certificate that expires within it (or has expired) makes the check
    /// fail (e.g. 30d, 2w, 12h) [default: 30d; not with --format prometheus, whose gauges
    /// leave the window to the alert]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expiring_within: Option<Duration>,

    /// Only certificates of this type: custom, gateway_managed, access_managed (repeat for
    /// several)
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<CertificateType>,

    /// How to print the report [default: text; `--json` is `--format json`, and conflicts
    /// with another format]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// `check`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A sentence, and the certificates that expire within the window.
    Text,
    /// `{"checked", "expiring_within_seconds", "expiring": [...]}`.
    Json,
    /// Every certificate's expiry as a gauge (Unix time, seconds), in Prometheus's text
    /// format: alert on `cloudflare_mtls_certificate_expiry_timestamp_seconds - time()`. Exit 0
    /// once written, whatever expires: `> FILE.tmp && mv FILE.tmp FILE` replaces the file
    /// whenever the listing succeeded, and the alert decides.
    Prometheus,
}

/// `serve-fake`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen (loopback only; port 0 picks a free one)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8799")]
    pub listen: SocketAddr,

    /// The API token the fake accepts
    #[arg(long, value_name = "TOKEN", default_value = "fake-token")]
    pub token: String,

    /// The account ID the fake serves
    #[arg(long, value_name = "ID", default_value = "023e105f4ecef8ad9ca31a8372d0c353")]
    pub account: AccountId,

    /// A rate limit, as Cloudflare's: past N calls in the window, 429 with Retry-After until
    /// the window ends; every answer carries Ratelimit and Ratelimit-Policy (e.g. 20/10s,
    /// 1200/5m)
    #[arg(long, value_name = "N/WINDOW", value_parser = parse_rate)]
    pub rate_limit: Option<(u32, Duration)>,

    /// Serve HTTPS (HTTP/2 and HTTP/1.1) with a certificate made at start, signed by a CA
    /// made at start too
    #[arg(long)]
    pub tls: bool,

    /// With --tls: write the CA's certificate (PEM) to FILE, for clients to trust
    /// (`cf-mtls --cacert FILE`, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS); without it, it is printed
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_ca: Option<PathBuf>,

    /// With --tls-ca: replace FILE if it exists (a symlink there is replaced, not followed)
    #[arg(long, requires = "tls_ca")]
    pub force: bool,

    /// A zone of the account, ZONE_ID=NAME (e.g. 9a7806061c88ada191ed06f989cc3dac=example.com),
    /// for the hostname associations; repeat for several
    #[arg(long = "zone", value_name = "ZONE_ID=NAME", value_parser = parse_zone)]
    pub zones: Vec<(ZoneId, String)>,
}

/// `ZONE_ID=NAME`: a zone's ID and its name (a hostname, not a wildcard).
fn parse_zone(text: &str) -> Result<(ZoneId, String), String> {
    let (id, name) =
        text.split_once('=').ok_or("expected ZONE_ID=NAME, e.g. 9a7806061c88ada191ed06f989cc3dac=example.com")?;
    let id = ZoneId::new(id.trim()).map_err(|e| e.to_string())?;
    let name = Hostname::new(name.trim()).map_err(|e| e.to_string())?;
    if name.is_wildcard() {
        return Err(format!("{name}: a zone's name is no wildcard (give example.com)"));
    }
    Ok((id, name.into_string()))
}

/// The command line as it is parsed and documented (help, man pages): each command's help
/// shows its own options, and the global ones once, at the top. clap shows a `global` option
/// in the help of every command; a hidden copy of it in each command keeps it accepted after
/// the command (clap propagates a global option only to a command that has none of that
/// name) without listing it there.
pub fn command() -> clap::Command {
    let top = Cli::command();
    let globals: Vec<clap::Arg> =
        top.get_arguments().filter(|a| a.is_global_set()).map(|a| a.clone().hide(true)).collect();
    top.mut_subcommands(|sub| sub.args(globals.iter().cloned()))
}

/// Parses the process's arguments as [`command`] declares them (clap exits with 2 on a
/// usage error, 0 after help).
pub fn parse() -> Cli {
    Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit())
}

/// The longest duration any option takes: a hundred years. A longer one is a mistake (and
/// `18446744073709551615s` would overflow the clocks it is added to), refused as a usage
/// error.
pub const MAX_DURATION: Duration = Duration::from_secs(36_525 * 86_400);

/// `20/10s`: at most 20 calls in 10 seconds.
fn parse_rate(text: &str) -> Result<(u32, Duration), String> {
    let (calls, window) = text.split_once('/').ok_or("expected N/WINDOW, e.g. 20/10s")?;
    let calls: u32 = calls.trim().parse().map_err(|_| format!("{calls:?} is not a number of calls (e.g. 20/10s)"))?;
    let window = parse_duration(window.trim())?;
    if window.is_zero() {
        return Err("the window must be longer than zero".into());
    }
    Ok((calls, window))
}

/// `1200/5m`, or `off`.
fn parse_pacing(text: &str) -> Result<Pacing, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(Pacing::off());
    }
    let (calls, window) = parse_rate(text)?;
    Budget::new(calls, window)
        .map(Pacing::within)
        .map_err(|_| "a budget needs at least one call per window (e.g. 1200/5m); for no pacing, --pace off".into())
}

/// `30d`, `12h`, `2w`, `1w 3d`: humantime's syntax, up to [`MAX_DURATION`].
fn parse_duration(text: &str) -> Result<Duration, String> {
    let too_long = || format!("{text:?} is longer than the largest duration accepted, 36525d (100 years)");
    match humantime::parse_duration(text) {
        Ok(d) if d > MAX_DURATION => Err(too_long()),
        Ok(d) => Ok(d),
        Err(humantime::DurationError::NumberOverflow) => Err(too_long()),
        Err(e) => Err(format!("{e} (examples: 30d, 12h, 2w)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
        command().debug_assert();
    }

    /// Every example in a command's help parses as the command line it shows (the part from
    /// `cf-mtls` to a pipe, a redirection, `&&` or the end of a `$(...)`).
    #[test]
    fn examples_are_real_commands() {
        let mut top = command();
        top.build();
        let mut seen = 0;
        // `hostnames set` too: a command's own commands are commands.
        for sub in top.get_subcommands().flat_map(|sub| std::iter::once(sub).chain(sub.get_subcommands())) {
            let help = sub.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            let (_, section) = help.split_once("Examples:\n").unwrap_or(("", ""));
            for line in section.lines().take_while(|l| l.starts_with("  ")).filter(|l| !l.trim().starts_with('#')) {
                let from = line.find("cf-mtls ").unwrap_or_else(|| panic!("{line}"));
                let command = line[from..].split(['|', '>', ')', '&']).next().unwrap_or("");
                let words: Vec<String> = command.split_whitespace().map(|w| w.replace('\'', "")).collect();
                let parsed = self::command().try_get_matches_from(&words);
                assert!(parsed.is_ok(), "{line}: {}", parsed.unwrap_err());
                seen += 1;
            }
        }
        assert!(seen >= 31, "{seen} examples");
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("20/10s"), Ok((20, Duration::from_secs(10))));
        assert_eq!(parse_rate("1200/5m"), Ok((1200, Duration::from_secs(300))));
        assert!(parse_rate("20").is_err());
        assert!(parse_rate("x/10s").is_err());
        assert!(parse_rate("20/0s").is_err());
        assert_eq!(parse_pacing("OFF"), Ok(Pacing::off()));
        assert_eq!(parse_pacing("1200/5m"), Ok(Pacing::default()));
        let zero = parse_pacing("0/5m").unwrap_err();
        assert!(
            zero.contains("at least one call") && zero.contains("--pace off") && !zero.contains("Pacing::"),
            "{zero}"
        );
        for absurd in ["5/18446744073709551615s", "5/10000y", "5/99999999999999999999999s"] {
            assert!(parse_pacing(absurd).unwrap_err().contains("36525d"), "{absurd}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(12 * 3_600)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert!(parse_duration("soon").unwrap_err().contains("30d"));
        assert_eq!(parse_duration("36525d"), Ok(MAX_DURATION));
        for absurd in ["18446744073709551615s", "36526d", "10000y", "99999999999999999999999999s"] {
            assert!(parse_duration(absurd).unwrap_err().contains("largest duration accepted, 36525d"), "{absurd}");
        }
    }

    #[test]
    fn id_and_name_exclude_each_other() {
        let parse = |args: &[&str]| Cli::try_parse_from(args.iter().copied());
        assert!(parse(&["cf-mtls", "get", "abc"]).is_ok());
        assert!(parse(&["cf-mtls", "get", "--name", "n"]).is_ok());
        assert!(parse(&["cf-mtls", "get"]).is_err());
        assert!(parse(&["cf-mtls", "get", "abc", "--name", "n"]).is_err());
        assert!(parse(&["cf-mtls", "get", "a/b"]).is_err());
        assert!(parse(&["cf-mtls", "list", "--ca", "--leaf"]).is_err());
    }
}
