//! The commands: each either runs against the API or, with `--dry-run`, prints the request
//! it would send first.

use cloudflare_mtls::{
    AccountId, Associations, CertificateId, Config, Delete, Deleted, Endpoint, Get, Hostnames, HttpClient, List, Pager,
};
use serde_json::Value;

use crate::api::{Api, Raw};
use crate::args::{Command, DeleteArgs, HostnamesArgs, ListArgs, Target};
use crate::context::Context;
use crate::exit::{CliError, Exit};
use crate::{confirm, files, hostnames, output};

/// The `List` call of `list`'s filters.
fn list_call(account: AccountId, args: &ListArgs) -> List {
    let mut list = List::new(account);
    for kind in &args.types {
        list = list.with_type(kind.clone());
    }
    if args.ca || args.leaf {
        list = list.with_ca(args.ca);
    }
    if let Some(name) = &args.name {
        list = list.with_name(name.clone());
    }
    list
}

/// `--dry-run`: the first request the command would send, and nothing sent.
pub fn dry_run(command: &Command, config: &Config, account: AccountId, ctx: &Context) -> Result<(), CliError> {
    // A lookup by name must be answered before the real request can be built.
    let by_name = |name: &str, then: &str| {
        let lookup = first_page(List::new(account.clone()).with_name(name));
        (lookup, Some(format!("then {then} the one certificate named {name:?} that this lookup finds")))
    };
    let (request, then) = match command {
        Command::Upload(args) => (files::prepare(account, args, ctx.now)?.to_request(config), None),
        Command::List(args) => (first_page(list_call(account, args)).to_request(config), None),
        Command::Get(Target { id: Some(id), .. }) => (Get::new(account, id.clone()).to_request(config), None),
        Command::Associations(Target { id: Some(id), .. }) => {
            (Associations::new(account, id.clone()).to_request(config), None)
        }
        Command::Delete(DeleteArgs { target: Target { id: Some(id), .. }, detach, .. }) => match detach.split_first() {
            None => (Delete::new(account, id.clone()).to_request(config), None),
            // The hostnames of each zone are read, emptied, and then the CA deleted.
            Some((first, _)) => (
                Hostnames::new(hostnames::zone(Some(first))?).with_certificate(id.clone()).to_request(config),
                Some(format!("then {}", detaching(detach))),
            ),
        },
        Command::Get(Target { name: Some(name), .. }) => {
            let (lookup, then) = by_name(name, "show");
            (lookup.to_request(config), then)
        }
        Command::Associations(Target { name: Some(name), .. }) => {
            let (lookup, then) = by_name(name, "list the associations of");
            (lookup.to_request(config), then)
        }
        Command::Delete(DeleteArgs { target: Target { name: Some(name), .. }, detach, .. }) => {
            let (lookup, then) = by_name(name, "DELETE");
            let then = match detach.is_empty() {
                true => then,
                false => Some(format!(
                    "then, for the one certificate named {name:?} that this lookup finds: {}",
                    detaching(detach)
                )),
            };
            (lookup.to_request(config), then)
        }
        Command::Hostnames(HostnamesArgs { set: None, zone, cert }) => {
            let zone = hostnames::zone(zone.as_ref())?;
            let then = |what: String| Some(format!("then list the hostnames of zone {zone} associated with {what}"));
            match cert {
                None => (Hostnames::new(zone.clone()).to_request(config), None),
                // As the command looks the CA up: by ID, and if no certificate has it, by name.
                Some(cert) => match CertificateId::new(cert.as_str()) {
                    Ok(id) => (
                        Get::new(account, id).to_request(config),
                        then(format!("it (or, if it is no certificate's ID, with the one certificate named {cert:?})")),
                    ),
                    Err(_) => (
                        first_page(List::new(account).with_name(cert.as_str())).to_request(config),
                        then(format!("the one certificate named {cert:?} that this lookup finds")),
                    ),
                },
            }
        }
        // Routed to `run` (it reads before it can show its PUT).
        Command::Hostnames(HostnamesArgs { set: Some(_), .. }) => {
            return Err(CliError::new(Exit::Other, "hostnames set --dry-run reads first: it runs"));
        }
        Command::Get(_) | Command::Associations(_) | Command::Delete(_) => {
            return Err(CliError::usage("give a certificate ID or --name"));
        }
        Command::Export(_) => (
            first_page(List::new(account)).to_request(config),
            Some("then every further page, and write the folder".to_owned()),
        ),
        Command::Check(args) => {
            crate::check::format(args, ctx.json)?;
            let mut list = List::new(account);
            for kind in &args.types {
                list = list.with_type(kind.clone());
            }
            (first_page(list).to_request(config), Some("then every further page, and report".to_owned()))
        }
        Command::ServeFake(_) | Command::Completions(_) | Command::Man(_) => {
            return Err(CliError::usage("this command sends no request: --dry-run does not apply"));
        }
        // `run` answers `apply --dry-run` with the plan (reads only); `plan` changes nothing.
        Command::Apply(_) | Command::Plan(_) => {
            return Err(CliError::usage(
                "plan and apply --dry-run read the account to plan: they run, not print a request",
            ));
        }
    };
    let request = request?;
    if ctx.json {
        let mut value = output::request_json(&request);
        if let (Some(then), Value::Object(map)) = (&then, &mut value) {
            map.insert("then".to_owned(), Value::String(then.clone()));
        }
        output::print_json(&value)?;
    } else {
        let mut text = output::request_text(&request);
        if let Some(then) = then {
            text.push_str(&format!("\n# {then}\n"));
        }
        output::print(&text)?;
    }
    Ok(())
}

/// What `delete --detach` does, for `--dry-run`.
fn detaching(zones: &[cloudflare_mtls::ZoneId]) -> String {
    let zones: Vec<&str> = zones.iter().map(|z| z.as_str()).collect();
    format!(
        "read its hostnames in zone {} and remove them where there are some (PUT an empty list), then DELETE it",
        zones.join(", ")
    )
}

/// The first call of `list_all`: the pager adds the page parameters.
fn first_page(list: List) -> List {
    let pager = Pager::new(list.clone());
    pager.next_call().unwrap_or(list)
}

/// Runs `command` against the API.
pub fn run<T>(command: &Command, api: &Api<'_, T>, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    match command {
        Command::Upload(args) => {
            let upload = files::prepare(api.account().clone(), args, ctx.now)?;
            let stored = api.upload(&upload)?;
            if ctx.json {
                return Ok(output::print_json(&stored.json)?);
            }
            if ctx.quiet {
                // The new ID alone, for `id=$(cf-mtls -q upload ...)`.
                let id = stored.model.id.as_ref().map(|id| id.to_string()).unwrap_or_default();
                return Ok(output::print(&format!("{id}\n"))?);
            }
            let head = format!("Uploaded certificate {}\n", output::certificate_label(&stored.model));
            Ok(output::print(&(head + &output::certificate_details(&stored.model, ctx.now)))?)
        }
        Command::List(args) => list(api, args, ctx),
        Command::Get(target) => {
            let cert = match target_id(target)? {
                Ok(id) => api.get(&id)?,
                Err(name) => api.find_by_name(name)?.1,
            };
            if ctx.json {
                return Ok(output::print_json(&cert.json)?);
            }
            Ok(output::print(&output::certificate_details(&cert.model, ctx.now))?)
        }
        Command::Associations(target) => {
            let id = match target_id(target)? {
                Ok(id) => id,
                Err(name) => api.find_by_name(name)?.0,
            };
            let associations = api.associations(&id)?;
            if ctx.json {
                return Ok(output::print_json(&Value::Array(associations.into_iter().map(|a| a.json).collect()))?);
            }
            let models: Vec<_> = associations.iter().map(|a| &a.model).collect();
            Ok(output::print(&output::association_table(&models))?)
        }
        Command::Delete(args) => delete(api, args, ctx),
        Command::Hostnames(args) => match &args.set {
            None => hostnames::list(api, args, ctx),
            Some(crate::args::HostnamesCommand::Set(set)) => hostnames::set(api, set, ctx),
        },
        Command::Check(args) => crate::check::run(api, args, ctx),
        Command::Export(args) => crate::export::run(api, args, ctx),
        Command::Apply(args) => crate::apply::run(api, args, true, ctx),
        Command::Plan(args) => crate::apply::run(api, args, false, ctx),
        Command::ServeFake(_) | Command::Completions(_) | Command::Man(_) => {
            Err(CliError::new(Exit::Other, "not an API command"))
        }
    }
}

/// The ID given, or the name to look up.
fn target_id(target: &Target) -> Result<Result<cloudflare_mtls::CertificateId, &str>, CliError> {
    match (&target.id, &target.name) {
        (Some(id), _) => Ok(Ok(id.clone())),
        (None, Some(name)) => Ok(Err(name)),
        (None, None) => Err(CliError::usage("give a certificate ID or --name")),
    }
}

fn list<T>(api: &Api<'_, T>, args: &ListArgs, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let deadline = match args.expiring_within {
        Some(within) => Some(
            time::Duration::try_from(within)
                .ok()
                .filter(|d| ctx.now.checked_add(*d).is_some())
                .ok_or_else(|| CliError::usage("--expiring-within: that is beyond any date"))?,
        ),
        None => None,
    };
    let keep = |c: &Raw<cloudflare_mtls::Certificate>| {
        args.name.as_ref().is_none_or(|name| c.model.name.as_ref() == Some(name))
            && deadline.is_none_or(|window| c.model.expires_within(window, ctx.now))
    };
    // Each page is printed as it arrives: a listing of any length holds one page in memory.
    let mut shown = 0usize;
    let mut table: Option<output::Table> = None;
    let mut json = output::JsonArray::default();
    api.pages(list_call(api.account().clone(), args), |page| {
        let page: Vec<Raw<_>> = page.into_iter().filter(keep).collect();
        if ctx.json {
            let items: Vec<&Value> = page.iter().map(|c| &c.json).collect();
            json.push(&items)?;
        } else if !page.is_empty() {
            let models: Vec<_> = page.iter().map(|c| &c.model).collect();
            let table =
                table.get_or_insert_with(|| output::Table::certificates(&models, ctx.now, output::terminal_width()));
            output::print(&table.rows(&models, ctx.now, shown == 0))?;
        }
        shown += page.len();
        Ok(())
    })?;
    if ctx.json {
        return Ok(json.finish()?);
    }
    if shown == 0 {
        output::print("No certificates.\n")?;
    }
    Ok(())
}

fn delete<T>(api: &Api<'_, T>, args: &DeleteArgs, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    // Refused before anything is sent, off a terminal without --yes.
    let ask = confirm::needed(args.yes, "a certificate")?;
    let (id, known) = match target_id(&args.target)? {
        Ok(id) if ask => (id.clone(), Some(api.get(&id)?.model)),
        Ok(id) => (id, None),
        Err(name) => {
            let (id, cert) = api.find_by_name(name)?;
            (id, Some(cert.model))
        }
    };
    let label = known.as_ref().map_or_else(|| id.to_string(), output::certificate_label);
    if ask {
        let zones: Vec<&str> = args.detach.iter().map(|z| z.as_str()).collect();
        let question = match zones.is_empty() {
            true => format!("Delete certificate {label}?"),
            false => format!("Delete certificate {label}, after removing its hostnames in zone {}?", zones.join(", ")),
        };
        confirm::ask(&question, "Not deleted.")?;
    }
    for (n, zone) in args.detach.iter().enumerate() {
        hostnames::detach(api, zone, &id, &label, ctx).map_err(|e| {
            let done: Vec<&str> = args.detach.iter().take(n).map(|z| z.as_str()).collect();
            match done.is_empty() {
                true => e.note("the certificate was not deleted"),
                false => e.note(format!(
                    "the certificate was not deleted; its hostnames in zone {} were removed",
                    done.join(", ")
                )),
            }
        })?;
    }
    let deleted = api.delete(&id)?;
    if ctx.json {
        return Ok(output::print_json(&deleted.json)?);
    }
    if ctx.quiet {
        return Ok(());
    }
    let label = match (&known, &deleted.model) {
        (Some(cert), _) => output::certificate_label(cert),
        (None, Deleted::Returned(cert)) => output::certificate_label(cert),
        (None, _) => id.to_string(),
    };
    let note = match deleted.model {
        Deleted::Returned(_) => "",
        _ => " (an attempt whose answer was lost deleted it; the retry found it gone)",
    };
    Ok(output::print(&format!("Deleted certificate {label}{note}.\n"))?)
}
