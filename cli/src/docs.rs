//! `completions` and `man`: generated from the same clap declaration as `--help`, so they
//! never disagree with it.

use clap::CommandFactory;

use crate::args::Cli;
use crate::exit::CliError;

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<(), CliError> {
    let mut script = Vec::new();
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

/// Prints the manual page (roff) on stdout: the long help (credentials and environment),
/// every option and command, and the exit codes of `--help` as EXIT STATUS.
pub fn man() -> Result<(), CliError> {
    let mut rendered = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut rendered)?;
    write(tidy(&String::from_utf8_lossy(&rendered)).as_bytes())
}

/// clap_mangen's page made conventional: it starts with `.TH` (clap_mangen puts its
/// apostrophe string, `.ds Aq`, before it, and again before every section: once after the
/// title is enough), and the exit codes (the top level's after-help) are EXIT STATUS.
fn tidy(page: &str) -> String {
    fn is_aq(line: &str) -> bool {
        line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq")
    }
    let lines: Vec<&str> = page.lines().collect();
    let title = lines.iter().filter(|l| l.starts_with(".TH "));
    let aq = lines.iter().filter(|l| is_aq(l)).take(2);
    let rest = lines.iter().filter(|l| !l.starts_with(".TH ") && !is_aq(l));
    let mut out = String::new();
    for line in title.chain(aq).chain(rest) {
        out.push_str(if *line == ".SH EXTRA" { ".SH \"EXIT STATUS\"" } else { line });
        out.push('\n');
    }
    out
}

fn write(bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    Ok(out.flush()?)
}
