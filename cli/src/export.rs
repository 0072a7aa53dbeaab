//! `export`: the account's custom certificates as a folder that `plan` reads back unchanged.
//! What goes in the folder is the library's decision (`cloudflare_mtls::folder::export`: no
//! file it names ever holds a key); this fetches the certificates, writes the files through
//! the one writer (`write`: atomic, never over an existing file without `--force`, never
//! through a symlink), keeps the manifest exactly this export's, and says what it left out.

use std::path::Path;

use cloudflare_mtls::folder::{self, Export, MANIFEST, Skipped};
use cloudflare_mtls::{Certificate, Hostname, HttpClient, List, ZoneId};
use serde_json::json;

use crate::api::Api;
use crate::args::ExportArgs;
use crate::context::Context;
use crate::exit::{CliError, Exit};
use crate::progress::Progress;
use crate::write::{self, Outcome};
use crate::{output, text};

/// What the export did, file by file.
#[derive(Default)]
struct Report {
    written: Vec<String>,
    unchanged: Vec<String>,
    exists: Vec<String>,
    /// A file that could not be written, and why: the rest is still written.
    failed: Vec<(String, String)>,
    removed: Vec<String>,
}

/// Runs `export`.
pub fn run<T>(api: &Api<'_, T>, args: &ExportArgs, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let dir = &args.dir;
    if std::fs::metadata(dir).is_ok_and(|meta| !meta.is_dir()) {
        return Err(CliError::usage(format!("{} is not a folder", text::path(dir))));
    }
    // The listing first: a failed one leaves no folder behind.
    let certificates: Vec<_> = api.list(List::new(api.account().clone()))?.into_iter().map(|c| c.model).collect();
    if std::fs::metadata(dir).is_err() {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::local(format!("cannot make the folder {}: {e}", text::path(dir))))?;
    }
    let mut export = folder::export(&certificates, |pem| folder::expected_ca(pem, false));
    hostnames(api, &args.zones, &certificates, &mut export)?;
    let files = std::mem::take(&mut export.files);
    // The manifest is exactly this export's: written when it says anything, else an old one
    // is removed (with --force; without, it is kept and the export is partial).
    let manifest = (!export.manifest.is_empty()).then(|| export.manifest.to_json());
    let manifest_step = manifest.is_some() || std::fs::symlink_metadata(dir.join(MANIFEST)).is_ok();
    let progress = (!ctx.json).then(|| Progress::new(files.len() + usize::from(manifest_step)));
    let mut report = Report::default();
    let entries = files.into_iter().map(|f| (f.file_name, Some(f.pem))).chain([(MANIFEST.to_owned(), manifest)]);
    for (file_name, contents) in entries {
        let path = dir.join(&file_name);
        let shown = text::path(&path);
        if let Some(progress) = &progress {
            progress.step(&format!("writing {shown}"));
        }
        let line = match contents {
            Some(contents) => match write::file(&path, contents.as_bytes(), args.force, 0o644) {
                Ok(Outcome::Written) => {
                    report.written.push(file_name);
                    format!("wrote {shown}\n")
                }
                Ok(Outcome::Unchanged) => {
                    report.unchanged.push(file_name);
                    format!("unchanged {shown}\n")
                }
                Ok(Outcome::Exists) => {
                    report.exists.push(file_name);
                    format!("kept {shown} as it was: it exists and differs (--force overwrites it)\n")
                }
                Err(e) => {
                    let line = format!("could not write {shown}: {e}\n");
                    report.failed.push((file_name, e.to_string()));
                    line
                }
            },
            None => match stale_manifest(&path, args.force) {
                Ok(None) => continue,
                Ok(Some(true)) => {
                    report.removed.push(file_name);
                    format!("removed {shown}: this export needs no manifest, and plan would read the old one\n")
                }
                Ok(Some(false)) => {
                    report.exists.push(file_name);
                    format!(
                        "kept {shown} as it was: this export needs none, so plan would read stale flags (--force removes it)\n"
                    )
                }
                Err(e) => {
                    let line = format!("could not remove {shown}: {e}\n");
                    report.failed.push((file_name, e.to_string()));
                    line
                }
            },
        };
        if let Some(progress) = &progress {
            progress.done(&line)?;
        }
    }
    let partial = export.is_partial() || !report.exists.is_empty() || !report.failed.is_empty();
    match progress {
        Some(progress) => progress.summary(&summary(&export.skipped, &report, dir))?,
        None => output::print_json(&json!({
            "dir": dir.display().to_string(),
            "written": report.written,
            "unchanged": report.unchanged,
            "exists": report.exists,
            "failed": report.failed.iter().map(|(file, why)| json!({"file": file, "why": why})).collect::<Vec<_>>(),
            "removed": report.removed,
            "skipped": export.skipped.iter().map(|s| json!({"id": s.id, "name": s.name, "why": s.why, "by_design": s.by_design})).collect::<Vec<_>>(),
            "keys_written": 0,
        }))?,
    }
    if partial {
        let left = export.skipped.iter().filter(|s| !s.by_design).count() + report.exists.len() + report.failed.len();
        return Err(CliError::new(
            Exit::Partial,
            format!("the export is partial: {left} left out (listed above); the rest was written"),
        ));
    }
    Ok(())
}

/// With `--zone`: the hostnames of each exported CA in each zone, into the manifest (an
/// empty list too: the folder then says the CA holds none there, and plan keeps it so).
fn hostnames<T>(
    api: &Api<'_, T>,
    zones: &[ZoneId],
    certificates: &[Certificate],
    export: &mut Export,
) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    for file in &export.files {
        let ca = certificates.iter().find(|c| c.name.as_deref() == Some(file.name.as_str()) && c.ca == Some(true));
        let Some(id) = ca.and_then(|c| c.id.as_ref()) else { continue };
        for zone in zones {
            let listed = api.hostnames(zone, Some(id))?.model.hostnames;
            let held = listed.into_iter().map(Hostname::new).collect::<Result<Vec<_>, _>>().map_err(|e| {
                CliError::local(format!(
                    "the API lists a hostname of {:?} in zone {zone} that a manifest cannot hold: {e}",
                    file.name
                ))
            })?;
            export.manifest.set_hostnames(file.name.clone(), zone.clone(), held);
        }
    }
    Ok(())
}

/// An old manifest where this export needs none: `None` if there is none, `Some(true)` once
/// removed (with `force`), `Some(false)` when kept.
fn stale_manifest(path: &Path, force: bool) -> std::io::Result<Option<bool>> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
        Ok(_) if !force => Ok(Some(false)),
        // A link is removed itself, never its target.
        Ok(_) => std::fs::remove_file(path).map(|()| Some(true)),
    }
}

/// The text after the per-file lines: what was left out, and the count.
fn summary(skipped: &[Skipped], report: &Report, dir: &Path) -> String {
    let mut out = String::new();
    for s in skipped {
        let name = s.name.as_deref().map_or_else(|| "(unnamed)".to_owned(), |n| format!("\"{}\"", text::visible(n)));
        let id = s.id.as_deref().unwrap_or("no ID");
        out.push_str(&format!("left out {name} ({id}): {}\n", s.why));
    }
    let count = |files: &[String]| files.iter().filter(|n| n.as_str() != MANIFEST).count();
    let (written, unchanged) = (count(&report.written), count(&report.unchanged));
    out.push_str(&format!(
        "Exported {} to {} ({unchanged} unchanged). The API never returns private keys: put NAME.key beside a certificate for apply to upload it with its key.\n",
        text::count(written, "certificate"),
        text::path(dir),
    ));
    if !skipped.iter().all(|s| s.by_design) {
        out.push_str(&format!(
            "The manifest {MANIFEST} lists what was left out: apply --prune of this folder will not delete it.\n"
        ));
    }
    out
}
