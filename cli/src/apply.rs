//! `apply` and `plan`: the account's custom certificates from a folder. The decisions are the
//! library's (`cloudflare_mtls::plan`); this reads the folder, fetches what the plan needs,
//! prints it and carries it out.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use cloudflare_mtls::folder::{self, MANIFEST, Manifest};
use cloudflare_mtls::plan::{Action, CertRef, Change, Plan, Step, stand_in_name};
use cloudflare_mtls::{
    AccountId, Association, CertificateId, Hostname, HttpClient, List, PrivateKey, ReplaceHostnames, Upload,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::api::Api;
use crate::args::ApplyArgs;
use crate::context::Context;
use crate::exit::{CliError, Exit};
use crate::progress::Progress;
use crate::table::{self, Column};
use crate::text;
use crate::{confirm, files, output};

/// A certificate the folder wants, and where it came from.
struct Wanted {
    upload: Upload,
    cert: PathBuf,
}

/// Reads and checks every `NAME.pem` (and `NAME.key`) in `dir`. Every file is checked, and
/// every problem reported at once; none of them means nothing is sent.
fn read_folder(dir: &Path, account: &AccountId, now: OffsetDateTime) -> Result<(Vec<Wanted>, Manifest), CliError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CliError::local(format!("cannot read the folder {}: {e}", text::path(dir))))?;
    let mut pems = Vec::new();
    let mut keys = Vec::new();
    let mut problems = Vec::new();
    for entry in entries {
        let path =
            entry.map_err(|e| CliError::local(format!("cannot read the folder {}: {e}", text::path(dir))))?.path();
        let (Some(stem), Some(ext)) = (path.file_stem(), path.extension()) else { continue };
        let list = match ext.to_str() {
            Some("pem") => &mut pems,
            Some("key") => &mut keys,
            _ => continue,
        };
        match stem.to_str() {
            Some(name) if !name.starts_with('.') => list.push((name.to_owned(), path.clone())),
            Some(_) => {}
            None => problems.push(format!("{}: the file name is not UTF-8, so it cannot be a name", text::path(path))),
        }
    }
    pems.sort();
    // One naming rule with export: a name uploaded here is one export can write back.
    for (name, why) in folder::name_problems(pems.iter().map(|(name, _)| name.as_str())) {
        let path = pems.iter().find(|(n, _)| n == name).map(|(_, p)| text::path(p)).unwrap_or_default();
        problems.push(format!("{path}: {}", why.replace("its name", "the name")));
    }
    for (name, key) in &keys {
        if !pems.iter().any(|(n, _)| n == name) {
            problems.push(format!("{}: a key without its certificate ({}.pem)", text::path(key), text::visible(name)));
        }
    }
    let manifest = read_manifest(dir, &pems, &mut problems);
    if pems.is_empty() && problems.is_empty() {
        return Err(CliError::usage(format!("{} has no NAME.pem files", text::path(dir)))
            .note("hint: nothing to compare with; an empty folder with --prune would delete every custom certificate, so it is refused"));
    }
    let mut wanted = Vec::new();
    for (name, cert) in pems {
        let key = keys.iter().find(|(n, _)| *n == name).map(|(_, path)| path.clone());
        match read_one(&name, &cert, key.as_deref(), manifest.ca(&name), account, now) {
            Ok(upload) => wanted.push(Wanted { upload, cert }),
            Err(e) => problems.push(std::iter::once(e.message).chain(e.notes).collect::<Vec<_>>().join("\n  ")),
        }
    }
    if problems.is_empty() {
        return Ok((wanted, manifest));
    }
    let count = problems.len();
    let mut err = CliError::local(format!(
        "{count} problem{} in {}; nothing was sent",
        if count == 1 { "" } else { "s" },
        text::path(dir)
    ));
    for problem in problems {
        err = err.note(format!("- {problem}"));
    }
    Err(err)
}

/// The folder's manifest (`.cf-mtls.json`, as `export` writes it), or none; its problems
/// (it does not read, it names a certificate the folder lacks) join `problems`.
fn read_manifest(dir: &Path, pems: &[(String, PathBuf)], problems: &mut Vec<String>) -> Manifest {
    let path = dir.join(MANIFEST);
    if std::fs::symlink_metadata(&path).is_err() {
        return Manifest::default();
    }
    let manifest = match files::read(&path, "manifest")
        .and_then(|t| Manifest::from_json(&t).map_err(|e| CliError::local(format!("{}: {e}", text::path(&path)))))
    {
        Ok(manifest) => manifest,
        Err(e) => {
            problems.push(e.message);
            return Manifest::default();
        }
    };
    for name in manifest.names() {
        if !pems.iter().any(|(n, _)| n == name) {
            problems.push(format!("{}: gives a flag to {name:?}, but there is no {name}.pem", text::path(&path)));
        }
    }
    manifest
}

/// One certificate file (and its key), checked as `upload` checks them, CA or leaf by the
/// manifest (`declared`) if it says, else by its basicConstraints, except that a self-signed
/// certificate with its key is a client certificate (a leaf), as the tutorial's `openssl req
/// -x509` makes one. A flag the manifest declares is the folder's word: not checked against
/// the certificate.
fn read_one(
    name: &str,
    cert: &Path,
    key: Option<&Path>,
    declared: Option<bool>,
    account: &AccountId,
    now: OffsetDateTime,
) -> Result<Upload, CliError> {
    let pem = files::read(cert, "certificate")?;
    let key_pem = key.map(|path| files::read(path, "private key")).transpose()?;
    let ca = declared.unwrap_or_else(|| folder::expected_ca(&pem, key_pem.is_some()).unwrap_or(false));
    let mut upload = if ca { Upload::ca(account.clone(), pem) } else { Upload::leaf(account.clone(), pem) };
    if declared.is_some() {
        upload = upload.without_ca_check();
    }
    upload = upload.with_name(name);
    if let Some(key_pem) = key_pem {
        upload = upload.with_private_key(PrivateKey::new(key_pem));
    }
    upload.validate().map_err(|e| files::explain(e, cert, key))?;
    files::check_expiry(&upload.certificates, cert, now)?;
    Ok(upload)
}

/// `plan`, or `apply` (with `carry_out`): the folder is read and checked first, then the
/// account's certificates listed, then the associations of what would be replaced or
/// deleted fetched, then the hostnames of each (zone, CA) pair the plan needs.
pub fn run<T>(api: &Api<'_, T>, args: &ApplyArgs, carry_out: bool, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let (wanted, manifest) = read_folder(&args.dir, api.account(), ctx.now)?;
    let uploads: Vec<Upload> = wanted.iter().map(|w| w.upload.clone()).collect();
    let current: Vec<_> = api.list(List::new(api.account().clone()))?.into_iter().map(|c| c.model).collect();
    let mut plan =
        Plan::with_hostnames(&uploads, &current, args.prune, manifest.hostnames(), args.zones.iter().cloned());
    plan.set_ca_limit(args.ca_limit);
    // What the folder's export left out has no file only because it could not be written.
    plan.keep_left_out(manifest.left_out());
    let removals: Vec<_> = plan.removals().cloned().collect();
    for id in removals {
        let associations = api.associations(&id)?.into_iter().map(|a| a.model).collect();
        plan.set_in_use(&id, associations);
    }
    for (zone, id) in plan.reads() {
        let listed = api.hostnames(&zone, Some(&id))?.model.hostnames;
        // A name the API lists that this crate would not send is left unread: the pair is
        // then written (as the folder says), never taken for holding nothing.
        if let Ok(held) = listed.into_iter().map(Hostname::new).collect::<Result<Vec<_>, _>>() {
            plan.set_hostnames(&zone, &id, held);
        }
    }
    let changes = changed_steps(&plan);
    if !plan.is_ready() {
        show(&plan, &wanted, ctx)?;
        let problems = plan.problems().len() + plan.blocked().count();
        return Err(CliError::new(
            Exit::Blocked,
            format!("the plan is blocked ({problems} to resolve); nothing was changed"),
        ));
    }
    if !carry_out {
        show(&plan, &wanted, ctx)?;
        // Changes to make are the plan's answer, not an error: the summary printed says them,
        // and the exit code tells a script.
        return match changes {
            0 => Ok(()),
            _ => Err(CliError::quiet(Exit::Changes)),
        };
    }
    // Every delete apply makes (a replace deletes the old certificate first) and every
    // hostname it takes away is confirmed as `delete` confirms: asked on a terminal, --yes
    // elsewhere.
    let deletes = plan.actions().iter().filter(|a| matches!(a, Action::Delete { .. })).count();
    let emptied = plan.actions().iter().filter(|a| matches!(a, Action::Hostnames { .. }) && a.is_destructive()).count();
    if deletes + emptied > 0 {
        let (what, doing) = match (deletes, emptied) {
            (d, 0) => (text::count(d, "certificate"), format!("deleting {}", text::count(d, "certificate"))),
            (0, e) => {
                let lists = format!("hostnames from {}", text::count(e, "list"));
                (lists.clone(), format!("removing {lists}"))
            }
            (d, e) => {
                let what = format!("{} and hostnames from {}", text::count(d, "certificate"), text::count(e, "list"));
                (
                    what.clone(),
                    format!(
                        "deleting {} and removing hostnames from {}",
                        text::count(d, "certificate"),
                        text::count(e, "list")
                    ),
                )
            }
        };
        if confirm::needed(args.yes, &what)? {
            show(&plan, &wanted, ctx)?;
            confirm::ask(&format!("Apply this plan, {doing}?"), "Not applied: nothing was changed.")?;
        }
    }
    let others =
        current.len().saturating_sub(plan.steps().iter().filter(|s| !matches!(s, Step::Create { .. })).count());
    carry(api, &plan, changes, others, ctx)
}

/// How many steps change something (a certificate, or a pair's hostnames).
fn changed_steps(plan: &Plan) -> usize {
    let mut steps: Vec<usize> = plan.actions().iter().map(Action::step).collect();
    steps.dedup();
    steps.len()
}

/// A step for `--json`: what it does, to which certificate.
fn step_json(step: &Step) -> Value {
    let (action, id, ..) = describe(step);
    json!({"action": action, "name": step.name(), "id": id})
}

/// The ID an action's CA has: on the account, or uploaded earlier in this run.
fn resolve(ca: &CertRef, uploaded: &BTreeMap<String, CertificateId>) -> Option<CertificateId> {
    match ca {
        CertRef::Id(id) => Some(id.clone()),
        CertRef::Uploaded(name) => uploaded.get(name).cloned(),
        _ => None,
    }
}

/// One action, carried out; the ID of what it uploaded.
fn call<T>(
    api: &Api<'_, T>,
    action: &Action,
    uploaded: &BTreeMap<String, CertificateId>,
) -> Result<Option<CertificateId>, CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    match action {
        Action::Upload { upload, .. } => Ok(api.upload(upload)?.model.id),
        Action::Delete { id, .. } => {
            let id = resolve(id, uploaded)
                .ok_or_else(|| CliError::local("an upload of this run gave no ID, so it cannot be deleted"))?;
            api.delete(&id).map(|_| None).map_err(|e| {
            e.note("hint: if it holds hostnames in a zone the plan does not look in, name that zone with --zone ZONE_ID (or declare its hostnames in the manifest: export --zone writes them) and run apply again")
        })
        }
        Action::Hostnames { zone, ca, hostnames, .. } => {
            let id = resolve(ca, uploaded)
                .ok_or_else(|| CliError::local("the new CA's upload gave no ID, so its hostnames cannot be set"))?;
            api.replace_hostnames(
                &ReplaceHostnames::new(zone.clone(), hostnames.iter().cloned()).with_certificate(id),
            )?;
            Ok(None)
        }
        _ => Err(CliError::local("this version of cf-mtls cannot carry out a step of the plan")),
    }
}

/// Carries the plan out, call by call, saying what each did as it is done. A failure stops
/// it: what was done (with the new IDs), the step that failed and why, and what was not done
/// are said (in the JSON document too), so a re-run or a person can pick up from there.
fn carry<T>(api: &Api<'_, T>, plan: &Plan, changes: usize, others: usize, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let mut done = Vec::new();
    // JSON is one document at the end: no bar, no lines.
    let progress = (!ctx.json).then(|| Progress::new(plan.actions().len()));
    let mut uploaded: BTreeMap<String, CertificateId> = BTreeMap::new();
    let steps: Vec<usize> = {
        let mut steps: Vec<usize> = plan.actions().iter().map(Action::step).collect();
        steps.dedup();
        steps
    };
    for (index, &number) in steps.iter().enumerate() {
        let Some(step) = plan.steps().get(number) else { continue };
        let name = step.name().unwrap_or("(unnamed)").to_owned();
        let mut old_deleted = false;
        let mut new_id = None;
        for action in plan.actions().iter().filter(|a| a.step() == number) {
            if let Some(progress) = &progress {
                progress.step(&format!("{} {name:?}", describe(step).0));
            }
            match call(api, action, &uploaded) {
                Ok(id) => {
                    if let (Some(id), Action::Upload { upload, .. }) = (&id, action) {
                        uploaded.insert(upload.name.clone().unwrap_or_default(), id.clone());
                        new_id = Some(id.clone());
                    }
                    old_deleted |= matches!(action, Action::Delete { .. });
                    let mut line = action_line(step, action, id.as_ref());
                    // Once uploaded, a CA of this run is named by its ID, not "new".
                    if let Action::Hostnames { ca: CertRef::Uploaded(own), .. }
                    | Action::Delete { id: CertRef::Uploaded(own), .. } = action
                        && let Some(known) = uploaded.get(own)
                    {
                        line = line.replace(&format!("{own:?} (new)"), &format!("{own:?} ({known})"));
                    }
                    if let Action::Hostnames { zone, hostnames, ca, .. } = action {
                        done.push(json!({
                            "action": "hostnames", "name": step.name(), "old_id": null,
                            "id": resolve(ca, &uploaded).map(|i| i.to_string()),
                            "zone": zone.to_string(),
                            "hostnames": hostnames.iter().map(Hostname::as_str).collect::<Vec<_>>(),
                        }));
                    }
                    if let Some(progress) = &progress {
                        progress.done(&line)?;
                    }
                }
                Err(e) => {
                    let not_done: Vec<&Step> =
                        steps.iter().skip(index + 1).filter_map(|&i| plan.steps().get(i)).collect();
                    let counts = (plan.steps().len() - changes, others);
                    return Err(failed(step, old_deleted, e, (&done, &not_done), counts, ctx));
                }
            }
        }
        let (action, old) = match step {
            Step::Create { .. } => ("created", None),
            Step::Replace { old, .. } => ("replaced", Some(old)),
            Step::Rotate { old, new: already, .. } => {
                new_id = new_id.or_else(|| already.clone());
                ("rotated", old.as_ref())
            }
            Step::Delete { id, .. } => ("deleted", Some(id)),
            _ => continue,
        };
        done.push(json!({"action": action, "name": step.name(), "old_id": old.map(|i| i.to_string()), "id": new_id.map(|i| i.to_string())}));
    }
    let unchanged = plan.steps().len() - changes;
    let Some(progress) = progress else {
        return Ok(output::print_json(
            &json!({"done": done, "failed": null, "not_done": [], "unchanged": unchanged, "left_alone": others}),
        )?);
    };
    // What was compared: the certificates the folder names; the rest of the account is
    // counted, not hidden.
    let alone = match others {
        0 => String::new(),
        n => format!(
            " {} on the account {} left alone (not named in the folder{}).",
            text::count(n, "other certificate"),
            if n == 1 { "was" } else { "were" },
            if plan.steps().iter().any(|s| matches!(s, Step::Delete { .. })) {
                ""
            } else {
                "; --prune deletes the custom ones"
            }
        ),
    };
    let summary = match changes {
        0 => format!(
            "No changes: the {} the folder names {} the account.{alone}\n",
            text::count(unchanged, "certificate"),
            if unchanged == 1 { "matches" } else { "match" }
        ),
        n => format!("Applied {}; {unchanged} unchanged.{alone}\n", text::count(n, "change")),
    };
    Ok(progress.summary(&summary)?)
}

/// The certificate an action concerns, as a person reads it: `"NAME" (ID)`, or `"NAME"
/// (new)` for one uploaded in this run.
fn who(step: &Step, action: &Action) -> String {
    let name = step.name().unwrap_or("(unnamed)");
    let target = match action {
        Action::Hostnames { ca, .. } => ca,
        Action::Delete { id, name: Some(own), .. } => return format!("{own:?} ({id})"),
        Action::Delete { id, .. } => return format!("{name:?} ({id})"),
        Action::Upload { upload, .. } => return format!("{:?}", upload.name.as_deref().unwrap_or(name)),
        _ => return format!("{name:?}"),
    };
    let stand_in =
        matches!(step, Step::Rotate { stand_in: Some(t), .. } if matches!(target, CertRef::Id(id) if id == t));
    match target {
        CertRef::Uploaded(own) => format!("{own:?} (new)"),
        _ if stand_in => format!("{:?} ({target})", stand_in_name(name)),
        _ => format!("{name:?} ({target})"),
    }
}

/// The line an action prints once done.
fn action_line(step: &Step, action: &Action, new: Option<&CertificateId>) -> String {
    let name = step.name().unwrap_or("(unnamed)");
    let new = new.map(ToString::to_string).unwrap_or_default();
    match (action, step) {
        (Action::Upload { .. }, Step::Replace { old, .. }) => format!("replaced {name:?} ({old} -> {new})\n"),
        (Action::Upload { .. }, Step::Rotate { .. }) => format!("uploaded {} ({new})\n", who(step, action)),
        (Action::Upload { .. }, _) => format!("created {name:?} ({new})\n"),
        (Action::Delete { .. }, Step::Replace { .. }) => {
            format!("deleted the old {} to replace it\n", who(step, action))
        }
        (Action::Delete { .. }, _) => format!("deleted {}\n", who(step, action)),
        (Action::Hostnames { .. }, _) => format!("{}\n", hostnames_line(step, action)),
        _ => String::new(),
    }
}

/// `hostnames of "NAME" (CA) in zone Z: a, b (+a, -c)`.
fn hostnames_line(step: &Step, action: &Action) -> String {
    let Action::Hostnames { zone, hostnames, .. } = action else { return String::new() };
    let list = match hostnames.as_slice() {
        [] => "none".to_owned(),
        names => names.iter().map(Hostname::as_str).collect::<Vec<_>>().join(", "),
    };
    let mut delta: Vec<String> = action.added_hostnames().iter().map(|h| format!("+{h}")).collect();
    match action.removed_hostnames() {
        Some(removed) => delta.extend(removed.iter().map(|h| format!("-{h}"))),
        None => delta.push("what it held was not read".to_owned()),
    }
    format!("hostnames of {} in zone {zone}: {list} ({})", who(step, action), delta.join(", "))
}

/// The error of a failed step, with what was done and what was not; in `--json`, the
/// document that says the same is printed first.
fn failed(
    step: &Step,
    old_deleted: bool,
    error: CliError,
    (done, not_done): (&[Value], &[&Step]),
    (unchanged, others): (usize, usize),
    ctx: &Context,
) -> CliError {
    let name = step.name().unwrap_or("(unnamed)");
    // A replace deletes first: if its upload failed, the certificate is gone until a re-run.
    let gone = match (step, old_deleted) {
        (Step::Replace { old, .. }, true) => Some(old.to_string()),
        _ => None,
    };
    if ctx.json {
        let (action, id, ..) = describe(step);
        let why =
            std::iter::once(error.message.clone()).chain(error.notes.iter().cloned()).collect::<Vec<_>>().join("\n");
        let document = json!({
            "done": done,
            "failed": {"action": action, "name": step.name(), "id": id, "old_deleted": gone.is_some(), "error": why},
            "not_done": not_done.iter().map(|s| step_json(s)).collect::<Vec<_>>(),
            "unchanged": unchanged,
            "left_alone": others,
        });
        // The error below still says why on stderr; stdout has the record.
        let _ = output::print_json(&document);
    }
    let mut error = error;
    if let Some(old) = gone {
        error = error.note(format!(
            "{name:?}: the old certificate ({old}) was deleted, but the new one was not uploaded: run apply again to upload it"
        ));
    }
    if matches!(step, Step::Rotate { .. }) {
        error = error.note(format!("{name:?}: the rotation stopped midway; run apply again to go on from there"));
    }
    let made = done.iter().filter(|d| d["action"] != "hostnames").count();
    let total = made + 1 + not_done.len();
    error.note(format!(
        "{made} of {total} changes were made before this; run apply again to make the other {}",
        1 + not_done.len()
    ))
}

/// Prints the plan: a table and the calls in order, or JSON.
fn show(plan: &Plan, wanted: &[Wanted], ctx: &Context) -> Result<(), CliError> {
    let file = |name: Option<&str>| {
        wanted.iter().find(|w| w.upload.name.as_deref() == name).map(|w| w.cert.display().to_string())
    };
    let (now, peak) = plan.ca_count();
    if ctx.json {
        let steps: Vec<Value> = plan
            .steps()
            .iter()
            .map(|step| {
                let (action, id, ca, change) = describe(step);
                json!({
                    "action": action,
                    "name": step.name(),
                    "id": id,
                    "ca": ca,
                    "change": change,
                    "file": file(step.name()),
                    "in_use": step.in_use().iter().map(association).collect::<Vec<_>>(),
                })
            })
            .collect();
        let calls: Vec<Value> = plan.actions().iter().map(|a| call_json(plan, a)).collect();
        let problems: Vec<String> = plan.problems().iter().map(ToString::to_string).collect();
        return Ok(output::print_json(&json!({
            "steps": steps,
            "calls": calls,
            "zones": plan.zones().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "cas": {"now": now, "peak": peak, "limit": plan.ca_limit()},
            "problems": problems,
            "changes": changed_steps(plan),
            "ready": plan.is_ready(),
        }))?);
    }
    let rows: Vec<Vec<String>> = plan
        .steps()
        .iter()
        .enumerate()
        .map(|(number, step)| {
            let (mut action, id, ca, change) = describe(step);
            let kind = match ca {
                Some(true) => "CA",
                Some(false) => "leaf",
                None => "",
            };
            let mut detail = change.unwrap_or_default().to_owned();
            if matches!(step, Step::Unchanged { .. }) && plan.actions().iter().any(|a| a.step() == number) {
                action = "hostnames";
                detail = "its hostnames change".to_owned();
            }
            if !step.in_use().is_empty() {
                let users: Vec<String> = step.in_use().iter().map(association).collect();
                detail = format!("BLOCKED: in use by {}", users.join(", "));
                action = "blocked";
            }
            vec![
                action.to_owned(),
                step.name().unwrap_or("(unnamed)").to_owned(),
                id.unwrap_or_default(),
                kind.to_owned(),
                detail,
            ]
        })
        .collect();
    let columns = [
        Column::fixed("ACTION"),
        Column::shrink("NAME", 12),
        Column::fixed("ID"),
        Column::fixed("TYPE"),
        Column::shrink("DETAIL", 16),
    ];
    let mut text =
        if rows.is_empty() { String::new() } else { table::render(&columns, &rows, output::terminal_width()) };
    text.push_str(&calls_text(plan));
    for problem in plan.problems() {
        text.push_str(&format!("problem: {problem}\n"));
    }
    let count = |kind: &str| plan.steps().iter().filter(|s| describe(s).0 == kind).count();
    let rotations = match count("rotate") {
        0 => String::new(),
        n => format!(", {n} to rotate"),
    };
    let lists = plan.actions().iter().filter(|a| matches!(a, Action::Hostnames { .. })).count();
    let lists = match lists {
        0 => String::new(),
        n => format!("; {} to write", text::count(n, "hostname list")),
    };
    text.push_str(&format!(
        "Plan: {} to create, {} to replace{rotations}, {} to delete, {} unchanged{lists}.\n",
        count("create"),
        count("replace"),
        count("delete"),
        count("unchanged")
    ));
    Ok(output::print(&text)?)
}

/// The calls in order, each rotation spelled out, the zones and the CA count: what a person
/// reads before saying yes. Empty when the plan writes no hostnames and rotates nothing.
fn calls_text(plan: &Plan) -> String {
    let hostnames = plan.actions().iter().any(|a| matches!(a, Action::Hostnames { .. }));
    let rotates = plan.steps().iter().any(|s| matches!(s, Step::Rotate { .. }));
    if !hostnames && !rotates && plan.zones().is_empty() {
        return String::new();
    }
    let mut out = String::new();
    if !plan.actions().is_empty() {
        out.push_str("Calls, in order:\n");
    }
    for (number, action) in plan.actions().iter().enumerate() {
        let Some(step) = plan.steps().get(action.step()) else { continue };
        let line = match action {
            Action::Upload { upload, .. } => {
                format!("upload {} ({})", who(step, action), if upload.ca { "CA" } else { "leaf" })
            }
            Action::Hostnames { .. } => hostnames_line(step, action),
            Action::Delete { .. } => format!("delete {}", who(step, action)),
            _ => continue,
        };
        out.push_str(&format!("  {:>2}. {line}\n", number + 1));
    }
    for (number, step) in plan.steps().iter().enumerate() {
        if let Step::Rotate { .. } = step {
            let name = step.name().unwrap_or("(unnamed)");
            let first_move = plan.actions().iter().position(|a| {
                a.step() == number && matches!(a, Action::Hostnames { hostnames, .. } if !hostnames.is_empty())
            });
            let from = first_move.map_or_else(|| "the first upload".to_owned(), |n| format!("call {}", n + 1));
            out.push_str(&format!(
                "Rotation of {name:?}: the new CA is uploaded first as {:?} (the API may refuse two certificates of one name), then as {name:?}. From {from} on, clients whose certificates chain only to the old CA are refused (the API prefers the most recently deployed CA and documents no overlap): issue the new client certificates first.\n",
                stand_in_name(name)
            ));
        }
    }
    let zones: Vec<String> = plan.zones().iter().map(ToString::to_string).collect();
    if !zones.is_empty() {
        out.push_str(&format!(
            "Hostnames: read and written only for the folder's CAs in zone{} {}; other zones, and each zone's Cloudflare-managed CA, are left alone.\n",
            if zones.len() == 1 { "" } else { "s" },
            zones.join(", ")
        ));
    }
    let (now, peak) = plan.ca_count();
    out.push_str(&format!(
        "CAs: {now} on the account, at most {peak} during the plan (limit {}, --ca-limit).\n",
        plan.ca_limit()
    ));
    out
}

/// One call for `--json`.
fn call_json(plan: &Plan, action: &Action) -> Value {
    let name = plan.steps().get(action.step()).and_then(Step::name);
    match action {
        Action::Upload { upload, .. } => json!({"call": "upload", "name": upload.name, "ca": upload.ca}),
        Action::Delete { id, name: own, .. } => {
            json!({"call": "delete", "name": own.as_deref().or(name), "id": match id { CertRef::Id(id) => Some(id.to_string()), _ => None }})
        }
        Action::Hostnames { zone, ca, hostnames, held, .. } => json!({
            "call": "hostnames",
            "name": match ca { CertRef::Uploaded(own) => Some(own.as_str()), _ => name },
            "id": match ca { CertRef::Id(id) => Some(id.to_string()), _ => None },
            "zone": zone.to_string(),
            "hostnames": hostnames.iter().map(Hostname::as_str).collect::<Vec<_>>(),
            "held": held.as_ref().map(|h| h.iter().map(Hostname::as_str).collect::<Vec<_>>()),
        }),
        _ => json!({"call": "other", "name": name}),
    }
}

/// A step's action, the ID it concerns, whether it is a CA, and what changed.
fn describe(step: &Step) -> (&'static str, Option<String>, Option<bool>, Option<&'static str>) {
    let why = |change: &Change| match change {
        Change::Certificates => "the certificates differ",
        Change::CaFlag => "the CA flag differs",
        _ => "the stored PEM cannot be compared",
    };
    match step {
        Step::Create { upload } => ("create", None, Some(upload.ca), None),
        Step::Unchanged { id, .. } => ("unchanged", Some(id.to_string()), None, None),
        Step::Replace { upload, old, change, .. } => {
            ("replace", Some(old.to_string()), Some(upload.ca), Some(why(change)))
        }
        Step::Rotate { upload, old, change, .. } => {
            ("rotate", old.as_ref().map(ToString::to_string), Some(upload.ca), Some(why(change)))
        }
        Step::Delete { id, .. } => ("delete", Some(id.to_string()), None, Some("not in the folder (--prune)")),
        _ => ("other", None, None, None),
    }
}

/// `service (status)`.
fn association(a: &Association) -> String {
    match (&a.service, &a.status) {
        (Some(service), Some(status)) => format!("{service} ({status})"),
        (Some(service), None) => service.clone(),
        _ => "a service".to_owned(),
    }
}
