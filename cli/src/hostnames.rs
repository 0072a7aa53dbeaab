//! `hostnames`: the hostnames of a zone associated with a CA, whose client certificates they
//! then verify (BYO CA for mTLS); `hostnames set`: replace them, or add or remove some (a
//! read, a change and a write: the API only replaces); and the detaching `delete --detach`
//! does before it deletes a CA.

use cloudflare_mtls::{CertificateId, Endpoint, Hostname, HttpClient, ReplaceHostnames, ZoneId};

use crate::api::Api;
use crate::args::{HostnamesArgs, SetArgs};
use crate::context::Context;
use crate::exit::CliError;
use crate::text::{count, visible};
use crate::{confirm, output};

/// The variable a zone's ID comes from when the command line gives none.
const ZONE_VARIABLE: &str = "CLOUDFLARE_ZONE_ID";

/// `zone` as given, or else from `CLOUDFLARE_ZONE_ID`; a name with a dot is refused (a zone's
/// name given for its ID).
pub fn zone(given: Option<&ZoneId>) -> Result<ZoneId, CliError> {
    let zone = match given {
        Some(zone) => zone.clone(),
        None => match std::env::var(ZONE_VARIABLE) {
            Ok(value) => ZoneId::new(value.trim()).map_err(|e| CliError::usage(format!("{ZONE_VARIABLE}: {e}")))?,
            Err(_) => {
                return Err(CliError::usage("no zone: give the zone's ID (ZONE_ID), or set CLOUDFLARE_ZONE_ID")
                    .note("hint: a zone's ID is 32 hex digits, on its Overview page in the dashboard"));
            }
        },
    };
    if zone.as_str().contains('.') {
        return Err(CliError::usage(format!(
            "{} is not a zone ID: it has a dot (the zone's name?)",
            visible(zone.as_str())
        ))
        .note("hint: a zone's ID is 32 hex digits, on its Overview page in the dashboard"));
    }
    Ok(zone)
}

/// `set`'s words: the zone's ID first unless the first word has a dot (a hostname; the zone
/// is then `CLOUDFLARE_ZONE_ID`'s), then the hostnames, each checked.
fn zone_and_hosts(words: &[String]) -> Result<(ZoneId, Vec<Hostname>), CliError> {
    let (zone, hosts) = match words.split_first() {
        Some((first, rest)) if !first.contains('.') => {
            let id = ZoneId::new(first.as_str()).map_err(CliError::from)?;
            (self::zone(Some(&id))?, rest)
        }
        _ => (self::zone(None)?, words),
    };
    let hosts = hosts
        .iter()
        .map(|word| Hostname::new(word.as_str()).map_err(|e| CliError::usage(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((zone, hosts))
}

/// The CA `--cert` names (by name or ID), checked to be one: its ID and how messages name it;
/// `None` for the zone's managed CA.
fn ca<T>(api: &Api<'_, T>, cert: Option<&str>) -> Result<Option<(CertificateId, String)>, CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let Some(cert) = cert else { return Ok(None) };
    let (id, found) = api.find_certificate(cert)?;
    let label = output::certificate_label(&found.model);
    if found.model.ca == Some(false) {
        return Err(CliError::usage(format!(
            "certificate {label} is a leaf (CA: no): hostnames are associated with a CA, whose client certificates they then verify"
        ))
        .note("hint: upload the CA with `cf-mtls upload --ca --cert ca.pem --name NAME` and pass its name or ID"));
    }
    Ok(Some((id, format!("CA {label}"))))
}

/// How messages name the CA.
fn ca_label(ca: &Option<(CertificateId, String)>) -> &str {
    ca.as_ref().map_or("the zone's Cloudflare-managed CA", |(_, label)| label.as_str())
}

/// The hostnames, one a line.
fn lines(hostnames: &[String]) -> String {
    hostnames.iter().map(|h| format!("{}\n", visible(h))).collect()
}

/// `hostnames [ZONE_ID] [--cert NAME|ID]`.
pub fn list<T>(api: &Api<'_, T>, args: &HostnamesArgs, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let zone = zone(args.zone.as_ref())?;
    let ca = ca(api, args.cert.as_deref())?;
    let listed = api.hostnames(&zone, ca.as_ref().map(|(id, _)| id))?;
    if ctx.json {
        return Ok(output::print_json(&listed.json)?);
    }
    if listed.model.hostnames.is_empty() {
        return Ok(output::print(&format!("No hostname of zone {zone} is associated with {}.\n", ca_label(&ca)))?);
    }
    Ok(output::print(&lines(&listed.model.hostnames))?)
}

/// What `set` changes: the new list and the names it removes and adds.
struct Change {
    new: Vec<Hostname>,
    removed: Vec<String>,
    added: Vec<String>,
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The list `args` asks for, from the `current` one.
fn change(args: &SetArgs, current: &[String], given: Vec<Hostname>) -> Result<Change, CliError> {
    let parsed = || {
        current
            .iter()
            .map(|h| {
                Hostname::new(h.as_str()).map_err(|e| {
                    CliError::usage(format!("the API lists {e}; this tool cannot write the list back with it"))
                        .note("hint: replace the whole list instead (without --add or --remove)")
                })
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let new = if args.clear {
        Vec::new()
    } else if args.add {
        let mut new = parsed()?;
        for g in given {
            match current.iter().find(|c| same(c, g.as_str())) {
                Some(there) => eprintln!("note: {} is associated already (as {})", visible(g.as_str()), visible(there)),
                None => new.push(g),
            }
        }
        new
    } else if args.remove {
        for g in &given {
            if !current.iter().any(|c| same(c, g.as_str())) {
                eprintln!("warning: {} is not associated; nothing to remove", visible(g.as_str()));
            }
        }
        parsed()?.into_iter().filter(|c| !given.contains(c)).collect()
    } else {
        given
    };
    let removed = current.iter().filter(|c| !new.iter().any(|n| same(c, n.as_str()))).cloned().collect();
    let added = new.iter().filter(|n| !current.iter().any(|c| same(c, n.as_str()))).map(|n| n.to_string()).collect();
    Ok(Change { new, removed, added })
}

/// `hostnames set [ZONE_ID] [--cert NAME|ID] HOST... [--add | --remove | --clear]`: reads
/// the CA (by name or ID) and the list there is, asks before removing any, writes the new
/// list. With `--dry-run`, prints the PUT it would send, having read only.
pub fn set<T>(api: &Api<'_, T>, args: &SetArgs, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    // Everything that can be checked here is, before anything is sent.
    let (zone, given) = zone_and_hosts(&args.words)?;
    if args.clear && !given.is_empty() {
        return Err(CliError::usage("--clear removes every hostname: give no HOST with it"));
    }
    if given.is_empty() && !args.clear {
        return Err(CliError::usage("no hostname given").note(
            "hint: to remove every hostname, pass --clear (or `cf-mtls delete --detach ZONE_ID` to delete the CA)",
        ));
    }
    ReplaceHostnames::new(zone.clone(), given.clone()).validate()?;
    let ca = ca(api, args.cert.as_deref())?;
    let current = api.hostnames(&zone, ca.as_ref().map(|(id, _)| id))?.model.hostnames;
    let Change { new, removed, added } = change(args, &current, given)?;
    let mut replace = ReplaceHostnames::new(zone.clone(), new);
    if let Some((id, _)) = &ca {
        replace = replace.with_certificate(id.clone());
    }
    let whose = format!("{} in zone {zone}", ca_label(&ca));
    if ctx.dry_run {
        let request = replace.to_request(api.config())?;
        if ctx.json {
            return Ok(output::print_json(&output::request_json(&request))?);
        }
        let mut text = output::request_text(&request);
        if !removed.is_empty() {
            text.push_str(&format!("\n# this would remove {} of {whose}\n", names(&removed)));
        }
        return Ok(output::print(&text)?);
    }
    if !removed.is_empty() {
        let what = format!("{} of {whose}", names(&removed));
        if confirm::needed_to("remove", args.yes, &what)? {
            confirm::ask(&format!("Remove {what}?"), "Nothing changed.")?;
        }
    }
    if (args.add || args.remove) && !ctx.quiet {
        eprintln!(
            "note: the API has no add or remove call: the list was read and is written back whole; a change another tool made in between would be lost"
        );
    }
    let stored = api.replace_hostnames(&replace)?;
    if ctx.json {
        return Ok(output::print_json(&stored.json)?);
    }
    if ctx.quiet {
        return Ok(());
    }
    let mut done = Vec::new();
    if !added.is_empty() {
        done.push(format!("added {}", added.iter().map(|h| visible(h)).collect::<Vec<_>>().join(", ")));
    }
    if !removed.is_empty() {
        done.push(format!("removed {}", removed.iter().map(|h| visible(h)).collect::<Vec<_>>().join(", ")));
    }
    let done = if done.is_empty() { "unchanged".to_owned() } else { done.join("; ") };
    let now = match stored.model.hostnames.len() {
        0 => "now none".to_owned(),
        n => format!("now {}:", count(n, "hostname")),
    };
    Ok(output::print(&format!("Hostnames of {whose}: {done}; {now}\n{}", lines(&stored.model.hostnames)))?)
}

/// `N hostnames (a, b)`.
fn names(hostnames: &[String]) -> String {
    let shown: Vec<String> = hostnames.iter().map(|h| visible(h)).collect();
    format!("{} ({})", count(hostnames.len(), "hostname"), shown.join(", "))
}

/// `delete --detach ZONE_ID`: removes the hostnames of `zone` associated with CA `id` (named
/// `label`), saying which.
pub fn detach<T>(
    api: &Api<'_, T>,
    zone: &ZoneId,
    id: &CertificateId,
    label: &str,
    ctx: &Context,
) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let zone = self::zone(Some(zone))?;
    let current = api.hostnames(&zone, Some(id))?.model.hostnames;
    if !current.is_empty() {
        api.replace_hostnames(&ReplaceHostnames::empty(zone.clone()).with_certificate(id.clone()))?;
    }
    if ctx.quiet || ctx.json {
        return Ok(());
    }
    Ok(output::print(&match current.is_empty() {
        true => format!("Zone {zone} has no hostname associated with certificate {label}.\n"),
        false => format!("Removed {} of certificate {label} in zone {zone}.\n", names(&current)),
    })?)
}
