//! `completions` and `man`: generated from the same clap declaration as `--help`, so they
//! never disagree with it.

use std::path::Path;

use clap::CommandFactory;

use crate::args::{Cli, ManArgs};
use crate::exit::CliError;
use crate::text;

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<(), CliError> {
    let mut script = Vec::new();
    // From the declaration as it is, every global option visible in every command: each
    // completes after a command too (`crate::args::command` hides them from its help only).
    clap_complete::generate(shell, &mut Cli::command(), "cf-mtls", &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == clap_complete::Shell::Bash {
        // clap_complete 4.6 names a subcommand's state `cf__mtls__subcmd__check` where it is
        // set and `cf__subcmd__mtls__subcmd__check` where it is matched (the `-` of the
        // binary's name is read as a separator in one place only), so no option of a
        // subcommand would complete. One name for both.
        script = script.replace("cf__subcmd__mtls", "cf__mtls");
    }
    write(script.as_bytes())
}

/// `man`: cf-mtls(1) on stdout, or with `--dir` it and a page per command it names
/// (cf-mtls-upload(1), ...) written into DIR.
pub fn man(args: &ManArgs) -> Result<(), CliError> {
    let pages = pages()?;
    let Some(dir) = &args.dir else {
        let (_, main) = pages.first().ok_or_else(|| CliError::local("no manual page was rendered"))?;
        return write(main.as_bytes());
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::local(format!("cannot make the folder {}: {e}", text::path(dir))))?;
    if !args.force {
        // All or nothing: a page in the way is found before any is written.
        let present: Vec<&str> = pages
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| dir.join(name).symlink_metadata().is_ok())
            .collect();
        if !present.is_empty() {
            return Err(CliError::local(format!("{} has {} already", text::path(dir), present.join(", ")))
                .note("hint: pass --force to replace them"));
        }
    }
    let mut listing = String::new();
    for (name, page) in &pages {
        let path = dir.join(name);
        write_new(&path, page.as_bytes(), args.force)
            .map_err(|e| CliError::local(format!("cannot write {}: {e}", text::path(&path))))?;
        listing.push_str(&format!("wrote {}\n", text::path(&path)));
    }
    write(listing.as_bytes())
}

/// Every page: cf-mtls.1 first, then one per command a SUBCOMMANDS section names, each as
/// (file name, roff). Rendered from `crate::args::command`, so that a command's page leaves
/// the global options to cf-mtls(1), as its `--help` does; without the `help` command, which
/// is `--help` (as clap_mangen's own `generate_to` does).
fn pages() -> Result<Vec<(String, String)>, CliError> {
    let mut top = crate::args::command().disable_help_subcommand(true);
    top.build();
    let mut pages = Vec::new();
    // A command's own commands (`hostnames set`) get a page too: their parent's names it.
    let nested = top.get_subcommands().flat_map(|sub| std::iter::once(sub).chain(sub.get_subcommands()));
    for cmd in std::iter::once(&top).chain(nested) {
        let man = clap_mangen::Man::new(cmd.clone()).source(concat!("cf-mtls ", env!("CARGO_PKG_VERSION")));
        let mut rendered = Vec::new();
        man.render(&mut rendered)?;
        pages.push((man.get_filename(), tidy(&String::from_utf8_lossy(&rendered))));
    }
    Ok(pages)
}

/// clap_mangen's page made conventional: it starts with `.TH` (clap_mangen puts its
/// apostrophe string, `.ds Aq`, before it, and again before every section: once after the
/// title is enough). clap_mangen puts the after-help under EXTRA: its headings become
/// sections instead (`Exit codes:` is EXIT STATUS, `Examples:` EXAMPLES), and a command's
/// pointer to `cf-mtls --help` is SEE ALSO cf-mtls(1). Indented lines stay lines (see
/// [`blocks`]).
fn tidy(page: &str) -> String {
    fn is_aq(line: &str) -> bool {
        line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq")
    }
    let lines: Vec<&str> = page.lines().collect();
    let title = lines.iter().filter(|l| l.starts_with(".TH "));
    let aq = lines.iter().filter(|l| is_aq(l)).take(2);
    let rest = lines.iter().filter(|l| !l.starts_with(".TH ") && !is_aq(l));
    let mut out = Vec::new();
    let mut extra = false;
    for line in title.chain(aq).chain(rest) {
        if line.starts_with(".SH ") {
            extra = *line == ".SH EXTRA";
            if extra {
                continue;
            }
        }
        let heading = extra && !line.starts_with([' ', '.']) && line.ends_with(':');
        match *line {
            "Exit codes:" if extra => out.push(".SH \"EXIT STATUS\"".to_owned()),
            line if heading => {
                let name = line.trim_end_matches(':').to_uppercase();
                out.push(if name.contains(' ') { format!(".SH \"{name}\"") } else { format!(".SH {name}") });
            }
            line if extra && line.starts_with("Global options (") => {
                out.push(".SH \"SEE ALSO\"".to_owned());
                out.push("\\fBcf\\-mtls\\fR(1), for the global options and the exit codes".to_owned());
            }
            line => out.push(line.to_owned()),
        }
    }
    blocks(&out)
}

/// The indented lines of the help texts, in roff: roff would fill them into the paragraph
/// around them. A run of `  KEY  text` rows (the environment variables, the exit codes) is
/// a two-column table (`.TP`, the second column wrapping under itself); a run of examples
/// is kept line for line (`.nf`); prose is indented, and filled as prose is.
fn blocks(lines: &[String]) -> String {
    fn row(line: &str) -> Option<(&str, &str)> {
        let body = line.strip_prefix("  ").filter(|b| !b.starts_with(' '))?;
        let (key, rest) = body.split_once("  ")?;
        (!key.contains(' ') && !rest.trim().is_empty()).then(|| (key, rest.trim()))
    }
    let indented = |line: &String| line.starts_with("  ");
    let mut out = String::new();
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        let run: Vec<&String> = lines.iter().skip(i).take_while(|l| indented(l)).collect();
        if run.is_empty() {
            out.push_str(line);
            out.push('\n');
            i += 1;
            continue;
        }
        i += run.len();
        let rows: Option<Vec<(&str, &str)>> = run.iter().map(|l| row(l)).collect();
        match rows {
            Some(rows) => {
                // The widest key, and two spaces: the second column starts there, as in --help.
                let width = rows.iter().map(|(key, _)| key.replace('\\', "").len()).max().unwrap_or(0) + 2;
                // `.PD 0`: no blank line between rows.
                out.push_str(".RS 2\n.PD 0\n");
                for (key, text) in rows {
                    out.push_str(&format!(".TP {width}\n{key}\n{text}\n"));
                }
                out.push_str(".PD\n.RE\n");
            }
            None => {
                // Commands and their comments, line for line; prose (how apply decides) filled.
                let code = run.iter().any(|l| l.trim_start().starts_with('#') || l.contains("cf\\-mtls "));
                out.push_str(if code { ".RS 2\n.nf\n" } else { ".RS 2\n" });
                for line in run {
                    out.push_str(line.trim_start());
                    out.push('\n');
                }
                out.push_str(if code { ".fi\n.RE\n" } else { ".RE\n" });
            }
        }
        // What follows a block starts a line of its own.
        if lines.get(i).is_some_and(|next| !next.starts_with('.')) {
            out.push_str(".PP\n");
        }
    }
    out
}

/// Writes `bytes` to `path` through the one writer (`write::file`: atomic, never through a
/// symlink, never over an existing file without `force`); one that exists is an error here.
fn write_new(path: &Path, bytes: &[u8], force: bool) -> std::io::Result<()> {
    match crate::write::file(path, bytes, force, 0o644)? {
        crate::write::Outcome::Exists => {
            Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "it exists (--force replaces it)"))
        }
        _ => Ok(()),
    }
}

fn write(bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    Ok(out.flush()?)
}
