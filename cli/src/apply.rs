//! `apply` and `plan`: the account's custom certificates from a folder. The decisions are the
//! library's (`cloudflare_mtls::plan`); this reads the folder, fetches what the plan needs,
//! prints it and carries it out.

use std::path::{Path, PathBuf};

use cloudflare_mtls::folder::{self, MANIFEST, Manifest};
use cloudflare_mtls::plan::{Change, Plan, Step};
use cloudflare_mtls::{AccountId, Association, HttpClient, List, PrivateKey, Upload};
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
/// deleted fetched.
pub fn run<T>(api: &Api<'_, T>, args: &ApplyArgs, carry_out: bool, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let (wanted, manifest) = read_folder(&args.dir, api.account(), ctx.now)?;
    let uploads: Vec<Upload> = wanted.iter().map(|w| w.upload.clone()).collect();
    let current: Vec<_> = api.list(List::new(api.account().clone()))?.into_iter().map(|c| c.model).collect();
    let mut plan = Plan::new(&uploads, &current, args.prune);
    // What the folder's export left out has no file only because it could not be written.
    plan.keep_left_out(manifest.left_out());
    let removals: Vec<_> = plan.removals().cloned().collect();
    for id in removals {
        let associations = api.associations(&id)?.into_iter().map(|a| a.model).collect();
        plan.set_in_use(&id, associations);
    }
    let changes = plan.steps().iter().filter(|s| s.is_change()).count();
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
    // Every delete apply makes (a replace deletes the old certificate first) is confirmed as
    // `delete` confirms: asked on a terminal, --yes elsewhere.
    let deletes = plan.removals().count();
    if deletes > 0 {
        let what = text::count(deletes, "certificate");
        if confirm::needed(args.yes, &what)? {
            show(&plan, &wanted, ctx)?;
            confirm::ask(&format!("Apply this plan, deleting {what}?"), "Not applied: nothing was changed.")?;
        }
    }
    let others =
        current.len().saturating_sub(plan.steps().iter().filter(|s| !matches!(s, Step::Create { .. })).count());
    carry(api, &plan, changes, others, ctx)
}

/// A step for `--json`: what it does, to which certificate.
fn step_json(step: &Step) -> Value {
    let (action, id, ..) = describe(step);
    json!({"action": action, "name": step.name(), "id": id})
}

/// Carries the plan out, step by step, saying what each did as it is done. A failure stops
/// it: what was done (with the new IDs), the step that failed and why, and what was not done
/// are said (in the JSON document too), so a re-run or a person can pick up from there.
fn carry<T>(api: &Api<'_, T>, plan: &Plan, changes: usize, others: usize, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let mut done = Vec::new();
    // JSON is one document at the end: no bar, no lines.
    let progress = (!ctx.json).then(|| Progress::new(changes));
    let steps: Vec<&Step> = plan.steps().iter().filter(|s| s.is_change()).collect();
    for (index, step) in steps.iter().enumerate() {
        let name = step.name().unwrap_or("(unnamed)").to_owned();
        if let Some(progress) = &progress {
            let (action, ..) = describe(step);
            progress.step(&format!("{action} {name:?}"));
        }
        let mut old_deleted = false;
        let result = match step {
            Step::Create { upload } => api.upload(upload).map(|stored| ("created", None, stored.model.id)),
            Step::Replace { upload, old, .. } => api.delete(old).and_then(|_| {
                old_deleted = true;
                api.upload(upload).map(|stored| ("replaced", Some(old.clone()), stored.model.id))
            }),
            Step::Delete { id, .. } => api.delete(id).map(|_| ("deleted", Some(id.clone()), None)),
            _ => continue,
        };
        let (action, old, new) = match result {
            Ok(outcome) => outcome,
            Err(e) => {
                let not_done: Vec<&Step> = steps.iter().skip(index + 1).copied().collect();
                let counts = (plan.steps().len() - changes, others);
                return Err(failed(step, old_deleted, e, (&done, &not_done), counts, ctx));
            }
        };
        if let Some(progress) = &progress {
            let ids = match (&old, &new) {
                (Some(old), Some(new)) => format!(" ({old} -> {new})"),
                (None, Some(id)) | (Some(id), None) => format!(" ({id})"),
                (None, None) => String::new(),
            };
            progress.done(&format!("{action} {name:?}{ids}\n"))?;
        }
        done.push(json!({"action": action, "name": step.name(), "old_id": old.map(|i| i.to_string()), "id": new.map(|i| i.to_string())}));
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
    let made = done.len();
    error.note(format!(
        "{made} of {} changes were made before this; run apply again to make the other {}",
        made + 1 + not_done.len(),
        1 + not_done.len()
    ))
}

/// Prints the plan: a table, or JSON.
fn show(plan: &Plan, wanted: &[Wanted], ctx: &Context) -> Result<(), CliError> {
    let file = |name: Option<&str>| {
        wanted.iter().find(|w| w.upload.name.as_deref() == name).map(|w| w.cert.display().to_string())
    };
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
        let problems: Vec<String> = plan.problems().iter().map(ToString::to_string).collect();
        let changes = plan.steps().iter().filter(|s| s.is_change()).count();
        return Ok(output::print_json(&json!({
            "steps": steps,
            "problems": problems,
            "changes": changes,
            "ready": plan.is_ready(),
        }))?);
    }
    let rows: Vec<Vec<String>> = plan
        .steps()
        .iter()
        .map(|step| {
            let (action, id, ca, change) = describe(step);
            let kind = match ca {
                Some(true) => "CA",
                Some(false) => "leaf",
                None => "",
            };
            let mut detail = change.unwrap_or_default().to_owned();
            if !step.in_use().is_empty() {
                let users: Vec<String> = step.in_use().iter().map(association).collect();
                detail = format!("BLOCKED: in use by {}", users.join(", "));
            }
            let action = if step.in_use().is_empty() { action } else { "blocked" };
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
    for problem in plan.problems() {
        text.push_str(&format!("problem: {problem}\n"));
    }
    let count = |kind: &str| plan.steps().iter().filter(|s| describe(s).0 == kind).count();
    text.push_str(&format!(
        "Plan: {} to create, {} to replace, {} to delete, {} unchanged.\n",
        count("create"),
        count("replace"),
        count("delete"),
        count("unchanged")
    ));
    Ok(output::print(&text)?)
}

/// A step's action, the ID it concerns, whether it is a CA, and what changed.
fn describe(step: &Step) -> (&'static str, Option<String>, Option<bool>, Option<&'static str>) {
    match step {
        Step::Create { upload } => ("create", None, Some(upload.ca), None),
        Step::Unchanged { id, .. } => ("unchanged", Some(id.to_string()), None, None),
        Step::Replace { upload, old, change, .. } => {
            let why = match change {
                Change::Certificates => "the certificates differ",
                Change::CaFlag => "the CA flag differs",
                _ => "the stored PEM cannot be compared",
            };
            ("replace", Some(old.to_string()), Some(upload.ca), Some(why))
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
