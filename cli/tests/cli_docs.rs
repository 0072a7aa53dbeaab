//! `cf-mtls completions SHELL` and `cf-mtls man`: generated from the same declaration as
//! `--help`, so every command is in them; the bash script completes for real in bash, and the
//! page is one groff reads without a warning.

mod cli_support;

use std::process::{Command, Stdio};

use cli_support::*;

const COMMANDS: [&str; 12] = [
    "upload",
    "list",
    "get",
    "associations",
    "delete",
    "apply",
    "plan",
    "check",
    "export",
    "serve-fake",
    "completions",
    "man",
];

fn run(args: &[&str]) -> Run {
    Command::new(BIN).env_clear().args(args).stdin(Stdio::null()).output().unwrap().into()
}

#[test]
fn completions_know_every_command_in_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = run(&["completions", shell]).expect(0).stdout;
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}: {command} missing");
        }
        assert!(script.contains("max-wait"), "{shell}");
    }
    assert_eq!(run(&["completions", "tcsh"]).code, 2);
    // No credentials needed, none asked for.
    assert!(run(&["completions", "bash"]).stderr.is_empty());
}

/// What bash itself completes for `words`, the last one being completed.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let script = run(&["completions", "bash"]).expect(0).stdout;
    let path = file("cf-mtls.bash", &script);
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let (cur, prev) = (words[cword], words[cword - 1]);
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _cf__mtls cf-mtls '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" ")
    );
    let out = Command::new("bash").args(["--noprofile", "--norc", "-c", &program]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect()
}

#[test]
fn bash_completes_commands_options_and_values() {
    assert_eq!(bash_completes(&["cf-mtls", "ap"]), ["apply"]);
    assert_eq!(bash_completes(&["cf-mtls", "--max"]), ["--max-wait"]);
    // A subcommand's own options and their values (broken in clap_complete's script as
    // generated; see docs.rs).
    assert_eq!(bash_completes(&["cf-mtls", "check", "--for"]), ["--format"]);
    assert_eq!(bash_completes(&["cf-mtls", "check", "--format", ""]), ["text", "json", "prometheus"]);
    assert_eq!(bash_completes(&["cf-mtls", "completions", "fi"]), ["fish"]);
}

#[test]
fn the_man_page_has_every_command_and_the_exit_status() {
    let page = run(&["man"]).expect(0).stdout;
    assert!(page.starts_with(".TH cf-mtls 1"), "{}", &page[..80.min(page.len())]);
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SUBCOMMANDS", "\"EXIT STATUS\""] {
        assert!(page.contains(&format!("\n.SH {section}\n")), "{section} missing");
    }
    assert_eq!(page.matches(".ds Aq").count(), 2, "the apostrophe string, once");
    for command in COMMANDS {
        assert!(page.contains(&command.replace('-', "\\-")), "{command} missing");
    }
    for code in ["0  success", "2  usage error", "3  the API answered", "8  plan, apply"] {
        assert!(page.contains(code), "exit code {code:?} missing");
    }
    // groff reads it without a warning (man-db's formatter; Debian's groff-base).
    if !tools::require("groff", "groff-base") {
        return;
    }
    let mut groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou", "-ww"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut groff.stdin.take().unwrap(), page.as_bytes()).unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("EXIT STATUS") && shown.contains("CLOUDFLARE_API_TOKEN"), "{shown}");
}
