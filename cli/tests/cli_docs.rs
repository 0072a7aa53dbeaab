//! `cf-mtls completions SHELL` and `cf-mtls man`: generated from the same declaration as
//! `--help`, so every command is in them; the bash script completes for real in bash, and the
//! page is one groff reads without a warning.

mod cli_support;

use std::process::{Command, Stdio};

use cli_support::*;

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
    // A global option completes after a command too, though its help leaves it to the top.
    assert_eq!(bash_completes(&["cf-mtls", "check", "--api-token-f"]), ["--api-token-file"]);
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
    for (code, meaning) in [("0", "success"), ("2", "usage error"), ("3", "the API answered"), ("8", "plan, apply")] {
        assert!(page.contains(&format!("\n{code}\n{meaning}")), "exit code {code:?} missing");
    }
    // groff reads it without a warning (man-db's formatter; Debian's groff-base).
    let Some(shown) = groff(&page) else { return };
    assert!(shown.contains("EXIT STATUS") && shown.contains("CLOUDFLARE_API_TOKEN"), "{shown}");
}

/// What groff (man-db's formatter; Debian's groff-base) shows of `page`, 80 columns wide,
/// after checking it said nothing; `None` (saying so) without groff.
fn groff(page: &str) -> Option<String> {
    if !tools::require("groff", "groff-base") {
        return None;
    }
    let mut groff = Command::new("groff")
        .args(["-man", "-Tutf8", "-P-cbou", "-ww", "-rLL=80n"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut groff.stdin.take().unwrap(), page.as_bytes()).unwrap();
    let out = groff.wait_with_output().unwrap();
    assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    // groff -Tutf8 shows `\-` as a minus sign.
    Some(String::from_utf8_lossy(&out.stdout).replace(['\u{2212}', '\u{2010}'], "-"))
}

/// Issue 27, item 21: the environment table stays a table (one variable a row), and so do
/// the exit codes.
#[test]
fn the_man_page_keeps_its_tables() {
    let page = run(&["man"]).expect(0).stdout;
    let Some(shown) = groff(&page) else { return };
    // Each line as words: groff justifies lines with extra spaces.
    let lines: Vec<String> = shown.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    let row = |start: &str| {
        lines.iter().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("{start}: {shown}")).as_str()
    };
    assert!(row("CLOUDFLARE_API_TOKEN").contains("an API token"), "{shown}");
    assert!(row("CLOUDFLARE_ACCOUNT_ID").contains("the account"), "{shown}");
    assert!(!row("CLOUDFLARE_BASE_URL").contains("Prefer"), "{shown}");
    assert!(row("Prefer the environment").contains("Prefer"), "{shown}");
    assert!(row("6").contains("check:"), "{shown}");
    assert!(row("9").contains("export:"), "{shown}");
}

/// Issue 27, item 21: `man --dir DIR` writes every page the main page names (one per command),
/// each read by groff without a warning; a command's page has its examples, one command a
/// line, and leaves the global options and exit codes to cf-mtls(1).
#[test]
fn man_dir_writes_every_page_it_names() {
    let dir = file("placeholder", "").parent().unwrap().join("man1");
    let written = run(&["man", "--dir", dir.to_str().unwrap()]).expect(0);
    assert!(written.stdout.contains("cf-mtls.1") && written.stdout.contains("cf-mtls-upload.1"), "{written:?}");
    let main = std::fs::read_to_string(dir.join("cf-mtls.1")).unwrap();
    assert_eq!(main, run(&["man"]).expect(0).stdout, "the page on stdout is the one written");
    // The pages a page names: `cf\-mtls\-NAME(1)`, NAME one word.
    let names_in = |page: &str| -> Vec<String> {
        page.split("cf\\-mtls\\-")
            .skip(1)
            .filter_map(|rest| rest.split_once("(1)").map(|(name, _)| name))
            .filter(|name| !name.contains([' ', '\n']))
            .map(|name| format!("cf-mtls-{}.1", name.replace("\\-", "-")))
            .collect()
    };
    let mut named = names_in(&main);
    named.sort();
    named.dedup();
    assert_eq!(named.len(), COMMANDS.len(), "{named:?}");
    // A command's own commands are named on its page (`hostnames set` on cf-mtls-hostnames(1)).
    let nested: Vec<String> = named
        .iter()
        .flat_map(|name| names_in(&std::fs::read_to_string(dir.join(name)).unwrap()))
        .filter(|name| !named.contains(name))
        .collect();
    assert_eq!(nested, ["cf-mtls-hostnames-set.1"]);
    named.extend(nested);
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    let mut expected: Vec<String> = named.clone();
    expected.push("cf-mtls.1".to_owned());
    expected.sort();
    assert_eq!(files, expected);
    for name in &named {
        let page = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(page.starts_with(&format!(".TH {} 1", name.trim_end_matches(".1"))), "{name}: {page}");
        assert!(page.contains("\n.SH EXAMPLES\n"), "{name}: {page}");
        assert!(!page.contains("GLOBAL OPTIONS") && !page.contains("EXIT STATUS"), "{name}: {page}");
        let Some(shown) = groff(&page) else { continue };
        assert!(shown.contains("cf-mtls(1)"), "{name}: {shown}");
        if name == "cf-mtls-upload.1" {
            assert!(shown.lines().any(|l| l.trim() == "cf-mtls upload --ca --name my-ca --cert ca.pem"), "{shown}");
        }
    }
    groff(&main);
}

/// Issue 27, item 21: pages are never written over an existing file without --force, nor
/// through a symlink, even with it.
#[test]
fn man_dir_never_overwrites_or_follows_a_symlink() {
    let dir = file("placeholder", "").parent().unwrap().join("man1");
    std::fs::create_dir(&dir).unwrap();
    let target = dir.parent().unwrap().join("precious");
    std::fs::write(&target, "keep me").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("cf-mtls-list.1")).unwrap();
    std::fs::write(dir.join("cf-mtls-get.1"), "mine").unwrap();

    let refused = run(&["man", "--dir", dir.to_str().unwrap()]).expect(5);
    assert!(refused.stderr.contains("cf-mtls-get.1") && refused.stderr.contains("--force"), "{refused:?}");
    assert!(!dir.join("cf-mtls.1").exists(), "nothing is written when a page is in the way");
    assert_eq!(std::fs::read_to_string(dir.join("cf-mtls-get.1")).unwrap(), "mine");

    run(&["man", "--dir", dir.to_str().unwrap(), "--force"]).expect(0);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert!(!std::fs::symlink_metadata(dir.join("cf-mtls-list.1")).unwrap().file_type().is_symlink());
    assert!(std::fs::read_to_string(dir.join("cf-mtls-get.1")).unwrap().starts_with(".TH cf-mtls-get 1"));
    // --force is for --dir only.
    assert_eq!(run(&["man", "--force"]).code, 2);
}
