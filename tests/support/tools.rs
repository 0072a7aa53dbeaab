//! The Debian tools some tests run for real (`tinyproxy`, `openssl`). A test that needs one
//! asks [`require`] first: when the tool is missing it says so in one line and the test
//! returns, so the README's test command passes on a machine with only Rust. Under
//! `CF_MTLS_REQUIRE_TOOLS=1` (set by `.ci/run`) a missing tool fails the test instead, so CI
//! never skips silently.

use std::io::Write;

/// Whether `tool` is on `PATH`. When it is not: with `CF_MTLS_REQUIRE_TOOLS=1` the test
/// fails; otherwise one line on standard error names the test, the tool and how to install it
/// (Debian package `package`), and the caller returns.
pub fn require(tool: &str, package: &str) -> bool {
    let found =
        std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()));
    if found {
        return true;
    }
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    if std::env::var_os("CF_MTLS_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!(
            "{test} needs {tool}, which is not installed (apt-get install -y {package}); CF_MTLS_REQUIRE_TOOLS=1 makes that a failure"
        );
    }
    // Straight to the process's standard error: the test harness captures `eprintln!` of a
    // passing test, and this line must be seen.
    let _ = writeln!(std::io::stderr(), "skipped {test}: {tool} is not installed (apt-get install -y {package})");
    false
}
