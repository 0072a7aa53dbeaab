//! `export`: the account's custom certificates as a folder that `plan` reads back unchanged.
//! What goes in the folder is the library's decision (`cloudflare_mtls::folder::export`);
//! this fetches the certificates, writes the files (each atomically: a temporary file, then a
//! rename), never overwrites without `--force` and never deletes, and says what it left out.

use std::io::Write;
use std::path::Path;

use cloudflare_mtls::folder::{self, MANIFEST};
use cloudflare_mtls::{HttpClient, List};
use serde_json::json;

use crate::api::Api;
use crate::args::ExportArgs;
use crate::context::Context;
use crate::exit::{CliError, Exit};
use crate::progress::Progress;
use crate::{output, text};

/// What happened to one file.
enum Outcome {
    Written,
    Exists,
}

/// Writes `contents` to `dir/name` atomically, unless it exists and `force` is not given.
fn write(dir: &Path, name: &str, contents: &str, force: bool) -> Result<Outcome, CliError> {
    let path = dir.join(name);
    if !force && std::fs::symlink_metadata(&path).is_ok() {
        return Ok(Outcome::Exists);
    }
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let failed = |e: std::io::Error| CliError::local(format!("cannot write {}: {e}", text::path(&path)));
    let result = std::fs::File::create_new(&temporary)
        .and_then(|mut file| file.write_all(contents.as_bytes()).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temporary, &path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(failed(e));
    }
    Ok(Outcome::Written)
}

/// Runs `export`.
pub fn run<T>(api: &Api<'_, T>, args: &ExportArgs, ctx: &Context) -> Result<(), CliError>
where
    T: HttpClient,
    T::Error: std::fmt::Display + 'static,
{
    let dir = &args.dir;
    match std::fs::metadata(dir) {
        Ok(meta) if !meta.is_dir() => {
            return Err(CliError::usage(format!("{} is not a folder", text::path(dir))));
        }
        Ok(_) => {}
        Err(_) => std::fs::create_dir_all(dir)
            .map_err(|e| CliError::local(format!("cannot make the folder {}: {e}", text::path(dir))))?,
    }
    let certificates: Vec<_> = api.list(List::new(api.account().clone()))?.into_iter().map(|c| c.model).collect();
    let mut export = folder::export(&certificates, |pem| folder::expected_ca(pem, false));
    let mut written = Vec::new();
    let mut files = std::mem::take(&mut export.files);
    let manifest = (!export.manifest.is_empty()).then(|| (MANIFEST.to_owned(), export.manifest.to_json()));
    let mut exists = Vec::new();
    let progress = (!ctx.json).then(|| Progress::new(files.len() + usize::from(manifest.is_some())));
    for (file_name, contents) in files.drain(..).map(|f| (f.file_name, f.pem)).chain(manifest) {
        let path = text::path(dir.join(&file_name));
        if let Some(progress) = &progress {
            progress.step(&format!("writing {path}"));
        }
        let line = match write(dir, &file_name, &contents, args.force)? {
            Outcome::Written => {
                written.push(file_name);
                format!("wrote {path}\n")
            }
            Outcome::Exists => {
                exists.push(file_name);
                format!("kept {path} as it was: it exists (--force overwrites it)\n")
            }
        };
        if let Some(progress) = &progress {
            progress.done(&line)?;
        }
    }
    let partial = export.is_partial() || !exists.is_empty();
    if let Some(progress) = progress {
        let mut out = String::new();
        for s in &export.skipped {
            let name =
                s.name.as_deref().map_or_else(|| "(unnamed)".to_owned(), |n| format!("\"{}\"", text::visible(n)));
            let id = s.id.as_deref().unwrap_or("no ID");
            out.push_str(&format!("left out {name} ({id}): {}\n", s.why));
        }
        let certs = written.iter().filter(|n| n.as_str() != MANIFEST).count();
        out.push_str(&format!(
            "Exported {certs} certificate{} to {}. The API never returns private keys: put NAME.key beside a certificate for apply to upload it with its key.\n",
            if certs == 1 { "" } else { "s" },
            text::path(dir)
        ));
        progress.summary(&out)?;
    } else {
        let skipped: Vec<_> = export
            .skipped
            .iter()
            .map(|s| json!({"id": s.id, "name": s.name, "why": s.why, "by_design": s.by_design}))
            .collect();
        output::print_json(&json!({
            "dir": dir.display().to_string(),
            "written": written,
            "exists": exists,
            "skipped": skipped,
            "keys_written": 0,
        }))?;
    }
    if partial {
        let left = export.skipped.iter().filter(|s| !s.by_design).count() + exists.len();
        return Err(CliError::new(
            Exit::Partial,
            format!("the export is partial: {left} left out (listed above); the rest was written"),
        ));
    }
    Ok(())
}
