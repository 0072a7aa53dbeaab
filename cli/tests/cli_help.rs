//! `--help` of the tool and of every command: it says what the exit codes mean, where the
//! credentials come from, and every command and flag has a description.

mod cli_support;

use cli_support::*;

fn help(args: &[&str]) -> String {
    let out = std::process::Command::new(BIN).env_clear().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    assert!(out.stderr.is_empty(), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

const EXIT_LINES: [&str; 6] = [
    "  0  success",
    "  1  anything else",
    "  2  usage error",
    "  3  the API answered with an error",
    "  4  network or transport error",
    "  5  local file error",
];

#[test]
fn top_level_help_documents_exit_codes_and_environment() {
    let text = help(&["--help"]);
    for expected in EXIT_LINES
        .iter()
        .copied()
        .chain(["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL", "CLOUDFLARE_ACCOUNT_ID"])
        .chain(["CLOUDFLARE_BASE_URL", "CLOUDFLARE_API_BASE_URL", "#ssl:read", "#ssl:edit", "serve-fake"])
        .chain(["upload", "list", "get", "associations", "delete", "--json", "--dry-run", "--api-token"])
        .chain(["--api-token-file", "hostnames", "CLOUDFLARE_ZONE_ID"])
    {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    // The short help also ends with the exit codes.
    assert!(help(&["-h"]).contains("  4  network or transport error"));
    assert!(help(&["--version"]).starts_with("cf-mtls "));
}

#[test]
fn every_command_documents_its_flags() {
    for (command, flags) in [
        ("upload", &["--cert <FILE>", "--key <FILE>", "--name <NAME>", "--ca"][..]),
        ("list", &["--type <TYPE>", "--ca", "--leaf", "--name <NAME>", "--expiring-within <DURATION>"]),
        ("get", &["[ID]", "--name <NAME>"]),
        ("associations", &["[ID]", "--name <NAME>"]),
        ("delete", &["[ID]", "--name <NAME>", "-y, --yes", "--detach <ZONE_ID>"]),
        ("hostnames", &["[ZONE_ID]", "--cert <NAME|ID>", "CLOUDFLARE_ZONE_ID", "managed CA", "set"]),
        ("serve-fake", &["--listen <ADDR>", "--token <TOKEN>", "--account <ID>", "127.0.0.1:8799"]),
        ("check", &["--expiring-within <DURATION>", "--type <TYPE>", "--format <FORMAT>", "prometheus", "exit 6"]),
        ("apply", &["<DIR>", "--prune", "NAME.key", "self-signed", "exit 8"]),
        ("plan", &["<DIR>", "--prune", "exit 0 when there is nothing to do"]),
        ("completions", &["<SHELL>", "bash"]),
        ("export", &["<DIR>", "--force", ".cf-mtls.json", "exit 9"]),
        ("man", &["roff", "--dir <DIR>", "--force"]),
        (
            "hostnames set",
            &[
                "[ZONE_ID|HOST]...",
                "--cert <NAME|ID>",
                "--add",
                "--remove",
                "--clear",
                "-y, --yes",
                "race",
                "CLOUDFLARE_ZONE_ID",
            ],
        ),
    ] {
        let text = help(&command.split(' ').chain(["--help"]).collect::<Vec<_>>());
        for flag in flags {
            assert!(text.contains(flag), "{command}: {flag:?} missing from:\n{text}");
        }
        let bare = undescribed(&text);
        assert!(bare.is_empty(), "{command}: {bare:?} have no description:\n{text}");
    }
}

/// The example commands of a help text: the lines of its `Examples:` section that are not
/// comments.
fn examples(text: &str) -> Vec<&str> {
    let Some((_, section)) = text.split_once("\nExamples:\n") else { return Vec::new() };
    section
        .lines()
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && l.contains("cf-mtls "))
        .collect()
}

/// Issue 27, item 24: a command's help is about the command: its options and 2-4 examples;
/// the global options and the exit codes are shown once, in `cf-mtls --help`, and named.
#[test]
fn each_command_has_examples_and_leaves_the_globals_to_the_top() {
    for command in COMMANDS {
        for flag in ["--help", "-h"] {
            let text = help(&[command, flag]);
            let examples = examples(&text);
            assert!((2..=4).contains(&examples.len()), "{command} {flag}: examples {examples:?} in:\n{text}");
            for example in examples {
                assert!(
                    example.contains(&format!("cf-mtls {command}")) || example.contains(&format!(" {command} ")),
                    "{command}: {example}"
                );
            }
            for global in
                ["--max-wait <DURATION>", "--proxy <URL>", "--cacert <FILE>", "--retries <N>", "Global options:"]
            {
                assert!(!text.contains(global), "{command} {flag}: {global:?} in:\n{text}");
            }
            for line in EXIT_LINES {
                assert!(!text.contains(line), "{command} {flag}: {line:?} in:\n{text}");
            }
            assert!(text.contains("cf-mtls --help"), "{command} {flag}: no pointer to the globals:\n{text}");
        }
    }
    // Once, at the top.
    let top = help(&["--help"]);
    for once in ["--max-wait <DURATION>", "--api-token-file <FILE>", "Exit codes:", "Global options:"] {
        assert_eq!(top.matches(once).count(), 1, "{once:?} in:\n{top}");
    }
}

/// Issue 27, item 24: `upload --help` was 60 lines, 11 of them about upload.
#[test]
fn upload_help_is_short() {
    let text = help(&["upload", "--help"]);
    let lines = text.lines().count();
    assert!(lines <= 30, "{lines} lines:\n{text}");
}

/// Hidden from a command's help, the global options are still taken after it.
#[test]
fn global_options_still_work_after_the_command() {
    let cert = file("ca.pem", CA_PEM);
    let out = std::process::Command::new(BIN)
        .env_clear()
        .args(["upload", "--ca", "--cert", cert.to_str().unwrap(), "--dry-run", "--json", "-q"])
        .args(["--account-id", ACCOUNT, "--api-token", "t", "--timeout", "5s", "--pace", "off"])
        .output()
        .unwrap();
    let run = Run::from(out).expect(0);
    assert_eq!(run.json()["method"], "POST", "{run:?}");
}

/// The option lines of a help text that carry no description: none after the option on its
/// line, and the next line not a deeper-indented continuation (another option, a blank line
/// or a heading does not describe it).
fn undescribed(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let option = line.trim_start();
        if !(option.starts_with('-') && line.starts_with("  ")) {
            continue;
        }
        let same_line = option.split_once("  ").is_some_and(|(_, rest)| !rest.trim().is_empty());
        let next = lines.get(i + 1).copied().unwrap_or("");
        let continued = !next.trim().is_empty() && !next.trim_start().starts_with('-') && indent(next) > indent(line);
        if !(same_line || continued) {
            found.push(*line);
        }
    }
    found
}

#[test]
fn an_undescribed_option_is_caught() {
    let text = "Options:\n      --described  Says what it does\n      --bare\n      --next <X>\n          Described below\n      --last\n\nExit codes:\n";
    assert_eq!(undescribed(text), ["      --bare", "      --last"]);
}
