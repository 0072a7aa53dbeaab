//! `check`: which certificates expire within a window, for cron, CI and monitoring. The exit
//! code says whether any does; the output lists them, as text or JSON. Or every expiry, in
//! Prometheus's text exposition format, for node_exporter's textfile collector: there the
//! alert decides, and the exit code only says whether the metrics were written.

use cloudflare_mtls::{AccountId, Certificate, HttpClient, HumanDuration, List};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api::Api;
use crate::args::{CheckArgs, Format};
use crate::context::Context;
use crate::exit::{CliError, Exit};
use crate::output;
use crate::text::visible;

/// What a check keeps of each certificate (pages are not kept whole).
struct Seen {
    id: String,
    name: String,
    kind: String,
    ca: Option<bool>,
    expires_on: OffsetDateTime,
}

impl Seen {
    fn days_left(&self, now: OffsetDateTime) -> f64 {
        (self.expires_on - now).as_seconds_f64() / 86_400.0
    }
}

/// The window when none is given.
const DEFAULT_WINDOW: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);

/// The format `--format` and `--json` ask for (both at once only if they agree), checked
/// before anything is sent (by `--dry-run` too).
pub fn format(args: &CheckArgs, json: bool) -> Result<Format, CliError> {
    let format = match (args.format, json) {
        (Some(format), true) if format != Format::Json => {
            return Err(CliError::usage("--json and --format conflict: --json is --format json; pass one of them"));
        }
        (_, true) => Format::Json,
        (format, false) => format.unwrap_or(Format::Text),
    };
    // A collector replaces its file only after a command that succeeded (`> f.tmp && mv`):
    // an exit 6 would keep the old metrics exactly when a certificate expires. The gauges
    // hold every expiry; the window is the alert's, so one given here would be ignored.
    if format == Format::Prometheus && args.expiring_within.is_some() {
        return Err(CliError::usage(
            "--expiring-within does not apply to --format prometheus: its gauges hold every expiry, and the alert sets the window",
        )
        .note("hint: alert on cloudflare_mtls_certificate_expiry_timestamp_seconds - time() < 14 * 86400"));
    }
    Ok(format)
}

/// Runs the check; `Err(Exit::Expiring)` (with the output already printed) when a certificate
/// expires within the window, except for Prometheus's format (exit 0 once written).
pub fn run<T>(api: &Api<'_, T>, args: &CheckArgs, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let format = format(args, ctx.json)?;
    let within = args.expiring_within.unwrap_or(DEFAULT_WINDOW);
    let window = time::Duration::try_from(within)
        .map_err(|_| CliError::usage("--expiring-within: that is longer than any date"))?;
    let deadline =
        ctx.now.checked_add(window).ok_or_else(|| CliError::usage("--expiring-within: that is beyond any date"))?;
    let mut seen = Vec::new();
    let mut checked = 0usize;
    let mut list = List::new(api.account().clone());
    for kind in &args.types {
        list = list.with_type(kind.clone());
    }
    api.pages(list, |page| {
        checked += page.len();
        seen.extend(page.into_iter().filter_map(|c| keep(&c.model)));
        Ok(())
    })?;
    let expiring: Vec<&Seen> = seen.iter().filter(|s| s.expires_on <= deadline).collect();
    match format {
        // `--quiet`: nothing when nothing expires (cron mails what a job prints).
        Format::Text if ctx.quiet && expiring.is_empty() => {}
        Format::Text => output::print(&text(&expiring, checked, within, ctx.now))?,
        Format::Json => output::print_json(&json_report(&expiring, checked, within, ctx.now))?,
        Format::Prometheus => return Ok(output::print(&prometheus(&seen, api.account()))?),
    }
    if expiring.is_empty() {
        Ok(())
    } else {
        // The report says it; the code tells a script, with nothing more to say on stderr.
        Err(CliError::quiet(Exit::Expiring))
    }
}

fn keep(cert: &Certificate) -> Option<Seen> {
    Some(Seen {
        id: cert.id.as_ref().map(|id| id.to_string()).unwrap_or_default(),
        name: cert.name.clone().unwrap_or_default(),
        kind: cert.kind.as_ref().map(|k| k.to_string()).unwrap_or_default(),
        ca: cert.ca,
        expires_on: cert.expires_on?.get(),
    })
}

/// The window as a person reads it (`30 days`, `400 days`, `1 day 12 h`).
fn humanize(within: std::time::Duration) -> String {
    HumanDuration(within).to_string()
}

/// `1 certificate`, `2 certificates`.
fn certificates(n: usize) -> String {
    format!("{n} certificate{}", if n == 1 { "" } else { "s" })
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn text(expiring: &[&Seen], checked: usize, within: std::time::Duration, now: OffsetDateTime) -> String {
    if expiring.is_empty() {
        return format!("OK: none of {} expires within {}.\n", certificates(checked), humanize(within));
    }
    let verb = if expiring.len() == 1 { "expires" } else { "expire" };
    let mut out = format!("{} of {} {verb} within {}:\n", expiring.len(), certificates(checked), humanize(within));
    for s in expiring {
        let when = match s.days_left(now) {
            d if d < 0.0 => "expired".to_string(),
            d => format!("{} days left", d.floor()),
        };
        let name = if s.name.is_empty() { String::new() } else { format!(" \"{}\"", visible(&s.name)) };
        out.push_str(&format!("  {}{name}  {}  {}  ({when})\n", s.id, s.kind, rfc3339(s.expires_on)));
    }
    out
}

fn json_report(
    expiring: &[&Seen],
    checked: usize,
    within: std::time::Duration,
    now: OffsetDateTime,
) -> serde_json::Value {
    json!({
        "checked": checked,
        "expiring_within_seconds": within.as_secs(),
        "expiring": expiring.iter().map(|s| json!({
            "id": s.id,
            "name": s.name,
            "type": s.kind,
            "ca": s.ca,
            "expires_on": rfc3339(s.expires_on),
            "days_left": s.days_left(now).floor(),
        })).collect::<Vec<_>>(),
    })
}

/// A label value in the exposition format: `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// One gauge per certificate: its expiry as a Unix time, in the base unit as Prometheus
/// wants it (`promtool check metrics` refuses a `days` one) and as blackbox_exporter and
/// ssl_exporter expose theirs; an alert subtracts `time()`. Every certificate is listed, not
/// only those in the window: the window is the exit code's business.
fn prometheus(seen: &[Seen], account: &AccountId) -> String {
    let labels = |s: &Seen| {
        format!(
            "account=\"{}\",id=\"{}\",name=\"{}\",type=\"{}\",ca=\"{}\"",
            label(account.as_str()),
            label(&s.id),
            label(&s.name),
            label(&s.kind),
            s.ca.map_or("", |ca| if ca { "true" } else { "false" })
        )
    };
    let mut out = String::from(
        "# HELP cloudflare_mtls_certificate_expiry_timestamp_seconds When the certificate expires, as a Unix time.\n\
         # TYPE cloudflare_mtls_certificate_expiry_timestamp_seconds gauge\n",
    );
    for s in seen {
        out.push_str(&format!(
            "cloudflare_mtls_certificate_expiry_timestamp_seconds{{{}}} {}\n",
            labels(s),
            s.expires_on.unix_timestamp()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
